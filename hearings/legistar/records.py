"""Legistar records as read from saved JSON files or API answers, and the import report."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

# VoteValueName as councils spell it, casefolded, -> VOTE_VALUES.
VOTE_VALUE_NAMES = {
    "in favor": "yes",
    "in favour": "yes",
    "aye": "yes",
    "yes": "yes",
    "yea": "yes",
    "affirmative": "yes",
    "opposed": "no",
    "nay": "no",
    "no": "no",
    "negative": "no",
    "against": "no",
    "abstain": "abstain",
    "abstained": "abstain",
    "abstention": "abstain",
    "excused": "excused",
    "absent": "absent",
    "not voting": "not_voting",
    "not present for vote": "absent",
    "non voting": "not_voting",
    "did not vote": "not_voting",
    "present": "not_voting",
}

# Record kinds, told apart by their id key, in the order they are imported (each after what it
# refers to).
RECORD_KEYS = {
    "body": "BodyId",
    "person": "PersonId",
    "event": "EventId",
    "matter": "MatterId",
    "event_item": "EventItemId",
    "vote": "VoteId",
}
# Which model a record kind mainly becomes; a skipped record is counted under it.
RECORD_MODELS = {
    "body": "body",
    "person": "person",
    "event": "hearing",
    "matter": "matter",
    "event_item": "agenda_item",
    "vote": "person_vote",
    "file": "file",
    "request": "request",
}
REPORT_KINDS = (
    "body",
    "person",
    "hearing",
    "matter",
    "agenda_item",
    "matter_action",
    "vote_event",
    "person_vote",
)
_DETECTION_ORDER = ("vote", "event_item", "event", "matter", "person", "body")
_PREFIXES = {kind: key.removesuffix("Id") for kind, key in RECORD_KEYS.items()}
_ITEMS_FILE = re.compile(r"event_(\d+)_items\b")
_VOTES_FILE = re.compile(r"event_(\d+)_item_(\d+)_votes\b")


class RecordProblem(ValueError):
    """A record that cannot be imported as it stands."""


@dataclass
class LegistarRecord:
    kind: str
    data: dict
    # Where it came from: "file.json[3]" or a URL, for the report.
    source: str
    # The event item a vote belongs to when the record does not say (from the file or request).
    event_item_hint: int | None = None


@dataclass
class Problem:
    source: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.source} ({self.kind}): {self.message}"


@dataclass
class ImportReport:
    """What an import created, updated, left unchanged or skipped, by kind, and why."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, source: str, kind: str, message: str) -> None:
        self.problems.append(Problem(source, kind, message))
        self.skipped[RECORD_MODELS.get(kind, kind)] += 1

    def lines(self) -> list[str]:
        """Return the report as lines of text for a terminal."""
        kinds = list(REPORT_KINDS) + sorted(
            {*self.created, *self.updated, *self.unchanged, *self.skipped} - set(REPORT_KINDS)
        )
        lines = []
        for kind in kinds:
            counts = (
                self.created[kind],
                self.updated[kind],
                self.unchanged[kind],
                self.skipped[kind],
            )
            if any(counts):
                lines.append(
                    f"{kind}: {counts[0]} created, {counts[1]} updated, "
                    f"{counts[2]} unchanged, {counts[3]} skipped"
                )
        if not lines:
            lines.append("Nothing to import.")
        if self.problems:
            lines.append(f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}:")
            lines.extend(f"  {problem}" for problem in self.problems)
        return lines


def classify(
    payload, source: str, report: ImportReport, event_item_hint: int | None = None
) -> list[LegistarRecord]:
    """Return the Legistar records in a decoded response, reporting what is not a record."""
    if isinstance(payload, dict):
        entries, label = [payload], lambda index: source
    elif isinstance(payload, list):
        entries, label = payload, lambda index: f"{source}[{index}]"
    else:
        report.problem(
            source, "file", f"expected a record or a list of records, not {type_name(payload)}"
        )
        return []
    records = []
    for index, entry in enumerate(entries):
        where = label(index)
        kind = record_kind(entry)
        if kind is None:
            found = (
                type_name(entry)
                if not isinstance(entry, dict)
                else "a record with no Legistar id key"
            )
            report.problem(where, "file", f"not a Legistar record: {found}")
            continue
        records.append(LegistarRecord(kind, entry, where, event_item_hint))
        nested = entry.get("EventItems") if kind == "event" else None
        if isinstance(nested, list):
            for item_index, item in enumerate(nested):
                item_where = f"{where}.EventItems[{item_index}]"
                if record_kind(item) == "event_item":
                    records.append(LegistarRecord("event_item", item, item_where))
                else:
                    report.problem(item_where, "event_item", "not an event item")
    return records


def read_directory(directory: Path, report: ImportReport) -> list[LegistarRecord]:
    """Return the records of every *.json file in a directory, reporting unreadable files.

    A votes file that does not say which event item it belongs to (no VoteEventItemId) is
    matched by its name: "..._event_<n>_item_<m>_votes.json" means item m (counting from 0) of
    the file "..._event_<n>_items.json".
    """
    items_by_event: dict[int, list] = {}
    votes_files: list[tuple[tuple[int, int], list[LegistarRecord]]] = []
    records: list[LegistarRecord] = []
    for path in sorted(directory.glob("*.json"), key=_natural):
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            # ValueError also covers a number too long to convert (thousands of digits).
            report.problem(path.name, "file", f"not readable as JSON: {error}")
            continue
        except RecursionError:
            report.problem(path.name, "file", "not readable as JSON: nested too deeply")
            continue
        try:
            found = classify(payload, path.name, report)
        except RecursionError:
            report.problem(path.name, "file", "nested too deeply to be Legistar records")
            continue
        records.extend(found)
        if (match := _ITEMS_FILE.search(path.stem)) and isinstance(payload, list):
            items_by_event[int(match.group(1))] = payload
        if match := _VOTES_FILE.search(path.stem):
            votes_files.append(((int(match.group(1)), int(match.group(2))), found))
    for (event_index, item_index), found in votes_files:
        items = items_by_event.get(event_index, [])
        item = items[item_index] if item_index < len(items) else None
        hint = plain_id(item, "EventItemId") if isinstance(item, dict) else None
        for record in found:
            record.event_item_hint = hint
    return records


# Field readers: every malformed value raises RecordProblem with the key and what it holds.


def record_kind(entry) -> str | None:
    """Return the kind of record by its id key, else by the prefix most of its keys share."""
    if not isinstance(entry, dict):
        return None
    kind = next((kind for kind in _DETECTION_ORDER if RECORD_KEYS[kind] in entry), None)
    if kind is not None:
        return kind
    # A record that lost its id is still reported as the kind it is ("VoteId is missing").
    shares = Counter(
        next((kind for kind in _DETECTION_ORDER if key.startswith(_PREFIXES[kind])), None)
        for key in entry
        if isinstance(key, str)
    )
    shares.pop(None, None)
    return shares.most_common(1)[0][0] if shares else None


def record_key(record: LegistarRecord):
    value = plain_id(record.data, RECORD_KEYS[record.kind])
    return value if value is not None else id(record)


def required_id(data: dict, key: str) -> int:
    value = optional_id(data, key)
    if value is None:
        raise RecordProblem(f"{key} is missing")
    return value


def optional_id(data: dict, key: str) -> int | None:
    value = optional_int(data, key)
    if value is not None and value < 0:
        raise RecordProblem(f"{key} is {value}, not an id")
    return value


def plain_id(data: dict, key: str) -> int | None:
    """Return an id to follow, or None when it is missing or malformed (its import reports it)."""
    try:
        return optional_id(data, key)
    except RecordProblem:
        return None


def optional_int(data: dict, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise RecordProblem(f"{key} is {value!r}, not a whole number")


def text_field(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordProblem(f"{key} is {value!r}, not text")
    return value.strip() or None


def date_field(data: dict, key: str) -> date:
    value = optional_date(data, key)
    if value is None:
        raise RecordProblem(f"{key} is missing")
    return value


def optional_date(data: dict, key: str) -> date | None:
    text = text_field(data, key)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise RecordProblem(f"{key} is {text!r}, not a date") from None


def type_name(value) -> str:
    return {dict: "an object", list: "a list", str: "text", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _natural(path: Path) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]

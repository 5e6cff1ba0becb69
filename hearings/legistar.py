"""Import meetings, agenda items, matters, people and roll-call votes from the Legistar Web API.

How Legistar records map onto the civic record:

- Event (a meeting) -> Hearing without a recording, on the Body named by EventBodyId/EventBodyName.
  A hearing a clerk already created for that body and date (with no Legistar id) is adopted
  instead of duplicated, so an uploaded recording and its Legistar agenda meet.
- Event item -> AgendaItem of the hearing; its EventItemMatter* fields -> Matter; its action
  (EventItemActionName, EventItemPassedFlagName) -> MatterAction.
- Votes of an event item -> one VoteEvent (motion from EventItemActionText, recorded result from
  EventItemPassedFlag) and a PersonVote per vote (VoteValueName mapped by VOTE_VALUE_NAMES).
  The threshold rule is not in Legistar: new vote events get the default, and a rule a clerk
  set is kept on re-import.
- Person -> Person (PersonFullName); Matter -> Matter; Body -> Body (size: BodyNumberOfMembers).

Every row keeps Legistar's id in its legistar_id column (a MatterAction and a VoteEvent carry
the EventItemId they come from), so importing again updates rows and never duplicates them. An
event item describes its matter as it stood at that meeting, so it only fills in what the matter
lacks; a matter record is authoritative and overwrites. A hearing's title is set when it is
created and then left to the clerks.

Each record is imported inside its own SAVEPOINT: a record that is malformed, or that refers to
something not imported, is rolled back alone and reported, and the rest go in.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

import click
import requests
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from hearings.extensions import db
from hearings.models import (
    AgendaItem,
    Body,
    Hearing,
    Matter,
    MatterAction,
    Person,
    PersonVote,
    VoteEvent,
)

DEFAULT_BASE_URL = "https://webapi.legistar.com"
# Legistar serves at most 1000 records per request; longer lists are paged with $skip.
PAGE_SIZE = 1000

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


class LegistarUnavailable(RuntimeError):
    """The Legistar API could not be reached or did not answer with records."""


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


# Reading records ------------------------------------------------------------------------------


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
            source, "file", f"expected a record or a list of records, not {_type(payload)}"
        )
        return []
    records = []
    for index, entry in enumerate(entries):
        where = label(index)
        kind = _record_kind(entry)
        if kind is None:
            found = (
                _type(entry) if not isinstance(entry, dict) else "a record with no Legistar id key"
            )
            report.problem(where, "file", f"not a Legistar record: {found}")
            continue
        records.append(LegistarRecord(kind, entry, where, event_item_hint))
        nested = entry.get("EventItems") if kind == "event" else None
        if isinstance(nested, list):
            for item_index, item in enumerate(nested):
                item_where = f"{where}.EventItems[{item_index}]"
                if _record_kind(item) == "event_item":
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
        hint = _plain_id(item, "EventItemId") if isinstance(item, dict) else None
        for record in found:
            record.event_item_hint = hint
    return records


# Importing --------------------------------------------------------------------------------------


def import_directory(session: Session, directory: Path) -> ImportReport:
    """Import every Legistar JSON file in a directory and commit; return what happened."""
    report = ImportReport()
    records = read_directory(Path(directory), report)
    return import_records(session, records, report)


def import_records(
    session: Session, records: Iterable[LegistarRecord], report: ImportReport | None = None
) -> ImportReport:
    """Import records, each in its own savepoint, then commit; return what happened."""
    report = report or ImportReport()
    importer = _Importer(session, report)
    order = list(RECORD_KEYS)
    for record in sorted(records, key=lambda record: order.index(record.kind)):
        importer.run(record)
    session.commit()
    return report


class _Importer:
    def __init__(self, session: Session, report: ImportReport):
        self.session = session
        self.report = report
        # Rows already counted in this run, so a body shared by many events counts once.
        self.counted: set[tuple[str, int]] = set()
        # From event items imported in this run: (motion, recorded result) for their vote events.
        self.motions: dict[int, tuple[str, str | None]] = {}
        self._pending: list[tuple[str, str, int]] = []

    def run(self, record: LegistarRecord) -> None:
        handler: Callable[[LegistarRecord], None] = getattr(self, f"_{record.kind}")
        self._pending = []
        try:
            with self.session.begin_nested():
                handler(record)
                self.session.flush()
        except RecordProblem as problem:
            self.report.problem(record.source, record.kind, str(problem))
            return
        except Exception as error:  # noqa: BLE001 - one bad record must not stop the import
            message = str(error).splitlines()[0] if str(error) else ""
            self.report.problem(record.source, record.kind, f"{type(error).__name__}: {message}")
            return
        for outcome, kind, key in self._pending:
            if (kind, key) in self.counted:
                continue
            self.counted.add((kind, key))
            getattr(self.report, outcome)[kind] += 1

    def _count(self, outcome: str, kind: str, row) -> None:
        self._pending.append(
            (outcome, kind, id(row) if row.legistar_id is None else row.legistar_id)
        )

    def _save(self, kind: str, row, created: bool, changed: bool) -> None:
        if created:
            self.session.add(row)
        self._count("created" if created else "updated" if changed else "unchanged", kind, row)

    def _find(self, model, legistar_id: int):
        return self.session.scalars(select(model).where(model.legistar_id == legistar_id)).first()

    # Records ------------------------------------------------------------------------------------

    def _body(self, record: LegistarRecord) -> None:
        data = record.data
        size = _optional_int(data, "BodyNumberOfMembers")
        self.body(_id(data, "BodyId"), _text(data, "BodyName"), size if size and size > 0 else None)

    def _person(self, record: LegistarRecord) -> None:
        data = record.data
        legistar_id = _id(data, "PersonId")
        name = _text(data, "PersonFullName") or " ".join(
            part for part in (_text(data, "PersonFirstName"), _text(data, "PersonLastName")) if part
        )
        if not name:
            raise RecordProblem("PersonFullName is missing")
        person, created = self._person_row(legistar_id, name)
        changed = _assign(person, name=name, legistar_id=legistar_id)
        self._save("person", person, created, changed)

    def _event(self, record: LegistarRecord) -> None:
        data = record.data
        legistar_id = _id(data, "EventId")
        body = self.body(_optional_id(data, "EventBodyId"), _text(data, "EventBodyName"))
        when = _date(data, "EventDate")
        hearing = self._find(Hearing, legistar_id)
        created = False
        if hearing is None:
            hearing = self._unlinked(
                select(Hearing).where(Hearing.body_id == body.id, Hearing.date == when)
            )
        if hearing is None:
            comment = _text(data, "EventComment")
            title = f"{body.name}: {comment}" if comment else f"{body.name} meeting"
            hearing, created = Hearing(title=title[:300]), True
        changed = _assign(hearing, body=body, date=when, legistar_id=legistar_id)
        self._save("hearing", hearing, created, changed)

    def _matter(self, record: LegistarRecord) -> None:
        data = record.data
        legistar_id = _id(data, "MatterId")
        body_id, body_name = _optional_id(data, "MatterBodyId"), _text(data, "MatterBodyName")
        values = {
            "file_number": _text(data, "MatterFile"),
            "title": _text(data, "MatterTitle")
            or _text(data, "MatterName")
            or _text(data, "MatterFile")
            or f"Legistar matter {legistar_id}",
            "matter_type": _text(data, "MatterTypeName"),
            "status": _text(data, "MatterStatusName"),
            "intro_date": _optional_date(data, "MatterIntroDate"),
            "body": self.body(body_id, body_name) if body_id or body_name else None,
        }
        matter, created = self._matter_row(legistar_id, values["file_number"])
        changed = _assign(matter, legistar_id=legistar_id, **values)
        self._save("matter", matter, created, changed)

    def _event_item(self, record: LegistarRecord) -> None:
        data = record.data
        legistar_id = _id(data, "EventItemId")
        event_id = _id(data, "EventItemEventId")
        hearing = self._find(Hearing, event_id)
        if hearing is None:
            raise RecordProblem(f"its event {event_id} is not imported")
        title = _text(data, "EventItemTitle")
        matter = self._item_matter(data, title)
        sequence = _optional_int(data, "EventItemAgendaSequence")
        if sequence is None:
            sequence = _optional_int(data, "EventItemMinutesSequence") or 0

        item = self._find(AgendaItem, legistar_id)
        created = item is None
        if created:
            item = AgendaItem(legistar_id=legistar_id)
        changed = _assign(item, hearing=hearing, matter=matter, sequence=sequence, title=title)
        self._save("agenda_item", item, created, changed)

        action_name = _text(data, "EventItemActionName")
        action_text = _text(data, "EventItemActionText")
        passed_name = _text(data, "EventItemPassedFlagName")
        if matter is not None and (action_name or action_text or passed_name):
            action = self._find(MatterAction, legistar_id)
            created = action is None
            if created:
                action = MatterAction(legistar_id=legistar_id)
            changed = _assign(
                action,
                matter=matter,
                date=hearing.date,
                body=hearing.body,
                action=(action_name or action_text or passed_name)[:300],
                result=passed_name,
            )
            self._save("matter_action", action, created, changed)

        passed = _optional_int(data, "EventItemPassedFlag")
        recorded = {1: "pass", 0: "fail"}.get(passed) if passed is not None else None
        if recorded is None and passed_name:
            recorded = _recorded_result(passed_name)
        motion = action_text or action_name or title or f"Agenda item {legistar_id}"
        self.motions[legistar_id] = (motion, recorded)
        vote_event = self._find(VoteEvent, legistar_id)
        if vote_event is not None:
            changed = _assign(
                vote_event,
                matter=matter,
                hearing=hearing,
                body=hearing.body,
                date=hearing.date,
                motion=motion,
                recorded_result=recorded,
            )
            self._save("vote_event", vote_event, False, changed)

    def _vote(self, record: LegistarRecord) -> None:
        data = record.data
        legistar_id = _id(data, "VoteId")
        item_id = _optional_id(data, "VoteEventItemId") or record.event_item_hint
        if item_id is None:
            raise RecordProblem(
                "VoteEventItemId is missing and the file name does not say which event item"
            )
        value_name = _text(data, "VoteValueName")
        value = VOTE_VALUE_NAMES.get((value_name or "").casefold())
        if value is None:
            raise RecordProblem(f"unknown vote value {value_name!r}")
        vote_event = self.vote_event(item_id)
        person_id = _id(data, "VotePersonId")
        person = self._find(Person, person_id)
        if person is not None:
            self._count("unchanged", "person", person)
        else:
            name = _text(data, "VotePersonName")
            if not name:
                raise RecordProblem(f"person {person_id} is not imported and the vote has no name")
            person, created = self._person_row(person_id, name)
            changed = _assign(person, legistar_id=person_id)
            self._save("person", person, created, changed)

        vote = self._find(PersonVote, legistar_id)
        if vote is None and vote_event.id is not None:
            vote = self._unlinked(
                select(PersonVote).where(
                    PersonVote.vote_event_id == vote_event.id, PersonVote.person_id == person.id
                )
            )
        created = vote is None
        if created:
            vote = PersonVote()
        changed = _assign(
            vote, vote_event=vote_event, person=person, value=value, legistar_id=legistar_id
        )
        self._save("person_vote", vote, created, changed)

    # Rows shared by several kinds of record -----------------------------------------------------

    def body(self, legistar_id: int | None, name: str | None, size: int | None = None) -> Body:
        """Return the body with this Legistar id or name, created or updated."""
        if legistar_id is None and not name:
            raise RecordProblem("no body: its id and name are both missing")
        body = self._find(Body, legistar_id) if legistar_id is not None else None
        named = (
            self.session.scalars(select(Body).where(Body.name == name)).first() if name else None
        )
        if body is None and named is not None:
            if legistar_id is not None and named.legistar_id not in (None, legistar_id):
                raise RecordProblem(
                    f"body {name!r} is Legistar body {named.legistar_id}, not {legistar_id}"
                )
            body = named
        created = body is None
        if created:
            if not name:
                raise RecordProblem(f"body {legistar_id} is not imported and has no name here")
            body = Body(name=name)
        values: dict = {"legistar_id": legistar_id} if legistar_id is not None else {}
        if name and (named is None or named is body):
            values["name"] = name
        if size is not None:
            values["size"] = size
        changed = _assign(body, **values)
        self._save("body", body, created, changed)
        if created:
            # Later queries in the same record compare against its id.
            self.session.flush()
        return body

    def vote_event(self, event_item_id: int) -> VoteEvent:
        """Return the vote event of an event item, creating it from the item."""
        vote_event = self._find(VoteEvent, event_item_id)
        if vote_event is not None:
            self._count("unchanged", "vote_event", vote_event)
            return vote_event
        item = self._find(AgendaItem, event_item_id)
        if item is None:
            raise RecordProblem(f"its event item {event_item_id} is not imported")
        motion, recorded = self.motions.get(event_item_id, (None, None))
        if motion is None:
            action = self._find(MatterAction, event_item_id)
            motion = (
                (action.action if action else None) or item.title or f"Agenda item {event_item_id}"
            )
            recorded = _recorded_result(action.result) if action and action.result else None
        hearing = item.hearing
        vote_event = VoteEvent(
            legistar_id=event_item_id,
            body=hearing.body,
            hearing=hearing,
            matter=item.matter,
            date=hearing.date,
            motion=motion,
            recorded_result=recorded,
        )
        self._save("vote_event", vote_event, True, True)
        return vote_event

    def _item_matter(self, data: dict, item_title: str | None) -> Matter | None:
        legistar_id = _optional_id(data, "EventItemMatterId")
        if legistar_id is None:
            return None
        file_number = _text(data, "EventItemMatterFile")
        values = {
            "file_number": file_number,
            "title": item_title
            or _text(data, "EventItemMatterName")
            or file_number
            or f"Legistar matter {legistar_id}",
            "matter_type": _text(data, "EventItemMatterType"),
            "status": _text(data, "EventItemMatterStatus"),
        }
        matter, created = self._matter_row(legistar_id, file_number)
        missing = {name: value for name, value in values.items() if getattr(matter, name) is None}
        changed = _assign(matter, legistar_id=legistar_id, **missing)
        self._save("matter", matter, created, changed)
        return matter

    def _matter_row(self, legistar_id: int, file_number: str | None) -> tuple[Matter, bool]:
        matter = self._find(Matter, legistar_id)
        if matter is None and file_number:
            matter = self._unlinked(select(Matter).where(Matter.file_number == file_number))
        return (matter, False) if matter is not None else (Matter(), True)

    def _person_row(self, legistar_id: int, name: str) -> tuple[Person, bool]:
        person = self._find(Person, legistar_id)
        if person is None:
            person = self._unlinked(select(Person).where(Person.name == name))
        if person is None:
            return Person(name=name), True
        return person, False

    def _unlinked(self, statement):
        """Return the one row the statement finds that has no Legistar id yet, else None."""
        model = statement.column_descriptions[0]["entity"]
        rows = list(self.session.scalars(statement.where(model.legistar_id.is_(None)).limit(2)))
        return rows[0] if len(rows) == 1 else None


# Fetching from the API --------------------------------------------------------------------------


def sync(
    session: Session,
    client: str,
    base_url: str = DEFAULT_BASE_URL,
    since: date | None = None,
    *,
    timeout: float = 30.0,
    http: requests.Session | None = None,
) -> ImportReport:
    """Fetch a client's events with their items, votes, voters and matters, and import them.

    Votes are fetched for event items that record a result (EventItemPassedFlag), since only
    those had a vote. A request that fails after the events were listed is reported and the
    sync goes on.

    Raises:
        LegistarUnavailable: the list of events could not be fetched.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]+", client or ""):
        raise ValueError(f"{client!r} is not a Legistar client name (letters, digits, - and _).")
    api = f"{base_url.rstrip('/')}/v1/{client}"
    report = ImportReport()
    if http is not None:
        records = _fetch_records(http, api, since, timeout, report)
    else:
        with requests.Session() as own:
            records = _fetch_records(own, api, since, timeout, report)
    return import_records(session, records, report)


def _fetch_records(
    http: requests.Session, api: str, since: date | None, timeout: float, report: ImportReport
) -> list[LegistarRecord]:
    """Return the events since a date and the records they lead to; report failed requests."""
    http.headers.setdefault("Accept", "application/json")

    def fetch(path: str, hint: int | None = None) -> list[LegistarRecord]:
        url = f"{api}/{path}"
        try:
            payload = _get_json(http, url, timeout)
        except LegistarUnavailable as error:
            report.problem(url, "request", str(error))
            return []
        return classify(payload, url, report, hint)

    events = _fetch_events(http, api, since, timeout, report)
    records = list(events)
    voters: set[int] = set()
    matters: set[int] = set()
    for event in events:
        event_id = _plain_id(event.data, "EventId")
        if event_id is None:
            continue
        items = fetch(f"events/{event_id}/eventitems?AgendaNote=1&MinutesNote=1&Attachments=0")
        records.extend(items)
        for item in items:
            item_id = _plain_id(item.data, "EventItemId")
            matter_id = _plain_id(item.data, "EventItemMatterId")
            if matter_id is not None:
                matters.add(matter_id)
            if item_id is None or item.data.get("EventItemPassedFlag") is None:
                continue
            votes = fetch(f"eventitems/{item_id}/votes", hint=item_id)
            records.extend(votes)
            voters.update(
                person_id
                for vote in votes
                if (person_id := _plain_id(vote.data, "VotePersonId")) is not None
            )
    for person_id in sorted(voters):
        records.extend(fetch(f"persons/{person_id}"))
    for matter_id in sorted(matters):
        records.extend(fetch(f"matters/{matter_id}"))
    return records


def _fetch_events(
    http, api: str, since: date | None, timeout: float, report
) -> list[LegistarRecord]:
    query = ""
    if since:
        query = "$filter=" + quote(f"EventDate ge datetime'{since.isoformat()}'") + "&"
    events: list[LegistarRecord] = []
    seen: set = set()
    skip = 0
    while True:
        url = f"{api}/events?{query}$orderby=EventDate&$top={PAGE_SIZE}&$skip={skip}"
        payload = _get_json(http, url, timeout)
        if not isinstance(payload, list):
            raise LegistarUnavailable(f"{url} did not answer with a list of events")
        page = classify(payload, url, report)
        fresh = [event for event in page if _key(event) not in seen]
        seen.update(_key(event) for event in fresh)
        events.extend(fresh)
        # A server that ignores $skip answers the same page again; stop rather than loop.
        if len(payload) < PAGE_SIZE or not fresh:
            return events
        skip += PAGE_SIZE


def _get_json(http: requests.Session, url: str, timeout: float):
    try:
        response = http.get(url, timeout=timeout)
    except requests.Timeout:
        raise LegistarUnavailable(f"{url} did not answer within {timeout:g} seconds") from None
    except requests.RequestException as error:
        reason = type(error).__name__
        raise LegistarUnavailable(f"cannot reach {url} ({reason})") from None
    if response.status_code != 200:
        raise LegistarUnavailable(f"{url} answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise LegistarUnavailable(f"{url} did not answer with JSON") from None


# Field readers ----------------------------------------------------------------------------------


def _record_kind(entry) -> str | None:
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


def _key(record: LegistarRecord):
    value = _plain_id(record.data, RECORD_KEYS[record.kind])
    return value if value is not None else id(record)


def _id(data: dict, key: str) -> int:
    value = _optional_id(data, key)
    if value is None:
        raise RecordProblem(f"{key} is missing")
    return value


def _optional_id(data: dict, key: str) -> int | None:
    value = _optional_int(data, key)
    if value is not None and value < 0:
        raise RecordProblem(f"{key} is {value}, not an id")
    return value


def _plain_id(data: dict, key: str) -> int | None:
    """Return an id to follow, or None when it is missing or malformed (its import reports it)."""
    try:
        return _optional_id(data, key)
    except RecordProblem:
        return None


def _optional_int(data: dict, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise RecordProblem(f"{key} is {value!r}, not a whole number")


def _text(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordProblem(f"{key} is {value!r}, not text")
    return value.strip() or None


def _date(data: dict, key: str) -> date:
    value = _optional_date(data, key)
    if value is None:
        raise RecordProblem(f"{key} is missing")
    return value


def _optional_date(data: dict, key: str) -> date | None:
    text = _text(data, key)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise RecordProblem(f"{key} is {text!r}, not a date") from None


def _recorded_result(name: str) -> str | None:
    folded = name.strip().casefold()
    if folded.startswith("pass") or folded in ("adopted", "carried"):
        return "pass"
    if folded.startswith("fail") or folded in ("lost", "defeated"):
        return "fail"
    return None


def _assign(row, **values) -> bool:
    """Set the values that differ and return whether any did."""
    from hearings.models.base import stored_form

    changed = False
    for name, value in values.items():
        # Compared as it would be stored (cleaned, cut to the column), so a re-import of the
        # same file changes nothing.
        value = stored_form(row, name, value)
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _type(value) -> str:
    return {dict: "an object", list: "a list", str: "text", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _natural(path: Path) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


# Commands ---------------------------------------------------------------------------------------

legistar_cli = AppGroup("legistar", help="Import events, matters, people and votes from Legistar.")


@legistar_cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_command(directory: Path) -> None:
    """Import Legistar Web API responses saved as JSON files in DIRECTORY.

    Each file holds one record or a list of records as the API returns them: events,
    event items, votes, persons, matters or bodies, told apart by their id keys (EventId,
    EventItemId, VoteId, PersonId, MatterId, BodyId), whatever the file is called. Votes
    name their event item (VoteEventItemId); in dumps where they do not, name the votes file
    "..._event_<n>_item_<m>_votes.json" for item m (from 0) of "..._event_<n>_items.json".
    Importing again updates what changed and never duplicates. Bad records are reported
    and skipped; the rest are imported.
    """
    report = import_directory(db.session, directory)
    for line in report.lines():
        click.echo(line)
    # What was valid is imported; a script running the import still learns that some was not.
    if report.problems:
        sys.exit(1)


@legistar_cli.command("sync")
@click.option("--client", required=True, help="Legistar client name, e.g. seattle.")
@click.option(
    "--base-url", default=DEFAULT_BASE_URL, show_default=True, help="Legistar Web API address."
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only meetings on or after this date, YYYY-MM-DD.",
)
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per request.")
def sync_command(client: str, base_url: str, since: datetime | None, timeout: float) -> None:
    """Fetch meetings, agenda items, votes, voters and matters from the Legistar Web API."""
    try:
        report = sync(
            db.session, client, base_url, since.date() if since else None, timeout=timeout
        )
    except (LegistarUnavailable, ValueError) as error:
        raise click.ClickException(str(error)) from None
    for line in report.lines():
        click.echo(line)
    if report.problems:
        sys.exit(1)


__all__ = [
    "DEFAULT_BASE_URL",
    "ImportReport",
    "LegistarRecord",
    "LegistarUnavailable",
    "Problem",
    "VOTE_VALUE_NAMES",
    "classify",
    "import_directory",
    "import_records",
    "legistar_cli",
    "read_directory",
    "sync",
]

"""Sign-up lists and speaker cards: read them, match them to the voices of public comment, and
turn each confirmed card into card testimony linked to what its signer said.

A list is pasted or uploaded as CSV (a header row naming the columns, or the columns in the
order name, organization, position, matter) or as one name per line. It is read whole before
anything is stored: a list with a bad row is refused with a report of every bad row, so a
fixed list can be sent again without doubling the good rows.

Matching is a suggestion worked out each time the list is shown, never stored: the public
speakers are called in the order of the list, so the list's rows are paired in order with the
voices that speak once during public comment, anchored wherever a row's name was heard in the
hearing (an introduction or the chair's call-up, hearings.introductions) or is already the
voice's name. Before the first anchor the rows are paired with the voices nearest it, since
presentations come before public comment. A clerk confirms each pairing, picks another
voice, records the card alone (the signer did not speak) or sets the row aside.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import select

from hearings.audit import audit_created, audited
from hearings.errors import Conflict, Refused
from hearings.models import AgendaItem, Hearing, Matter, Membership, Person, Speaker, Testimony
from hearings.models.base import DbSession, utcnow
from hearings.models.testimony import SignupEntry
from hearings.organizations import normalise_name
from hearings.timecodes import clock

MAX_LIST_BYTES = 256 * 1024
MAX_ROWS = 1000
NAME_LIMIT = 200
# How alike a row's name and a name heard for a voice must be (rapidfuzz token ratio, 0-100)
# to anchor the row to that voice: "Tamika Harris" heard as "Tamika Haris" still anchors.
NAME_MATCH = 85
# A voice heard in at least this many separate turns, spread over more than this share of
# the hearing, is the chair or staff, not a member of the public who speaks once.
RECURRING_TURNS = 3
RECURRING_SPREAD = 0.4

_POSITION_WORDS = {
    "support": "support",
    "supports": "support",
    "for": "support",
    "in favor": "support",
    "in favour": "support",
    "favor": "support",
    "favour": "support",
    "pro": "support",
    "yes": "support",
    "oppose": "oppose",
    "opposes": "oppose",
    "opposed": "oppose",
    "against": "oppose",
    "con": "oppose",
    "no": "oppose",
    "neutral": "neutral",
    "other": "neutral",
    "information": "neutral",
    "for information": "neutral",
}
_COLUMNS = {
    "name": ("name", "full name", "speaker", "speaker name", "your name"),
    "organization": (
        "organization",
        "organisation",
        "org",
        "affiliation",
        "representing",
        "on behalf of",
        "group",
    ),
    "position": ("position", "stance", "support/oppose", "for/against", "position ticked"),
    "matter": ("matter", "file", "file number", "file no", "item", "agenda item"),
}
_ORDER = ("name", "organization", "position", "matter")


@dataclass
class ListRow:
    """One good row of a list: what the card says, its matter found in the record."""

    name: str
    organization: str | None
    position: str
    matter: Matter


@dataclass
class ListProblem:
    line: int
    message: str


@dataclass
class ReadList:
    rows: list[ListRow] = field(default_factory=list)
    problems: list[ListProblem] = field(default_factory=list)


class BadList(Refused):
    """The list has bad rows: nothing was imported; ``problems`` says what to fix, by row."""

    def __init__(self, problems: Sequence[ListProblem]) -> None:
        count = len(problems)
        super().__init__(
            f"{count} row{'s' if count != 1 else ''} of the list could not be read, so nothing"
            " was imported. Fix them and import the list again."
        )
        self.problems = list(problems)


# --- Reading ----------------------------------------------------------------------------------


def decode_list(data: bytes) -> str:
    """Return an uploaded list's text: UTF-8 (with or without a byte-order mark) or Windows-1252.

    Spreadsheet programs save CSV in either; anything with NUL bytes is not a text list.
    """
    if b"\x00" in data:
        raise Refused("That file is not a text or CSV list (it holds binary data).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def position_from(ticked: str) -> str | None:
    """Return the position a card's tick means, "not_stated" for none, None if unreadable."""
    key = " ".join(ticked.casefold().replace("_", " ").split()).strip(" .")
    if not key or key in {"-", "none", "not stated", "blank"}:
        return "not_stated"
    return _POSITION_WORDS.get(key)


def read_list(
    session: DbSession, text: str, default_matter: Matter | None, hearing: Hearing
) -> ReadList:
    """Read a pasted or uploaded list into rows, with a problem for each row that is wrong."""
    if len(text.encode("utf-8")) > MAX_LIST_BYTES:
        raise Refused(f"The list is larger than {MAX_LIST_BYTES // 1024} KB; split it up.")
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise Refused("The list is empty: paste the names, one per line, or a CSV file.")
    records = _records(lines)
    if len(records) > MAX_ROWS:
        raise Refused(f"The list has {len(records)} rows; {MAX_ROWS} at most at a time.")
    result = ReadList()
    matters = _MatterFinder(session, hearing)
    for number, fields in records:
        problems = []
        if fields.get("unreadable"):
            result.problems.append(ListProblem(number, "the row could not be read as CSV."))
            continue
        if fields.get("extra"):
            problems.append("more columns than name, organization, position and matter")
        name = " ".join(fields.get("name", "").split())
        if not name:
            problems.append("no name")
        elif len(name) > NAME_LIMIT:
            problems.append(f"the name is longer than {NAME_LIMIT} characters")
        organization = " ".join(fields.get("organization", "").split()) or None
        if organization and len(organization) > NAME_LIMIT:
            problems.append(f"the organization is longer than {NAME_LIMIT} characters")
        ticked = fields.get("position", "")
        position = position_from(ticked)
        if position is None:
            problems.append(
                f"the position “{ticked.strip()}” is not support, oppose or neutral (or left blank)"
            )
        matter_text = fields.get("matter", "").strip()
        matter = matters.find(matter_text) if matter_text else default_matter
        if matter is None:
            problems.append(
                f"no matter in the record is “{matter_text}”"
                if matter_text
                else "no matter: give one in the row or choose one for the whole list"
            )
        if problems:
            result.problems.append(ListProblem(number, "; ".join(problems) + "."))
            continue
        assert matter is not None and position is not None
        result.rows.append(ListRow(name, organization, position, matter))
    return result


def _records(lines: list[tuple[int, str]]) -> list[tuple[int, dict[str, str]]]:
    """Return each row's fields by column name: a header row, column order, or names alone.

    The first line decides the separator (a tab, else a comma, else a semicolon; none means
    one name per line, so "Harris, Ron" further down stays a name). Each line is read on its
    own, so a stray quote can only spoil its own row, never swallow the rows after it.
    """
    first = lines[0][1]
    delimiter = next((d for d in ("\t", ",", ";") if d in first), None)
    if delimiter is None:
        return [(number, {"name": line}) for number, line in lines]
    parsed: list[tuple[int, list[str] | None]] = []
    for number, line in lines:
        try:
            parsed.append((number, next(csv.reader([line], delimiter=delimiter), [])))
        except csv.Error:
            parsed.append((number, None))
    header = [cell.strip().casefold() for cell in parsed[0][1] or []]
    columns: list[str | None] = []
    for cell in header:
        column = _column_of(cell)
        # A column named twice is read once; the second is an extra column.
        columns.append(column if column not in columns else None)
    if "name" in columns:
        parsed = parsed[1:]
    else:
        columns = list(_ORDER)
    records = []
    for number, cells in parsed:
        if cells is None:
            records.append((number, {"unreadable": "yes"}))
            continue
        fields: dict[str, str] = {}
        for index, cell in enumerate(cells):
            column = columns[index] if index < len(columns) else None
            if column:
                fields[column] = cell
            elif cell.strip():
                fields["extra"] = cell
        records.append((number, fields))
    return records


def _column_of(header: str) -> str | None:
    for column, names in _COLUMNS.items():
        if header in names:
            return column
    return None


class _MatterFinder:
    """Finds a row's matter by file number or title, preferring this hearing's agenda.

    Names are compared here, case-folded with spaces evened out, not with SQL lower(), which
    SQLite applies to ASCII letters only; matters are few beside lines.
    """

    def __init__(self, session: DbSession, hearing: Hearing) -> None:
        self.session = session
        self.hearing = hearing
        self.by_number: dict[str, Matter] | None = None
        self.by_title: dict[str, list[Matter]] = {}

    def find(self, text: str) -> Matter | None:
        if self.by_number is None:
            self._load()
        assert self.by_number is not None
        key = _key(text)
        return self.by_number.get(key) or next(iter(self.by_title.get(key, [])), None)

    def _load(self) -> None:
        on_agenda = {item.matter_id for item in _agenda(self.session, self.hearing)}
        matters = sorted(
            self.session.scalars(select(Matter)), key=lambda m: (m.id not in on_agenda, m.id)
        )
        self.by_number = {_key(m.file_number): m for m in reversed(matters) if m.file_number}
        for matter in matters:
            self.by_title.setdefault(_key(matter.title), []).append(matter)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def matter_choices(session: DbSession, hearing: Hearing) -> list[Matter]:
    """Return the matters a list can be on: this hearing's agenda first, then the rest."""
    on_agenda = [item.matter for item in _agenda(session, hearing) if item.matter is not None]
    others = session.scalars(select(Matter).order_by(Matter.title))
    return list(dict.fromkeys([*on_agenda, *others]))


def _agenda(session: DbSession, hearing: Hearing) -> list[AgendaItem]:
    return list(
        session.scalars(
            select(AgendaItem)
            .where(AgendaItem.hearing_id == hearing.id)
            .order_by(AgendaItem.sequence, AgendaItem.id)
        )
    )


def _entry_state(entry: SignupEntry) -> dict:
    return {
        "sequence": entry.sequence,
        "name": entry.name,
        "organization": entry.organization,
        "position": entry.position,
        "matter_id": entry.matter_id,
        "state": entry.state,
        "person_id": entry.person_id,
        "spoke_at_ms": entry.spoke_at_ms,
        "card_testimony_id": entry.card_testimony_id,
    }


def import_list(
    session: DbSession,
    user,
    hearing: Hearing,
    text: str,
    *,
    source: str,
    default_matter: Matter | None,
) -> list[SignupEntry]:
    """Store every row of the list after the rows already imported for the hearing.

    Raises:
        BadList: a row is wrong; nothing is stored.
        Refused: the list as a whole cannot be read (empty, too large).
    """
    read = read_list(session, text, default_matter, hearing)
    if read.problems:
        raise BadList(read.problems)
    last = session.scalar(
        select(SignupEntry.sequence)
        .where(SignupEntry.hearing_id == hearing.id)
        .order_by(SignupEntry.sequence.desc())
        .limit(1)
    )
    entries = []
    for offset, row in enumerate(read.rows, 1):
        entry = SignupEntry(
            hearing_id=hearing.id,
            sequence=(last or 0) + offset,
            name=row.name,
            organization=row.organization,
            position=row.position,
            matter_id=row.matter.id,
            source=source[:255],
            imported_by_id=getattr(user, "id", None),
            state="pending",
        )
        session.add(entry)
        audit_created(session, user, "signup.import", entry, _entry_state, hearing_id=hearing.id)
        entries.append(entry)
    return entries


def entries_of(session: DbSession, hearing: Hearing) -> list[SignupEntry]:
    return list(
        session.scalars(
            select(SignupEntry)
            .where(SignupEntry.hearing_id == hearing.id)
            .order_by(SignupEntry.sequence)
        )
    )


# --- Matching ---------------------------------------------------------------------------------


@dataclass
class Voice:
    """A voice of the hearing as matching sees it."""

    speaker: Speaker
    first_ms: int
    turns: int
    last_ms: int

    @property
    def names(self) -> list[str]:
        known = [self.speaker.person.name] if self.speaker.person else []
        return known + ([self.speaker.heard_name] if self.speaker.heard_name else [])


@dataclass
class Match:
    """The voice suggested for a pending row, and why."""

    speaker: Speaker
    first_ms: int
    reason: str


def voices_of(hearing: Hearing) -> list[Voice]:
    """Return the hearing's voices in order of first speech, with their turns counted."""
    seen: dict[int, Voice] = {}
    previous = None
    for line in hearing.segments:
        speaker = line.speaker
        if speaker is None:
            previous = None
            continue
        voice = seen.get(speaker.id)
        if voice is None:
            voice = seen[speaker.id] = Voice(speaker, line.start_ms, 0, line.end_ms)
        if previous != speaker.id:
            voice.turns += 1
        voice.last_ms = max(voice.last_ms, line.end_ms)
        previous = speaker.id
    return sorted(seen.values(), key=lambda v: v.first_ms)


def public_voices(session: DbSession, hearing: Hearing) -> list[Voice]:
    """Return the voices that can be a member of the public: not a seated member, not a voice
    that recurs through the hearing (the chair, the clerk, staff answering questions)."""
    voices = voices_of(hearing)
    if not voices:
        return []
    length = max(v.last_ms for v in voices) - min(v.first_ms for v in voices) or 1
    members = set(
        session.scalars(select(Membership.person_id).where(Membership.body_id == hearing.body_id))
    )
    return [
        voice
        for voice in voices
        if voice.speaker.person_id not in members
        and not (
            voice.turns >= RECURRING_TURNS
            and (voice.last_ms - voice.first_ms) > RECURRING_SPREAD * length
        )
    ]


def _same_name(card: str, heard: str, shared_surnames: frozenset[str] = frozenset()) -> bool:
    a, b = normalise_name(card), normalise_name(heard)
    if not a or not b:
        return False
    if a == b or fuzz.token_sort_ratio(a, b) >= NAME_MATCH:
        return True
    # "Ms. Harris" heard, "Tamika Harris" on the card: the surname alone, when it is a whole
    # word of both, the heard name is one word, and no other row on the list has that surname.
    return len(b.split()) == 1 and b == a.split()[-1] and b not in shared_surnames


def suggested_matches(
    session: DbSession, hearing: Hearing, entries: Sequence[SignupEntry]
) -> dict[int, Match]:
    """Return a suggested voice for each pending row, by name where heard, else by order.

    Rows already confirmed hold their place: the voices before and after them are paired with
    the rows before and after them.
    """
    voices = public_voices(session, hearing)
    counted: dict[str, int] = {}
    for entry in entries:
        for surname in normalise_name(entry.name).split()[-1:]:
            counted[surname] = counted.get(surname, 0) + 1
    shared = frozenset(name for name, count in counted.items() if count > 1)
    # Anchors: (row position, voice position), kept only while both go forward.
    anchors: list[tuple[int, int, str, bool]] = []
    by_person = {v.speaker.person_id: i for i, v in enumerate(voices) if v.speaker.person_id}
    last_voice = -1
    for row, entry in enumerate(entries):
        found: int | None = None
        how = ""
        if entry.state == "confirmed":
            found = by_person.get(entry.person_id) if entry.person_id else None
        elif entry.state == "pending":
            for position in range(last_voice + 1, len(voices)):
                said = [n for n in voices[position].names if _same_name(entry.name, n, shared)]
                if said:
                    found, how = position, said[0]
                    break
        if found is not None and found > last_voice:
            anchors.append((row, found, how, entry.state == "pending"))
            last_voice = found
    matches: dict[int, Match] = {}
    taken = {voice for _, voice, _, _ in anchors}
    for row, at, heard, pending in anchors:
        if pending:
            anchor = voices[at]
            matches[entries[row].id] = Match(
                anchor.speaker, anchor.first_ms, f"name heard or given: “{heard}”"
            )
    # Between anchors, rows and voices pair off in order.
    bounds = (
        [(-1, -1)] + [(row, voice) for row, voice, _, _ in anchors] + [(len(entries), len(voices))]
    )
    for (row_from, voice_from), (row_to, voice_to) in zip(bounds, bounds[1:], strict=False):
        rows = [
            entries[r]
            for r in range(row_from + 1, row_to)
            if entries[r].state == "pending" and entries[r].id not in matches
        ]
        free = [
            voices[v]
            for v in range(voice_from + 1, voice_to)
            if v not in taken and voices[v].speaker.person_id is None
        ]
        if row_from == -1 and row_to < len(entries) and len(free) > len(rows):
            # Before the first row whose voice is known, the spare voices are the ones that
            # came first (presentations, staff reports): public comment ends at the anchor.
            free = free[len(free) - len(rows) :]
        for entry, next_voice in zip(rows, free, strict=False):
            matches[entry.id] = Match(
                next_voice.speaker,
                next_voice.first_ms,
                "in order: the next unnamed public speaker, first heard at"
                f" {clock(next_voice.first_ms)}",
            )
    return matches


# --- Deciding ---------------------------------------------------------------------------------


def _pending(entry: SignupEntry) -> None:
    if entry.state != "pending":
        raise Conflict(f"“{entry.name}” was already {entry.state}; reload the page.")


def _decided(entry: SignupEntry, user, state: str) -> None:
    entry.state = state
    entry.decided_at = utcnow()
    entry.decided_by_id = getattr(user, "id", None)


def confirm_entry(
    session: DbSession, user, entry: SignupEntry, speaker: Speaker | None
) -> Testimony:
    """Record the card: its person names the voice (if given), card testimony with the card's
    position, and the voice's words as that person's spoken testimony on the matter, linked.

    Raises:
        Conflict: the row was decided already, or the voice is named as someone else.
    """
    from hearings.people import person_or_new
    from hearings.speakers import name_speaker
    from hearings.testimony import create_card_testimony

    _pending(entry)
    hearing = entry.hearing
    if speaker is not None and speaker.hearing_id != hearing.id:
        raise Refused("That voice is not part of this hearing.")
    if speaker is not None and speaker.person is not None:
        if not _same_name(entry.name, speaker.person.name):
            raise Conflict(
                f"{speaker.label} is named {speaker.person.name}, not {entry.name}: take that"
                " name off the voice first, or pick another voice."
            )
        person = speaker.person
    else:
        person = person_or_new(session, user, entry.name, entry.organization)
        if speaker is not None:
            name_speaker(session, user, speaker, person_id=person.id)
    organizations = [entry.organization] if entry.organization else []
    card = create_card_testimony(
        session,
        user,
        entry.matter,
        person_id=person.id,
        organization_names=organizations,
        position=entry.position,
        hearing_id=hearing.id,
        received_on=hearing.date,
    )
    if speaker is not None:
        card.spoken_testimony = _spoken_testimony(
            session, user, entry, speaker, person, organizations
        )
        entry.spoke_at_ms = speaker_first_ms(hearing, speaker)
    with audited(session, user, "signup.confirm", entry, _entry_state, hearing_id=hearing.id):
        entry.person = person
        entry.card_testimony = card
        _decided(entry, user, "confirmed")
    return card


def _spoken_testimony(
    session: DbSession,
    user,
    entry: SignupEntry,
    speaker: Speaker,
    person: Person,
    organizations: list[str],
) -> Testimony | None:
    """Return the person's spoken testimony on the matter here, recording it if there is none.

    The card's position is the signer's own statement, so it is the spoken testimony's
    position too, confirmed by the clerk's match.
    """
    from hearings.testimony import create_oral_testimony

    hearing = entry.hearing
    existing = session.scalars(
        select(Testimony).where(
            Testimony.hearing_id == hearing.id,
            Testimony.matter_id == entry.matter_id,
            Testimony.person_id == person.id,
            Testimony.kind == "oral",
        )
    ).first()
    if existing is not None:
        return existing
    lines = [s.id for s in hearing.segments if s.speaker_id == speaker.id]
    if not lines:
        return None
    return create_oral_testimony(
        session,
        user,
        hearing,
        entry.matter,
        lines,
        person_id=person.id,
        organization_names=organizations,
        position=entry.position,
    )


def speaker_first_ms(hearing: Hearing, speaker: Speaker) -> int | None:
    return next((s.start_ms for s in hearing.segments if s.speaker_id == speaker.id), None)


def dismiss_entry(session: DbSession, user, entry: SignupEntry) -> None:
    """Set a row aside (a duplicate card, a name struck out); it stays on the list, marked."""
    _pending(entry)
    with audited(session, user, "signup.dismiss", entry, _entry_state, hearing_id=entry.hearing_id):
        _decided(entry, user, "dismissed")


def pending_count(entries: Iterable[SignupEntry]) -> int:
    return sum(entry.state == "pending" for entry in entries)


def source_name(filename: str | None) -> str:
    """Return the name a list is remembered by: the uploaded file's, or "pasted"."""
    from hearings.storage import display_filename

    return display_filename(filename) if filename else "pasted"

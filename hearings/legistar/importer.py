"""Turn Legistar records into the hearing record, each in its own savepoint."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import requests
from sqlalchemy import select

from hearings.bodies import body_named
from hearings.legistar.client import DEFAULT_BASE_URL, fetch_records
from hearings.legistar.records import (
    RECORD_KEYS,
    VOTE_VALUE_NAMES,
    ImportReport,
    LegistarRecord,
    RecordProblem,
    date_field,
    optional_date,
    optional_id,
    optional_int,
    read_directory,
    required_id,
    text_field,
)
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
from hearings.models.base import DbSession
from hearings.people import people_named


def import_directory(session: DbSession, directory: Path) -> ImportReport:
    """Import every Legistar JSON file in a directory and commit; return what happened."""
    report = ImportReport()
    records = read_directory(Path(directory), report)
    return import_records(session, records, report)


def import_records(
    session: DbSession, records: Iterable[LegistarRecord], report: ImportReport | None = None
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
    def __init__(self, session: DbSession, report: ImportReport):
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
        size = optional_int(data, "BodyNumberOfMembers")
        self.body(
            required_id(data, "BodyId"),
            text_field(data, "BodyName"),
            size if size and size > 0 else None,
        )

    def _person(self, record: LegistarRecord) -> None:
        data = record.data
        legistar_id = required_id(data, "PersonId")
        name = text_field(data, "PersonFullName") or " ".join(
            part
            for part in (text_field(data, "PersonFirstName"), text_field(data, "PersonLastName"))
            if part
        )
        if not name:
            raise RecordProblem("PersonFullName is missing")
        person, created = self._person_row(legistar_id, name)
        changed = _assign(person, name=name, legistar_id=legistar_id)
        self._save("person", person, created, changed)

    def _event(self, record: LegistarRecord) -> None:
        data = record.data
        legistar_id = required_id(data, "EventId")
        body = self.body(optional_id(data, "EventBodyId"), text_field(data, "EventBodyName"))
        when = date_field(data, "EventDate")
        hearing = self._find(Hearing, legistar_id)
        created = False
        if hearing is None:
            hearing = self._unlinked(
                select(Hearing).where(Hearing.body_id == body.id, Hearing.date == when)
            )
        if hearing is None:
            comment = text_field(data, "EventComment")
            title = f"{body.name}: {comment}" if comment else f"{body.name} meeting"
            hearing, created = Hearing(title=title[:300]), True
        changed = _assign(hearing, body=body, date=when, legistar_id=legistar_id)
        self._save("hearing", hearing, created, changed)

    def _matter(self, record: LegistarRecord) -> None:
        data = record.data
        legistar_id = required_id(data, "MatterId")
        body_id, body_name = optional_id(data, "MatterBodyId"), text_field(data, "MatterBodyName")
        file_number = text_field(data, "MatterFile")
        values = {
            "file_number": file_number,
            "title": text_field(data, "MatterTitle")
            or text_field(data, "MatterName")
            or text_field(data, "MatterFile")
            or f"Legistar matter {legistar_id}",
            "matter_type": text_field(data, "MatterTypeName"),
            "status": text_field(data, "MatterStatusName"),
            "intro_date": optional_date(data, "MatterIntroDate"),
            "body": self.body(body_id, body_name) if body_id or body_name else None,
        }
        matter, created = self._matter_row(legistar_id, file_number)
        changed = _assign(matter, legistar_id=legistar_id, **values)
        self._save("matter", matter, created, changed)

    def _event_item(self, record: LegistarRecord) -> None:
        data = record.data
        legistar_id = required_id(data, "EventItemId")
        event_id = required_id(data, "EventItemEventId")
        hearing = self._find(Hearing, event_id)
        if hearing is None:
            raise RecordProblem(f"its event {event_id} is not imported")
        title = text_field(data, "EventItemTitle")
        matter = self._item_matter(data, title)
        sequence = optional_int(data, "EventItemAgendaSequence")
        if sequence is None:
            sequence = optional_int(data, "EventItemMinutesSequence") or 0

        item = self._find(AgendaItem, legistar_id)
        created = item is None
        if created:
            item = AgendaItem(legistar_id=legistar_id)
        changed = _assign(item, hearing=hearing, matter=matter, sequence=sequence, title=title)
        self._save("agenda_item", item, created, changed)

        action_name = text_field(data, "EventItemActionName")
        action_text = text_field(data, "EventItemActionText")
        passed_name = text_field(data, "EventItemPassedFlagName")
        said = action_name or action_text or passed_name
        if matter is not None and said:
            action = self._find(MatterAction, legistar_id)
            created = action is None
            if created:
                action = MatterAction(legistar_id=legistar_id)
            changed = _assign(
                action,
                matter=matter,
                date=hearing.date,
                body=hearing.body,
                action=said[:300],
                result=passed_name,
            )
            self._save("matter_action", action, created, changed)

        passed = optional_int(data, "EventItemPassedFlag")
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
        legistar_id = required_id(data, "VoteId")
        item_id = optional_id(data, "VoteEventItemId") or record.event_item_hint
        if item_id is None:
            raise RecordProblem(
                "VoteEventItemId is missing and the file name does not say which event item"
            )
        value_name = text_field(data, "VoteValueName")
        value = VOTE_VALUE_NAMES.get((value_name or "").casefold())
        if value is None:
            raise RecordProblem(f"unknown vote value {value_name!r}")
        vote_event = self.vote_event(item_id)
        person_id = required_id(data, "VotePersonId")
        person = self._find(Person, person_id)
        if person is not None:
            self._count("unchanged", "person", person)
        else:
            name = text_field(data, "VotePersonName")
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
        named = body_named(self.session, name or "", create=False)
        if body is None and named is not None:
            if legistar_id is not None and named.legistar_id not in (None, legistar_id):
                raise RecordProblem(
                    f"body {name!r} is Legistar body {named.legistar_id}, not {legistar_id}"
                )
            body = named
        created = body is None
        if body is None:
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
        legistar_id = optional_id(data, "EventItemMatterId")
        if legistar_id is None:
            return None
        file_number = text_field(data, "EventItemMatterFile")
        values = {
            "file_number": file_number,
            "title": item_title
            or text_field(data, "EventItemMatterName")
            or file_number
            or f"Legistar matter {legistar_id}",
            "matter_type": text_field(data, "EventItemMatterType"),
            "status": text_field(data, "EventItemMatterStatus"),
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
            person = self._unlinked(people_named(name))
        if person is None:
            return Person(name=name), True
        return person, False

    def _unlinked(self, statement):
        """Return the one row the statement finds that has no Legistar id yet, else None."""
        model = statement.column_descriptions[0]["entity"]
        rows = list(self.session.scalars(statement.where(model.legistar_id.is_(None)).limit(2)))
        return rows[0] if len(rows) == 1 else None


def sync(
    session: DbSession,
    client: str,
    base_url: str = DEFAULT_BASE_URL,
    since: date | None = None,
    *,
    timeout: float = 30.0,
    http: requests.Session | None = None,
) -> ImportReport:
    """Fetch a client's records from the Legistar Web API (see ``fetch_records``), import them.

    Raises:
        LegistarUnavailable: the list of events could not be fetched.
        ValueError: ``client`` is not a Legistar client name.
    """
    report = ImportReport()
    records = fetch_records(client, base_url, since, timeout=timeout, http=http, report=report)
    return import_records(session, records, report)


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

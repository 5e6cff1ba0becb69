"""The public record as data: what the read-only API under /api/v1/ serves.

Every query here runs under the public record's rule (hearings.public_record): the API's
requests are always the public's, even a signed-in clerk's, so drafts, unconfirmed names and
positions, and withheld words never leave through it. Ids are the database's own and stay
with a record through corrections. Lists are paged by an opaque cursor: the key of the last
item given, so a page stays correct while records are added behind it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from hearings.documents import of_body
from hearings.errors import Malformed
from hearings.exports import speaker_name
from hearings.models import (
    AgendaItem,
    Body,
    Document,
    DocumentPage,
    Hearing,
    Matter,
    Membership,
    Organization,
    Person,
    PersonVote,
    Segment,
    Speaker,
    Testimony,
    VoteEvent,
)
from hearings.models.base import DbSession
from hearings.models.testimony import POSITIONS, testimony_organizations
from hearings.votes import outcome

PAGE_SIZE, MAX_PAGE_SIZE = 100, 500


@dataclass
class Page:
    """One page of a list and the cursor of the next (None on the last page)."""

    items: list[dict]
    next_cursor: str | None


def encode_cursor(key: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, length: int) -> list | None:
    """Return the key a cursor holds; Malformed for anything this API did not give."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not (
        isinstance(key, list)
        and len(key) == length
        and all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < 2**63 for k in key)
    ):
        raise Malformed("That cursor is not one this API gave; start again without it.")
    return key


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def iso_day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _paged(session: DbSession, stmt, columns: tuple, cursor: str | None, limit: int, shape):
    """Return a page of ``stmt`` ordered by ``columns`` (a unique key), after the cursor."""
    after = decode_cursor(cursor, len(columns))
    if after is not None:
        # (a, b) > (x, y), written out: SQLite and PostgreSQL both use the index for it.
        later = []
        for i, column in enumerate(columns):
            same = [columns[j] == after[j] for j in range(i)]
            later.append(and_(*same, column > after[i]))
        stmt = stmt.where(or_(*later))
    rows = list(session.scalars(stmt.order_by(*columns).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, column.key) for column in columns])
    return Page([shape(row) for row in rows], next_cursor)


# --- Shapes ----------------------------------------------------------------------------------


def body_data(body: Body, memberships: list[Membership] | None = None) -> dict:
    data: dict = {"id": body.id, "name": body.name, "seats": body.size}
    if memberships is not None:
        data["memberships"] = [membership_data(m) for m in memberships]
    return data


def membership_data(membership: Membership) -> dict:
    return {
        "person": {"id": membership.person_id, "name": membership.person.name},
        "body_id": membership.body_id,
        "role": membership.role,
        "seat": membership.seat,
        "start_date": iso_day(membership.start_date),
        "end_date": iso_day(membership.end_date),
    }


def memberships_of(session: DbSession, body_ids: list[int]) -> dict[int, list[Membership]]:
    """Return the seats of these bodies, newest first, in one query for a whole page."""
    seats: dict[int, list[Membership]] = {body_id: [] for body_id in body_ids}
    for membership in session.scalars(
        select(Membership)
        .where(Membership.body_id.in_(body_ids))
        .options(selectinload(Membership.person))
        .order_by(Membership.start_date.desc().nulls_last(), Membership.id)
    ):
        seats[membership.body_id].append(membership)
    return seats


def hearing_data(hearing: Hearing, link: Callable[..., str]) -> dict:
    return {
        "id": hearing.id,
        "title": hearing.title,
        "body": {"id": hearing.body_id, "name": hearing.body.name},
        "date": iso_day(hearing.date),
        "duration": _seconds(hearing.recording.duration_ms) if hearing.recording else None,
        "language": hearing.transcript_language,
        "machine_transcript": hearing.transcript_model,
        "withdrawn": hearing.withdrawn_at is not None,
        "url": link("hearings.detail", hearing_id=hearing.id),
        "lines_url": link("api.hearing_lines", hearing_id=hearing.id),
    }


def line_data(line: Segment, link: Callable[..., str]) -> dict:
    speaker = line.speaker
    return {
        "id": line.id,
        "hearing_id": line.hearing_id,
        "start": _seconds(line.start_ms),
        "end": _seconds(line.end_ms),
        "speaker": speaker_name(line),
        "speaker_label": speaker.label if speaker else None,
        # Only a name a clerk confirmed is a person; a machine suggestion is not.
        "person_id": speaker.person_id if speaker else None,
        "crosstalk": line.crosstalk,
        "language": line.spoken_language,
        "text": line.text,
        "url": link("hearings.quote", hearing_id=line.hearing_id, start_ms=line.start_ms),
    }


def person_data(person: Person) -> dict:
    organization = person.organization
    return {
        "id": person.id,
        "name": person.name,
        "title": person.title,
        "organization": {"id": organization.id, "name": organization.name}
        if organization
        else None,
    }


def organization_data(organization: Organization) -> dict:
    return {
        "id": organization.id,
        "name": organization.name,
        "kind": organization.kind,
        "url": organization.url,
        "description": organization.description,
        "other_names": [alias.name for alias in organization.aliases],
    }


def matter_data(matter: Matter) -> dict:
    return {
        "id": matter.id,
        "file_number": matter.file_number,
        "title": matter.title,
        "type": matter.matter_type,
        "status": matter.status,
        "introduced": iso_day(matter.intro_date),
        "summary": matter.summary,
        "body_id": matter.body_id,
    }


def agenda_item_data(item: AgendaItem) -> dict:
    return {
        "id": item.id,
        "hearing_id": item.hearing_id,
        "matter_id": item.matter_id,
        "sequence": item.sequence,
        "title": item.title,
        "start": _seconds(item.start_ms),
        "end": _seconds(item.end_ms),
    }


def testimony_data(testimony: Testimony) -> dict:
    return {
        "id": testimony.id,
        "matter_id": testimony.matter_id,
        "hearing_id": testimony.hearing_id,
        "person": {"id": testimony.person_id, "name": testimony.person.name},
        "kind": testimony.kind,
        # A clerk's position only; a machine suggestion is "not_stated" until confirmed.
        "position": testimony.counted_position,
        "on_behalf_of": [{"id": o.id, "name": o.name} for o in testimony.organizations],
        "concerns": [concern.name for concern in testimony.concerns],
        "start": _seconds(testimony.start_ms),
        "end": _seconds(testimony.end_ms),
        "line_ids": [line.id for line in testimony.segments],
        "text": testimony.quote if testimony.kind == "oral" else testimony.written_text,
    }


def vote_data(event: VoteEvent) -> dict:
    try:
        computed = outcome(event)
        result: str | None = "pass" if computed.passed else "fail"
    except ValueError:
        result = None  # a rule the votes cannot decide (no seats known, say)
    return {
        "id": event.id,
        "body_id": event.body_id,
        "matter_id": event.matter_id,
        "hearing_id": event.hearing_id,
        "date": iso_day(event.date),
        "motion": event.motion,
        "rule": event.threshold_rule,
        "required_yes": event.required_yes,
        "seats": event.body_size if event.body_size is not None else event.body.size,
        "result": result,
        "recorded_result": event.recorded_result,
        "votes": [
            {"person_id": vote.person_id, "name": vote.person.name, "vote": vote.value}
            for vote in sorted(event.votes, key=lambda v: v.person.name.lower())
        ],
    }


# What testimony_data and vote_data read, loaded with the rows rather than one query each.
TESTIMONY_SHOWN = (
    selectinload(Testimony.person),
    selectinload(Testimony.organizations),
    selectinload(Testimony.concerns),
    selectinload(Testimony.segments),
)
VOTES_SHOWN = (
    selectinload(VoteEvent.body),
    selectinload(VoteEvent.votes).selectinload(PersonVote.person),
)


# --- Lists -----------------------------------------------------------------------------------


@dataclass
class ListFilters:
    """Filters of the lists, as the search page names them; None leaves a filter out."""

    body: int | None = None
    matter: int | None = None
    person: int | None = None
    organization: int | None = None
    hearing: int | None = None
    position: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def hearings_page(session: DbSession, filters: ListFilters, cursor, limit, link) -> Page:
    stmt = select(Hearing).options(selectinload(Hearing.body), selectinload(Hearing.recording))
    if filters.body:
        stmt = stmt.where(Hearing.body_id == filters.body)
    if filters.date_from:
        stmt = stmt.where(Hearing.date >= filters.date_from)
    if filters.date_to:
        stmt = stmt.where(Hearing.date <= filters.date_to)
    # The public rule leaves published hearings, and withdrawn ones (without their lines).
    return _paged(session, stmt, (Hearing.id,), cursor, limit, lambda h: hearing_data(h, link))


def lines_page(session: DbSession, hearing: Hearing, speaker: int | None, cursor, limit, link):
    stmt = (
        select(Segment)
        .where(Segment.hearing_id == hearing.id)
        .options(selectinload(Segment.speaker).selectinload(Speaker.person))
    )
    if speaker is not None:
        stmt = stmt.where(Segment.speaker_id == speaker)
    columns = (Segment.start_ms, Segment.id)
    return _paged(session, stmt, columns, cursor, limit, lambda s: line_data(s, link))


def people_page(session: DbSession, filters: ListFilters, cursor, limit) -> Page:
    stmt = select(Person).options(selectinload(Person.organization))
    if filters.organization:
        stmt = stmt.where(Person.organization_id == filters.organization)
    if filters.body:
        stmt = stmt.where(
            Person.id.in_(select(Membership.person_id).where(Membership.body_id == filters.body))
        )
    return _paged(session, stmt, (Person.id,), cursor, limit, person_data)


def organizations_page(session: DbSession, cursor, limit) -> Page:
    stmt = select(Organization).options(selectinload(Organization.aliases))
    return _paged(session, stmt, (Organization.id,), cursor, limit, organization_data)


def bodies_page(session: DbSession, cursor, limit) -> Page:
    page = _paged(session, select(Body), (Body.id,), cursor, limit, lambda body: body)
    seats = memberships_of(session, [body.id for body in page.items])
    return Page([body_data(body, seats[body.id]) for body in page.items], page.next_cursor)


def matters_page(session: DbSession, filters: ListFilters, cursor, limit) -> Page:
    stmt = select(Matter)
    if filters.body:
        stmt = stmt.where(Matter.body_id == filters.body)
    if filters.hearing:
        stmt = stmt.where(
            Matter.id.in_(
                select(AgendaItem.matter_id).where(AgendaItem.hearing_id == filters.hearing)
            )
        )
    return _paged(session, stmt, (Matter.id,), cursor, limit, matter_data)


def agenda_page(session: DbSession, filters: ListFilters, cursor, limit) -> Page:
    stmt = select(AgendaItem)
    if filters.hearing:
        stmt = stmt.where(AgendaItem.hearing_id == filters.hearing)
    if filters.matter:
        stmt = stmt.where(AgendaItem.matter_id == filters.matter)
    return _paged(session, stmt, (AgendaItem.id,), cursor, limit, agenda_item_data)


def testimony_page(session: DbSession, filters: ListFilters, cursor, limit) -> Page:
    stmt = select(Testimony).options(*TESTIMONY_SHOWN)
    for value, column in (
        (filters.matter, Testimony.matter_id),
        (filters.person, Testimony.person_id),
        (filters.hearing, Testimony.hearing_id),
    ):
        if value:
            stmt = stmt.where(column == value)
    if filters.organization:
        stmt = stmt.where(
            Testimony.id.in_(
                select(testimony_organizations.c.testimony_id).where(
                    testimony_organizations.c.organization_id == filters.organization
                )
            )
        )
    if filters.position:
        if filters.position not in POSITIONS:
            raise Malformed(f"position is one of {', '.join(POSITIONS)}.")
        stmt = stmt.where(
            Testimony.position == filters.position, Testimony.position_confirmed.is_(True)
        )
    return _paged(session, stmt, (Testimony.id,), cursor, limit, testimony_data)


def votes_page(session: DbSession, filters: ListFilters, cursor, limit) -> Page:
    stmt = select(VoteEvent).options(*VOTES_SHOWN)
    if filters.matter:
        stmt = stmt.where(VoteEvent.matter_id == filters.matter)
    if filters.body:
        stmt = stmt.where(VoteEvent.body_id == filters.body)
    if filters.person:
        stmt = stmt.where(
            VoteEvent.id.in_(
                select(PersonVote.vote_event_id).where(PersonVote.person_id == filters.person)
            )
        )
    return _paged(session, stmt, (VoteEvent.id,), cursor, limit, vote_data)


# --- Documents -------------------------------------------------------------------------------


def document_data(document: Document, link: Callable[..., str]) -> dict:
    return {
        "id": document.id,
        "title": document.title,
        "kind": document.kind,
        "hearing_id": document.hearing_id,
        "matter_id": document.matter_id,
        "testimony_id": document.testimony_id,
        "file_name": document.original_filename,
        "file_type": document.file_type,
        "sha256": document.sha256,
        "pages": document.page_count,
        # Pages are searchable once read; a document still being read lists the pages so far.
        "read": document.state == "read",
        "url": link("documents.detail", document_id=document.id),
        "file_url": link("documents.file", document_id=document.id),
        "pages_url": link("api.document_pages", document_id=document.id),
    }


def document_page_data(page: DocumentPage, link: Callable[..., str]) -> dict:
    return {
        "document_id": page.document_id,
        "number": page.number,
        # text: the file's own text layer; ocr: read from a scan (may have errors).
        "method": page.method,
        "text": page.text,
        "url": link("documents.page", document_id=page.document_id, number=page.number),
    }


def documents_page(session: DbSession, filters: ListFilters, cursor, limit, link) -> Page:
    """Public documents (published, and their hearing too), filtered by hearing or matter."""
    stmt = select(Document).where(Document.published_at.is_not(None))
    if filters.hearing:
        stmt = stmt.where(Document.hearing_id == filters.hearing)
    if filters.matter:
        stmt = stmt.where(Document.matter_id == filters.matter)
    if filters.body:
        stmt = stmt.where(of_body(filters.body))
    return _paged(
        session, stmt, (Document.id,), cursor, limit, lambda row: document_data(row, link)
    )


def document_pages_page(session: DbSession, document: Document, cursor, limit, link) -> Page:
    stmt = select(DocumentPage).where(DocumentPage.document_id == document.id)
    return _paged(
        session,
        stmt,
        (DocumentPage.number,),
        cursor,
        limit,
        lambda row: document_page_data(row, link),
    )

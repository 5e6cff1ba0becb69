"""Matters: adding one by hand, the matter page, what a hearing took up, the clerk's choices.

The matter page shows where a matter was heard, what the public said and how members voted;
a hearing page shows the matters on its agenda and the testimony its lines hold. Functions take
a session and rows, never a request.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from hearings.agenda import agenda_for_hearing
from hearings.audit import audited
from hearings.documents import documents_of
from hearings.errors import Conflict, Refused
from hearings.models import (
    Body,
    Hearing,
    Matter,
    Organization,
    Person,
    Speaker,
    Testimony,
)
from hearings.models.base import DbSession
from hearings.models.testimony import (
    POSITIONS,
    testimony_order,
    testimony_segments,
)
from hearings.tally import concern_counts, position_tally
from hearings.testimony import POSITION_LABELS
from hearings.votes import roll_call_view

# Enough for any council's pick lists while keeping a page bounded.
CHOICES_LIMIT = 2000
RECENT_HEARINGS = 200


def matters_newest_first(session: DbSession, limit: int | None = None) -> list[Matter]:
    """Return matters, most recently introduced first."""
    stmt = select(Matter).order_by(Matter.intro_date.desc().nulls_last(), Matter.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def matter_list(session: DbSession) -> dict:
    """Return what the matters list shows: the matters and how much testimony each drew."""
    counts: dict[int, int] = dict(
        session.execute(
            select(Testimony.matter_id, func.count(Testimony.id)).group_by(Testimony.matter_id)
        ).all()
    )
    return {"matters": matters_newest_first(session), "counts": counts}


def organization_names(session: DbSession) -> list[str]:
    """Return organization names to pick from, alphabetically."""
    return list(
        session.scalars(select(Organization.name).order_by(Organization.name).limit(CHOICES_LIMIT))
    )


def recent_hearings(session: DbSession) -> list[Hearing]:
    """Return the latest hearings to pick from, newest first."""
    return list(
        session.scalars(select(Hearing).order_by(Hearing.date.desc()).limit(RECENT_HEARINGS))
    )


def testimony_choices(session: DbSession) -> dict:
    """Return people, organizations and hearings to pick from in clerk forms."""
    return {
        "people": list(session.scalars(select(Person).order_by(Person.name).limit(CHOICES_LIMIT))),
        "organization_names": organization_names(session),
        "hearings": recent_hearings(session),
    }


def chosen_matter(session: DbSession, matter_id: int | None, missing: str) -> Matter:
    """Return the matter a form chose; Refused saying ``missing`` if there is none."""
    matter = session.get(Matter, matter_id) if matter_id else None
    if matter is None:
        raise Refused(missing)
    return matter


def add_matter(
    session: DbSession,
    user,
    *,
    title: str,
    file_number: str | None,
    body_id: int | None,
    matter_type: str | None,
    status: str | None,
    intro_date: date | None,
    summary: str | None,
) -> Matter:
    """Add a matter typed in by a clerk. Raise Refused saying what to fix."""
    title = " ".join((title or "").split())
    file_number = " ".join((file_number or "").split()) or None
    if body_id and session.get(Body, body_id) is None:
        raise Refused("That body is not in the record.")
    if not title:
        raise Refused("Give the matter's title.")
    if len(title) > 5000 or len(file_number or "") > 50:
        raise Refused("The title or file number is too long.")
    if (
        file_number
        and session.scalars(select(Matter).where(Matter.file_number == file_number)).first()
    ):
        raise Conflict(f"A matter with file number {file_number} is already in the record.")
    matter = Matter(
        title=title,
        file_number=file_number,
        body_id=body_id,
        matter_type=(matter_type or "").strip()[:100] or None,
        status=(status or "").strip()[:100] or None,
        intro_date=intro_date,
        summary=(summary or "").strip() or None,
    )
    with audited(session, user, "matter.create", matter, _matter_state):
        session.add(matter)
    return matter


def _matter_state(matter: Matter) -> dict:
    return {"file_number": matter.file_number, "title": matter.title, "body_id": matter.body_id}


def _heard(hearing: Hearing, start_ms=None, end_ms=None, title=None, item=None) -> dict:
    return {
        "hearing": hearing,
        "start_ms": start_ms,
        "end_ms": end_ms,
        "title": title,
        "item": item,
    }


def hearings_of(matter: Matter) -> list[dict]:
    """Return where the matter came up: agenda items, hearings with testimony or a vote on it."""
    rows = [
        _heard(item.hearing, item.start_ms, item.end_ms, item.title, item)
        for item in matter.agenda_items
    ]
    listed = {row["hearing"].id for row in rows}
    for hearing, start_ms in [(t.hearing, t.start_ms) for t in matter.testimonies] + [
        (event.hearing, None) for event in matter.vote_events
    ]:
        if hearing is not None and hearing.id not in listed:
            listed.add(hearing.id)
            rows.append(_heard(hearing, start_ms))
    return sorted(rows, key=lambda r: (r["hearing"].date, r["hearing"].id, r["start_ms"] or 0))


def public_positions(matter: Matter) -> dict[int, list[str]]:
    """Return person id -> the confirmed positions they took in testimony on the matter."""
    said: dict[int, list[str]] = {}
    for testimony in matter.testimonies:
        if testimony.counted_position != "not_stated":
            said.setdefault(testimony.person_id, []).append(testimony.counted_position)
    return said


def matter_page_context(session: DbSession, matter: Matter) -> dict:
    """Return everything the matter page shows."""
    return {
        "matter": matter,
        "heard": hearings_of(matter),
        "tally": position_tally(session, matter),
        "concern_counts": concern_counts(session, matter),
        "testimonies": sorted(matter.testimonies, key=testimony_order),
        "votes": [roll_call_view(event) for event in matter.vote_events],
        "public_positions": public_positions(matter),
        "positions": POSITIONS,
        "position_labels": POSITION_LABELS,
        "documents": documents_of(session, matter=matter),
    }


def matters_heard(session: DbSession, hearing: Hearing, for_clerk: bool) -> dict:
    """Return a hearing's agenda and testimony; for a clerk also what the forms offer.

    Args:
        for_clerk: add the matters, the people who spoke and the organization names to pick.
    """
    by_segment: dict[int, list[Testimony]] = {}
    for segment_id, testimony in session.execute(
        select(testimony_segments.c.segment_id, Testimony)
        .join(Testimony, Testimony.id == testimony_segments.c.testimony_id)
        .where(Testimony.hearing_id == hearing.id)
    ):
        by_segment.setdefault(segment_id, []).append(testimony)
    record = {
        "agenda": agenda_for_hearing(session, hearing),
        "testimonies": list(
            session.scalars(
                select(Testimony).where(Testimony.hearing_id == hearing.id).order_by(Testimony.id)
            )
        ),
        "by_segment": by_segment,
    }
    if for_clerk:
        speakers = select(Speaker.person_id).where(
            Speaker.hearing_id == hearing.id, Speaker.person_id.is_not(None)
        )
        record.update(
            matters=matters_newest_first(session, limit=500),
            speakers_people=list(
                session.scalars(select(Person).where(Person.id.in_(speakers)).order_by(Person.name))
            ),
            organization_names=organization_names(session),
        )
    return record

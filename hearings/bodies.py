"""Bodies (council, commissions): finding one by name, its seats count, its pages."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from hearings.audit import audited
from hearings.errors import Refused
from hearings.memberships import current_members
from hearings.models import Body, Hearing, Membership, Person, VoteEvent
from hearings.models.base import DbSession

# More seats than any legislature has: a typo, not a body.
MAX_SEATS = 1000


def body_named(session: DbSession, name: str, create: bool = True) -> Body | None:
    """Return the body with this name in any case, adding it if asked; None for a blank name.

    Uploads and the Legistar import both use this, so a clerk's "common council" and
    Legistar's "Common Council" are one body.
    """
    name = " ".join((name or "").split())
    if not name:
        return None
    body = session.scalars(
        select(Body).where(func.lower(Body.name) == name.lower()).order_by(Body.id)
    ).first()
    if body is None and create:
        body = Body(name=name)
        session.add(body)
    return body


def bodies_by_name(session: DbSession) -> list[Body]:
    """Return every body, alphabetically."""
    return list(session.scalars(select(Body).order_by(Body.name)))


def set_body_size(session: DbSession, user, body: Body, size_text: str) -> Body:
    """Record how many seats the body has, as the clerk typed it."""
    raw = size_text.strip()
    # Five digits or more is never a seat count; checking length first keeps int() cheap.
    size = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 5 else None
    if not size or size > MAX_SEATS:
        raise Refused(f"Give the number of seats, a whole number from 1 to {MAX_SEATS}.")
    with audited(session, user, "body.size", body, lambda b: {"size": b.size}):
        body.size = size
    return body


def body_list(session: DbSession, today: date) -> dict:
    """Return the bodies by name, with their hearing counts and members seated today."""
    bodies = bodies_by_name(session)
    hearings = dict(
        session.execute(
            select(Hearing.body_id, func.count(Hearing.id)).group_by(Hearing.body_id)
        ).all()
    )
    members = {body.id: len(current_members(session, body, today)) for body in bodies}
    return {"bodies": bodies, "hearings": hearings, "members": members}


def body_page_context(session: DbSession, body: Body, today: date) -> dict:
    """Return what the body page shows: current, past and future seats, meetings and votes."""
    return {
        "body": body,
        "current": current_members(session, body, today),
        "past": list(
            session.scalars(
                select(Membership)
                .join(Person, Person.id == Membership.person_id)
                .where(Membership.body_id == body.id, Membership.end_date < today)
                .order_by(Person.name)
            )
        ),
        "future": list(
            session.scalars(
                select(Membership).where(
                    Membership.body_id == body.id, Membership.start_date > today
                )
            )
        ),
        "hearings": list(
            session.scalars(
                select(Hearing).where(Hearing.body_id == body.id).order_by(Hearing.date.desc())
            )
        ),
        "votes": list(
            session.scalars(
                select(VoteEvent)
                .where(VoteEvent.body_id == body.id)
                .order_by(VoteEvent.date.desc())
                .limit(100)
            )
        ),
        "today": today,
    }

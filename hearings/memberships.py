"""Seats on bodies: who held them when, recording and ending terms, and the bodies' pages."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select

from hearings.audit import audited
from hearings.errors import Refused
from hearings.models import Body, Hearing, Membership, Person, VoteEvent
from hearings.models.base import DbSession
from hearings.testimony import person_for

MAX_SEATS = 1000


def bodies_by_name(session: DbSession) -> list[Body]:
    """Return every body, alphabetically."""
    return list(session.scalars(select(Body).order_by(Body.name)))


def current_members(session: DbSession, body: Body, on: date) -> list[Membership]:
    """Return the memberships of the body that were current on the day, by member name."""
    return list(
        session.scalars(
            select(Membership)
            .join(Person, Person.id == Membership.person_id)
            .where(
                Membership.body_id == body.id,
                or_(Membership.start_date.is_(None), Membership.start_date <= on),
                or_(Membership.end_date.is_(None), Membership.end_date >= on),
            )
            .order_by(Person.name)
        )
    )


def add_membership(
    session: DbSession,
    user,
    body: Body,
    *,
    person_id: int | None,
    person_name: str | None,
    seat: str | None,
    role: str | None,
    start_date: date | None,
    end_date: date | None,
) -> Membership:
    """Record that a person holds a seat on the body for a term."""
    if start_date and end_date and end_date < start_date:
        raise Refused("The term cannot end before it starts.")
    if not person_id and not (person_name or "").strip():
        raise Refused("Type the member's name.")
    person = person_for(session, person_id, person_name)
    membership = Membership(
        person=person,
        body=body,
        seat=" ".join((seat or "").split())[:100] or None,
        role=" ".join((role or "").split())[:100] or "Member",
        start_date=start_date,
        end_date=end_date,
    )
    with audited(session, user, "membership.create", membership, _seat_state):
        session.add(membership)
    return membership


def end_membership(session: DbSession, user, membership: Membership, on: date) -> Membership:
    """Record the last day of a member's term."""
    if membership.start_date and on < membership.start_date:
        raise Refused("The term cannot end before it starts.")
    with audited(session, user, "membership.end", membership, _term_end_state):
        membership.end_date = on
    return membership


def _seat_state(membership: Membership) -> dict:
    return {
        "person_id": membership.person_id,
        "body_id": membership.body_id,
        "seat": membership.seat,
    }


def _term_end_state(membership: Membership) -> dict:
    return {"end_date": membership.end_date.isoformat() if membership.end_date else None}


def set_body_size(session: DbSession, user, body: Body, size_text: str) -> Body:
    """Record how many seats the body has, as the clerk typed it."""
    raw = size_text.strip()
    # Five digits or more is never a seat count; checking length first keeps int() cheap.
    size = int(raw) if raw.isdigit() and len(raw) < 5 else None
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


def body_record(session: DbSession, body: Body, today: date) -> dict:
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

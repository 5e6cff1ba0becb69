"""Seats on bodies: who held them when, and recording and ending a member's term."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from hearings.audit import audited
from hearings.errors import Refused
from hearings.models import Body, Membership, Person
from hearings.models.base import DbSession
from hearings.testimony import person_for


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

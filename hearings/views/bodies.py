"""Bodies: their members (seats held for a term), meetings and votes; a member's record."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hearings.extensions import db
from hearings.models import (
    Body,
    Hearing,
    Matter,
    Membership,
    Person,
    PersonVote,
    Testimony,
    VoteEvent,
)
from hearings.models.audit import record
from hearings.models.civic import matter_sponsors
from hearings.testimony import TestimonyError, person_for
from hearings.views.auth import clerk_required
from hearings.views.matters import form_date, form_int
from hearings.views.votes import current_members

bp = Blueprint("bodies", __name__)


class MembershipError(ValueError):
    """The seat cannot be recorded as entered."""

    status = 422


def add_membership(
    session: Session,
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
    """Record that a person holds a seat on the body for a term; commits."""
    if start_date and end_date and end_date < start_date:
        raise MembershipError("The term cannot end before it starts.")
    if not person_id and not (person_name or "").strip():
        raise MembershipError("Type the member's name.")
    try:
        person = person_for(session, person_id, person_name)
    except TestimonyError as problem:
        raise MembershipError(str(problem)) from problem
    membership = Membership(
        person=person,
        body=body,
        seat=" ".join((seat or "").split())[:100] or None,
        role=" ".join((role or "").split())[:100] or "Member",
        start_date=start_date,
        end_date=end_date,
    )
    session.add(membership)
    session.flush()
    record(
        session,
        user,
        "membership.create",
        membership,
        after={"person_id": person.id, "body_id": body.id, "seat": membership.seat},
    )
    session.commit()
    return membership


def end_membership(session: Session, user, membership: Membership, on: date) -> Membership:
    """Record the last day of a member's term; commits."""
    if membership.start_date and on < membership.start_date:
        raise MembershipError("The term cannot end before it starts.")
    before = {"end_date": membership.end_date.isoformat() if membership.end_date else None}
    membership.end_date = on
    record(
        session,
        user,
        "membership.end",
        membership,
        before=before,
        after={"end_date": on.isoformat()},
    )
    session.commit()
    return membership


@bp.get("/bodies")
def index():
    """List the bodies: councils, committees, commissions."""
    bodies = list(db.session.scalars(select(Body).order_by(Body.name)))
    hearings = dict(
        db.session.execute(
            select(Hearing.body_id, func.count(Hearing.id)).group_by(Hearing.body_id)
        ).all()
    )
    today = date.today()
    members = {body.id: len(current_members(db.session, body, today)) for body in bodies}
    return render_template("bodies/index.html", bodies=bodies, hearings=hearings, members=members)


def _page(body: Body, status: int = 200, error: str | None = None, values=None):
    today = date.today()
    current = current_members(db.session, body, today)
    past = list(
        db.session.scalars(
            select(Membership)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.body_id == body.id, Membership.end_date < today)
            .order_by(Person.name)
        )
    )
    future = [
        m
        for m in db.session.scalars(
            select(Membership).where(Membership.body_id == body.id, Membership.start_date > today)
        )
    ]
    hearings = list(
        db.session.scalars(
            select(Hearing).where(Hearing.body_id == body.id).order_by(Hearing.date.desc())
        )
    )
    votes = list(
        db.session.scalars(
            select(VoteEvent)
            .where(VoteEvent.body_id == body.id)
            .order_by(VoteEvent.date.desc())
            .limit(100)
        )
    )
    return render_template(
        "bodies/detail.html",
        body=body,
        current=current,
        past=past,
        future=future,
        hearings=hearings,
        votes=votes,
        error=error,
        values=values or {},
        today=today,
    ), status


@bp.get("/bodies/<int:body_id>")
def detail(body_id: int):
    """Show a body: its members, its meetings and its votes."""
    return _page(db.get_or_404(Body, body_id))


@bp.post("/bodies/<int:body_id>/members")
@clerk_required
def add_member(body_id: int):
    """Record a seat on the body."""
    body = db.get_or_404(Body, body_id)
    try:
        membership = add_membership(
            db.session,
            current_user,
            body,
            person_id=form_int("person_id"),
            person_name=request.form.get("person_name"),
            seat=request.form.get("seat"),
            role=request.form.get("role"),
            start_date=form_date("start_date"),
            end_date=form_date("end_date"),
        )
    except MembershipError as problem:
        db.session.rollback()
        return _page(body, problem.status, str(problem), request.form)
    flash(f"{membership.person.name} added to {body.name}.", "success")
    return redirect(url_for("bodies.detail", body_id=body.id, _anchor="members"))


@bp.post("/memberships/<int:membership_id>/end")
@clerk_required
def end_member(membership_id: int):
    """Record the end of a member's term."""
    membership = db.get_or_404(Membership, membership_id)
    try:
        end_membership(db.session, current_user, membership, form_date("end_date") or date.today())
    except MembershipError as problem:
        db.session.rollback()
        return _page(membership.body, problem.status, str(problem))
    flash(f"{membership.person.name}'s term ended.", "success")
    return redirect(url_for("bodies.detail", body_id=membership.body_id, _anchor="members"))


@bp.post("/bodies/<int:body_id>/size")
@clerk_required
def set_size(body_id: int):
    """Record how many seats the body has (votes need it for majorities of the full body)."""
    body = db.get_or_404(Body, body_id)
    raw = request.form.get("size", "").strip()
    size = int(raw) if raw.isdigit() and len(raw) < 5 else None
    if not size or size > 1000:
        return _page(body, 422, "Give the number of seats, a whole number from 1 to 1000.")
    before = {"size": body.size}
    body.size = size
    record(db.session, current_user, "body.size", body, before=before, after={"size": size})
    db.session.commit()
    flash("Number of seats saved.", "success")
    return redirect(url_for("bodies.detail", body_id=body.id))


def civic_person_record(person: Person) -> dict:
    """Return a person's seats, votes, sponsorships and testimony, for the person page."""
    session = db.session
    return {
        "memberships": list(
            session.scalars(
                select(Membership)
                .where(Membership.person_id == person.id)
                .order_by(Membership.start_date.desc().nulls_last())
            )
        ),
        "votes": list(
            session.scalars(
                select(PersonVote)
                .join(VoteEvent, VoteEvent.id == PersonVote.vote_event_id)
                .where(PersonVote.person_id == person.id)
                .order_by(VoteEvent.date.desc())
                .limit(200)
            )
        ),
        "sponsored": list(
            session.scalars(
                select(Matter)
                .join(matter_sponsors, matter_sponsors.c.matter_id == Matter.id)
                .where(matter_sponsors.c.person_id == person.id)
                .order_by(Matter.intro_date.desc().nulls_last())
            )
        ),
        "testimonies": list(
            session.scalars(
                select(Testimony)
                .where(Testimony.person_id == person.id)
                .order_by(Testimony.id.desc())
            )
        ),
    }


@bp.app_context_processor
def person_record_hook() -> dict:
    return {"civic_person_record": civic_person_record}

"""Bodies: their members (seats held for a term), meetings and votes; a member's record."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hearings.bodies import body_list, body_page_context, set_body_size
from hearings.extensions import db
from hearings.forms import BodySizeForm, EndMembershipForm, MembershipForm, submitted
from hearings.memberships import add_membership, end_membership
from hearings.models import Body, Membership
from hearings.views.auth import clerk_required
from hearings.views.changes import change_to_the_record

bp = Blueprint("bodies", __name__)


@bp.get("/bodies")
def index():
    """List the bodies: councils, committees, commissions."""
    return render_template("bodies/index.html", **body_list(db.session, date.today()))


def _page(body: Body, status: int = 200, error: str | None = None, values=None):
    return render_template(
        "bodies/detail.html",
        **body_page_context(db.session, body, date.today()),
        error=error,
        values=values or {},
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
    with change_to_the_record(
        lambda problem: _page(body, problem.status, str(problem), request.form)
    ):
        form = submitted(MembershipForm)
        membership = add_membership(
            db.session,
            current_user,
            body,
            person_id=form.person_id.data,
            person_name=form.person_name.data,
            seat=form.seat.data,
            role=form.role.data,
            start_date=form.start_date.data,
            end_date=form.end_date.data,
        )
    flash(f"{membership.person.name} added to {body.name}.", "success")
    return redirect(url_for("bodies.detail", body_id=body.id, _anchor="members"))


@bp.post("/memberships/<int:membership_id>/end")
@clerk_required
def end_member(membership_id: int):
    """Record the end of a member's term."""
    membership = db.get_or_404(Membership, membership_id)
    with change_to_the_record(lambda problem: _page(membership.body, problem.status, str(problem))):
        end_date = submitted(EndMembershipForm).end_date.data or date.today()
        end_membership(db.session, current_user, membership, end_date)
    flash(f"{membership.person.name}'s term ended.", "success")
    return redirect(url_for("bodies.detail", body_id=membership.body_id, _anchor="members"))


@bp.post("/bodies/<int:body_id>/size")
@clerk_required
def set_size(body_id: int):
    """Record how many seats the body has (votes need it for majorities of the full body)."""
    body = db.get_or_404(Body, body_id)
    with change_to_the_record(lambda problem: _page(body, problem.status, str(problem))):
        set_body_size(db.session, current_user, body, submitted(BodySizeForm).size.data)
    flash("Number of seats saved.", "success")
    return redirect(url_for("bodies.detail", body_id=body.id))

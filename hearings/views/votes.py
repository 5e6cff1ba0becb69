"""Roll-call votes: the clerk's form per matter, the computed outcome, and the vote page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from hearings.extensions import db
from hearings.forms import RollCallForm, submitted
from hearings.models import Body, Matter, VoteEvent
from hearings.models.votes import VOTE_VALUES
from hearings.record_ids import record_id
from hearings.roll_calls import (
    RULE_LABELS,
    check_roll_call,
    member_rows,
    preview_outcome,
    roll_call_form,
    save_roll_call,
    vote_day,
)
from hearings.views.auth import clerk_required
from hearings.views.changes import change_to_the_record
from hearings.votes import roll_call_view

bp = Blueprint("votes", __name__)


def _form_page(
    matter: Matter,
    form: MultiDict,
    event: VoteEvent | None = None,
    error: str | None = None,
    status: int = 200,
):
    page = roll_call_form(db.session, matter, form, event)
    return render_template("votes/new.html", error=error, **page), status


@bp.route("/matters/<int:matter_id>/votes/new", methods=["GET", "POST"])
@clerk_required
def new(matter_id: int):
    """Record a roll-call vote on a matter."""
    matter = db.get_or_404(Matter, matter_id)
    if request.method == "GET":
        return _form_page(matter, MultiDict())
    return _save(matter, None)


@bp.route("/votes/<int:vote_id>/edit", methods=["GET", "POST"])
@clerk_required
def edit(vote_id: int):
    """Correct a recorded roll call."""
    event = db.get_or_404(VoteEvent, vote_id)
    if event.matter is None:
        abort(404)
    if request.method == "GET":
        return _form_page(event.matter, MultiDict(), event)
    return _save(event.matter, event)


def _save(matter: Matter, event: VoteEvent | None):
    with change_to_the_record(
        lambda problem: _form_page(matter, request.form, event, str(problem), problem.status)
    ):
        roll_call = check_roll_call(db.session, submitted(RollCallForm))
        event = save_roll_call(db.session, current_user, matter, roll_call, event)
    flash("Roll call recorded.", "success")
    return redirect(url_for("votes.detail", vote_id=event.id))


@bp.get("/votes/members")
@clerk_required
def members():
    """Return the member rows of the chosen body on the chosen day (the form swaps them in)."""
    body = db.session.get(Body, request.args.get("body_id", type=record_id) or 0)
    on = vote_day(request.args.get("date"))
    return render_template(
        "votes/_members.html",
        rows=member_rows(db.session, body, on),
        vote_values=VOTE_VALUES,
        body=body,
    )


@bp.get("/votes/extra-row")
@clerk_required
def extra_row():
    """Return one more row for a person who is not a listed member."""
    return render_template("votes/_extra_row.html", vote_values=VOTE_VALUES, name="", value="")


@bp.post("/votes/preview")
@clerk_required
def preview():
    """Return the computed outcome of the votes entered so far."""
    return render_template("votes/_outcome.html", preview=preview_outcome(db.session, request.form))


@bp.get("/votes/<int:vote_id>")
def detail(vote_id: int):
    """Show a roll call: each member's vote and the outcome with its arithmetic."""
    event = db.get_or_404(VoteEvent, vote_id)
    return render_template("votes/detail.html", v=roll_call_view(event), rule_labels=RULE_LABELS)

"""A hearing's sign-up list: importing it, and the clerk's decision on each row."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from hearings import signups as service
from hearings.errors import Refused
from hearings.extensions import db
from hearings.forms import PageForm, SignupDecisionForm, SignupListForm, submitted
from hearings.matters import chosen_matter
from hearings.models import Hearing, SignupEntry, Speaker
from hearings.views.auth import clerk_required
from hearings.views.changes import change_to_the_record

bp = Blueprint("signups", __name__, url_prefix="/hearings/<int:hearing_id>/sign-ups")


def _page(hearing: Hearing, status: int = 200, *, error=None, problems=(), typed: str = ""):
    entries = service.entries_of(db.session, hearing)
    return render_template(
        "signups/list.html",
        hearing=hearing,
        entries=entries,
        matches=service.suggested_matches(db.session, hearing, entries),
        voices=service.voices_of(hearing),
        matters=service.matter_choices(db.session, hearing),
        pending=service.pending_count(entries),
        error=error,
        problems=problems,
        typed=typed,
    ), status


@bp.get("")
@clerk_required
def signup_list(hearing_id: int):
    """Show the hearing's sign-up rows, each with the voice suggested for it."""
    return _page(db.get_or_404(Hearing, hearing_id))


@bp.post("")
@clerk_required
def import_list(hearing_id: int):
    """Import a pasted or uploaded list; a list with bad rows is refused with a report."""
    hearing = db.get_or_404(Hearing, hearing_id)
    typed = ""

    def refused(problem: Refused):
        return _page(
            hearing,
            problem.status,
            error=str(problem),
            problems=problem.problems if isinstance(problem, service.BadList) else (),
            typed=typed,
        )

    with change_to_the_record(refused):
        form = submitted(SignupListForm)
        typed = form.text.data or ""
        upload = form.upload.data
        if upload is not None and upload.filename:
            text = service.decode_list(upload.read(service.MAX_LIST_BYTES + 1))
            source = service.source_name(upload.filename)
        else:
            text, source = typed, "pasted"
        matter = (
            chosen_matter(db.session, form.matter_id.data, "That matter is not in the record.")
            if form.matter_id.data is not None
            else None
        )
        entries = service.import_list(
            db.session, current_user, hearing, text, source=source, default_matter=matter
        )
    flash(f"{len(entries)} row{'s' if len(entries) != 1 else ''} of the list imported.", "success")
    return redirect(url_for("signups.signup_list", hearing_id=hearing.id))


# The decisions on one row, and what the clerk is told after each.
ROW_DECISIONS = {"confirm", "card-only", "dismiss"}


@bp.post("/<int:entry_id>/<decision>")
@clerk_required
def decide(hearing_id: int, entry_id: int, decision: str):
    """Confirm a row with a voice (or as a card alone), or set it aside."""
    if decision not in ROW_DECISIONS:
        abort(404)
    hearing = db.get_or_404(Hearing, hearing_id)
    entry = db.session.get(SignupEntry, entry_id)
    if entry is None or entry.hearing_id != hearing.id:
        abort(404, "That row is not on this hearing's sign-up list.")

    with change_to_the_record(lambda problem: _page(hearing, problem.status, error=str(problem))):
        if decision == "dismiss":
            submitted(PageForm)
            service.dismiss_entry(db.session, current_user, entry)
            message = f"“{entry.name}” set aside."
        else:
            speaker = None
            if decision == "confirm":
                speaker = _voice(hearing, submitted(SignupDecisionForm).speaker_id.data)
            else:
                submitted(PageForm)
            service.confirm_entry(db.session, current_user, entry, speaker)
            message = f"{entry.name} recorded: card testimony" + (
                f", and {speaker.label}'s words as their spoken testimony." if speaker else "."
            )
    flash(message, "success")
    return redirect(
        url_for("signups.signup_list", hearing_id=hearing.id, _anchor=f"row-{entry.id}")
    )


def _voice(hearing: Hearing, speaker_id: int | None) -> Speaker:
    speaker = db.session.get(Speaker, speaker_id) if speaker_id is not None else None
    if speaker is None or speaker.hearing_id != hearing.id:
        raise Refused("Pick the voice that read this card, or record the card alone.")
    return speaker

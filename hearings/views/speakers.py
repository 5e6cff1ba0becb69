"""Speakers of a hearing: the timeline, the speaker filter, and editors' naming tools."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from hearings import people
from hearings import speakers as service
from hearings.extensions import db, htmx
from hearings.matters import matters_heard
from hearings.models import Hearing, Segment, Speaker
from hearings.timecodes import clock
from hearings.views.auth import can_edit, clerk_required
from hearings.views.changes import change_to_the_record
from hearings.views.hearings import hearing_page

bp = Blueprint("speakers", __name__)

# htmx event the transcript filter listens for, to reload lines whose speaker changed.
CHANGED = "speakers-changed"


@bp.get("/hearings/<int:hearing_id>/transcript")
def transcript(hearing_id: int):
    """Show the transcript, only one speaker's lines with ?speaker=<id>; htmx gets the list."""
    hearing = db.get_or_404(Hearing, hearing_id)
    speaker_id = request.args.get("speaker", type=int)
    if speaker_id is not None and _speaker_of(hearing, speaker_id) is None:
        abort(404, "That speaker is not part of this hearing.")
    context: dict[str, Any] = dict(
        hearing=hearing,
        segments=service.spoken_by(hearing, speaker_id),
        selected_speaker=speaker_id,
    )
    if htmx:
        # ?at= keeps a quoted line highlighted when the list is reloaded on a quote's page.
        at = request.args.get("at", type=int)
        quote = next((s for s in hearing.segments if s.start_ms == at), None)
        # Only the lines' testimony tags are needed here, not the clerk's form choices.
        heard = matters_heard(db.session, hearing, for_clerk=False)
        return render_template(
            "speakers/_filtered_transcript.html", quote=quote, heard=heard, **context
        )
    return hearing_page(**context)


@bp.post("/hearings/<int:hearing_id>/speakers/<int:speaker_id>/name")
@clerk_required
def name(hearing_id: int, speaker_id: int):
    """Name a speaker label: an existing person, or a new one with title and affiliation."""
    hearing, speaker = _speaker_or_404(hearing_id, speaker_id)
    choice = request.form.get("person_id", "").strip()
    if choice and not choice.isdigit():
        return _refused(hearing, "Pick a person from the list.", 400)
    details = people.PersonDetails(
        request.form.get("name", ""),
        request.form.get("title", ""),
        request.form.get("organization", ""),
    )
    return _apply(
        hearing,
        lambda: service.name_speaker(
            db.session,
            current_user,
            speaker,
            person_id=int(choice) if choice else None,
            details=details,
            same_name_ok=bool(request.form.get("same_name_ok")),
        ),
        lambda person: f"{speaker.label} is now {person.display}.",
    )


@bp.post("/hearings/<int:hearing_id>/speakers/<int:speaker_id>/unname")
@clerk_required
def unname(hearing_id: int, speaker_id: int):
    """Take the name off a speaker label."""
    hearing, speaker = _speaker_or_404(hearing_id, speaker_id)
    return _apply(
        hearing,
        lambda: service.unname_speaker(db.session, current_user, speaker),
        lambda _: f"{speaker.label} has no name now.",
    )


@bp.post("/hearings/<int:hearing_id>/speakers/<int:speaker_id>/confirm")
@clerk_required
def confirm(hearing_id: int, speaker_id: int):
    """Confirm the voice-match suggestion for a speaker."""
    hearing, speaker = _speaker_or_404(hearing_id, speaker_id)
    return _apply(
        hearing,
        lambda: service.confirm_suggestion(db.session, current_user, speaker),
        lambda person: f"{speaker.label} is now {person.display}.",
    )


@bp.post("/hearings/<int:hearing_id>/speakers/<int:speaker_id>/dismiss")
@clerk_required
def dismiss(hearing_id: int, speaker_id: int):
    """Dismiss the voice-match suggestion for a speaker."""
    hearing, speaker = _speaker_or_404(hearing_id, speaker_id)
    return _apply(
        hearing,
        lambda: service.dismiss_suggestion(db.session, current_user, speaker),
        lambda _: f"Suggestion for {speaker.label} dismissed.",
    )


@bp.post("/hearings/<int:hearing_id>/speakers/merge")
@clerk_required
def merge(hearing_id: int):
    """Merge one speaker label into another."""
    hearing = db.get_or_404(Hearing, hearing_id)
    source = _speaker_of(hearing, request.form.get("source", type=int))
    target = _speaker_of(hearing, request.form.get("target", type=int))
    if source is None or target is None:
        return _refused(hearing, "Pick two of this hearing's speakers to merge.", 400)
    source_label = source.label
    return _apply(
        hearing,
        lambda: service.merge_speakers(db.session, current_user, source, target),
        lambda kept: f"{source_label} merged into {kept.display}.",
    )


@bp.post("/hearings/<int:hearing_id>/speakers/suggest")
@clerk_required
def suggest(hearing_id: int):
    """Look again for returning speakers among this hearing's unnamed labels."""
    hearing = db.get_or_404(Hearing, hearing_id)
    return _apply(
        hearing,
        lambda: service.suggest_returning_speakers(db.session, hearing),
        lambda found: (
            f"{len(found)} returning speaker(s) suggested."
            if found
            else "No unnamed speaker sounds like anyone named in other hearings."
        ),
    )


@bp.route("/hearings/<int:hearing_id>/segments/<int:segment_id>/speaker", methods=["GET", "POST"])
@clerk_required
def segment_speaker(hearing_id: int, segment_id: int):
    """Show (GET) or apply (POST) the choice of speaker for one transcript line."""
    hearing = db.get_or_404(Hearing, hearing_id)
    segment = db.session.get(Segment, segment_id)
    if segment is None or segment.hearing_id != hearing.id:
        abort(404, "That line is not part of this hearing.")
    if request.method == "GET":
        template = "speakers/_segment_form.html" if htmx else "speakers/segment.html"
        return render_template(template, hearing=hearing, segment=segment)
    choice = request.form.get("speaker", "").strip()
    if choice != "new" and not choice.isdigit():
        return _refused(hearing, "Pick a speaker for the line.", 400)
    return _apply(
        hearing,
        lambda: service.reassign_segment(
            db.session,
            current_user,
            segment,
            None if choice == "new" else int(choice),
            new_label=choice == "new",
        ),
        lambda speaker: f"The line at {clock(segment.start_ms)} is now {speaker.display}'s.",
        anchor=f"seg-{segment.start_ms}",
    )


def _apply(hearing: Hearing, change, message, anchor: str | None = None):
    """Run an edit; answer htmx with the refreshed panel, browsers with a redirect."""
    with change_to_the_record(lambda problem: _refused(hearing, str(problem), problem.status)):
        result = change()
    text = message(result)
    if htmx:
        response = Response(_speakers_fragment(hearing, speaker_notice=text))
        response.headers["HX-Trigger"] = CHANGED
        return response
    flash(text, "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing.id, _anchor=anchor))


def _refused(hearing: Hearing, error: str, status: int):
    """Show why an edit was refused, leaving the record as it was."""
    # Only views call this, so the request was routed and has its view arguments.
    assert request.view_args is not None
    open_speaker = request.view_args.get("speaker_id")
    if htmx:
        response = Response(
            _speakers_fragment(hearing, speaker_error=error, open_speaker=open_speaker),
            status=status,
        )
        # htmx does not swap error responses unless told; app.js reads this header.
        response.headers["X-Swap-On-Error"] = "true"
        response.headers["HX-Retarget"] = "#hearing-speakers"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    return hearing_page(hearing, status, speaker_error=error, open_speaker=open_speaker)


def _speaker_or_404(hearing_id: int, speaker_id: int) -> tuple[Hearing, Speaker]:
    hearing = db.get_or_404(Hearing, hearing_id)
    speaker = _speaker_of(hearing, speaker_id)
    if speaker is None:
        abort(404, "That speaker is not part of this hearing.")
    return hearing, speaker


def _speaker_of(hearing: Hearing, speaker_id: int | None) -> Speaker | None:
    speaker = db.session.get(Speaker, speaker_id) if speaker_id is not None else None
    return speaker if speaker is not None and speaker.hearing_id == hearing.id else None


def _speakers_fragment(hearing: Hearing, **context) -> str:
    panel = service.speakers_panel(db.session, hearing, for_clerk=can_edit())
    return render_template(
        "speakers/_hearing_speakers.html", hearing=hearing, panel=panel, **context
    )

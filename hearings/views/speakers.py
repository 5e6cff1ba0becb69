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

from hearings import speakers as service
from hearings.errors import Malformed
from hearings.extensions import db, htmx
from hearings.forms import MergeSpeakersForm, SegmentSpeakerForm, SpeakerNameForm, submitted
from hearings.matters import matters_heard
from hearings.models import Hearing, Segment, Speaker
from hearings.people import people_named_like, people_to_offer
from hearings.record_ids import MAX_INT, record_id
from hearings.timecodes import clock
from hearings.transcript_chunks import Place, transcript_chunk
from hearings.views.auth import can_correct, editor_required
from hearings.views.changes import change_to_the_record
from hearings.views.hearings import hearing_page

bp = Blueprint("speakers", __name__)

# htmx event the transcript filter listens for, to reload lines whose speaker changed.
CHANGED = "speakers-changed"


@bp.get("/hearings/<int:hearing_id>/transcript")
def transcript(hearing_id: int):
    """Show a window of the transcript, only one speaker's lines with ?speaker=<id>.

    ``after`` / ``before`` (a line's place) give the next or previous chunk: htmx gets just
    those lines, to put in place of the link that asked; ``at`` (ms) opens the window at a
    moment (the player went there). Without htmx, the hearing page with that window.
    """
    hearing = db.get_or_404(Hearing, hearing_id)
    speaker_id = request.args.get("speaker", type=record_id)
    if speaker_id is not None and _speaker_of(hearing, speaker_id) is None:
        abort(404, "That speaker is not part of this hearing.")
    try:
        after = Place.parse(request.args.get("after"))
        before = Place.parse(request.args.get("before"))
    except Malformed as problem:
        abort(400, str(problem))
    at_ms = request.args.get("at", type=int)
    if at_ms is not None:
        at_ms = min(max(at_ms, 0), MAX_INT)
    chunk = transcript_chunk(
        db.session,
        hearing,
        speaker_id=speaker_id,
        after=after,
        before=before,
        at_ms=at_ms,
        whole=request.args.get("whole") == "1",
    )
    context: dict[str, Any] = dict(hearing=hearing, chunk=chunk, selected_speaker=speaker_id)
    if htmx:
        # ?quoted= keeps a quoted line highlighted when the list is reloaded on a quote's page.
        quoted = request.args.get("quoted", type=int)
        # Only the lines' testimony tags are needed here, not the clerk's form choices.
        heard = matters_heard(db.session, hearing, for_clerk=False)
        if after or before:
            context["edge"] = "later" if after else "earlier"
            template = "hearings/_transcript_chunk.html"
        else:
            template = "speakers/_filtered_transcript.html"
        return render_template(
            template,
            quote_ms=quoted,
            quoted_ids={line.id for line in chunk.lines if line.start_ms == quoted},
            heard=heard,
            **context,
        )
    return hearing_page(start_ms=at_ms or 0, **context)


@bp.post("/hearings/<int:hearing_id>/speakers/<int:speaker_id>/name")
@editor_required
def name(hearing_id: int, speaker_id: int):
    """Name a speaker label: an existing person, or a new one with title and affiliation."""
    hearing, speaker = _speaker_or_404(hearing_id, speaker_id)

    def change():
        form = submitted(SpeakerNameForm)
        return service.name_speaker(
            db.session,
            current_user,
            speaker,
            person_id=form.person_id.data,
            details=form.details(),
            same_name_ok=form.same_name_ok.data,
        )

    return _apply(hearing, change, lambda person: f"{speaker.label} is now {person.display}.")


@bp.get("/hearings/<int:hearing_id>/speakers/<int:speaker_id>/people")
@editor_required
def people_named(hearing_id: int, speaker_id: int):
    """Find the people a speaker may be, by a typed name: htmx gets the choice to swap in."""
    hearing, speaker = _speaker_or_404(hearing_id, speaker_id)
    find = " ".join(request.args.get("find", "").split())[:200]
    found = people_named_like(db.session, find) if find else None
    if htmx:
        return render_template(
            "speakers/_person_choice.html",
            speaker=speaker,
            found=found,
            find=find,
            offered=people_to_offer(db.session, hearing),
        )
    found_for = {"speaker_id": speaker.id, "find": find, "people": found}
    return hearing_page(hearing, open_speaker=speaker.id, found_for=found_for)


# The one-button edits of a speaker label: the change, and what the clerk is told after it.
LABEL_ACTIONS = {
    "unname": (service.unname_speaker, lambda speaker, _: f"{speaker.label} has no name now."),
    "confirm": (
        service.confirm_suggestion,
        lambda speaker, person: f"{speaker.label} is now {person.display}.",
    ),
    "dismiss": (
        service.dismiss_suggestion,
        lambda speaker, _: f"Suggestion for {speaker.label} dismissed.",
    ),
    "confirm-heard": (
        service.confirm_heard_name,
        lambda speaker, person: f"{speaker.label} is now {person.display}.",
    ),
    "dismiss-heard": (
        service.dismiss_heard_name,
        lambda speaker, _: f"The name heard for {speaker.label} was dismissed.",
    ),
}


@bp.post("/hearings/<int:hearing_id>/speakers/<int:speaker_id>/<action>")
@editor_required
def label_action(hearing_id: int, speaker_id: int, action: str):
    """Take the name off a label, or confirm or dismiss its voice-match suggestion."""
    if action not in LABEL_ACTIONS:
        abort(404)
    hearing, speaker = _speaker_or_404(hearing_id, speaker_id)
    change, message = LABEL_ACTIONS[action]
    return _apply(
        hearing,
        lambda: change(db.session, current_user, speaker),
        lambda result: message(speaker, result),
    )


@bp.post("/hearings/<int:hearing_id>/speakers/merge")
@editor_required
def merge(hearing_id: int):
    """Merge one speaker label into another."""
    hearing = db.get_or_404(Hearing, hearing_id)

    def change():
        form = submitted(MergeSpeakersForm)
        source = _speaker_of(hearing, form.source.data)
        target = _speaker_of(hearing, form.target.data)
        if source is None or target is None:
            raise Malformed("Pick two of this hearing's speakers to merge.")
        source_label = source.label
        return source_label, service.merge_speakers(db.session, current_user, source, target)

    return _apply(hearing, change, lambda merged: f"{merged[0]} merged into {merged[1].display}.")


@bp.post("/hearings/<int:hearing_id>/speakers/suggest")
@editor_required
def suggest(hearing_id: int):
    """Look again for returning voices and for names heard, among the unnamed labels."""
    hearing = db.get_or_404(Hearing, hearing_id)

    def look_again():
        voices = service.suggest_returning_speakers(db.session, hearing)
        return voices, service.suggest_names_heard(db.session, hearing)

    def message(found) -> str:
        voices, names = found
        said = (
            f"{len(voices)} returning speaker(s) suggested."
            if voices
            else "No unnamed speaker sounds like anyone named in other hearings."
        )
        return f"{said} {len(names)} name(s) heard in the hearing suggested."

    return _apply(hearing, look_again, message)


@bp.route("/hearings/<int:hearing_id>/segments/<int:segment_id>/speaker", methods=["GET", "POST"])
@editor_required
def segment_speaker(hearing_id: int, segment_id: int):
    """Show (GET) or apply (POST) the choice of speaker for one transcript line."""
    hearing = db.get_or_404(Hearing, hearing_id)
    segment = db.session.get(Segment, segment_id)
    if segment is None or segment.hearing_id != hearing.id:
        abort(404, "That line is not part of this hearing.")
    if request.method == "GET":
        template = "speakers/_segment_form.html" if htmx else "speakers/segment.html"
        return render_template(template, hearing=hearing, segment=segment)

    def change():
        speaker_id = submitted(SegmentSpeakerForm).speaker_id()
        return service.reassign_segment(
            db.session, current_user, segment, speaker_id, new_label=speaker_id is None
        )

    return _apply(
        hearing,
        change,
        lambda speaker: f"The line at {clock(segment.start_ms)} is now {speaker.display}'s.",
        at_ms=segment.start_ms,
    )


def _apply(hearing: Hearing, change, message, at_ms: int | None = None):
    """Run an edit; answer htmx with the refreshed panel, browsers with a redirect."""
    with change_to_the_record(lambda problem: _refused(hearing, str(problem), problem.status)):
        result = change()
    text = message(result)
    if htmx:
        response = Response(_speakers_fragment(hearing, speaker_notice=text))
        response.headers["HX-Trigger"] = CHANGED
        return response
    flash(text, "success")
    if at_ms is None:
        return redirect(url_for("hearings.detail", hearing_id=hearing.id))
    # The page opens at the line that changed (its window of the transcript holds it).
    return redirect(
        url_for("hearings.detail", hearing_id=hearing.id, t=at_ms / 1000, _anchor=f"seg-{at_ms}")
    )


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
    panel = service.speakers_panel(db.session, hearing, for_clerk=can_correct())
    return render_template(
        "speakers/_hearing_speakers.html", hearing=hearing, panel=panel, **context
    )

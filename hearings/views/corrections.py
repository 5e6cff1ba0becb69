"""Correcting a transcript in place (editors), and redacting parts of a hearing (clerks)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from hearings import corrections, redaction
from hearings.errors import Refused
from hearings.extensions import db, htmx
from hearings.forms import (
    LineForm,
    LineLanguageForm,
    LineTimesForm,
    LineWordsForm,
    MoveLinesForm,
    PageForm,
    RedactionForm,
    SplitLineForm,
    submitted,
)
from hearings.matters import matters_heard
from hearings.models import Hearing, Segment, Speaker
from hearings.transcript_chunks import transcript_chunk
from hearings.views.auth import admin_required, clerk_required, editor_required, is_admin
from hearings.views.changes import change_to_the_record
from hearings.views.hearings import refused_on_page

bp = Blueprint("corrections", __name__, url_prefix="/hearings/<int:hearing_id>")


def _line_or_404(hearing_id: int, segment_id: int) -> tuple[Hearing, Segment]:
    hearing = db.get_or_404(Hearing, hearing_id)
    segment = corrections.line_in(db.session, hearing, segment_id)
    if segment is None:
        abort(404, "That line is not part of this hearing (it may have been merged).")
    return hearing, segment


def _line_fragment(hearing: Hearing, segment: Segment, status: int = 200):
    heard = matters_heard(db.session, hearing, for_clerk=False)
    return render_template(
        "hearings/_line.html", hearing=hearing, segment=segment, heard=heard
    ), status


def _editor(hearing: Hearing, segment: Segment, status: int = 200, **context):
    """The line's correction form, in place (htmx) or as its own page."""
    from hearings.citations import redacted_lines, withheld
    from hearings.glossary import spelling_suggestions

    history = corrections.line_history(db.session, segment)
    template = "corrections/_line_editor.html" if htmx else "corrections/line.html"
    # Only admins read what a redaction withholds, in a line's history as anywhere else.
    hidden: set[int] = set()
    if not is_admin():
        touched = redacted_lines(hearing)
        hidden = {r.id for r in history if withheld(hearing, r, touched)}
    return render_template(
        template,
        hearing=hearing,
        segment=segment,
        history=history,
        withheld_ids=hidden,
        suggestions=spelling_suggestions(db.session, hearing, segment.text),
        **context,
    ), status


def _refused(hearing: Hearing, segment: Segment, form_text: str | None = None):
    def answer(problem: Refused):
        context: dict[str, object] = {"error": str(problem), "typed": form_text}
        if isinstance(problem, corrections.EditConflict):
            context["theirs"] = segment
            context["typed"] = problem.sent_text
        body, status = _editor(hearing, segment, problem.status, **context)
        response = Response(body, status=status)
        # htmx swaps an error response only when told (app.js reads this header).
        response.headers["X-Swap-On-Error"] = "true"
        return response

    return answer


def _at_line(hearing: Hearing, segment: Segment) -> str:
    """The hearing page opened at a line (its window of the transcript holds it)."""
    return url_for(
        "hearings.detail",
        hearing_id=hearing.id,
        t=segment.start_ms / 1000,
        _anchor=f"seg-{segment.start_ms}",
    )


def _done(hearing: Hearing, segment: Segment, message: str, whole_transcript: bool):
    """Answer htmx with the corrected line (or the whole transcript), browsers with a redirect."""
    if htmx:
        if whole_transcript:
            heard = matters_heard(db.session, hearing, for_clerk=False)
            chunk = transcript_chunk(db.session, hearing, at_ms=segment.start_ms)
            return render_template(
                "hearings/_transcript.html", hearing=hearing, heard=heard, chunk=chunk
            )
        body, _ = _line_fragment(hearing, segment)
        return body
    flash(message, "success")
    return redirect(_at_line(hearing, segment))


@bp.get("/lines/<int:segment_id>")
def line(hearing_id: int, segment_id: int):
    """Show one line (what Cancel in the editor swaps back in)."""
    hearing, segment = _line_or_404(hearing_id, segment_id)
    if htmx:
        return _line_fragment(hearing, segment)
    return redirect(_at_line(hearing, segment))


@bp.get("/lines/<int:segment_id>/edit")
@editor_required
def edit_line(hearing_id: int, segment_id: int):
    """Show the correction form for a line, in place."""
    hearing, segment = _line_or_404(hearing_id, segment_id)
    return _editor(hearing, segment)


def _words(segment, form):
    return corrections.correct_words(
        db.session,
        current_user,
        segment,
        form.text.data,
        form.version.data,
        form.reason.data,
        may_unredact=is_admin(),
    )


def _times(segment, form):
    return corrections.set_times(
        db.session,
        current_user,
        segment,
        form.start.data,
        form.end.data,
        form.version.data,
        form.reason.data,
    )


def _language(segment, form):
    return corrections.set_language(
        db.session, current_user, segment, form.language.data, form.version.data, form.reason.data
    )


def _split(segment, form):
    return corrections.split_line(
        db.session, current_user, segment, form.at_word.data, form.version.data, form.reason.data
    )


def _merge(segment, form):
    return corrections.merge_with_next(
        db.session, current_user, segment, form.version.data, form.reason.data
    )


# Each correction of a line: its form, the change, what to say, and whether the answer is the
# whole transcript (the line's place or neighbours changed) or the line alone.
LINE_CORRECTIONS = {
    "words": (LineWordsForm, _words, "Line corrected.", False),
    "times": (LineTimesForm, _times, "Times corrected.", True),
    "language": (LineLanguageForm, _language, "Language corrected.", False),
    "split": (SplitLineForm, _split, "Line split in two.", True),
    "merge": (LineForm, _merge, "Lines joined.", True),
}


@bp.post("/lines/<int:segment_id>/<action>")
@editor_required
def correct_line(hearing_id: int, segment_id: int, action: str):
    """Correct a line: its words, its times, its language, split it at a word, or join it
    with the next."""
    from flask import request

    if action not in LINE_CORRECTIONS:
        abort(404)
    hearing, segment = _line_or_404(hearing_id, segment_id)
    form_class, change, message, whole_transcript = LINE_CORRECTIONS[action]
    with change_to_the_record(_refused(hearing, segment, request.form.get("text"))):
        change(segment, submitted(form_class))
    return _done(hearing, segment, message, whole_transcript)


@bp.post("/lines/move")
@editor_required
def move_lines(hearing_id: int):
    """Give a range of lines to another speaker."""
    hearing = db.get_or_404(Hearing, hearing_id)

    with change_to_the_record(lambda problem: refused_on_page(hearing, problem)):
        form = submitted(MoveLinesForm)
        speaker = db.session.get(Speaker, form.speaker.data) if form.speaker.data else None
        moved = corrections.move_lines(
            db.session,
            current_user,
            hearing,
            form.start.data,
            form.end.data,
            speaker,
            form.reason.data,
        )
    flash(f"{len(moved)} line{'s' if len(moved) != 1 else ''} moved.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing.id, _anchor="transcript"))


@bp.post("/redactions")
@clerk_required
def redact(hearing_id: int):
    """Withhold a range of the hearing from the public record, with a reason."""
    hearing = db.get_or_404(Hearing, hearing_id)

    with change_to_the_record(lambda problem: refused_on_page(hearing, problem)):
        form = submitted(RedactionForm)
        redaction.redact(
            db.session, current_user, hearing, form.start.data, form.end.data, form.reason.data
        )
    redaction.queue_public_recording(hearing)
    flash(
        "Redacted: the words are withheld everywhere, and the public recording is being "
        "silenced there (it is unavailable to the public until that is done).",
        "success",
    )
    return redirect(url_for("hearings.detail", hearing_id=hearing.id))


@bp.post("/redactions/<int:redaction_id>/lift")
@admin_required
def lift_redaction(hearing_id: int, redaction_id: int):
    """Lift a redaction (admins): the words and the sound come back."""
    from hearings.models import Redaction

    hearing = db.get_or_404(Hearing, hearing_id)
    found = db.session.get(Redaction, redaction_id)
    if found is None or found.hearing_id != hearing.id:
        abort(404)

    with change_to_the_record(lambda problem: refused_on_page(hearing, problem)):
        submitted(PageForm)
        redaction.lift(db.session, current_user, found)
    redaction.queue_public_recording(hearing)
    flash("Redaction lifted.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing.id))


@bp.get("/spellings")
@editor_required
def spellings(hearing_id: int):
    """List words of the transcript that look like misspellings of glossary names."""
    return _spellings_page(db.get_or_404(Hearing, hearing_id))


def _spellings_page(hearing: Hearing, status: int = 200, error: str | None = None):
    from hearings.glossary import hearing_spellings

    return render_template(
        "corrections/spellings.html",
        hearing=hearing,
        spellings=hearing_spellings(db.session, hearing),
        error=error,
    ), status


@bp.post("/spellings")
@editor_required
def respell(hearing_id: int):
    """Apply one glossary spelling to every line that has the near miss."""
    from hearings.forms import RespellForm
    from hearings.glossary import respell_hearing

    hearing = db.get_or_404(Hearing, hearing_id)
    with change_to_the_record(
        lambda problem: _spellings_page(hearing, problem.status, str(problem))
    ):
        form = submitted(RespellForm)
        changed = respell_hearing(
            db.session, current_user, hearing, form.heard.data, form.term.data
        )
    flash(
        f"“{form.heard.data}” is now “{form.term.data}” in {changed} "
        f"line{'s' if changed != 1 else ''}; each change is in the corrections log.",
        "success",
    )
    return redirect(url_for("corrections.spellings", hearing_id=hearing.id))

"""Hearings: the public record pages, the clerk's upload, progress, quotes and exports."""

import math
from typing import Any
from urllib.parse import quote_plus

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from hearings import publishing, reprocessing
from hearings.citations import (
    citation_text,
    corrections_in_range,
    corrections_log,
    corrections_summary,
    credits,
    lines_in_range,
    segment_at,
)
from hearings.documents import documents_of, documents_to_read
from hearings.exports import FORMATS
from hearings.extensions import db, htmx, limiter
from hearings.forms import (
    CheckedForm,
    HearingForm,
    PageForm,
    SpeakerSettingsForm,
    WithdrawForm,
    submitted,
)
from hearings.intake import DuplicateRecording, HearingDetails, create_hearing_from_upload
from hearings.matters import matters_heard
from hearings.models import Hearing, ReviewItem
from hearings.record_ids import MAX_INT
from hearings.speakers import speakers_panel
from hearings.transcript_chunks import transcript_chunk
from hearings.views.auth import (
    admin_required,
    can_correct,
    can_edit,
    clerk_required,
    editor_required,
    is_admin,
)
from hearings.views.changes import change_to_the_record

bp = Blueprint("hearings", __name__, url_prefix="/hearings")


def index():
    """List hearings, newest first (the public sees published and withdrawn ones only)."""
    hearings = db.session.scalars(select(Hearing).order_by(Hearing.date.desc(), Hearing.id.desc()))
    return render_template("hearings/index.html", hearings=list(hearings))


def _publish(hearing: Hearing, form) -> None:
    publishing.publish(db.session, current_user, hearing)


def _withdraw(hearing: Hearing, form) -> None:
    publishing.withdraw(db.session, current_user, hearing, form.reason.data)


def _mark_checked(hearing: Hearing, form) -> None:
    publishing.mark_checked(db.session, current_user, hearing, form.start.data, form.end.data)


# What a clerk does with a hearing's place on the public record: the form it posts, the
# change, and what to say once it is made.
PUBLICATION_ACTIONS = {
    "publish": (PageForm, _publish, "Published: the transcript and recording are now public."),
    "withdraw": (
        WithdrawForm,
        _withdraw,
        "Withdrawn from the public record; the reason is shown on its page.",
    ),
    "checked": (
        CheckedForm,
        _mark_checked,
        "Marked as checked against the audio; citations now say so.",
    ),
}


@bp.post("/<int:hearing_id>/<action>")
@clerk_required
def publication(hearing_id: int, action: str):
    """Publish a hearing, withdraw it (saying why), or mark it checked against the audio."""
    if action not in PUBLICATION_ACTIONS:
        abort(404)
    hearing = db.get_or_404(Hearing, hearing_id)
    form_class, change, message = PUBLICATION_ACTIONS[action]
    with change_to_the_record(lambda problem: refused_on_page(hearing, problem)):
        change(hearing, submitted(form_class))
    flash(message, "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing.id))


@bp.post("/<int:hearing_id>/delete")
@admin_required
def delete(hearing_id: int):
    """Delete the hearing and its recording file (admins only)."""
    from hearings.storage import remove_files

    hearing = db.get_or_404(Hearing, hearing_id)
    title = hearing.title
    with change_to_the_record(lambda problem: refused_on_page(hearing, problem)):
        files = publishing.delete_hearing(
            db.session, current_user, hearing, current_app.config["UPLOAD_FOLDER"]
        )
    # Only once the deletion is committed: a failed commit must not lose the recording.
    remove_files(files)
    flash(f"Deleted “{title}” and its recording. The audit log keeps what it was.", "success")
    return redirect(url_for("index"))


def _public_or_staff(hearing_id: int) -> Hearing:
    """Return a hearing whose transcript and recording this request may have, else 404.

    A withdrawn hearing keeps its page (with the reason) but nothing of its record.
    """
    hearing = db.get_or_404(Hearing, hearing_id)
    if not hearing.published and not can_correct():
        abort(404)
    return hearing


def refused_on_page(hearing: Hearing, problem):
    """Show a refusal on the hearing page, the record as it was (for forms posted from it)."""
    flash(str(problem), "error")
    return hearing_page(hearing, problem.status)


@bp.route("/new", methods=["GET", "POST"])
@clerk_required
@limiter.limit(lambda: current_app.config["UPLOAD_LIMIT"], methods=["POST"])
def new():
    """Create a hearing and upload its recording."""
    form = HearingForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("hearings/new.html", form=form), status
    details = HearingDetails(
        form.title.data,
        form.body.data,
        form.date.data,
        form.agenda_text.data,
        languages=form.languages.data,
        num_speakers=form.num_speakers.data,
        max_speakers=form.max_speakers.data,
        clustering_threshold=form.clustering_threshold.data,
    )

    def refused(problem):
        # A duplicate names the hearing that already has this recording.
        existing = problem.hearing if isinstance(problem, DuplicateRecording) else None
        page = render_template(
            "hearings/new.html", form=form, error=str(problem), existing=existing
        )
        return page, problem.status

    with change_to_the_record(refused):
        hearing = create_hearing_from_upload(details, form.recording.data)
    flash("Recording uploaded. It is being transcribed; this page updates itself.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing.id))


@bp.get("/queue")
@editor_required
def queue():
    """Show the recordings waiting or being processed, and when the worker should be done."""
    from hearings import backfill

    speed = backfill.measured_speed(db.session)
    return render_template(
        "hearings/queue.html",
        backlog=backfill.backlog(db.session, speed),
        documents=documents_to_read(db.session),
        speed=speed,
        duration_text=backfill.duration_text,
    )


@bp.get("/<int:hearing_id>")
def detail(hearing_id: int):
    """Show a hearing: player, progress while processing, and the transcript.

    ``?t=<seconds>`` starts the player there and opens the transcript at that moment;
    ``?whole=1`` shows every line in one page (to read through, search in, or print).
    """
    hearing = db.get_or_404(Hearing, hearing_id)
    seconds = request.args.get("t", type=float, default=0.0)
    # A hand-typed t may be anything a float parses: nan, inf, negative, years.
    start_ms = min(round(seconds * 1000), MAX_INT) if math.isfinite(seconds) and seconds > 0 else 0
    return hearing_page(hearing, start_ms=start_ms, whole=request.args.get("whole") == "1")


def hearing_page(
    hearing: Hearing,
    status: int = 200,
    settings=None,
    quote=None,
    chunk=None,
    whole: bool = False,
    **context,
):
    """Render the hearing page with all it shows; other views use it to show an error in place.

    Args:
        settings: the speaker settings form as submitted, to show its errors.
        quote: the line a quote link opened; its page is for citing, so it has no settings.
        chunk: the window of the transcript to show; by default the lines from the start, or
            from just before ``start_ms`` (or ``window_ms``) when the page opens at a moment.
    """
    clerk = can_edit()
    offer_settings = clerk and quote is None
    context.setdefault("corrections", corrections_summary(db.session, hearing))
    if settings is None and offer_settings:
        settings = SpeakerSettingsForm(obj=hearing, formdata=None)
    context.setdefault("start_ms", 0)
    if chunk is None:
        at_ms = context.pop("window_ms", None) or context["start_ms"] or None
        chunk = transcript_chunk(db.session, hearing, at_ms=at_ms, whole=whole)
    return render_template(
        "hearings/detail.html",
        hearing=hearing,
        job=hearing.latest_job,
        quote=quote,
        chunk=chunk,
        heard=matters_heard(db.session, hearing, for_clerk=clerk),
        panel=speakers_panel(db.session, hearing, for_clerk=can_correct()),
        speaker_settings=settings if offer_settings else None,
        carry_over=reprocessing.plan(db.session, hearing) if offer_settings else None,
        documents=documents_of(db.session, hearing=hearing),
        **context,
    ), status


@bp.get("/<int:hearing_id>/job")
def job_status(hearing_id: int):
    """Return the self-replacing progress widget; it stops polling once the job ends."""
    hearing = db.get_or_404(Hearing, hearing_id)
    job = hearing.latest_job
    response = Response(render_template("hearings/_job_status.html", hearing=hearing, job=job))
    if htmx and job and job.status == "done":
        # The transcript arrived while the page was open: reload to show it.
        response.headers["HX-Refresh"] = "true"
    return response


@bp.post("/<int:hearing_id>/retry")
@clerk_required
def retry(hearing_id: int):
    """Queue a failed hearing again."""
    from hearings.jobs import queue_transcription

    hearing = db.get_or_404(Hearing, hearing_id)
    job = hearing.latest_job
    if job and not job.finished:
        flash("This hearing is already being processed.", "info")
    else:
        queue_transcription(hearing)
        flash("Queued again.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing.id))


@bp.post("/<int:hearing_id>/reprocess")
@clerk_required
def reprocess(hearing_id: int):
    """Run the recording again with the clerk's language and speaker settings."""
    from hearings.jobs import queue_transcription

    hearing = db.get_or_404(Hearing, hearing_id)
    form = SpeakerSettingsForm()
    job = hearing.latest_job
    if not form.validate_on_submit():
        return hearing_page(hearing, 400, settings=form)
    if job and not job.finished:
        flash("This hearing is already being processed.", "info")
        return redirect(url_for("hearings.detail", hearing_id=hearing.id))
    form.populate_obj(hearing)
    queue_transcription(hearing, reprocess=True)
    flash("Queued again with the new settings.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing.id))


def _review_item(hearing_id: int, item_id: int) -> ReviewItem:
    item = db.get_or_404(ReviewItem, item_id)
    if item.hearing_id != hearing_id:
        abort(404)
    return item


@bp.post("/<int:hearing_id>/review/<int:item_id>")
@clerk_required
def resolve_review(hearing_id: int, item_id: int):
    """Mark a review item as checked by the signed-in clerk."""
    item = _review_item(hearing_id, item_id)
    with change_to_the_record(lambda problem: hearing_page(item.hearing, problem.status)):
        reprocessing.resolve(db.session, current_user, item)
    flash("Marked as checked.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing_id))


@bp.post("/<int:hearing_id>/review/<int:item_id>/attach")
@clerk_required
def attach_reviewed_testimony(hearing_id: int, item_id: int):
    """Attach a review item's testimony to the lines now at its time."""
    item = _review_item(hearing_id, item_id)

    def refused(problem):
        flash(str(problem), "error")
        return hearing_page(item.hearing, problem.status)

    with change_to_the_record(refused):
        reprocessing.attach_where_it_was(db.session, current_user, item)
    flash("The testimony now quotes the lines at its time.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing_id))


@bp.get("/<int:hearing_id>/at/<int:start_ms>")
def quote(hearing_id: int, start_ms: int):
    """Open the hearing at the line spoken at a moment, as a quote of that line."""
    hearing = db.get_or_404(Hearing, hearing_id)
    segment = segment_at(db.session, hearing, start_ms)
    if segment is None:
        abort(404)
    if segment.start_ms != start_ms:
        # One line, one URL: links use the line's own start.
        target = url_for("hearings.quote", hearing_id=hearing.id, start_ms=segment.start_ms)
        as_of = request.args.get("as_of")
        return redirect(target + (f"?as_of={quote_plus(as_of)}" if as_of else ""))
    return _quote_page(hearing, [segment], segment.start_ms, segment.end_ms)


@bp.get("/<int:hearing_id>/at/<int:start_ms>-<int:end_ms>")
def quote_range(hearing_id: int, start_ms: int, end_ms: int):
    """Open a quote of a range of the recording: its current words, highlighted, citable."""
    hearing = db.get_or_404(Hearing, hearing_id)
    if end_ms <= start_ms:
        abort(404)
    lines = lines_in_range(db.session, hearing, start_ms, end_ms)
    if not lines:
        abort(404)
    return _quote_page(hearing, lines, start_ms, end_ms)


def _quote_page(hearing: Hearing, lines, start_ms: int, end_ms: int):
    """Render a quote: the lines highlighted, citation text, and corrections since citing."""
    from datetime import date

    from hearings.models.base import utcnow

    as_of = request.args.get("as_of", "")
    try:
        cited_on: date | None = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        cited_on = None
    check = publishing.check_covering(hearing, lines[0].start_ms, lines[-1].end_ms)
    range_args: dict[str, Any] = dict(hearing_id=hearing.id, start_ms=start_ms, end_ms=end_ms)
    canonical = url_for("hearings.quote_range", **range_args, _external=True)
    permalink = url_for(
        "hearings.quote_range", **range_args, as_of=utcnow().date().isoformat(), _external=True
    )
    return hearing_page(
        hearing,
        quote=lines[0],
        quote_lines=lines,
        quoted_ids={s.id for s in lines},
        start_ms=lines[0].start_ms,
        citation=citation_text(hearing, lines, permalink, check.checked_at if check else None),
        permalink=permalink,
        canonical=canonical,
        credit=credits(lines),
        checked=check,
        cited_on=cited_on,
        corrected=corrections_in_range(db.session, hearing, lines, start_ms, end_ms, cited_on),
    )


@bp.get("/<int:hearing_id>/corrections")
def corrections(hearing_id: int):
    """The public log of every correction made to the hearing's transcript."""
    hearing = _public_or_staff(hearing_id)
    return render_template(
        "hearings/corrections.html",
        hearing=hearing,
        corrections=corrections_log(db.session, hearing),
    )


@bp.get("/<int:hearing_id>/transcript.<fmt>")
def transcript(hearing_id: int, fmt: str):
    """Download the transcript as WebVTT, SRT, plain text or JSON."""
    hearing = _public_or_staff(hearing_id)
    if fmt not in FORMATS:
        abort(404)
    render, mimetype = FORMATS[fmt]
    # content_type, not mimetype: Flask would add a second "; charset=utf-8".
    response = Response(render(hearing), content_type=mimetype)
    if request.args.get("download"):
        response.headers["Content-Disposition"] = (
            f'attachment; filename="hearing-{hearing.id}.{fmt}"'
        )
    return response


@bp.get("/<int:hearing_id>/recording")
def recording(hearing_id: int):
    """Stream the recording (with range requests, so the player can seek)."""
    from flask import send_file

    from hearings.storage import recording_path

    hearing = _public_or_staff(hearing_id)
    if hearing.recording is None:
        abort(404)
    path = recording_path(hearing.recording.stored_name)
    if not path.is_file():
        from hearings.jobs import note_missing_recording

        note_missing_recording(db.session, hearing)
        # The one write a page view makes: the clerks' notice that a file needs restoring.
        db.session.commit()
        return render_template(
            "error.html",
            title="Recording not available",
            message=(
                "The recording of this hearing cannot be played at the moment; the clerks "
                "have been told. The transcript is still here."
            ),
        ), 410
    if hearing.active_redactions and not is_admin():
        from hearings.redaction import PUBLIC_MEDIA_TYPE, public_recording_ready

        silenced = public_recording_ready(hearing, current_app.config["UPLOAD_FOLDER"])
        if silenced is None:
            page = render_template(
                "error.html",
                title="Recording being prepared",
                message=(
                    "Part of this hearing was redacted, and the recording is being prepared "
                    "with that part silenced. Try again in a minute; the transcript is here."
                ),
            )
            return page, 503, {"Retry-After": "30"}
        # Revalidated on every play: a redaction made later must reach players at once.
        return send_file(silenced, mimetype=PUBLIC_MEDIA_TYPE, conditional=True, max_age=0)
    return send_file(path, mimetype=hearing.recording.media_type, conditional=True, max_age=0)

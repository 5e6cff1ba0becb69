"""Testimony: recording what was said or sent on a matter, and the clerk's edits of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from hearings import testimony as record
from hearings.extensions import db
from hearings.forms import (
    CardTestimonyForm,
    ConcernsForm,
    ConfirmSuggestionForm,
    OralTestimonyForm,
    OrganizationsForm,
    PageForm,
    PositionForm,
    WrittenTestimonyForm,
    submitted,
)
from hearings.matters import chosen_matter, organization_names, testimony_choices
from hearings.models import Hearing, Matter, Testimony
from hearings.models.testimony import POSITIONS
from hearings.record_ids import record_id
from hearings.transcript_chunks import first_start
from hearings.views.auth import clerk_required
from hearings.views.changes import change_to_the_record
from hearings.views.hearings import hearing_page

bp = Blueprint("testimony", __name__)


@bp.post("/hearings/<int:hearing_id>/testimony")
@clerk_required
def create_oral(hearing_id: int):
    """Record the selected transcript lines as testimony on a matter."""
    hearing = db.get_or_404(Hearing, hearing_id)

    def refused(problem):
        # The page opens where the ticked lines are, so they are shown still ticked.
        ticked = request.form.getlist("segment_ids", type=record_id)
        return hearing_page(
            hearing,
            problem.status,
            testimony_error=str(problem),
            testimony_values=request.form,
            window_ms=first_start(db.session, hearing, ticked),
        )

    with change_to_the_record(refused):
        form = submitted(OralTestimonyForm)
        matter = chosen_matter(
            db.session, form.matter_id.data, "Choose the matter the testimony was on."
        )
        testimony = record.create_oral_testimony(
            db.session,
            current_user,
            hearing,
            matter,
            form.segment_ids.data,
            use_embeddings=current_app.config["POSITION_EMBEDDINGS"],
            **form.testimony_fields(),
        )
    flash(f"Testimony by {testimony.person.name} recorded.", "success")
    return redirect(url_for("testimony.detail", testimony_id=testimony.id))


@bp.route("/matters/<int:matter_id>/testimony/<kind>", methods=["GET", "POST"])
@clerk_required
def create_other(matter_id: int, kind: str):
    """Record a written comment (text or PDF) or a sign-up card on a matter."""
    matter = db.get_or_404(Matter, matter_id)
    if kind not in ("written", "card"):
        abort(404)
    page = {"matter": matter, "kind": kind, **testimony_choices(db.session)}
    if request.method == "GET":
        return render_template("testimony/other.html", values={}, **page)

    def refused(problem):
        form_page = render_template(
            "testimony/other.html", values=request.form, error=str(problem), **page
        )
        return form_page, problem.status

    with change_to_the_record(refused):
        if kind == "written":
            written = submitted(WrittenTestimonyForm)
            testimony = record.create_written_testimony(
                db.session,
                current_user,
                matter,
                upload_folder=current_app.config["UPLOAD_FOLDER"],
                text=written.written_text.data,
                document=written.document.data,
                max_pdf_bytes=current_app.config["TESTIMONY_MAX_PDF_BYTES"],
                use_embeddings=current_app.config["POSITION_EMBEDDINGS"],
                **written.testimony_fields(),
            )
        else:
            card = submitted(CardTestimonyForm)
            testimony = record.create_card_testimony(
                db.session, current_user, matter, **card.testimony_fields()
            )
    if kind == "written" and testimony.document_name:
        from hearings.jobs import queue_document_reading
        from hearings.models import Document

        for document_id in db.session.scalars(
            select(Document.id).where(Document.testimony_id == testimony.id)
        ):
            queue_document_reading(document_id)
    flash(
        f"{'Written comment' if kind == 'written' else 'Sign-up card'} by "
        f"{testimony.person.name} recorded.",
        "success",
    )
    return redirect(url_for("testimony.detail", testimony_id=testimony.id))


@bp.get("/testimony/concern-choices")
@clerk_required
def concern_choices():
    """Return the concern checkboxes of the chosen matter (the testimony form swaps them in)."""
    matter_id = request.args.get("matter_id", type=record_id)
    matter = db.session.get(Matter, matter_id) if matter_id else None
    return render_template("testimony/_concern_choices.html", matter=matter, chosen=[])


@bp.get("/testimony/<int:testimony_id>")
def detail(testimony_id: int):
    """Show one testimony; clerks also see the suggested position and its reasons."""
    item = db.get_or_404(Testimony, testimony_id)
    return _testimony_page(item)


def _refused_on(item: Testimony):
    """Show why a change to the testimony was refused, on its own page."""
    return lambda problem: _testimony_page(item, problem.status, str(problem))


def _testimony_page(item: Testimony, status: int = 200, error: str | None = None):
    return render_template(
        "testimony/detail.html",
        testimony=item,
        positions=POSITIONS,
        position_labels=record.POSITION_LABELS,
        error=error,
        organization_names=organization_names(db.session),
    ), status


@bp.get("/testimony/<int:testimony_id>/document")
def document(testimony_id: int):
    """Serve a written comment's PDF."""
    item = db.get_or_404(Testimony, testimony_id)
    if not item.document_name:
        abort(404)
    path = Path(current_app.config["UPLOAD_FOLDER"]) / item.document_name
    if not path.is_file():
        abort(404)
    response = send_file(
        path, mimetype="application/pdf", download_name=path.name, conditional=True, max_age=3600
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# The clerk's edits of a recorded testimony: the form each posts, the value it carries, and the
# change it makes.
EDITS: dict[str, tuple[type[PageForm], Callable[[Any], object], Callable[..., object]]] = {
    "position": (PositionForm, lambda form: form.position.data, record.set_position),
    "confirm": (
        ConfirmSuggestionForm,
        lambda form: form.suggested.data,
        record.confirm_suggestion,
    ),
    "concerns": (ConcernsForm, lambda form: form.concern_ids.data, record.set_concerns),
    "organizations": (
        OrganizationsForm,
        lambda form: form.organization.data,
        record.set_organizations,
    ),
}


@bp.post("/testimony/<int:testimony_id>/<part>")
@clerk_required
def edit(testimony_id: int, part: str):
    """Record the position, confirm the suggested one, or retag concerns or organizations."""
    if part not in EDITS:
        abort(404)
    form_class, value, change = EDITS[part]
    item = db.get_or_404(Testimony, testimony_id)
    with change_to_the_record(_refused_on(item)):
        change(db.session, current_user, item, value(submitted(form_class)))
    flash("Saved.", "success")
    return redirect(url_for("testimony.detail", testimony_id=item.id))


@bp.post("/testimony/<int:testimony_id>/delete")
@clerk_required
def delete(testimony_id: int):
    """Delete a testimony recorded by mistake."""
    item = db.get_or_404(Testimony, testimony_id)
    matter_id = item.matter_id
    with change_to_the_record(_refused_on(item)):
        record.delete_testimony(db.session, current_user, item)
    flash("Testimony deleted.", "success")
    return redirect(url_for("matters.detail", matter_id=matter_id))

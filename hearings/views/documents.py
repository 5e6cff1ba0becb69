"""Documents: attaching them to hearings and matters, reading their pages, serving the file."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
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

from hearings import documents as record
from hearings.errors import Refused
from hearings.extensions import db, htmx, limiter
from hearings.forms import DocumentForm, WithdrawForm, submitted
from hearings.jobs import queue_document_reading
from hearings.matters import chosen_matter
from hearings.models import Document, Hearing, Matter
from hearings.models.documents import DOCUMENT_KINDS
from hearings.views.auth import can_correct, clerk_required
from hearings.views.changes import change_to_the_record

bp = Blueprint("documents", __name__)


@bp.app_context_processor
def document_kinds() -> dict:
    return {"document_kinds": DOCUMENT_KINDS}


@bp.post("/hearings/<int:hearing_id>/documents")
@clerk_required
@limiter.limit(lambda: current_app.config["UPLOAD_LIMIT"])
def attach_to_hearing(hearing_id: int):
    """Attach a document to a hearing (and, if chosen, to a matter on its agenda)."""
    hearing = db.get_or_404(Hearing, hearing_id)
    return _attach(hearing=hearing)


@bp.post("/matters/<int:matter_id>/documents")
@clerk_required
@limiter.limit(lambda: current_app.config["UPLOAD_LIMIT"])
def attach_to_matter(matter_id: int):
    """Attach a document to a matter."""
    matter = db.get_or_404(Matter, matter_id)
    return _attach(matter=matter)


def _attach(hearing: Hearing | None = None, matter: Matter | None = None):
    def refused(problem: Refused):
        page = render_template(
            "documents/attach.html",
            hearing=hearing,
            matter=matter,
            values=request.form,
            error=str(problem),
        )
        return page, problem.status

    config = current_app.config
    with change_to_the_record(refused):
        form = submitted(DocumentForm)
        about = matter
        if hearing is not None and form.matter_id.data is not None:
            about = chosen_matter(db.session, form.matter_id.data, "Choose a matter.")
        document = record.attach_document(
            db.session,
            current_user,
            form.document.data,
            upload_folder=config["UPLOAD_FOLDER"],
            max_bytes=config["DOCUMENT_MAX_BYTES"],
            max_pages=config["DOCUMENT_MAX_PAGES"],
            kind=form.kind.data,
            title=form.title.data,
            hearing=hearing,
            matter=about,
            publish=form.publish.data,
        )
    queue_document_reading(document.id)
    flash(f"“{document.title}” attached; its pages are being read.", "success")
    return redirect(url_for("documents.detail", document_id=document.id))


def _visible(document_id: int) -> Document:
    """Return a document this request may see (the public rule is applied on loading)."""
    return db.get_or_404(Document, document_id)


def _readable(document_id: int) -> Document:
    """Return a document whose file and pages this request may have."""
    document = _visible(document_id)
    if not document.published and not can_correct():
        abort(404)
    return document


@bp.get("/documents/<int:document_id>")
def detail(document_id: int):
    """A document: what it is, where it belongs, its reading's progress, its pages."""
    document = _visible(document_id)
    readable = document.published or can_correct()
    return render_template(
        "documents/detail.html",
        document=document,
        pages=record.page_summaries(db.session, document) if readable else [],
        readable=readable,
    )


@bp.get("/documents/<int:document_id>/status")
def status(document_id: int):
    """The self-replacing progress of a document's reading (htmx polls it while it runs)."""
    document = _visible(document_id)
    response = Response(render_template("documents/_status.html", document=document))
    if htmx and document.finished:
        # Reading ended while the page was open: reload it to show the pages.
        response.headers["HX-Refresh"] = "true"
    return response


@bp.get("/documents/<int:document_id>/pages/<int:number>")
def page(document_id: int, number: int):
    """One page's text, with a link to the same page of the file."""
    document = _readable(document_id)
    found = record.document_page(db.session, document, number)
    if found is None:
        abort(404)
    return render_template("documents/page.html", document=document, page=found)


@bp.get("/documents/<int:document_id>/file")
def file(document_id: int):
    """The file as attached: shown in the browser (PDF, images) or downloaded (Word)."""
    document = _readable(document_id)
    path = Path(current_app.config["UPLOAD_FOLDER"]) / document.stored_name
    if not path.is_file():
        abort(404)
    from hearings.document_text import FILE_TYPES

    return send_file(
        path,
        mimetype=FILE_TYPES.get(document.file_type, "application/octet-stream"),
        as_attachment=document.file_type == "docx",
        download_name=document.original_filename,
        conditional=True,
    )


@bp.post("/documents/<int:document_id>/publish")
@clerk_required
def publish(document_id: int):
    document = db.get_or_404(Document, document_id)
    with change_to_the_record(_refused_on(document)):
        record.publish_document(db.session, current_user, document)
    flash("The document is public.", "success")
    return redirect(url_for("documents.detail", document_id=document.id))


@bp.post("/documents/<int:document_id>/withdraw")
@clerk_required
def withdraw(document_id: int):
    document = db.get_or_404(Document, document_id)
    with change_to_the_record(_refused_on(document)):
        form = submitted(WithdrawForm)
        record.withdraw_document(db.session, current_user, document, form.reason.data)
    flash("The document was withdrawn from the public record; it is kept for staff.", "success")
    return redirect(url_for("documents.detail", document_id=document.id))


@bp.post("/documents/<int:document_id>/read-again")
@clerk_required
def read_again(document_id: int):
    document = db.get_or_404(Document, document_id)
    with change_to_the_record(_refused_on(document)):
        record.read_again(db.session, current_user, document)
    queue_document_reading(document.id)
    flash("Reading the document again.", "success")
    return redirect(url_for("documents.detail", document_id=document.id))


def _refused_on(document: Document):
    def refused(problem: Refused):
        page = render_template(
            "documents/detail.html",
            document=document,
            pages=record.page_summaries(db.session, document),
            readable=True,
            error=str(problem),
        )
        return page, problem.status

    return refused

"""Documents attached to hearings and matters: keeping the file, publishing, withdrawing.

The file is checked when it arrives (hearings.document_text.check_file), so a clerk hears at
once that a file is encrypted, damaged or not a document; its text is read afterwards by the
worker (hearings.document_reading). Services here flush; the view commits.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.utils import secure_filename

from hearings.audit import audited
from hearings.document_text import UnreadableDocument, check_file
from hearings.errors import Conflict, Malformed, Refused, clean_field
from hearings.models import Document, DocumentPage, Hearing, Matter, Testimony
from hearings.models.base import DbSession, utcnow
from hearings.models.documents import DOCUMENT_KINDS
from hearings.storage import HashingFile, display_filename, incoming_sha256, spill_to

DOCUMENT_FOLDER = "documents"
MAX_TITLE = 300
MAX_WITHDRAWAL_REASON = 1000


def document_state(document: Document) -> dict:
    """What the audit log keeps of a document."""
    return {
        "title": document.title,
        "kind": document.kind,
        "hearing_id": document.hearing_id,
        "matter_id": document.matter_id,
        "file": document.original_filename,
        "sha256": document.sha256,
        "published": document.published_at is not None,
        "withdrawn_reason": document.withdrawn_reason,
    }


def attach_document(
    session: DbSession,
    user,
    upload,
    *,
    upload_folder: str | os.PathLike,
    max_bytes: int,
    max_pages: int,
    kind: str,
    title: str | None = None,
    hearing: Hearing | None = None,
    matter: Matter | None = None,
    publish: bool = True,
) -> Document:
    """Keep an uploaded document for a hearing and/or a matter, queued for reading.

    The file is stored under its hash before the row: should the row then fail (a database
    error, a clerk attaching the same file at the same moment), the file stays, unreferenced,
    and is used again when the same content is attached. Removing it could remove another
    request's file of the same content.
    """
    if kind not in DOCUMENT_KINDS:
        # The page offers the kinds as a list; anything else was not sent by it.
        raise Malformed("Choose what kind of document this is, from the list.")
    if hearing is None and matter is None:
        raise Refused("Attach the document to a hearing or a matter.")
    if upload is None or not getattr(upload, "filename", ""):
        raise Refused("Choose the file to attach.")
    shown = display_filename(upload.filename, limit=255)
    title = clean_field(title, MAX_TITLE, "The title") or _title_from(shown)
    sha256 = incoming_sha256(upload)
    place = Document.place_of(hearing.id if hearing else None, matter.id if matter else None)
    already = session.scalar(
        select(Document).where(Document.sha256 == sha256, Document.place == place)
    )
    if already is not None:
        raise Conflict(f"This file is already attached here, as “{already.title}”.")
    source, spilled = _incoming_path(upload, Path(upload_folder))
    try:
        size = source.stat().st_size
        if size > max_bytes:
            raise Refused(
                f"“{shown}” is larger than {max_bytes // 1024**2:,} MB. Attach a smaller file "
                "or split it into parts."
            )
        try:
            checked = check_file(source, shown, max_pages)
        except UnreadableDocument as problem:
            raise Refused(str(problem)) from problem
        stored_name, written = _keep(source, Path(upload_folder), sha256, shown)
        if not spilled and isinstance(upload.stream, HashingFile):
            upload.stream.kept = written
    finally:
        if spilled:
            source.unlink(missing_ok=True)
    document = Document(
        hearing=hearing,
        matter=matter,
        place=place,
        kind=kind,
        title=title,
        original_filename=shown,
        stored_name=stored_name,
        sha256=sha256,
        file_type=checked.file_type,
        size_bytes=size,
        page_count=checked.page_count,
        uploaded_by_id=getattr(user, "id", None),
    )
    try:
        # A savepoint: the same file attached here at the same moment by another request
        # breaks the constraint, and only this row is undone.
        with session.begin_nested():
            session.add(document)
            session.flush()
    except IntegrityError:
        raise Conflict("This file was attached here a moment ago; it is already there.") from None
    with audited(
        session,
        user,
        "document.attach",
        document,
        document_state,
        hearing_id=hearing.id if hearing else None,
    ):
        if publish:
            document.published_at = utcnow()
            document.published_by_id = getattr(user, "id", None)
    return document


def _title_from(filename: str) -> str:
    stem = Path(filename).stem.replace("_", " ").replace("-", " ")
    return " ".join(stem.split())[:MAX_TITLE] or "Document"


def _incoming_path(upload, folder: Path) -> tuple[Path, bool]:
    """Return the upload's path on disk and whether it was copied there just now."""
    stream = upload.stream
    if isinstance(stream, HashingFile):
        stream.flush()
        return stream.path, False
    return spill_to(stream, folder / "incoming"), True


def _keep(source: Path, folder: Path, sha256: str, shown: str) -> tuple[str, bool]:
    """Place the file at documents/<sha256>/<name>; return its name and whether it was new."""
    name = secure_filename(shown) or "document"
    stored_name = f"{DOCUMENT_FOLDER}/{sha256}/{name[-120:]}"
    target = folder / stored_name
    # A ".partial" copy is one a crash cut short; it is never used.
    existing = [
        path
        for path in (target.parent.glob("*") if target.parent.is_dir() else [])
        if not path.name.endswith(".partial")
    ]
    if existing:
        # The same content is stored already (under another hearing, or another name).
        return f"{DOCUMENT_FOLDER}/{sha256}/{existing[0].name}", False
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.parent == folder / "incoming" and source.name.startswith("incoming-"):
        os.replace(source, target)
    else:
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    return stored_name, True


def written_comment_document(session: DbSession, testimony: Testimony) -> Document:
    """Make a written comment's PDF a document of its matter, public as the comment is."""
    assert testimony.document_name is not None
    # Stored as testimony/<sha256>/<name>.pdf (hearings.storage.keep_pdf).
    sha256 = testimony.document_name.split("/")[1]
    document = Document(
        matter_id=testimony.matter_id,
        hearing_id=testimony.hearing_id,
        testimony_id=testimony.id,
        place=f"t{testimony.id}",
        kind="written_comment",
        title=f"Written comment from {testimony.person.name}",
        original_filename=testimony.document_name.rsplit("/", 1)[-1],
        stored_name=testimony.document_name,
        sha256=sha256,
        file_type="pdf",
        published_at=utcnow(),
        published_by_id=testimony.created_by_id,
        uploaded_by_id=testimony.created_by_id,
    )
    session.add(document)
    session.flush()
    return document


def publish_document(session: DbSession, user, document: Document) -> None:
    """Put a document on the public record (a hearing's once the hearing is published too)."""
    if document.published:
        return
    with audited(session, user, "document.publish", document, document_state):
        document.published_at = utcnow()
        document.published_by_id = getattr(user, "id", None)
        document.withdrawn_at = None
        document.withdrawn_reason = None


def withdraw_document(session: DbSession, user, document: Document, reason: str | None) -> None:
    """Take a document off the public record; the file and its text are kept."""
    reason = clean_field(reason, MAX_WITHDRAWAL_REASON, "The reason")
    if not reason:
        raise Refused("Say why the document is withdrawn: the reason is shown to the public.")
    if not document.published:
        raise Conflict("This document is not public, so there is nothing to withdraw.")
    with audited(session, user, "document.withdraw", document, document_state):
        document.published_at = None
        document.withdrawn_at = utcnow()
        document.withdrawn_reason = reason


def read_again(session: DbSession, user, document: Document) -> None:
    """Put a document whose reading failed back on the queue, from its first unread page."""
    if document.state != "failed":
        raise Conflict("This document is not failed; it is read already or being read.")
    with audited(session, user, "document.read_again", document, document_state):
        document.state, document.error, document.attempts = "queued", None, 0


def of_body(body_id: int):
    """A condition: the document is of one of the body's hearings or matters."""
    return or_(
        Document.hearing_id.in_(select(Hearing.id).where(Hearing.body_id == body_id)),
        Document.matter_id.in_(select(Matter.id).where(Matter.body_id == body_id)),
    )


def documents_of(session: DbSession, hearing: Hearing | None = None, matter: Matter | None = None):
    """Return the documents of a hearing or a matter, newest first."""
    stmt = select(Document).order_by(Document.uploaded_at.desc(), Document.id.desc())
    if hearing is not None:
        stmt = stmt.where(Document.hearing_id == hearing.id)
    if matter is not None:
        stmt = stmt.where(Document.matter_id == matter.id)
    return list(session.scalars(stmt))


def documents_to_read(session: DbSession) -> list[Document]:
    """Documents waiting to be read, being read, or whose reading failed (for the clerks)."""
    stmt = (
        select(Document)
        .where(Document.state.in_(("queued", "reading", "failed")))
        .order_by(Document.uploaded_at, Document.id)
    )
    return list(session.scalars(stmt))


def document_page(session: DbSession, document: Document, number: int) -> DocumentPage | None:
    return session.scalar(
        select(DocumentPage).where(
            DocumentPage.document_id == document.id, DocumentPage.number == number
        )
    )


def page_summaries(session: DbSession, document: Document) -> list[tuple[int, str, str]]:
    """Return (number, method, first words) of each read page, for the document's contents."""
    rows = session.execute(
        select(DocumentPage.number, DocumentPage.method, func.substr(DocumentPage.text, 1, 160))
        .where(DocumentPage.document_id == document.id)
        .order_by(DocumentPage.number)
    ).all()
    return [(number, method, " ".join((start or "").split())) for number, method, start in rows]

"""The worker's side of documents: read a document's pages into the record, resumably.

Pages are stored (and indexed for search) in small batches, each its own transaction, with
the lease renewed: a killed worker loses at most a batch, and the next worker goes on from
the first page not yet stored. The worker owns these transactions, as it does a job's.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, func, select, text, update

from hearings.document_text import UnreadableDocument, check_file, ocr_available, read_pages
from hearings.extensions import db
from hearings.jobs import lease_deadline, worker_gone, worker_identity
from hearings.models import Document, DocumentPage
from hearings.models.base import as_utc, utcnow

log = logging.getLogger(__name__)

# Pages stored per transaction, and at most this long between commits (OCR is ~1 s a page).
BATCH_PAGES = 25
BATCH_SECONDS = 5.0


class ReadingInterrupted(Exception):
    """The worker is shutting down; the document was put back on the queue to go on later."""


def index_pages(connection, page_ids: list[int]) -> None:
    """Add pages to SQLite's FTS5 index (PostgreSQL indexes its generated column itself)."""
    if connection.dialect.name != "sqlite" or not page_ids:
        return
    connection.execute(
        text(
            "INSERT INTO document_page_fts(rowid, text) "
            "SELECT id, text FROM document_pages WHERE id = :id"
        ),
        [{"id": i} for i in page_ids],
    )


def claim_document(document_id: int) -> bool:
    """Mark a queued document as being read here; False if it is not queued (any more)."""
    claimed = cast(
        CursorResult,
        db.session.execute(
            update(Document)
            .where(Document.id == document_id, Document.state == "queued")
            .values(
                state="reading",
                worker=worker_identity(),
                lease_expires_at=lease_deadline(),
                attempts=Document.attempts + 1,
            )
        ),
    ).rowcount
    db.session.commit()
    return claimed == 1


def read_document(document_id: int, should_stop=lambda: False) -> None:
    """Read the document's pages from the first one not yet stored; mark it read or failed."""
    document = db.session.get(Document, document_id)
    if document is None or document.state != "queued":
        return
    if not claim_document(document_id):
        return
    db.session.refresh(document)
    path = Path(current_app.config["UPLOAD_FOLDER"]) / document.stored_name
    try:
        if not path.is_file():
            _fail(document, "The file is missing from the upload folder; restore it from a backup.")
            return
        if document.page_count is None:
            # A written comment's PDF, made a document after it was stored: checked here.
            checked = check_file(
                path, document.original_filename, current_app.config["DOCUMENT_MAX_PAGES"]
            )
            document.page_count, document.size_bytes = checked.page_count, path.stat().st_size
            db.session.commit()
        start = 1 + (
            db.session.scalar(
                select(func.max(DocumentPage.number)).where(DocumentPage.document_id == document.id)
            )
            or 0
        )
        batch: list[DocumentPage] = []
        last_commit = time.monotonic()
        pages = read_pages(path, document.file_type, start, current_app.config["OCR_LANGUAGES"])
        for page in pages:
            batch.append(
                DocumentPage(
                    document_id=document.id, number=page.number, text=page.text, method=page.method
                )
            )
            if len(batch) >= BATCH_PAGES or time.monotonic() - last_commit >= BATCH_SECONDS:
                _store(document, batch)
                batch, last_commit = [], time.monotonic()
                if should_stop():
                    raise ReadingInterrupted
        _store(document, batch)
    except ReadingInterrupted:
        db.session.rollback()
        document.state, document.worker, document.lease_expires_at = "queued", None, None
        document.queued_at = None
        db.session.commit()
        raise
    except UnreadableDocument as problem:
        db.session.rollback()
        _fail(document, str(problem))
        return
    except Exception as error:
        db.session.rollback()
        log.exception("document %s: reading failed", document_id)
        _fail(document, f"Reading stopped at page {document.pages_read + 1}: {error}")
        return
    unreadable = db.session.scalar(
        select(func.count(DocumentPage.id)).where(
            DocumentPage.document_id == document.id, DocumentPage.method == "unreadable"
        )
    )
    document.state, document.worker, document.lease_expires_at = "read", None, None
    document.read_at = utcnow()
    if unreadable:
        why = "" if ocr_available() else " (OCR is not installed on the worker)"
        document.warning = (
            f"{unreadable} page{'s' if unreadable != 1 else ''} had no text that could be "
            f"read{why}."
        )
    db.session.commit()


def _store(document: Document, batch: list[DocumentPage]) -> None:
    """Store a batch of pages with their index entries, renew the lease, commit."""
    if batch:
        db.session.add_all(batch)
        db.session.flush()
        index_pages(db.session.connection(), [page.id for page in batch])
        document.pages_read = batch[-1].number
    document.lease_expires_at = lease_deadline()
    db.session.commit()


def _fail(document: Document, message: str) -> None:
    document.state, document.error = "failed", message
    document.worker, document.lease_expires_at = None, None
    db.session.commit()


def documents_to_queue(stale_after_seconds: float) -> list[int]:
    """Return documents that need a reading task: queued ones never (or long ago) put on the
    queue, and ones being read whose worker is gone (put back as queued here)."""
    from datetime import timedelta

    now = utcnow()
    due = []
    for document in db.session.scalars(
        select(Document).where(Document.state.in_(("queued", "reading")))
    ):
        if document.state == "reading":
            if not worker_gone(("document", document.id), document, now):
                continue
            document.state, document.worker, document.lease_expires_at = "queued", None, None
        elif document.queued_at is not None and as_utc(document.queued_at) > now - timedelta(
            seconds=stale_after_seconds
        ):
            continue
        document.queued_at = now
        due.append(document.id)
    db.session.commit()
    return due

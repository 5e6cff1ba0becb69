"""Documents of the record: agenda packets, presentations, minutes, written comments.

A document belongs to a hearing, a matter, or both. The worker reads its text page by page
(the PDF's text layer, or OCR where a page is a scan) into document pages, which the search
box finds beside what was said.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearings.models.base import Base, utcnow

if TYPE_CHECKING:
    from hearings.models.hearings import Hearing
    from hearings.models.matters import Matter
    from hearings.models.testimony import Testimony

DOCUMENT_KINDS = {
    "agenda_packet": "Agenda packet",
    "presentation": "Presentation",
    "minutes": "Minutes",
    "written_comment": "Written comment",
    "other": "Other document",
}


class Document(Base):
    __tablename__ = "documents"
    # A file is attached once to a place; two clerks attaching it at once get one document.
    __table_args__ = (UniqueConstraint("sha256", "place", name="uq_document_place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearings.id"), index=True)
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"), index=True)
    # A written comment's PDF is the testimony's document too.
    testimony_id: Mapped[int | None] = mapped_column(ForeignKey("testimonies.id"), index=True)
    # Where it is attached, as one value the constraint above can compare (NULLs would not
    # be): "h<hearing>-m<matter>", or "t<testimony>" for a written comment's own PDF.
    place: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    original_filename: Mapped[str] = mapped_column(String(255))
    # Relative to UPLOAD_FOLDER: documents/<sha256>/<name>, or a written comment's own file.
    stored_name: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(String(64))
    # pdf, docx or image: how its pages are read and how it is served.
    file_type: Mapped[str] = mapped_column(String(10))
    size_bytes: Mapped[int | None]
    page_count: Mapped[int | None]
    # queued: waiting for the worker; reading: pages being read; read: every page stored;
    # failed: the file could not be read at all (the reason is kept, the file too).
    state: Mapped[str] = mapped_column(String(20), default="queued")
    pages_read: Mapped[int] = mapped_column(default=0)
    # Why reading failed, or a note that did not stop it (pages no method could read).
    error: Mapped[str | None] = mapped_column(Text)
    warning: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    # As on processing jobs: renewed while reading; a passed lease means the worker is gone.
    lease_expires_at: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(200))
    # When the task was last put on the queue, so recovery does not queue it every minute.
    queued_at: Mapped[datetime | None]
    # When its last page was stored: a document is news for alerts once it can be searched.
    read_at: Mapped[datetime | None]
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Public once a clerk publishes it (and, for a hearing's document, once the hearing is).
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    hearing: Mapped[Hearing | None] = relationship()
    matter: Mapped[Matter | None] = relationship()
    testimony: Mapped[Testimony | None] = relationship()
    pages: Mapped[list[DocumentPage]] = relationship(
        back_populates="document", order_by="DocumentPage.number", cascade="all, delete-orphan"
    )

    @staticmethod
    def place_of(hearing_id: int | None, matter_id: int | None) -> str:
        return f"h{hearing_id or ''}-m{matter_id or ''}"

    @property
    def kind_label(self) -> str:
        return DOCUMENT_KINDS.get(self.kind, self.kind)

    @property
    def published(self) -> bool:
        return self.published_at is not None

    @property
    def finished(self) -> bool:
        return self.state in ("read", "failed")

    @property
    def progress(self) -> int:
        if self.state == "read":
            return 100
        if not self.page_count:
            return 0
        return min(99, self.pages_read * 100 // self.page_count)


class DocumentPage(Base):
    """One page's text, as read from the file's text layer or by OCR."""

    __tablename__ = "document_pages"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    # 1-based, as a PDF viewer's #page=N counts.
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    # text (the file's own text), ocr, or unreadable (neither gave anything).
    method: Mapped[str] = mapped_column(String(20))

    document: Mapped[Document] = relationship(back_populates="pages")

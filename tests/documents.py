"""Real documents made by the tests: PDFs with text, scans, Word files, images of pages."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def text_pdf(pages: list[str]) -> bytes:
    """Return a PDF with one page per string, its text in the PDF's text layer."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def packet(pages: int, phrases: dict[int, str] | None = None) -> bytes:
    """Return an agenda packet of ``pages`` pages; ``phrases`` puts a sentence on a page."""
    phrases = phrases or {}
    return text_pdf(
        [
            f"Agenda packet, page {n}. "
            + phrases.get(n, "Routine business of the committee, items and attachments.")
            for n in range(1, pages + 1)
        ]
    )


# A font with accented letters (Debian's fonts-dejavu-core): Pillow's own default draws "ú" and
# "í" as empty boxes, which no OCR can read.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def page_image(lines: list[str], size=(1700, 2200)) -> Image.Image:
    """Return a page as a scanner would give it: black text on white, about 200 dpi."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(DEJAVU, 40) if DEJAVU.is_file() else ImageFont.load_default(size=40)
    for row, line in enumerate(lines):
        draw.text((150, 200 + row * 70), line, font=font, fill=0)
    return image


def scanned_pdf(pages: list[list[str]]) -> bytes:
    """Return a PDF whose pages are images only (no text layer), like a scanned letter."""
    images = [page_image(lines).convert("RGB") for lines in pages]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=200, save_all=True, append_images=images[1:])
    return out.getvalue()


def png_page(lines: list[str]) -> bytes:
    out = io.BytesIO()
    page_image(lines).save(out, "PNG")
    return out.getvalue()


def docx_pages(pages: list[str]) -> bytes:
    """Return a Word document with a page break between the given pages."""
    import docx

    document = docx.Document()
    for number, text in enumerate(pages):
        if number:
            document.add_page_break()
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def encrypted_pdf(text: str = "Confidential memo") -> bytes:
    """Return a PDF that opens only with a password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf([text]))))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def owner_locked_pdf(text: str) -> bytes:
    """Return a PDF locked only against editing: anyone may open and read it."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf([text]))))
    writer.encrypt(user_password="", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def post_multipart(client, path: str, data: dict):
    """Post a multipart form, closing the encoded body afterwards.

    Werkzeug's test client spools a body over 500 KB to a temporary file and leaves it open
    (a ResourceWarning, which fails the suite); a browser's upload has no such file.
    """
    from flask.testing import EnvironBuilder

    builder = EnvironBuilder(client.application, path=path, method="POST", data=data)
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def stored_document(
    session,
    pages: list[str],
    *,
    matter_id: int | None = None,
    hearing_id: int | None = None,
    title: str = "Agenda packet",
    published: bool = True,
) -> int:
    """Store a read document with these pages' text, indexed as the worker leaves it."""
    from hearings.document_reading import index_pages
    from hearings.models import Document, DocumentPage
    from hearings.models.base import utcnow

    sha256 = hashlib.sha256("\f".join([title, *pages]).encode()).hexdigest()
    document = Document(
        hearing_id=hearing_id,
        matter_id=matter_id,
        place=Document.place_of(hearing_id, matter_id),
        kind="agenda_packet",
        title=title,
        original_filename="packet.pdf",
        stored_name=f"documents/{sha256}/packet.pdf",
        sha256=sha256,
        file_type="pdf",
        page_count=len(pages),
        pages_read=len(pages),
        state="read",
        read_at=utcnow(),
        published_at=utcnow() if published else None,
    )
    document.pages = [
        DocumentPage(number=n, text=text, method="text") for n, text in enumerate(pages, 1)
    ]
    session.add(document)
    session.flush()
    index_pages(session.connection(), [page.id for page in document.pages])
    session.commit()
    return document.id

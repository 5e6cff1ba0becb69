"""Reading a document's text page by page: PDF text layers, OCR for scans, Word files, images.

Nothing here knows of the database or the web: ``check_file`` says at upload whether a file
can be read at all (and why not, in words for a clerk), and ``read_pages`` yields its pages
one at a time, so a 2,000-page packet is never held whole in memory (nor are its pages'
texts: the worker stores them a batch at a time).

- PDF: pypdf reads the text layer. A page with next to no text is a scan (or a picture of
  text); pypdfium2 renders it and Tesseract reads it.
- DOCX: python-docx's XML, split where Word last laid out a page break (Word files have no
  pages of their own; that is what a reader of the printed file saw).
- Images (PNG, JPEG, TIFF; a TIFF may hold several pages): Tesseract.
"""

from __future__ import annotations

import functools
import logging
import shutil
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FILE_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
}
# A page whose text layer has fewer letters and digits than this is read by OCR too.
SCANNED_BELOW = 20
# Rendering for OCR: 300 dots per inch, but never more than this many pixels on a side (a
# poster-sized page at 300 dpi would take hundreds of megabytes).
OCR_DPI = 300
OCR_MAX_SIDE = 5000
OCR_TIMEOUT_SECONDS = 180
# A Word file is a zip; one that unpacks to more than this is refused (a zip bomb).
DOCX_MAX_UNPACKED = 300 * 1024**2
IMAGE_MAX_PIXELS = 120_000_000

# pdfium is not thread-safe, and the worker may run tasks in several threads.
_PDFIUM = threading.Lock()
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class UnreadableDocument(Exception):
    """The file cannot be read as a document; the message says why, for the clerk."""


@dataclass
class FileCheck:
    file_type: str  # pdf, docx, png, jpeg or tiff
    page_count: int


@dataclass
class PageText:
    number: int
    text: str
    method: str  # text, ocr or unreadable


def sniff(head: bytes) -> str | None:
    """Return the file type its first bytes show, or None."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    return None


def _looks_like_a_program(head: bytes) -> bool:
    return head.startswith((b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe"))


def check_file(path: Path, shown_name: str, max_pages: int) -> FileCheck:
    """Return what the file is and how many pages it has; raise UnreadableDocument if it
    cannot be read (wrong type, password, damaged, too many pages)."""
    with path.open("rb") as file:
        head = file.read(1024)
    if not head:
        raise UnreadableDocument(f"“{shown_name}” is empty.")
    kind = sniff(head)
    if kind is None:
        what = "a program" if _looks_like_a_program(head) else "not a document this site reads"
        raise UnreadableDocument(
            f"“{shown_name}” is {what}. Attach a PDF, a Word document (.docx) or an image of "
            "the pages (PNG, JPEG or TIFF)."
        )
    if kind == "pdf":
        pages = _pdf_page_count(path, shown_name)
    elif kind == "zip":
        kind, pages = "docx", _docx_page_count(path, shown_name)
    else:
        pages = _image_page_count(path, shown_name)
    if pages == 0:
        raise UnreadableDocument(f"“{shown_name}” has no pages.")
    if pages > max_pages:
        raise UnreadableDocument(
            f"“{shown_name}” has {pages:,} pages; at most {max_pages:,} are read. Split it into "
            "parts and attach each."
        )
    return FileCheck(kind, pages)


def _open_pdf(path: Path, shown_name: str):
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # Many PDFs are locked only against editing, with an empty password to read them.
            try:
                opened = bool(reader.decrypt(""))
            except (FileNotDecryptedError, NotImplementedError, PyPdfError):
                opened = False
            if not opened:
                raise UnreadableDocument(
                    f"“{shown_name}” is protected by a password. Attach a copy without the "
                    "password (in most PDF readers: Print, then Save as PDF)."
                )
        return reader
    except UnreadableDocument:
        raise
    except Exception as error:
        log.info("PDF %s unreadable: %r", shown_name, error)
        raise UnreadableDocument(
            f"“{shown_name}” is damaged or incomplete and cannot be read as a PDF. Attach the "
            "file again, or a copy saved anew from the program that made it."
        ) from error


def _pdf_page_count(path: Path, shown_name: str) -> int:
    reader = _open_pdf(path, shown_name)
    try:
        return len(reader.pages)
    except Exception as error:
        raise UnreadableDocument(
            f"“{shown_name}” is damaged: its list of pages cannot be read."
        ) from error


def _docx_page_count(path: Path, shown_name: str) -> int:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise UnreadableDocument(f"“{shown_name}” is a damaged zip file.") from error
    if "word/document.xml" not in names:
        raise UnreadableDocument(
            f"“{shown_name}” is a zip file but not a Word document (.docx). Attach a PDF, a "
            "Word document or images of the pages."
        )
    if unpacked > DOCX_MAX_UNPACKED:
        raise UnreadableDocument(f"“{shown_name}” unpacks to more than 300 MB; save it as PDF.")
    try:
        return sum(1 for _ in _docx_pages(path))
    except Exception as error:
        raise UnreadableDocument(f"“{shown_name}” is a damaged Word document.") from error


def _image_page_count(path: Path, shown_name: str) -> int:
    from PIL import Image

    try:
        with _image(path) as image:
            image.verify()
        with _image(path) as image:
            return getattr(image, "n_frames", 1)
    except Image.DecompressionBombError as error:
        raise UnreadableDocument(
            f"“{shown_name}” is too large an image to read; scan it at 300 dpi or less."
        ) from error
    except Exception as error:
        raise UnreadableDocument(f"“{shown_name}” is a damaged image.") from error


def _image(path: Path):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = IMAGE_MAX_PIXELS
    return Image.open(path)


def ocr_available() -> bool:
    return shutil.which("tesseract") is not None


@functools.cache
def _installed_languages() -> frozenset[str]:
    import pytesseract

    try:
        return frozenset(pytesseract.get_languages(config=""))
    except Exception:
        return frozenset()


def ocr_languages(wanted: str) -> str:
    """Return the languages of ``wanted`` ("spa+eng") that Tesseract has installed.

    A language whose data is missing would fail every page; it is left out instead (English
    at least, when none is there), and the worker's log says so.
    """
    installed = _installed_languages()
    chosen = [code for code in wanted.split("+") if code in installed]
    if len(chosen) < len(wanted.split("+")):
        log.warning("OCR languages %s: only %s installed", wanted, sorted(installed))
    return "+".join(chosen) or "eng"


def read_pages(
    path: Path, file_type: str, start: int = 1, ocr_language: str = "spa+eng"
) -> Iterator[PageText]:
    """Yield the document's pages from page ``start`` (1-based) to its end, one at a time."""
    if file_type == "pdf":
        yield from _pdf_pages(path, start, ocr_language)
    elif file_type == "docx":
        for number, text in enumerate(_docx_pages(path), start=1):
            if number >= start:
                yield PageText(number, text, "text")
    else:
        yield from _image_pages(path, start, ocr_language)


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def _pdf_pages(path: Path, start: int, ocr_language: str) -> Iterator[PageText]:
    # One reader for the whole file: pypdf parses a page's objects when it is read and keeps
    # little of them (2,000 pages: 58 MB, as for 20; bench/document_reading.py).
    reader = _open_pdf(path, path.name)
    for index in range(start - 1, len(reader.pages)):
        try:
            text = reader.pages[index].extract_text() or ""
        except Exception:
            log.warning("page %d of %s: text layer unreadable", index + 1, path.name)
            text = ""
        text = _tidy(text)
        if _letters(text) >= SCANNED_BELOW:
            yield PageText(index + 1, text, "text")
            continue
        scanned = _ocr_pdf_page(path, index, ocr_language)
        if scanned is not None and _letters(scanned) > _letters(text):
            yield PageText(index + 1, scanned, "ocr")
        elif text:
            yield PageText(index + 1, text, "text")
        else:
            yield PageText(index + 1, "", "unreadable" if scanned is None else "ocr")


def _ocr_pdf_page(path: Path, index: int, language: str) -> str | None:
    """Render one PDF page and read it with Tesseract; None when that is not possible."""
    if not ocr_available():
        return None
    try:
        import pypdfium2 as pdfium

        with _PDFIUM:
            pdf = pdfium.PdfDocument(str(path))
            try:
                page = pdf[index]
                width, height = page.get_size()
                scale = min(OCR_DPI / 72, OCR_MAX_SIDE / max(width, height, 1))
                image = page.render(scale=scale, grayscale=True).to_pil()
                page.close()
            finally:
                pdf.close()
        return _ocr(image, language)
    except Exception:
        log.exception("page %d of %s: OCR failed", index + 1, path.name)
        return None


def _ocr(image, language: str) -> str:
    import pytesseract

    return _tidy(
        pytesseract.image_to_string(
            image, lang=ocr_languages(language), timeout=OCR_TIMEOUT_SECONDS
        )
    )


def _image_pages(path: Path, start: int, language: str) -> Iterator[PageText]:
    from PIL import ImageSequence

    with _image(path) as image:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if number < start:
                continue
            if not ocr_available():
                yield PageText(number, "", "unreadable")
                continue
            try:
                text = _ocr(frame.convert("L"), language)
            except Exception:
                log.exception("page %d of %s: OCR failed", number, path.name)
                yield PageText(number, "", "unreadable")
                continue
            yield PageText(number, text, "ocr")


def _docx_pages(path: Path) -> Iterator[str]:
    """Yield the text of each page of a Word document, as Word last laid its pages out."""
    import docx

    body = docx.Document(str(path)).element.body
    page: list[str] = []
    pages = 0
    for block in body.iterchildren():
        line: list[str] = []
        for element in block.iter():
            tag = element.tag
            if tag == f"{_W}t" and element.text:
                line.append(element.text)
            elif tag == f"{_W}tab":
                line.append("\t")
            elif tag == f"{_W}p" and line and block.tag == f"{_W}tbl":
                line.append("\n")
            elif _page_break(element) and (page or line):
                # A break Word wrote twice (an explicit one, then where it laid the page
                # out) would count as an empty page; a break only ends a page with text.
                if line:
                    page.append("".join(line))
                    line = []
                if any(part.strip() for part in page):
                    yield _tidy("\n".join(page))
                    pages += 1
                    page = []
        if line:
            page.append("".join(line))
    if any(part.strip() for part in page) or not pages:
        yield _tidy("\n".join(page))


def _page_break(element) -> bool:
    if element.tag == f"{_W}lastRenderedPageBreak":
        return True
    return element.tag == f"{_W}br" and element.get(f"{_W}type") == "page"


def _tidy(text: str) -> str:
    """Strip the characters a database text column or a page cannot hold, and edge space."""
    cleaned = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    return "\n".join(line.rstrip() for line in cleaned.strip().splitlines())

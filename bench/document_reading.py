"""Reading a 2,000-page agenda packet and a scanned letter: time and peak memory.

Each reading runs in a fresh process that imports the same modules, so its peak resident
memory is its own. In the same run:

- baseline: the plain way, every page's text read into a list by one pypdf reader, then used;
- site's reader: hearings.document_text.read_pages, a page at a time;
- worker: the whole job as the worker does it (a temporary SQLite database, the file checked
  and kept, pages read, stored and indexed a batch at a time).

    .venv/bin/python bench/document_reading.py [--pages 2000] [--scanned 10]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _measure(kind: str, path: str) -> dict:
    """Run in a child process: read every page, return pages, seconds and peak RSS."""
    from pypdf import PdfReader

    from hearings import create_app
    from hearings.document_text import read_pages

    started = time.perf_counter()
    if kind == "baseline":
        texts = [page.extract_text() or "" for page in PdfReader(path).pages]
        pages, characters = len(texts), sum(len(t) for t in texts)
    elif kind == "site":
        pages = characters = 0
        for page in read_pages(Path(path), "pdf"):
            pages, characters = pages + 1, characters + len(page.text)
    else:
        pages, characters = _worker_job(create_app, Path(path))
    return {
        "pages": pages,
        "characters": characters,
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _worker_job(create_app, path: Path) -> tuple[int, int]:
    from sqlalchemy import func, select
    from werkzeug.datastructures import FileStorage

    from hearings.document_reading import read_document
    from hearings.documents import attach_document
    from hearings.extensions import db
    from hearings.models import DocumentPage, Matter

    folder = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "QUEUE_IMMEDIATE": True,
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        db.create_all()
        matter = Matter(title="Surveillance ordinance")
        db.session.add(matter)
        with path.open("rb") as stream:
            document = attach_document(
                db.session, None, FileStorage(stream=stream, filename=path.name),
                upload_folder=app.config["UPLOAD_FOLDER"], max_bytes=10**9, max_pages=5000,
                kind="agenda_packet", matter=matter,
            )  # fmt: skip
        db.session.commit()
        read_document(document.id)
        stored = db.session.execute(
            select(func.count(DocumentPage.id), func.sum(func.length(DocumentPage.text)))
        ).one()
    shutil.rmtree(folder)
    return stored[0], stored[1]


def _packet(pages: int) -> bytes:
    """A packet of full pages of small print, as staff reports are."""
    from fpdf import FPDF

    clause = "the department shall report quarterly on its use of surveillance technology"
    body = " ".join(f"Section {i}: {clause}, its costs and its data retention." for i in range(30))
    pdf = FPDF()
    pdf.set_font("Helvetica", size=9)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 4, f"Page {number}. {body}")
    return bytes(pdf.output())


def _run(kind: str, path: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--scanned", type=int, default=10)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(*args.child)))
        return

    from hearings.document_text import ocr_available
    from tests.documents import scanned_pdf

    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "packet.pdf"
        big.write_bytes(_packet(args.pages))
        print(f"Packet: {args.pages:,} pages, {big.stat().st_size / 1024**2:.1f} MB")
        baseline = _run("baseline", big)
        site = _run("site", big)
        worker = _run("worker", big)
        for name, result in (
            ("all pages in a list", baseline),
            ("site's reader", site),
            ("worker, stored", worker),
        ):
            print(
                f"  {name:20} {result['pages']:>6,} pages  {result['seconds']:6.1f} s  "
                f"{result['pages'] / result['seconds']:7.0f} pages/s  "
                f"peak {result['peak_rss_mb']:6.0f} MB"
            )
        assert site["characters"] == baseline["characters"], "both must read the same text"
        assert worker["pages"] == args.pages
        for name, result in (("site", site), ("worker", worker)):
            print(
                f"  {name} / baseline: time x{result['seconds'] / baseline['seconds']:.2f}, "
                f"peak memory x{result['peak_rss_mb'] / baseline['peak_rss_mb']:.2f}"
            )
        if args.scanned and ocr_available():
            scan = Path(folder) / "scan.pdf"
            lines = [[f"Scanned page {n}", "We oppose the cameras."] for n in range(args.scanned)]
            scan.write_bytes(scanned_pdf(lines))
            scanned = _run("site", scan)
            print(
                f"Scanned letter: {scanned['pages']} pages by OCR in {scanned['seconds']:.1f} s "
                f"({scanned['seconds'] / scanned['pages']:.2f} s a page), "
                f"peak {scanned['peak_rss_mb']:.0f} MB"
            )


if __name__ == "__main__":
    main()

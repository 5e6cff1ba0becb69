"""A worker killed while reading a document: the next one goes on from the first unread page.

Real `flask worker` processes and real OCR (scanned pages take about a second each), so the
kill lands part-way through the packet.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess

import pytest

from hearings.document_text import ocr_available
from tests.conftest import ROOT
from tests.documents import scanned_pdf
from tests.jobs import wait_for
from tests.jobs.test_durability import FLASK, instance, start_worker, stop

__all__ = ["instance"]  # the fixture, shared with the transcription durability tests

PAGES = 14


def document(instance) -> dict:
    with sqlite3.connect(instance["database"]) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("SELECT * FROM documents WHERE id = 1").fetchone()
        return dict(row) if row else {}


def pages(instance) -> list[tuple[int, str]]:
    with sqlite3.connect(instance["database"]) as connection:
        return connection.execute(
            "SELECT number, method FROM document_pages ORDER BY number"
        ).fetchall()


@pytest.mark.skipif(not ocr_available(), reason="Tesseract (tesseract-ocr) missing")
def test_a_worker_killed_while_reading_a_scan_is_followed_from_the_next_page(instance, tmp_path):
    with sqlite3.connect(instance["database"]) as connection:
        connection.execute("INSERT INTO matters (id, title) VALUES (1, 'Surveillance ordinance')")
    packet = tmp_path / "scanned-packet.pdf"
    packet.write_bytes(
        scanned_pdf([[f"Scanned page {n}", "Surveillance technology report"] for n in range(PAGES)])
    )
    attached = subprocess.run(
        [*FLASK, "attach-document", str(packet), "--matter", "1", "--kind", "agenda_packet"],
        env=instance["env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert attached.returncode == 0, attached.stderr
    assert f"{PAGES} pages, queued" in attached.stdout

    first = start_worker(instance)
    try:
        # A batch is stored every few seconds; kill once one is in and more remain.
        wait_for(lambda: 0 < document(instance).get("pages_read", 0) < PAGES - 2, timeout=120)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        stop(first)
    stranded = document(instance)
    read_before = len(pages(instance))
    assert stranded["state"] == "reading" and 0 < read_before < PAGES

    second = start_worker(instance, "worker-2.log")
    try:
        done = wait_for(lambda: (d := document(instance))["state"] in ("read", "failed") and d, 180)
    finally:
        stop(second)
    assert done["state"] == "read", done
    assert done["attempts"] == 2
    stored = pages(instance)
    # Every page once, in order, none read twice or skipped.
    assert [number for number, _ in stored] == list(range(1, PAGES + 1))
    assert {method for _, method in stored} == {"ocr"}
    log = (instance["dir"] / "worker-2.log").read_text()
    assert "Reading 1 document(s) not yet read" in log

"""Documents: a clerk attaches packets, slides, minutes and comments; their pages are searched.

Real files throughout: PDFs made with fpdf2, scans rendered to images and read by Tesseract,
Word files made with python-docx, and files that are not what they claim.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hearings.document_text import ocr_available
from hearings.extensions import db
from hearings.models import AuditEntry, Document, DocumentPage, Hearing
from tests.documents import (
    docx_pages,
    encrypted_pdf,
    owner_locked_pdf,
    packet,
    png_page,
    post_multipart,
    scanned_pdf,
    stored_document,
    text_pdf,
)
from tests.web.conftest import minimal_pdf, token

needs_ocr = pytest.mark.skipif(not ocr_available(), reason="Tesseract (tesseract-ocr) missing")

PHRASE = "the department already uses facial recognition software"


def attach(client, path: str, content: bytes, filename: str, **fields):
    data = {
        "csrf_token": token(client, "/matters"),
        "kind": "agenda_packet",
        "publish": "y",
        **fields,
        "document": (io.BytesIO(content), filename),
    }
    if data["publish"] is None:
        data.pop("publish")  # the box unticked: a draft
    return post_multipart(client, path, data)


def document_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/documents/(\d+)$", response.headers["Location"]).group(1))


def stored(app) -> tuple[int, int, list[str]]:
    """Return (documents, pages, files under documents/) as stored now."""
    with app.app_context():
        folder = Path(app.config["UPLOAD_FOLDER"]) / "documents"
        files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        return (
            db.session.scalar(select(func.count(Document.id))),
            db.session.scalar(select(func.count(DocumentPage.id))),
            files,
        )


def test_a_packet_attached_to_a_hearing_is_read_and_its_page_found_by_search(
    app, clerk_client, heard_matter
):
    content = packet(12, {7: f"Memorandum: {PHRASE} as a lead generator."})
    response = attach(
        clerk_client,
        f"/hearings/{heard_matter.hearing_id}/documents",
        content,
        "packet.pdf",
        title="Agenda packet, March 12",
    )
    doc_id = document_id(response)
    with app.app_context():
        document = db.session.get(Document, doc_id)
        assert (document.state, document.page_count, document.pages_read) == ("read", 12, 12)
        assert document.file_type == "pdf" and document.size_bytes == len(content)
        pages = {p.number: p for p in document.pages}
        assert PHRASE in pages[7].text and pages[7].method == "text"
        assert [e.action for e in db.session.scalars(select(AuditEntry))][-1] == "document.attach"

    clerk_client.get("/auth/logout")
    public = app.test_client()
    found = public.get("/search", query_string={"q": "already uses facial recognition"})
    html = found.get_data(as_text=True)
    assert found.status_code == 200
    assert f'href="/documents/{doc_id}/pages/7"' in html
    assert "Agenda packet, March 12, page 7" in html
    assert "<mark>" in html
    page = public.get(f"/documents/{doc_id}/pages/7")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and PHRASE in text
    assert f"/documents/{doc_id}/file#page=7" in text
    served = public.get(f"/documents/{doc_id}/file")
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert served.data == content
    served.close()
    # The hearing page and the document's own page list it.
    assert "Agenda packet, March 12" in public.get(f"/hearings/{heard_matter.hearing_id}").get_data(
        as_text=True
    )
    contents = public.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "12 pages read and searchable" in contents and "Page 12" in contents


def test_a_document_of_a_matter_is_listed_there_and_filtered_by_matter(
    app, clerk_client, heard_matter
):
    doc_id = document_id(
        attach(
            clerk_client,
            f"/matters/{heard_matter.matter_id}/documents",
            text_pdf(["Fiscal note.", f"Staff report: {PHRASE}."]),
            "fiscal-note.pdf",
            kind="presentation",
        )
    )
    matter_page = clerk_client.get(f"/matters/{heard_matter.matter_id}").get_data(as_text=True)
    assert "fiscal note" in matter_page and f"/documents/{doc_id}" in matter_page
    wanted = {"q": "staff report", "matter": "ERC 26-0148"}
    assert f"/documents/{doc_id}/pages/2" in clerk_client.get(
        "/search", query_string=wanted
    ).get_data(as_text=True)
    # Another matter's filter leaves it out.
    other = clerk_client.get("/search", query_string={"q": "staff report", "body": "999"})
    assert f"/documents/{doc_id}/pages/2" not in other.get_data(as_text=True)


def test_documents_of_a_draft_hearing_and_draft_documents_stay_with_staff(
    app, clerk_client, heard_matter
):
    with app.app_context():
        hearing = db.session.get(Hearing, heard_matter.hearing_id)
        hearing.published_at = None
        db.session.commit()
    of_draft = document_id(
        attach(
            clerk_client,
            f"/hearings/{heard_matter.hearing_id}/documents",
            text_pdf([f"Handout: {PHRASE}."]),
            "handout.pdf",
        )
    )
    kept_back = document_id(
        attach(
            clerk_client,
            f"/matters/{heard_matter.matter_id}/documents",
            text_pdf(["Draft minutes: the facial recognition item was tabled."]),
            "minutes.pdf",
            kind="minutes",
            publish=None,
        )
    )
    staff_search = clerk_client.get("/search", query_string={"q": "facial recognition"})
    assert f"/documents/{of_draft}/pages/1" in staff_search.get_data(as_text=True)
    public = app.test_client()
    for doc_id in (of_draft, kept_back):
        assert public.get(f"/documents/{doc_id}").status_code == 404
        assert public.get(f"/documents/{doc_id}/pages/1").status_code == 404
        assert public.get(f"/documents/{doc_id}/file").status_code == 404
    html = public.get("/search", query_string={"q": "facial recognition"}).get_data(as_text=True)
    assert "/documents/" not in html
    assert "/documents/" not in public.get(f"/matters/{heard_matter.matter_id}").get_data(
        as_text=True
    )

    # The clerk publishes the draft document; the hearing's waits for the hearing.
    response = clerk_client.post(
        f"/documents/{kept_back}/publish", data={"csrf_token": token(clerk_client)}
    )
    assert response.status_code == 302
    assert public.get(f"/documents/{kept_back}/pages/1").status_code == 200
    assert public.get(f"/documents/{of_draft}/pages/1").status_code == 404
    with app.app_context():
        db.session.get(Hearing, heard_matter.hearing_id).published_at = func.now()
        db.session.commit()
    assert public.get(f"/documents/{of_draft}/pages/1").status_code == 200


def test_a_withdrawn_document_says_why_and_leaves_search(app, clerk_client, heard_matter):
    doc_id = document_id(
        attach(
            clerk_client,
            f"/matters/{heard_matter.matter_id}/documents",
            text_pdf([f"Letter with a home address: {PHRASE}."]),
            "letter.pdf",
            kind="written_comment",
        )
    )
    missing_reason = clerk_client.post(
        f"/documents/{doc_id}/withdraw", data={"csrf_token": token(clerk_client), "reason": " "}
    )
    assert missing_reason.status_code == 422
    assert "Say why" in missing_reason.get_data(as_text=True)
    response = clerk_client.post(
        f"/documents/{doc_id}/withdraw",
        data={"csrf_token": token(clerk_client), "reason": "It printed a resident's address."},
    )
    assert response.status_code == 302
    public = app.test_client()
    page = public.get(f"/documents/{doc_id}")
    assert page.status_code == 200 and "printed a resident" in page.get_data(as_text=True)
    assert public.get(f"/documents/{doc_id}/file").status_code == 404
    assert public.get(f"/documents/{doc_id}/pages/1").status_code == 404
    assert "/documents/" not in public.get("/search", query_string={"q": "home address"}).get_data(
        as_text=True
    )
    # Kept for staff: the file and the text are still there.
    assert clerk_client.get(f"/documents/{doc_id}/pages/1").status_code == 200
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEntry))]
        assert actions[-1] == "document.withdraw"


@needs_ocr
def test_a_scanned_letter_is_read_by_ocr(app, clerk_client, heard_matter):
    content = scanned_pdf(
        [["Cover letter"], ["To the Common Council:", "Surveillance cameras downtown", "are not"]]
    )
    doc_id = document_id(
        attach(
            clerk_client,
            f"/matters/{heard_matter.matter_id}/documents",
            content,
            "scan.pdf",
            kind="written_comment",
        )
    )
    with app.app_context():
        pages = db.session.scalars(
            select(DocumentPage).where(DocumentPage.document_id == doc_id)
        ).all()
        assert [p.method for p in pages] == ["ocr", "ocr"]
        assert "Surveillance cameras" in pages[1].text
    html = clerk_client.get("/search", query_string={"q": "surveillance cameras"}).get_data(
        as_text=True
    )
    assert f"/documents/{doc_id}/pages/2" in html
    assert "read by OCR" in clerk_client.get(f"/documents/{doc_id}/pages/2").get_data(as_text=True)


@needs_ocr
def test_an_image_of_a_page_is_read_by_ocr(app, clerk_client, heard_matter):
    doc_id = document_id(
        attach(
            clerk_client,
            f"/hearings/{heard_matter.hearing_id}/documents",
            png_page(["Sign-in sheet", "Neighborhood watch association"]),
            "sheet.png",
            kind="other",
        )
    )
    with app.app_context():
        document = db.session.get(Document, doc_id)
        assert document.file_type == "png" and document.state == "read"
        assert "Neighborhood watch" in document.pages[0].text
    served = clerk_client.get(f"/documents/{doc_id}/file")
    assert served.mimetype == "image/png"
    served.close()


def test_a_word_document_is_split_at_its_page_breaks(app, clerk_client, heard_matter):
    content = docx_pages(["Presentation outline.", "Slide two: retention of images.", "End."])
    doc_id = document_id(
        attach(
            clerk_client,
            f"/matters/{heard_matter.matter_id}/documents",
            content,
            "slides.docx",
            kind="presentation",
        )
    )
    with app.app_context():
        document = db.session.get(Document, doc_id)
        assert document.file_type == "docx" and document.page_count == 3
        assert [p.text for p in document.pages] == [
            "Presentation outline.",
            "Slide two: retention of images.",
            "End.",
        ]
    served = clerk_client.get(f"/documents/{doc_id}/file")
    assert "attachment" in served.headers["Content-Disposition"]
    served.close()


def test_a_pdf_locked_only_against_editing_is_read(app, clerk_client, heard_matter):
    doc_id = document_id(
        attach(
            clerk_client,
            f"/matters/{heard_matter.matter_id}/documents",
            owner_locked_pdf("Minutes of the February meeting."),
            "locked.pdf",
            kind="minutes",
        )
    )
    with app.app_context():
        assert "February meeting" in db.session.get(Document, doc_id).pages[0].text


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (encrypted_pdf(), "memo.pdf", "protected by a password"),
        (text_pdf(["Cut short"])[:600], "cut.pdf", "damaged or incomplete"),
        (b"MZ\x90\x00\x03" + b"\x00" * 2000, "agenda.pdf", "is a program"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 2000, "minutes.docx", "is a program"),
        (b"just some text, no document here\n" * 20, "notes.pdf", "not a document"),
        (b"", "empty.pdf", "empty"),
        (b"PK\x03\x04" + b"\x00" * 100, "broken.docx", "damaged zip"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "broken.png", "damaged image"),
    ],
    ids=["encrypted", "truncated", "exe", "elf", "text", "empty", "bad-zip", "bad-png"],
)
def test_a_bad_file_is_refused_with_a_reason_and_nothing_stored_changes(
    app, clerk_client, heard_matter, content, filename, message
):
    kept = document_id(
        attach(
            clerk_client,
            f"/matters/{heard_matter.matter_id}/documents",
            minimal_pdf("Kept document"),
            "kept.pdf",
        )
    )
    before = stored(app)
    response = attach(
        clerk_client, f"/hearings/{heard_matter.hearing_id}/documents", content, filename
    )
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 422), html[:500]
    assert message in html
    assert "Traceback" not in html
    assert stored(app) == before
    with app.app_context():
        assert db.session.get(Document, kept).state == "read"
        incoming = Path(app.config["UPLOAD_FOLDER"]) / "incoming"
        assert not any(incoming.glob("*")) if incoming.is_dir() else True


def test_too_many_pages_or_bytes_are_refused(app, clerk_client, heard_matter):
    app.config["DOCUMENT_MAX_PAGES"] = 5
    response = attach(
        clerk_client, f"/matters/{heard_matter.matter_id}/documents", packet(6), "big.pdf"
    )
    assert response.status_code == 422
    assert "has 6 pages; at most 5" in response.get_data(as_text=True)
    app.config["DOCUMENT_MAX_BYTES"] = 1024
    response = attach(
        clerk_client, f"/matters/{heard_matter.matter_id}/documents", packet(3), "big.pdf"
    )
    assert response.status_code == 422
    assert "larger than" in response.get_data(as_text=True)
    assert stored(app) == (0, 0, [])


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"kind": "bribe"}, 400, ""),
        ({"kind": ""}, 400, ""),
        ({"matter_id": "not-a-number"}, 400, "matter must be a whole number"),
        ({"matter_id": "99999"}, 422, "Choose a matter"),
        ({"title": "x" * 301}, 422, "too long"),
    ],
)
def test_a_garbled_form_is_refused(app, clerk_client, heard_matter, fields, status, message):
    response = attach(
        clerk_client,
        f"/hearings/{heard_matter.hearing_id}/documents",
        minimal_pdf("A comment"),
        "comment.pdf",
        **fields,
    )
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert stored(app) == (0, 0, [])


def test_the_same_file_twice_in_one_place_is_refused(app, clerk_client, heard_matter):
    content = text_pdf(["Presentation on retention."])
    first = attach(clerk_client, f"/matters/{heard_matter.matter_id}/documents", content, "a.pdf")
    document_id(first)
    again = attach(clerk_client, f"/matters/{heard_matter.matter_id}/documents", content, "b.pdf")
    assert again.status_code == 409
    assert "already attached here" in again.get_data(as_text=True)
    # The same file at the hearing is another place: allowed, and stored once.
    document_id(
        attach(clerk_client, f"/hearings/{heard_matter.hearing_id}/documents", content, "c.pdf")
    )
    documents, pages, files = stored(app)
    assert (documents, pages, len(files)) == (2, 2, 1)


def test_only_clerks_attach_or_publish(app, reader_client, heard_matter):
    with app.app_context():
        doc_id = stored_document(db.session, ["Kept back."], published=False)
    before = stored(app)
    response = attach(
        reader_client, f"/matters/{heard_matter.matter_id}/documents", minimal_pdf(), "y.pdf"
    )
    assert response.status_code == 403
    publish = reader_client.post(
        f"/documents/{doc_id}/publish", data={"csrf_token": token(reader_client)}
    )
    assert publish.status_code == 403
    assert stored(app) == before
    with app.app_context():
        assert db.session.get(Document, doc_id).published_at is None


def test_a_written_comment_pdf_becomes_a_searchable_document(app, clerk_client, heard_matter):
    response = clerk_client.post(
        f"/matters/{heard_matter.matter_id}/testimony/written",
        data={
            "csrf_token": token(clerk_client),
            "person_name": "Ana Reyes",
            "position": "oppose",
            "document": (io.BytesIO(text_pdf(["I oppose the cameras on Layton Avenue."])), "c.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        document = db.session.scalars(select(Document)).one()
        assert (document.kind, document.state, document.page_count) == (
            "written_comment",
            "read",
            1,
        )
        assert document.testimony.person.name == "Ana Reyes"
    public = app.test_client()
    html = public.get("/search", query_string={"q": "Layton Avenue"}).get_data(as_text=True)
    assert f"/documents/{document.id}/pages/1" in html
    assert "Written comment from Ana Reyes" in html


def test_a_two_thousand_page_packet_is_read_page_by_page(app, clerk_client, heard_matter):
    content = packet(2000, {1999: "Appendix: the vendor contract for facial recognition."})
    doc_id = document_id(
        attach(clerk_client, f"/hearings/{heard_matter.hearing_id}/documents", content, "p.pdf")
    )
    with app.app_context():
        document = db.session.get(Document, doc_id)
        assert (document.state, document.page_count, document.pages_read) == ("read", 2000, 2000)
        assert (
            db.session.scalar(
                select(func.count(DocumentPage.id)).where(DocumentPage.document_id == doc_id)
            )
            == 2000
        )
    html = clerk_client.get("/search", query_string={"q": "vendor contract"}).get_data(as_text=True)
    assert f"/documents/{doc_id}/pages/1999" in html


def test_many_hits_page_through_in_documents(app, clerk_client, heard_matter):
    content = packet(30, {n: "The surveillance budget line." for n in range(1, 31)})
    doc_id = document_id(
        attach(clerk_client, f"/matters/{heard_matter.matter_id}/documents", content, "p.pdf")
    )
    html = clerk_client.get("/search", query_string={"q": "surveillance budget"}).get_data(
        as_text=True
    )
    assert "All 30 document pages with these words" in html
    assert html.count(f"/documents/{doc_id}/pages/") == 5
    second = clerk_client.get(
        "/search", query_string={"q": "surveillance budget", "in": "documents", "page": 2}
    ).get_data(as_text=True)
    assert second.count('class="document-page-link"') == 10
    assert "page 2 of 2" in second


def test_the_queue_page_lists_documents_to_read_and_those_that_failed(
    app, clerk_client, heard_matter
):
    with app.app_context():
        read = stored_document(db.session, ["Read already."], title="Minutes, read")
        failed = stored_document(db.session, ["x"], title="Scanned petition")
        waiting = stored_document(db.session, ["y"], title="Presentation, waiting")
        db.session.get(Document, failed).state = "failed"
        db.session.get(Document, failed).error = "The file is missing from the upload folder."
        db.session.get(Document, waiting).state = "queued"
        db.session.commit()
    html = clerk_client.get("/hearings/queue").get_data(as_text=True)
    section = html[html.index('id="documents"') :]
    assert f"/documents/{failed}" in section and "missing from the upload folder" in section
    assert f"/documents/{waiting}" in section and "waiting" in section
    assert f"/documents/{read}" not in section


def test_the_same_file_attached_at_the_same_moment_is_kept_once(app, clerk, heard_matter):
    """Four clerks' browsers send the same packet at once: one document, the rest told so."""
    import threading

    from tests.web.conftest import sign_in

    clients = [app.test_client() for _ in range(4)]
    for client in clients:
        assert sign_in(client, clerk["username"], clerk["password"]).status_code == 302
    content = packet(40)
    tokens = [token(client) for client in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def send(client, form_token):
        data = {
            "csrf_token": form_token,
            "kind": "agenda_packet",
            "publish": "y",
            "document": (io.BytesIO(content), "packet.pdf"),
        }
        start.wait()
        statuses.append(
            post_multipart(client, f"/matters/{heard_matter.matter_id}/documents", data).status_code
        )

    threads = [
        threading.Thread(target=send, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [302, 409, 409, 409]
    documents, pages, files = stored(app)
    assert (documents, pages, len(files)) == (1, 40, 1)


@pytest.mark.skipif(
    not ocr_available() or "spa" not in __import__("pytesseract").get_languages(config=""),
    reason="Tesseract's Spanish data (tesseract-ocr-spa) missing",
)
def test_a_scanned_letter_in_spanish_keeps_its_accents_and_is_found(
    app, clerk_client, heard_matter
):
    letter = ["Al Concejo Común:", "Nos oponemos al reconocimiento facial", "de la policía."]
    doc_id = document_id(
        attach(
            clerk_client,
            f"/matters/{heard_matter.matter_id}/documents",
            scanned_pdf([letter]),
            "carta.pdf",
            kind="written_comment",
        )
    )
    with app.app_context():
        text = db.session.get(Document, doc_id).pages[0].text
    assert "Común" in text and "policía" in text
    html = clerk_client.get("/search", query_string={"q": "policía"}).get_data(as_text=True)
    assert f"/documents/{doc_id}/pages/1" in html


def test_ocr_leaves_out_a_language_that_is_not_installed():
    from hearings.document_text import _installed_languages, ocr_languages

    assert ocr_languages("xyz") == "eng"  # none installed: English, Tesseract's own
    if {"eng", "spa"} <= _installed_languages():
        assert ocr_languages("spa+xyz+eng") == "spa+eng"
        assert ocr_languages("spa+eng") == "spa+eng"


def test_document_pages_are_dated_by_their_hearing(app, client, heard_matter):
    with app.app_context():
        doc_id = stored_document(
            db.session, ["Budget memo on cameras."], hearing_id=heard_matter.hearing_id
        )
    link = f"/documents/{doc_id}/pages/1"

    def found(**dates) -> bool:
        args = {"q": "budget memo", **dates}
        return link in client.get("/search", query_string=args).get_data(as_text=True)

    assert found(**{"from": "2026-03-01", "to": "2026-03-31"})  # the hearing: March 12
    assert not found(**{"from": "2026-04-01"})
    assert not found(to="2026-03-11")

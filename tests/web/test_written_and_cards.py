"""Written comments (text or a real PDF) and sign-up cards."""

import io
from pathlib import Path

from sqlalchemy import func, select

from hearings import models
from hearings.extensions import db
from tests.web.conftest import minimal_pdf, token


def stored_pdfs(app) -> list[Path]:
    return sorted(
        p for p in (Path(app.config["UPLOAD_FOLDER"]) / "testimony").rglob("*") if p.is_file()
    )


def post_written(client, heard_matter, document=None, **fields):
    data = {
        "csrf_token": token(client, f"/matters/{heard_matter.matter_id}/testimony/written"),
        "person_name": "Dana Ortiz",
        "organization": ["Milwaukee Turners"],
        "position": "not_stated",
        "received_on": "2026-03-10",
        **fields,
    }
    if document is not None:
        data["document"] = document
    return client.post(
        f"/matters/{heard_matter.matter_id}/testimony/written",
        data=data,
        content_type="multipart/form-data",
    )


def count_testimonies(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(models.Testimony))


def test_written_form_needs_a_clerk(client, heard_matter):
    response = client.get(f"/matters/{heard_matter.matter_id}/testimony/written")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_text_file_named_pdf_is_refused(clerk_client, app, heard_matter):
    fake = (io.BytesIO(b"This is not a PDF at all.\n" * 20), "comment.pdf")
    response = post_written(clerk_client, heard_matter, document=fake)
    assert response.status_code == 422
    assert "is not a PDF document" in response.get_data(as_text=True)
    assert count_testimonies(app) == 0
    assert stored_pdfs(app) == []


def test_a_truncated_pdf_is_refused(clerk_client, app, heard_matter):
    cut = minimal_pdf()[:-20]
    response = post_written(clerk_client, heard_matter, document=(io.BytesIO(cut), "cut.pdf"))
    assert response.status_code == 422
    assert count_testimonies(app) == 0


def test_a_real_pdf_is_kept_and_served(clerk_client, app, heard_matter):
    pdf = minimal_pdf("We oppose this ordinance")
    response = post_written(
        clerk_client, heard_matter, document=(io.BytesIO(pdf), "Letter from Turners.pdf")
    )
    assert response.status_code == 302
    with app.app_context():
        testimony = db.session.scalars(select(models.Testimony)).one()
        assert testimony.kind == "written"
        assert testimony.person.name == "Dana Ortiz"
        assert testimony.received_on.isoformat() == "2026-03-10"
        assert testimony.document_name.startswith("testimony/")
        assert testimony.document_name.endswith("/Letter_from_Turners.pdf")
        testimony_id = testimony.id
    [kept] = stored_pdfs(app)
    assert kept.read_bytes() == pdf
    download = clerk_client.get(f"/testimony/{testimony_id}/document")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data == pdf
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()


def test_an_oversized_pdf_is_refused(clerk_client, app, heard_matter):
    app.config["TESTIMONY_MAX_PDF_BYTES"] = 100
    response = post_written(
        clerk_client, heard_matter, document=(io.BytesIO(minimal_pdf()), "big.pdf")
    )
    assert response.status_code == 422
    assert "larger than" in response.get_data(as_text=True)
    assert stored_pdfs(app) == []


def test_neither_text_nor_pdf_is_refused_and_the_form_keeps_its_values(
    clerk_client, app, heard_matter
):
    response = post_written(clerk_client, heard_matter)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Paste the comment" in html
    assert 'value="Dana Ortiz"' in html and 'value="Milwaukee Turners"' in html
    assert count_testimonies(app) == 0


def test_a_pasted_comment_gets_a_suggestion_but_no_position(clerk_client, app, heard_matter):
    response = post_written(
        clerk_client,
        heard_matter,
        written_text="I urge you to reject this ordinance. It invites bias.",
    )
    assert response.status_code == 302
    with app.app_context():
        testimony = db.session.scalars(select(models.Testimony)).one()
        assert testimony.suggested_position == "oppose"
        assert testimony.position_confirmed is False and testimony.position == "not_stated"
        assert testimony.document_name is None


def test_sign_up_card_records_the_stated_position(clerk_client, app, heard_matter):
    response = clerk_client.post(
        f"/matters/{heard_matter.matter_id}/testimony/card",
        data={
            "csrf_token": token(clerk_client),
            "person_name": "Sam Reyes",
            "position": "support",
            "hearing_id": heard_matter.hearing_id,
            "concern_ids": [heard_matter.concern_ids["cost"]],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        card = db.session.scalars(select(models.Testimony)).one()
        assert (card.kind, card.position, card.position_confirmed) == ("card", "support", True)
        assert card.segments == [] and card.hearing_id == heard_matter.hearing_id
        assert card.received_on.isoformat() == "2026-03-12"
    page = clerk_client.get(f"/matters/{heard_matter.matter_id}").get_data(as_text=True)
    assert "Sam Reyes" in page and "Signed a card" in page


def test_unknown_kind_of_testimony_is_not_found(clerk_client, heard_matter):
    assert clerk_client.get(f"/matters/{heard_matter.matter_id}/testimony/email").status_code == 404

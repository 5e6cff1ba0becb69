"""Review before publishing: drafts are staff-only; publish, withdraw and delete are audited."""

from __future__ import annotations

import pytest

from hearings import models
from hearings.extensions import db
from hearings.models import AuditEntry, Hearing, User
from hearings.storage import recording_path
from hearings.transcripts import store_transcript
from tests.fakes import sample_transcript
from tests.web.conftest import csrf_token, hearing_form, sign_in


def make_user(app, username: str, role: str) -> dict:
    with app.app_context():
        user = User(username=username, role=role)
        user.set_password("a long enough password")
        db.session.add(user)
        db.session.commit()
    return {"username": username, "password": "a long enough password"}


def signed_in(app, username: str, role: str):
    client = app.test_client()
    account = make_user(app, username, role)
    assert sign_in(client, account["username"], account["password"]).status_code == 302
    return client


@pytest.fixture
def draft(app, clerk_client, jfk_wav) -> int:
    """A hearing a clerk uploaded; the fake pipeline transcribed it; nobody published it."""
    assert hearing_form(clerk_client, jfk_wav).status_code == 302
    with app.app_context():
        return db.session.scalars(db.select(Hearing.id)).one()


def post(client, hearing_id: int, action: str, **data):
    token = csrf_token(client, f"/hearings/{hearing_id}")
    return client.post(f"/hearings/{hearing_id}/{action}", data={"csrf_token": token, **data})


def status(client, path: str) -> int:
    response = client.get(path)
    response.close()  # a recording is streamed from its file
    return response.status_code


PUBLIC_PATHS = (
    "/hearings/{id}",
    "/hearings/{id}/at/3200",
    "/hearings/{id}/at/3200-7150",
    "/hearings/{id}/transcript.vtt",
    "/hearings/{id}/transcript.json",
    "/hearings/{id}/recording",
    "/hearings/{id}/corrections",
)


def test_a_new_hearing_is_a_draft_the_public_cannot_see(app, draft, clerk_client):
    public = app.test_client()
    for path in PUBLIC_PATHS:
        assert status(public, path.format(id=draft)) == 404, path
    assert "Facial recognition hearing" not in public.get("/").get_data(as_text=True)
    found = public.get("/search?q=lead+generator").get_data(as_text=True)
    assert f"/hearings/{draft}/at/" not in found
    # Staff see everything, marked as a draft.
    page = clerk_client.get(f"/hearings/{draft}").get_data(as_text=True)
    assert "Draft." in page and "lead generator" in page
    assert f"/hearings/{draft}/at/" in clerk_client.get("/search?q=lead+generator").get_data(
        as_text=True
    )


def test_publishing_puts_it_on_the_record_and_is_audited(app, draft, clerk_client):
    response = post(clerk_client, draft, "publish")
    assert response.status_code == 302
    public = app.test_client()
    for path in PUBLIC_PATHS:
        assert status(public, path.format(id=draft)) == 200, path
    assert "lead generator" in public.get(f"/hearings/{draft}").get_data(as_text=True)
    assert f"/hearings/{draft}/at/" in public.get("/search?q=lead+generator").get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "hearing.publish")
        ).one()
        assert entry.hearing_id == draft and entry.after["published_at"]


def test_an_editor_corrects_but_cannot_publish(app, draft):
    editor = signed_in(app, "ed", "editor")
    assert "Draft." in editor.get(f"/hearings/{draft}").get_data(as_text=True)
    assert post(editor, draft, "publish").status_code == 403
    with app.app_context():
        assert db.session.get(Hearing, draft).published_at is None


def test_withdrawing_needs_a_reason_and_shows_it_publicly(app, draft, clerk_client):
    post(clerk_client, draft, "publish")
    refused = post(clerk_client, draft, "withdraw", reason="   ")
    assert refused.status_code == 422
    assert "Say why" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Hearing, draft).published_at is not None
    reason = "The recording includes a closed session by mistake."
    assert post(clerk_client, draft, "withdraw", reason=reason).status_code == 302
    public = app.test_client()
    page = public.get(f"/hearings/{draft}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Withdrawn from the public record" in text and reason in text
    assert "lead generator" not in text
    for path in PUBLIC_PATHS[1:]:
        assert status(public, path.format(id=draft)) == 404, path
    with app.app_context():
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "hearing.withdraw")
        ).one()
        assert entry.after["withdrawn_reason"] == reason


def test_only_admins_delete_and_the_recording_file_goes_too(app, draft, clerk_client):
    with app.app_context():
        hearing = db.session.get(Hearing, draft)
        path = recording_path(hearing.recording.stored_name)
        # Testimony recorded at this hearing outlives it.
        testimony = models.Testimony(
            matter=models.Matter(title="Facial recognition ordinance"),
            person=models.Person(name="Maria Lopez"),
            hearing_id=draft,
            segments=hearing.segments[1:2],
            position="oppose",
            position_confirmed=True,
        )
        db.session.add(testimony)
        db.session.commit()
        testimony_id = testimony.id
    assert path.is_file()
    assert post(clerk_client, draft, "delete").status_code == 403
    admin = signed_in(app, "root", "admin")
    # Testimony quoting the hearing is clerks' work: deleting it is a decision of its own.
    refused = post(admin, draft, "delete")
    assert refused.status_code == 409
    assert "1 testimony is recorded at this hearing" in refused.get_data(as_text=True)
    assert path.is_file()
    with app.app_context():
        db.session.delete(db.session.get(models.Testimony, testimony_id))
        db.session.commit()
    assert post(admin, draft, "delete").status_code == 302
    assert not path.exists()
    assert admin.get(f"/hearings/{draft}").status_code == 404
    with app.app_context():
        assert db.session.get(Hearing, draft) is None
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "hearing.delete")
        ).one()
        assert entry.target == f"hearings:{draft}"
        assert entry.before["title"] == "Facial recognition hearing"
        assert entry.before["recording_sha256"]


def test_publishing_waits_for_processing(app, draft, clerk_client):
    with app.app_context():
        job = db.session.get(Hearing, draft).latest_job
        job.status = "running"
        db.session.commit()
    response = post(clerk_client, draft, "publish")
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Hearing, draft).published_at is None


def test_a_new_machine_transcript_goes_back_to_review(app, draft, clerk_client):
    post(clerk_client, draft, "publish")
    with app.app_context():
        hearing = db.session.get(Hearing, draft)
        store_transcript(db.session, hearing, sample_transcript())
        db.session.commit()
        assert hearing.published_at is None
        assert "processed again" in hearing.withdrawn_reason
    assert app.test_client().get(f"/hearings/{draft}/transcript.txt").status_code == 404


def test_organization_counts_leave_out_draft_testimony(app, draft, clerk_client):
    with app.app_context():
        hearing = db.session.get(Hearing, draft)
        aclu = models.Organization(name="ACLU of Wisconsin")
        db.session.add(
            models.Testimony(
                matter=models.Matter(title="Facial recognition ordinance"),
                person=models.Person(name="Maria Lopez"),
                hearing_id=draft,
                segments=hearing.segments[1:2],
                organizations=[aclu],
            )
        )
        db.session.commit()

    def count_shown(client) -> str:
        page = client.get("/organizations").get_data(as_text=True)
        row = page[page.index("ACLU of Wisconsin") :]
        return row.split("</tr>")[0].rsplit("<td>", 1)[1].split("<")[0]

    assert count_shown(app.test_client()) == "0"
    assert count_shown(clerk_client) == "1"
    post(clerk_client, draft, "publish")
    assert count_shown(app.test_client()) == "1"


def test_an_unknown_publication_action_is_not_found(app, draft, clerk_client):
    assert post(clerk_client, draft, "unpublish-everything").status_code == 404
    with app.app_context():
        assert db.session.get(Hearing, draft).published_at is None


def test_a_hearing_with_documents_attached_is_not_deleted(app, draft):
    from tests.documents import stored_document

    with app.app_context():
        stored_document(db.session, ["Agenda packet, page 1."], hearing_id=draft)
    admin = signed_in(app, "root", "admin")
    refused = post(admin, draft, "delete")
    assert refused.status_code == 409
    assert "1 document is attached to this hearing" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Hearing, draft) is not None
        assert db.session.scalar(db.select(db.func.count(models.Document.id))) == 1

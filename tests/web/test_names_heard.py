"""Names heard in the hearing are offered to editors, confirmed with one click, never public."""

from __future__ import annotations

from hearings.extensions import db
from hearings.models import AuditEntry, Hearing, Speaker
from hearings.speakers import suggest_names_heard
from tests.fakes import sample_transcript
from tests.web.conftest import csrf_token
from tests.web.test_speakers import HTMX, speaker_ids, stored_hearing

CALLED = [
    (0.0, "SPEAKER_00", "We will now hear from the public."),
    (2.0, "SPEAKER_00", "Our first speaker is Tanisha Rowe, representing the Northside Coalition."),
    (6.0, "SPEAKER_01", "Good evening, and thank you for hearing us."),
    (9.0, "SPEAKER_00", "Thank you, Ms. Rowe."),
]


def heard_hearing(app) -> int:
    hearing_id = stored_hearing(app, transcript=sample_transcript(CALLED))
    with app.app_context():
        suggest_names_heard(db.session, db.session.get(Hearing, hearing_id))
        db.session.commit()
    return hearing_id


def test_editors_see_the_name_heard_with_its_words_and_the_public_does_not(
    app, client, clerk_client
):
    hearing_id = heard_hearing(app)
    page = clerk_client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert "Heard as <strong>Tanisha Rowe</strong> (Northside Coalition)" in page
    assert "Our first speaker is Tanisha Rowe" in page
    public = app.test_client().get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert "Heard as" not in public
    # The words are in the transcript, but no line is credited to her until confirmed.
    assert ">Tanisha Rowe</" not in public


def test_confirming_names_the_voice_with_its_organization(app, clerk_client):
    hearing_id = heard_hearing(app)
    ids = speaker_ids(app, hearing_id)
    token = csrf_token(clerk_client, f"/hearings/{hearing_id}")
    response = clerk_client.post(
        f"/hearings/{hearing_id}/speakers/{ids['SPEAKER_01']}/confirm-heard",
        data={"csrf_token": token},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "SPEAKER_01 is now Tanisha Rowe" in response.get_data(as_text=True)
    with app.app_context():
        speaker = db.session.get(Speaker, ids["SPEAKER_01"])
        assert speaker.person.name == "Tanisha Rowe"
        assert speaker.person.organization.name == "Northside Coalition"
        assert speaker.heard_name is None
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "speaker.confirm_heard")
        ).one()
        assert entry.before["heard_name"] == "Tanisha Rowe"
    page = app.test_client().get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert "Tanisha Rowe" in page
    # Twice (a double click): nothing more to confirm, and nothing changes.
    again = clerk_client.post(
        f"/hearings/{hearing_id}/speakers/{ids['SPEAKER_01']}/confirm-heard",
        data={"csrf_token": token},
        headers=HTMX,
    )
    assert again.status_code == 422


def test_dismissing_a_name_heard(app, clerk_client):
    hearing_id = heard_hearing(app)
    ids = speaker_ids(app, hearing_id)
    token = csrf_token(clerk_client, f"/hearings/{hearing_id}")
    response = clerk_client.post(
        f"/hearings/{hearing_id}/speakers/{ids['SPEAKER_01']}/dismiss-heard",
        data={"csrf_token": token},
    )
    assert response.status_code == 302
    with app.app_context():
        speaker = db.session.get(Speaker, ids["SPEAKER_01"])
        assert speaker.heard_name is None and speaker.person is None


def test_an_existing_person_is_reused_and_a_surname_made_whole(app, clerk_client):
    from hearings.models import Person

    with app.app_context():
        db.session.add(Person(name="Tanisha Rowe", title="Resident"))
        db.session.commit()
    hearing_id = stored_hearing(
        app,
        transcript=sample_transcript(
            [(0.0, "SPEAKER_00", "Go ahead."), (3.0, "SPEAKER_01", "Thank you, Ms. Rowe.")]
        ),
    )
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        suggest_names_heard(db.session, hearing)
        db.session.commit()
        speaker = next(s for s in hearing.speakers if s.label == "SPEAKER_00")
        assert speaker.heard_name == "Tanisha Rowe"
        speaker_id = speaker.id
    token = csrf_token(clerk_client, f"/hearings/{hearing_id}")
    clerk_client.post(
        f"/hearings/{hearing_id}/speakers/{speaker_id}/confirm-heard", data={"csrf_token": token}
    )
    with app.app_context():
        people = db.session.scalars(db.select(Person).where(Person.name == "Tanisha Rowe")).all()
        assert len(people) == 1 and people[0].title == "Resident"


def test_the_organization_heard_takes_the_glossary_spelling(app):
    from hearings.models import GlossaryTerm

    hearing_id = stored_hearing(
        app,
        transcript=sample_transcript(
            [
                (
                    0.0,
                    "SPEAKER_00",
                    "Next we have Daniel Brooks of the Riverwest Primacy Alliance.",
                ),
                (4.0, "SPEAKER_01", "Thank you, commissioners."),
            ]
        ),
    )
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        db.session.add(
            GlossaryTerm(
                body_id=hearing.body_id, term="Riverwest Privacy Alliance", kind="organization"
            )
        )
        db.session.commit()
        suggest_names_heard(db.session, hearing)
        speaker = next(s for s in hearing.speakers if s.label == "SPEAKER_01")
        assert (speaker.heard_name, speaker.heard_organization) == (
            "Daniel Brooks",
            "Riverwest Privacy Alliance",
        )

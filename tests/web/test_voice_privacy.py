"""Voices are kept and matched only for members of a body and people who agreed."""

from __future__ import annotations

from datetime import date

from hearings.extensions import db
from hearings.models import AuditEntry, Body, Hearing, Membership, Person, Speaker
from hearings.speakers import known_voices
from tests.web.conftest import csrf_token
from tests.web.test_speaker_suggestions import voice, with_embeddings
from tests.web.test_speakers import HTMX, name_url, speaker_ids, stored_hearing


def hearing_with_voices(app, sha: str) -> int:
    return stored_hearing(
        app,
        f"Hearing {sha[0]}",
        with_embeddings({"SPEAKER_00": voice(1).tolist(), "SPEAKER_01": voice(2).tolist()}, sha),
    )


def embedding_of(app, speaker_id: int):
    with app.app_context():
        return db.session.get(Speaker, speaker_id).embedding


def test_a_member_of_the_public_named_is_not_enrolled(app, clerk_client):
    hearing_id = hearing_with_voices(app, "a" * 64)
    ids = speaker_ids(app, hearing_id)
    token = csrf_token(clerk_client, f"/hearings/{hearing_id}")
    clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_01"]),
        data={"name": "Priya Shah", "title": "Resident", "csrf_token": token},
        headers=HTMX,
    )
    assert embedding_of(app, ids["SPEAKER_01"]) is None
    with app.app_context():
        assert known_voices(db.session, excluding_hearing_id=0) == {}


def test_a_member_of_a_body_is_recognised_and_a_consenting_person_too(app, clerk_client):
    with app.app_context():
        council = Body(name="Common Council")
        member = Person(name="Alder Jones")
        db.session.add_all([council, member, Membership(person=member, body=council)])
        consenting = Person(name="Shelby Kerr", voice_consent=True)
        db.session.add(consenting)
        db.session.commit()
        member_id, consenting_id = member.id, consenting.id
    hearing_id = hearing_with_voices(app, "b" * 64)
    ids = speaker_ids(app, hearing_id)
    token = csrf_token(clerk_client, f"/hearings/{hearing_id}")
    for label, person_id in (("SPEAKER_00", member_id), ("SPEAKER_01", consenting_id)):
        clerk_client.post(
            name_url(hearing_id, ids[label]),
            data={"person_id": person_id, "csrf_token": token},
            headers=HTMX,
        )
        assert embedding_of(app, ids[label]) is not None
    with app.app_context():
        assert set(known_voices(db.session, excluding_hearing_id=0)) == {member_id, consenting_id}


def test_forget_this_voice_deletes_every_voiceprint_and_is_audited(app, clerk_client, client):
    first, second = hearing_with_voices(app, "c" * 64), hearing_with_voices(app, "d" * 64)
    with app.app_context():
        kerr = Person(name="Shelby Kerr", voice_consent=True)
        db.session.add(kerr)
        for hearing_id in (first, second):
            hearing = db.session.get(Hearing, hearing_id)
            next(s for s in hearing.speakers if s.label == "SPEAKER_00").person = kerr
        db.session.commit()
        kerr_id = kerr.id
    page = clerk_client.get(f"/people/{kerr_id}").get_data(as_text=True)
    assert "2 voiceprints stored" in page
    # Residents cannot.
    anonymous = client.__class__(app)
    refused = anonymous.post(f"/people/{kerr_id}/voice", data={})
    assert refused.status_code in (302, 400)
    token = csrf_token(clerk_client, f"/people/{kerr_id}")
    response = clerk_client.post(f"/people/{kerr_id}/voice", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                db.select(db.func.count(Speaker.id)).where(
                    Speaker.person_id == kerr_id, Speaker.embedding.is_not(None)
                )
            )
            == 0
        )
        assert db.session.get(Person, kerr_id).voice_consent is False
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "person.forget_voice")
        ).one()
        assert entry.before["voice_consent"] is True and entry.after["voice_consent"] is False


def test_consent_is_recorded_by_a_clerk(app, clerk_client):
    with app.app_context():
        person = Person(name="Tanisha Rowe", title="Resident")
        db.session.add(person)
        db.session.commit()
        person_id = person.id
    token = csrf_token(clerk_client, f"/people/{person_id}")
    clerk_client.post(f"/people/{person_id}/voice", data={"csrf_token": token, "consent": "y"})
    with app.app_context():
        assert db.session.get(Person, person_id).voice_consent is True


def test_merging_into_a_member_of_the_public_keeps_no_voiceprint(app):
    from hearings.speakers import merge_speakers

    hearing_id = hearing_with_voices(app, "e" * 64)
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        named, unnamed = sorted(hearing.speakers, key=lambda s: s.label)[:2]
        named.person = Person(name="Priya Shah")
        named.embedding = None  # as naming her left it
        db.session.commit()
        merge_speakers(db.session, None, unnamed, named)
        db.session.commit()
        assert db.session.get(Speaker, named.id).embedding is None


def test_processing_again_brings_back_no_voiceprint_of_the_public(app):
    from hearings.transcripts import store_transcript

    hearing_id = hearing_with_voices(app, "f" * 64)
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        speaker = next(s for s in hearing.speakers if s.label == "SPEAKER_00")
        speaker.person = Person(name="Priya Shah")
        speaker.embedding = None
        db.session.commit()
        store_transcript(
            db.session,
            hearing,
            with_embeddings(
                {"SPEAKER_00": voice(1).tolist(), "SPEAKER_01": voice(2).tolist()}, "f" * 64
            ),
        )
        db.session.commit()
        named = [s for s in hearing.speakers if s.person is not None]
        assert [s.person.name for s in named] == ["Priya Shah"]
        assert named[0].embedding is None


def test_forgetting_a_voice_withdraws_the_matches_made_with_it(app, clerk_client):
    with app.app_context():
        kerr = Person(name="Shelby Kerr", voice_consent=True)
        db.session.add(kerr)
        db.session.commit()
        kerr_id = kerr.id
    hearing_id = hearing_with_voices(app, "g" * 64)
    with app.app_context():
        guessed = next(s for s in db.session.get(Hearing, hearing_id).speakers)
        guessed.suggested_person_id, guessed.suggested_similarity = kerr_id, 0.9
        db.session.commit()
        guessed_id = guessed.id
    token = csrf_token(clerk_client, f"/people/{kerr_id}")
    clerk_client.post(f"/people/{kerr_id}/voice", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Speaker, guessed_id).suggested_person_id is None


def test_a_former_member_is_no_longer_recognised(app):
    from hearings.speakers import keeps_voice

    with app.app_context():
        council = Body(name="Common Council")
        former = Person(name="Alder Former")
        sitting = Person(name="Alder Sitting")
        db.session.add_all(
            [
                Membership(person=former, body=council, end_date=date(2020, 4, 1)),
                Membership(person=sitting, body=council),
            ]
        )
        db.session.commit()
        assert not keeps_voice(db.session, former)
        assert keeps_voice(db.session, sitting)

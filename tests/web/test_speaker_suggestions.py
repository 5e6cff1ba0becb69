"""Recognising returning speakers: suggestions from voice embeddings, confirmed by an editor."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from hearings.extensions import db
from hearings.models import AuditEntry, Hearing, Person, Speaker
from hearings.speakers import suggest_returning_speakers
from tests.fakes import sample_transcript
from tests.web.conftest import csrf_token, hearing_form, tone_wav
from tests.web.test_speakers import HTMX, speaker_ids, stored_hearing
from transcription.voices import RECOGNITION_THRESHOLD

DIM = 192


def voice(seed: int) -> np.ndarray:
    """Return a random unit vector standing for one person's voice."""
    vector = np.random.default_rng(seed).standard_normal(DIM)
    return vector / np.linalg.norm(vector)


def near(base: np.ndarray, similarity: float, seed: int) -> list[float]:
    """Return a vector with exactly this cosine similarity to base."""
    other = np.random.default_rng(seed).standard_normal(DIM)
    other -= other.dot(base) * base
    other /= np.linalg.norm(other)
    return (similarity * base + np.sqrt(1 - similarity**2) * other).tolist()


def with_embeddings(embeddings: dict[str, list[float]], sha: str):
    transcript = sample_transcript(sha256=sha)
    transcript.speaker_embeddings = embeddings
    return transcript


def name_directly(app, speaker_id: int, name: str) -> int:
    with app.app_context():
        # Staff are recognised by voice once a clerk ticks their consent (test_voice_privacy).
        person = Person(name=name, title="Chief of Staff", voice_consent=True)
        db.session.get(Speaker, speaker_id).person = person
        db.session.commit()
        return person.id


@pytest.fixture
def earlier(app):
    """Hearing A: SPEAKER_00 was named Shelby Kerr; their voice is stored with that label."""
    kerr = voice(1)
    hearing = stored_hearing(
        app,
        "Earlier hearing",
        with_embeddings({"SPEAKER_00": kerr.tolist(), "SPEAKER_01": voice(2).tolist()}, "a" * 64),
    )
    person_id = name_directly(app, speaker_ids(app, hearing)["SPEAKER_00"], "Shelby Kerr")
    return {"hearing": hearing, "person": person_id, "voice": kerr}


def suggest(app, hearing_id, threshold=None):
    with app.app_context():
        found = suggest_returning_speakers(
            db.session, db.session.get(Hearing, hearing_id), threshold
        )
        db.session.commit()
        return [s.label for s in found]


def state(app, hearing_id) -> dict[str, tuple]:
    with app.app_context():
        return {
            s.label: (s.person_id, s.suggested_person_id, s.suggested_similarity)
            for s in db.session.scalars(db.select(Speaker).where(Speaker.hearing_id == hearing_id))
        }


def test_a_close_voice_is_suggested_but_never_published(app, client, earlier):
    later = stored_hearing(
        app,
        "Later hearing",
        with_embeddings(
            {
                "SPEAKER_00": near(earlier["voice"], 0.87, seed=10),
                "SPEAKER_01": near(earlier["voice"], 0.30, seed=11),
                "SPEAKER_02": voice(3).tolist(),
            },
            "b" * 64,
        ),
    )
    assert suggest(app, later) == ["SPEAKER_00"]
    after = state(app, later)
    person_id, suggested, similarity = after["SPEAKER_00"]
    assert person_id is None  # a suggestion never names anyone by itself
    assert suggested == earlier["person"]
    assert similarity == pytest.approx(0.87, abs=1e-4)
    assert after["SPEAKER_01"] == (None, None, None)
    assert after["SPEAKER_02"] == (None, None, None)
    with app.app_context():
        edits = db.select(AuditEntry).where(AuditEntry.action.not_like("auth.%"))
        assert db.session.scalars(edits).all() == []
    # The public sees neither the guess nor the name on the hearing or in exports.
    page = client.get(f"/hearings/{later}").get_data(as_text=True)
    assert "Shelby Kerr" not in page and "Probably" not in page
    assert "Shelby Kerr" not in client.get(f"/hearings/{later}/transcript.vtt").get_data(
        as_text=True
    )


def test_the_best_of_several_known_people_is_suggested(app, earlier):
    other = stored_hearing(
        app, "Another hearing", with_embeddings({"SPEAKER_00": voice(4).tolist()}, "c" * 64)
    )
    rivera = name_directly(app, speaker_ids(app, other)["SPEAKER_00"], "Chair Rivera")
    later = stored_hearing(
        app,
        "Later hearing",
        with_embeddings(
            {"SPEAKER_00": (0.7 * earlier["voice"] + 0.9 * voice(4)).tolist()}, "d" * 64
        ),
    )
    suggest(app, later, threshold=0.5)
    assert state(app, later)["SPEAKER_00"][1] == rivera


def test_only_other_hearings_count(app, earlier):
    # A label is not "recognised" from a name given in the same hearing.
    suggest(app, earlier["hearing"], threshold=0.0)
    assert state(app, earlier["hearing"])["SPEAKER_01"][1] is None


def test_threshold_comes_from_the_app_config(app, earlier):
    later = stored_hearing(
        app,
        "Later hearing",
        with_embeddings({"SPEAKER_00": near(earlier["voice"], 0.7, seed=12)}, "e" * 64),
    )
    app.config["SPEAKER_MATCH_THRESHOLD"] = 0.75
    assert suggest(app, later) == []
    app.config["SPEAKER_MATCH_THRESHOLD"] = 0.65
    assert suggest(app, later) == ["SPEAKER_00"]
    del app.config["SPEAKER_MATCH_THRESHOLD"]
    assert RECOGNITION_THRESHOLD == 0.6
    assert suggest(app, later) == ["SPEAKER_00"]


def test_named_labels_and_labels_without_voice_are_left_alone(app, earlier):
    later = stored_hearing(
        app,
        "Later hearing",
        with_embeddings({"SPEAKER_00": near(earlier["voice"], 0.9, seed=13)}, "f" * 64),
    )
    ids = speaker_ids(app, later)
    chosen = name_directly(app, ids["SPEAKER_00"], "Someone Else")
    assert suggest(app, later) == []
    assert state(app, later)["SPEAKER_00"] == (chosen, None, None)
    assert state(app, later)["SPEAKER_01"] == (None, None, None)


def test_embeddings_of_another_size_are_skipped(app, earlier):
    later = stored_hearing(
        app, "Later hearing", with_embeddings({"SPEAKER_00": [0.1] * 256}, "9" * 64)
    )
    assert suggest(app, later) == []


@pytest.fixture
def suggested(app, earlier):
    later = stored_hearing(
        app,
        "Later hearing",
        with_embeddings({"SPEAKER_00": near(earlier["voice"], 0.87, seed=14)}, "8" * 64),
    )
    suggest(app, later)
    return {**earlier, "later": later, "speaker": speaker_ids(app, later)["SPEAKER_00"]}


def test_editor_sees_and_confirms_the_suggestion_with_one_click(app, clerk_client, suggested):
    later, speaker = suggested["later"], suggested["speaker"]
    page = clerk_client.get(f"/hearings/{later}").get_data(as_text=True)
    assert "Probably" in page and "Shelby Kerr, Chief of Staff" in page
    assert "(similarity 0.87)" in page
    token = csrf_token(clerk_client, f"/hearings/{later}")
    response = clerk_client.post(
        f"/hearings/{later}/speakers/{speaker}/confirm", data={"csrf_token": token}, headers=HTMX
    )
    assert response.status_code == 200
    assert state(app, later)["SPEAKER_00"] == (suggested["person"], None, None)
    with app.app_context():
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "speaker.confirm")
        ).one()
        assert entry.before["suggested_person_id"] == suggested["person"]
        assert entry.before["suggested_similarity"] == pytest.approx(0.87, abs=1e-4)
        assert entry.after["person_id"] == suggested["person"]
        assert entry.user_id is not None


def test_editor_dismisses_a_wrong_suggestion(app, clerk_client, suggested):
    later, speaker = suggested["later"], suggested["speaker"]
    token = csrf_token(clerk_client, f"/hearings/{later}")
    response = clerk_client.post(
        f"/hearings/{later}/speakers/{speaker}/dismiss", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert state(app, later)["SPEAKER_00"] == (None, None, None)
    again = clerk_client.post(
        f"/hearings/{later}/speakers/{speaker}/confirm", data={"csrf_token": token}, headers=HTMX
    )
    assert again.status_code == 422
    assert state(app, later)["SPEAKER_00"] == (None, None, None)


def test_confirm_needs_sign_in_and_csrf(app, clerk_client, suggested):
    later, speaker = suggested["later"], suggested["speaker"]
    url = f"/hearings/{later}/speakers/{speaker}/confirm"
    assert clerk_client.post(url).status_code == 400
    # With the CSRF check out of the way, sign-in is still required.
    app.config["WTF_CSRF_ENABLED"] = False
    anonymous = app.test_client().post(url)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    assert state(app, later)["SPEAKER_00"][0] is None


def test_look_again_button_finds_people_named_since(app, clerk_client, earlier):
    later = stored_hearing(
        app,
        "Later hearing",
        with_embeddings({"SPEAKER_00": near(earlier["voice"], 0.8, seed=15)}, "7" * 64),
    )
    token = csrf_token(clerk_client, f"/hearings/{later}")
    response = clerk_client.post(
        f"/hearings/{later}/speakers/suggest", data={"csrf_token": token}, headers=HTMX
    )
    assert response.status_code == 200
    assert "1 returning speaker(s) suggested." in response.get_data(as_text=True)
    assert state(app, later)["SPEAKER_00"][1] == earlier["person"]


def test_processing_a_new_hearing_suggests_returning_speakers(
    app, clerk_client, fake_pipeline, earlier, tmp_path
):
    fake_pipeline.transcript = with_embeddings(
        {"SPEAKER_01": near(earlier["voice"], 0.9, seed=16)}, None
    )
    assert hearing_form(clerk_client, tone_wav(tmp_path / "later.wav", 15, 330)).status_code == 302
    with app.app_context():
        later = db.session.scalars(db.select(Hearing).order_by(Hearing.id.desc())).first().id
    assert state(app, later)["SPEAKER_01"][:2] == (None, earlier["person"])


def test_a_failing_suggestion_never_fails_the_job(
    app, clerk_client, fake_pipeline, earlier, tmp_path, monkeypatch
):
    import hearings.speakers

    def broken(*args, **kwargs):
        raise RuntimeError("voice store unreachable")

    monkeypatch.setattr(hearings.speakers, "suggest_returning_speakers", broken)
    fake_pipeline.transcript = with_embeddings(
        {"SPEAKER_01": near(earlier["voice"], 0.9, seed=17)}, None
    )
    assert hearing_form(clerk_client, tone_wav(tmp_path / "later.wav", 15, 440)).status_code == 302
    with app.app_context():
        later = db.session.scalars(db.select(Hearing).order_by(Hearing.id.desc())).first()
        assert later.latest_job.status == "done"
        assert len(later.segments) == 3
        assert later.speakers[1].suggested_person_id is None


# --- The real encoder on two clearly different synthetic voices ---------------------------

SENTENCES = [
    "The committee will now hear public comment on the surveillance ordinance before the vote.",
    "Our neighbourhood association collected four hundred signatures against the parking rules.",
    "Please state your name and address for the record, and keep remarks to two minutes.",
]


def spoken(tmp_path, voice_name: str, sentence: str) -> np.ndarray:
    """Return 16 kHz mono samples of espeak-ng reading a sentence in one voice."""
    import soundfile

    raw, clip = tmp_path / f"{voice_name}-raw.wav", tmp_path / f"{voice_name}-{len(sentence)}.wav"
    subprocess.run(["espeak-ng", "-v", voice_name, "-w", str(raw), sentence], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(clip)], check=True)
    samples, rate = soundfile.read(clip, dtype="float32")
    assert rate == 16000
    return samples


@pytest.mark.model
# transcription.voices traces the encoder with torch.jit, which this torch marks deprecated.
@pytest.mark.filterwarnings("ignore::DeprecationWarning:torch.jit.*")
@pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")), reason="needs espeak-ng and sox"
)
def test_real_voice_embeddings_recognise_the_same_voice_only(app, tmp_path):
    from transcription.voices import cosine_similarity, embed_voice

    # en-us (a male voice) and en+f3 (a female variant) with a different sentence per clip.
    first = embed_voice(spoken(tmp_path, "en-us", SENTENCES[0]))
    returning = embed_voice(spoken(tmp_path, "en-us", SENTENCES[1]))
    newcomer = embed_voice(spoken(tmp_path, "en+f3", SENTENCES[2]))
    assert len(first) == 192

    earlier = stored_hearing(
        app, "Earlier hearing", with_embeddings({"SPEAKER_00": first}, "1" * 64)
    )
    kerr = name_directly(app, speaker_ids(app, earlier)["SPEAKER_00"], "Shelby Kerr")
    later = stored_hearing(
        app,
        "Later hearing",
        with_embeddings({"SPEAKER_00": newcomer, "SPEAKER_01": returning}, "2" * 64),
    )

    assert suggest(app, later) == ["SPEAKER_01"]
    after = state(app, later)
    assert after["SPEAKER_01"][:2] == (None, kerr)
    assert after["SPEAKER_01"][2] == pytest.approx(cosine_similarity(first, returning), abs=1e-4)
    assert after["SPEAKER_01"][2] >= RECOGNITION_THRESHOLD
    assert after["SPEAKER_00"] == (None, None, None)
    assert cosine_similarity(first, newcomer) < RECOGNITION_THRESHOLD


@pytest.mark.parametrize(
    "setting, expected", [(None, RECOGNITION_THRESHOLD), ("0.55", 0.55), (0.7, 0.7), (0, 0.0)]
)
def test_threshold_setting_is_read_from_config_or_environment(setting, expected):
    from hearings.speakers import match_threshold

    # HEARINGS_SPEAKER_MATCH_THRESHOLD=0.55 arrives as a string.
    config = {} if setting is None else {"SPEAKER_MATCH_THRESHOLD": setting}
    assert match_threshold(config) == expected

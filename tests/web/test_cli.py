"""Operator commands: ingest recordings from disk, transcribe one file, load the demo hearing."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hearings import create_app, models
from hearings.cli import DEMO_DIR
from hearings.extensions import db
from hearings.models import Hearing, Job, Matter, Recording
from tests.web.conftest import tone_wav

INGEST = ["--body", "Equal Rights Commission", "--date", "2026-03-12"]


def hearings(app) -> list[tuple[int, str, str]]:
    """Return (id, title, latest job status) of every hearing."""
    with app.app_context():
        return [
            (h.id, h.title, h.latest_job.status)
            for h in db.session.scalars(db.select(Hearing).order_by(Hearing.id))
        ]


def flask(app, *args: str):
    """Run a flask command as the `flask` executable would, inside an app context."""
    # FlaskGroup pushes the context for every command; the test runner invokes app.cli directly.
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def stored_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file())


def test_ingest_creates_and_processes_a_hearing(app, jfk_wav, fake_pipeline):
    result = flask(app, "ingest", str(jfk_wav), "--title", "Budget hearing", *INGEST)
    assert result.exit_code == 0, result.output
    [(hearing_id, title, status)] = hearings(app)
    assert (title, status) == ("Budget hearing", "done")
    assert f"hearing {hearing_id} done" in result.output
    assert re.search(rf"https?://\S+/hearings/{hearing_id}\b", result.output)
    assert len(fake_pipeline.runs) == 1
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        assert hearing.body.name == "Equal Rights Commission"
        assert hearing.date.isoformat() == "2026-03-12"
        assert len(hearing.segments) == 3


def test_ingest_several_files_titles_each_by_its_name(app, tmp_path):
    first = tone_wav(tmp_path / "first-reading.wav", frequency=200)
    second = tone_wav(tmp_path / "second_reading.wav", frequency=300)
    result = flask(app, "ingest", str(first), str(second), *INGEST)
    assert result.exit_code == 0, result.output
    assert [(title, status) for _, title, status in hearings(app)] == [
        ("first reading", "done"),
        ("second reading", "done"),
    ]


def test_ingest_without_wait_leaves_the_job_to_the_worker(app, app_config, tmp_path):
    """With a real queue, ingest only queues; --wait processes here and prints the URL."""
    queued_app = create_app({**app_config, "QUEUE_IMMEDIATE": False})
    try:
        plain = tone_wav(tmp_path / "queued.wav", frequency=200)
        result = flask(queued_app, "ingest", str(plain), *INGEST)
        assert result.exit_code == 0, result.output
        assert " queued " in result.output
        assert queued_app.extensions["task_queue"].huey.pending_count() == 1

        waited = tone_wav(tmp_path / "waited.wav", frequency=300)
        result = flask(queued_app, "ingest", str(waited), "--wait", *INGEST)
        assert result.exit_code == 0, result.output
        assert [status for _, _, status in hearings(app)] == ["queued", "done"]
        hearing_id = hearings(app)[1][0]
        assert re.search(rf" done https?://\S+/hearings/{hearing_id}$", result.output.strip())
        # --wait ran it in this process: nothing more was put on the queue.
        assert queued_app.extensions["task_queue"].huey.pending_count() == 1
    finally:
        with queued_app.app_context():
            db.engine.dispose()


def test_ingest_refuses_a_file_that_is_not_audio(app, jfk_wav, tmp_path):
    assert flask(app, "ingest", str(jfk_wav), *INGEST).exit_code == 0
    before = hearings(app), stored_files(app)
    notes = tmp_path / "notes.mp3"
    notes.write_text("These are my meeting notes, not audio.\n" * 50)

    result = flask(app, "ingest", str(notes), *INGEST)
    assert result.exit_code == 1
    assert f"refused {notes}" in result.output
    assert (hearings(app), stored_files(app)) == before


def test_ingest_skips_a_recording_already_there(app, jfk_wav, fake_pipeline):
    assert flask(app, "ingest", str(jfk_wav), *INGEST).exit_code == 0
    copy = jfk_wav.with_name("copy of jfk.wav")
    shutil.copyfile(jfk_wav, copy)

    result = flask(app, "ingest", str(copy), "--title", "Again", *INGEST)
    assert result.exit_code == 0, result.output
    assert f"skipped {copy}" in result.output and "already uploaded" in result.output
    assert len(hearings(app)) == 1
    assert len(fake_pipeline.runs) == 1


def test_ingest_reports_a_failed_job(app, jfk_wav, fake_pipeline):
    fake_pipeline.error = RuntimeError("speech model missing")
    result = flask(app, "ingest", str(jfk_wav), "--wait", *INGEST)
    assert result.exit_code == 1
    assert "failed (RuntimeError: speech model missing)" in result.output
    assert [status for _, _, status in hearings(app)] == ["failed"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--body", "Council", "--date", "12/03/2026"], "not a date like"),
        (["--date", "2026-03-12"], "Give --body and --date"),
    ],
)
def test_ingest_bad_options_change_nothing(app, jfk_wav, args, message):
    result = flask(app, "ingest", str(jfk_wav), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert hearings(app) == []
    with app.app_context():
        assert db.session.scalars(db.select(Recording)).all() == []


def test_ingest_of_a_missing_file_is_refused(app, tmp_path):
    result = flask(app, "ingest", str(tmp_path / "nowhere.wav"), *INGEST)
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.fixture
def real_model(app):
    """Use the real Whisper pipeline (bundled tiny.en) without diarization."""
    app.config.update(PIPELINE_FACTORY=None, DIARIZER="none", WHISPER_CPU_THREADS=2)


@pytest.mark.model
def test_transcribe_prints_json(app, real_model, jfk_wav):
    result = flask(app, "transcribe", str(jfk_wav), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"].startswith("whisper-tiny.en")
    assert data["diarizer"] is None
    assert data["duration"] == pytest.approx(11.0, abs=0.01)
    words = [w for s in data["segments"] for w in s["words"]]
    text = " ".join(s["text"] for s in data["segments"]).lower()
    assert "ask not what your country can do for you" in text
    assert len(words) >= 20
    assert all(0 <= w["start"] <= w["end"] <= data["duration"] for w in words)
    # Progress goes to stderr, so the JSON on stdout stays clean.
    assert "100% done" in result.stderr


def test_transcribe_refuses_a_file_that_is_not_audio(app, real_model, tmp_path):
    notes = tmp_path / "notes.wav"
    notes.write_text("not audio at all\n" * 100)
    result = flask(app, "transcribe", str(notes))
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.model
def test_demo_creates_the_demo_hearing_once(app, real_model):
    meta = json.loads((DEMO_DIR / "hearing.json").read_text())
    result = flask(app, "demo")
    assert result.exit_code == 0, result.output
    [(hearing_id, title, status)] = hearings(app)
    assert (title, status) == (meta["title"], "done")
    assert re.search(
        rf"Demo hearing {hearing_id}: done https?://\S+/hearings/{hearing_id}", result.output
    )
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        assert hearing.transcript_model.startswith("whisper-tiny.en")
        assert hearing.recording.duration_ms == pytest.approx(
            meta["media"]["duration_s"] * 1000, abs=100
        )
        said = " ".join(s.text for s in hearing.segments).lower()
    assert "facial recognition" in said

    again = flask(app, "demo")
    assert again.exit_code == 0, again.output
    assert "already there" in again.output
    assert len(hearings(app)) == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 1


def test_the_demo_shows_the_whole_record_from_its_script(app, fake_pipeline, client):
    """Names heard, testimony with positions and organizations, and the council's roll call."""
    from tests.fakes import sample_transcript

    script = [
        (float(fields[3]), fields[2], fields[5])
        for fields in (
            row.split(maxsplit=5)
            for row in (DEMO_DIR / "facial-recognition-hearing.stm").read_text().splitlines()
        )
    ]
    fake_pipeline.transcript = sample_transcript(script)
    result = flask(app, "demo")
    assert result.exit_code == 0, result.output
    assert "Recorded 6 testimonies" in result.output
    with app.app_context():
        hearing = db.session.scalars(db.select(Hearing)).one()
        named = {s.label: s.person.name for s in hearing.speakers if s.person}
        assert hearing.published_at is not None
        matter_id = db.session.scalars(db.select(Matter.id)).one()
    # Every person the chair calls up is named from what was said, and nobody else.
    assert named == {
        "gregory-lindqvist": "Gregory Lindqvist",
        "tanisha-rowe": "Tanisha Rowe",
        "daniel-brooks": "Daniel Brooks",
        "lucia-moreno": "Lucia Moreno",
        "harold-pruitt": "Harold Pruitt",
        "priya-shah": "Priya Shah",
    }
    # The sign-up list: every speaker's card linked to what they said, two cards alone.
    assert "Sign-up list: 5 matched to their voice, 2 card(s) alone, 0 left" in result.output
    with app.app_context():
        cards = db.session.scalars(
            db.select(models.Testimony).where(models.Testimony.kind == "card")
        ).all()
        spoke = {c.person.name for c in cards if c.spoken_testimony is not None}
        assert spoke == {
            "Tanisha Rowe",
            "Daniel Brooks",
            "Lucia Moreno",
            "Harold Pruitt",
            "Priya Shah",
        }
        assert {c.person.name for c in cards if c.spoken_testimony is None} == {
            "Marcus Webb",
            "Joan Alvarez",
        }
    page = client.get(f"/matters/{matter_id}").get_data(as_text=True)
    assert "4 organizations oppose, 2 support." in page
    assert "11 yes of 15 members; 11 needed: passes" in page
    assert "Fictional demo" in page
    assert "Fictional demo" in client.get(f"/hearings/{hearing.id}").get_data(as_text=True)
    again = flask(app, "demo")
    assert again.exit_code == 0 and "Recorded 6" not in again.output

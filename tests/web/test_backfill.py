"""Backfill planning: a clerk learns what years of archive recordings will take before queuing
anything, and the queue page shows the backlog and when it should be done."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hearings import backfill
from hearings.extensions import db
from hearings.models import Body, Hearing, Job, Recording
from tests.conftest import shared
from tests.web.conftest import sign_in, tone_wav
from tests.web.test_cli import flask, hearings, real_model  # noqa: F401  (a fixture)


def finished_job(app, audio_s: float, spent_s: float, status: str = "done", progress: int = 100):
    """Store a hearing whose job processed ``audio_s`` of audio in ``spent_s`` seconds."""
    with app.app_context():
        started = datetime(2026, 12, 1, 9, 0)
        recording = Recording(
            sha256=f"{audio_s:064.0f}"[-64:] if status == "done" else f"{spent_s:064.0f}"[-64:],
            original_filename="old.wav",
            stored_name="old.wav",
            size_bytes=1000,
            duration_ms=int(audio_s * 1000),
            media_type="audio/wav",
        )
        hearing = Hearing(
            title=f"Archive hearing {audio_s:.0f}",
            body=db.session.scalars(db.select(Body)).first() or Body(name="Common Council"),
            date=date(2019, 5, 1),
            recording=recording,
        )
        job = Job(
            hearing=hearing,
            status=status,
            progress=progress,
            started_at=started if status != "queued" else None,
            finished_at=started + timedelta(seconds=spent_s) if status == "done" else None,
        )
        db.session.add_all([hearing, job])
        db.session.commit()
        return hearing.id


def test_estimate_uses_the_speed_of_recent_jobs_and_queues_nothing(app, tmp_path):
    finished_job(app, audio_s=3600, spent_s=450)  # 8x real time
    finished_job(app, audio_s=1800, spent_s=225)
    first = tone_wav(tmp_path / "council-2019-05-01.wav", seconds=30.0)
    second = tone_wav(tmp_path / "council-2019-05-08.wav", seconds=90.0)
    broken = tmp_path / "council-2019-05-15.wav"
    broken.write_bytes(b"not audio at all")
    before = hearings(app)
    result = flask(app, "ingest", "--estimate", str(first), str(second), str(broken))
    assert result.exit_code == 0, result.output
    assert "2 of 3 files usable: 2 min of audio." in result.output
    assert "cannot use" in result.output and "council-2019-05-15.wav" in result.output
    assert "Processing: about 15 s at 8.0x real time (from the last 2 jobs on this machine)" in (
        result.output
    )
    assert "Disk: about" in result.output and "Nothing was queued." in result.output
    assert hearings(app) == before


def test_estimate_counts_the_backlog_ahead(app, tmp_path):
    finished_job(app, audio_s=800, spent_s=100)  # 8x
    finished_job(app, audio_s=1600, spent_s=0.0, status="queued", progress=0)
    finished_job(app, audio_s=800, spent_s=1.0, status="running", progress=50)
    file = tone_wav(tmp_path / "one.wav", seconds=80.0)
    result = flask(app, "ingest", "--estimate", "--no-calibrate", str(file))
    assert result.exit_code == 0, result.output
    # 1600 s + half of 800 s still to do, at 8x.
    assert "Already queued: 2 job(s), 33 min of audio, about 4 min." in result.output
    assert "Expected to finish with one worker:" in result.output


def test_without_any_job_and_no_calibration_the_time_is_unknown(app, tmp_path):
    file = tone_wav(tmp_path / "one.wav", seconds=5.0)
    result = flask(app, "ingest", "--estimate", "--no-calibrate", str(file))
    assert result.exit_code == 0, result.output
    assert "Processing time: unknown" in result.output


def test_ingest_still_needs_body_and_date_to_queue(app, tmp_path):
    file = tone_wav(tmp_path / "one.wav", seconds=5.0)
    result = flask(app, "ingest", str(file))
    assert result.exit_code == 2
    assert "Give --body and --date" in result.output
    assert hearings(app) == []


@pytest.mark.model
def test_a_calibration_run_times_the_real_pipeline(app, real_model):  # noqa: F811
    jfk = shared("whisper-jfk", "jfk.wav")
    result = flask(app, "ingest", "--estimate", str(jfk))
    assert result.exit_code == 0, result.output
    assert "from a calibration run on 11 s of jfk.wav" in result.output
    speed = float(result.output.split(" at ")[1].split("x real time")[0])
    assert speed > 0


def test_the_queue_page_shows_the_backlog_and_its_end(app, client, clerk):
    finished_job(app, audio_s=800, spent_s=100)
    finished_job(app, audio_s=1600, spent_s=0.0, status="queued", progress=0)
    assert client.get("/hearings/queue").status_code in (302, 403)
    sign_in(client, clerk["username"], clerk["password"])
    page = client.get("/hearings/queue").get_data(as_text=True)
    assert "8.0×" in page and "1</strong> recording in the queue" in page
    assert "26 min of audio still to process" in page and "Archive hearing 1600" in page


def test_durations_read_as_a_clerk_reads_them():
    assert backfill.duration_text(40) == "40 s"
    assert backfill.duration_text(125) == "2 min"
    assert backfill.duration_text(3 * 3600 + 300) == "3 h 05 min"
    assert backfill.duration_text(100 * 3600) == "4.2 days"

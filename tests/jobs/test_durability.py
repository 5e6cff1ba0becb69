"""A process that dies never strands work: real `flask worker` processes, killed and restarted."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, shared
from tests.jobs import wait_for

FLASK = [sys.executable, "-m", "flask", "--app", "app"]


@pytest.fixture
def instance(tmp_path) -> dict:
    """Environment for flask processes on a throwaway instance (SQLite file, queue file)."""
    env = {
        **os.environ,
        "HEARINGS_DATABASE_URL": f"sqlite:///{tmp_path / 'hearings.sqlite3'}",
        "HEARINGS_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "HEARINGS_QUEUE_FILE": str(tmp_path / "queue.sqlite3"),
        "HEARINGS_MODEL_CACHE_DIR": str(tmp_path / "cache"),
        "HEARINGS_DIARIZER": "none",
        "HEARINGS_WHISPER_CPU_THREADS": "2",
        "HEARINGS_SECRET_KEY": "test",
        "PYANNOTE_METRICS_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
    }
    subprocess.run([*FLASK, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    return {"env": env, "database": tmp_path / "hearings.sqlite3", "dir": tmp_path}


def ingest(instance, path: Path) -> None:
    subprocess.run(
        [*FLASK, "ingest", str(path), "--body", "Common Council", "--date", "2026-03-12"],
        env=instance["env"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def start_worker(instance, log_name: str = "worker.log") -> subprocess.Popen:
    # The child keeps its own copy of the descriptor; the log is in the test's temp folder.
    with open(instance["dir"] / log_name, "ab") as log:
        return subprocess.Popen(
            [*FLASK, "worker"], env=instance["env"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )


def job(instance, job_id: int = 1) -> dict:
    with sqlite3.connect(instance["database"]) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return dict(row) if row else {}


def transcript_lines(instance) -> int:
    with sqlite3.connect(instance["database"]) as connection:
        return connection.execute("SELECT count(*) FROM segments").fetchone()[0]


def children_of(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


@pytest.fixture
def long_recording(tmp_path) -> Path:
    """Six minutes of real meeting audio: the twelve AMI clips joined end to end."""
    import soundfile

    clips = sorted(Path(shared("ami-pyannote-debug")).glob("*.wav"))
    samples = np.concatenate([soundfile.read(c, dtype="float32")[0] for c in clips])
    path = tmp_path / "council-meeting.wav"
    soundfile.write(path, samples, 16000)
    return path


@pytest.mark.model
def test_a_worker_killed_during_transcription_is_resumed_by_the_next(instance, long_recording):
    ingest(instance, long_recording)
    first = start_worker(instance)
    try:
        wait_for(
            lambda: job(instance).get("stage") == "transcribe" and job(instance)["progress"] >= 15,
            timeout=240,
        )
        engines = children_of(first.pid)
        assert engines, "the speech engine runs in a child of the worker"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        stop(first)
    # The engine dies with its worker instead of running on, unowned.
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in engines), timeout=30)
    stranded = job(instance)
    assert (stranded["status"], stranded["attempts"]) == ("running", 1)

    second = start_worker(instance, "worker-2.log")
    try:
        resumed = wait_for(lambda: (j := job(instance))["status"] == "queued" or j["attempts"] > 1)
        assert resumed
        done = wait_for(lambda: (j := job(instance))["status"] in ("done", "failed") and j, 300)
    finally:
        stop(second)

    assert done["status"] == "done", done
    assert done["attempts"] == 2
    assert transcript_lines(instance) > 20


@pytest.mark.model
def test_sigterm_puts_the_running_job_back_and_the_worker_exits_promptly(instance, long_recording):
    ingest(instance, long_recording)
    worker = start_worker(instance)
    try:
        wait_for(lambda: job(instance).get("stage") == "transcribe", timeout=240)
        asked = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
        assert time.monotonic() - asked < 30
    finally:
        stop(worker)
    interrupted = job(instance)
    assert (interrupted["status"], interrupted["stage"]) == ("queued", "interrupted, resuming")
    assert "shutdown" in interrupted["error"]

    again = start_worker(instance, "worker-2.log")
    try:
        done = wait_for(lambda: (j := job(instance))["status"] in ("done", "failed") and j, 300)
    finally:
        stop(again)
    assert done["status"] == "done", done
    assert transcript_lines(instance) > 20


def test_a_crash_in_the_speech_engine_fails_the_attempt_and_the_worker_lives_on(instance, tmp_path):
    from tests.web.conftest import tone_wav

    instance["env"]["HEARINGS_SPEECH_ENGINE"] = "tests.fakes:CrashingPipeline"
    instance["env"]["HEARINGS_QUEUE_RETRIES"] = "0"
    ingest(instance, tone_wav(tmp_path / "first.wav", frequency=220.0))
    worker = start_worker(instance)
    try:
        failed = wait_for(lambda: (j := job(instance))["status"] == "failed" and j, timeout=120)
        assert failed["error"] == "The speech engine crashed (signal 4, SIGILL)"
        assert worker.poll() is None, "the worker survived its engine's crash"
        # ... and takes the next hearing.
        ingest(instance, tone_wav(tmp_path / "second.wav", frequency=330.0))
        wait_for(lambda: job(instance, 2).get("status") == "failed", timeout=120)
        assert worker.poll() is None
    finally:
        stop(worker)


def test_a_lost_silencing_task_is_made_again_when_a_worker_starts(instance, tmp_path):
    """A redaction's silenced recording is made even if the task vanished with a crash."""
    import shutil
    from datetime import date

    from hearings import create_app
    from hearings.extensions import db
    from hearings.models import Body, Hearing, Recording
    from hearings.redaction import redact

    source = shared("whisper-jfk", "jfk.wav")
    uploads = Path(instance["env"]["HEARINGS_UPLOAD_FOLDER"])
    (uploads / "jf").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, uploads / "jf" / "jfk.wav")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": instance["env"]["HEARINGS_DATABASE_URL"],
            "UPLOAD_FOLDER": str(uploads),
            "QUEUE_FILE": instance["env"]["HEARINGS_QUEUE_FILE"],
            "SECRET_KEY": "test",
        }
    )
    with app.app_context():
        hearing = Hearing(
            title="Address",
            body=Body(name="Common Council"),
            date=date(2026, 3, 12),
            recording=Recording(
                sha256="j" * 64,
                original_filename="jfk.wav",
                stored_name="jf/jfk.wav",
                size_bytes=1,
                duration_ms=11_000,
                media_type="audio/wav",
            ),
        )
        db.session.add(hearing)
        db.session.commit()
        redact(db.session, None, hearing, 5500, 7200, "A home address")
        db.session.commit()
        db.engine.dispose()
    # Nothing was queued: as if the task had been lost with a killed worker.
    worker = start_worker(instance)
    try:
        made = wait_for(
            lambda: _public_recording(instance["database"]),
            timeout=120,
        )
    finally:
        stop(worker)
    assert made.startswith("public/hearing-1-")
    assert (uploads / made).stat().st_size > 10_000


def _public_recording(database: Path) -> str | None:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT public_recording_name FROM hearings").fetchone()[0]

"""Processing jobs: a row the UI reads for progress, and a task on a real queue that fills it."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from hearings.extensions import db
from hearings.ingest import store_transcript
from hearings.models import Hearing, Job
from hearings.models.base import utcnow
from hearings.storage import recording_path

log = logging.getLogger(__name__)

TASK_NAME = "transcribe_hearing"


class TaskQueue:
    """The app's Huey queue: a SQLite file by default, Redis when configured, inline in tests."""

    def __init__(self, app: Flask):
        self.huey = _make_huey(app)

        @self.huey.task(
            retries=app.config["QUEUE_RETRIES"], retry_delay=5, name=TASK_NAME, context=True
        )
        def transcribe_hearing(job_id: int, task=None) -> None:
            with app.app_context():
                run_job(job_id, will_retry=bool(task and task.retries))

        self._transcribe = transcribe_hearing
        app.extensions["task_queue"] = self

    def enqueue(self, job: Job) -> None:
        self._transcribe(job.id)

    def consumer(self, workers: int):
        """Return a consumer that runs queued jobs in this process."""
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=False)


def _make_huey(app: Flask) -> Huey:
    name = "hearings"
    if app.config["QUEUE_IMMEDIATE"]:
        return MemoryHuey(name, immediate=True)
    if app.config["QUEUE_REDIS_URL"]:
        return RedisHuey(name, url=app.config["QUEUE_REDIS_URL"])
    Path(app.config["QUEUE_FILE"]).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=app.config["QUEUE_FILE"])


def task_queue() -> TaskQueue:
    return current_app.extensions["task_queue"]


def queue_transcription(hearing: Hearing, reprocess: bool = False) -> Job:
    """Record a job for the hearing, commit it, and put it on the queue."""
    job = Job(hearing=hearing, reprocess=reprocess)
    db.session.add(job)
    db.session.commit()
    task_queue().enqueue(job)
    return job


def pipeline():
    """Return the process-wide speech pipeline, built once so models load once per worker."""
    cached = current_app.extensions.get("pipeline")
    if cached is None:
        factory = current_app.config["PIPELINE_FACTORY"] or default_pipeline
        cached = factory(current_app.config)
        current_app.extensions["pipeline"] = cached
    return cached


def default_pipeline(config) -> object:
    """Build the real Whisper (+ diarization) pipeline from the app's settings."""
    from transcription.pipeline import TranscriptionPipeline

    return TranscriptionPipeline(pipeline_config(config))


def pipeline_config(config, **overrides):
    """Translate the app's settings into the pipeline's own configuration."""
    from transcription.pipeline import PipelineConfig

    settings = dict(
        whisper_model=config["WHISPER_MODEL"],
        allow_download=config["WHISPER_ALLOW_DOWNLOAD"],
        cpu_threads=config["WHISPER_CPU_THREADS"],
        diarizer=config["DIARIZER"],
        diarizer_path=config["DIARIZER_PATH"],
        cache_dir=config["MODEL_CACHE_DIR"],
    )
    settings.update(overrides)
    return PipelineConfig(**settings)


def speaker_settings(hearing: Hearing) -> dict:
    """Return the clerk's per-hearing diarization settings that are set."""
    settings = {
        "num_speakers": hearing.num_speakers,
        "min_speakers": hearing.min_speakers,
        "max_speakers": hearing.max_speakers,
        "clustering_threshold": hearing.clustering_threshold,
    }
    return {name: value for name, value in settings.items() if value is not None}


class ProgressWriter:
    """Write stage and percent to the job row, at most about once a second."""

    def __init__(self, job: Job, interval: float = 1.0):
        self.job = job
        self.interval = interval
        self._last = 0.0

    def __call__(self, stage: str, percent: int) -> None:
        now = time.monotonic()
        changed_stage = stage != self.job.stage
        if not changed_stage and now - self._last < self.interval:
            return
        self.job.stage = stage
        # Never report 100 before the transcript is stored.
        self.job.progress = max(self.job.progress, min(int(percent), 99))
        db.session.commit()
        self._last = now


def run_job(job_id: int, progress_interval: float = 1.0, will_retry: bool = False) -> None:
    """Run the speech pipeline for a job's hearing and store the transcript.

    Args:
        will_retry: the queue runs the job again if this attempt fails, so a failure leaves
            it queued (no "try again" button that would start a second run beside the retry).
    """
    job = db.session.get(Job, job_id)
    if job is None:
        log.warning("job %s no longer exists", job_id)
        return
    hearing = job.hearing
    recording = hearing.recording
    if recording is None:
        _fail(job, "The hearing has no recording attached.")
        return
    if not job.reprocess and hearing.transcript_sha256 == recording.sha256 and hearing.segments:
        # Work is keyed by the audio's hash: a rerun of finished work does nothing.
        _finish(job, note="This recording was already transcribed; nothing to do.")
        return
    job.status, job.stage, job.error = "running", "starting", None
    job.attempts += 1
    job.started_at = utcnow()
    db.session.commit()
    try:
        transcript = pipeline().run(
            recording_path(recording.stored_name),
            progress=ProgressWriter(job, progress_interval),
            **speaker_settings(hearing),
        )
        job.stage = "saving transcript"
        db.session.commit()
        store_transcript(db.session, hearing, transcript)
    except Exception as error:
        db.session.rollback()
        log.error("job %s failed:\n%s", job_id, traceback.format_exc())
        message = f"{type(error).__name__}: {error}"
        if will_retry:
            job.status, job.stage, job.error = "queued", "retrying after an error", message
            db.session.commit()
        else:
            _fail(job, message)
        raise
    try:
        from hearings.speakers import suggest_returning_speakers

        suggest_returning_speakers(db.session, hearing)
    except Exception:
        # Voice-match suggestions help editors; they must never fail a stored transcript.
        db.session.rollback()
        log.exception("job %s: returning-speaker suggestions failed", job_id)
    _finish(
        job,
        note=transcript.diarization_error
        and ("Transcribed, but speakers could not be told apart: " + transcript.diarization_error),
    )


def _finish(job: Job, note: str | None = None) -> None:
    job.status, job.stage, job.progress = "done", "done", 100
    job.warning = note or None
    job.finished_at = utcnow()
    db.session.commit()


def _fail(job: Job, message: str) -> None:
    job.status, job.stage = "failed", "failed"
    job.error = message
    job.finished_at = utcnow()
    db.session.commit()


ProgressCallback = Callable[[str, int], None]

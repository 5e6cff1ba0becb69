"""Processing jobs: a row the UI reads for progress, and a task on a real queue that fills it."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import CursorResult, select, update

from hearings.extensions import db
from hearings.models import Hearing, Job
from hearings.models.base import as_utc, utcnow
from hearings.public_record import background_work
from hearings.storage import recording_path
from hearings.transcripts import store_transcript

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
            with app.app_context(), self.running(job_id):
                background_work()
                run_job(job_id, will_retry=bool(task and task.retries))

        @self.huey.task(retries=2, retry_delay=10, name="prepare_public_recording")
        def prepare_public_recording(hearing_id: int) -> None:
            with app.app_context():
                background_work()
                silence_redacted_parts(hearing_id)

        # Before queued recordings: a document takes seconds to minutes, a recording hours.
        @self.huey.task(name="read_document", priority=10)
        def read_document_task(document_id: int) -> None:
            from hearings.document_reading import ReadingInterrupted, read_document

            with app.app_context(), self.running(("document", document_id)):
                background_work()
                try:
                    read_document(document_id, should_stop=self.stopping)
                except ReadingInterrupted:
                    read_document_task(document_id)

        @self.huey.task(name="export_public_record")
        def export_public_record() -> None:
            with app.app_context():
                build_public_export()

        # The bulk export follows the record with a day's delay at most.
        @self.huey.periodic_task(crontab(hour="3", minute="17"), name="export_nightly")
        def export_nightly() -> None:
            export_public_record()

        # Alerts: one digest an hour at most to each subscriber with news.
        @self.huey.periodic_task(crontab(minute="7"), name="send_alert_digests")
        def send_alert_digests() -> None:
            with app.app_context():
                send_due_digests()

        @self.huey.periodic_task(crontab(minute="*"), name="recover_stranded_jobs")
        def recover_periodically() -> None:
            with app.app_context():
                background_work()
                recover_stranded_jobs()
                # A silencing task lost with a killed worker is asked for again.
                from hearings.redaction import stale_public_recordings

                for hearing_id in stale_public_recordings(db.session):
                    prepare_public_recording(hearing_id)
                recover_documents()

        self._transcribe = transcribe_hearing
        self._silence = prepare_public_recording
        self._export = export_public_record
        self._read_document = read_document_task
        self._consumer = None
        self._running: set = set()
        self._running_lock = threading.Lock()
        app.extensions["task_queue"] = self

    def enqueue(self, job: Job) -> None:
        self._transcribe(job.id)

    def enqueue_public_recording(self, hearing_id: int) -> None:
        self._silence(hearing_id)

    def enqueue_document(self, document_id: int) -> None:
        self._read_document(document_id)

    def enqueue_public_export(self) -> None:
        self._export()

    def consumer(self, workers: int):
        """Return a consumer that runs queued jobs in this process.

        SIGTERM and SIGINT both stop it gracefully: a running job stops its speech engine
        within a second and goes back on the queue (see run_job), so shutting down never
        strands work and never waits hours for a long recording.
        """
        import signal

        consumer = self.huey.create_consumer(
            workers=workers, worker_type="thread", periodic=True, graceful_signal="TERM"
        )
        # Huey treats SIGINT as "stop now"; here it means the same as SIGTERM.
        consumer._signal_actions[signal.SIGINT] = (False, True)
        self._consumer = consumer
        return consumer

    def stopping(self) -> bool:
        """Return True once this process's consumer has been asked to stop."""
        return bool(self._consumer is not None and self._consumer.stop_flag.is_set())

    def runs(self, key) -> bool:
        with self._running_lock:
            return key in self._running

    @contextmanager
    def running(self, key) -> Iterator[None]:
        """Mark work (a job's id, ("document", id)) as running here for the block."""
        with self._running_lock:
            self._running.add(key)
        try:
            yield
        finally:
            with self._running_lock:
                self._running.discard(key)


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


def build_public_export() -> Path:
    """Write the bulk export of the public record into EXPORT_FOLDER (see bulk_export)."""
    from hearings.bulk_export import write_public_record
    from hearings.site_links import site_links

    config = current_app.config
    with site_links() as link:
        return write_public_record(
            db.session, Path(config["EXPORT_FOLDER"]), link, config["SITE_NAME"]
        )


def send_due_digests() -> int:
    """Send the alert digests that are due (see hearings.alerts); return how many went."""
    from hearings.alerts import send_digests
    from hearings.mail import mail_enabled, send_mail
    from hearings.site_links import site_links

    if not mail_enabled():
        return 0
    with site_links() as link:
        sent = send_digests(db.session, link, current_app.config["SITE_NAME"], send_mail)
        db.session.commit()
    return sent


def queue_transcription(hearing: Hearing, reprocess: bool = False) -> Job:
    """Record a job for the hearing, commit it, and put it on the queue."""
    job = Job(hearing=hearing, reprocess=reprocess)
    db.session.add(job)
    db.session.commit()
    task_queue().enqueue(job)
    return job


def queue_document_reading(document_id: int) -> None:
    """Note that the document's reading is queued, commit, and put it on the queue."""
    from hearings.models import Document

    document = db.session.get(Document, document_id)
    if document is None or document.state != "queued":
        return
    document.queued_at = utcnow()
    db.session.commit()
    task_queue().enqueue_document(document_id)


def recover_documents() -> list[int]:
    """Queue documents whose reading was never queued, was lost, or lost its worker."""
    from hearings.document_reading import documents_to_queue

    due = documents_to_queue(lease_seconds())
    for document_id in due:
        task_queue().enqueue_document(document_id)
    return due


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
        multilingual_model=config["WHISPER_MULTILINGUAL_MODEL"],
        languages=config["HEARING_LANGUAGES"],
        allow_download=config["WHISPER_ALLOW_DOWNLOAD"],
        cpu_threads=config["WHISPER_CPU_THREADS"],
        diarizer=config["DIARIZER"],
        diarizer_path=config["DIARIZER_PATH"],
        cache_dir=config["MODEL_CACHE_DIR"],
        scratch_dir=config["SCRATCH_DIR"],
    )
    settings.update(overrides)
    return PipelineConfig(**settings)


def recording_settings(hearing: Hearing) -> dict:
    """Return the clerk's per-hearing settings that are set: languages spoken, speakers."""
    settings = {
        "languages": hearing.languages,
        "num_speakers": hearing.num_speakers,
        "min_speakers": hearing.min_speakers,
        "max_speakers": hearing.max_speakers,
        "clustering_threshold": hearing.clustering_threshold,
    }
    return {name: value for name, value in settings.items() if value is not None}


def recognition_hints(hearing: Hearing) -> dict:
    """Return the glossary hint for the recogniser, as GLOSSARY_HINT asks (none by default)."""
    from hearings.glossary import hint_terms

    kind = current_app.config.get("GLOSSARY_HINT", "none")
    if kind not in ("hotwords", "prompt"):
        return {}
    terms = hint_terms(db.session, hearing)
    if not terms:
        return {}
    if kind == "hotwords":
        return {"hotwords": ", ".join(terms)}
    return {"initial_prompt": ", ".join(terms) + "."}


# What each of the pipeline's stages (transcription.pipeline) is called on the job's page;
# the job row keeps the pipeline's own name.
STAGE_LABELS = {
    "probe": "checking the recording",
    "decode": "decoding the audio",
    "normalise": "evening out the loudness",
    "vad": "finding the speech",
    "load_model": "loading the speech model",
    "detect_languages": "detecting the languages spoken",
    "transcribe": "transcribing",
    "diarize": "telling the speakers apart",
    "assign_speakers": "giving each line its speaker",
}


def stage_label(stage: str | None) -> str:
    """Return a job stage as a clerk reads it, e.g. "detecting the languages spoken"."""
    return STAGE_LABELS.get(stage or "", stage or "")


class ProgressWriter:
    """Write stage and percent to the job row, at most about once a second; renew the lease."""

    def __init__(self, job: Job, interval: float = 1.0):
        self.job = job
        self.interval = interval
        self._last = 0.0
        self._lease_renewed = time.monotonic()

    def __call__(self, stage: str, percent: int) -> None:
        now = time.monotonic()
        changed_stage = stage != self.job.stage
        if not changed_stage and now - self._last < self.interval:
            return
        self.job.stage = stage
        # Never report 100 before the transcript is stored.
        self.job.progress = max(self.job.progress, min(int(percent), 99))
        self.job.lease_expires_at = lease_deadline()
        db.session.commit()
        self._last = self._lease_renewed = now

    def heartbeat(self) -> None:
        """Renew the lease while the engine works between progress reports."""
        now = time.monotonic()
        if now - self._lease_renewed >= lease_seconds() / 4:
            self.job.lease_expires_at = lease_deadline()
            db.session.commit()
            self._lease_renewed = now


def lease_seconds() -> float:
    return float(current_app.config["JOB_LEASE_SECONDS"])


def lease_deadline() -> datetime:
    return utcnow() + timedelta(seconds=lease_seconds())


def worker_identity() -> str:
    """Return "host:pid" of this process, as job rows record who runs them."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(job_id: int) -> bool:
    """Mark a queued job as running in this process; False if another worker has it.

    One conditional UPDATE, so two workers handed the same job (a task re-queued after a
    crash whose first copy is still on the queue) never run it side by side.
    """
    # An UPDATE returns a CursorResult, which has the row count; execute() is typed as
    # returning any Result.
    claimed = cast(
        CursorResult,
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(
                status="running",
                stage="starting",
                worker=worker_identity(),
                lease_expires_at=lease_deadline(),
                started_at=utcnow(),
                attempts=Job.attempts + 1,
            )
        ),
    ).rowcount
    db.session.commit()
    return claimed == 1


class JobInterrupted(Exception):
    """The worker is shutting down; the job was put back on the queue to resume."""


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
    if job.status != "queued":
        # Finished, failed for good, or running in another worker: this copy of the task
        # is a duplicate (a re-queue after a crash).
        log.info("job %s is %s; not running it again", job_id, job.status)
        return
    if recording is None:
        _fail(job, "The hearing has no recording attached.")
        return
    if not job.reprocess and hearing.transcript_sha256 == recording.sha256 and hearing.segments:
        # Work is keyed by the audio's hash: a rerun of finished work does nothing.
        _finish(job, note="This recording was already transcribed; nothing to do.")
        return
    path = recording_path(recording.stored_name)
    if not path.is_file():
        note_missing_recording(db.session, hearing)
        _fail(job, MISSING_RECORDING)
        return
    if not claim(job_id):
        log.info("job %s was claimed by another worker", job_id)
        return
    db.session.refresh(job)
    job.error = None
    writer = ProgressWriter(job, progress_interval)
    try:
        settings = {**recording_settings(hearing), **recognition_hints(hearing)}
        transcript = _transcribe(path, writer, settings)
        job.stage = "saving transcript"
        db.session.commit()
        store_transcript(db.session, hearing, transcript)
        db.session.commit()
    except JobInterrupted:
        db.session.rollback()
        _put_back(job, "Interrupted by a worker shutdown; resumes when a worker is running.")
        task_queue().enqueue(job)
        return
    except Exception as error:
        db.session.rollback()
        log.error("job %s failed:\n%s", job_id, traceback.format_exc())
        message = public_error(error)
        if will_retry:
            job.status, job.stage, job.error = "queued", "retrying after an error", message
            job.lease_expires_at = None
            db.session.commit()
        else:
            _fail(job, message)
        raise
    try:
        from hearings.speakers import suggest_names_heard, suggest_returning_speakers

        suggest_returning_speakers(db.session, hearing)
        suggest_names_heard(db.session, hearing)
        db.session.commit()
    except Exception:
        # Voice-match suggestions help editors; they must never fail a stored transcript.
        db.session.rollback()
        log.exception("job %s: returning-speaker suggestions failed", job_id)
    _finish(
        job,
        note=transcript.diarization_error
        and ("Transcribed, but speakers could not be told apart: " + transcript.diarization_error),
    )


def silence_redacted_parts(hearing_id: int) -> None:
    """Make (or remove) the public copy of a hearing's recording with redactions silenced."""
    from hearings.redaction import prepare_public_recording

    hearing = db.session.get(Hearing, hearing_id)
    if hearing is None:
        return
    prepare_public_recording(db.session, hearing, current_app.config["UPLOAD_FOLDER"])
    db.session.commit()


def _transcribe(path: Path, writer: ProgressWriter, settings: dict):
    """Run the pipeline: in a child process for the real engine, here for a test's fake."""
    config = current_app.config
    if config["PIPELINE_FACTORY"] is not None or not config["SPEECH_IN_CHILD_PROCESS"]:
        return pipeline().run(path, progress=writer, **settings)
    from werkzeug.utils import import_string

    from transcription.isolated import Interrupted, run_isolated

    queue = task_queue()
    try:
        return run_isolated(
            import_string(config["SPEECH_ENGINE"]),
            pipeline_config(config),
            path,
            progress=writer,
            should_stop=queue.stopping,
            on_tick=writer.heartbeat,
            **settings,
        )
    except Interrupted as stop:
        raise JobInterrupted from stop


def public_error(error: Exception) -> str:
    """Return what the job row shows for a failed attempt: the reason, not the machinery."""
    from transcription.isolated import EngineCrashed, EngineFailed

    if isinstance(error, EngineCrashed):
        return str(error)
    if isinstance(error, EngineFailed):
        return f"{error.kind}: {error}"
    return f"{type(error).__name__}: {error}"


MISSING_RECORDING = (
    "The recording file is missing from the upload folder; restore it from a backup "
    "(flask restore) and try again."
)


def note_missing_recording(session, hearing: Hearing) -> None:
    """Tell clerks, once, on the hearing page that its recording file is gone (caller commits)."""
    from hearings.models import ReviewItem

    if any(i.kind == "recording missing" for i in hearing.open_review_items):
        return
    recording = hearing.recording
    assert recording is not None  # only a hearing with a recording has a file to miss
    session.add(
        ReviewItem(
            hearing_id=hearing.id,
            kind="recording missing",
            message=(
                f"The recording file ({recording.original_filename}, stored as "
                f"{recording.stored_name}) is not in the upload folder. The transcript "
                "is kept, but the recording cannot be played or processed until the file is "
                "restored from a backup."
            ),
        )
    )
    session.flush()


def recover_stranded_jobs() -> list[int]:
    """Put running jobs whose worker is gone back on the queue; return their ids.

    A worker is gone when the job's lease has passed (killed, out of memory, power cut, on any
    machine) or, on this machine, when the process named on the job no longer exists. Each
    recovery counts as an attempt; a job that strands its worker too often fails for good.
    """
    now = utcnow()
    host = socket.gethostname()
    recovered = []
    limit = current_app.config["JOB_MAX_ATTEMPTS"]
    for job in db.session.scalars(select(Job).where(Job.status == "running")):
        if not worker_gone(job.id, job, now, host):
            continue
        who = job.worker or "a worker"
        if job.attempts >= limit:
            _fail(
                job,
                f"Stopped after {job.attempts} attempts: the worker ({who}) stopped during "
                "each of them. The recording may be too long for this machine's memory.",
            )
            continue
        _put_back(
            job,
            f"Attempt {job.attempts} was interrupted: the worker ({who}) stopped while "
            f"{job.stage}. Resuming.",
        )
        task_queue().enqueue(job)
        recovered.append(job.id)
    return recovered


def worker_gone(key, row, now: datetime, host: str | None = None) -> bool:
    """Return whether the worker named on a running row (a job, a document) is gone.

    ``key`` is what the queue's running set holds for the row's task.
    """
    lease = row.lease_expires_at
    if lease is None or as_utc(lease) < now:
        return True
    worker_host, _, pid = (row.worker or "").rpartition(":")
    if worker_host != (host or socket.gethostname()) or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        # Recovery runs before this process takes any work: a row naming it is a leftover of
        # an earlier process that had the same pid.
        return not task_queue().runs(key)
    return not _process_exists(int(pid))


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _put_back(job: Job, note: str) -> None:
    job.status, job.stage = "queued", "interrupted, resuming"
    job.error = note
    job.lease_expires_at = None
    job.worker = None
    db.session.commit()


def _finish(job: Job, note: str | None = None) -> None:
    job.status, job.stage, job.progress = "done", "done", 100
    job.warning = note or None
    job.lease_expires_at = None
    job.finished_at = utcnow()
    db.session.commit()


def _fail(job: Job, message: str) -> None:
    job.status, job.stage = "failed", "failed"
    job.error = message
    job.lease_expires_at = None
    job.finished_at = utcnow()
    db.session.commit()

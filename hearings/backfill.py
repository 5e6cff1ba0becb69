"""Planning a backfill: how long years of archive recordings will take, and the queue's backlog.

Speeds come from this machine: the recent jobs the worker finished (audio seconds per second
of processing), or, before any, a short calibration run of the real pipeline on the first
minutes of one of the files. Nothing here queues anything.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from hearings.models import Hearing, Job, Recording
from hearings.models.base import DbSession

RECENT_JOBS = 20
CALIBRATION_SECONDS = 120.0
# Database growth per hour of audio when this database has too little processed audio to
# measure it: lines, words with their timings, speakers, testimony and the search index. The
# demo hearing (4.9 min, 50 lines, 667 words) added 119 KB to a migrated SQLite database.
DATABASE_BYTES_PER_AUDIO_HOUR = 1_500_000
_MIN_MEASURED_HOURS = 0.5


@dataclass
class FileEstimate:
    path: Path
    size_bytes: int
    duration_s: float | None
    problem: str | None = None


@dataclass
class Speed:
    """Audio seconds processed per wall-clock second, and where the figure comes from."""

    realtime: float
    source: str


@dataclass
class Backlog:
    """Jobs waiting or running, their audio, and when the worker should be through them."""

    jobs: list[Job] = field(default_factory=list)
    audio_s: float = 0.0
    expected_s: float | None = None
    finish_at: datetime | None = None


@dataclass
class BackfillEstimate:
    files: list[FileEstimate]
    speed: Speed | None
    backlog: Backlog
    database_bytes_per_hour: float
    database_source: str

    @property
    def usable(self) -> list[FileEstimate]:
        return [f for f in self.files if f.problem is None]

    @property
    def audio_s(self) -> float:
        return sum(f.duration_s or 0.0 for f in self.usable)

    @property
    def processing_s(self) -> float | None:
        return self.audio_s / self.speed.realtime if self.speed else None

    @property
    def disk_bytes(self) -> int:
        recordings = sum(f.size_bytes for f in self.usable)
        return recordings + int(self.audio_s / 3600 * self.database_bytes_per_hour)

    def finish_at(self, now: datetime) -> datetime | None:
        if self.processing_s is None:
            return None
        ahead = self.backlog.expected_s or 0.0
        return now + timedelta(seconds=ahead + self.processing_s)


def probe_files(paths: Sequence[Path]) -> list[FileEstimate]:
    """Return each file's size and duration, or why it cannot be used."""
    from transcription.audio import AudioError, probe

    found = []
    for path in paths:
        try:
            size = path.stat().st_size
        except OSError as error:
            found.append(FileEstimate(path, 0, None, f"cannot be read ({error.strerror})"))
            continue
        try:
            found.append(FileEstimate(path, size, probe(path).duration))
        except AudioError as error:
            found.append(FileEstimate(path, size, None, str(error)))
    return found


def measured_speed(session: DbSession, recent: int = RECENT_JOBS) -> Speed | None:
    """Return the speed of the worker's last finished jobs, or None before there are any."""
    rows = session.execute(
        select(Job.started_at, Job.finished_at, Recording.duration_ms)
        .join(Hearing, Hearing.id == Job.hearing_id)
        .join(Recording, Recording.id == Hearing.recording_id)
        .where(
            Job.status == "done",
            Job.started_at.is_not(None),
            Job.finished_at.is_not(None),
            Recording.duration_ms > 0,
        )
        .order_by(Job.finished_at.desc())
        .limit(recent)
    ).all()
    audio = sum(duration_ms / 1000 for _, _, duration_ms in rows)
    spent = sum(
        (finished - started).total_seconds()
        for started, finished, _ in rows
        if started is not None and finished is not None
    )
    if not rows or spent <= 0 or audio <= 0:
        return None
    count = len(rows)
    which = "the last job" if count == 1 else f"the last {count} jobs"
    return Speed(audio / spent, f"{which} on this machine")


def calibrate(config, path: Path, seconds: float = CALIBRATION_SECONDS) -> Speed:
    """Time the real pipeline on the first ``seconds`` of a recording, models loaded first."""
    import time

    from transcription.audio import SAMPLE_RATE, decode
    from transcription.pipeline import TranscriptionPipeline

    # Only the start is decoded: a six-hour file would otherwise fill gigabytes of memory.
    samples = decode(path, limit_s=seconds)
    pipeline = TranscriptionPipeline(config)
    with tempfile.TemporaryDirectory() as folder:
        excerpt = _write_wav(Path(folder) / "excerpt.wav", samples, SAMPLE_RATE)
        # A first run of one second loads the models, which a worker does once, not per job.
        warm = _write_wav(Path(folder) / "warm.wav", samples[:SAMPLE_RATE], SAMPLE_RATE)
        pipeline.run(warm)
        started = time.perf_counter()
        pipeline.run(excerpt)
        spent = time.perf_counter() - started
    audio = samples.size / SAMPLE_RATE
    return Speed(audio / max(spent, 1e-3), f"a calibration run on {audio:.0f} s of {path.name}")


def _write_wav(path: Path, samples, rate: int) -> Path:
    import wave

    import numpy as np

    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def backlog(session: DbSession, speed: Speed | None, now: datetime | None = None) -> Backlog:
    """Return the jobs waiting or running, with the audio still to process and its end."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    jobs = list(
        session.scalars(
            select(Job).where(Job.status.in_(("queued", "running"))).order_by(Job.created_at)
        )
    )
    audio = 0.0
    for job in jobs:
        recording = job.hearing.recording
        duration = (recording.duration_ms or 0) / 1000 if recording else 0.0
        # A running job has its progress (0-100) done already.
        audio += duration * (1 - (job.progress or 0) / 100 if job.status == "running" else 1)
    result = Backlog(jobs=jobs, audio_s=audio)
    if speed is not None:
        result.expected_s = audio / speed.realtime
        result.finish_at = now + timedelta(seconds=result.expected_s)
    return result


def database_growth(session: DbSession) -> tuple[float, str]:
    """Return bytes of database per hour of audio, measured here when there is enough."""
    from sqlalchemy import func

    hours = (
        session.scalar(
            # Only transcribed hearings have grown the database.
            select(func.sum(Recording.duration_ms))
            .join(Hearing, Hearing.recording_id == Recording.id)
            .where(Hearing.transcribed_at.is_not(None))
        )
        or 0
    ) / 3_600_000
    size = _database_size(session)
    if size and hours >= _MIN_MEASURED_HOURS:
        return size / hours, f"this database ({hours:.1f} hours of audio so far)"
    return float(DATABASE_BYTES_PER_AUDIO_HOUR), "the demo hearing's growth on SQLite"


def _database_size(session: DbSession) -> int | None:
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        database = bind.engine.url.database
        return os.path.getsize(database) if database and os.path.exists(database) else None
    from sqlalchemy import text

    return session.scalar(text("SELECT pg_database_size(current_database())"))


def estimate(
    session: DbSession, files: list[FileEstimate], speed: Speed | None
) -> BackfillEstimate:
    growth, source = database_growth(session)
    return BackfillEstimate(files, speed, backlog(session, speed), growth, source)


def duration_text(seconds: float) -> str:
    """Return a duration as a clerk reads it: "3 h 05 min", "12 min", "40 s"."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 48:
        return f"{hours / 24:.1f} days"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min" if minutes else f"{secs} s"

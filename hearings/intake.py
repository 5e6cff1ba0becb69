"""A new hearing from a clerk or an archive: find the body, keep the recording, queue the job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hearings.bodies import body_named
from hearings.errors import Conflict
from hearings.extensions import db
from hearings.jobs import queue_transcription
from hearings.models import Hearing, Recording
from hearings.storage import (
    StoredUpload,
    incoming_sha256,
    keep_local_file,
    keep_upload,
)


class DuplicateRecording(Conflict):
    """This exact file was uploaded before; carries the hearing that has it."""

    def __init__(self, hearing: Hearing | None):
        self.hearing = hearing
        where = (
            f"“{hearing.title}” ({hearing.date.isoformat()})" if hearing else "an earlier upload"
        )
        super().__init__(
            f"This recording was already uploaded for {where}; it was not processed again."
        )


@dataclass
class HearingDetails:
    title: str
    body_name: str
    date: date
    agenda_text: str | None = None
    languages: str | None = None
    num_speakers: int | None = None
    max_speakers: int | None = None
    clustering_threshold: float | None = None


def hearing_with_recording(sha256: str) -> Hearing | None:
    recording = db.session.scalars(select(Recording).where(Recording.sha256 == sha256)).first()
    if recording is None:
        return None
    return db.session.scalars(select(Hearing).where(Hearing.recording_id == recording.id)).first()


def _check_duplicate(sha256: str) -> None:
    exists = db.session.scalars(select(Recording.id).where(Recording.sha256 == sha256)).first()
    if exists:
        raise DuplicateRecording(hearing_with_recording(sha256))


def create_hearing_from_upload(details: HearingDetails, file_storage) -> Hearing:
    """Keep an uploaded recording, create its hearing and queue transcription."""
    _check_duplicate(incoming_sha256(file_storage))
    stored = keep_upload(file_storage, current_app.config["UPLOAD_FOLDER"])
    return _create(details, stored)


def create_hearing_from_file(details: HearingDetails, path: Path) -> Hearing:
    """Like create_hearing_from_upload, for a file already on disk (archive ingest)."""
    import hashlib

    with path.open("rb") as source:
        _check_duplicate(hashlib.file_digest(source, "sha256").hexdigest())
    stored = keep_local_file(path, current_app.config["UPLOAD_FOLDER"])
    return _create(details, stored)


def _create(details: HearingDetails, stored: StoredUpload) -> Hearing:
    recording = Recording(
        sha256=stored.sha256,
        original_filename=stored.original_filename,
        stored_name=stored.stored_name,
        size_bytes=stored.size_bytes,
        duration_ms=int(round(stored.info.duration * 1000)),
        codec=stored.info.codec,
        media_type=_media_type(stored.stored_name),
    )
    hearing = Hearing(
        title=" ".join(details.title.split()),
        body=body_named(db.session, details.body_name),
        date=details.date,
        agenda_text=(details.agenda_text or "").strip() or None,
        recording=recording,
        languages=details.languages,
        num_speakers=details.num_speakers,
        max_speakers=details.max_speakers,
        clustering_threshold=details.clustering_threshold,
    )
    db.session.add(hearing)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request stored the same file between our check and this insert (or
        # created the same new body): the database's unique keys decide who was first.
        db.session.rollback()
        if hearing_with_recording(stored.sha256) is not None:
            raise DuplicateRecording(hearing_with_recording(stored.sha256)) from None
        raise
    queue_transcription(hearing)
    return hearing


def _media_type(name: str) -> str:
    import mimetypes

    suffix = Path(name).suffix.lower()
    return (
        {
            ".opus": "audio/ogg",
            ".ogg": "audio/ogg",
            ".oga": "audio/ogg",
            ".m4a": "audio/mp4",
            ".flac": "audio/flac",
        }.get(suffix)
        or mimetypes.guess_type(name)[0]
        or "application/octet-stream"
    )

"""Hearings, their recordings, processing jobs and the transcript rows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearings.models.accounts import User
from hearings.models.base import Base, utcnow
from hearings.models.bodies import Body
from hearings.models.people import Person


class Recording(Base):
    """An uploaded audio or video file, identified by its content hash."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    original_filename: Mapped[str] = mapped_column(String(255))
    # Relative to UPLOAD_FOLDER so the instance folder can move.
    stored_name: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int]
    duration_ms: Mapped[int]
    codec: Mapped[str | None] = mapped_column(String(50))
    media_type: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Hearing(Base):
    __tablename__ = "hearings"
    # Browsing newest first walks hearings in this order and stops after a page of lines.
    __table_args__ = (Index("ix_hearings_date_id", "date", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    date: Mapped[date]
    agenda_text: Mapped[str | None] = mapped_column(Text)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a transcript is stored; the public pages show only transcribed hearings' text.
    transcript_model: Mapped[str | None] = mapped_column(String(200))
    transcript_language: Mapped[str | None] = mapped_column(String(10))
    transcript_sha256: Mapped[str | None] = mapped_column(String(64))
    transcribed_at: Mapped[datetime | None]
    diarizer: Mapped[str | None] = mapped_column(String(200))
    diarization_note: Mapped[str | None] = mapped_column(Text)
    # The languages spoken ("en", "es", "en,es" or "auto"), which choose the speech model;
    # None follows the site's HEARING_LANGUAGES.
    languages: Mapped[str | None] = mapped_column(String(60))
    # What the clerk knows about who spoke, passed to diarization: an exact count of speakers,
    # or bounds, and a clustering threshold for recordings where the default merges or splits.
    num_speakers: Mapped[int | None]
    min_speakers: Mapped[int | None]
    max_speakers: Mapped[int | None]
    clustering_threshold: Mapped[float | None]
    # The Legistar EventId of the meeting, so re-importing updates this hearing.
    legistar_id: Mapped[int | None] = mapped_column(unique=True)
    # A hearing is a draft, seen only by staff, until a clerk publishes it. Withdrawing it
    # from the public record clears published_at and says why, publicly.
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    # The recording as the public hears it while redactions are in force: a copy with the
    # redacted ranges silenced, and the key of the ranges it was made for.
    public_recording_name: Mapped[str | None] = mapped_column(String(255))
    public_recording_key: Mapped[str | None] = mapped_column(String(64))

    body: Mapped[Body] = relationship()
    recording: Mapped[Recording | None] = relationship()
    segments: Mapped[list[Segment]] = relationship(
        back_populates="hearing", order_by="Segment.start_ms", cascade="all, delete-orphan"
    )
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="hearing", order_by="Speaker.label", cascade="all, delete-orphan"
    )
    jobs: Mapped[list[Job]] = relationship(
        back_populates="hearing", order_by="Job.id", cascade="all, delete-orphan"
    )
    review_items: Mapped[list[ReviewItem]] = relationship(
        back_populates="hearing", order_by="ReviewItem.id", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[LineRevision]] = relationship(
        back_populates="hearing", order_by="LineRevision.id", cascade="all, delete-orphan"
    )
    redactions: Mapped[list[Redaction]] = relationship(
        back_populates="hearing", order_by="Redaction.start_ms", cascade="all, delete-orphan"
    )
    checks: Mapped[list[CheckedRange]] = relationship(
        back_populates="hearing", order_by="CheckedRange.start_ms", cascade="all, delete-orphan"
    )

    @property
    def published(self) -> bool:
        return self.published_at is not None

    @property
    def withdrawn(self) -> bool:
        return self.published_at is None and self.withdrawn_at is not None

    @property
    def active_redactions(self) -> list[Redaction]:
        return [r for r in self.redactions if r.lifted_at is None]

    @property
    def latest_job(self) -> Job | None:
        return self.jobs[-1] if self.jobs else None

    @property
    def open_review_items(self) -> list[ReviewItem]:
        return [item for item in self.review_items if item.resolved_at is None]


JOB_STATES = ("queued", "running", "done", "failed")


class Job(Base):
    """One processing run of a hearing's recording; the UI reads it for progress."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id"))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    stage: Mapped[str] = mapped_column(String(50), default="waiting in queue")
    progress: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # A note that does not fail the job, e.g. why speakers could not be told apart.
    warning: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    # While running, the worker renews this lease; a running job whose lease has passed lost
    # its worker (killed, out of memory, power cut) and is put back on the queue.
    lease_expires_at: Mapped[datetime | None]
    # "host:pid" of the worker process running it, so a restarted worker on the same machine
    # can tell at once that the previous one is gone.
    worker: Mapped[str | None] = mapped_column(String(200))
    # Process even if this audio was transcribed before (a clerk changed speaker settings).
    reprocess: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    hearing: Mapped[Hearing] = relationship(back_populates="jobs")

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def lease_passed(self, now: datetime | None = None) -> bool:
        """Return whether the worker's lease is missing or has run out."""
        from datetime import UTC

        lease = self.lease_expires_at
        if lease is None:
            return True
        # SQLite hands back naive datetimes; the lease was written in UTC.
        if lease.tzinfo is None:
            lease = lease.replace(tzinfo=UTC)
        return lease < (now or utcnow())

    @property
    def worker_lost(self) -> bool:
        """Running, but its worker stopped renewing the lease: it is about to be resumed."""
        return (
            self.status == "running" and self.lease_expires_at is not None and self.lease_passed()
        )


class ReviewItem(Base):
    """Something a clerk did that a new machine transcript could not carry over by itself.

    Listed to clerks on the hearing page until one of them settles it; never dropped.
    """

    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id"))
    # testimony, speaker name, line speaker, correction
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    testimony_id: Mapped[int | None] = mapped_column(ForeignKey("testimonies.id"))
    # The corrected line a "correction" item is about (not a key: the line may be merged).
    segment_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    hearing: Mapped[Hearing] = relationship(back_populates="review_items")


class Speaker(Base):
    """A voice in one hearing as the diarizer labelled it, optionally named by an editor."""

    __tablename__ = "speakers"
    __table_args__ = (UniqueConstraint("hearing_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id"))
    label: Mapped[str] = mapped_column(String(50))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    # The voice embedding of this label, kept to recognise the person in later hearings.
    # SQL NULL when there is none (not JSON null), so "has a voiceprint" is one IS NOT NULL.
    embedding: Mapped[list[float] | None] = mapped_column(JSON(none_as_null=True))
    suggested_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    suggested_similarity: Mapped[float | None]
    # A name heard in the hearing for this voice (an introduction, the chair's call-up or
    # thanks; see hearings.introductions), with the words that show it: a suggestion only.
    heard_name: Mapped[str | None] = mapped_column(String(200))
    heard_organization: Mapped[str | None] = mapped_column(String(200))
    heard_quote: Mapped[str | None] = mapped_column(Text)
    heard_at_ms: Mapped[int | None]
    heard_confidence: Mapped[float | None]

    hearing: Mapped[Hearing] = relationship(back_populates="speakers")
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    suggested_person: Mapped[Person | None] = relationship(foreign_keys=[suggested_person_id])

    @property
    def display(self) -> str:
        return self.person.name if self.person else self.label


class Segment(Base):
    """One transcript line: the unit of search results, quotes and captions."""

    __tablename__ = "segments"
    __table_args__ = (Index("ix_segments_hearing_start", "hearing_id", "start_ms"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id"))
    start_ms: Mapped[int]
    end_ms: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("speakers.id"), index=True)
    crosstalk: Mapped[bool] = mapped_column(default=False)
    # The language the line was recognised in (ISO 639-1); it chooses how the line is stemmed
    # for search. None: recorded before languages were kept, taken as English.
    language: Mapped[str | None] = mapped_column(String(10))
    # A clerk gave this line to its speaker; processing again keeps that decision.
    speaker_set_by_clerk: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A person corrected its words or times: processing again keeps the line as they left it.
    corrected: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Counts every change of the row; an edit made from an older page is refused (409) rather
    # than silently overwriting what another editor saved since.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    hearing: Mapped[Hearing] = relationship(back_populates="segments")
    speaker: Mapped[Speaker | None] = relationship()
    words: Mapped[list[Word]] = relationship(
        back_populates="segment", order_by="Word.start_ms", cascade="all, delete-orphan"
    )

    @property
    def spoken_language(self) -> str:
        """The language the line was heard in; lines kept before languages were came from the
        English-only model."""
        return self.language or "en"


class LineRevision(Base):
    """One change a person made to a transcript line, kept for good (the corrections log).

    Not a foreign key to the line: a merge removes a line and processing again replaces
    uncorrected ones, but the history of what the record said stays.
    """

    __tablename__ = "line_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id"), index=True)
    segment_id: Mapped[int | None] = mapped_column(index=True)
    # words, split, merge, times, speaker, machine (a new machine transcript replaced it)
    kind: Mapped[str] = mapped_column(String(20))
    # {"text", "start_ms", "end_ms", "speaker"} of the line before and after.
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    hearing: Mapped[Hearing] = relationship(back_populates="revisions")
    user: Mapped[User | None] = relationship()


class Redaction(Base):
    """A stretch of the recording withheld from the public record, with the reason.

    The lines' words in the range are replaced by a marker; what they said is kept here
    (``lines``) for admins and for lifting the redaction. The original recording stays in
    storage; the public hears a copy with the range silenced.
    """

    __tablename__ = "redactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id"), index=True)
    start_ms: Mapped[int]
    end_ms: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    # What it withholds, as it was: per line {"segment_id", "text", "redacted_text", "words",
    # "markers": [{"start_ms", "end_ms", "words"}]}, per testimony {"testimony_id", "text",
    # "redacted_text"}. See hearings.redaction.
    lines: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    hearing: Mapped[Hearing] = relationship(back_populates="redactions")


class CheckedRange(Base):
    """A stretch of the transcript a clerk checked against the audio."""

    __tablename__ = "checked_ranges"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id"), index=True)
    start_ms: Mapped[int]
    end_ms: Mapped[int]
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    hearing: Mapped[Hearing] = relationship(back_populates="checks")


class Word(Base):
    __tablename__ = "words"

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id"), index=True)
    start_ms: Mapped[int]
    end_ms: Mapped[int]
    text: Mapped[str] = mapped_column(String(100))
    probability: Mapped[float]
    speaker_label: Mapped[str | None] = mapped_column(String(50))

    segment: Mapped[Segment] = relationship(back_populates="words")

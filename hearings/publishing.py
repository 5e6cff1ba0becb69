"""Putting a hearing on the public record, taking it off with a reason, deleting it, checking it.

A hearing is a draft, seen by staff only, until a clerk publishes it. Each of these changes is
audited; the caller commits.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, select, update

from hearings import search
from hearings.audit import audited
from hearings.errors import Conflict, Refused
from hearings.models import (
    AgendaItem,
    AuditEntry,
    CheckedRange,
    Document,
    Hearing,
    Segment,
    SignupEntry,
    Testimony,
    VoteEvent,
)
from hearings.models.audit import record
from hearings.models.base import DbSession, utcnow

MAX_WITHDRAWAL_REASON = 1000


def publication_state(hearing: Hearing) -> dict:
    return {
        "published_at": hearing.published_at.isoformat() if hearing.published_at else None,
        "withdrawn_at": hearing.withdrawn_at.isoformat() if hearing.withdrawn_at else None,
        "withdrawn_reason": hearing.withdrawn_reason,
    }


def _not_processing(hearing: Hearing, doing: str) -> None:
    job = hearing.latest_job
    if job is not None and not job.finished:
        raise Conflict(
            f"The recording is still being processed: {doing} once the transcript is ready "
            "and reviewed."
        )


def publish(session: DbSession, user, hearing: Hearing) -> None:
    """Put the hearing, its transcript and recording on the public record."""
    if hearing.published:
        return
    _not_processing(hearing, "publish it")
    with audited(
        session, user, "hearing.publish", hearing, publication_state, hearing_id=hearing.id
    ):
        hearing.published_at = utcnow()
        hearing.published_by_id = getattr(user, "id", None)
        hearing.withdrawn_at = None
        hearing.withdrawn_reason = None


def withdraw(session: DbSession, user, hearing: Hearing, reason: str | None) -> None:
    """Take a published hearing off the public record; the reason is shown publicly."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise Refused("Say why the hearing is withdrawn: the reason is shown to the public.")
    if len(reason) > MAX_WITHDRAWAL_REASON:
        raise Refused(f"The reason is too long (at most {MAX_WITHDRAWAL_REASON} characters).")
    if not hearing.published:
        raise Conflict("This hearing is not published, so there is nothing to withdraw.")
    _take_off_the_record(session, user, hearing, reason)


def back_to_draft_for_review(session: DbSession, hearing: Hearing) -> None:
    """A new machine transcript replaced a published one: it waits for a clerk's review."""
    if hearing.published:
        _take_off_the_record(
            session,
            None,
            hearing,
            "The recording was processed again; the new transcript is being reviewed "
            "before it is published.",
        )


def _take_off_the_record(session: DbSession, user, hearing: Hearing, reason: str) -> None:
    with audited(
        session, user, "hearing.withdraw", hearing, publication_state, hearing_id=hearing.id
    ):
        hearing.published_at = None
        hearing.withdrawn_at = utcnow()
        hearing.withdrawn_reason = reason


def mark_checked(
    session: DbSession, user, hearing: Hearing, start_ms: int | None, end_ms: int | None
) -> CheckedRange:
    """Record that a clerk checked the transcript against the audio, whole or a range."""
    last = max((s.end_ms for s in hearing.segments), default=0)
    start = 0 if start_ms is None else start_ms
    end = last if end_ms is None else end_ms
    if end <= start:
        raise Refused("The end of the checked range must come after its start.")
    if not hearing.segments:
        raise Refused("There is no transcript to check yet.")
    check = CheckedRange(
        hearing_id=hearing.id,
        start_ms=start,
        end_ms=end,
        checked_by_id=getattr(user, "id", None),
    )
    with audited(
        session,
        user,
        "hearing.checked",
        check,
        lambda c: {"start_ms": c.start_ms, "end_ms": c.end_ms},
        hearing_id=hearing.id,
    ):
        session.add(check)
    return check


def check_covering(hearing: Hearing, start_ms: int, end_ms: int) -> CheckedRange | None:
    """Return the latest check that covers the whole range, if any."""
    covering = [c for c in hearing.checks if c.start_ms <= start_ms and c.end_ms >= end_ms]
    return max(covering, key=lambda c: c.checked_at, default=None)


def delete_hearing(session: DbSession, user, hearing: Hearing, upload_folder: str) -> list[Path]:
    """Delete a hearing and its recording (admins); return the files to remove after commit.

    Testimony recorded at the hearing is a clerk's work and its words come from this
    hearing: it must be deleted (or moved) first, on purpose, rather than left with words of a
    deleted, perhaps never published, recording. Votes stay; the audit log keeps what the
    hearing was.
    """
    from sqlalchemy import func

    from hearings.storage import recording_path

    _not_processing(hearing, "delete it")
    testified = session.scalar(
        select(func.count(Testimony.id)).where(Testimony.hearing_id == hearing.id)
    )
    if testified:
        raise Conflict(
            f"{testified} testimon{'y is' if testified == 1 else 'ies are'} recorded at this "
            "hearing. Delete or move them first: their words and positions are clerks' work, "
            "and would otherwise outlive the recording they quote."
        )
    attached = session.scalar(
        select(func.count(Document.id)).where(Document.hearing_id == hearing.id)
    )
    if attached:
        raise Conflict(
            f"{attached} document{'s are' if attached != 1 else ' is'} attached to this hearing. "
            "They are part of the record: withdraw them from the public if they should not be "
            "seen, but the hearing they were handed out at stays."
        )
    recording = hearing.recording
    files = []
    if recording is not None:
        files.append(recording_path(recording.stored_name))
    if hearing.public_recording_name:
        files.append(Path(upload_folder) / hearing.public_recording_name)
    state = {
        "title": hearing.title,
        "body": hearing.body.name,
        "date": hearing.date.isoformat(),
        "recording_sha256": recording.sha256 if recording else None,
        "recording_filename": recording.original_filename if recording else None,
        "lines": len(hearing.segments),
        **publication_state(hearing),
    }
    agenda = session.scalars(select(AgendaItem).where(AgendaItem.hearing_id == hearing.id)).all()
    state["agenda"] = [
        {"matter_id": a.matter_id, "title": a.title, "start_ms": a.start_ms, "end_ms": a.end_ms}
        for a in agenda
    ]
    for item in agenda:
        session.delete(item)
    # Rows of its sign-up list not yet decided; a confirmed row is card testimony, refused above.
    signups = session.scalars(select(SignupEntry).where(SignupEntry.hearing_id == hearing.id))
    state["signups"] = [{"name": e.name, "state": e.state} for e in signups]
    session.execute(delete(SignupEntry).where(SignupEntry.hearing_id == hearing.id))
    session.execute(
        update(VoteEvent).where(VoteEvent.hearing_id == hearing.id).values(hearing_id=None)
    )
    # The log keeps its entries; they name the hearing in their target instead.
    session.execute(
        update(AuditEntry).where(AuditEntry.hearing_id == hearing.id).values(hearing_id=None)
    )
    old = session.execute(
        select(Segment.id, Segment.text).where(Segment.hearing_id == hearing.id)
    ).all()
    search.unindex_segments(session.connection(), [(i, t) for i, t in old])
    session.flush()
    record(session, user, "hearing.delete", hearing, before=state)
    session.delete(hearing)
    session.flush()
    if recording is not None:
        session.delete(recording)
        session.flush()
    return files

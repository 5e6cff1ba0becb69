"""Redaction: a stretch of a hearing withheld from the public record, in words and in sound.

The words said in the range are replaced in the lines themselves by a marker, so every page,
search, export and feed built from the lines withholds them without a rule of its own; what
they said is kept in the :class:`Redaction` (for admins, and to lift it). The public hears a
copy of the recording with the ranges silenced, made by the worker; until it is ready the
public gets no recording at all, never the original.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import select

from hearings import search
from hearings.audit import audited
from hearings.corrections import REDACTED
from hearings.errors import Conflict, Refused
from hearings.models import Hearing, Redaction, Segment, Word
from hearings.models.base import DbSession, utcnow
from hearings.timecodes import clock

log = logging.getLogger(__name__)

MAX_REASON = 1000
# Where the silenced copies live, under UPLOAD_FOLDER.
PUBLIC_FOLDER = "public"
PUBLIC_MEDIA_TYPE = "audio/mp4"


def redaction_state(redaction: Redaction) -> dict:
    # Never the words: the audit log is readable by every clerk, the words only by admins.
    return {
        "start_ms": redaction.start_ms,
        "end_ms": redaction.end_ms,
        "reason": redaction.reason,
        "lifted": redaction.lifted_at is not None,
    }


def _word_tuple(word: Word) -> list:
    return [word.text, word.start_ms, word.end_ms, word.probability, word.speaker_label]


def _mask(session: DbSession, hearing: Hearing, start_ms: int, end_ms: int) -> list[dict]:
    """Replace the words said in the range by markers; return the lines as they were.

    Each marker keeps its own times, and the entry keeps the words it stands for under those
    times: splits, joins and corrections move or keep a marker with its times, so lifting
    finds its words again wherever it went.
    """
    lines = session.scalars(
        select(Segment)
        .where(
            Segment.hearing_id == hearing.id, Segment.start_ms < end_ms, Segment.end_ms > start_ms
        )
        .order_by(Segment.start_ms)
    ).all()
    changed = []
    for line in lines:
        words = list(line.words)
        if not words:
            # No word timings (an older transcript): the whole line is withheld.
            if line.text == REDACTED:
                continue
            changed.append(_withhold_whole_line(session, line))
            continue
        hidden = [start_ms <= (w.start_ms + w.end_ms) / 2 < end_ms for w in words]
        if not any(h and w.text != REDACTED for w, h in zip(words, hidden, strict=True)):
            continue
        kept: list[Word] = []
        markers: list[dict] = []
        for word, withheld in zip(words, hidden, strict=True):
            if not withheld or word.text == REDACTED:
                kept.append(_copy(word))
                continue
            if markers and kept and kept[-1] is markers[-1]["word"]:
                # Consecutive withheld words share one marker (one made in this pass only).
                kept[-1].end_ms = max(kept[-1].end_ms, word.end_ms)
                markers[-1]["words"].append(_word_tuple(word))
                continue
            marker = Word(
                start_ms=word.start_ms,
                end_ms=word.end_ms,
                text=REDACTED,
                probability=1.0,
                speaker_label=word.speaker_label,
            )
            kept.append(marker)
            markers.append({"word": marker, "words": [_word_tuple(word)]})
        old_text = line.text
        changed.append(
            {
                "segment_id": line.id,
                "text": old_text,
                "words": [_word_tuple(w) for w in words],
                "markers": [
                    {
                        "start_ms": m["word"].start_ms,
                        "end_ms": m["word"].end_ms,
                        "words": m["words"],
                    }
                    for m in markers
                ],
                "redacted_text": " ".join(w.text for w in kept),
            }
        )
        line.words = kept
        line.text = changed[-1]["redacted_text"]
        search.reindex_segments(session, [(line.id, old_text)], [line.id])
    return changed


def _copy(word: Word) -> Word:
    return Word(
        start_ms=word.start_ms,
        end_ms=word.end_ms,
        text=word.text,
        probability=word.probability,
        speaker_label=word.speaker_label,
    )


def _withhold_whole_line(session: DbSession, line: Segment) -> dict:
    entry = {"segment_id": line.id, "text": line.text, "words": [], "redacted_text": REDACTED}
    old_text = line.text
    line.text = REDACTED
    search.reindex_segments(session, [(line.id, old_text)], [line.id])
    return entry


def redact(
    session: DbSession,
    user,
    hearing: Hearing,
    start_ms: int | None,
    end_ms: int | None,
    reason: str | None,
) -> Redaction:
    """Withhold the range from the public record; the caller commits, then queues the audio."""
    reason = " ".join((reason or "").split())
    if start_ms is None or end_ms is None:
        raise Refused("Give the start and end of the part to redact, as h:mm:ss.")
    if end_ms <= start_ms:
        raise Refused("The end of the redacted part must come after its start.")
    if not reason:
        raise Refused("Say why this part is redacted (for example, a home address).")
    if len(reason) > MAX_REASON:
        raise Refused(f"The reason is too long (at most {MAX_REASON} characters).")
    duration = hearing.recording.duration_ms if hearing.recording else None
    if duration and start_ms >= duration:
        raise Refused(f"The recording ends at {clock(duration)}.")
    if duration:
        end_ms = min(end_ms, duration)
    redaction = Redaction(
        hearing_id=hearing.id,
        start_ms=start_ms,
        end_ms=end_ms,
        reason=reason,
        created_by_id=getattr(user, "id", None),
    )
    with audited(
        session, user, "hearing.redact", redaction, redaction_state, hearing_id=hearing.id
    ):
        session.add(redaction)
        redaction.lines = [
            *_mask(session, hearing, start_ms, end_ms),
            *_mask_testimony(session, hearing, start_ms, end_ms),
        ]
    return redaction


def _mask_testimony(session: DbSession, hearing: Hearing, start_ms: int, end_ms: int) -> list:
    """Withhold the range from the words testimony keeps of its lines; return what they were."""
    from hearings.models import Testimony

    kept = []
    quoting = session.scalars(
        select(Testimony).where(
            Testimony.hearing_id == hearing.id,
            Testimony.quote_start_ms < end_ms,
            Testimony.quote_end_ms > start_ms,
        )
    )
    for testimony in quoting:
        if not testimony.quote_text:
            continue
        masked = " ".join(s.text for s in testimony.segments) if testimony.segments else REDACTED
        if masked != testimony.quote_text:
            kept.append(
                {
                    "testimony_id": testimony.id,
                    "text": testimony.quote_text,
                    "redacted_text": masked,
                }
            )
            testimony.quote_text = masked
    return kept


def lift(session: DbSession, user, redaction: Redaction) -> None:
    """Give the withheld words back to the lines (admins); other redactions stay in force."""
    if redaction.lifted_at is not None:
        raise Conflict("This redaction was lifted already.")
    hearing = redaction.hearing
    entries = redaction.lines or []
    # A marker's times name the words it stands for; a later entry (a new machine transcript
    # masked again) overrides an earlier one with the same times.
    withheld = {
        (marker["start_ms"], marker["end_ms"]): marker["words"]
        for entry in entries
        for marker in entry.get("markers", [])
    }
    whole = {e["segment_id"]: e for e in entries if "segment_id" in e and not e["words"]}
    with audited(
        session, user, "hearing.unredact", redaction, redaction_state, hearing_id=hearing.id
    ):
        for entry in entries:
            if "testimony_id" in entry:
                _restore_testimony(session, entry)
        lines = session.scalars(
            select(Segment).where(
                Segment.hearing_id == hearing.id,
                Segment.start_ms < redaction.end_ms,
                Segment.end_ms > redaction.start_ms,
            )
        ).all()
        for line in lines:
            old_text = line.text
            if line.id in whole and line.text == REDACTED:
                line.text = whole[line.id]["text"]
                search.reindex_segments(session, [(line.id, old_text)], [line.id])
                continue
            words: list[Word] = []
            for word in line.words:
                key = (word.start_ms, word.end_ms)
                if word.text == REDACTED and key in withheld:
                    words += [
                        Word(start_ms=a, end_ms=b, text=t, probability=p, speaker_label=label)
                        for t, a, b, p, label in withheld[key]
                    ]
                else:
                    words.append(_copy(word))
            text = " ".join(w.text for w in words)
            if text != old_text:
                line.words = words
                line.text = text
                search.reindex_segments(session, [(line.id, old_text)], [line.id])
        redaction.lifted_at = utcnow()
        redaction.lifted_by_id = getattr(user, "id", None)
    session.flush()
    reapply(session, hearing)


def _restore_testimony(session: DbSession, kept: dict) -> None:
    from hearings.models import Testimony

    testimony = session.get(Testimony, kept["testimony_id"])
    if testimony is not None and testimony.quote_text == kept["redacted_text"]:
        testimony.quote_text = kept["text"]


def reapply(session: DbSession, hearing: Hearing) -> None:
    """Mask every redaction in force again: after a lift, or on a new machine transcript."""
    for redaction in hearing.active_redactions:
        masked = _mask(session, hearing, redaction.start_ms, redaction.end_ms)
        masked += _mask_testimony(session, hearing, redaction.start_ms, redaction.end_ms)
        if masked:
            redaction.lines = [*(redaction.lines or []), *masked]


# --- the public recording ------------------------------------------------------------------


def ranges_key(hearing: Hearing) -> str | None:
    """Return a key of the ranges in force (None without redactions)."""
    ranges = sorted((r.start_ms, r.end_ms) for r in hearing.active_redactions)
    if not ranges:
        return None
    return hashlib.sha256(repr(ranges).encode()).hexdigest()


def public_recording_ready(hearing: Hearing, upload_folder: str) -> Path | None:
    """Return the silenced copy the public may hear, if it matches the redactions in force."""
    key = ranges_key(hearing)
    if key is None or hearing.public_recording_key != key or not hearing.public_recording_name:
        return None
    path = Path(upload_folder) / hearing.public_recording_name
    return path if path.is_file() else None


def queue_public_recording(hearing: Hearing) -> None:
    """Ask the worker for a silenced copy (or to remove one) when the redactions changed."""
    from hearings.jobs import task_queue

    if hearing.public_recording_key != ranges_key(hearing):
        task_queue().enqueue_public_recording(hearing.id)


def stale_public_recordings(session: DbSession) -> list[int]:
    """Return hearings whose public copy does not match their redactions (a lost task)."""
    hearings = session.scalars(
        select(Hearing).where(
            Hearing.id.in_(select(Redaction.hearing_id)) | Hearing.public_recording_key.is_not(None)
        )
    )
    return [h.id for h in hearings if h.public_recording_key != ranges_key(h)]


def prepare_public_recording(
    session: DbSession, hearing: Hearing, upload_folder: str
) -> Path | None:
    """Write the recording with the redacted ranges silenced and record it; the caller commits."""
    from hearings.storage import recording_path

    key = ranges_key(hearing)
    if key is None or hearing.recording is None:
        # No redaction in force any more: the public hears the original again.
        if hearing.public_recording_name:
            (Path(upload_folder) / hearing.public_recording_name).unlink(missing_ok=True)
        hearing.public_recording_name = hearing.public_recording_key = None
        return None
    if public_recording_ready(hearing, upload_folder):
        return Path(upload_folder) / (hearing.public_recording_name or "")
    ranges = [(r.start_ms, r.end_ms) for r in hearing.active_redactions]
    folder = Path(upload_folder) / PUBLIC_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{PUBLIC_FOLDER}/hearing-{hearing.id}-{key[:16]}.m4a"
    target = Path(upload_folder) / name
    partial = target.with_suffix(".partial.m4a")
    silence_ranges(recording_path(hearing.recording.stored_name), partial, ranges)
    partial.replace(target)
    previous = hearing.public_recording_name
    hearing.public_recording_name = name
    hearing.public_recording_key = key
    session.flush()
    if previous and previous != name:
        (Path(upload_folder) / previous).unlink(missing_ok=True)
    return target


def silence_ranges(source: Path, target: Path, ranges: list[tuple[int, int]]) -> None:
    """Re-encode the audio of ``source`` as AAC with the ranges (ms) silenced."""
    import av
    import numpy as np

    with av.open(str(source)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or 48000
        layout = "mono" if (stream.codec_context.channels or 1) == 1 else "stereo"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        fifo = av.AudioFifo()
        with av.open(str(target), "w", format="mp4") as out:
            encoder = out.add_stream("aac", rate=rate, layout=layout)
            encoder.bit_rate = 96_000
            position = 0  # samples written so far: times are counted from the file's start

            def encode(frame):
                for packet in encoder.encode(frame):
                    out.mux(packet)

            def drain(final: bool = False):
                size = encoder.codec_context.frame_size or 1024
                while fifo.samples >= size or (final and fifo.samples):
                    frame = fifo.read(min(size, fifo.samples))
                    encode(frame)

            for decoded in container.decode(stream):
                for frame in resampler.resample(decoded):
                    samples = frame.to_ndarray()
                    count = samples.shape[-1]
                    times = (position + np.arange(count)) * 1000 / rate
                    quiet = np.zeros(count, dtype=bool)
                    for start_ms, end_ms in ranges:
                        quiet |= (times >= start_ms) & (times < end_ms)
                    if quiet.any():
                        samples = samples.copy()
                        samples[..., quiet] = 0.0
                    silenced = av.AudioFrame.from_ndarray(samples, format="fltp", layout=layout)
                    silenced.sample_rate = rate
                    silenced.pts = None
                    fifo.write(silenced)
                    position += count
                    drain()
            for frame in resampler.resample(None):
                fifo.write(frame)
            drain(final=True)
            encode(None)

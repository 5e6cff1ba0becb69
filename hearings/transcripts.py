"""Store a pipeline Transcript as hearing rows and search-index entries, in one transaction."""

from __future__ import annotations

from sqlalchemy import select

from hearings import reprocessing, search
from hearings.models import Hearing, Segment, Speaker, Word
from hearings.models.base import DbSession, utcnow
from transcription.schema import Transcript


def to_ms(seconds: float) -> int:
    """Return whole milliseconds: integer times are exact keys for permalinks."""
    return int(round(seconds * 1000))


def store_transcript(session: DbSession, hearing: Hearing, transcript: Transcript) -> None:
    """Replace the hearing's transcript with this one and index it; the caller commits.

    Clerks' work on the old transcript (testimony quotes, speaker names, lines given to
    another speaker) is carried over by time, or listed for review: see hearings.reprocessing.
    """
    from hearings import publishing, redaction

    work = reprocessing.collect(session, hearing)
    corrected = reprocessing.corrected_lines(hearing)
    _clear_transcript(session, hearing, keep=corrected)
    speakers = _speakers_for(session, hearing, transcript)
    new_segments = []
    for part in transcript.segments:
        segment = Segment(
            hearing=hearing,
            start_ms=to_ms(part.start),
            end_ms=to_ms(part.end),
            text=part.text.strip(),
            speaker=speakers.get(part.speaker) if part.speaker else None,
            crosstalk=part.crosstalk,
            language=part.language or transcript.language,
            words=[
                Word(
                    start_ms=to_ms(w.start),
                    end_ms=to_ms(w.end),
                    text=w.text.strip()[:100],
                    probability=float(w.probability),
                    speaker_label=w.speaker,
                )
                for w in part.words
            ],
        )
        new_segments.append(segment)
    # Lines a person corrected stay as they left them; the machine's lines fit around them.
    with session.no_autoflush:
        new_segments, reviews = reprocessing.fit_around_corrections(
            hearing, corrected, new_segments
        )
    session.add_all(new_segments)
    session.add_all(reviews)
    hearing.transcript_model = transcript.model
    hearing.transcript_language = transcript.language
    hearing.transcript_sha256 = transcript.audio_sha256
    hearing.transcribed_at = utcnow()
    hearing.diarizer = transcript.diarizer
    hearing.diarization_note = transcript.diarization_error
    session.flush()
    every_line = sorted([*new_segments, *corrected], key=lambda s: (s.start_ms, s.id))
    reprocessing.carry_over(session, hearing, work, speakers, every_line)
    from hearings.speakers import drop_unkept_voices

    # Names carried to the new voices do not bring back voiceprints that are not kept.
    drop_unkept_voices(session, speakers.values())
    session.flush()
    search.index_segments(session.connection(), [s.id for s in new_segments])
    # Redactions in force apply to the new words too; a published record waits for review.
    redaction.reapply(session, hearing)
    publishing.back_to_draft_for_review(session, hearing)
    session.flush()


def _clear_transcript(session: DbSession, hearing: Hearing, keep=()) -> None:
    kept = {s.id for s in keep}
    old = session.execute(
        select(Segment.id, Segment.text).where(Segment.hearing_id == hearing.id)
    ).all()
    search.unindex_segments(session.connection(), [(i, t) for i, t in old if i not in kept])
    for segment in list(hearing.segments):
        if segment.id in kept:
            # Its voice label goes with the old run; it gets a new one by time below.
            segment.speaker = None
        else:
            hearing.segments.remove(segment)
    session.flush()
    # Labels of a new run are arbitrary: names pass to new voices by time, never by label.
    hearing.speakers.clear()
    session.flush()


def _speakers_for(
    session: DbSession, hearing: Hearing, transcript: Transcript
) -> dict[str, Speaker]:
    """Return a new Speaker row per label of the transcript, with its voice embedding."""
    speakers: dict[str, Speaker] = {}
    for label in dict.fromkeys(transcript.speakers or []):
        embedding = transcript.speaker_embeddings.get(label)
        speakers[label] = Speaker(
            hearing=hearing,
            label=label,
            embedding=None if embedding is None else [float(x) for x in embedding],
        )
        session.add(speakers[label])
    return speakers

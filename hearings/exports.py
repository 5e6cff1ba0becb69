"""Transcript exports: WebVTT and SRT captions, plain text, JSON."""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import object_session

from hearings.models import Hearing, Segment, Word
from hearings.timecodes import caption_time, clock


def speaker_name(segment: Segment) -> str | None:
    """Return the confirmed name of the segment's speaker, else its label, else None."""
    return segment.speaker.display if segment.speaker else None


def other_language(segment: Segment, hearing: Hearing) -> str | None:
    """Return the line's language where it differs from the hearing's main one, else None."""
    language = segment.spoken_language
    return language if language != (hearing.transcript_language or "en") else None


def _cue_text(text: str) -> str:
    # A blank line or "-->" inside a cue would end or corrupt it.
    return " ".join(text.replace("-->", "->").split())


def to_webvtt(hearing: Hearing) -> str:
    """Return WebVTT captions, with speakers as voice tags and other languages as lang tags.

    The track's own language is the hearing's main one (a player's ``srclang``); a line heard
    in another is wrapped in ``<lang es>`` so players and screen readers can follow it.
    """
    main = hearing.transcript_language or "en"
    lines = [
        "WEBVTT",
        f"NOTE {_cue_text(hearing.title)} (machine transcript, language {main})",
        "",
    ]
    for segment in hearing.segments:
        lines.append(f"seg-{segment.start_ms}")
        lines.append(f"{caption_time(segment.start_ms)} --> {caption_time(segment.end_ms)}")
        text = _escape_vtt(_cue_text(segment.text))
        other = other_language(segment, hearing)
        if other:
            text = f"<lang {other}>{text}</lang>"
        name = speaker_name(segment)
        lines.append(f"<v {_escape_vtt(name)}>{text}" if name else text)
        lines.append("")
    return "\n".join(lines)


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_srt(hearing: Hearing) -> str:
    """Return SRT captions, numbered from 1, speakers as a "Name:" prefix."""
    blocks = []
    for number, segment in enumerate(hearing.segments, start=1):
        text = _cue_text(segment.text)
        name = speaker_name(segment)
        blocks.append(
            f"{number}\n{caption_time(segment.start_ms, ',')} --> "
            f"{caption_time(segment.end_ms, ',')}\n{f'{name}: ' if name else ''}{text}\n"
        )
    return "\n".join(blocks)


def to_text(hearing: Hearing) -> str:
    """Return a readable transcript with time codes and speaker changes."""
    lines = [
        hearing.title,
        f"{hearing.body.name}, {hearing.date.isoformat()}",
        "Machine transcript.",
        "",
    ]
    previous = object()
    for segment in hearing.segments:
        name = speaker_name(segment)
        if name != previous and name:
            lines.append(f"\n{name}:")
        previous = name
        other = other_language(segment, hearing)
        marker = f" [{other}]" if other else ""
        lines.append(f"[{clock(segment.start_ms)}]{marker} {segment.text}")
    return "\n".join(lines) + "\n"


def _words_by_line(hearing: Hearing) -> dict[int, list]:
    """Return every word of the hearing as light rows, by line: one query, not one a line (a
    3-hour hearing has 27,000 words in 1,800 lines)."""
    session = object_session(hearing)
    assert session is not None, "the hearing is read from a session"
    words: dict[int, list] = defaultdict(list)
    rows = session.execute(
        select(Word.segment_id, Word.text, Word.start_ms, Word.end_ms, Word.probability,
               Word.speaker_label)
        .join(Segment, Segment.id == Word.segment_id)
        .where(Segment.hearing_id == hearing.id)
        .order_by(Word.segment_id, Word.start_ms, Word.id)
    )  # fmt: skip
    for row in rows:
        words[row.segment_id].append(row)
    return words


def to_json(hearing: Hearing) -> str:
    """Return segments with start/end seconds, speaker, text and words."""
    words = _words_by_line(hearing)
    data = {
        "hearing": {
            "id": hearing.id,
            "title": hearing.title,
            "body": hearing.body.name,
            "date": hearing.date.isoformat(),
            "model": hearing.transcript_model,
            "language": hearing.transcript_language,
            "audio_sha256": hearing.transcript_sha256,
            "machine_transcript": True,
        },
        "segments": [
            {
                "start": s.start_ms / 1000,
                "end": s.end_ms / 1000,
                "speaker": speaker_name(s),
                "speaker_label": s.speaker.label if s.speaker else None,
                "crosstalk": s.crosstalk,
                "language": s.spoken_language,
                "text": s.text,
                "words": [
                    {
                        "text": w.text,
                        "start": w.start_ms / 1000,
                        "end": w.end_ms / 1000,
                        "probability": round(w.probability, 4),
                        "speaker": w.speaker_label,
                    }
                    for w in words.get(s.id, ())
                ],
            }
            for s in hearing.segments
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


FORMATS = {
    "vtt": (to_webvtt, "text/vtt; charset=utf-8"),
    "srt": (to_srt, "application/x-subrip; charset=utf-8"),
    "txt": (to_text, "text/plain; charset=utf-8"),
    "json": (to_json, "application/json"),
}

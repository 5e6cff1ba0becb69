"""Check that the committed synthetic demo hearing is self-consistent."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pytest

DEMO = Path(__file__).resolve().parent.parent / "demo"
URI = "facial-recognition-hearing"
AUDIO = DEMO / f"{URI}.ogg"
ANALYSIS_RATE = 16000
# References are written to the millisecond.
TIME_TOLERANCE_S = 0.0015


@dataclass(frozen=True)
class Utterance:
    """A reference span: one speaker from start to end, with the words where known."""

    speaker: str
    start: float
    end: float
    text: str


def read_rttm() -> list[Utterance]:
    """Parse the reference speaker turns."""
    turns = []
    for line in (DEMO / f"{URI}.rttm").read_text(encoding="utf-8").splitlines():
        fields = line.split()
        assert len(fields) == 10 and fields[0] == "SPEAKER" and fields[1] == URI, line
        start, duration = float(fields[3]), float(fields[4])
        assert duration > 0, line
        turns.append(Utterance(fields[7], start, start + duration, ""))
    return turns


def read_stm() -> list[Utterance]:
    """Parse the speaker-attributed reference transcript."""
    utterances = []
    for line in (DEMO / f"{URI}.stm").read_text(encoding="utf-8").splitlines():
        uri, channel, speaker, start, end, text = line.split(maxsplit=5)
        assert uri == URI and channel == "1", line
        utterances.append(Utterance(speaker, float(start), float(end), text))
    return utterances


def read_hearing() -> dict:
    """Load the metadata the app creates the demo hearing from."""
    return json.loads((DEMO / "hearing.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def decoded() -> np.ndarray:
    """Decode the demo audio to mono float samples at ANALYSIS_RATE."""
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=ANALYSIS_RATE)
    chunks = []
    with av.open(str(AUDIO)) as container:
        for frame in container.decode(audio=0):
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
    chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    return np.concatenate(chunks)


def rms(samples: np.ndarray) -> float:
    """Return the root-mean-square level of a stretch of audio."""
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def test_audio_is_a_small_mono_opus_file():
    import av

    size = AUDIO.stat().st_size
    assert size < 5_000_000
    with av.open(str(AUDIO)) as container:
        stream = container.streams.audio[0]
        assert container.format.name == "ogg"
        assert stream.codec_context.name == "opus"
        assert stream.codec_context.channels == 1
    # Opus always decodes at 48 kHz; the rate it was encoded from is in the OpusHead packet.
    head = AUDIO.read_bytes()[:512]
    at = head.index(b"OpusHead")
    channels, _, input_rate = struct.unpack("<BHI", head[at + 9 : at + 16])
    assert channels == 1
    assert 16000 <= input_rate <= 24000
    bitrate = size * 8 / read_hearing()["media"]["duration_s"]
    assert 16_000 < bitrate < 40_000


def test_audio_lasts_as_long_as_the_references_say(decoded):
    duration = len(decoded) / ANALYSIS_RATE
    assert duration == pytest.approx(read_hearing()["media"]["duration_s"], abs=0.05)
    assert duration >= 210
    last_end = max(turn.end for turn in read_rttm())
    assert last_end < duration
    # Only a short tail of room tone follows the last word.
    assert duration - last_end < 3


def test_speech_sits_where_the_turns_say(decoded):
    turns = sorted(read_rttm(), key=lambda turn: turn.start)
    gaps = [
        decoded[int(a.end * ANALYSIS_RATE) + 800 : int(b.start * ANALYSIS_RATE) - 800]
        for a, b in zip(turns, turns[1:], strict=False)
        if b.start - a.end > 0.3
    ]
    gaps.append(decoded[: int(turns[0].start * ANALYSIS_RATE) - 800])
    room_tone = max(rms(gap) for gap in gaps)
    for turn in turns:
        speech = decoded[int(turn.start * ANALYSIS_RATE) : int(turn.end * ANALYSIS_RATE)]
        # At least 20 dB above the loudest pause: every turn really holds speech.
        assert rms(speech) > 10 * room_tone, turn


def test_rttm_turns_are_spans_of_stm_utterances():
    turns = read_rttm()
    utterances = read_stm()
    assert {turn.speaker for turn in turns} == {u.speaker for u in utterances}
    for utterance in utterances:
        owners = [
            turn
            for turn in turns
            if turn.speaker == utterance.speaker
            and turn.start - TIME_TOLERANCE_S <= utterance.start
            and utterance.end <= turn.end + TIME_TOLERANCE_S
        ]
        assert len(owners) == 1, utterance
    for turn in turns:
        inside = [
            u
            for u in utterances
            if u.speaker == turn.speaker and turn.start - TIME_TOLERANCE_S <= u.start <= turn.end
        ]
        assert inside, turn
        assert inside[0].start == pytest.approx(turn.start, abs=TIME_TOLERANCE_S)
        assert inside[-1].end == pytest.approx(turn.end, abs=TIME_TOLERANCE_S)
        # A turn holds one voice: pauses between its sentences stay short.
        for before, after in zip(inside, inside[1:], strict=False):
            assert 0 < after.start - before.end < 0.5


def test_pauses_between_turns_are_short_with_one_interjection():
    turns = sorted(read_rttm(), key=lambda turn: turn.start)
    gaps = [b.start - a.end for a, b in zip(turns, turns[1:], strict=False)]
    overlaps = [gap for gap in gaps if gap < 0]
    assert len(overlaps) == 1 and overlaps[0] > -1
    assert all(0.4 - TIME_TOLERANCE_S <= gap <= 1.2 + TIME_TOLERANCE_S for gap in gaps if gap >= 0)


def test_plain_transcript_is_the_stm_words_in_order():
    utterances = read_stm()
    assert utterances == sorted(utterances, key=lambda u: (u.start, u.end))
    transcript = (DEMO / f"{URI}.txt").read_text(encoding="utf-8")
    assert transcript.split() == " ".join(u.text for u in utterances).split()


def test_no_sentence_is_repeated():
    # Identical clips confuse diarizers, so no sentence is said twice, by anyone.
    texts = [u.text.lower() for u in read_stm()]
    assert len(texts) == len(set(texts))


def test_hearing_metadata_matches_the_turns():
    hearing = read_hearing()
    assert hearing["synthetic"] is True
    assert "synthetic" in hearing["note"].lower()
    assert hearing["body"] == "Equal Rights Commission"
    assert date.fromisoformat(hearing["date"]).year == 2026
    assert "facial recognition" in hearing["matter"]["title"].lower()
    assert hearing["matter"]["file_number"]
    media = hearing["media"]
    for name in ("audio", "transcript", "speaker_turns", "speaker_transcript"):
        assert (DEMO / media[name]).is_file()

    turns = read_rttm()
    speakers = hearing["speakers"]
    assert [s["id"] for s in speakers] == list(dict.fromkeys(s["id"] for s in speakers))
    assert {s["id"] for s in speakers} == {turn.speaker for turn in turns}
    for speaker in speakers:
        assert speaker["name"] and speaker["title"]
        assert speaker["position"] in {"support", "oppose", "neutral"}
        expected = sorted((t.start, t.end) for t in turns if t.speaker == speaker["id"])
        listed = [(t["start"], t["end"]) for t in speaker["turns"]]
        assert len(listed) == len(expected)
        for (start, end), (reference_start, reference_end) in zip(listed, expected, strict=True):
            assert start == pytest.approx(reference_start, abs=TIME_TOLERANCE_S)
            assert end == pytest.approx(reference_end, abs=TIME_TOLERANCE_S)
    positions = [s["position"] for s in speakers if s["role"] == "public"]
    assert positions.count("oppose") > positions.count("support") >= 1
    assert "neutral" in positions
    assert sum(s["role"] == "chair" for s in speakers) == 1


def test_at_least_five_distinct_speakers():
    speakers = {turn.speaker for turn in read_rttm()}
    assert len(speakers) >= 5

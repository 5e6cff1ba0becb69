"""The second pass gives back to its voice a stretch that the first pass credited to another."""

from __future__ import annotations

import numpy as np
import pytest

from tests.transcription.diarize.helpers import der
from transcription.diarize.refine import decide_frames, refine_turns
from transcription.schema import SpeakerTurn
from transcription.voices import SAMPLE_RATE


def reference_turns(reference) -> list[SpeakerTurn]:
    return sorted(
        (
            SpeakerTurn(s.start, s.end, label)
            for s, _, label in reference.itertracks(yield_label=True)
        ),
        key=lambda t: (t.start, t.end),
    )


@pytest.mark.model
def test_a_stretch_given_to_the_wrong_voice_goes_back(sample, sample_reference):
    duration = sample.size / SAMPLE_RATE
    turns = reference_turns(sample_reference)
    # The longest turn of one voice credited to the other, as a window's segmentation can.
    longest = max(turns, key=lambda t: t.end - t.start)
    other = next(t.speaker for t in turns if t.speaker != longest.speaker)
    wrong = [SpeakerTurn(t.start, t.end, other) if t is longest else t for t in turns]
    before = der(sample_reference, wrong, duration)
    assert before > 0.1

    refined = refine_turns(sample, wrong)

    # Most of the stretch goes back (its edges, next to the other voice, can stay).
    after = der(sample_reference, refined, duration)
    assert after < 0.08 and after < before / 3, (before, after)
    assert {t.speaker for t in refined} == {t.speaker for t in turns}


@pytest.mark.model
def test_right_turns_stay_right_and_one_voice_is_left_alone(sample, sample_reference):
    duration = sample.size / SAMPLE_RATE
    turns = reference_turns(sample_reference)
    assert der(sample_reference, refine_turns(sample, turns), duration) < 0.08
    alone = [SpeakerTurn(t.start, t.end, "SPEAKER_00") for t in turns]
    assert refine_turns(sample, alone) is alone


def test_frames_are_decided_as_by_votes_over_the_whole_recording():
    """Counting the votes a stretch at a time decides every frame as counting them for the
    whole recording at once did."""
    rng = np.random.default_rng(7)
    frames, speakers = 6_000, 5
    active = rng.random((frames, speakers)) < 0.3
    stretches, pieces = [], []
    start = 0
    while start < frames - 400:
        a = start + int(rng.integers(0, 200))
        b = min(a + int(rng.integers(100, 900)), frames)
        first = len(pieces)
        for s in range(a, max(b - 150, a) + 1, 50):
            pieces.append((s, min(s + 150, b)))
        stretches.append((a, b, first, len(pieces)))
        start = b
    labels = rng.integers(0, speakers, len(pieces))

    whole = active.copy()
    votes = np.zeros((frames, speakers), dtype=np.float32)
    for (a, b), label in zip(pieces, labels, strict=True):
        middle, half = (a + b) / 2, max((b - a) / 2, 1.0)
        votes[a:b, label] += 1.0 - np.abs(np.arange(a, b) + 0.5 - middle) / (half + 1.0)
    decided = votes.sum(axis=1) > 0
    whole[decided] = False
    whole[decided, votes[decided].argmax(axis=1)] = True

    by_stretch = active.copy()
    decide_frames(by_stretch, stretches, pieces, labels)

    assert decided.sum() > frames / 2
    assert np.array_equal(by_stretch, whole)

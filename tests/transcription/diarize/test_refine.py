"""The second pass gives back to its voice a stretch that the first pass credited to another."""

from __future__ import annotations

import pytest

from tests.transcription.diarize.helpers import der
from transcription.diarize.refine import refine_turns
from transcription.schema import SpeakerTurn
from transcription.voices import SAMPLE_RATE

pytestmark = pytest.mark.model


def reference_turns(reference) -> list[SpeakerTurn]:
    return sorted(
        (
            SpeakerTurn(s.start, s.end, label)
            for s, _, label in reference.itertracks(yield_label=True)
        ),
        key=lambda t: (t.start, t.end),
    )


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


def test_right_turns_stay_right_and_one_voice_is_left_alone(sample, sample_reference):
    duration = sample.size / SAMPLE_RATE
    turns = reference_turns(sample_reference)
    assert der(sample_reference, refine_turns(sample, turns), duration) < 0.08
    alone = [SpeakerTurn(t.start, t.end, "SPEAKER_00") for t in turns]
    assert refine_turns(sample, alone) is alone

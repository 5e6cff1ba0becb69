"""Words get speakers from diarization turns; lines split where the voice changes."""

from __future__ import annotations

import copy

import pytest

from transcription.align import CROSSTALK_SHARE, assign_word_speakers, crosstalk_share
from transcription.align import _TurnIndex as TurnIndex
from transcription.schema import Segment, SpeakerTurn, Word


def segment_of(*words: tuple[str, float, float]) -> Segment:
    """Build a segment from (text, start, end) words, as the recogniser would."""
    items = [Word(text=text, start=start, end=end) for text, start, end in words]
    return Segment(
        start=items[0].start,
        end=items[-1].end,
        text=" ".join(w.text for w in items),
        words=items,
    )


def test_single_speaker_keeps_the_segment_whole() -> None:
    segment = segment_of(("The", 0.0, 0.2), ("meeting", 0.3, 0.7), ("opens.", 0.8, 1.2))
    segment.text = "The meeting opens."
    turns = [SpeakerTurn(0.0, 5.0, "SPEAKER_00")]

    result = assign_word_speakers([segment], turns)

    assert len(result) == 1
    assert result[0].speaker == "SPEAKER_00"
    assert result[0].text == "The meeting opens."
    assert (result[0].start, result[0].end) == (0.0, 1.2)
    assert [w.speaker for w in result[0].words] == ["SPEAKER_00"] * 3
    assert result[0].crosstalk is False


def test_segment_splits_where_the_speaker_changes() -> None:
    segment = segment_of(
        ("Second?", 1.0, 1.5), ("I", 2.0, 2.1), ("second", 2.2, 2.6), ("it.", 2.7, 2.9)
    )
    turns = [SpeakerTurn(0.5, 1.7, "chair"), SpeakerTurn(1.9, 3.0, "member")]

    result = assign_word_speakers([segment], turns)

    assert [(s.speaker, s.text, s.start, s.end) for s in result] == [
        ("chair", "Second?", 1.0, 1.5),
        ("member", "I second it.", 2.0, 2.9),
    ]
    assert all(w.speaker == s.speaker for s in result for w in s.words)


def test_word_goes_to_the_speaker_with_the_largest_overlap() -> None:
    # "motion" spans 1.8-2.4: 0.2 s with A, 0.4 s with B.
    segment = segment_of(("the", 1.0, 1.5), ("motion", 1.8, 2.4))
    turns = [SpeakerTurn(0.0, 2.0, "A"), SpeakerTurn(2.0, 4.0, "B")]

    result = assign_word_speakers([segment], turns)

    assert [w.speaker for s in result for w in s.words] == ["A", "B"]


def test_overlapping_turns_of_one_speaker_add_up() -> None:
    # B has two short turns over the word (0.3 s together) against A's 0.25 s.
    segment = segment_of(("yes", 1.0, 1.5))
    turns = [
        SpeakerTurn(0.0, 1.25, "A"),
        SpeakerTurn(1.2, 1.35, "B"),
        SpeakerTurn(1.35, 1.5, "B"),
    ]

    assert assign_word_speakers([segment], turns)[0].words[0].speaker == "B"


def test_words_in_gaps_go_to_the_nearest_turn() -> None:
    segment = segment_of(("um", 5.0, 5.2), ("so", 9.0, 9.2), ("right", 20.0, 20.3))
    turns = [SpeakerTurn(0.0, 4.8, "A"), SpeakerTurn(9.5, 12.0, "B")]

    result = assign_word_speakers([segment], turns)

    # 5.0 is 0.2 s after A and 4.3 s before B; 9.2 is 0.3 s before B; 20.0 is past every turn.
    assert [w.speaker for s in result for w in s.words] == ["A", "B", "B"]


def test_gap_word_equally_near_both_turns_stays_with_the_earlier_speaker() -> None:
    segment = segment_of(("and", 5.0, 5.0 + 1.0))
    turns = [SpeakerTurn(0.0, 4.0, "A"), SpeakerTurn(7.0, 9.0, "B")]

    assert assign_word_speakers([segment], turns)[0].speaker == "A"


def test_instant_word_takes_the_turn_that_contains_it() -> None:
    segment = segment_of(("aye", 3.0, 3.0))
    turns = [SpeakerTurn(0.0, 2.0, "A"), SpeakerTurn(2.5, 4.0, "B")]

    assert assign_word_speakers([segment], turns)[0].speaker == "B"


def test_empty_turns_leave_segments_unchanged_and_unattributed() -> None:
    segments = [segment_of(("Hello", 0.0, 0.4)), segment_of(("again", 1.0, 1.4))]

    result = assign_word_speakers(segments, [])

    assert result == segments
    assert result[0] is not segments[0]
    assert all(s.speaker is None and not s.crosstalk for s in result)
    assert all(w.speaker is None for s in result for w in s.words)


def test_inputs_are_not_modified() -> None:
    segments = [segment_of(("Second?", 1.0, 1.5), ("Yes.", 2.0, 2.5))]
    turns = [SpeakerTurn(2.0, 3.0, "B"), SpeakerTurn(0.0, 1.7, "A")]
    before = (copy.deepcopy(segments), copy.deepcopy(turns))

    assign_word_speakers(segments, turns)

    assert (segments, turns) == before


def test_segment_mostly_talked_over_is_crosstalk() -> None:
    # 2.0-4.0 has A and B together for 1.5 s of 2 s (75 %).
    segment = segment_of(("no", 2.0, 2.5), ("wait", 2.6, 3.2), ("please", 3.3, 4.0))
    turns = [SpeakerTurn(0.0, 4.0, "A"), SpeakerTurn(2.5, 4.5, "B")]

    result = assign_word_speakers([segment], turns)

    assert any(s.crosstalk for s in result)
    assert all(s.crosstalk for s in result if s.start >= 2.5)


def test_brief_interjection_is_not_crosstalk() -> None:
    # B says "mm" for 0.3 s inside a 4 s line by A: 7.5 % overlap.
    segment = segment_of(("We", 0.0, 0.5), ("will", 0.6, 1.0), ("vote", 1.1, 4.0))
    turns = [SpeakerTurn(0.0, 4.0, "A"), SpeakerTurn(2.0, 2.3, "B")]

    result = assign_word_speakers([segment], turns)

    assert len(result) == 1
    assert result[0].speaker == "A"
    assert result[0].crosstalk is False


def test_one_speakers_overlapping_turns_are_not_crosstalk() -> None:
    index = TurnIndex([SpeakerTurn(0.0, 3.0, "A"), SpeakerTurn(1.0, 4.0, "A")])

    assert crosstalk_share(0.0, 4.0, index) == 0.0


def test_crosstalk_share_measures_time_with_two_or_more_voices() -> None:
    index = TurnIndex(
        [SpeakerTurn(0.0, 2.0, "A"), SpeakerTurn(1.0, 3.0, "B"), SpeakerTurn(1.5, 2.5, "C")]
    )

    # Two or more voices from 1.0 to 2.5: 1.5 s of 4 s.
    assert crosstalk_share(0.0, 4.0, index) == pytest.approx(1.5 / 4.0)
    assert crosstalk_share(2.6, 3.0, index) == 0.0
    assert CROSSTALK_SHARE == 0.5


def test_segment_without_words_gets_a_speaker_from_its_own_span() -> None:
    segment = Segment(start=10.0, end=12.0, text="[inaudible]")
    turns = [SpeakerTurn(9.0, 10.5, "A"), SpeakerTurn(10.5, 13.0, "B")]

    result = assign_word_speakers([segment], turns)

    assert [(s.speaker, s.text, s.words) for s in result] == [("B", "[inaudible]", [])]


def test_many_words_against_many_turns() -> None:
    turns = [SpeakerTurn(i * 2.0, i * 2.0 + 2.0, f"S{i % 3}") for i in range(500)]
    words = [(f"w{i}", i * 0.5 + 0.1, i * 0.5 + 0.4) for i in range(2000)]
    segments = [segment_of(*words[i : i + 20]) for i in range(0, 2000, 20)]

    result = assign_word_speakers(segments, turns)

    assert sum(len(s.words) for s in result) == 2000
    for segment in result:
        for word in segment.words:
            assert word.speaker == f"S{int(word.start // 2.0) % 3}"

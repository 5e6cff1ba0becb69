"""A body's glossary: local names and terms spelled as the record should spell them.

Seeded from the body's members and the organizations on record, kept by clerks, and offered
in the correction editor as spellings for close misses ("Lindquist" -> "Lindqvist").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select

from hearings.audit import audit_created, audited_delete
from hearings.corrections import correct_words
from hearings.errors import Conflict, Malformed, Refused
from hearings.models import Body, GlossaryTerm, Hearing, Membership, Organization, Segment
from hearings.models.base import DbSession
from hearings.models.bodies import GLOSSARY_KINDS

MAX_TERM = 200
# How alike a heard word and a glossary word must be (rapidfuzz ratio, 0-100) to be offered:
# "Lindquist"/"Lindqvist" score 89, "Jansen"/"Janssen" 92, while common words next to a name
# ("Lindsay"/"Lindqvist" 50) stay well below.
SIMILAR = 80
# Only a heard word rarer than this (Zipf frequency in English: 3 is once per million words)
# is taken for a misheard name. Measured on the demo hearing (bench/glossary_wer.py): without
# it, ordinary words near an organization's name were offered ("policy" -> "Police", "more"
# -> "Moreno", "immigration" -> "Immigrant") and accepting every offer raised WER 7.9 % ->
# 9.3 %; misheard names are rare words ("Lindquist" 2.2, "Morno" 0).
ORDINARY_WORD = 3.5
_WORD = re.compile(r"[\w'’-]+")


def term_state(term: GlossaryTerm) -> dict:
    return {"body_id": term.body_id, "term": term.term, "kind": term.kind}


def terms_of(session: DbSession, body_id: int) -> list[GlossaryTerm]:
    return list(
        session.scalars(
            select(GlossaryTerm).where(GlossaryTerm.body_id == body_id).order_by(GlossaryTerm.term)
        )
    )


def add_term(
    session: DbSession, user, body: Body, term: str | None, kind: str | None
) -> GlossaryTerm:
    """Add a spelling to the body's glossary (the caller commits)."""
    term = " ".join((term or "").split())
    kind = kind or "term"
    if kind not in GLOSSARY_KINDS:
        raise Malformed("Choose what kind of term it is from the list.")
    if not term:
        raise Refused("Type the name or term as it should be spelled.")
    if len(term) > MAX_TERM:
        raise Refused(f"A term is at most {MAX_TERM} characters.")
    existing = session.scalar(
        select(GlossaryTerm).where(GlossaryTerm.body_id == body.id, GlossaryTerm.term == term)
    )
    if existing is not None:
        raise Conflict(f"“{term}” is in the glossary already.")
    added = GlossaryTerm(
        body_id=body.id, term=term, kind=kind, created_by_id=getattr(user, "id", None)
    )
    session.add(added)
    audit_created(session, user, "glossary.add", added, term_state)
    return added


def remove_term(session: DbSession, user, term: GlossaryTerm) -> None:
    audited_delete(session, user, "glossary.remove", term, term_state)


def seed(session: DbSession, user, body: Body) -> int:
    """Add the body's members and the organizations on record that are not there yet."""
    have = {t.term for t in terms_of(session, body.id)}
    names: list[tuple[str, str]] = []
    members = session.scalars(select(Membership).where(Membership.body_id == body.id))
    names += [(m.person.name, "member") for m in members]
    names += [(o.name, "organization") for o in session.scalars(select(Organization))]
    added = 0
    for name, kind in names:
        name = " ".join(name.split())
        if name and name not in have and len(name) <= MAX_TERM:
            add_term(session, user, body, name, kind)
            have.add(name)
            added += 1
    return added


# A hint longer than a few names costs more accuracy than it brings (see GLOSSARY_HINT).
HINT_TERMS = 8


def hint_terms(session: DbSession, hearing: Hearing) -> list[str]:
    """Return the few glossary terms worth a hint: the body's members and staff."""
    terms = [t.term for t in terms_of(session, hearing.body_id) if t.kind in ("member", "staff")]
    return terms[:HINT_TERMS]


@dataclass(frozen=True)
class Spelling:
    heard: str
    term: str
    glossary_term: str


def near_misses(text: str, terms: list[str]) -> list[Spelling]:
    """Return glossary spellings for words of ``text`` that look like near misses of them."""
    spellings: dict[str, tuple[str, str]] = {}
    for term in terms:
        for word in _WORD.findall(term):
            if len(word) >= 4:
                spellings.setdefault(word.casefold(), (word, term))
    from wordfreq import zipf_frequency

    found: dict[str, Spelling] = {}
    for heard in _WORD.findall(text):
        key = heard.casefold()
        if len(heard) < 4 or key in spellings or heard in found:
            continue
        if zipf_frequency(re.sub(r"['’]s$", "", key), "en") >= ORDINARY_WORD:
            continue
        best = None
        for folded, (word, whole) in spellings.items():
            # Names are misheard in their middle and end far more than in their first sound.
            if folded[0] != key[0]:
                continue
            score = fuzz.ratio(key, folded)
            if score >= SIMILAR and (best is None or score > best[0]):
                best = (score, word, whole)
        if best is not None:
            found[heard] = Spelling(heard=heard, term=best[1], glossary_term=best[2])
    return list(found.values())


def respelled(text: str, spellings: list[Spelling]) -> str:
    """Return ``text`` with each near miss replaced by its glossary spelling."""
    for spelling in spellings:
        text = re.sub(rf"\b{re.escape(spelling.heard)}\b", spelling.term, text)
    return text


def spelling_suggestions(session: DbSession, hearing: Hearing, text: str) -> list[Spelling]:
    """Return glossary spellings for words of the line that look like near misses."""
    return near_misses(text, [t.term for t in terms_of(session, hearing.body_id)])


@dataclass
class HearingSpelling:
    """A near miss of a glossary word found in a hearing's transcript, and where."""

    spelling: Spelling
    lines: list


def hearing_spellings(session: DbSession, hearing: Hearing) -> list[HearingSpelling]:
    """Return the near misses of the body's glossary across the hearing's lines."""
    terms = [t.term for t in terms_of(session, hearing.body_id)]
    if not terms:
        return []
    lines = session.scalars(
        select(Segment).where(Segment.hearing_id == hearing.id).order_by(Segment.start_ms)
    ).all()
    found: dict[str, HearingSpelling] = {}
    for spelling in near_misses(" ".join(line.text for line in lines), terms):
        pattern = re.compile(rf"\b{re.escape(spelling.heard)}\b")
        found[spelling.heard] = HearingSpelling(
            spelling, [line for line in lines if pattern.search(line.text)]
        )
    return sorted(found.values(), key=lambda h: (-len(h.lines), h.spelling.heard))


def respell_hearing(session: DbSession, user, hearing: Hearing, heard: str, term: str) -> int:
    """Correct every line of the hearing that has ``heard`` to the glossary's spelling.

    Each changed line gets its own revision, as if corrected by hand; returns how many.
    """
    offered = {(h.spelling.heard, h.spelling.term): h for h in hearing_spellings(session, hearing)}
    found = offered.get((heard, term))
    if found is None:
        raise Conflict(
            f"“{heard}” → “{term}” is not among this hearing's glossary spellings any more "
            "(corrected since, or the glossary changed). Reload the page."
        )
    spelling = [found.spelling]
    for line in found.lines:
        correct_words(
            session,
            user,
            line,
            respelled(line.text, spelling),
            line.version,
            reason=f"Glossary spelling: {heard} → {term}",
        )
    return len(found.lines)

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
from hearings.errors import Conflict, Malformed, Refused
from hearings.models import Body, GlossaryTerm, Hearing, Membership, Organization
from hearings.models.base import DbSession
from hearings.models.bodies import GLOSSARY_KINDS

MAX_TERM = 200
# How alike a heard word and a glossary word must be (rapidfuzz ratio, 0-100) to be offered:
# "Lindquist"/"Lindqvist" score 89, "Jansen"/"Janssen" 92, while common words next to a name
# ("Lindsay"/"Lindqvist" 50) stay well below.
SIMILAR = 80
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


@dataclass(frozen=True)
class Spelling:
    heard: str
    term: str
    glossary_term: str


def spelling_suggestions(session: DbSession, hearing: Hearing, text: str) -> list[Spelling]:
    """Return glossary spellings for words of the line that look like near misses."""
    terms = terms_of(session, hearing.body_id)
    if not terms:
        return []
    spellings: dict[str, tuple[str, str]] = {}
    for term in terms:
        for word in _WORD.findall(term.term):
            if len(word) >= 4:
                spellings.setdefault(word.casefold(), (word, term.term))
    found: dict[str, Spelling] = {}
    for heard in _WORD.findall(text):
        key = heard.casefold()
        if len(heard) < 4 or key in spellings or heard in found:
            continue
        best = None
        for folded, (word, whole) in spellings.items():
            if folded[0] != key[0]:
                continue
            score = fuzz.ratio(key, folded)
            if score >= SIMILAR and (best is None or score > best[0]):
                best = (score, word, whole)
        if best is not None:
            found[heard] = Spelling(heard=heard, term=best[1], glossary_term=best[2])
    return list(found.values())

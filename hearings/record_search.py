"""The rest of the record in the search box: matters, people, organizations and concerns.

Lines are searched by hearings.search. Names are matched tolerantly, because the people who
search for them spell them as they heard them ("Lindquist" for Lindqvist): by trigram
similarity, PostgreSQL's pg_trgm with its index, and on SQLite the same measure computed here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Integer, Text, and_, false, func, literal, or_, select

from hearings.models import Concern, Matter, Organization, Person
from hearings.models.base import DbSession
from hearings.search_syntax import ParsedQuery

# Trigram similarity (0-1) at or above which a name is offered: pg_trgm's own default for its
# % operator, and for a query against any run of the name's words, its <% default.
NAME_SIMILARITY = 0.3
WORD_SIMILARITY = 0.6
PER_KIND = 8
_WORDS = re.compile(r"[^\W_]+")


@dataclass
class RecordMatches:
    """What else in the record the words name, a few of each kind, best first."""

    matters: list[Matter] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    organizations: list[Organization] = field(default_factory=list)
    concerns: list[Concern] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.matters or self.people or self.organizations or self.concerns)


def search_records(session: DbSession, parsed: ParsedQuery) -> RecordMatches:
    """Return the matters, people, organizations and concerns the words point to."""
    if parsed.empty:
        return RecordMatches()
    words = parsed.words()
    phrase = " ".join(words)
    return RecordMatches(
        matters=matching_matters(session, words),
        people=matching_names(session, Person, phrase),
        organizations=matching_names(session, Organization, phrase),
        concerns=_concerns(session, words),
    )


def _contains_every(columns: Sequence, words: list[str]):
    """Return a condition: every word is in one of the columns, in any case."""
    lowered = [func.lower(func.coalesce(column, "")) for column in columns]
    return and_(
        *(or_(*(text.contains(word, autoescape=True) for text in lowered)) for word in words)
    )


def matching_matters(session: DbSession, words: list[str], limit: int = PER_KIND) -> list[Matter]:
    """Return matters whose title, file number or summary hold every word, newest first."""
    columns = (Matter.title, Matter.file_number, Matter.summary)
    return list(
        session.scalars(
            select(Matter)
            .where(_contains_every(columns, words))
            .order_by(Matter.intro_date.desc().nulls_last(), Matter.id.desc())
            .limit(limit)
        )
    )


def _concerns(session: DbSession, words: list[str]) -> list[Concern]:
    return list(
        session.scalars(
            select(Concern)
            .where(_contains_every((Concern.name,), words))
            .order_by(Concern.name, Concern.id)
            .limit(PER_KIND)
        )
    )


def matching_names(session: DbSession, model, phrase: str, limit: int = PER_KIND) -> list:
    """Return people or organizations whose name is like the phrase, most alike first."""
    phrase = phrase.lower()
    name = func.lower(model.name)
    if session.get_bind().dialect.name == "postgresql":
        score = func.greatest(func.similarity(name, phrase), func.word_similarity(phrase, name))
        return list(
            session.scalars(
                select(model)
                # The operators, unlike the functions, use the trigram index.
                .where(or_(name.op("%")(phrase), literal(phrase, Text).op("<%")(name)))
                .order_by(score.desc(), model.name)
                .limit(limit)
            )
        )
    # SQLite has no trigram index: names are scored here with the measure pg_trgm uses, after
    # the database has kept only those that share enough of the phrase's trigrams to reach
    # the threshold (scoring all 3,000 names of an archive in Python took 70 ms a search).
    scored = []
    for row_id, row_name in session.execute(_sharing_trigrams(model, phrase)):
        alike = name_similarity(phrase, row_name)
        if alike >= NAME_SIMILARITY:
            scored.append((-alike, row_name, row_id))
    best = [row_id for _, _, row_id in sorted(scored)[:limit]]
    found = {row.id: row for row in session.scalars(select(model).where(model.id.in_(best)))}
    return [found[row_id] for row_id in best]


def _sharing_trigrams(model, phrase: str):
    """Return (id, name) of the names that could be as alike as NAME_SIMILARITY: those holding
    at least that share of the phrase's trigrams.

    Both scores need it: similarity() counts the union, at least the phrase's trigrams, and
    a run of words scoring WORD_SIMILARITY holds more. Each word of the name is padded with
    two spaces on both sides, so its padded trigrams ("  l", " li", "st ") are substrings;
    the padded name is computed once a row (a materialized CTE), not once a trigram.
    """
    wanted = sorted(trigrams(phrase))
    if not wanted:
        return select(model.id, model.name).where(false())
    needed = max(1, int(NAME_SIMILARITY * len(wanted)))
    lowered = func.lower(model.name)
    for mark in ("-", ".", "'"):
        lowered = func.replace(lowered, mark, " ")
    names = (
        select(
            model.id, model.name, ("  " + func.replace(lowered, " ", "    ") + "  ").label("padded")
        )
        .cte("padded_names")
        .prefix_with("MATERIALIZED")
    )
    held = [(func.instr(names.c.padded, gram) > 0).cast(Integer) for gram in wanted]
    return select(names.c.id, names.c.name).where(sum(held[1:], held[0]) >= needed)


def trigrams(text: str) -> set[str]:
    """Return pg_trgm's trigrams of a text: each word lower-cased, padded "  word "."""
    grams: set[str] = set()
    for word in _WORDS.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """Return pg_trgm's similarity(): shared trigrams over all trigrams of both."""
    first, second = trigrams(a), trigrams(b)
    union = first | second
    return len(first & second) / len(union) if union else 0.0


def word_similarity(query: str, text: str) -> float:
    """Return about pg_trgm's word_similarity(): the share of the query's trigrams found in
    the best run of the text's words (as many words as the query has)."""
    wanted = trigrams(query)
    if not wanted:
        return 0.0
    words = _WORDS.findall(text)
    size = max(1, len(_WORDS.findall(query)))
    runs = [" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))]
    return max((len(wanted & trigrams(run)) / len(wanted) for run in runs), default=0.0)


def name_similarity(query: str, name: str) -> float:
    """Return how alike a typed name is to a stored one, as the PostgreSQL search ranks it:
    the whole name's similarity, or a run of its words that holds most of what was typed
    ("lindquist" against "Gregory Lindqvist" scores on its surname)."""
    run = word_similarity(query, name)
    return max(similarity(query, name), run if run >= WORD_SIMILARITY else 0.0)

"""What a visitor types into the search box, read once and written for either database.

The syntax is the one web search engines taught everyone, and nothing else: words (all must
be there), "quoted phrases", a trailing * for a prefix (``survei*``), OR between alternatives,
and a leading - to leave a word out. Any text is a valid search: an unclosed quote ends at the
end, operators with nothing to join are dropped. SQLite's FTS5 and PostgreSQL's text search
get the same query, so both databases find the same lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# Terms read from one query, at most: a query of hundreds of words is no search anyone types,
# and each term is one more node the databases (and SQLAlchemy's compiler) nest.
MAX_TERMS = 32
_WORD_PART = re.compile(r"\w+")


@dataclass(frozen=True)
class Term:
    """One word, phrase or prefix; ``text`` holds its words separated by single spaces."""

    text: str
    prefix: bool = False


@dataclass
class ParsedQuery:
    """All ``groups`` must match (each group: any of its terms); no ``excluded`` term may."""

    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups

    def words(self) -> list[str]:
        """Return every word searched for, for highlighting and name look-ups."""
        return [word for group in self.groups for term in group for word in term.text.split()]


def _term(raw: str, quoted: bool) -> Term | None:
    prefix = not quoted and raw.endswith("*")
    # Punctuation inside a word ("don't", "10:30") splits it into a phrase, as both databases'
    # tokenizers do; only letters and digits are searched.
    words = _WORD_PART.findall(raw.rstrip("*") if prefix else raw)
    if not words:
        return None
    return Term(" ".join(words).lower(), prefix=prefix and len(words) == 1)


def parse(query: str) -> ParsedQuery:
    """Read a search box's text into groups of alternatives and excluded terms."""
    parsed = ParsedQuery()
    pending_or = False
    for match in _TOKEN.finditer(query):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare == "OR":
                pending_or = bool(parsed.groups)
                continue
            if bare in {"AND", "NOT", "NEAR"}:
                continue
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            term = _term(bare[1:] if negated else bare, quoted=False)
        else:
            term = _term(phrase, quoted=True)
        if term is None:
            continue
        if len(parsed.excluded) + sum(map(len, parsed.groups)) >= MAX_TERMS:
            break
        if negated:
            parsed.excluded.append(term)
        elif pending_or:
            parsed.groups[-1].append(term)
        else:
            parsed.groups.append([term])
        pending_or = False
    return parsed


# --- SQLite FTS5 ------------------------------------------------------------------------------


def _fts5_term(term: Term) -> str:
    # Every term is a quoted string: FTS5 tokenizes it like the indexed text, so no word of
    # the visitor's is ever read as FTS5 syntax.
    return f'"{term.text}"*' if term.prefix else f'"{term.text}"'


def fts5(parsed: ParsedQuery) -> str:
    """Return the FTS5 MATCH expression of a non-empty query."""
    groups = [
        _fts5_term(group[0]) if len(group) == 1 else "(" + " OR ".join(map(_fts5_term, group)) + ")"
        for group in parsed.groups
    ]
    expression = " AND ".join(groups)
    if parsed.excluded:
        expression += " NOT (" + " OR ".join(map(_fts5_term, parsed.excluded)) + ")"
    return expression


# --- PostgreSQL -------------------------------------------------------------------------------

# Porter stemming, as FTS5's porter tokenizer, and no stop-word list (hearings.search creates
# it): FTS5 indexes every word, so "the people" or "survei*" finds the same lines on both.
CONFIG = "hearing_english"
# How a line is stemmed follows its language (hearings.search): English lines as above,
# Spanish ones by Snowball's Spanish stemmer (no stop words either), any other language's
# words as they are. Lines recorded before languages were kept count as English.
CONFIGS = {"en": CONFIG, "es": "hearing_spanish"}
OTHER_CONFIG = "simple"
# Each language's lexemes carry their own weight in a line's tsvector, and each form of the
# query asks for that weight only: otherwise the English stem of "mes" (month), "me", would
# find every Spanish line with the pronoun "me". English is D, the weight of an unweighted
# tsvector, so documents' pages (all English) match the English form as before.
WEIGHTS = {CONFIG: "D", "hearing_spanish": "C", OTHER_CONFIG: "B"}
# ts_rank's weights for D, C, B, A: all alike, so a line ranks the same in any language.
RANK_WEIGHTS = "{0.1, 0.1, 0.1, 0.1}"
_UNDERSCORE = re.compile(r"_+")


def line_config_sql(column: str = "language") -> str:
    """Return the SQL choosing a line's text search configuration from its language column."""
    return _by_language(column, {code: f"'{name}'::regconfig" for code, name in CONFIGS.items()},
                        f"'{OTHER_CONFIG}'::regconfig")  # fmt: skip


def line_weight_sql(column: str = "language") -> str:
    """Return the SQL giving the weight of a line's lexemes from its language column."""
    weights = {code: f"'{WEIGHTS[name]}'" for code, name in CONFIGS.items()}
    return _by_language(column, weights, f"'{WEIGHTS[OTHER_CONFIG]}'") + '::"char"'


def _by_language(column: str, values: dict[str, str], other: str) -> str:
    cases = " ".join(
        f"WHEN {column} = '{code}' THEN {value}" for code, value in values.items() if code != "en"
    )
    return f"(CASE WHEN {column} IS NULL OR {column} = 'en' THEN {values['en']} {cases} " \
        f"ELSE {other} END)"  # fmt: skip


def _tsquery_text(term: Term, weight: str) -> str:
    # Words are letters and digits only (_WORD_PART), so none is read as tsquery syntax;
    # PostgreSQL's parser splits at an underscore where Python's \w does not.
    words = _UNDERSCORE.sub(" ", term.text).split()
    if term.prefix and len(words) == 1:
        return f"{words[0]}:*{weight}"
    return " <-> ".join(f"{word}:{weight}" for word in words)


def _tsquery_term(term: Term):
    # A visitor's words are stemmed the way each language's lines were: a Spanish line
    # matches the Spanish stem of "comunidades", an English one the English stem.
    forms = [
        func.to_tsquery(config, _tsquery_text(term, weight)) for config, weight in WEIGHTS.items()
    ]
    either: ColumnElement = forms[0]
    for form in forms[1:]:
        either = either.op("||")(form)
    return either


def tsquery(parsed: ParsedQuery):
    """Return a SQL tsquery expression of a non-empty query."""
    alternatives = []
    for group in parsed.groups:
        either = _tsquery_term(group[0])
        for term in group[1:]:
            either = either.op("||")(_tsquery_term(term))
        alternatives.append(either)
    expression = alternatives[0]
    for either in alternatives[1:]:
        expression = expression.op("&&")(either)
    for term in parsed.excluded:
        # tsquery_not is the function behind the prefix operator !!.
        expression = expression.op("&&")(func.tsquery_not(_tsquery_term(term)))
    return expression

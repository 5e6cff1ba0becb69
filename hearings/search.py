"""Full-text search over transcript segments: SQLite FTS5 by default, PostgreSQL full text."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape
from sqlalchemy import (
    ARRAY,
    DDL,
    Integer,
    any_,
    bindparam,
    cast,
    column,
    event,
    func,
    literal_column,
    select,
    table,
    text,
    true,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from hearings.models import Body, Hearing, Segment, Speaker
from hearings.models.base import Base, DbSession
from hearings.public_record import limited_to_public
from hearings.search_syntax import (
    RANK_WEIGHTS,
    ParsedQuery,
    fts5,
    line_config_sql,
    line_weight_sql,
    parse,
    tsquery,
)

_PHRASE = re.compile(r'"[^"]* [^"]*"')
# Marks around matched words in snippets; unlikely to occur in speech, escaped before display.
_OPEN, _CLOSE = "\x02", "\x03"

event.listen(
    Segment.__table__,
    "after_create",
    DDL(
        "CREATE VIRTUAL TABLE IF NOT EXISTS segment_fts USING fts5("
        "text, content='segments', content_rowid='id', tokenize='porter unicode61')"
    ).execute_if(dialect="sqlite"),
)
# Lines in other languages than English go to a second index whose tokenizer only folds case
# and accents: the porter stemmer would cut Spanish words by English rules ("mes", month, to
# "me", so "mes" found every Spanish "me"), and a tokenizer is fixed per FTS5 table.
SQLITE_PLAIN_INDEX = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS segment_fts_plain USING fts5("
    "text, content='segments', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
event.listen(
    Segment.__table__, "after_create", DDL(SQLITE_PLAIN_INDEX).execute_if(dialect="sqlite")
)
for _fts_table in ("segment_fts", "segment_fts_plain"):
    event.listen(
        Segment.__table__,
        "before_drop",
        DDL(f"DROP TABLE IF EXISTS {_fts_table}").execute_if(dialect="sqlite"),
    )


def _stemming_config_ddl(
    config: str, copied: str, stemmer: str, language: str, before: str = ""
) -> str:
    """Return DDL making a text search configuration, a copy of ``copied``, whose words go
    through ``before`` (a filtering dictionary, or none) and a Snowball stemmer without a
    stop-word list."""
    return f"""
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = '{stemmer}') THEN
        CREATE TEXT SEARCH DICTIONARY {stemmer} (TEMPLATE = snowball, Language = {language});
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{config}') THEN
        CREATE TEXT SEARCH CONFIGURATION {config} (COPY = {copied});
        ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING
          FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
          WITH {before}{stemmer};
      END IF;
    END $$
    """


# PostgreSQL: a text search configuration that stems as FTS5's porter tokenizer does and drops
# no word; one for Spanish lines that drops accents first (PostgreSQL's Snowball Spanish keeps
# them, so "policia" missed "policía"); a stored tsvector per line, of its letters and digits
# only (FTS5's tokenizer splits "23-1234" and "4.2" at the punctuation, PostgreSQL's parser
# would not), with a GIN index; and trigram indexes for names heard or typed imperfectly.
POSTGRES_SEARCH_DDL = (
    _stemming_config_ddl("hearing_english", "english", "hearing_porter_stem", "porter"),
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    _stemming_config_ddl(
        "hearing_spanish", "spanish", "hearing_spanish_stem", "spanish", "unaccent, "
    ),
    "ALTER TABLE segments ADD COLUMN IF NOT EXISTS text_search tsvector GENERATED ALWAYS AS "
    f"(setweight(to_tsvector({line_config_sql()}, "
    "regexp_replace(text, '[^[:alnum:][:space:]]+', ' ', 'g')), "
    f"{line_weight_sql()})) STORED",
    "CREATE INDEX IF NOT EXISTS ix_segments_text_search ON segments USING gin (text_search)",
)
POSTGRES_NAME_DDL = {
    "people": "CREATE INDEX IF NOT EXISTS ix_people_name_trgm ON people "
    "USING gin (lower(name) gin_trgm_ops)",
    "organizations": "CREATE INDEX IF NOT EXISTS ix_organizations_name_trgm ON organizations "
    "USING gin (lower(name) gin_trgm_ops)",
}
for statement in POSTGRES_SEARCH_DDL:
    event.listen(Segment.__table__, "after_create", DDL(statement).execute_if(dialect="postgresql"))
for table_name, statement in POSTGRES_NAME_DDL.items():
    event.listen(
        Base.metadata.tables[table_name],
        "after_create",
        DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
    )
    event.listen(
        Base.metadata.tables[table_name],
        "after_create",
        DDL(statement).execute_if(dialect="postgresql"),
    )


# The index is raw DDL (an FTS5 table and its shadow tables on SQLite; a generated column,
# GIN and trigram indexes on PostgreSQL) that the models cannot describe; migrations create
# it by hand.
SEARCH_INDEX_NAMES = (
    "segment_fts",
    "document_page_fts",
    "ix_document_pages_text_search",
    "ix_segments_fts",
    "ix_segments_text_search",
    "text_search",
    "ix_people_name_trgm",
    "ix_organizations_name_trgm",
)


def include_in_migrations(name: str | None, type_: str, parent_names: dict) -> bool:
    """Tell Alembic's autogenerate to leave the search index's own tables and index alone."""
    return not (name or "").startswith(SEARCH_INDEX_NAMES)


@dataclass
class SearchFilters:
    body_id: int | None = None
    hearing_id: int | None = None
    person_id: int | None = None
    organization_id: int | None = None
    matter_id: int | None = None
    position: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def any(self) -> bool:
        """Return whether any filter is set."""
        return any(value is not None for value in vars(self).values())


@dataclass
class SearchHit:
    segment: Segment
    snippet: Markup


# Which SQLite index holds a line: English ones (and those of unknown language) are stemmed.
_STEMMED_LINE = "(language IS NULL OR language = 'en')"


def index_segments(connection: Connection, segment_ids: list[int]) -> None:
    """Add segments to the SQLite indexes, each by its language (PostgreSQL indexes itself)."""
    if connection.dialect.name != "sqlite" or not segment_ids:
        return
    for index, which in (
        ("segment_fts", _STEMMED_LINE),
        ("segment_fts_plain", "NOT " + _STEMMED_LINE),
    ):
        connection.execute(
            text(
                f"INSERT INTO {index}(rowid, text) SELECT id, text FROM segments "
                f"WHERE id = :id AND {which}"
            ),
            [{"id": i} for i in segment_ids],
        )


def unindex_segments(connection: Connection, segments: list[tuple[int, str]]) -> None:
    """Remove (id, text) pairs from the SQLite index before their rows change or go.

    Each line is removed from the index its stored language put it in: FTS5 takes the
    removal of text it does not hold as a corrupt index.
    """
    if connection.dialect.name != "sqlite" or not segments:
        return
    stemmed = {
        row[0]
        for row in connection.execute(
            text(
                "SELECT id FROM segments WHERE id IN (SELECT value FROM json_each(:ids)) "
                f"AND {_STEMMED_LINE}"
            ),
            {"ids": json.dumps([i for i, _ in segments])},
        )
    }
    for index, chosen in (
        ("segment_fts", [(i, t) for i, t in segments if i in stemmed]),
        ("segment_fts_plain", [(i, t) for i, t in segments if i not in stemmed]),
    ):
        if chosen:
            connection.execute(
                text(f"INSERT INTO {index}({index}, rowid, text) VALUES('delete', :id, :text)"),
                [{"id": i, "text": t} for i, t in chosen],
            )


def reindex_segments(
    session: DbSession, before: list[tuple[int, str]], after_ids: list[int]
) -> None:
    """Replace lines' index entries: their old (id, text) out, the lines as now stored in.

    The session is flushed between the two, so the new texts are the ones indexed.
    """
    unindex_segments(session.connection(), before)
    session.flush()
    index_segments(session.connection(), after_ids)


# Past this many matching lines (in the whole archive) ranking them costs more than a reader
# waits for, and "best" among thousands of one-word hits means little: they come latest first,
# and the page says so. Counts with filters stop at COUNT_LIMIT ("more than 1,000").
RANK_LIMIT = 5_000
COUNT_LIMIT = 1_000
# A filter that leaves at most this many lines (one speaker, one matter) is checked line by
# line against the index, instead of reading every line that has the words.
PROBE_LIMIT = 2_000


@dataclass
class LineResults:
    """One page of matching lines, and how many there are in all."""

    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    # True when no words were given and the filters alone chose the lines, newest first.
    browsing: bool = False
    # Whether the query had words to look for (operators and punctuation alone have none).
    searched: bool = False
    # Best first (True) or, when the words are in too many lines to rank, latest first.
    ranked: bool = True
    # True when counting stopped at ``total``: there are more.
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (self.more and len(self.hits) == self.per_page)


def search_lines(
    session: DbSession,
    query: str,
    filters: SearchFilters | None = None,
    page: int = 1,
    per_page: int = 20,
    newest_first: bool = False,
) -> LineResults:
    """Return a page of lines matching the words, best first, with matched words marked.

    With no words but some filter, return the filtered lines, newest hearing first; with
    neither, nothing (the search page then shows only its form). ``newest_first`` gives the
    latest lines first however few there are (a feed of a saved search).
    """
    filters = filters or SearchFilters()
    parsed = parse(query)
    page = max(1, page)
    offset = (page - 1) * per_page
    if parsed.empty and not filters.any():
        return LineResults([], 0, page, per_page)  # nothing asked
    if parsed.empty:
        chosen = _apply_filters(select(Segment.id, Segment.text), filters)
        total, more = _count(session, chosen, COUNT_LIMIT)
        rows = session.execute(
            chosen.order_by(Hearing.date.desc(), Hearing.id.desc(), Segment.start_ms)
            .limit(per_page)
            .offset(offset)
        ).all()
        hits = _load(session, [(row[0], row[1]) for row in rows])
        return LineResults(hits, total, page, per_page, browsing=True, more=more)
    if session.get_bind().dialect.name == "sqlite":
        found = _sqlite_lines(session, parsed, filters, per_page, offset, newest_first)
    else:
        found = _postgres_lines(session, parsed, filters, per_page, offset, newest_first)
    ranked, total, more, page_rows = found
    hits = _load(session, page_rows)
    return LineResults(hits, total, page, per_page, searched=True, ranked=ranked, more=more)


def _count(session: DbSession, stmt, limit: int | None) -> tuple[int, bool]:
    """Return how many rows the statement gives, stopping past ``limit``, and whether it did."""
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if limit is not None and total > limit:
        return limit, True
    return total, False


def _load(session: DbSession, rows: list[tuple[int, str]]) -> list[SearchHit]:
    """Return hits for (line id, marked text) pairs, in their order, with who and where."""
    if not rows:
        return []
    found = {
        segment.id: segment
        for segment in session.scalars(
            select(Segment)
            .where(Segment.id.in_([row_id for row_id, _ in rows]))
            .options(
                joinedload(Segment.speaker).joinedload(Speaker.person),
                joinedload(Segment.hearing).joinedload(Hearing.body),
            )
        )
    }
    return [
        SearchHit(segment=found[row_id], snippet=_markup(marked))
        for row_id, marked in rows
        if row_id in found
    ]


def _narrow(filters: SearchFilters) -> bool:
    """Return whether a filter picks out a few lines (a speaker, a matter, a hearing)."""
    return bool(
        filters.person_id or filters.organization_id or filters.matter_id or filters.hearing_id
    )


def search_segments(
    session: DbSession,
    query: str,
    filters: SearchFilters | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[SearchHit]:
    """Return up to ``limit`` lines matching the words, best first (no words: none)."""
    if parse(query).empty:
        return []
    return search_lines(session, query, filters, 1 + offset // limit, limit).hits


# PostgreSQL keeps each line's tsvector in a generated column (DDL above), so matching,
# ranking and the index read one stored value instead of parsing the text of every row.
_text_search: ColumnElement = literal_column("segments.text_search")


def _sqlite_lines(
    session: DbSession, parsed: ParsedQuery, filters: SearchFilters, limit, offset, newest_first
):
    """Return (ranked, total, more, [(id, marked text)]) for words on SQLite's FTS5 index."""
    match = fts5(parsed)
    counts = {
        index: session.scalar(
            text(f"SELECT count(*) FROM {index} WHERE {index} MATCH :match"), {"match": match}
        )
        or 0
        for index in _SQLITE_INDEXES
    }
    # The English index alone, unless lines in other languages have the words too.
    indexes = [index for index in _SQLITE_INDEXES if counts[index]] or ["segment_fts"]
    everywhere = sum(counts.values())
    ranked = everywhere <= RANK_LIMIT and not newest_first
    restricted = filters.any() or limited_to_public()
    if restricted and not ranked and _narrow(filters):
        chosen = _apply_filters(select(Segment.id), filters).order_by(Segment.id.desc())
        candidates = list(session.scalars(chosen.limit(PROBE_LIMIT + 1)))
        if len(candidates) <= PROBE_LIMIT:
            return (False, *_sqlite_probe(session, match, candidates, limit, offset, indexes))
    fts: FromClause
    if len(indexes) == 1:
        fts = table(indexes[0], column("rowid"), column("rank"))
        snippet = func.highlight(literal_column(indexes[0]), 0, _OPEN, _CLOSE)
        stmt = select(Segment.id, snippet).where(literal_column(indexes[0]).op("MATCH")(match))
    else:
        # Both indexes' matches as one list; bm25 ranks of the two are on the same scale.
        fts = union_all(
            *(
                select(literal_column("rowid"), literal_column("rank"))
                .select_from(table(index))
                .where(literal_column(index).op("MATCH")(match))
                for index in indexes
            )
        ).subquery("matched")
        stmt = select(Segment.id, Segment.text)
    stmt = _apply_filters(stmt.join(fts, fts.c.rowid == Segment.id), filters)
    if restricted:
        total, more = _count(session, stmt, None if ranked else COUNT_LIMIT)
    else:
        total, more = everywhere, False
    order = (fts.c.rank, Segment.id) if ranked else (fts.c.rowid.desc(),)
    rows = session.execute(stmt.order_by(*order).limit(limit).offset(offset)).all()
    if len(indexes) > 1:
        return ranked, total, more, _sqlite_marked(session, match, [row[0] for row in rows])
    return ranked, total, more, [(row[0], row[1]) for row in rows]


# The English (stemmed) index, then the one for lines in other languages.
_SQLITE_INDEXES = ("segment_fts", "segment_fts_plain")


def _sqlite_marked(session: DbSession, match: str, ids: list[int]) -> list[tuple[int, str]]:
    """Mark the matched words of one page of lines, each in the index that holds it."""
    driver = session.connection().connection.driver_connection
    assert driver is not None  # a live connection of this session
    cursor = driver.cursor()
    rows = []
    for line_id in ids:
        for index in _SQLITE_INDEXES:
            found = cursor.execute(
                f"SELECT highlight({index}, 0, ?, ?) FROM {index} "
                f"WHERE {index} MATCH ? AND rowid = ?",
                (_OPEN, _CLOSE, match, line_id),
            ).fetchone()
            if found:
                rows.append((line_id, found[0]))
                break
    return rows


def _sqlite_probe(
    session: DbSession, match: str, ids: list[int], limit, offset, indexes=("segment_fts",)
):
    """Keep the lines a narrow filter chose (``ids``, latest first) that have the words.

    Joining every line with a common word to its hearing and speaker costs a lookup each
    (tens of thousands); a filter's few hundred lines are checked against the index instead:
    one by one when the words are plain (about 10 microseconds a line), or against the list
    of every matching line when they hold a prefix or a phrase, which the index would expand
    or walk anew for each line.
    """
    driver = session.connection().connection.driver_connection
    assert driver is not None  # a live connection of this session
    cursor = driver.cursor()
    if "*" in match or _PHRASE.search(match):
        having = {
            row[0]
            for index in indexes
            for row in cursor.execute(f"SELECT rowid FROM {index} WHERE {index} MATCH ?", (match,))
        }
        matched = [i for i in ids if i in having]
    else:
        checks = [f"SELECT 1 FROM {index} WHERE {index} MATCH ? AND rowid = ?" for index in indexes]
        matched = [
            i for i in ids if any(cursor.execute(check, (match, i)).fetchone() for check in checks)
        ]
    page = matched[offset : offset + limit]
    return len(matched), False, _sqlite_marked(session, match, page)


def _postgres_lines(
    session: DbSession, parsed: ParsedQuery, filters: SearchFilters, limit, offset, newest_first
):
    """Return (ranked, total, more, [(id, marked text)]) for words on PostgreSQL's GIN index."""
    query = tsquery(parsed)
    matching = _text_search.op("@@")(query)
    if _narrow(filters):
        # A speaker's, a matter's or a hearing's few lines are checked for the words as one
        # list, before anything reads the archive's matches (20 ms for a common phrase).
        chosen = _apply_filters(select(Segment.id), filters).order_by(Segment.id.desc())
        candidates = list(session.scalars(chosen.limit(PROBE_LIMIT + 1)))
        if len(candidates) <= PROBE_LIMIT:
            return (False, *_postgres_probe(session, query, candidates, limit, offset))
    # Counted only as far as the limit: the bitmap of a common word is cheap, reading its
    # tens of thousands of rows to count them is not.
    if newest_first:
        too_many = True
    else:
        _, too_many = _count(session, select(Segment.id).where(matching), RANK_LIMIT)
    ranked = not too_many
    counted = _apply_filters(select(Segment.id).where(matching), filters, hearings="list")
    total, more = _count(session, counted, None if ranked else COUNT_LIMIT)
    lines = select(Segment.id, Segment.text).where(matching)
    if ranked:
        # Ranked lines are not ordered by hearing: the hearings are chosen as a list (see
        # _apply_filters), which for a date range took 4 ms instead of 29.
        weights: ColumnElement = literal_column(f"'{RANK_WEIGHTS}'::real[]")
        best = (func.ts_rank(weights, _text_search, query).desc(), Segment.id)
        listed = _apply_filters(lines, filters, hearings="list")
        rows = session.execute(listed.order_by(*best).limit(limit).offset(offset)).all()
    elif offset < WALK_OFFSET:
        rows = _latest_first(session, matching, filters, limit, offset)
    else:
        # By hearing date, not line id: ordered by line id, PostgreSQL read the lines
        # backwards through every newer hearing a date range left out (half a second).
        newest = (Hearing.date.desc(), Hearing.id.desc(), Segment.start_ms.desc())
        joined = _apply_filters(lines, filters)
        joined = joined.order_by(*newest, Segment.id.desc())
        rows = session.execute(joined.limit(limit).offset(offset)).all()
    marked = _postgres_marked(session, query, [(row[0], row[1]) for row in rows])
    return ranked, total, more, marked


# The first pages of latest-first results are read hearing by hearing (_latest_first); deeper
# ones, which that walk would reach only after hundreds of hearings, in one ordered statement.
WALK_OFFSET = 200


def _latest_first(session: DbSession, matching, filters: SearchFilters, limit, offset):
    """Return a page of (id, text) of the lines with the words, newest hearing first.

    Hearing by hearing, newest first, until a page is full: each hearing's lines (only its
    testimony with the position, when a position is chosen) are read by index and their
    words tested there. As one ordered statement PostgreSQL gathered every matching line of
    the archive first (140 ms for "budget" with a position, 62 for a prefix); per hearing
    through the word index, a prefix was expanded anew for every hearing. Now 1 to 5 ms.
    """
    from hearings.models import Testimony
    from hearings.models.testimony import testimony_segments

    walked = (
        select(Hearing.id, Hearing.date).where(*_hearing_conditions(filters)).subquery("walked")
    )
    own = select(Segment.id, Segment.text, Segment.start_ms, _text_search.label("words")).where(
        Segment.hearing_id == walked.c.id
    )
    if filters.position and not filters.matter_id:
        # The table, not the class, as in _in_testimony: the line is a published one already.
        testimonies = Testimony.__table__.c
        own = own.where(
            Segment.id.in_(
                select(testimony_segments.c.segment_id)
                .join(Testimony.__table__, testimonies.id == testimony_segments.c.testimony_id)
                .where(
                    testimonies.hearing_id == walked.c.id,
                    testimonies.position == filters.position,
                    testimonies.position_confirmed.is_(True),
                )
                .correlate(walked)
            )
        )
    # OFFSET 0 keeps the words tested on the hearing's lines, not looked up in the index.
    fenced = (
        _apply_filters(own, filters, hearings="none").offset(0).correlate(walked).lateral("own")
    )
    lines = (
        select(fenced.c.id, fenced.c.text, fenced.c.start_ms)
        .where(fenced.c.words.op("@@")(matching.right))
        .order_by(fenced.c.start_ms.desc(), fenced.c.id.desc())
        .lateral("lines")
    )
    page = (
        select(lines.c.id, lines.c.text)
        .select_from(walked.join(lines, true()))
        .order_by(
            walked.c.date.desc(), walked.c.id.desc(), lines.c.start_ms.desc(), lines.c.id.desc()
        )
        .limit(limit)
        .offset(offset)
    )
    return session.execute(page).all()


def _postgres_probe(session: DbSession, query, ids: list[int], limit, offset):
    """Keep the lines a narrow filter chose (``ids``, latest first) that have the words: the
    same lines, in the same order, as SQLite's probe.

    The chosen lines are read first and their words tested there (OFFSET 0 keeps the test
    out of the read): otherwise the planner took every line of the archive with a common
    phrase from the word index, to keep a few (19 ms against 2).
    """
    chosen = (
        select(Segment.id, Segment.text, _text_search.label("words"))
        .where(Segment.id == any_(bindparam("ids", ids, type_=ARRAY(Integer))))
        .offset(0)
        .subquery("chosen")
    )
    having = select(chosen.c.id, chosen.c.text).where(chosen.c.words.op("@@")(query))
    total, _ = _count(session, having, None)
    rows = session.execute(having.order_by(chosen.c.id.desc()).limit(limit).offset(offset)).all()
    return total, False, _postgres_marked(session, query, [(row[0], row[1]) for row in rows])


def _postgres_marked(session: DbSession, query, rows: list[tuple[int, str]]):
    """Mark the matched words of one page of lines (ts_headline reparses each text)."""
    if not rows:
        return []
    texts = {row_id: line for row_id, line in rows}
    headline = func.ts_headline(
        literal_column(line_config_sql("segments.language")),
        Segment.text,
        query,
        f"StartSel={_OPEN}, StopSel={_CLOSE}, HighlightAll=true",
    )
    marked: dict[int, str] = {
        row_id: line
        for row_id, line in session.execute(
            select(Segment.id, headline).where(Segment.id.in_(texts))
        ).all()
    }
    return [(row_id, marked.get(row_id, texts[row_id])) for row_id, _ in rows]


def _hearing_conditions(filters: SearchFilters) -> list:
    """Return the filters that choose hearings (body, hearing, dates), as conditions."""
    chosen = []
    if filters.body_id:
        chosen.append(Hearing.body_id == filters.body_id)
    if filters.hearing_id:
        chosen.append(Hearing.id == filters.hearing_id)
    if filters.date_from:
        chosen.append(Hearing.date >= filters.date_from)
    if filters.date_to:
        chosen.append(Hearing.date <= filters.date_to)
    return chosen


def _apply_filters(stmt, filters: SearchFilters, hearings: str = "join"):
    """Add the filters to a statement on lines.

    Args:
        hearings: how the hearings are chosen. "join" joins each line to its hearing. "list"
            computes the chosen hearings once, as a list, for PostgreSQL's capped counts:
            joined, its planner walked the chosen hearings and searched the word index again
            for each (120 ms for a word in 10,000 lines and one body's 100 hearings, against
            4 ms with the list); nothing can then be ordered by hearing. "none": the caller
            has chosen them.
    """
    of_hearing = _hearing_conditions(filters)
    if hearings == "join":
        stmt = stmt.join(Hearing, Hearing.id == Segment.hearing_id).where(*of_hearing)
    elif hearings == "list" and of_hearing:
        chosen = select(func.array_agg(Hearing.id)).where(*of_hearing).scalar_subquery()
        stmt = stmt.where(Segment.hearing_id == any_(cast(chosen, ARRAY(Integer))))
    if filters.person_id:
        stmt = stmt.where(
            Segment.speaker_id.in_(select(Speaker.id).where(Speaker.person_id == filters.person_id))
        )
    if filters.organization_id:
        stmt = stmt.where(Segment.id.in_(_organization_segment_ids(filters.organization_id)))
    if filters.matter_id or filters.position:
        stmt = stmt.where(_in_testimony(filters))
    return stmt


def _in_testimony(filters: SearchFilters):
    """Return a condition: the segment is testimony on the matter and/or with the position.

    Without a position, segments heard during the matter's agenda item count too, so a matter
    filter finds what was said about it before any testimony was marked.
    """
    from sqlalchemy import and_, or_

    from hearings.models import AgendaItem, Testimony
    from hearings.models.testimony import testimony_segments

    # The table, not the mapped class: the public record's rule for testimony (its hearing is
    # published) would be asked again of every testimony here, when the line it is tested
    # against is already one of a published hearing, and a testimony quotes only its own
    # hearing's lines. On PostgreSQL that repeated rule made the position filter 140 ms.
    testimonies = Testimony.__table__.c
    testimony = select(testimony_segments.c.segment_id).join(
        Testimony.__table__, testimonies.id == testimony_segments.c.testimony_id
    )
    if filters.matter_id:
        testimony = testimony.where(testimonies.matter_id == filters.matter_id)
    if filters.position:
        testimony = testimony.where(
            testimonies.position == filters.position, testimonies.position_confirmed.is_(True)
        )
        if not filters.matter_id:
            # A position alone holds a sixth of the archive: asked of each line in turn (by
            # index) it costs what the lines read, where a list of them all costs 40 ms first.
            # OFFSET 0 keeps it asked line by line on PostgreSQL, whose planner otherwise
            # joins the two sides, and for a common word walked every line in id order
            # (60 ms, against 19).
            asked = testimony.where(testimony_segments.c.segment_id == Segment.id).offset(0)
            return asked.exists()
        return Segment.id.in_(testimony)
    heard = (
        select(Segment.id)
        .join(AgendaItem, AgendaItem.hearing_id == Segment.hearing_id)
        .where(
            AgendaItem.matter_id == filters.matter_id,
            AgendaItem.start_ms.is_not(None),
            and_(
                Segment.start_ms >= AgendaItem.start_ms,
                or_(AgendaItem.end_ms.is_(None), Segment.start_ms < AgendaItem.end_ms),
            ),
        )
    )
    return Segment.id.in_(testimony.union(heard))


def _organization_segment_ids(organization_id: int):
    """Return segments said by the organization's people or in testimony on its behalf."""
    from hearings.models import Person, Testimony
    from hearings.models.testimony import testimony_organizations, testimony_segments

    # Through the speakers first: a few speakers' lines come by index, where joining every
    # line to its speaker and person would read them all.
    members = (
        select(Speaker.id)
        .join(Person, Person.id == Speaker.person_id)
        .where(Person.organization_id == organization_id)
    )
    by_member = select(Segment.id).where(Segment.speaker_id.in_(members))
    on_behalf = (
        select(testimony_segments.c.segment_id)
        .join(Testimony, Testimony.id == testimony_segments.c.testimony_id)
        .join(testimony_organizations, testimony_organizations.c.testimony_id == Testimony.id)
        .where(testimony_organizations.c.organization_id == organization_id)
    )
    return by_member.union(on_behalf)


def filter_choices(session: DbSession, filters: SearchFilters) -> dict:
    """Return what the filter form shows: every body, and the person, organization and
    matter now chosen. The others are found as the reader types a name (name_choices), not
    listed: an archive holds thousands of people and matters."""
    from hearings.models import Matter, Organization, Person

    def chosen(model, row_id):
        return session.get(model, row_id) if row_id else None

    return {
        "bodies": list(session.scalars(select(Body).order_by(Body.name))),
        "chosen_person": chosen(Person, filters.person_id),
        "chosen_organization": chosen(Organization, filters.organization_id),
        "chosen_matter": chosen(Matter, filters.matter_id),
    }


NAME_KINDS = ("person", "organization", "matter")


def read_search(session: DbSession, args: Mapping[str, str]) -> tuple[str, SearchFilters, dict]:
    """Return the words, the filters, and the names typed that mean no one on record, from the
    search page's arguments (a request's, or a saved search's). Values that cannot be a filter
    are left out, as the page always has."""
    from hearings.models.testimony import POSITIONS
    from hearings.record_ids import optional_record_id

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(args[name]) if args.get(name) else None
        except ValueError:
            return None

    position = args.get("position")
    filters = SearchFilters(
        body_id=optional_record_id(args.get("body")),
        person_id=optional_record_id(args.get("person")),
        organization_id=optional_record_id(args.get("organization")),
        matter_id=optional_record_id(args.get("matter")),
        position=position if position in POSITIONS else None,
        date_from=day("from"),
        date_to=day("to"),
    )
    # A speaker, organization or matter typed by name (the form has no list of thousands)
    # means the one so named, or the most alike; a name that means nothing finds nothing.
    unknown = {}
    for kind in NAME_KINDS:
        typed = args.get(f"{kind}_name", "").strip()[:200]
        if typed and getattr(filters, f"{kind}_id") is None:
            found = resolve_name(session, kind, typed)
            if found is None:
                unknown[kind] = typed
            setattr(filters, f"{kind}_id", found)
    return args.get("q", "").strip()[:500], filters, unknown


def name_choices(session: DbSession, kind: str, typed: str, limit: int = 8) -> list:
    """Return the people, organizations or matters a typed name may mean, most alike first."""
    from hearings.models import Organization, Person
    from hearings.record_search import matching_matters, matching_names

    typed = typed.strip()[:200]
    if not typed:
        return []
    if kind == "matter":
        return matching_matters(session, typed.lower().split(), limit)
    return matching_names(session, Person if kind == "person" else Organization, typed, limit)


def resolve_name(session: DbSession, kind: str, typed: str) -> int | None:
    """Return the id of what a typed name means: the one so named or numbered, else the most
    alike (a name is often typed as heard), or None when nothing on record is near it."""
    from hearings.models import Matter, Organization, Person

    model: type[Person] | type[Organization]
    wanted = typed.strip().lower()
    if kind == "matter":
        key, column = Matter.id, Matter.title
    else:
        model = Person if kind == "person" else Organization
        key, column = model.id, model.name
    exact = session.scalar(select(key).where(func.lower(column) == wanted).order_by(key).limit(1))
    if exact is None and kind == "matter":
        exact = session.scalar(select(Matter.id).where(func.lower(Matter.file_number) == wanted))
    if exact is not None:
        return exact
    found = name_choices(session, kind, typed, limit=1)
    return found[0].id if found else None


def _markup(marked: str) -> Markup:
    return Markup(str(escape(marked)).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))

"""Full-text search over transcript segments: SQLite FTS5 by default, PostgreSQL full text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape
from sqlalchemy import DDL, column, event, func, literal_column, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from hearings.models import Body, Hearing, Segment, Speaker
from hearings.models.base import Base, DbSession
from hearings.search_syntax import CONFIG as TEXT_SEARCH_CONFIG
from hearings.search_syntax import ParsedQuery, fts5, parse, tsquery

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
event.listen(
    Segment.__table__,
    "before_drop",
    DDL("DROP TABLE IF EXISTS segment_fts").execute_if(dialect="sqlite"),
)
# PostgreSQL: a text search configuration that stems as FTS5's porter tokenizer does and drops
# no word; a stored tsvector per line, of its letters and digits only (FTS5's tokenizer splits
# "23-1234" and "4.2" at the punctuation, PostgreSQL's parser would not), with a GIN index; and
# trigram indexes for names heard or typed imperfectly.
POSTGRES_SEARCH_DDL = (
    """
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'hearing_porter_stem') THEN
        CREATE TEXT SEARCH DICTIONARY hearing_porter_stem
          (TEMPLATE = snowball, Language = porter);
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'hearing_english') THEN
        CREATE TEXT SEARCH CONFIGURATION hearing_english (COPY = english);
        ALTER TEXT SEARCH CONFIGURATION hearing_english ALTER MAPPING
          FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
          WITH hearing_porter_stem;
      END IF;
    END $$
    """,
    "ALTER TABLE segments ADD COLUMN IF NOT EXISTS text_search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('hearing_english'::regconfig, "
    "regexp_replace(text, '[^[:alnum:][:space:]]+', ' ', 'g'))) STORED",
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


def index_segments(connection: Connection, segment_ids: list[int]) -> None:
    """Add segments to the SQLite index (PostgreSQL indexes the column itself)."""
    if connection.dialect.name != "sqlite" or not segment_ids:
        return
    connection.execute(
        text("INSERT INTO segment_fts(rowid, text) SELECT id, text FROM segments WHERE id = :id"),
        [{"id": i} for i in segment_ids],
    )


def unindex_segments(connection: Connection, segments: list[tuple[int, str]]) -> None:
    """Remove (id, text) pairs from the SQLite index before their rows change or go."""
    if connection.dialect.name != "sqlite" or not segments:
        return
    connection.execute(
        text("INSERT INTO segment_fts(segment_fts, rowid, text) VALUES('delete', :id, :text)"),
        [{"id": i, "text": t} for i, t in segments],
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

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_lines(
    session: DbSession,
    query: str,
    filters: SearchFilters | None = None,
    page: int = 1,
    per_page: int = 20,
) -> LineResults:
    """Return a page of lines matching the words, best first, with matched words marked.

    With no words but some filter, return the filtered lines, newest hearing first; with
    neither, nothing (the search page then shows only its form).
    """
    filters = filters or SearchFilters()
    parsed = parse(query)
    page = max(1, page)
    if parsed.empty and not filters.any():
        return LineResults([], 0, page, per_page)  # nothing asked
    if parsed.empty:
        stmt = _apply_filters(select(Segment, Segment.text), filters)
        order: tuple = (Hearing.date.desc(), Hearing.id.desc(), Segment.start_ms)
        browsing = True
    else:
        if session.get_bind().dialect.name == "sqlite":
            stmt, rank = _sqlite_match(parsed)
        else:
            stmt, rank = _postgres_match(parsed)
        stmt = _apply_filters(stmt, filters)
        order = (rank, Segment.id)
        browsing = False
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(
        stmt.options(
            joinedload(Segment.speaker).joinedload(Speaker.person),
            joinedload(Segment.hearing).joinedload(Hearing.body),
        )
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    hits = [SearchHit(segment=row[0], snippet=_markup(row[1])) for row in rows]
    return LineResults(
        hits, total or 0, page, per_page, browsing=browsing, searched=not parsed.empty
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


# The FTS5 table is not a model: it is created by DDL above and queried through this handle.
_fts = table("segment_fts", column("rowid"), column("rank"))
# PostgreSQL keeps each line's tsvector in a generated column (DDL above), so matching,
# ranking and the index read one stored value instead of parsing the text of every row.
_text_search: ColumnElement = literal_column("segments.text_search")


def _sqlite_match(parsed: ParsedQuery):
    snippet = func.highlight(literal_column("segment_fts"), 0, _OPEN, _CLOSE)
    stmt = (
        select(Segment, snippet)
        .join(_fts, _fts.c.rowid == Segment.id)
        .where(literal_column("segment_fts").op("MATCH")(fts5(parsed)))
    )
    return stmt, _fts.c.rank


def _postgres_match(parsed: ParsedQuery):
    query = tsquery(parsed)
    snippet = func.ts_headline(
        TEXT_SEARCH_CONFIG,
        Segment.text,
        query,
        f"StartSel={_OPEN}, StopSel={_CLOSE}, HighlightAll=true",
    )
    stmt = select(Segment, snippet).where(_text_search.op("@@")(query))
    return stmt, func.ts_rank(_text_search, query).desc()


def _apply_filters(stmt, filters: SearchFilters):
    stmt = stmt.join(Hearing, Hearing.id == Segment.hearing_id)
    if filters.body_id:
        stmt = stmt.where(Hearing.body_id == filters.body_id)
    if filters.hearing_id:
        stmt = stmt.where(Hearing.id == filters.hearing_id)
    if filters.date_from:
        stmt = stmt.where(Hearing.date >= filters.date_from)
    if filters.date_to:
        stmt = stmt.where(Hearing.date <= filters.date_to)
    if filters.person_id:
        stmt = stmt.where(
            Segment.speaker_id.in_(select(Speaker.id).where(Speaker.person_id == filters.person_id))
        )
    if filters.organization_id:
        stmt = stmt.where(Segment.id.in_(_organization_segment_ids(filters.organization_id)))
    if filters.matter_id or filters.position:
        stmt = stmt.where(Segment.id.in_(_testimony_segment_ids(filters)))
    return stmt


def _testimony_segment_ids(filters: SearchFilters):
    """Return a subquery of segments that are testimony on the matter and/or with the position.

    Without a position, segments heard during the matter's agenda item count too, so a matter
    filter finds what was said about it before any testimony was marked.
    """
    from sqlalchemy import and_, or_

    from hearings.models import AgendaItem, Testimony
    from hearings.models.testimony import testimony_segments

    testimony = select(testimony_segments.c.segment_id).join(
        Testimony, Testimony.id == testimony_segments.c.testimony_id
    )
    if filters.matter_id:
        testimony = testimony.where(Testimony.matter_id == filters.matter_id)
    if filters.position:
        testimony = testimony.where(
            Testimony.position == filters.position, Testimony.position_confirmed.is_(True)
        )
        return testimony
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
    return testimony.union(heard)


def _organization_segment_ids(organization_id: int):
    """Return segments said by the organization's people or in testimony on its behalf."""
    from hearings.models import Person, Testimony
    from hearings.models.testimony import testimony_organizations, testimony_segments

    by_member = (
        select(Segment.id)
        .join(Speaker, Speaker.id == Segment.speaker_id)
        .join(Person, Person.id == Speaker.person_id)
        .where(Person.organization_id == organization_id)
    )
    on_behalf = (
        select(testimony_segments.c.segment_id)
        .join(Testimony, Testimony.id == testimony_segments.c.testimony_id)
        .join(testimony_organizations, testimony_organizations.c.testimony_id == Testimony.id)
        .where(testimony_organizations.c.organization_id == organization_id)
    )
    return by_member.union(on_behalf)


def filter_choices(session: DbSession) -> dict:
    """Return the options of the search filters: bodies, people, organizations, matters."""
    from hearings.models import Matter, Organization, Person

    named = select(Speaker.person_id).where(Speaker.person_id.is_not(None))
    return {
        "bodies": list(session.scalars(select(Body).order_by(Body.name))),
        "people": list(
            session.scalars(select(Person).where(Person.id.in_(named)).order_by(Person.name))
        ),
        "organizations": list(session.scalars(select(Organization).order_by(Organization.name))),
        "matters": list(session.scalars(select(Matter).order_by(Matter.file_number, Matter.title))),
    }


def _markup(marked: str) -> Markup:
    return Markup(str(escape(marked)).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))

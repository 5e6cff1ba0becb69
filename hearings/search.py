"""Full-text search over transcript segments: SQLite FTS5 by default, PostgreSQL full text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape
from sqlalchemy import DDL, column, event, func, literal_column, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError

from hearings.models import Body, Hearing, Segment, Speaker
from hearings.models.base import DbSession

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
event.listen(
    Segment.__table__,
    "after_create",
    DDL(
        "CREATE INDEX IF NOT EXISTS ix_segments_fts ON segments "
        "USING gin (to_tsvector('english', text))"
    ).execute_if(dialect="postgresql"),
)


# The index is raw DDL (an FTS5 table and its shadow tables on SQLite, an expression index on
# PostgreSQL) that the models cannot describe; migrations create it by hand.
SEARCH_INDEX_NAMES = ("segment_fts", "ix_segments_fts")


def include_in_migrations(name: str | None, type_: str, parent_names: dict) -> bool:
    """Tell Alembic's autogenerate to leave the search index's own tables and index alone."""
    return not (name or "").startswith(SEARCH_INDEX_NAMES)


class SearchSyntaxError(ValueError):
    """The query could not be parsed; the message says how to fix it."""


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


def search_segments(
    session: DbSession,
    query: str,
    filters: SearchFilters | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[SearchHit]:
    """Return segments matching the query, best first, with matched words marked."""
    query = query.strip()
    if not query:
        return []
    filters = filters or SearchFilters()
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        stmt, rank, snippet = _sqlite_match(query)
    else:
        stmt, rank, snippet = _postgres_match(query)
    stmt = _apply_filters(stmt, filters).order_by(rank).limit(limit).offset(offset)
    try:
        rows = session.execute(stmt).all()
    except DatabaseError as error:
        session.rollback()
        raise SearchSyntaxError(
            'That search could not be understood. Use plain words, "quoted phrases", '
            "OR between alternatives, and a trailing * for prefixes."
        ) from error
    return [SearchHit(segment=row[0], snippet=_markup(row[1])) for row in rows]


# The FTS5 table is not a model: it is created by DDL above and queried through this handle.
_fts = table("segment_fts", column("rowid"), column("rank"))


# FTS5 takes only letters, digits and _ as a bare word; "don't" or "10:30" must be quoted.
_FTS5_TOKEN = re.compile(r'"[^"]*"|[()]|[^\s()"]+|"')
_FTS5_BAREWORD = re.compile(r"\w+\*?")
_FTS5_OPERATORS = {"AND", "OR", "NOT", "NEAR"}


def _fts5_query(query: str) -> str:
    """Quote words FTS5 would read as syntax, keeping phrases, operators, groups and prefixes."""
    return " ".join(
        token
        if token[0] in '"()' or token in _FTS5_OPERATORS or _FTS5_BAREWORD.fullmatch(token)
        else f'"{token}"'
        for token in _FTS5_TOKEN.findall(query)
    )


def _sqlite_match(query: str):
    snippet = func.highlight(literal_column("segment_fts"), 0, _OPEN, _CLOSE)
    stmt = (
        select(Segment, snippet)
        .join(_fts, _fts.c.rowid == Segment.id)
        .where(literal_column("segment_fts").op("MATCH")(_fts5_query(query)))
    )
    return stmt, _fts.c.rank, snippet


def _postgres_match(query: str):
    tsquery = func.websearch_to_tsquery("english", query)
    vector = func.to_tsvector("english", Segment.text)
    snippet = func.ts_headline(
        "english",
        Segment.text,
        tsquery,
        f"StartSel={_OPEN}, StopSel={_CLOSE}, HighlightAll=true",
    )
    stmt = select(Segment, snippet).where(vector.op("@@")(tsquery))
    return stmt, func.ts_rank(vector, tsquery).desc(), snippet


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

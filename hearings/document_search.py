"""Full-text search over document pages, with the search box's words and filters.

The same query language and stemming as the lines of testimony (hearings.search_syntax):
SQLite's FTS5 with the porter tokenizer, PostgreSQL's hearing_english configuration over a
stored tsvector. Each hit is one page, with a snippet of its matched words.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import (
    DDL,
    and_,
    column,
    event,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from hearings.documents import of_body
from hearings.models import Document, DocumentPage, Hearing, Testimony
from hearings.models.base import DbSession
from hearings.models.testimony import testimony_organizations
from hearings.search import (
    _CLOSE,
    _OPEN,
    COUNT_LIMIT,
    SearchFilters,
    _count,
    _hearing_conditions,
    _markup,
)
from hearings.search_syntax import CONFIG, ParsedQuery, fts5, parse, tsquery

event.listen(
    DocumentPage.__table__,
    "after_create",
    DDL(
        "CREATE VIRTUAL TABLE IF NOT EXISTS document_page_fts USING fts5("
        "text, content='document_pages', content_rowid='id', tokenize='porter unicode61')"
    ).execute_if(dialect="sqlite"),
)
event.listen(
    DocumentPage.__table__,
    "before_drop",
    DDL("DROP TABLE IF EXISTS document_page_fts").execute_if(dialect="sqlite"),
)
# As for lines (hearings.search): letters and digits only, the configuration hearings.search
# creates with the segments table, which is created first.
POSTGRES_DOCUMENT_DDL = (
    "ALTER TABLE document_pages ADD COLUMN IF NOT EXISTS text_search tsvector GENERATED ALWAYS "
    "AS (to_tsvector('hearing_english'::regconfig, "
    "regexp_replace(text, '[^[:alnum:][:space:]]+', ' ', 'g'))) STORED",
    "CREATE INDEX IF NOT EXISTS ix_document_pages_text_search ON document_pages "
    "USING gin (text_search)",
)
for statement in POSTGRES_DOCUMENT_DDL:
    event.listen(
        DocumentPage.__table__, "after_create", DDL(statement).execute_if(dialect="postgresql")
    )

_fts = table("document_page_fts", column("rowid"), column("rank"))
_text_search: ColumnElement = literal_column("document_pages.text_search")
SNIPPET_WORDS = 24


@dataclass
class PageHit:
    page: DocumentPage
    snippet: Markup

    @property
    def document(self) -> Document:
        return self.page.document


@dataclass
class PageResults:
    hits: list[PageHit]
    total: int
    page: int
    per_page: int
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def search_pages(
    session: DbSession,
    query: str,
    filters: SearchFilters | None = None,
    page: int = 1,
    per_page: int = 5,
) -> PageResults:
    """Return a page of document pages with the words, best first (no words: none)."""
    filters = filters or SearchFilters()
    parsed = parse(query)
    page = max(1, page)
    if parsed.empty:
        return PageResults([], 0, page, per_page)
    if session.get_bind().dialect.name == "sqlite":
        stmt, order = _sqlite_matching(parsed)
    else:
        stmt, order = _postgres_matching(parsed)
    stmt = _apply_filters(stmt, filters)
    total, more = _count(session, stmt, COUNT_LIMIT)
    rows = session.execute(
        stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return PageResults(_load(session, rows), total, page, per_page, more)


def _sqlite_matching(parsed: ParsedQuery):
    snippet = func.snippet(
        literal_column("document_page_fts"), 0, _OPEN, _CLOSE, "…", SNIPPET_WORDS
    )
    stmt = (
        select(DocumentPage.id, snippet)
        .join(_fts, _fts.c.rowid == DocumentPage.id)
        .where(literal_column("document_page_fts").op("MATCH")(fts5(parsed)))
    )
    return stmt, (_fts.c.rank, DocumentPage.id)


def _postgres_matching(parsed: ParsedQuery):
    query = tsquery(parsed)
    snippet = func.ts_headline(
        CONFIG,
        DocumentPage.text,
        query,
        f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords={SNIPPET_WORDS}, MinWords=8, "
        'MaxFragments=2, FragmentDelimiter=" … "',
    )
    stmt = select(DocumentPage.id, snippet).where(_text_search.op("@@")(query))
    return stmt, (func.ts_rank(_text_search, query).desc(), DocumentPage.id)


def _apply_filters(stmt, filters: SearchFilters):
    """Filter pages by their document's hearing or matter (and, for a written comment, by
    who sent it and the position a clerk confirmed)."""
    stmt = stmt.join(Document, Document.id == DocumentPage.document_id).where(
        Document.state.in_(("reading", "read"))
    )
    if filters.hearing_id:
        stmt = stmt.where(Document.hearing_id == filters.hearing_id)
    if filters.matter_id:
        stmt = stmt.where(Document.matter_id == filters.matter_id)
    if filters.body_id:
        stmt = stmt.where(of_body(filters.body_id))
    if filters.date_from or filters.date_to:
        # A document is dated by its hearing; one attached only to a matter, by its upload.
        dates = SearchFilters(date_from=filters.date_from, date_to=filters.date_to)
        hearing_days = select(Hearing.id).where(*_hearing_conditions(dates))
        uploaded: list[ColumnElement[bool]] = [Document.hearing_id.is_(None)]
        if filters.date_from:
            uploaded.append(func.date(Document.uploaded_at) >= filters.date_from)
        if filters.date_to:
            uploaded.append(func.date(Document.uploaded_at) <= filters.date_to)
        stmt = stmt.where(or_(Document.hearing_id.in_(hearing_days), and_(*uploaded)))
    if filters.person_id or filters.organization_id or filters.position:
        sent = select(Testimony.id).where(Testimony.id == Document.testimony_id)
        if filters.person_id:
            sent = sent.where(Testimony.person_id == filters.person_id)
        if filters.organization_id:
            sent = sent.where(
                exists().where(
                    testimony_organizations.c.testimony_id == Testimony.id,
                    testimony_organizations.c.organization_id == filters.organization_id,
                )
            )
        if filters.position:
            sent = sent.where(
                Testimony.position == filters.position, Testimony.position_confirmed.is_(True)
            )
        stmt = stmt.where(sent.exists())
    return stmt


def _load(session: DbSession, rows) -> list[PageHit]:
    if not rows:
        return []
    found = {
        page.id: page
        for page in session.scalars(
            select(DocumentPage)
            .where(DocumentPage.id.in_([row[0] for row in rows]))
            .options(
                joinedload(DocumentPage.document).joinedload(Document.hearing),
                joinedload(DocumentPage.document).joinedload(Document.matter),
            )
        )
    }
    return [PageHit(found[row[0]], _markup(row[1] or "")) for row in rows if row[0] in found]

"""What the public may see: published hearings only; drafts are for staff.

One rule, applied where rows are read rather than in each page: while a request is made by
someone who is not staff, every ORM query gets criteria that leave out draft hearings and
everything of theirs (lines, speakers, testimony, agenda, corrections). A page, a search, a
feed or an export cannot forget it. Work outside a request (the worker, the command line)
sees everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, g, has_app_context, has_request_context
from sqlalchemy import and_, event, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, aliased, with_loader_criteria

from hearings.models import (
    AgendaItem,
    CheckedRange,
    Document,
    DocumentPage,
    Hearing,
    LineRevision,
    Redaction,
    Segment,
    Speaker,
    Testimony,
)

# Its own alias, so a query that already reads hearings does not correlate this one away.
_PUBLISHED = aliased(Hearing, name="published_hearing")
_PUBLIC_DOCUMENT = aliased(Document, name="public_document")


def _published_ids():
    return select(Hearing.id).where(Hearing.published_at.is_not(None))


def _public_criteria() -> list:
    # A withdrawn hearing keeps its page, to say publicly why it was withdrawn; nothing else
    # of it (lines, recording, testimony) stays public.
    options = [
        with_loader_criteria(
            Hearing,
            lambda cls: or_(cls.published_at.is_not(None), cls.withdrawn_at.is_not(None)),
            include_aliases=True,
        ),
        with_loader_criteria(
            Testimony,
            lambda cls: or_(cls.hearing_id.is_(None), cls.hearing_id.in_(_published_ids())),
            include_aliases=True,
        ),
    ]
    # A document is public once a clerk publishes it, and a hearing's once the hearing is. A
    # withdrawn one keeps its page, to say why; its file and pages are not public.
    options.append(
        with_loader_criteria(
            Document,
            lambda cls: and_(
                or_(cls.published_at.is_not(None), cls.withdrawn_at.is_not(None)),
                or_(cls.hearing_id.is_(None), cls.hearing_id.in_(_published_ids())),
            ),
            include_aliases=True,
        )
    )
    options.append(
        with_loader_criteria(
            DocumentPage,
            lambda cls: (
                select(_PUBLIC_DOCUMENT.id)
                .where(
                    _PUBLIC_DOCUMENT.id == cls.document_id,
                    _PUBLIC_DOCUMENT.published_at.is_not(None),
                    or_(
                        _PUBLIC_DOCUMENT.hearing_id.is_(None),
                        _PUBLIC_DOCUMENT.hearing_id.in_(_published_ids()),
                    ),
                )
                .correlate_except(_PUBLIC_DOCUMENT)
                .exists()
            ),
            include_aliases=True,
        )
    )
    # Asked of each row (its hearing by primary key) rather than as a list of published
    # hearings: given a list, SQLite walks it instead of the hearings in date order, and
    # browsing an archive newest first then sorted 100,000 lines (350 ms instead of 5).
    for model in (Segment, Speaker, AgendaItem, LineRevision, Redaction, CheckedRange):
        options.append(
            with_loader_criteria(
                model,
                lambda cls: (
                    select(_PUBLISHED.id)
                    .where(_PUBLISHED.id == cls.hearing_id, _PUBLISHED.published_at.is_not(None))
                    .correlate_except(_PUBLISHED)
                    .exists()
                ),
                include_aliases=True,
            )
        )
    return options


_PUBLIC = _public_criteria()


def background_work() -> None:
    """Mark this app context as the worker's: it sees every hearing.

    Tests run queued jobs inline, inside the request that queued them, in an app context of
    their own; without the mark the closed-by-default rule would hide drafts from the job.
    """
    g.sees_drafts = True


def limited_to_public() -> bool:
    """Return whether queries now see only the published record (a request not by staff,
    or work done on the public's behalf: see public_view)."""
    if has_app_context() and g.get("public_only", False):
        return True
    # Closed by default: a request not yet known to be staff's is the public's.
    return has_request_context() and not g.get("sees_drafts", False)


@contextmanager
def public_view() -> Iterator[None]:
    """Read as the public inside the block, in a worker or a command as in a request: what
    is made there (the bulk export) leaves the site, so it holds only the public record."""
    before = g.get("public_only", False)
    g.public_only = True
    try:
        yield
    finally:
        g.public_only = before


def _limit_to_public_record(state: ORMExecuteState) -> None:
    if not limited_to_public():
        return
    if state.is_select:
        # Lazy loads of relationships carry the criteria too, so a public page that follows
        # person -> testimony -> lines reaches no draft.
        state.statement = state.statement.options(*_PUBLIC)


def install(app: Flask) -> None:
    """Decide per request who is asking, and filter every query of a public request."""
    from flask_login import current_user

    @app.before_request
    def who_is_asking() -> None:
        # Decided before any page queries: loading the account itself is not filtered.
        g.sees_drafts = bool(current_user.is_authenticated and current_user.can_correct)

    if not event.contains(Session, "do_orm_execute", _limit_to_public_record):
        event.listen(Session, "do_orm_execute", _limit_to_public_record)

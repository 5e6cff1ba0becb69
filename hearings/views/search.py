"""Search the record: what was said, and the matters, people, organizations and concerns."""

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from hearings.document_search import search_pages
from hearings.extensions import db, htmx, limiter
from hearings.feeds import search_feed
from hearings.models.testimony import POSITIONS
from hearings.record_search import search_records
from hearings.search import (
    NAME_KINDS,
    LineResults,
    filter_choices,
    name_choices,
    read_search,
    search_lines,
)
from hearings.search_syntax import parse

bp = Blueprint("search", __name__)

# Deep pages of a common word cost the database more than any reader goes through.
MAX_PAGE = 500
# Document pages shown beside the lines, and per page when browsing them alone.
DOCUMENT_PREVIEW = 5
DOCUMENT_PAGE = 20


@bp.get("/search")
@limiter.limit(lambda: current_app.config["SEARCH_LIMIT"])
def search():
    """Search published transcripts and the record; htmx requests get only the results."""
    query, filters, unknown = read_search(db.session, request.args)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    # ?in=documents pages through the document pages alone; otherwise the best few of them
    # are shown beside the lines.
    in_documents = request.args.get("in") == "documents"
    if unknown or in_documents:
        lines = LineResults([], 0, page, 20, searched=True)
    else:
        lines = search_lines(db.session, query, filters, page=page)
    documents = None
    if not unknown:
        documents = search_pages(
            db.session,
            query,
            filters,
            page=page if in_documents else 1,
            per_page=DOCUMENT_PAGE if in_documents else DOCUMENT_PREVIEW,
        )
    # The rest of the record is offered once, beside the first page of lines.
    records = search_records(db.session, parse(query)) if page == 1 and not in_documents else None
    template = "search/_results.html" if htmx else "search/search.html"
    return render_template(
        template,
        query=query,
        lines=lines,
        documents=documents,
        in_documents=in_documents,
        records=records,
        filters=filters,
        unknown=unknown,
        positions=POSITIONS,
        feed_args=_feed_args(),
        **filter_choices(db.session, filters),
    )


def _feed_args() -> dict:
    """The search's own arguments, without the page: what its feed is asked with."""
    return {k: v for k, v in request.args.items() if k != "page" and v}


@bp.get("/search/feed.atom")
@limiter.limit(lambda: current_app.config["SEARCH_LIMIT"])
def feed():
    """An Atom feed of a saved search: its 50 newest lines, whatever their rank."""
    query, filters, unknown = read_search(db.session, request.args)
    if not query and not filters.any():
        abort(400, "A feed follows a search: give words (q=) or a filter.")
    hits = [] if unknown else search_lines(db.session, query, filters, 1, 50, True).hits
    args = _feed_args()
    # Typed words may hold what XML cannot carry (control characters); the feed's title drops it.
    shown = "".join(ch for ch in query if ch.isprintable())
    described = f"“{shown}”" if query else "lines"
    if filters.any() or unknown:
        described += " (with filters)"
    xml = search_feed(
        hits,
        described,
        url_for("search.search", _external=True, **args),
        url_for("search.feed", _external=True, **args),
        lambda endpoint, **values: url_for(endpoint, _external=True, **values),
        current_app.config["SITE_NAME"],
    )
    return Response(xml, mimetype="application/atom+xml")


@bp.get("/search/choices/<kind>")
@limiter.limit(lambda: current_app.config["SEARCH_LIMIT"])
def choices(kind: str):
    """Suggest the speakers, organizations or matters a name being typed may mean."""
    if kind not in NAME_KINDS:
        abort(404)
    typed = request.args.get(f"{kind}_name", "")
    return render_template(
        "search/_choices.html", kind=kind, choices=name_choices(db.session, kind, typed)
    )

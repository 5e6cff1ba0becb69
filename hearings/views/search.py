"""Search the record: what was said, and the matters, people, organizations and concerns."""

from flask import Blueprint, current_app, render_template, request

from hearings.extensions import db, htmx, limiter
from hearings.models.testimony import POSITIONS
from hearings.record_ids import optional_record_id
from hearings.record_search import search_records
from hearings.search import SearchFilters, filter_choices, search_lines
from hearings.search_syntax import parse

bp = Blueprint("search", __name__)

# Deep pages of a common word cost the database more than any reader goes through.
MAX_PAGE = 500


@bp.get("/search")
@limiter.limit(lambda: current_app.config["SEARCH_LIMIT"])
def search():
    """Search published transcripts and the record; htmx requests get only the results."""
    query = request.args.get("q", "").strip()[:500]
    filters = SearchFilters(
        body_id=optional_record_id(request.args.get("body")),
        person_id=optional_record_id(request.args.get("person")),
        organization_id=optional_record_id(request.args.get("organization")),
        matter_id=optional_record_id(request.args.get("matter")),
        position=request.args.get("position")
        if request.args.get("position") in POSITIONS
        else None,
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
    )
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    lines = search_lines(db.session, query, filters, page=page)
    # The rest of the record is offered once, beside the first page of lines.
    records = search_records(db.session, parse(query)) if page == 1 else None
    template = "search/_results.html" if htmx else "search/search.html"
    return render_template(
        template,
        query=query,
        lines=lines,
        records=records,
        filters=filters,
        positions=POSITIONS,
        **filter_choices(db.session),
    )


def _date_arg(name: str):
    from datetime import date

    value = request.args.get(name, "")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None

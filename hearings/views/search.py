"""Search everything that was said."""

from flask import Blueprint, current_app, render_template, request

from hearings.extensions import db, htmx, limiter
from hearings.models.testimony import POSITIONS
from hearings.record_ids import optional_record_id
from hearings.search import SearchFilters, SearchSyntaxError, filter_choices, search_segments

bp = Blueprint("search", __name__)


@bp.get("/search")
@limiter.limit(lambda: current_app.config["SEARCH_LIMIT"])
def search():
    """Search published transcripts; htmx requests get only the results."""
    query = request.args.get("q", "").strip()
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
    hits, error = [], None
    try:
        hits = search_segments(db.session, query, filters)
    except SearchSyntaxError as problem:
        error = str(problem)
    template = "search/_results.html" if htmx else "search/search.html"
    return render_template(
        template,
        query=query,
        hits=hits,
        error=error,
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

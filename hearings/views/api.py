"""The read-only open data API under /api/v1/: the public record as JSON, for reporters and
researchers. Always the public's view, even for a signed-in clerk; rate limited like search.

Lists answer {"items": [...], "next_cursor": "..." | null}; pass ?cursor= to get the next page
and ?limit= (1-500) to size it. Bad parameters get a 400 with {"error": "..."}.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from hearings import open_data
from hearings.agenda import agenda_for_hearing
from hearings.errors import Malformed
from hearings.extensions import db, limiter
from hearings.models import (
    Body,
    Document,
    Hearing,
    Matter,
    Organization,
    Person,
    Segment,
    Testimony,
)
from hearings.models.testimony import POSITIONS
from hearings.open_data import ListFilters, Page
from hearings.openapi import openapi_description
from hearings.record_ids import record_id
from hearings.search import SearchFilters, search_lines

bp = Blueprint("api", __name__, url_prefix="/api/v1")
limiter.limit(lambda: current_app.config["API_LIMIT"])(bp)


@bp.before_request
def as_the_public() -> None:
    # Runs after the app decided who is asking: the API never shows drafts, to anyone.
    g.sees_drafts = False


@bp.after_request
def readable_from_any_site(response):
    # Public, read-only and the same for everyone: a researcher's page on another site may
    # read it (no cookies are honoured: every answer is the public's).
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.errorhandler(Malformed)
def malformed(problem: Malformed):
    return jsonify(error=str(problem)), 400


def http_error(error: HTTPException):
    response = jsonify(error=error.description)
    response.status_code = error.code or 500
    # A 429 keeps Retry-After and the limit headers Flask-Limiter set.
    for name, value in error.get_response().headers.items():
        if name.lower() == "retry-after" or name.lower().startswith("x-ratelimit"):
            response.headers[name] = value
    return response


# By code, not only by class: the site's own pages for these codes would otherwise win.
for _code in (400, 404, 405, 429):
    bp.register_error_handler(_code, http_error)
bp.register_error_handler(HTTPException, http_error)


def _public(model, row_id: int, missing: str):
    """Read one row by a query, never the session's identity map: a query carries the public
    record's rule (a draft hearing's rows are not found), a cached object would not."""
    return db.first_or_404(select(model).where(model.id == row_id), description=missing)


def _link(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def _id(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return record_id(raw)
    except ValueError:
        raise Malformed(f"{name} is a record id (a whole number).") from None


def _day(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Malformed(f"{name} is a date written YYYY-MM-DD.") from None


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None:
        return open_data.PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= open_data.MAX_PAGE_SIZE:
        raise Malformed(f"limit is a whole number from 1 to {open_data.MAX_PAGE_SIZE}.")
    return int(raw)


def _position() -> str | None:
    position = request.args.get("position") or None
    if position is not None and position not in POSITIONS:
        raise Malformed(f"position is one of {', '.join(POSITIONS)}.")
    return position


def _filters() -> ListFilters:
    return ListFilters(
        body=_id("body"),
        matter=_id("matter"),
        person=_id("person"),
        organization=_id("organization"),
        hearing=_id("hearing"),
        position=_position(),
        date_from=_day("from"),
        date_to=_day("to"),
    )


def _search_filters() -> SearchFilters:
    """The list filters, as the search page takes them."""
    filters = _filters()
    return SearchFilters(
        body_id=filters.body,
        hearing_id=filters.hearing,
        person_id=filters.person,
        organization_id=filters.organization,
        matter_id=filters.matter,
        position=filters.position,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )


# Searches are paged by number (the search page's pages), carried in the cursor.
MAX_SEARCH_PAGE = 500


def _search_page_number() -> int:
    decoded = open_data.decode_cursor(_cursor(), 1)
    number = decoded[0] if decoded else 1
    if not 1 <= number <= MAX_SEARCH_PAGE:
        raise Malformed("That cursor is not one this API gave; start again without it.")
    return number


def _next_search_cursor(number: int, has_next: bool) -> str | None:
    more = has_next and number < MAX_SEARCH_PAGE
    return open_data.encode_cursor([number + 1]) if more else None


def _public_document(document_id: int) -> Document:
    """A published document: one withdrawn keeps its page on the site, but not here."""
    return db.first_or_404(
        select(Document).where(Document.id == document_id, Document.published_at.is_not(None)),
        description="No public document has that id.",
    )


def _page(page: Page):
    return jsonify(items=page.items, next_cursor=page.next_cursor)


def _cursor() -> str | None:
    return request.args.get("cursor") or None


@bp.get("/")
def index():
    """What the API has, with a link to each list and to its OpenAPI description."""
    lists = ("hearings", "lines", "people", "organizations", "bodies", "matters",
             "agenda_items", "testimony", "votes", "documents")  # fmt: skip
    return jsonify(
        description="The public record of hearings, testimony and votes, read-only.",
        openapi=_link("api.openapi"),
        lists={
            **{name: _link(f"api.{name}") for name in lists},
            "document_pages": _link("api.document_pages_search"),
        },
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_description(_link("api.index").rstrip("/")))


@bp.get("/hearings")
def hearings():
    return _page(open_data.hearings_page(db.session, _filters(), _cursor(), _limit(), _link))


@bp.get("/hearings/<int:hearing_id>")
def hearing(hearing_id: int):
    found = _public(Hearing, hearing_id, "No public hearing has that id.")
    data = open_data.hearing_data(found, _link)
    data["agenda_items"] = [
        open_data.agenda_item_data(item) for item in agenda_for_hearing(db.session, found)
    ]
    return jsonify(data)


@bp.get("/hearings/<int:hearing_id>/lines")
def hearing_lines(hearing_id: int):
    """A hearing's transcript lines in order, one speaker's with ?speaker=<label id>."""
    found = _public(Hearing, hearing_id, "No public hearing has that id.")
    page = open_data.lines_page(db.session, found, _id("speaker"), _cursor(), _limit(), _link)
    return _page(page)


@bp.get("/lines")
def lines():
    """Lines with the words of ?q= (the search page's syntax), filtered as the search page is."""
    query = request.args.get("q", "").strip()[:500]
    chosen = _search_filters()
    if not query and not chosen.any():
        raise Malformed(
            "Give words (q=) or a filter; a hearing's whole transcript is at "
            "/api/v1/hearings/<id>/lines."
        )
    number = _search_page_number()
    found = search_lines(db.session, query, chosen, page=number, per_page=min(_limit(), 100))
    items = []
    for hit in found.hits:
        item = open_data.line_data(hit.segment, _link)
        item["snippet"] = str(hit.snippet)
        items.append(item)
    return jsonify(
        items=items,
        next_cursor=_next_search_cursor(number, found.has_next),
        total=found.total,
        # True when counting stopped: there are at least this many.
        total_is_lower_bound=found.more,
        order="best first" if found.ranked and not found.browsing else "latest first",
    )


@bp.get("/lines/<int:line_id>")
def line(line_id: int):
    found = _public(Segment, line_id, "No public line has that id.")
    return jsonify(open_data.line_data(found, _link))


@bp.get("/people")
def people():
    return _page(open_data.people_page(db.session, _filters(), _cursor(), _limit()))


@bp.get("/people/<int:person_id>")
def person(person_id: int):
    found = db.get_or_404(Person, person_id, description="No person has that id.")
    return jsonify(open_data.person_data(found))


@bp.get("/organizations")
def organizations():
    return _page(open_data.organizations_page(db.session, _cursor(), _limit()))


@bp.get("/organizations/<int:organization_id>")
def organization(organization_id: int):
    found = db.get_or_404(Organization, organization_id, description="No such organization.")
    return jsonify(open_data.organization_data(found))


@bp.get("/bodies")
def bodies():
    return _page(open_data.bodies_page(db.session, _cursor(), _limit()))


@bp.get("/bodies/<int:body_id>")
def body(body_id: int):
    found = db.get_or_404(Body, body_id, description="No body has that id.")
    seats = open_data.memberships_of(db.session, [found.id])[found.id]
    return jsonify(open_data.body_data(found, seats))


@bp.get("/matters")
def matters():
    return _page(open_data.matters_page(db.session, _filters(), _cursor(), _limit()))


@bp.get("/matters/<int:matter_id>")
def matter(matter_id: int):
    found = db.get_or_404(Matter, matter_id, description="No matter has that id.")
    return jsonify(open_data.matter_data(found))


@bp.get("/agenda_items")
def agenda_items():
    return _page(open_data.agenda_page(db.session, _filters(), _cursor(), _limit()))


@bp.get("/testimony")
def testimony():
    return _page(open_data.testimony_page(db.session, _filters(), _cursor(), _limit()))


@bp.get("/testimony/<int:testimony_id>")
def one_testimony(testimony_id: int):
    found = _public(Testimony, testimony_id, "No public testimony has that id.")
    return jsonify(open_data.testimony_data(found))


@bp.get("/documents")
def documents():
    """Public documents: agenda packets, presentations, minutes, written comments."""
    return _page(open_data.documents_page(db.session, _filters(), _cursor(), _limit(), _link))


@bp.get("/documents/<int:document_id>")
def document(document_id: int):
    found = _public_document(document_id)
    return jsonify(open_data.document_data(found, _link))


@bp.get("/documents/<int:document_id>/pages")
def document_pages(document_id: int):
    """A document's pages in order, with their text."""
    found = _public_document(document_id)
    return _page(open_data.document_pages_page(db.session, found, _cursor(), _limit(), _link))


@bp.get("/document_pages")
def document_pages_search():
    """Document pages with the words of ?q= (the search page's syntax), best first."""
    from hearings.document_search import search_pages

    query = request.args.get("q", "").strip()[:500]
    if not query:
        raise Malformed("Give the words to find (q=).")
    chosen = _search_filters()
    number = _search_page_number()
    found = search_pages(db.session, query, chosen, page=number, per_page=min(_limit(), 100))
    items = [
        {**open_data.document_page_data(hit.page, _link), "document_title": hit.document.title}
        for hit in found.hits
    ]
    return jsonify(items=items, next_cursor=_next_search_cursor(number, found.has_next))


@bp.get("/export.zip")
def export():
    """The whole public record in one file (JSON lines and CSV; see hearings/bulk_export.py).

    Built by the worker every night; when there is none yet, one is asked for.
    """
    from flask import send_file

    from hearings.bulk_export import FILE_NAME

    path = Path(current_app.config["EXPORT_FOLDER"]) / FILE_NAME
    if not path.is_file():
        current_app.extensions["task_queue"].enqueue_public_export()
    if not path.is_file():
        response = jsonify(error="The export is being prepared; try again in a few minutes.")
        response.headers["Retry-After"] = "300"
        return response, 503
    return send_file(path, mimetype="application/zip", as_attachment=True,
                     download_name="public-record.zip", conditional=True, max_age=3600)  # fmt: skip


@bp.get("/votes")
def votes():
    return _page(open_data.votes_page(db.session, _filters(), _cursor(), _limit()))

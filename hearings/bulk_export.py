"""The whole public record in one file, for researchers: a zip of JSON lines and CSV.

People, organizations (bodies among them), memberships and votes are in the Popolo shape that
Open Civic Data uses; hearings, lines, matters, agenda items and testimony in the API's own
shape (hearings.open_data). It is written as the public reads (public_record.public_view): a
draft hearing, its lines and its testimony are not in it, whoever runs the export.

The zip is written beside its final place and renamed over it when complete, so a download
never gets half a file, and lines are read in batches, so an archive of 600,000 lines does not
sit in memory.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hearings import open_data
from hearings.models import (
    AgendaItem,
    Body,
    Document,
    DocumentPage,
    Hearing,
    Matter,
    Membership,
    Organization,
    Person,
    Segment,
    Speaker,
    Testimony,
    VoteEvent,
)
from hearings.models.base import DbSession
from hearings.public_record import public_view
from hearings.spreadsheets import spreadsheet_cell

FILE_NAME = "public-record.zip"
BATCH = 2000

README = """The public record of {site}, exported {when} (UTC).

Only what the site shows the public: published hearings, their transcript lines as corrected
by the clerks (withheld words stay withheld), testimony with the positions a clerk recorded
(a machine suggestion is "not_stated"), and roll-call votes.

JSON lines (one record a line):
  hearings.jsonl, lines.jsonl, matters.jsonl, agenda_items.jsonl, testimony.jsonl
    the shapes of the open data API: {api}
  people.jsonl, organizations.jsonl, memberships.jsonl, vote_events.jsonl
    Popolo (https://www.popoloproject.com/), as Open Civic Data uses it. Ids are
    "person/12", "organization/5" (a group that testified) and "body/3" (a council or
    committee, classification "legislature" or "committee").
  documents.jsonl, document_pages.jsonl
    agenda packets, presentations, minutes and written comments, and the text of each page
    (method "ocr": read from a scan, may have errors; the file at file_url is the record).
CSV (UTF-8, one header row): lines.csv, testimony.csv, votes.csv (a row per member's vote).

Times are seconds from the start of the hearing's recording.
"""


def write_public_record(session: DbSession, folder: Path, link: Callable[..., str], site: str):
    """Write the export to ``folder``/public-record.zip (atomically); return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / FILE_NAME
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".public-record-", suffix=".zip")
    os.close(handle)
    try:
        with public_view(), zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
            api = link("api.index")
            archive.writestr("README.txt", README.format(site=site, when=when, api=api))
            _jsonl(archive, "hearings.jsonl", _hearings(session, link))
            lines = ((line, open_data.line_data(line, link)) for line in _lines(session))
            _jsonl_and_csv(archive, "lines.jsonl", lines, LINES_CSV)
            _jsonl(archive, "matters.jsonl", map(open_data.matter_data, _all(session, Matter)))
            items = _all(session, AgendaItem)
            _jsonl(archive, "agenda_items.jsonl", map(open_data.agenda_item_data, items))
            testimony = ((t, open_data.testimony_data(t)) for t in _testimony(session))
            _jsonl_and_csv(archive, "testimony.jsonl", testimony, TESTIMONY_CSV)
            _jsonl(archive, "people.jsonl", map(popolo_person, _all(session, Person)))
            _jsonl(archive, "organizations.jsonl", _organizations(session))
            _jsonl(archive, "memberships.jsonl", map(popolo_membership, _all(session, Membership)))
            votes = ((event, popolo_vote_event(event)) for event in _votes(session))
            _jsonl_and_csv(archive, "vote_events.jsonl", votes, VOTES_CSV)
            documents = _published(session, Document)
            _jsonl(
                archive, "documents.jsonl", (open_data.document_data(d, link) for d in documents)
            )
            pages = _published(session, DocumentPage)
            _jsonl(
                archive,
                "document_pages.jsonl",
                (open_data.document_page_data(p, link) for p in pages),
            )
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


# --- Popolo shapes ---------------------------------------------------------------------------


def popolo_person(person: Person) -> dict:
    data: dict = {"id": f"person/{person.id}", "name": person.name}
    if person.title:
        data["honorific_prefix" if person.title.lower() == "alderperson" else "summary"] = (
            person.title
        )
    if person.organization_id:
        data["organization_id"] = f"organization/{person.organization_id}"
    return data


def popolo_organization(organization: Organization) -> dict:
    data: dict = {
        "id": f"organization/{organization.id}",
        "name": organization.name,
        "classification": organization.kind or "organization",
        "other_names": [{"name": alias.name} for alias in organization.aliases],
    }
    if organization.url:
        data["links"] = [{"url": organization.url}]
    return data


def popolo_body(body: Body) -> dict:
    council = "council" in body.name.lower()
    return {
        "id": f"body/{body.id}",
        "name": body.name,
        "classification": "legislature" if council else "committee",
        "seats": body.size,
    }


def popolo_membership(membership: Membership) -> dict:
    return {
        "person_id": f"person/{membership.person_id}",
        "organization_id": f"body/{membership.body_id}",
        "role": membership.role,
        "label": membership.seat,
        "start_date": open_data.iso_day(membership.start_date),
        "end_date": open_data.iso_day(membership.end_date),
    }


def popolo_vote_event(event: VoteEvent) -> dict:
    shown = open_data.vote_data(event)
    counts: dict[str, int] = {}
    for vote in event.votes:
        counts[vote.value] = counts.get(vote.value, 0) + 1
    return {
        "id": f"vote_event/{event.id}",
        "organization_id": f"body/{event.body_id}",
        "motion": {"text": event.motion},
        "start_date": shown["date"],
        "result": shown["result"],
        "counts": [{"option": option, "value": n} for option, n in sorted(counts.items())],
        "votes": [
            {"voter_id": f"person/{vote['person_id']}", "option": vote["vote"]}
            for vote in shown["votes"]
        ],
        "matter_id": event.matter_id,
        "hearing_id": event.hearing_id,
    }


# --- Reading ---------------------------------------------------------------------------------


def _all(session: DbSession, model) -> Iterator:
    yield from session.scalars(select(model).order_by(model.id).execution_options(yield_per=BATCH))


def _published(session: DbSession, model) -> Iterator:
    """Documents (or their pages) a clerk published, not only those withdrawn with a reason."""
    stmt = select(model)
    order: tuple = (Document.id,)
    if model is DocumentPage:
        stmt = stmt.join(Document, Document.id == DocumentPage.document_id)
        order = (DocumentPage.document_id, DocumentPage.number)
    stmt = stmt.where(Document.published_at.is_not(None)).order_by(*order)
    yield from session.scalars(stmt.execution_options(yield_per=BATCH))


def _hearings(session: DbSession, link) -> Iterator[dict]:
    stmt = select(Hearing).options(selectinload(Hearing.body), selectinload(Hearing.recording))
    for hearing in session.scalars(stmt.order_by(Hearing.id)):
        yield open_data.hearing_data(hearing, link)


def _lines(session: DbSession) -> Iterator[Segment]:
    # Speakers are few: loaded once, the lines find theirs in the session.
    session.scalars(select(Speaker).options(selectinload(Speaker.person))).all()
    stmt = (
        select(Segment)
        .order_by(Segment.hearing_id, Segment.start_ms, Segment.id)
        .execution_options(yield_per=BATCH)
    )
    yield from session.scalars(stmt)


def _testimony(session: DbSession) -> Iterator[Testimony]:
    stmt = select(Testimony).options(*open_data.TESTIMONY_SHOWN)
    # In batches: each testimony brings its lines (a 1,000-hour archive quotes 360,000).
    yield from session.scalars(stmt.order_by(Testimony.id).execution_options(yield_per=500))


def _organizations(session: DbSession) -> Iterator[dict]:
    for body in session.scalars(select(Body).order_by(Body.id)):
        yield popolo_body(body)
    stmt = select(Organization).options(selectinload(Organization.aliases))
    for organization in session.scalars(stmt.order_by(Organization.id)):
        yield popolo_organization(organization)


def _votes(session: DbSession) -> Iterator[VoteEvent]:
    stmt = select(VoteEvent).options(*open_data.VOTES_SHOWN)
    yield from session.scalars(stmt.order_by(VoteEvent.id))


@dataclass(frozen=True)
class Table:
    """A CSV member written beside a JSON lines member as its records pass: ``rows`` gives a
    record's rows from the row read and the record made of it."""

    name: str
    header: list[str]
    rows: Callable[[Any, dict], list[list]]


LINES_CSV = Table(
    "lines.csv",
    ["line_id", "hearing_id", "start", "end", "speaker", "person_id", "language", "text", "url"],
    lambda _, line: [[line["id"], line["hearing_id"], line["start"], line["end"],
                      line["speaker"], line["person_id"], line["language"], line["text"],
                      line["url"]]],
)  # fmt: skip
TESTIMONY_CSV = Table(
    "testimony.csv",
    ["testimony_id", "matter_id", "hearing_id", "person_id", "person", "kind", "position",
     "on_behalf_of", "concerns", "start", "end", "text"],
    lambda _, t: [[t["id"], t["matter_id"], t["hearing_id"], t["person"]["id"],
                   t["person"]["name"], t["kind"], t["position"],
                   "; ".join(o["name"] for o in t["on_behalf_of"]), "; ".join(t["concerns"]),
                   t["start"], t["end"], t["text"]]],
)  # fmt: skip


def _vote_rows(event: VoteEvent, _: dict) -> list[list]:
    """A row per member's vote, with the member's name (Popolo's votes carry only ids)."""
    shown = open_data.vote_data(event)
    return [[shown["id"], shown["date"], shown["body_id"], shown["matter_id"], shown["motion"],
             shown["result"], vote["person_id"], vote["name"], vote["vote"]]
            for vote in shown["votes"]]  # fmt: skip


VOTES_CSV = Table(
    "votes.csv",
    ["vote_event_id", "date", "body_id", "matter_id", "motion", "result", "person_id",
     "person", "vote"],
    _vote_rows,
)  # fmt: skip


# --- Writing ---------------------------------------------------------------------------------


def _jsonl(archive: zipfile.ZipFile, name: str, records: Iterable[dict]) -> None:
    with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _jsonl_and_csv(
    archive: zipfile.ZipFile, name: str, pairs: Iterable[tuple[Any, dict]], table: Table
) -> None:
    """Write (row read, record) pairs as JSON lines and the table's CSV rows in one pass over
    the rows: a zip takes one member at a time, so the CSV waits in a temporary file."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spill:
        writer = csv.writer(spill)
        writer.writerow(table.header)

        def records() -> Iterator[dict]:
            for row, record in pairs:
                for cells in table.rows(row, record):
                    writer.writerow([spreadsheet_cell(value) for value in cells])
                yield record

        _jsonl(archive, name, records())
        spill.seek(0)
        with (
            archive.open(table.name, "w") as raw,
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as out,
        ):
            shutil.copyfileobj(spill, out)

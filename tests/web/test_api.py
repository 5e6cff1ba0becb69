"""The open data API: the public record as JSON under /api/v1/, paged by cursor, filtered like
the search page, described in OpenAPI, rate limited, and never showing drafts to anyone."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest

from hearings import testimony as clerk_work
from hearings.extensions import db, limiter
from hearings.models import Hearing, Matter, PersonVote, VoteEvent
from tests.documents import stored_document
from tests.fakes import sample_transcript
from tests.web.test_speakers import stored_hearing


@pytest.fixture
def record(app, heard_matter):
    """The heard matter with Maria Lopez's testimony (oppose), a suggested-only one, a
    roll call of 15 (11 yes), and a draft hearing beside the published one."""
    with app.app_context():
        hearing = db.session.get(Hearing, heard_matter.hearing_id)
        matter = db.session.get(Matter, heard_matter.matter_id)
        oppose = clerk_work.create_oral_testimony(
            db.session, None, hearing, matter, [heard_matter.segments["SPEAKER_02"]],
            position="oppose", organization_names=["Riverwest Privacy Alliance"],
        )  # fmt: skip
        unconfirmed = clerk_work.create_oral_testimony(
            db.session, None, hearing, matter, [heard_matter.segments["SPEAKER_00"]],
            person_name="Chief of Staff",
        )  # fmt: skip
        unconfirmed.suggested_position = "support"
        event = VoteEvent(
            body_id=heard_matter.council_id,
            matter_id=matter.id,
            date=date(2026, 4, 7),
            motion="Block the use of facial recognition",
            threshold_rule="two_thirds_body",
        )
        event.votes = [
            PersonVote(person_id=pid, value="yes" if i < 11 else "no")
            for i, pid in enumerate(heard_matter.member_ids)
        ]
        db.session.add(event)
        db.session.commit()
        ids = {"oppose": oppose.id, "unconfirmed": unconfirmed.id, "vote": event.id}
    draft = stored_hearing(app, title="Draft budget hearing", transcript=sample_transcript())
    with app.app_context():
        db.session.get(Hearing, draft).published_at = None
        db.session.commit()
        ids["document"] = stored_document(
            db.session,
            ["Cover page.", "Memo: the department already uses facial recognition."],
            matter_id=heard_matter.matter_id,
            hearing_id=heard_matter.hearing_id,
        )
        ids["draft_document"] = stored_document(
            db.session, ["Draft budget facial recognition line."], hearing_id=draft
        )
    return {**ids, "hearing": heard_matter.hearing_id, "matter": heard_matter.matter_id,
            "draft": draft, "council": heard_matter.council_id}  # fmt: skip


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    return response.get_json()


def test_the_index_links_every_list_and_the_description(client, record):
    index = get(client, "/api/v1/")
    assert set(index["lists"]) >= {"hearings", "lines", "people", "testimony", "votes", "bodies"}
    assert index["openapi"].endswith("/api/v1/openapi.json")
    assert client.get("/api/v1/hearings").headers["Access-Control-Allow-Origin"] == "*"
    assert 'href="/api/v1/"' in client.get("/").get_data(as_text=True)


def test_every_route_is_described_and_every_described_path_answers(app, client, record):
    spec = get(client, "/api/v1/openapi.json")
    assert spec["openapi"].startswith("3.")
    routes = {
        re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and rule.rule not in ("/api/v1/", "/api/v1/openapi.json")
    }
    assert routes == set(spec["paths"])
    values = {"hearing_id": record["hearing"], "line_id": 1, "person_id": 1,
              "organization_id": 1, "body_id": record["council"], "matter_id": record["matter"],
              "testimony_id": record["oppose"], "document_id": record["document"]}  # fmt: skip
    for path in spec["paths"]:
        if path == "/export.zip":
            continue  # a zip, tested below
        searched = path in ("/lines", "/document_pages")
        url = "/api/v1" + path.format(**values) + ("?q=oppose" if searched else "")
        get(client, url)


def test_documents_and_their_pages_are_served_and_searched_but_not_drafts(
    client, clerk_client, record
):
    for who in (client, clerk_client):
        listed = get(who, "/api/v1/documents")
        assert [d["id"] for d in listed["items"]] == [record["document"]]
        one = get(who, f"/api/v1/documents/{record['document']}")
        assert (one["pages"], one["kind"], one["read"]) == (2, "agenda_packet", True)
        get(who, f"/api/v1/documents/{record['draft_document']}", 404)
        get(who, f"/api/v1/documents/{record['draft_document']}/pages", 404)
        pages = get(who, f"/api/v1/documents/{record['document']}/pages?limit=1")
        assert [p["number"] for p in pages["items"]] == [1]
        rest = get(
            who, f"/api/v1/documents/{record['document']}/pages?cursor={pages['next_cursor']}"
        )
        assert [p["number"] for p in rest["items"]] == [2]
        assert "already uses facial recognition" in rest["items"][0]["text"]
        found = get(who, "/api/v1/document_pages?q=facial+recognition")
        assert [(p["document_id"], p["number"]) for p in found["items"]] == [
            (record["document"], 2)
        ]
    filtered = get(client, f"/api/v1/documents?matter={record['matter']}&hearing=999")
    assert filtered["items"] == []
    get(client, "/api/v1/document_pages", 400)
    get(client, "/api/v1/documents?hearing=abc", 400)


def test_hearings_are_the_published_ones_even_for_a_clerk(client, clerk_client, record):
    for who in (client, clerk_client):
        listed = get(who, "/api/v1/hearings")
        assert [h["id"] for h in listed["items"]] == [record["hearing"]]
        assert listed["next_cursor"] is None
        get(who, f"/api/v1/hearings/{record['draft']}", 404)
        get(who, f"/api/v1/hearings/{record['draft']}/lines", 404)
    # The clerk sees the draft on the site itself.
    assert clerk_client.get(f"/hearings/{record['draft']}").status_code == 200


def test_a_hearings_lines_come_in_order_page_by_page(client, record):
    base = f"/api/v1/hearings/{record['hearing']}/lines?limit=2"
    seen, url, pages = [], base, 0
    while url:
        page = get(client, url)
        seen += page["items"]
        pages += 1
        url = f"{base}&cursor={page['next_cursor']}" if page["next_cursor"] else None
    assert pages == 2 and len(seen) == 3
    assert [line["start"] for line in seen] == sorted(line["start"] for line in seen)
    maria = next(line for line in seen if line["speaker_label"] == "SPEAKER_02")
    assert maria["speaker"] == "Maria Lopez" and maria["person_id"]
    assert maria["url"].endswith(f"/hearings/{record['hearing']}/at/{int(maria['start'] * 1000)}")


def test_lines_are_searched_with_the_search_pages_words_and_filters(client, record):
    found = get(client, f"/api/v1/lines?q=oppose&matter={record['matter']}&position=oppose")
    assert found["total"] == 1 and found["total_is_lower_bound"] is False
    assert "<mark>oppose</mark>" in found["items"][0]["snippet"].lower()
    assert get(client, "/api/v1/lines?q=oppose&position=support")["items"] == []
    problem = get(client, "/api/v1/lines", 400)
    assert "Give words" in problem["error"]


def test_testimony_shows_only_positions_a_clerk_recorded(client, record):
    listed = get(client, f"/api/v1/testimony?matter={record['matter']}")["items"]
    by_id = {t["id"]: t for t in listed}
    assert by_id[record["oppose"]]["position"] == "oppose"
    assert by_id[record["oppose"]]["on_behalf_of"][0]["name"] == "Riverwest Privacy Alliance"
    assert by_id[record["unconfirmed"]]["position"] == "not_stated"
    opposed = get(client, "/api/v1/testimony?position=oppose")["items"]
    assert [t["id"] for t in opposed] == [record["oppose"]]


def test_votes_carry_each_members_vote_and_the_result(client, record):
    votes = get(client, f"/api/v1/votes?matter={record['matter']}")["items"]
    assert len(votes) == 1
    vote = votes[0]
    assert vote["result"] == "pass" and vote["seats"] == 15
    assert sum(v["vote"] == "yes" for v in vote["votes"]) == 11 and len(vote["votes"]) == 15
    council = get(client, f"/api/v1/bodies/{record['council']}")
    assert len(council["memberships"]) == 15
    members = get(client, f"/api/v1/people?body={record['council']}&limit=500")["items"]
    assert len(members) == 15


@pytest.mark.parametrize(
    "url",
    ["/api/v1/hearings?cursor=bm9wZQ", "/api/v1/hearings?cursor=%%%", "/api/v1/hearings?limit=0",
     "/api/v1/hearings?limit=501", "/api/v1/hearings?body=abc", "/api/v1/hearings?from=yesterday",
     "/api/v1/testimony?position=maybe", "/api/v1/lines?q=x&cursor=WzEwMDAwXQ"],
)  # fmt: skip
def test_bad_parameters_get_a_clear_400_in_json(client, record, url):
    problem = get(client, url, 400)
    assert problem["error"] and "Traceback" not in problem["error"]


def test_unknown_records_are_404_in_json(client, record):
    assert "error" in get(client, "/api/v1/people/999999", 404)
    assert "error" in get(client, "/api/v1/testimony/999999", 404)


def test_a_cursor_survives_records_added_before_it(app, client, record):
    first = get(client, "/api/v1/people?limit=5")
    with app.app_context():
        from hearings.models import Person

        db.session.add(Person(name="Added later"))
        db.session.commit()
    rest = get(client, f"/api/v1/people?limit=500&cursor={first['next_cursor']}")["items"]
    ids = [p["id"] for p in first["items"]] + [p["id"] for p in rest]
    assert ids == sorted(set(ids))  # nothing repeated, nothing skipped, in id order


def _export(client) -> zipfile.ZipFile:
    with client.get("/api/v1/export.zip") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/zip"
        return zipfile.ZipFile(io.BytesIO(response.get_data()))


def _jsonl(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return [json.loads(line) for line in archive.read(name).decode().splitlines()]


def test_the_export_holds_the_public_record_in_popolo_and_csv(client, record):
    archive = _export(client)
    assert {"README.txt", "hearings.jsonl", "lines.jsonl", "people.jsonl", "organizations.jsonl",
            "memberships.jsonl", "vote_events.jsonl", "testimony.csv", "votes.csv",
            "lines.csv"} <= set(archive.namelist())  # fmt: skip
    assert [h["id"] for h in _jsonl(archive, "hearings.jsonl")] == [record["hearing"]]
    lines = _jsonl(archive, "lines.jsonl")
    assert lines and {line["hearing_id"] for line in lines} == {record["hearing"]}
    people = _jsonl(archive, "people.jsonl")
    assert all(p["id"].startswith("person/") for p in people)
    bodies = [o for o in _jsonl(archive, "organizations.jsonl") if o["id"].startswith("body/")]
    council = next(b for b in bodies if b["id"] == f"body/{record['council']}")
    assert council["classification"] == "legislature"
    memberships = _jsonl(archive, "memberships.jsonl")
    assert sum(m["organization_id"] == council["id"] for m in memberships) == 15
    (vote,) = _jsonl(archive, "vote_events.jsonl")
    assert vote["result"] == "pass"
    assert {c["option"]: c["value"] for c in vote["counts"]} == {"yes": 11, "no": 4}
    rows = list(csv.DictReader(io.StringIO(archive.read("testimony.csv").decode())))
    positions = {int(row["testimony_id"]): row["position"] for row in rows}
    assert positions == {record["oppose"]: "oppose", record["unconfirmed"]: "not_stated"}
    votes = list(csv.DictReader(io.StringIO(archive.read("votes.csv").decode())))
    assert len(votes) == 15
    # Documents: the public one and its pages; the draft hearing's is not there.
    assert [d["id"] for d in _jsonl(archive, "documents.jsonl")] == [record["document"]]
    pages = _jsonl(archive, "document_pages.jsonl")
    assert [(p["document_id"], p["number"]) for p in pages] == [
        (record["document"], 1),
        (record["document"], 2),
    ]


def test_the_command_line_export_leaves_drafts_out_too(app, record, tmp_path):
    result = app.test_cli_runner().invoke(args=["export-record"])
    assert result.exit_code == 0, result.output
    path = Path(app.config["EXPORT_FOLDER"]) / "public-record.zip"
    with zipfile.ZipFile(path) as archive:
        hearing_ids = {h["id"] for h in _jsonl(archive, "hearings.jsonl")}
        line_hearings = {line["hearing_id"] for line in _jsonl(archive, "lines.jsonl")}
    assert record["draft"] not in hearing_ids | line_hearings
    # Nothing half-written is left beside it.
    assert [p.name for p in path.parent.iterdir()] == ["public-record.zip"]


class TestExportNotBuiltYet:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "QUEUE_IMMEDIATE": False}

    def test_asks_for_it_and_says_when_to_come_back(self, client, record):
        response = client.get("/api/v1/export.zip")
        assert response.status_code == 503 and response.is_json
        assert "being prepared" in response.get_json()["error"]
        assert response.headers["Retry-After"] == "300"


class TestRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_ENABLED": True, "API_LIMIT": "3 per minute"}

    def test_past_the_limit_a_429_in_json(self, app, client, record):
        with app.app_context():
            limiter.reset()
        for _ in range(3):
            get(client, "/api/v1/hearings")
        response = client.get("/api/v1/hearings")
        assert response.status_code == 429
        assert response.is_json and int(response.headers["Retry-After"]) > 0


def test_withheld_words_never_leave_through_the_api_or_the_export(client, clerk_client, record):
    from hearings.corrections import REDACTED
    from tests.web.test_redaction import redact

    url = f"/api/v1/hearings/{record['hearing']}/lines"
    before = {line["id"]: line["text"] for line in get(client, url)["items"]}
    assert redact(clerk_client, record["hearing"]).status_code in (302, 303)
    after = {line["id"]: line["text"] for line in get(client, url)["items"]}
    changed = [i for i in before if before[i] != after[i]]
    assert changed and all(REDACTED in after[i] for i in changed)
    # The words withheld: in the lines before, in no line of the hearing after.
    words = lambda texts: {w.strip(".,;:!?").lower() for t in texts for w in t.split()}  # noqa: E731
    gone = {w for w in words(before[i] for i in changed) - words(after.values()) if len(w) > 3}
    assert gone
    everything = json.dumps(get(clerk_client, f"/api/v1/lines?hearing={record['hearing']}"))
    everything += archive_text(_export(client))
    for word in gone:
        assert not re.search(rf"\b{re.escape(word)}\b", everything, re.I), word


def archive_text(archive: zipfile.ZipFile) -> str:
    return " ".join(archive.read(name).decode() for name in archive.namelist())

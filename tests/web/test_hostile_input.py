"""Every route, driven by a signed-in clerk with hostile values: no 5xx, no change when refused.

Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import inspect, text

from hearings.extensions import db
from tests.web.conftest import csrf_token

HOSTILE = [
    "99999999999999999999",
    "-1",
    "0",
    "\x00",
    "\x01name",
    "x" * 10_000,
    "2026-13-45",
    "not-a-position",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "",
]
# Every form field name the views read, so each hostile value reaches each parser.
FIELDS = [
    "title", "body", "date", "agenda_text", "name", "person_name", "person_id", "organization",
    "position", "matter_id", "segment_ids", "speaker_id", "source", "target", "num_speakers",
    "max_speakers", "clustering_threshold", "file_number", "body_id", "intro_date", "summary",
    "concern_ids", "motion", "result", "threshold_rule", "start", "end", "text", "alias",
    "seat", "role", "q", "page", "from", "to", "value",
]  # fmt: skip


def row_counts(app) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as connection:
        names = inspect(connection).get_table_names()
        return {
            n: connection.execute(text(f'SELECT count(*) FROM "{n}"')).scalar()
            for n in names
            if not n.startswith("segment_fts")
        }


def routes(app):
    for rule in app.url_map.iter_rules():
        # Signing out would end the clerk's session for the routes after it.
        if rule.endpoint in ("static", "auth.logout"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def url_for_rule(rule, value: str) -> str:
    """Put the hostile value in every path argument its converter can carry."""
    values = {}
    for argument, converter in rule._converters.items():
        if converter.regex == r"\d+":
            values[argument] = int(value) if value.isdigit() else 1
        else:
            values[argument] = value or "x"
    _, url = rule.build(values, append_unknown=False)
    return url


def test_no_route_answers_hostile_input_with_a_server_error(app, heard_matter, clerk_client):
    token = csrf_token(clerk_client, f"/hearings/{heard_matter.hearing_id}")
    failures, statuses = [], []
    for rule, method in routes(app):
        for value in HOSTILE:
            url = url_for_rule(rule, value)
            if method == "GET":
                response = clerk_client.get(url, query_string={f: value for f in FIELDS})
            else:
                before = row_counts(app)
                response = clerk_client.post(
                    url, data={**{f: value for f in FIELDS}, "csrf_token": token}
                )
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append((method, rule.rule, repr(value[:20]), response.status_code))
            elif method == "POST" and response.status_code >= 400 and row_counts(app) != before:
                failures.append((method, rule.rule, repr(value[:20]), "changed rows"))

    print(sorted(Counter(statuses).items()))
    assert failures == []
    # The clerk stayed signed in: refusals came from the views, not from the sign-in page.
    assert statuses.count(302) < len(statuses) / 4


def test_files_and_json_where_a_form_expects_text_are_refused(app, heard_matter, clerk_client):
    # A page posts text fields; a hand-made request can send a file under any field's name, or a
    # JSON body of lists and numbers. Neither may reach a parser or a service as typed text.
    import io
    import json

    token = csrf_token(clerk_client, f"/hearings/{heard_matter.hearing_id}")
    failures = []
    for rule, method in routes(app):
        if method != "POST":
            continue
        url = url_for_rule(rule, "1")
        files = {f: (io.BytesIO(b"%PDF-1.4 not text"), "x.pdf") for f in FIELDS}
        body = json.dumps({f: [1, 2] if f.endswith("_ids") else 7 for f in FIELDS})
        as_files = {"data": {**files, "csrf_token": token}}
        as_json = {
            "data": body,
            "content_type": "application/json",
            "headers": {"X-CSRFToken": token},
        }
        for request in (as_files, as_json):
            before = row_counts(app)
            response = clerk_client.post(url, **request)
            if response.status_code >= 500:
                failures.append((rule.rule, response.status_code))
            elif response.status_code >= 400 and row_counts(app) != before:
                failures.append((rule.rule, "changed rows"))
    assert failures == []


def test_a_file_sent_as_the_matter_title_is_not_read_as_one(app, heard_matter, clerk_client):
    import io

    token = csrf_token(clerk_client, "/matters/new")
    before = row_counts(app)
    response = clerk_client.post(
        "/matters/new",
        data={"title": (io.BytesIO(b"not a title"), "title.txt"), "csrf_token": token},
    )
    # Only the upload form's file field reads files: the title is as blank as if none was typed.
    assert response.status_code == 422
    assert "Give the matter&#39;s title." in response.get_data(as_text=True)
    assert row_counts(app) == before

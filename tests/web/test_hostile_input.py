"""Every route, driven by a signed-in clerk with hostile values: no 5xx, no change when refused.

Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter

import pytest
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
    "inf",
    "1e400",
    "nan",
    "3000000000",
    "²",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "",
]


def _form_fields() -> set[str]:
    """Every field name of every form a view reads (all derive from PageForm)."""
    from wtforms.fields.core import UnboundField

    from hearings.forms import PageForm

    names, classes = set(), [PageForm]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        names |= {n for n, v in vars(cls).items() if isinstance(v, UnboundField)}
    return names


# Every form field name the views read, so each hostile value reaches each parser, and the
# query parameters of the pages that take them.
QUERY = ["q", "page", "speaker", "at", "from", "to", "body", "matter", "position", "person"]
FIELDS = sorted(_form_fields() | set(QUERY))
assert {"matter_id", "start", "body_size", "received_on", "extra_name"} <= set(FIELDS)


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
            values[argument] = int(value) if value.isascii() and value.isdigit() else 1
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
            # A file sent (the bulk export) stays open until its response is closed.
            response.close()
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append((method, rule.rule, repr(value[:20]), response.status_code))
            # A refused sign-in is itself recorded (the sign-in log), as it should be.
            elif (
                method == "POST"
                and response.status_code >= 400
                and rule.endpoint != "auth.login"
                and row_counts(app) != before
            ):
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
        # JSON that is not an object at all.
        as_list = {
            "data": "[1]",
            "content_type": "application/json",
            "headers": {"X-CSRFToken": token},
        }
        as_json = {
            "data": body,
            "content_type": "application/json",
            "headers": {"X-CSRFToken": token},
        }
        for request in (as_files, as_json, as_list):
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


@pytest.mark.parametrize(
    "path, fields, status",
    [
        # A body id of 0 names no row: refused, not inserted against the foreign key.
        ("/matters/new", {"title": "Ordinance", "body_id": "0"}, 400),
        ("/matters/new", {"title": "Ordinance", "intro_date": "2026-02-30"}, 422),
        # Times past what the database holds, or not numbers at all.
        ("/hearings/{hearing}/agenda", {"matter_id": "{matter}", "start": "inf"}, 422),
        ("/hearings/{hearing}/agenda", {"matter_id": "{matter}", "start": "1e30"}, 422),
        ("/hearings/{hearing}/agenda", {"matter_id": "{matter}", "end": "nan"}, 422),
        ("/votes/new", {"body_size": "3000000000"}, 422),
        ("/bodies/{council}/size", {"size": "²"}, 422),
    ],
)
def test_values_each_parser_must_refuse(app, heard_matter, clerk_client, path, fields, status):
    ids = {
        "hearing": heard_matter.hearing_id,
        "matter": heard_matter.matter_id,
        "council": heard_matter.council_id,
    }
    if path == "/votes/new":
        path = f"/matters/{heard_matter.matter_id}/votes/new"
        fields = {"body_id": str(heard_matter.council_id), "date": "2026-04-07", "motion": "Adopt",
                  **fields, f"vote-{heard_matter.member_ids[0]}": "yes"}  # fmt: skip
    path = path.format(**ids)
    fields = {name: value.format(**ids) for name, value in fields.items()}
    token = csrf_token(clerk_client, f"/hearings/{heard_matter.hearing_id}")
    before = row_counts(app)
    response = clerk_client.post(path, data={**fields, "csrf_token": token})
    assert response.status_code == status, response.get_data(as_text=True)[-500:]
    assert row_counts(app) == before

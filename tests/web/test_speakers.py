"""Naming, merging and reassigning speakers: permissions, CSRF, audit log, exports, citations."""

from __future__ import annotations

import html as markup
import json
import re
from datetime import date

import pytest

from hearings.extensions import db
from hearings.models import AuditEntry, Body, Hearing, Organization, Person, Segment, Speaker
from hearings.models.base import utcnow
from hearings.organizations import add_alias, organization_named
from hearings.transcripts import store_transcript
from tests.fakes import sample_transcript
from tests.web.conftest import csrf_token

HTMX = {"HX-Request": "true"}


def stored_hearing(app, title="Facial recognition hearing", transcript=None, when=None) -> int:
    """Store a hearing with a transcript (three speakers by default) and return its id."""
    with app.app_context():
        body = db.session.scalars(db.select(Body).where(Body.name == "Equal Rights Commission"))
        body = body.first() or Body(name="Equal Rights Commission")
        hearing = Hearing(title=title, body=body, date=when or date(2026, 3, 12))
        db.session.add(hearing)
        db.session.commit()
        store_transcript(db.session, hearing, transcript or sample_transcript())
        # A new machine transcript waits for review; these tests read it as the public.
        hearing.published_at = utcnow()
        db.session.commit()
        return hearing.id


def speaker_ids(app, hearing_id) -> dict[str, int]:
    with app.app_context():
        rows = db.session.scalars(db.select(Speaker).where(Speaker.hearing_id == hearing_id))
        return {s.label: s.id for s in rows}


def audit(app, action=None) -> list[AuditEntry]:
    with app.app_context():
        # Sign-ins are audited too; these tests look at edits of the record.
        stmt = (
            db.select(AuditEntry)
            .where(AuditEntry.action.not_like("auth.%"))
            .order_by(AuditEntry.id)
        )
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        entries = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return entries


def lines_by_label(app, hearing_id) -> dict[str, list[str]]:
    with app.app_context():
        found: dict[str, list[str]] = {}
        for segment in db.session.scalars(
            db.select(Segment).where(Segment.hearing_id == hearing_id).order_by(Segment.start_ms)
        ):
            found.setdefault(segment.speaker.label, []).append(segment.text)
        return found


@pytest.fixture
def hearing_id(app):
    return stored_hearing(app)


@pytest.fixture
def token(clerk_client, hearing_id):
    return csrf_token(clerk_client, f"/hearings/{hearing_id}")


def name_url(hearing_id, speaker_id):
    return f"/hearings/{hearing_id}/speakers/{speaker_id}/name"


# --- Permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/hearings/{h}/speakers/{s}/name",
        "/hearings/{h}/speakers/{s}/unname",
        "/hearings/{h}/speakers/{s}/confirm",
        "/hearings/{h}/speakers/{s}/dismiss",
        "/hearings/{h}/speakers/merge",
        "/hearings/{h}/speakers/suggest",
        "/hearings/{h}/segments/{g}/speaker",
    ],
)
def test_anonymous_edits_go_to_sign_in_and_change_nothing(app, client, hearing_id, path):
    ids = speaker_ids(app, hearing_id)
    with app.app_context():
        segment_id = db.session.scalars(db.select(Segment.id)).first()
    url = path.format(h=hearing_id, s=ids["SPEAKER_00"], g=segment_id)
    # With CSRF off, only the sign-in check stands between an anonymous visitor and the edit.
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post(
        url,
        data={
            "name": "Mallory",
            "source": ids["SPEAKER_01"],
            "target": ids["SPEAKER_00"],
            "speaker": "new",
        },
    )
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert lines_by_label(app, hearing_id) == {
        "SPEAKER_00": ["The hearing will come to order."],
        "SPEAKER_01": ["Facial recognition is a lead generator, not an arrest tool."],
        "SPEAKER_02": ["We oppose this proposal because of misidentification and racial bias."],
    }
    with app.app_context():
        assert db.session.scalars(db.select(Person)).all() == []
    assert audit(app) == []


def test_signed_in_non_editor_is_refused(app, client, hearing_id):
    from hearings.models import User
    from tests.web.conftest import sign_in

    with app.app_context():
        viewer = User(username="viewer", role="viewer")
        viewer.set_password("a long enough password")
        db.session.add(viewer)
        db.session.commit()
    assert sign_in(client, "viewer", "a long enough password").status_code == 302
    token = csrf_token(client, "/")
    ids = speaker_ids(app, hearing_id)
    response = client.post(
        name_url(hearing_id, ids["SPEAKER_00"]), data={"name": "Mallory", "csrf_token": token}
    )
    assert response.status_code == 403
    assert audit(app) == []


def test_edit_without_csrf_token_is_refused(app, clerk_client, hearing_id):
    ids = speaker_ids(app, hearing_id)
    response = clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_00"]), data={"name": "Jane Doe"}, headers=HTMX
    )
    assert response.status_code == 400
    response = clerk_client.post(
        f"/hearings/{hearing_id}/speakers/merge",
        data={"source": ids["SPEAKER_01"], "target": ids["SPEAKER_00"]},
    )
    assert response.status_code == 400
    assert len(speaker_ids(app, hearing_id)) == 3
    with app.app_context():
        assert db.session.scalars(db.select(Person)).all() == []
    assert audit(app) == []


# --- Naming --------------------------------------------------------------------------------


def test_naming_a_new_person_with_title_and_affiliation(app, clerk_client, hearing_id, token):
    ids = speaker_ids(app, hearing_id)
    response = clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_01"]),
        data={
            "name": " Shelby  Kerr ",
            "title": "Chief of Staff",
            "organization": "Milwaukee Police Department",
            "csrf_token": token,
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="hearing-speakers"' in html
    assert "SPEAKER_01 is now Shelby Kerr, Chief of Staff." in html
    # The transcript filter listens for this to reload lines with the new name.
    assert response.headers["HX-Trigger"] == "speakers-changed"
    with app.app_context():
        speaker = db.session.get(Speaker, ids["SPEAKER_01"])
        assert speaker.person.name == "Shelby Kerr"
        assert speaker.person.title == "Chief of Staff"
        assert speaker.person.organization.name == "Milwaukee Police Department"
        clerk_id = db.session.scalars(db.select(AuditEntry.user_id)).first()
        person_id = speaker.person_id
    named = audit(app, "speaker.name")
    assert len(named) == 1
    entry = named[0]
    assert entry.user_id == clerk_id is not None
    assert entry.target == f"speakers:{ids['SPEAKER_01']}"
    assert entry.hearing_id == hearing_id
    assert entry.at is not None
    assert entry.before["person_id"] is None and entry.before["label"] == "SPEAKER_01"
    assert entry.after["person_id"] == person_id
    assert entry.after["person"] == "Shelby Kerr, Chief of Staff"
    assert [e.action for e in audit(app)] == [
        "organization.create",
        "person.create",
        "speaker.name",
    ]


def test_naming_shows_on_transcript_lines_and_page(app, clerk_client, client, hearing_id, token):
    ids = speaker_ids(app, hearing_id)
    clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_00"]), data={"name": "Chair Rivera", "csrf_token": token}
    )
    refreshed = clerk_client.get(f"/hearings/{hearing_id}/transcript", headers=HTMX)
    assert refreshed.status_code == 200
    assert '<span class="speaker">Chair Rivera' in refreshed.get_data(as_text=True)
    page = client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert '<span class="speaker">Chair Rivera' in page


def test_affiliation_typed_as_an_alias_links_the_existing_organization(
    app, clerk_client, hearing_id, token
):
    with app.app_context():
        aclu = organization_named(db.session, "ACLU of Wisconsin")
        add_alias(db.session, aclu, "ACLU-WI")
        db.session.commit()
        aclu_id = aclu.id
    ids = speaker_ids(app, hearing_id)
    response = clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_02"]),
        data={
            "name": "Dana Ortiz",
            "title": "Policy Analyst",
            "organization": "aclu-wi",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Speaker, ids["SPEAKER_02"]).person.organization_id == aclu_id
        assert len(db.session.scalars(db.select(Organization)).all()) == 1
    assert audit(app, "organization.create") == []


def test_picking_an_existing_person(app, clerk_client, hearing_id, token):
    with app.app_context():
        person = Person(name="Mark Ford", title="Alderperson, 5th District")
        db.session.add(person)
        db.session.commit()
        person_id = person.id
    ids = speaker_ids(app, hearing_id)
    response = clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_00"]),
        data={"person_id": str(person_id), "name": "", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/hearings/{hearing_id}")
    with app.app_context():
        assert db.session.get(Speaker, ids["SPEAKER_00"]).person_id == person_id
        assert len(db.session.scalars(db.select(Person)).all()) == 1
    assert [e.action for e in audit(app)] == ["speaker.name"]


def test_a_second_person_with_the_same_name_needs_saying_so(app, clerk_client, hearing_id, token):
    ids = speaker_ids(app, hearing_id)
    url = name_url(hearing_id, ids["SPEAKER_00"])
    first = clerk_client.post(url, data={"name": "Pat Lee", "csrf_token": token})
    assert first.status_code == 302
    again = clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_01"]),
        data={"name": "pat lee", "csrf_token": token},
        headers=HTMX,
    )
    assert again.status_code == 409
    assert "Pat Lee is already in the record" in again.get_data(as_text=True)
    assert again.headers["X-Swap-On-Error"] == "true"
    with app.app_context():
        assert db.session.get(Speaker, ids["SPEAKER_01"]).person_id is None
        assert len(db.session.scalars(db.select(Person)).all()) == 1
    namesake = clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_01"]),
        data={"name": "Pat Lee", "same_name_ok": "1", "csrf_token": token},
    )
    assert namesake.status_code == 302
    with app.app_context():
        assert len(db.session.scalars(db.select(Person)).all()) == 2


@pytest.mark.parametrize(
    "form, status, message",
    [
        ({"name": "   "}, 422, "Give the person's name"),
        ({"person_id": "Jane"}, 400, "Pick a person from the list"),
        ({"person_id": "999999"}, 422, "not in the record any more"),
        ({"name": "x" * 201}, 422, "too long"),
    ],
)
def test_bad_names_are_refused_and_nothing_changes(
    app, clerk_client, hearing_id, token, form, status, message
):
    ids = speaker_ids(app, hearing_id)
    response = clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_00"]), data={**form, "csrf_token": token}, headers=HTMX
    )
    assert response.status_code == status
    assert message in markup.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Speaker, ids["SPEAKER_00"]).person_id is None
        assert db.session.scalars(db.select(Person)).all() == []
    assert audit(app) == []


def test_bad_name_without_htmx_shows_the_page_with_the_reason(app, clerk_client, hearing_id, token):
    ids = speaker_ids(app, hearing_id)
    response = clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_00"]), data={"name": "", "csrf_token": token}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give the person&#39;s name" in html
    assert "Facial recognition is a lead generator" in html


def test_speaker_of_another_hearing_is_not_found(app, clerk_client, hearing_id, token):
    other = stored_hearing(
        app, title="Budget hearing", transcript=sample_transcript(sha256="b" * 64)
    )
    foreign = speaker_ids(app, other)["SPEAKER_00"]
    response = clerk_client.post(
        name_url(hearing_id, foreign), data={"name": "Jane Doe", "csrf_token": token}
    )
    assert response.status_code == 404
    assert (
        clerk_client.post(
            name_url(999999, foreign), data={"name": "Jane Doe", "csrf_token": token}
        ).status_code
        == 404
    )
    assert audit(app) == []


def test_removing_a_name(app, clerk_client, hearing_id, token):
    ids = speaker_ids(app, hearing_id)
    clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_00"]), data={"name": "Chair Rivera", "csrf_token": token}
    )
    response = clerk_client.post(
        f"/hearings/{hearing_id}/speakers/{ids['SPEAKER_00']}/unname",
        data={"csrf_token": token},
        headers=HTMX,
    )
    assert response.status_code == 200
    with app.app_context():
        speaker = db.session.get(Speaker, ids["SPEAKER_00"])
        assert speaker.person_id is None
        # The person stays in the record; only the link from this label goes.
        assert db.session.scalars(db.select(Person.name)).all() == ["Chair Rivera"]
    entry = audit(app, "speaker.unname")[0]
    assert entry.before["person"] == "Chair Rivera" and entry.after["person_id"] is None
    again = clerk_client.post(
        f"/hearings/{hearing_id}/speakers/{ids['SPEAKER_00']}/unname",
        data={"csrf_token": token},
        headers=HTMX,
    )
    assert again.status_code == 422


# --- Merging -------------------------------------------------------------------------------


def test_merging_two_labels(app, clerk_client, hearing_id, token):
    ids = speaker_ids(app, hearing_id)
    response = clerk_client.post(
        f"/hearings/{hearing_id}/speakers/merge",
        data={"source": ids["SPEAKER_02"], "target": ids["SPEAKER_00"], "csrf_token": token},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "SPEAKER_02 merged into SPEAKER_00" in response.get_data(as_text=True)
    assert lines_by_label(app, hearing_id) == {
        "SPEAKER_00": [
            "The hearing will come to order.",
            "We oppose this proposal because of misidentification and racial bias.",
        ],
        "SPEAKER_01": ["Facial recognition is a lead generator, not an arrest tool."],
    }
    assert set(speaker_ids(app, hearing_id)) == {"SPEAKER_00", "SPEAKER_01"}
    with app.app_context():
        moved = db.session.scalars(db.select(Segment).where(Segment.text.like("We oppose%"))).one()
        # Word labels follow, so the JSON export names no label that no longer exists.
        assert {w.speaker_label for w in moved.words} == {"SPEAKER_00"}
        moved_id = moved.id
    entry = audit(app, "speaker.merge")[0]
    assert entry.target == f"speakers:{ids['SPEAKER_00']}"
    assert entry.before["source"]["label"] == "SPEAKER_02"
    assert entry.after["segment_ids"] == [moved_id]
    assert entry.after["removed_label"] == "SPEAKER_02"
    assert entry.user_id is not None and entry.hearing_id == hearing_id


def test_merging_keeps_the_name_of_the_named_label(app, clerk_client, hearing_id, token):
    ids = speaker_ids(app, hearing_id)
    clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_02"]), data={"name": "Dana Ortiz", "csrf_token": token}
    )
    clerk_client.post(
        f"/hearings/{hearing_id}/speakers/merge",
        data={"source": ids["SPEAKER_02"], "target": ids["SPEAKER_01"], "csrf_token": token},
    )
    with app.app_context():
        assert db.session.get(Speaker, ids["SPEAKER_01"]).person.name == "Dana Ortiz"


@pytest.mark.parametrize("case", ["same", "missing", "two names", "other hearing"])
def test_bad_merges_are_refused(app, clerk_client, hearing_id, token, case):
    ids = speaker_ids(app, hearing_id)
    source, target, status = ids["SPEAKER_01"], ids["SPEAKER_00"], 400
    if case == "same":
        target, status = source, 422
    elif case == "missing":
        target = ""
    elif case == "two names":
        for label, name in (("SPEAKER_00", "Chair Rivera"), ("SPEAKER_01", "Shelby Kerr")):
            clerk_client.post(
                name_url(hearing_id, ids[label]), data={"name": name, "csrf_token": token}
            )
        status = 409
    else:
        other = stored_hearing(app, title="Other", transcript=sample_transcript(sha256="c" * 64))
        target = speaker_ids(app, other)["SPEAKER_00"]
    before = lines_by_label(app, hearing_id)
    response = clerk_client.post(
        f"/hearings/{hearing_id}/speakers/merge",
        data={"source": source, "target": target, "csrf_token": token},
        headers=HTMX,
    )
    assert response.status_code == status
    assert 'class="flash error"' in response.get_data(as_text=True)
    assert lines_by_label(app, hearing_id) == before
    assert audit(app, "speaker.merge") == []


# --- Reassigning one line ------------------------------------------------------------------


def segment_id_of(app, hearing_id, text_start):
    with app.app_context():
        return db.session.scalars(
            db.select(Segment.id).where(
                Segment.hearing_id == hearing_id, Segment.text.like(text_start + "%")
            )
        ).one()


def test_reassigning_one_line(app, clerk_client, hearing_id, token):
    ids = speaker_ids(app, hearing_id)
    segment_id = segment_id_of(app, hearing_id, "Facial recognition")
    url = f"/hearings/{hearing_id}/segments/{segment_id}/speaker"
    form = clerk_client.get(url, headers=HTMX)
    assert form.status_code == 200
    assert 'name="speaker"' in form.get_data(as_text=True)
    response = clerk_client.post(
        url, data={"speaker": ids["SPEAKER_00"], "csrf_token": token}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "speakers-changed"
    assert lines_by_label(app, hearing_id)["SPEAKER_00"] == [
        "The hearing will come to order.",
        "Facial recognition is a lead generator, not an arrest tool.",
    ]
    entry = audit(app, "segment.reassign")[0]
    assert entry.target == f"segments:{segment_id}"
    assert (entry.before["label"], entry.after["label"]) == ("SPEAKER_01", "SPEAKER_00")
    assert entry.user_id is not None and entry.hearing_id == hearing_id


def test_reassigning_a_line_to_a_new_speaker(app, clerk_client, hearing_id, token):
    segment_id = segment_id_of(app, hearing_id, "We oppose")
    response = clerk_client.post(
        f"/hearings/{hearing_id}/segments/{segment_id}/speaker",
        data={"speaker": "new", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/hearings/{hearing_id}?t=9.5#seg-9500")
    assert lines_by_label(app, hearing_id)["SPEAKER_03"] == [
        "We oppose this proposal because of misidentification and racial bias."
    ]


def test_reassign_form_without_htmx_is_a_page(app, clerk_client, hearing_id):
    segment_id = segment_id_of(app, hearing_id, "We oppose")
    page = clerk_client.get(f"/hearings/{hearing_id}/segments/{segment_id}/speaker")
    assert page.status_code == 200
    assert "Who said this?" in page.get_data(as_text=True)


@pytest.mark.parametrize("choice, status", [("", 400), ("someone", 400), ("999999", 422)])
def test_bad_reassignments_are_refused(app, clerk_client, hearing_id, token, choice, status):
    segment_id = segment_id_of(app, hearing_id, "We oppose")
    before = lines_by_label(app, hearing_id)
    response = clerk_client.post(
        f"/hearings/{hearing_id}/segments/{segment_id}/speaker",
        data={"speaker": choice, "csrf_token": token},
        headers=HTMX,
    )
    assert response.status_code == status
    assert lines_by_label(app, hearing_id) == before
    assert audit(app) == []


def test_line_of_another_hearing_is_not_found(app, clerk_client, hearing_id, token):
    other = stored_hearing(app, title="Other", transcript=sample_transcript(sha256="d" * 64))
    foreign = segment_id_of(app, other, "We oppose")
    response = clerk_client.post(
        f"/hearings/{hearing_id}/segments/{foreign}/speaker",
        data={"speaker": "new", "csrf_token": token},
    )
    assert response.status_code == 404


# --- Hearing page: timeline, filter, who sees the tools ------------------------------------


def test_public_page_shows_timeline_and_filter_but_no_tools(app, client, hearing_id):
    html = client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert "Who spoke when" in html
    turns = re.findall(r'<a class="turn[^"]*"[^>]*data-start="([\d.]+)"', html)
    assert sorted(float(t) for t in turns) == [0.0, 3.2, 9.5]
    assert 'id="speaker-filter"' in html
    for tool in ("Name this speaker", "Merge", "Change speaker", "Look again for names"):
        assert tool not in html


def test_clerk_page_shows_the_tools(app, clerk_client, hearing_id):
    html = clerk_client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert html.count("Name this speaker") == 3
    assert html.count("Change speaker") == 3
    assert 'name="source"' in html and 'name="target"' in html


def test_timeline_places_turns_across_the_recording(app, hearing_id):
    from hearings.speakers import speaker_timeline

    with app.app_context():
        bands, duration, lines = speaker_timeline(db.session, db.session.get(Hearing, hearing_id))
        assert lines == 3
        # No recording attached: the timeline ends with the last word (10 words, 0.4 s apart).
        assert duration == 9500 + 10 * 400 - 50
        placed = {b.speaker.label: (b.turns[0].left, b.lines) for b in bands}
    assert placed["SPEAKER_00"] == (0.0, 1)
    assert placed["SPEAKER_01"][0] == pytest.approx(100 * 3200 / duration, abs=0.001)
    assert placed["SPEAKER_02"][0] == pytest.approx(100 * 9500 / duration, abs=0.001)


def test_show_only_one_speaker(app, client, hearing_id):
    ids = speaker_ids(app, hearing_id)
    url = f"/hearings/{hearing_id}/transcript?speaker={ids['SPEAKER_01']}"
    partial = client.get(url, headers=HTMX)
    assert partial.status_code == 200
    html = partial.get_data(as_text=True)
    assert html.count('class="segment') == 1
    assert "Facial recognition is a lead generator" in html
    # The filter comes along out of band, with this speaker selected.
    assert 'hx-swap-oob="true"' in html
    assert f'value="{ids["SPEAKER_01"]}" selected' in html
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and page.count('class="segment') == 1
    everyone = client.get(f"/hearings/{hearing_id}/transcript", headers=HTMX).get_data(as_text=True)
    assert everyone.count('class="segment') == 3


def test_show_only_a_speaker_of_another_hearing_is_not_found(app, client, hearing_id):
    other = stored_hearing(app, title="Other", transcript=sample_transcript(sha256="e" * 64))
    foreign = speaker_ids(app, other)["SPEAKER_00"]
    assert client.get(f"/hearings/{hearing_id}/transcript?speaker={foreign}").status_code == 404


# --- Exports and citations carry the confirmed name ----------------------------------------


@pytest.fixture
def named(app, clerk_client, hearing_id, token):
    ids = speaker_ids(app, hearing_id)
    clerk_client.post(
        name_url(hearing_id, ids["SPEAKER_01"]),
        data={
            "name": "Shelby Kerr",
            "title": "Chief of Staff",
            "organization": "Milwaukee Police Department",
            "csrf_token": token,
        },
    )
    return hearing_id


def test_webvtt_names_the_confirmed_speaker(client, named):
    vtt = client.get(f"/hearings/{named}/transcript.vtt").get_data(as_text=True)
    assert "<v Shelby Kerr>Facial recognition is a lead generator" in vtt
    assert "<v SPEAKER_00>The hearing will come to order." in vtt


def test_srt_names_the_confirmed_speaker(client, named):
    srt = client.get(f"/hearings/{named}/transcript.srt").get_data(as_text=True)
    assert "\nShelby Kerr: Facial recognition is a lead generator" in srt


def test_json_names_the_confirmed_speaker(client, named):
    data = json.loads(client.get(f"/hearings/{named}/transcript.json").get_data(as_text=True))
    line = data["segments"][1]
    assert (line["speaker"], line["speaker_label"]) == ("Shelby Kerr", "SPEAKER_01")


def test_citation_uses_confirmed_name_title_and_affiliation(client, named):
    html = client.get(f"/hearings/{named}/at/3200").get_data(as_text=True)
    credit = "Shelby Kerr, Chief of Staff (Milwaukee Police Department)"
    assert f"<footer>— {credit}</footer>" in html
    assert f"— {credit}, Facial recognition hearing" in html
    assert f'content="{credit}: “Facial recognition' in html


def test_reloaded_transcript_keeps_the_quoted_line_highlighted(app, client, hearing_id):
    url = f"/hearings/{hearing_id}/transcript?at=3200&quoted=3200"
    html = client.get(url, headers=HTMX).get_data(as_text=True)
    assert re.search(r'id="seg-3200" class="segment quoted', html)
    assert html.count(" quoted") == 1

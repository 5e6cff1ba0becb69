"""Correcting the transcript in place: words, split, join, times, speakers; revisions; 409s."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from hearings.extensions import db
from hearings.models import AuditEntry, Hearing, LineRevision, Segment, Speaker, Word
from tests.web.conftest import csrf_token, hearing_form
from tests.web.test_publishing import post, signed_in

HTMX = {"HX-Request": "true"}
# The fake pipeline's second line (tests/fakes.py), spoken by SPEAKER_01.
QUOTE = "Facial recognition is a lead generator, not an arrest tool."


@pytest.fixture
def published(app, clerk_client, jfk_wav) -> int:
    assert hearing_form(clerk_client, jfk_wav).status_code == 302
    with app.app_context():
        hearing_id = db.session.scalars(db.select(Hearing.id)).one()
    assert post(clerk_client, hearing_id, "publish").status_code == 302
    return hearing_id


def line(app, hearing_id: int, start_ms: int) -> tuple[int, int]:
    """Return (id, version) of the line starting at start_ms."""
    with app.app_context():
        segment = db.session.scalars(
            db.select(Segment).where(Segment.hearing_id == hearing_id, Segment.start_ms == start_ms)
        ).one()
        return segment.id, segment.version


def correct(client, hearing_id, segment_id, action, htmx=True, **data):
    token = csrf_token(client, f"/hearings/{hearing_id}")
    return client.post(
        f"/hearings/{hearing_id}/lines/{segment_id}/{action}",
        data={"csrf_token": token, **data},
        headers=HTMX if htmx else {},
    )


def test_the_editor_opens_in_place_with_the_line_and_its_version(app, published, clerk_client):
    segment_id, version = line(app, published, 3200)
    response = clerk_client.get(f"/hearings/{published}/lines/{segment_id}/edit", headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith("<li") and "line-editor" in page
    assert f'name="version" value="{version}"' in page
    assert QUOTE in page
    # Cancel swaps the plain line back.
    back = clerk_client.get(f"/hearings/{published}/lines/{segment_id}", headers=HTMX)
    assert "line-editor" not in back.get_data(as_text=True)


def test_correcting_words_updates_page_search_exports_in_one_go(app, published, clerk_client):
    segment_id, version = line(app, published, 3200)
    corrected = "Facial recognition is a lead generator, not an arrest warrant."
    response = correct(
        clerk_client,
        published,
        segment_id,
        "words",
        text=corrected,
        version=version,
        reason="Checked against the audio",
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith("<li") and corrected in fragment

    public = app.test_client()
    assert corrected in public.get(f"/hearings/{published}").get_data(as_text=True)
    found = public.get("/search?q=warrant").get_data(as_text=True)
    assert f"/hearings/{published}/at/3200" in found
    assert f"/hearings/{published}/at/3200" not in public.get("/search?q=tool").get_data(
        as_text=True
    )
    for fmt in ("vtt", "srt", "txt"):
        text = public.get(f"/hearings/{published}/transcript.{fmt}").get_data(as_text=True)
        assert "arrest warrant." in text and "arrest tool" not in text, fmt
    data = json.loads(public.get(f"/hearings/{published}/transcript.json").get_data(as_text=True))
    line_json = next(s for s in data["segments"] if s["start"] == 3.2)
    assert line_json["text"] == corrected
    assert [w["text"] for w in line_json["words"]][-1] == "warrant."

    with app.app_context():
        revision = db.session.scalars(db.select(LineRevision)).one()
        assert revision.kind == "words" and revision.segment_id == segment_id
        assert revision.before["text"] == QUOTE and revision.after["text"] == corrected
        assert revision.reason == "Checked against the audio"
        assert revision.user.username == "clerk"
        assert db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "line.words")
        ).one()


def test_unchanged_words_keep_their_timings_and_changed_ones_are_spread(
    app, published, clerk_client
):
    segment_id, version = line(app, published, 3200)
    with app.app_context():
        before = [(w.text, w.start_ms, w.end_ms) for w in db.session.get(Segment, segment_id).words]
    text = QUOTE.replace("lead generator,", "lead-generating tool,")
    correct(clerk_client, published, segment_id, "words", text=text, version=version)
    with app.app_context():
        after = [(w.text, w.start_ms, w.end_ms) for w in db.session.get(Segment, segment_id).words]
    assert after[:4] == before[:4]  # "Facial recognition is a" untouched
    assert after[-3:] == before[-3:]  # "an arrest tool." untouched
    changed = [w for w in after if w[0] in ("lead-generating", "tool,")]
    assert len(changed) == 2
    # Spread evenly between the kept words around them, in order, without overlap.
    assert before[3][2] <= changed[0][1] < changed[0][2] <= changed[1][1] < changed[1][2]
    assert changed[1][2] <= before[-3][1] + 1


def test_an_edit_from_a_stale_page_is_refused_with_both_versions(app, published, clerk_client):
    segment_id, version = line(app, published, 3200)
    editor = signed_in(app, "ed", "editor")
    first = correct(
        editor, published, segment_id, "words", text="Their version of it.", version=version
    )
    assert first.status_code == 200
    second = correct(
        clerk_client, published, segment_id, "words", text="My version of it.", version=version
    )
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Their version of it." in page and "My version of it." in page
    with app.app_context():
        assert db.session.get(Segment, segment_id).text == "Their version of it."


@pytest.mark.parametrize(
    "text, status",
    [("", 422), ("   ", 422), ("word " * 1200, 422)],
)
def test_empty_or_overlong_words_are_refused_and_change_nothing(
    app, published, clerk_client, text, status
):
    segment_id, version = line(app, published, 3200)
    response = correct(clerk_client, published, segment_id, "words", text=text, version=version)
    assert response.status_code == status
    with app.app_context():
        assert db.session.get(Segment, segment_id).text == QUOTE
        assert db.session.scalar(db.select(db.func.count(LineRevision.id))) == 0


def test_a_form_without_a_readable_version_is_a_bad_request(app, published, clerk_client):
    segment_id, _ = line(app, published, 3200)
    for version in ("", "two", "-1"):
        response = correct(
            clerk_client, published, segment_id, "words", text="x y", version=version
        )
        assert response.status_code == 400, version


def test_residents_cannot_correct_and_the_form_needs_its_token(app, published, clerk_client):
    segment_id, version = line(app, published, 3200)
    public = app.test_client()
    response = public.post(
        f"/hearings/{published}/lines/{segment_id}/words", data={"text": "x", "version": version}
    )
    assert response.status_code in (302, 400)
    no_token = clerk_client.post(
        f"/hearings/{published}/lines/{segment_id}/words", data={"text": "x", "version": version}
    )
    assert no_token.status_code == 400
    with app.app_context():
        assert db.session.get(Segment, segment_id).text == QUOTE


def test_split_and_join_lines(app, published, clerk_client):
    segment_id, version = line(app, published, 3200)
    split = correct(clerk_client, published, segment_id, "split", at_word=5, version=version)
    assert split.status_code == 200
    assert 'id="transcript"' in split.get_data(as_text=True)
    with app.app_context():
        lines = db.session.scalars(
            db.select(Segment).where(Segment.hearing_id == published).order_by(Segment.start_ms)
        ).all()
        assert [s.text for s in lines][1:3] == [
            "Facial recognition is a lead",
            "generator, not an arrest tool.",
        ]
        first, second = lines[1], lines[2]
        assert first.end_ms <= second.start_ms
        assert [w.text for w in second.words][0] == "generator,"
        assert second.speaker_id == first.speaker_id
        first_id, first_version = first.id, first.version
    joined = correct(clerk_client, published, first_id, "merge", version=first_version)
    assert joined.status_code == 200
    with app.app_context():
        texts = db.session.scalars(
            db.select(Segment.text)
            .where(Segment.hearing_id == published)
            .order_by(Segment.start_ms)
        ).all()
        assert texts[1] == QUOTE and len(texts) == 3
        kinds = db.session.scalars(db.select(LineRevision.kind).order_by(LineRevision.id)).all()
        assert kinds == ["split", "split", "merge", "merge"]
    found = app.test_client().get("/search?q=generator").get_data(as_text=True)
    assert found.count(f"/hearings/{published}/at/") == 1


def test_fix_a_lines_times(app, published, clerk_client):
    segment_id, version = line(app, published, 3200)
    response = correct(
        clerk_client,
        published,
        segment_id,
        "times",
        start="0:00:03.000",
        end="0:00:07.500",
        version=version,
    )
    assert response.status_code == 200
    with app.app_context():
        segment = db.session.get(Segment, segment_id)
        assert (segment.start_ms, segment.end_ms) == (3000, 7500)
        assert all(3000 <= w.start_ms <= w.end_ms <= 7500 for w in segment.words)
    bad = correct(
        clerk_client,
        published,
        segment_id,
        "times",
        start="0:00:09",
        end="0:00:08",
        version=version + 1,
    )
    assert bad.status_code == 422


def test_move_a_range_of_lines_to_another_speaker(app, published, clerk_client):
    with app.app_context():
        target = (
            db.session.scalars(
                db.select(Speaker).where(
                    Speaker.hearing_id == published, Speaker.label == "SPEAKER_00"
                )
            )
            .one()
            .id
        )
    token = csrf_token(clerk_client, f"/hearings/{published}")
    response = clerk_client.post(
        f"/hearings/{published}/lines/move",
        data={"csrf_token": token, "start": "0:00:03", "end": "0:00:10", "speaker": target},
    )
    assert response.status_code == 302
    with app.app_context():
        lines = db.session.scalars(
            db.select(Segment).where(Segment.hearing_id == published).order_by(Segment.start_ms)
        ).all()
        assert {s.speaker_id for s in lines} == {target}
        assert all(s.speaker_set_by_clerk for s in lines[1:])
        assert (
            db.session.scalar(
                db.select(db.func.count(LineRevision.id)).where(LineRevision.kind == "speaker")
            )
            == 2
        )
    refused = clerk_client.post(
        f"/hearings/{published}/lines/move",
        data={"csrf_token": token, "start": "0:09:00", "end": "0:10:00", "speaker": target},
    )
    assert refused.status_code == 422


# --- citations that survive corrections ------------------------------------------------------


def cited(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    return page.get_data(as_text=True)


def citation(page: str) -> str:
    import html

    return html.unescape(
        re.search(r'<textarea id="citation-text"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    )


def test_a_range_quote_spans_lines_and_names_its_range(app, published):
    page = cited(app.test_client(), f"/hearings/{published}/at/3200-13450")
    assert page.count('class="segment quoted') == 2
    text = citation(page)
    assert "0:00:03–0:00:13" in text and "(machine transcript)" in text
    assert f"/hearings/{published}/at/3200-13450?as_of=" in text
    assert "lead generator" in text and "Thank you" in text or "lead generator" in text


def test_an_old_quote_link_shows_the_correction_with_the_earlier_wording(
    app, published, clerk_client
):
    old_link = f"/hearings/{published}/at/3200-7150?as_of={date.today() - timedelta(days=3)}"
    assert "Corrected on" not in cited(app.test_client(), old_link)
    segment_id, version = line(app, published, 3200)
    correct(
        clerk_client,
        published,
        segment_id,
        "words",
        version=version,
        text=QUOTE.replace("tool", "warrant"),
    )
    page = cited(app.test_client(), old_link)
    assert "arrest warrant" in citation(page)
    assert "Corrected on" in page and "<del>" + QUOTE + "</del>" in page
    log = cited(app.test_client(), f"/hearings/{published}/corrections")
    assert QUOTE in log and "arrest warrant" in log


def test_citations_say_checked_once_a_clerk_checked_the_audio(app, published, clerk_client):
    assert (
        post(clerk_client, published, "checked", start="0:00:00", end="0:00:08").status_code == 302
    )
    checked = citation(cited(app.test_client(), f"/hearings/{published}/at/3200"))
    assert "transcript checked by the clerk on" in checked
    unchecked = citation(cited(app.test_client(), f"/hearings/{published}/at/9500"))
    assert "(machine transcript)" in unchecked


def test_words_are_stored_for_each_token(app, published, clerk_client):
    segment_id, version = line(app, published, 3200)
    correct(clerk_client, published, segment_id, "words", version=version, text="One two three")
    with app.app_context():
        words = db.session.scalars(
            db.select(Word.text).where(Word.segment_id == segment_id).order_by(Word.start_ms)
        ).all()
    assert words == ["One", "two", "three"]


def test_an_unknown_correction_is_not_found(app, published, clerk_client):
    segment_id, version = line(app, published, 3200)
    response = correct(clerk_client, published, segment_id, "explode", version=version)
    assert response.status_code == 404

"""Processing again never undoes a correction; redactions hold on the new words; the glossary."""

from __future__ import annotations

from datetime import date

import pytest

from hearings.extensions import db
from hearings.models import (
    GlossaryTerm,
    Hearing,
    LineRevision,
    Membership,
    Person,
    ReviewItem,
    Segment,
)
from hearings.transcripts import store_transcript
from tests.fakes import LINES, sample_transcript
from tests.web.conftest import csrf_token
from tests.web.test_corrections import QUOTE, correct, line, published  # noqa: F401
from tests.web.test_redaction import redact

HTMX = {"HX-Request": "true"}
CORRECTED = "Facial recognition is a lead generator, not an arrest warrant."


def process_again(app, hearing_id: int, lines=LINES) -> None:
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        store_transcript(db.session, hearing, sample_transcript(lines))
        db.session.commit()


def transcript(app, hearing_id: int) -> list[tuple[int, str, bool]]:
    with app.app_context():
        return [
            (s.start_ms, s.text, s.corrected)
            for s in db.session.scalars(
                db.select(Segment)
                .where(Segment.hearing_id == hearing_id)
                .order_by(Segment.start_ms)
            )
        ]


def test_a_corrected_line_is_kept_and_the_machine_lines_fit_around_it(
    app,
    published,  # noqa: F811
    clerk_client,
):
    segment_id, version = line(app, published, 3200)
    correct(clerk_client, published, segment_id, "words", text=CORRECTED, version=version)
    process_again(app, published)
    lines = transcript(app, published)
    assert [text for _, text, _ in lines] == [LINES[0][2], CORRECTED, LINES[2][2]]
    assert [corrected for *_, corrected in lines] == [False, True, False]
    with app.app_context():
        kept = db.session.get(Segment, segment_id)
        assert kept is not None and kept.text == CORRECTED
        assert kept.speaker is not None and kept.speaker.label == "SPEAKER_01"
        assert db.session.scalar(db.select(db.func.count(LineRevision.id))) == 1
        # The machine heard the same there: nothing for a clerk to decide.
        assert not db.session.scalars(
            db.select(ReviewItem).where(ReviewItem.kind == "correction")
        ).all()
    # Search has exactly the lines as they now read.
    with app.app_context():
        hearing = db.session.get(Hearing, published)
        hearing.published_at = hearing.created_at
        db.session.commit()
    public = app.test_client()
    assert public.get("/search?q=warrant").get_data(as_text=True).count("/at/3200") == 1
    assert "/at/3200" not in public.get("/search?q=tool").get_data(as_text=True)


def test_a_correction_the_new_run_contradicts_is_listed_for_the_clerk(
    app,
    published,  # noqa: F811
    clerk_client,
):
    segment_id, version = line(app, published, 3200)
    correct(clerk_client, published, segment_id, "words", text=CORRECTED, version=version)
    heard_otherwise = [
        LINES[0],
        (3.2, "SPEAKER_01", "Budget amendments for the library branch hours downtown."),
        LINES[2],
    ]
    process_again(app, published, heard_otherwise)
    assert transcript(app, published)[1][1] == CORRECTED
    with app.app_context():
        item = db.session.scalars(
            db.select(ReviewItem).where(ReviewItem.kind == "correction")
        ).one()
        assert item.segment_id == segment_id
        assert CORRECTED in item.message and "library branch" in item.message
    page = clerk_client.get(f"/hearings/{published}").get_data(as_text=True)
    assert "Keep the correction" in page and f"/lines/{segment_id}/edit" in page


def test_split_halves_survive_processing_again(app, published, clerk_client):  # noqa: F811
    segment_id, version = line(app, published, 3200)
    correct(clerk_client, published, segment_id, "split", at_word=5, version=version)
    process_again(app, published)
    texts = [text for _, text, _ in transcript(app, published)]
    assert texts == [
        LINES[0][2],
        "Facial recognition is a lead",
        "generator, not an arrest tool.",
        LINES[2][2],
    ]


def test_redactions_hold_on_a_new_machine_transcript(app, published, clerk_client):  # noqa: F811
    redact(clerk_client, published)
    process_again(app, published)
    texts = " ".join(text for _, text, _ in transcript(app, published))
    assert "arrest" not in texts and "[redacted]" in texts


# --- the glossary --------------------------------------------------------------------------


@pytest.fixture
def glossary_body(app, published):  # noqa: F811
    with app.app_context():
        hearing = db.session.get(Hearing, published)
        lindqvist = Person(name="Karin Lindqvist")
        db.session.add(Membership(person=lindqvist, body=hearing.body, start_date=date(2024, 1, 1)))
        db.session.commit()
        return hearing.body_id


def test_the_glossary_is_seeded_from_the_record_and_offered_in_the_editor(
    app,
    published,  # noqa: F811
    clerk_client,
    glossary_body,
):
    token = csrf_token(clerk_client, f"/bodies/{glossary_body}/glossary")
    seeded = clerk_client.post(f"/bodies/{glossary_body}/glossary/seed", data={"csrf_token": token})
    assert seeded.status_code == 302
    with app.app_context():
        terms = db.session.scalars(db.select(GlossaryTerm.term)).all()
    assert "Karin Lindqvist" in terms
    segment_id, version = line(app, published, 3200)
    correct(
        clerk_client,
        published,
        segment_id,
        "words",
        version=version,
        text="Alderwoman Lindquist asked about the lead generator.",
    )
    editor = clerk_client.get(f"/hearings/{published}/lines/{segment_id}/edit", headers=HTMX)
    page = editor.get_data(as_text=True)
    assert 'data-heard="Lindquist" data-term="Lindqvist"' in page
    # A word the glossary does not come near gets no suggestion.
    assert 'data-heard="generator"' not in page


def test_adding_a_term_from_the_editor_and_bad_terms(app, clerk_client, glossary_body):
    token = csrf_token(clerk_client, f"/bodies/{glossary_body}/glossary")
    url = f"/bodies/{glossary_body}/glossary"
    added = clerk_client.post(
        url, data={"csrf_token": token, "term": "Rusch", "kind": "term"}, headers=HTMX
    )
    assert added.status_code == 200 and "Rusch" in added.get_data(as_text=True)
    again = clerk_client.post(url, data={"csrf_token": token, "term": "Rusch", "kind": "term"})
    assert again.status_code == 409
    assert clerk_client.post(url, data={"csrf_token": token, "term": " "}).status_code == 422
    assert (
        clerk_client.post(
            url, data={"csrf_token": token, "term": "x", "kind": "wizard"}
        ).status_code
        == 400
    )
    with app.app_context():
        assert db.session.scalars(db.select(GlossaryTerm.term)).all() == ["Rusch"]
    assert app.test_client().get(url).status_code == 302  # staff only


def test_unknown_body_glossary_is_not_found(clerk_client):
    assert clerk_client.get("/bodies/999/glossary").status_code == 404


def test_a_glossary_spelling_is_applied_to_every_line_as_revisions(
    app,
    published,  # noqa: F811
    clerk_client,
    glossary_body,
):
    with app.app_context():
        db.session.add(GlossaryTerm(body_id=glossary_body, term="Karin Lindqvist", kind="member"))
        db.session.commit()
    for start in (0, 3200):
        segment_id, version = line(app, published, start)
        correct(
            clerk_client,
            published,
            segment_id,
            "words",
            version=version,
            text=f"Alderwoman Lindquist spoke at {start} about policy.",
        )
    page = clerk_client.get(f"/hearings/{published}/spellings").get_data(as_text=True)
    assert "Lindquist" in page and "Lindqvist" in page and "2 lines" in page
    # An ordinary word is never taken for a misheard name.
    assert "policy</strong>" not in page
    token = csrf_token(clerk_client, f"/hearings/{published}/spellings")
    applied = clerk_client.post(
        f"/hearings/{published}/spellings",
        data={"csrf_token": token, "heard": "Lindquist", "term": "Lindqvist"},
    )
    assert applied.status_code == 302
    texts = [text for _, text, _ in transcript(app, published)]
    assert texts[:2] == [
        "Alderwoman Lindqvist spoke at 0 about policy.",
        "Alderwoman Lindqvist spoke at 3200 about policy.",
    ]
    with app.app_context():
        reasons = db.session.scalars(
            db.select(LineRevision.reason).where(LineRevision.reason.is_not(None))
        ).all()
        assert reasons == ["Glossary spelling: Lindquist → Lindqvist"] * 2
    # Sent twice (a double click): nothing is left to apply, and nothing changes.
    again = clerk_client.post(
        f"/hearings/{published}/spellings",
        data={"csrf_token": token, "heard": "Lindquist", "term": "Lindqvist"},
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    "hint, expected",
    [
        ("none", {}),
        ("hotwords", {"hotwords": "Karin Lindqvist"}),
        ("prompt", {"initial_prompt": "Karin Lindqvist."}),
    ],
)
def test_the_glossary_hint_reaches_the_recogniser_only_when_configured(
    app,
    published,  # noqa: F811
    clerk_client,
    glossary_body,
    fake_pipeline,
    hint,
    expected,
):
    with app.app_context():
        db.session.add_all(
            [
                GlossaryTerm(body_id=glossary_body, term="Karin Lindqvist", kind="member"),
                GlossaryTerm(body_id=glossary_body, term="Riverwest", kind="place"),
            ]
        )
        db.session.commit()
    app.config["GLOSSARY_HINT"] = hint
    token = csrf_token(clerk_client, f"/hearings/{published}")
    clerk_client.post(f"/hearings/{published}/reprocess", data={"csrf_token": token})
    assert len(fake_pipeline.runs) == 2
    hints = {k: v for k, v in fake_pipeline.settings.items() if k in ("hotwords", "initial_prompt")}
    assert hints == expected

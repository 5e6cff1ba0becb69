"""Testimony in other languages: chosen per hearing, kept per line, shown, exported and searched
with each language's own rules. The web suite also runs on PostgreSQL: what is not marked as
one database's holds on both."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from hearings.corrections import correct_words
from hearings.extensions import db
from hearings.models import Hearing, Recording, Segment
from tests.fakes import sample_transcript
from tests.web.conftest import csrf_token, hearing_form
from tests.web.test_search_record import hits
from tests.web.test_speakers import stored_hearing

# A hearing in English where one resident testifies in Spanish.
MIXED = [
    (0.0, "SPEAKER_00", "The hearing will come to order."),
    (3.2, "SPEAKER_01", "Buenas noches, me opongo al reconocimiento facial de la policía."),
    (9.5, "SPEAKER_01", "Hace un mes que las comunidades esperan una respuesta."),
    (15.0, "SPEAKER_02", "We oppose this proposal because of misidentification."),
]
SPANISH = {3.2, 9.5}


def mixed_transcript():
    transcript = sample_transcript(MIXED)
    for segment, (start, _, _) in zip(transcript.segments, MIXED, strict=True):
        segment.language = "es" if start in SPANISH else "en"
    return transcript


@pytest.fixture
def mixed(app) -> int:
    return stored_hearing(app, transcript=mixed_transcript())


def counts(app):
    with app.app_context():
        return tuple(
            db.session.scalar(db.select(db.func.count()).select_from(model))
            for model in (Hearing, Recording, Segment)
        )


def test_the_languages_spoken_are_chosen_per_hearing_and_reach_the_pipeline(
    app, clerk_client, jfk_wav, fake_pipeline
):
    response = hearing_form(clerk_client, jfk_wav, languages="en,es")
    assert response.status_code == 302
    assert fake_pipeline.settings == {"languages": "en,es"}
    with app.app_context():
        hearing = db.session.scalars(db.select(Hearing)).one()
        assert hearing.languages == "en,es"
        hearing_id = hearing.id
    page = f"/hearings/{hearing_id}"
    settings = clerk_client.get(page).get_data(as_text=True)
    assert "Languages spoken" in settings and '<option selected value="en,es">' in settings
    token = csrf_token(clerk_client, page)
    # The empty choice goes back to the site's default (HEARING_LANGUAGES), not to "any".
    again = clerk_client.post(f"{page}/reprocess", data={"csrf_token": token, "languages": ""})
    assert again.status_code == 302
    assert fake_pipeline.settings == {}
    with app.app_context():
        assert db.session.get(Hearing, hearing_id).languages is None
    spanish = clerk_client.post(f"{page}/reprocess", data={"csrf_token": token, "languages": "es"})
    assert spanish.status_code == 302
    assert fake_pipeline.settings == {"languages": "es"}


@pytest.mark.parametrize("value", ["xx", "en,xx", "klingon", "en;es"])
def test_a_language_not_offered_is_refused_and_nothing_is_stored(
    app, clerk_client, jfk_wav, fake_pipeline, value
):
    before = counts(app)
    response = hearing_form(clerk_client, jfk_wav, languages=value)
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert counts(app) == before and fake_pipeline.runs == []


def test_each_line_keeps_its_language_and_the_page_marks_the_other_ones(app, client, mixed):
    with app.app_context():
        lines = db.session.scalars(
            db.select(Segment).where(Segment.hearing_id == mixed).order_by(Segment.start_ms)
        ).all()
        assert [line.language for line in lines] == ["en", "es", "es", "en"]
        assert db.session.get(Hearing, mixed).transcript_language == "en"
    page = client.get(f"/hearings/{mixed}").get_data(as_text=True)
    assert re.search(r'<ol id="transcript" [^>]*lang="en"', page)
    marked = re.findall(r'<span class="text" lang="(\w+)">(.*?)</span>', page, re.S)
    assert [language for language, _ in marked] == ["es", "es"]
    assert all('title="Heard in Spanish">ES</abbr>' in words for _, words in marked)
    assert "Buenas noches" in marked[0][1] and "Hace un mes" in marked[1][1]


def test_exports_and_the_api_carry_each_lines_language(app, client, mixed):
    vtt = client.get(f"/hearings/{mixed}/transcript.vtt").get_data(as_text=True)
    assert "language en" in vtt.splitlines()[1]
    cues = [line for line in vtt.splitlines() if "<lang" in line]
    assert len(cues) == 2
    assert all(re.fullmatch(r"<v [^>]+><lang es>[^<]+</lang>", cue) for cue in cues), cues
    assert "<lang" not in vtt.split("come to order")[0].rsplit("\n", 1)[-1]
    data = json.loads(client.get(f"/hearings/{mixed}/transcript.json").get_data(as_text=True))
    assert [s["language"] for s in data["segments"]] == ["en", "es", "es", "en"]
    plain = client.get(f"/hearings/{mixed}/transcript.txt").get_data(as_text=True)
    assert "[0:00:03] [es] Buenas noches" in plain and "[0:00:00] The hearing" in plain
    lines = client.get(f"/api/v1/hearings/{mixed}/lines").get_json()["items"]
    assert [line["language"] for line in lines] == ["en", "es", "es", "en"]


def test_spanish_lines_are_not_cut_by_english_stemming(client, mixed):
    # The porter stemmer reads "mes" (month) as the plural of "me": an English index would
    # find "me opongo" for it. Spanish lines are indexed by their own rules.
    month = hits(client.get("/search?q=mes").get_data(as_text=True))
    assert len(month) == 1 and "Hace un" in month[0]
    # Accents are folded: a keyboard without them still finds the word.
    police = hits(client.get("/search?q=policia").get_data(as_text=True))
    assert len(police) == 1 and "reconocimiento" in police[0]
    assert "<mark>" in police[0] and '<span class="snippet" lang="es">' in police[0]
    # English lines are stemmed as before, and one search finds both languages.
    assert len(hits(client.get("/search?q=opposing").get_data(as_text=True))) == 1
    both = hits(client.get("/search?q=oppose OR opongo").get_data(as_text=True))
    assert len(both) == 2


def test_spanish_words_are_stemmed_on_postgresql(app, client, mixed):
    if db_dialect(app) != "postgresql":
        pytest.skip(
            "SQLite has no Spanish stemmer: its index for other languages folds case "
            "and accents only"
        )
    found = hits(client.get("/search?q=comunidad").get_data(as_text=True))
    assert len(found) == 1 and "comunidades" in found[0]


def test_correcting_a_spanish_line_keeps_its_index_whole(app, client, clerk, mixed):
    with app.app_context():
        line = db.session.scalars(
            db.select(Segment).where(Segment.hearing_id == mixed, Segment.start_ms == 9500)
        ).one()
        line_id = line.id
        correct_words(
            db.session,
            clerk,
            line,
            "Hace un año que las comunidades esperan una respuesta.",
            line.version,
            "heard wrong",
        )
        db.session.commit()
        if db_dialect(app) == "sqlite":
            # Each index holds some of the lines only, so its own structure is checked (0),
            # not its agreement with every row of the content table (1).
            for index in ("segment_fts", "segment_fts_plain"):
                db.session.execute(
                    text(f"INSERT INTO {index}({index}, rank) VALUES('integrity-check', 0)")
                )
    assert hits(client.get("/search?q=mes").get_data(as_text=True)) == []
    corrected = hits(client.get("/search?q=año").get_data(as_text=True))
    assert len(corrected) == 1 and "comunidades" in corrected[0]
    with app.app_context():
        assert db.session.get(Segment, line_id).language == "es"


def db_dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


@pytest.fixture
def uploaded(app, clerk_client, jfk_wav, fake_pipeline) -> int:
    """A mixed hearing made through the upload form, so that it can be processed again."""
    fake_pipeline.transcript = mixed_transcript()
    assert hearing_form(clerk_client, jfk_wav, languages="en,es").status_code == 302
    with app.app_context():
        return db.session.scalars(db.select(Hearing.id)).one()


def test_a_clerk_corrects_a_lines_language_and_processing_again_keeps_it(
    app, clerk_client, uploaded, fake_pipeline
):
    from tests.web.test_corrections import correct, line

    segment_id, version = line(app, uploaded, 9500)
    editor = clerk_client.get(f"/hearings/{uploaded}/lines/{segment_id}/edit").get_data(
        as_text=True
    )
    assert '<option value="es" selected>Spanish</option>' in editor
    # Garbage and a choice of several languages are refused; nothing changes.
    for bad in ("xx", "en,es", "", "auto"):
        refused = correct(clerk_client, uploaded, segment_id, "language", language=bad,
                          version=version)  # fmt: skip
        assert refused.status_code == 422, bad
    stale = correct(clerk_client, uploaded, segment_id, "language", language="en",
                    version=version + 5)  # fmt: skip
    assert stale.status_code == 409
    with app.app_context():
        assert db.session.get(Segment, segment_id).language == "es"
    done = correct(clerk_client, uploaded, segment_id, "language", language="en",
                   version=version, reason="an interpreter, in English")  # fmt: skip
    assert done.status_code == 200
    assert 'lang="en"' not in done.get_data(as_text=True).split("line-tools")[0]
    with app.app_context():
        corrected = db.session.get(Segment, segment_id)
        assert (corrected.language, corrected.corrected) == ("en", True)
    log = clerk_client.get(f"/hearings/{uploaded}/corrections").get_data(as_text=True)
    assert "[es] Hace un mes" in log and "[en] Hace un mes" in log
    # Now in the English index, and still found by its words.
    assert len(hits(clerk_client.get("/search?q=hace").get_data(as_text=True))) == 1
    token = csrf_token(clerk_client, f"/hearings/{uploaded}")
    again = clerk_client.post(f"/hearings/{uploaded}/reprocess",
                              data={"csrf_token": token, "languages": "en,es"})  # fmt: skip
    assert again.status_code == 302 and len(fake_pipeline.runs) == 2
    with app.app_context():
        lines = db.session.scalars(
            db.select(Segment).where(Segment.hearing_id == uploaded).order_by(Segment.start_ms)
        ).all()
        assert [(s.start_ms, s.language) for s in lines] == [
            (0, "en"), (3200, "es"), (9500, "en"), (15000, "en")
        ]  # fmt: skip
        if db_dialect(app) == "sqlite":
            for index in ("segment_fts", "segment_fts_plain"):
                db.session.execute(
                    text(f"INSERT INTO {index}({index}, rank) VALUES('integrity-check', 0)")
                )
    assert len(hits(clerk_client.get("/search?q=hace").get_data(as_text=True))) == 1
    assert len(hits(clerk_client.get("/search?q=policia").get_data(as_text=True))) == 1

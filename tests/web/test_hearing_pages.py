"""Public pages of a transcribed hearing: progress widget, transcript, search, quotes, exports."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
import webvtt

from hearings.extensions import db
from hearings.models import Hearing, Job
from hearings.models.base import utcnow
from hearings.transcripts import store_transcript
from tests.fakes import LINES, sample_transcript
from tests.web.conftest import csrf_token, hearing_form

HTMX = {"HX-Request": "true"}
# The fake pipeline's three lines (tests/fakes.py): starts and ends in milliseconds.
STARTS = [0, 3200, 9500]
ENDS = [2350, 7150, 13450]
PERMALINK = "http://hearings.test/hearings/{id}/at/{ms}"


@pytest.fixture
def hearing_id(app, clerk_client, jfk_wav):
    """A hearing uploaded by a clerk and transcribed by the fake pipeline."""
    response = hearing_form(clerk_client, jfk_wav)
    assert response.status_code == 302
    with app.app_context():
        hearing_id = db.session.scalars(db.select(Hearing.id)).one()
    # Published, so that residents' views of it can be tested (drafts: test_publishing.py).
    token = csrf_token(clerk_client, f"/hearings/{hearing_id}")
    clerk_client.post(f"/hearings/{hearing_id}/publish", data={"csrf_token": token})
    return hearing_id


def set_job(app, hearing_id: int, **fields) -> None:
    with app.app_context():
        job = db.session.get(Hearing, hearing_id).latest_job
        for name, value in fields.items():
            setattr(job, name, value)
        db.session.commit()


def job_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Job))


# Progress widget


@pytest.mark.parametrize(
    "status, stage, progress, shown",
    [
        ("queued", "waiting in queue", 0, "Waiting in queue"),
        ("running", "transcribing", 42, "(42%)"),
        # The pipeline's own stage names are put in words.
        ("running", "detect_languages", 12, "Detecting the languages spoken (12%)"),
        ("running", "assign_speakers", 98, "Giving each line its speaker (98%)"),
    ],
)
def test_job_status_polls_while_the_job_is_unfinished(
    client, app, hearing_id, status, stage, progress, shown
):
    set_job(app, hearing_id, status=status, stage=stage, progress=progress)
    response = client.get(f"/hearings/{hearing_id}/job", headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="job-status"' in page
    assert 'hx-trigger="every 1s"' in page
    assert f'hx-get="/hearings/{hearing_id}/job"' in page
    assert 'hx-swap="outerHTML"' in page
    assert f'<progress id="job-progress" max="100" value="{progress}"' in page
    assert shown in page
    assert "HX-Refresh" not in response.headers
    # The hearing page embeds the same polling widget, and no transcript yet.
    detail = client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in detail


def test_finished_job_stops_polling_and_reloads_the_page(client, hearing_id):
    response = client.get(f"/hearings/{hearing_id}/job", headers=HTMX)
    page = response.get_data(as_text=True)
    assert "Processing finished" in page
    assert "hx-trigger" not in page and "hx-get" not in page
    assert response.headers["HX-Refresh"] == "true"
    # A plain request (no htmx) gets the widget without the reload instruction.
    assert "HX-Refresh" not in client.get(f"/hearings/{hearing_id}/job").headers
    # Once done, the hearing page shows the transcript, not a widget that would poll.
    detail = client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert 'id="job-status"' not in detail and 'id="transcript"' in detail


def test_failed_job_shows_the_reason_and_retry_only_to_clerks(app, clerk_client, hearing_id):
    set_job(
        app,
        hearing_id,
        status="failed",
        stage="failed",
        attempts=2,
        error="AudioError: the recording is cut short",
    )
    visitor = app.test_client()
    widget = visitor.get(f"/hearings/{hearing_id}/job", headers=HTMX).get_data(as_text=True)
    # The public is told it failed; the reason (which can name files and machines) is for clerks.
    assert "Processing this recording failed; the clerks have been told." in widget
    assert "AudioError" not in widget
    clerk_widget = clerk_client.get(f"/hearings/{hearing_id}/job", headers=HTMX)
    assert (
        "Processing failed after 2 attempts: AudioError: the recording is cut short"
        in clerk_widget.get_data(as_text=True)
    )
    assert "hx-trigger" not in widget
    assert "Try again" not in widget
    assert "Try again" not in visitor.get(f"/hearings/{hearing_id}").get_data(as_text=True)

    for url in (f"/hearings/{hearing_id}/job", f"/hearings/{hearing_id}"):
        page = clerk_client.get(url).get_data(as_text=True)
        assert "Try again" in page
        assert f'action="/hearings/{hearing_id}/retry"' in page


def test_clerk_retry_queues_a_new_job(app, clerk_client, hearing_id, fake_pipeline):
    set_job(app, hearing_id, status="failed", stage="failed", attempts=1, error="boom")
    token = csrf_token(clerk_client, f"/hearings/{hearing_id}")
    response = clerk_client.post(f"/hearings/{hearing_id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert job_count(app) == 2
    assert len(fake_pipeline.runs) == 2
    with app.app_context():
        assert db.session.get(Hearing, hearing_id).latest_job.status == "done"


def test_retry_refused_while_running_and_for_anonymous(app, client, clerk_client, hearing_id):
    set_job(app, hearing_id, status="running", stage="transcribing", progress=10)
    token = csrf_token(clerk_client, f"/hearings/{hearing_id}")
    response = clerk_client.post(
        f"/hearings/{hearing_id}/retry", data={"csrf_token": token}, follow_redirects=True
    )
    assert "already being processed" in response.get_data(as_text=True)
    assert job_count(app) == 1

    anonymous = app.test_client()
    token = csrf_token(anonymous, "/auth/login")
    response = anonymous.post(f"/hearings/{hearing_id}/retry", data={"csrf_token": token})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert job_count(app) == 1


# Hearing page


def test_hearing_page_shows_player_banner_and_timed_lines(app, hearing_id):
    response = app.test_client().get(f"/hearings/{hearing_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "machine transcript" in page
    assert (
        f'<audio id="player" controls preload="metadata" src="/hearings/{hearing_id}/recording"'
        in page
    )
    starts = re.findall(r'<li id="seg-(\d+)" class="segment[^"]*"\s+data-start="([\d.]+)"', page)
    assert [(int(ms), float(s)) for ms, s in starts] == [(ms, ms / 1000) for ms in STARTS]
    for _, speaker, text in LINES:
        assert html.escape(text, quote=False) in page and speaker in page
    assert "quoted" not in page


def test_consecutive_lines_of_one_speaker_are_one_paragraph(app, hearing_id):
    # Two lines by the chair, one by the chief, two more by the chair: three turns.
    lines = [
        (0.0, "SPEAKER_00", "Order, please."),
        (2.0, "SPEAKER_00", "We begin with item one."),
        (4.0, "SPEAKER_01", "Thank you, chair."),
        (6.0, "SPEAKER_00", "Next speaker."),
        (8.0, "SPEAKER_00", "Please state your name."),
    ]
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        store_transcript(db.session, hearing, sample_transcript(lines))
        # A new machine transcript waits for review; these tests read it as the public.
        hearing.published_at = utcnow()
        db.session.commit()
    page = app.test_client().get(f"/hearings/{hearing_id}").get_data(as_text=True)
    transcript = page[page.index('<ol id="transcript"') :]
    turns = re.findall(
        r'<li class="speaker-turn"[^>]*>\s*<p class="turn-speaker">'
        r'<span class="speaker">([^<]+)</span>.*?</ol>\s*</li>',
        transcript,
        re.S,
    )
    assert turns == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"]
    # Each line is still its own item, with its time linking to the quote and a keyboard stop.
    for start, _, _ in lines:
        ms = int(start * 1000)
        assert f'href="/hearings/{hearing_id}/at/{ms}"' in transcript
        assert re.search(rf'<li id="seg-{ms}" class="segment[^>]*tabindex="0"', transcript, re.S)
    # The speaker is named once per turn, not on every line.
    assert transcript.count('<span class="speaker">') == 3
    # Only the chair's lines: the chief spoke between them, so they are still two turns.
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        chair = next(s.id for s in hearing.speakers if s.label == "SPEAKER_00")
    only_chair = app.test_client().get(f"/hearings/{hearing_id}/transcript?speaker={chair}")
    assert only_chair.get_data(as_text=True).count('<li class="speaker-turn"') == 2


def test_the_hearing_page_offers_a_skip_link_to_its_transcript(app, client, hearing_id):
    page = app.test_client().get(f"/hearings/{hearing_id}").get_data(as_text=True)
    skip = page.index('href="#transcript">Skip to the transcript</a>')
    assert skip < page.index('<audio id="player"') < page.index('<ol id="transcript"')
    assert '<ol id="transcript" class="transcript" tabindex="-1"' in page
    assert 'id="follow-toggle" aria-pressed="true" hidden' in page
    # Clerks keep one row per line, for the selection boxes and line tools.
    clerk_page = client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert '<ol id="transcript" class="transcript editing" tabindex="-1"' in clerk_page


def test_recording_is_streamed_with_ranges(client, hearing_id, jfk_wav):
    response = client.get(f"/hearings/{hearing_id}/recording", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206
    assert response.data == jfk_wav.read_bytes()[:100]
    response.close()


def test_unknown_hearing_is_404(client):
    for url in (
        "/hearings/999",
        "/hearings/999/job",
        "/hearings/999/at/0",
        "/hearings/999/transcript.vtt",
    ):
        assert client.get(url).status_code == 404, url


# Search


def test_search_marks_matches_and_links_the_quote(client, hearing_id):
    response = client.get("/search?q=recognition")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in page
    hits = re.findall(r'<li class="hit">.*?</li>', page, re.S)
    assert len(hits) == 1
    hit = hits[0]
    assert "<mark>recognition</mark>" in hit.lower()
    assert f'href="/hearings/{hearing_id}/at/3200"' in hit
    assert "Facial recognition hearing" in hit
    assert "Equal Rights Commission" in hit
    assert "2026-03-12" in hit
    assert "0:00:03" in hit
    assert "SPEAKER_01" in hit


def test_search_for_nothing_said_says_so(client, hearing_id):
    page = client.get("/search?q=helicopter").get_data(as_text=True)
    assert "Nothing found for “helicopter”" in page
    assert 'class="hit"' not in page


def test_htmx_search_returns_only_the_results(client, hearing_id):
    response = client.get("/search?q=misidentification", headers=HTMX)
    page = response.get_data(as_text=True).strip()
    assert page.startswith('<section id="results"') and page.endswith("</section>")
    assert "<html" not in page and "<form" not in page
    assert f'href="/hearings/{hearing_id}/at/9500"' in page
    assert "HX-Request" in response.headers["Vary"]


def test_search_escapes_what_was_said(app, client, hearing_id):
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        store_transcript(
            db.session,
            hearing,
            sample_transcript(
                [(0.0, "SPEAKER_00", "The <script>alert(1)</script> tag & recognition")]
            ),
        )
        db.session.commit()
    page = client.get("/search?q=recognition").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert "<mark>recognition</mark>" in page.lower()


@pytest.mark.parametrize(
    ("query", "finds"),
    [
        ('"unclosed', False),
        ("AND OR", None),
        ("recognition AND", True),
        ("NEAR(", False),
        ("(", None),
        ("OR", None),
        ('"facial recognition', True),
        ("-recognition", None),
    ],
)
def test_any_text_is_a_search_the_same_on_both_databases(app, client, hearing_id, query, finds):
    """Stray operators and quotes are read, never refused: both databases get one query."""
    response = client.get("/search", query_string={"q": query})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="results"' in page and "could not be understood" not in page
    found = re.findall(r'<li class="hit">', page)
    if finds is None:
        # Nothing to look for: only the form's hint, no empty "Nothing found".
        assert "Type words to find" in page and not found
    else:
        assert bool(found) == finds, page
    # A query that found nothing leaves the next one working (PostgreSQL would abort the
    # transaction on an error).
    again = client.get("/search?q=recognition").get_data(as_text=True)
    assert "<mark>recognition</mark>" in again.lower()


def test_operators_alone_in_htmx_request_return_the_results_partial(client, hearing_id):
    response = client.get("/search", query_string={"q": "AND OR"}, headers=HTMX)
    page = response.get_data(as_text=True).strip()
    assert response.status_code == 200
    assert page.startswith('<section id="results"') and "Type words to find" in page


@pytest.mark.parametrize(
    "query, start_ms",
    [("O'Brien", 9500), ("department's", 3200), ("10:30", 0), ("c++", None)],
)
def test_words_with_punctuation_are_searched_as_said(app, client, hearing_id, query, start_ms):
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        store_transcript(
            db.session,
            hearing,
            sample_transcript(
                [
                    (0.0, "SPEAKER_00", "We resume at 10:30 tonight."),
                    (3.2, "SPEAKER_01", "The department's policy covers still images."),
                    (9.5, "SPEAKER_02", "Commissioner O'Brien asked about the software."),
                ]
            ),
        )
        db.session.commit()
    page = client.get("/search", query_string={"q": query}).get_data(as_text=True)
    assert "could not be understood" not in page
    assert re.findall(r'href="/hearings/\d+/at/(\d+)"', page) == (
        [] if start_ms is None else [str(start_ms)]
    )


def db_dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


# Quote permalinks


def test_quote_page_highlights_the_line_and_offers_a_citation(client, hearing_id):
    response = client.get(f"/hearings/{hearing_id}/at/3200")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    url = PERMALINK.format(id=hearing_id, ms=3200)
    quoted = re.findall(r'<li id="seg-(\d+)" class="segment quoted', page)
    assert quoted == ["3200"]
    assert page.count("segment quoted") == 1

    citation = html.unescape(
        re.search(r'<textarea id="citation-text"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    )
    assert "“Facial recognition is a lead generator, not an arrest tool.”" in citation
    assert (
        "Facial recognition hearing, Equal Rights Commission, March 12, 2026, at 0:00:03"
        in citation
    )
    assert "SPEAKER_01" in citation
    # The link names the quoted range of the recording and the day it was cited.
    assert re.search(
        rf"http://hearings.test/hearings/{hearing_id}/at/3200-7150\?as_of=\d{{4}}-\d\d-\d\d$",
        citation,
    )
    assert url.replace("/at/3200", "/at/3200-7150") in page  # the canonical link

    meta = dict(re.findall(r'<meta property="(og:[a-z]+)" content="([^"]*)">', page))
    assert "Facial recognition is a lead generator" in html.unescape(meta["og:title"])
    assert html.unescape(meta["og:description"]) == (
        "Facial recognition hearing, Equal Rights Commission, March 12, 2026, at 0:00:03"
    )
    canonical = url.replace("/at/3200", "/at/3200-7150")
    assert meta["og:url"] == canonical
    assert f'<link rel="canonical" href="{canonical}">' in page
    # The player starts at the quote.
    assert 'data-start="3.2"></audio>' in page


@pytest.mark.parametrize(
    "asked, canonical",
    [
        (5000, 3200),  # inside the second line
        (2500, 3200),  # in the silence before it: the next line
        (8000, 9500),
        (60_000, 9500),  # after the end: the last line
    ],
)
def test_other_times_redirect_to_the_line_start(client, hearing_id, asked, canonical):
    response = client.get(f"/hearings/{hearing_id}/at/{asked}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/hearings/{hearing_id}/at/{canonical}"


def test_quote_of_a_hearing_without_transcript_is_404(app, client, clerk_client, tmp_path):
    from tests.web.conftest import tone_wav

    app.config["PIPELINE_FACTORY"] = None
    # Queue without running: the job stays queued and the hearing has no lines yet.
    queue = app.extensions["task_queue"]
    queue.enqueue = lambda job: None
    assert hearing_form(clerk_client, tone_wav(tmp_path / "tone.wav")).status_code == 302
    with app.app_context():
        hearing_id = db.session.scalars(db.select(Hearing.id)).one()
    assert client.get(f"/hearings/{hearing_id}/at/0").status_code == 404
    page = client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert "The transcript will appear here" in page


# Exports


def export(client, hearing_id: int, fmt: str):
    response = client.get(f"/hearings/{hearing_id}/transcript.{fmt}")
    assert response.status_code == 200, fmt
    return response


def test_webvtt_export_parses_with_cues_and_voices(client, hearing_id):
    response = export(client, hearing_id, "vtt")
    assert response.mimetype == "text/vtt"
    captions = webvtt.from_buffer(io.StringIO(response.get_data(as_text=True))).captions
    assert [c.identifier for c in captions] == [f"seg-{ms}" for ms in STARTS]
    assert [(c.start, c.end) for c in captions] == [
        ("00:00:00.000", "00:00:02.350"),
        ("00:00:03.200", "00:00:07.150"),
        ("00:00:09.500", "00:00:13.450"),
    ]
    assert [c.voice for c in captions] == [speaker for _, speaker, _ in LINES]
    assert [c.text for c in captions] == [text for _, _, text in LINES]


def test_srt_export_numbers_cues_from_one(client, hearing_id, tmp_path):
    text = export(client, hearing_id, "srt").get_data(as_text=True)
    blocks = [b.splitlines() for b in text.strip().split("\n\n")]
    assert [b[0] for b in blocks] == ["1", "2", "3"]
    assert blocks[1][1] == "00:00:03,200 --> 00:00:07,150"
    assert blocks[1][2] == "SPEAKER_01: Facial recognition is a lead generator, not an arrest tool."
    path = tmp_path / "hearing.srt"
    path.write_text(text, encoding="utf-8")
    assert [c.start for c in webvtt.from_srt(str(path)).captions] == [
        "00:00:00.000",
        "00:00:03.200",
        "00:00:09.500",
    ]


def test_text_export_reads_like_a_transcript(client, hearing_id):
    response = export(client, hearing_id, "txt")
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[:3] == [
        "Facial recognition hearing",
        "Equal Rights Commission, 2026-03-12",
        "Machine transcript.",
    ]
    assert "SPEAKER_01:" in lines
    assert "[0:00:03] Facial recognition is a lead generator, not an arrest tool." in lines


def test_json_export_has_segments_with_words(client, hearing_id):
    response = export(client, hearing_id, "json")
    assert response.mimetype == "application/json"
    data = json.loads(response.data)
    assert data["hearing"]["id"] == hearing_id and data["hearing"]["machine_transcript"] is True
    segments = data["segments"]
    assert [(s["start"], s["end"], s["speaker"], s["text"]) for s in segments] == [
        (ms / 1000, end / 1000, speaker, text)
        for ms, end, (_, speaker, text) in zip(STARTS, ENDS, LINES, strict=True)
    ]
    for segment, (_, _, text) in zip(segments, LINES, strict=True):
        assert [w["text"] for w in segment["words"]] == text.split()
        assert segment["words"][0]["start"] == segment["start"]
        assert segment["words"][-1]["end"] == segment["end"]


def test_download_links_name_the_file(client, hearing_id):
    page = client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    for fmt in ("vtt", "srt", "txt", "json"):
        assert f'href="/hearings/{hearing_id}/transcript.{fmt}?download=1"' in page
    response = client.get(f"/hearings/{hearing_id}/transcript.srt?download=1")
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="hearing-{hearing_id}.srt"'
    )


@pytest.mark.parametrize("fmt", ["docx", "pdf", "VTT"])
def test_unknown_export_format_is_404(client, hearing_id, fmt):
    assert client.get(f"/hearings/{hearing_id}/transcript.{fmt}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/hearings/99999999999999999999",
        "/hearings/9223372036854775808/transcript.vtt",
        "/hearings/1/at/99999999999999999999",
        "/matters/99999999999999999999",
        "/people/18446744073709551616",
    ],
)
def test_ids_too_large_for_a_database_key_are_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("name", ["body", "person", "organization", "matter"])
def test_search_filters_too_large_for_a_key_are_ignored_not_a_500(client, name):
    response = client.get(f"/search?q=x&{name}=99999999999999999999")
    assert response.status_code == 200


def test_text_exports_name_their_charset_once(client, hearing_id):
    response = client.get(f"/hearings/{hearing_id}/transcript.txt")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"

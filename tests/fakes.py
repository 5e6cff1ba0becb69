"""A stand-in speech pipeline for web tests: real shapes, no model."""

from __future__ import annotations

from transcription.schema import Segment, SpeakerTurn, Transcript, Word


def words(text: str, start: float, step: float = 0.4, speaker: str | None = None) -> list[Word]:
    return [
        Word(
            text=" " + w,
            start=round(start + i * step, 3),
            end=round(start + (i + 1) * step - 0.05, 3),
            probability=0.9,
            speaker=speaker,
        )
        for i, w in enumerate(text.split())
    ]


LINES = [
    (0.0, "SPEAKER_00", "The hearing will come to order."),
    (3.2, "SPEAKER_01", "Facial recognition is a lead generator, not an arrest tool."),
    (9.5, "SPEAKER_02", "We oppose this proposal because of misidentification and racial bias."),
]


def sample_transcript(lines=LINES, sha256: str | None = None) -> Transcript:
    segments = []
    for start, speaker, text in lines:
        ws = words(text, start, speaker=speaker)
        segments.append(
            Segment(start=ws[0].start, end=ws[-1].end, text=" " + text, words=ws, speaker=speaker)
        )
    turns = [SpeakerTurn(s.start, s.end, s.speaker) for s in segments]
    return Transcript(
        segments=segments,
        language="en",
        duration=15.0,
        model="fake-whisper",
        audio_sha256=sha256,
        turns=turns,
        diarizer="fake",
    )


class FakePipeline:
    """Reports progress through the stages and returns a fixed transcript."""

    def __init__(
        self, config=None, transcript: Transcript | None = None, error: Exception | None = None
    ):
        self.transcript = transcript
        self.error = error
        self.runs: list[str] = []

    def run(self, path, progress=None, **settings):
        self.runs.append(str(path))
        self.settings = settings
        for stage, percent in [("decoding", 5), ("transcribing", 50), ("diarizing", 90)]:
            if progress:
                progress(stage, percent)
        if self.error:
            raise self.error
        return self.transcript or sample_transcript()


class CrashingPipeline:
    """Dies the way a native library does (SIGILL) part-way through; for the child process."""

    def __init__(self, config=None):
        self.config = config

    def run(self, path, progress=None, **settings):
        import os
        import signal

        if progress:
            progress("transcribe", 20)
        os.kill(os.getpid(), signal.SIGILL)

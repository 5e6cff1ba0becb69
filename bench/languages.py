"""Word error rate per language on a hearing where witnesses switch between English and Spanish.

The shared data has no real Spanish speech, so the recording is synthesised with espeak-ng:
three English and three Spanish statements (two Spanish voices), 1.5 s apart. It is
transcribed three ways, in the same run:

* baseline: the English model (tiny.en), as every hearing was before languages were kept;
* base, one language per recording: the multilingual model left to detect the language once;
* base, per passage: ``languages="en,es"`` (each passage detected, each run transcribed in its
  language), the pipeline's way.

For each it prints the WER of the English and of the Spanish statements (the words recognised
within each statement's time, whatever language they were tagged), the share of lines tagged
with the language actually spoken, and the time taken.

Then the shared data's real English speech (about 7 minutes, accented speakers among them) is
transcribed with ``languages`` "en", "en,es" and "auto": a line tagged with another language
there is a false switch, and the time shows what detecting languages costs on real audio.

    .venv/bin/python bench/languages.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transcription.audio import SAMPLE_RATE as SR  # noqa: E402

ORDER = [
    ("en", "en-us", "Good evening. I live on the south side and I oppose the use of facial "
     "recognition by the police department."),
    ("es", "es-419", "Buenas noches. Vivo en el barrio sur desde hace veinte años y me opongo a "
     "este proyecto."),
    ("en", "en-us", "The department already uses this technology, and the council has never "
     "voted on it."),
    ("es", "es", "La policía ya usa esta tecnología y nuestra comunidad nunca fue consultada."),
    ("es", "es-419", "Pedimos al concejo que vote en contra del reconocimiento facial. Muchas "
     "gracias."),
    ("en", "en+f3", "Thank you for your time, and I ask the commission to recommend that the "
     "council block it."),
]  # fmt: skip


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())


def synthesise(folder: Path) -> tuple[Path, list[tuple[float, float, str, str]]]:
    import soundfile

    pieces, spans, position = [], [], 0
    for number, (language, voice, text) in enumerate(ORDER):
        raw, wav = folder / f"{number}.raw.wav", folder / f"{number}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-r", str(SR), "-c", "1", "-b", "16", str(wav)],
                       check=True)  # fmt: skip
        spoken, _ = soundfile.read(wav, dtype="float32")
        pause = np.zeros(int(1.5 * SR), np.float32)
        start = position + pause.size
        pieces += [pause, spoken]
        position = start + spoken.size
        spans.append((start / SR, position / SR, language, text))
    pieces.append(np.zeros(SR, np.float32))
    path = folder / "mixed.wav"
    soundfile.write(path, np.concatenate(pieces), SR)
    return path, spans


def score(segments, spans) -> dict[str, float]:
    import jiwer

    heard: dict[str, list[str]] = {"en": [], "es": []}
    right = 0
    for segment in segments:
        middle = (segment.start + segment.end) / 2
        spoken = min(spans, key=lambda span: abs((span[0] + span[1]) / 2 - middle))[2]
        heard[spoken].append(segment.text)
        right += segment.language == spoken
    result = {
        language: jiwer.wer(
            " ".join(normalised(text) for _, _, lang, text in spans if lang == language),
            normalised(" ".join(heard[language])) or "-",
        )
        for language in ("en", "es")
    }
    result["tagged right"] = right / max(len(segments), 1)
    return result


def real_english(folder: Path) -> Path:
    """Join the shared data's real English speech (the 12 AMI meeting openings, whose
    speakers include non-native ones, the pyannote sample and JFK) into one recording."""
    from transcription.audio import decode

    data = Path(__file__).resolve().parents[2] / "shared" / "data"
    files = sorted((data / "ami-pyannote-debug").glob("*.wav"))
    files += [data / "pyannote-sample" / "sample.wav", data / "whisper-jfk" / "jfk.flac"]
    pause = np.zeros(SR, np.float32)
    joined = np.concatenate([piece for path in files for piece in (decode(path), pause)])
    import soundfile

    path = folder / "english.wav"
    soundfile.write(path, joined, SR)
    return path


def false_switches(path: Path, cache: str) -> None:
    """On English-only speech, how many lines each setting tags with another language."""
    import soundfile

    from transcription.pipeline import PipelineConfig, TranscriptionPipeline

    duration = soundfile.info(str(path)).duration
    print(f"\nreal English speech, {duration / 60:.1f} min (AMI openings, pyannote sample, JFK):")
    print(f"{'setting':34} {'lines':>6} {'not en':>7} {'detect s':>9} {'total s':>8} {'x real':>7}")
    for setting in ("en", "en,es", "auto"):
        pipeline = TranscriptionPipeline(PipelineConfig(languages=setting, cache_dir=cache))
        started = time.perf_counter()
        transcript = pipeline.run(path)
        seconds = time.perf_counter() - started
        others = [s for s in transcript.segments if s.language != "en"]
        detect = transcript.timings.get("detect_languages", 0.0)
        print(f"{setting:34} {len(transcript.segments):6} {len(others):7} {detect:9.1f} "
              f"{seconds:8.1f} {duration / seconds:7.1f}")  # fmt: skip
        for segment in others[:5]:
            print(f"    {segment.language} at {segment.start:.1f}s: {segment.text[:70]}")


def main() -> None:
    from transcription import asr
    from transcription.pipeline import PipelineConfig, TranscriptionPipeline

    folder = Path(tempfile.mkdtemp(prefix="languages-bench-"))
    path, spans = synthesise(folder)
    duration = spans[-1][1] + 1
    cache = str(folder / "models")
    rows = []

    baseline = TranscriptionPipeline(PipelineConfig(cache_dir=cache))
    baseline.run(path)  # loads the model outside the timing
    started = time.perf_counter()
    transcript = baseline.run(path)
    rows.append(("tiny.en (baseline)", score(transcript.segments, spans),
                 time.perf_counter() - started))  # fmt: skip

    multilingual = TranscriptionPipeline(PipelineConfig(languages="en,es", cache_dir=cache))
    multilingual.run(path)
    # One detection for the whole recording, as faster-whisper does when given no language.
    model = asr.load_model(multilingual.multilingual_source)
    from transcription.audio import decode, normalise_loudness

    samples = decode(path)
    normalise_loudness(samples)
    started = time.perf_counter()
    once, language = asr.transcribe(model, samples, language=None,
                                    speech=asr.detect_speech(samples))  # fmt: skip
    for segment in once:
        segment.language = language
    rows.append(("base, one language a recording", score(once, spans),
                 time.perf_counter() - started))  # fmt: skip

    started = time.perf_counter()
    transcript = multilingual.run(path)
    per_passage = time.perf_counter() - started
    rows.append(("base, per passage (en,es)", score(transcript.segments, spans), per_passage))
    detection = transcript.timings.get("detect_languages", 0.0)

    print(f"recording: {duration:.1f} s, {len(ORDER)} statements (3 English, 3 Spanish)")
    print(f"{'setup':34} {'WER en':>7} {'WER es':>7} {'tagged':>7} {'seconds':>8} {'x real':>7}")
    for name, result, seconds in rows:
        tagged, speed = result["tagged right"], duration / seconds
        print(f"{name:34} {result['en']:7.1%} {result['es']:7.1%} "
              f"{tagged:7.0%} {seconds:8.1f} {speed:7.1f}")  # fmt: skip
    base_en, base_es = rows[0][1]["en"], rows[0][1]["es"]
    best = rows[2][1]
    print(f"per passage against baseline: English WER x{best['en'] / max(base_en, 1e-9):.2f}, "
          f"Spanish WER x{best['es'] / max(base_es, 1e-9):.2f}")  # fmt: skip
    print(f"language detection: {detection:.1f} s ({detection / duration:.1%} of the audio)")
    false_switches(real_english(folder), cache)


if __name__ == "__main__":
    main()

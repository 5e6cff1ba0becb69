"""Default settings; instance/config.py and HEARINGS_* environment variables override them."""

import os
from pathlib import Path

GiB = 1024**3


def defaults(instance_path: str) -> dict:
    """Return the settings a fresh install runs with."""
    instance = Path(instance_path)
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'hearings.sqlite3'}",
        "UPLOAD_FOLDER": str(instance / "uploads"),
        # Council meetings run 2-4 hours and video files can be several gigabytes.
        "MAX_CONTENT_LENGTH": 8 * GiB,
        # Task queue: a file under instance/ on one machine; Redis when several workers share it.
        "QUEUE_FILE": str(instance / "queue.sqlite3"),
        # The bulk export of the public record (/api/v1/export.zip), rebuilt daily by the worker.
        "EXPORT_FOLDER": str(instance / "exports"),
        "QUEUE_REDIS_URL": None,
        "QUEUE_IMMEDIATE": False,
        "QUEUE_RETRIES": 1,
        "WORKER_THREADS": 1,
        # A running job's worker renews its lease every quarter of this; a job whose lease has
        # run out lost its worker and is put back on the queue by the next worker to look.
        "JOB_LEASE_SECONDS": 120,
        # Attempts (failures and lost workers together) before a job fails for good.
        "JOB_MAX_ATTEMPTS": 3,
        # Run the speech engine in a child process, so a native crash fails one attempt
        # instead of killing the worker (each job then loads the models, a few seconds).
        "SPEECH_IN_CHILD_PROCESS": True,
        # What the child process builds from the pipeline settings and runs (tests name a
        # stand-in that crashes the way a native library would).
        "SPEECH_ENGINE": "transcription.pipeline:TranscriptionPipeline",
        # Speech pipeline (see transcription.pipeline.PipelineConfig).
        "WHISPER_MODEL": None,
        # The model for hearings spoken in other languages than English: "base" is the
        # multilingual Whisper base the project's packages ship, joined into MODEL_CACHE_DIR
        # on first use; or a local CTranslate2 directory.
        "WHISPER_MULTILINGUAL_MODEL": "base",
        # The languages a new hearing is spoken in, unless its clerk says otherwise: "en"
        # (the English model), a code such as "es", several ("en,es": each passage's language
        # is detected among them) or "auto" (any language Whisper knows).
        "HEARING_LANGUAGES": "en",
        "WHISPER_ALLOW_DOWNLOAD": False,
        # One inference thread per core; more only adds contention on small machines.
        "WHISPER_CPU_THREADS": os.cpu_count() or 2,
        "DIARIZER": "auto",
        "DIARIZER_PATH": None,
        # The body's members from its glossary, passed to the recogniser: "hotwords", "prompt",
        # or "none". Off by default: measured (bench/glossary_wer.py, tiny.en) every hint raised
        # WER (members only as hotwords x1.29); the editor's spelling offers do not.
        "GLOSSARY_HINT": "none",
        # Voice similarity (cosine, CAM++) at or above which a new label is suggested as a known
        # person; unset, transcription.voices.RECOGNITION_THRESHOLD (measured there) applies.
        "SPEAKER_MATCH_THRESHOLD": None,
        # Position suggestions: the key-phrase method is primary and instant. True also compares
        # with example sentences, whose model takes seconds to load on first use in a process;
        # enable it only where a warm process is kept, so no clerk's request waits on the load.
        "POSITION_EMBEDDINGS": False,
        # Written comments are letters and petitions, not recordings: a generous limit for scans.
        "TESTIMONY_MAX_PDF_BYTES": 25 * 1024**2,
        # Documents (agenda packets, presentations, minutes): packets of scans run to hundreds
        # of megabytes; their pages are read one at a time, so size costs time, not memory.
        "DOCUMENT_MAX_BYTES": 500 * 1024**2,
        "DOCUMENT_MAX_PAGES": 5000,
        # Tesseract's languages for scanned pages; it leans on the first. Spanish, then English:
        # on Spanish letters word errors 12-18 % -> 0, on English ones 0 either way
        # (bench/ocr_languages.py); "eng+spa" still misread a short Spanish letter. Languages
        # not installed are left out.
        "OCR_LANGUAGES": "spa+eng",
        "MODEL_CACHE_DIR": str(instance / "cache"),
        # The decoded samples of the recording being processed (about 230 MB an hour), in a
        # nameless file read through the page cache rather than held in the worker's memory.
        # Keep it on disk: in a RAM-backed folder the samples are back in memory.
        "SCRATCH_DIR": str(instance / "scratch"),
        # A callable returning an object with .run(path, progress) -> Transcript (tests: fakes).
        "PIPELINE_FACTORY": None,
        # Rate limits (Flask-Limiter syntax). Counters live in memory, per server process;
        # set RATELIMIT_STORAGE_URI to a redis:// URL to share them between processes.
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Wrong passwords only count; a correct one never locks its owner out.
        "SIGN_IN_LIMIT_PER_ADDRESS": "20 per minute; 200 per day",
        "SIGN_IN_LIMIT_PER_ACCOUNT": "5 per minute; 50 per day",
        "UPLOAD_LIMIT": "30 per hour",
        "SEARCH_LIMIT": "60 per minute",
        "API_LIMIT": "120 per minute",
        "ALERT_LIMIT": "10 per hour",
        # E-mail for alerts (double opt-in, hourly digests). Without MAIL_SERVER, no alerts.
        "MAIL_SERVER": None,
        "MAIL_PORT": 587,
        "MAIL_USE_TLS": True,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_FROM": "alerts@localhost",
        # Cookies: never readable by scripts, not sent on cross-site requests; Secure when the
        # site is served over HTTPS (set SECURE_COOKIES = True there).
        "SECURE_COOKIES": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Remember-me is a checkbox at sign-in; its cookie lasts this long (seconds).
        "REMEMBER_COOKIE_DURATION": 30 * 24 * 3600,
        "SITE_NAME": "Hearing Record",
        "PUBLIC_BASE_URL": None,
        "WTF_CSRF_TIME_LIMIT": None,
    }


def from_environment() -> dict:
    """Return settings given as HEARINGS_<NAME> environment variables."""
    prefix = "HEARINGS_"
    settings: dict = {}
    for key, value in os.environ.items():
        if key.startswith(prefix):
            name = key[len(prefix) :]
            settings[name] = _parse(value)
    if "DATABASE_URL" in settings:
        settings["SQLALCHEMY_DATABASE_URI"] = settings.pop("DATABASE_URL")
    return settings


def _parse(value: str):
    lowered = value.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if value.isdigit():
        return int(value)
    return value

"""Recordings on disk: uploads are streamed to instance/, hashed as they arrive, then probed."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import Request, current_app
from werkzeug.utils import secure_filename

from hearings.errors import Refused
from transcription.audio import AudioError, AudioInfo, file_sha256, probe

ALLOWED_EXTENSIONS = {
    ".mp3",
    ".wav",
    ".m4a",
    ".flac",
    ".ogg",
    ".oga",
    ".opus",
    ".webm",
    ".mp4",
    ".m4v",
    ".mov",
    ".aac",
}


def display_filename(original: str | None, limit: int = 255) -> str:
    """Return an uploaded file's name as the clerk gave it, safe to store and show.

    Only the last path component is kept; control characters go, Unicode is NFC-normalised
    (so 日本語.wav stays 日本語.wav, where secure_filename would leave "wav"), and a long name
    is cut to the column, keeping its extension. Files are stored under their hash, never
    under this name.
    """
    from hearings.models.base import clean_text

    name = (original or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = clean_text(name, multiline=False).strip(" .")
    if len(name) > limit:
        stem, dot, suffix = name.rpartition(".")
        suffix = f".{suffix}" if dot and len(suffix) <= 10 else ""
        name = (stem if suffix else name)[: limit - len(suffix)] + suffix
    return name or "recording"


class HashingFile:
    """A temporary file in the upload folder that hashes what is written to it.

    Werkzeug's form parser writes the upload straight into this, so a multi-gigabyte
    recording is read once, never held in memory, and needs only a rename when kept.
    """

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        # Kept open across the request on purpose: the form parser writes into it in chunks.
        self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115
            dir=directory, prefix="incoming-", delete=False
        )
        self.path = Path(self._file.name)
        self.sha256 = hashlib.sha256()
        self.kept = False

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        return self._file.write(data)

    def __getattr__(self, name: str):
        return getattr(self._file, name)

    def discard(self) -> None:
        self._file.close()
        if not self.kept:
            self.path.unlink(missing_ok=True)


class UploadRequest(Request):
    """Request whose file uploads land, hashed, in the upload folder."""

    def _get_file_stream(
        self, total_content_length, content_type, filename=None, content_length=None
    ):
        stream = HashingFile(Path(current_app.config["UPLOAD_FOLDER"]) / "incoming")
        self._incoming = [*getattr(self, "_incoming", []), stream]
        return stream

    def close(self) -> None:
        super().close()
        # Whatever the view did not keep (refused, duplicate, aborted) is removed here.
        for stream in getattr(self, "_incoming", []):
            stream.discard()


@dataclass
class StoredUpload:
    sha256: str
    stored_name: str
    original_filename: str
    size_bytes: int
    info: AudioInfo


def incoming_sha256(file_storage) -> str:
    """Return the content hash of an uploaded file without reading it again."""
    stream = file_storage.stream
    if isinstance(stream, HashingFile):
        return stream.sha256.hexdigest()
    stream.seek(0)
    digest = hashlib.file_digest(stream, "sha256").hexdigest()
    stream.seek(0)
    return digest


def keep_upload(file_storage, upload_folder: str | os.PathLike) -> StoredUpload:
    """Probe the upload and move it under its hash; raise Refused if it is not audio."""
    original = file_storage.filename or ""
    suffix = Path(original).suffix.lower()
    if suffix not in ALLOWED_EXTENSIONS:
        raise Refused(
            f"“{display_filename(original)}” is not a supported recording type. "
            f"Upload one of: {', '.join(sorted(e.lstrip('.') for e in ALLOWED_EXTENSIONS))}."
        )
    stream = file_storage.stream
    sha256 = incoming_sha256(file_storage)
    folder = Path(upload_folder)
    stored_name = f"{sha256[:2]}/{sha256}{suffix}"
    target = folder / stored_name
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(stream, HashingFile):
        stream.flush()
        size = stream.path.stat().st_size
        source_path = stream.path
    else:
        source_path = spill_to(stream, folder)
        size = source_path.stat().st_size
    if size == 0:
        source_path.unlink(missing_ok=True)
        raise Refused("The uploaded file is empty.")
    try:
        info = probe(source_path)
    except AudioError as error:
        if not isinstance(stream, HashingFile):
            source_path.unlink(missing_ok=True)
        # The probe names the temporary file it read; the clerk knows the file by its name.
        message = str(error).replace(source_path.name, display_filename(original))
        raise Refused(message) from error
    os.replace(source_path, target)
    if isinstance(stream, HashingFile):
        stream.kept = True
    return StoredUpload(sha256, stored_name, display_filename(original), size, info)


def keep_local_file(path: Path, upload_folder: str | os.PathLike) -> StoredUpload:
    """Copy a file from disk (an archive ingest) into the upload folder, as an upload would be."""
    suffix = path.suffix.lower()
    if suffix not in ALLOWED_EXTENSIONS:
        raise Refused(f"{path.name}: not a supported recording type.")
    sha256 = file_sha256(path)
    try:
        info = probe(path)
    except AudioError as error:
        raise Refused(f"{path.name}: {error}") from error
    stored_name = f"{sha256[:2]}/{sha256}{suffix}"
    target = Path(upload_folder) / stored_name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(path, target)
    return StoredUpload(sha256, stored_name, path.name, path.stat().st_size, info)


def spill_to(stream: IO[bytes], folder: Path) -> Path:
    """Copy a stream, from its start, into a new temporary file in ``folder``; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix="incoming-", delete=False) as out:
        stream.seek(0)
        shutil.copyfileobj(stream, out, 1024 * 1024)
    return Path(out.name)


def recording_path(stored_name: str) -> Path:
    """Return the absolute path of a stored recording."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / stored_name


# An upload still being written is touched with every chunk; one untouched this long was cut
# off (a killed web server, a dropped connection) and nothing will ever finish it.
ABANDONED_UPLOAD_SECONDS = 24 * 3600


def sweep_abandoned_uploads(
    upload_folder: str | os.PathLike, older_than: float = ABANDONED_UPLOAD_SECONDS
) -> int:
    """Delete partial uploads left in the incoming folder; return how many went."""
    import time

    incoming = Path(upload_folder) / "incoming"
    if not incoming.is_dir():
        return 0
    cutoff = time.time() - older_than
    removed = 0
    for path in incoming.glob("incoming-*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


# Written comments -----------------------------------------------------------------------

PDF_FOLDER = "testimony"


def looks_like_pdf(head: bytes, tail: bytes) -> bool:
    """Return whether bytes start like a PDF file and end with its end-of-file marker."""
    # The header must open the file (readers tolerate up to 1 KiB of junk; we do not need to),
    # and a complete PDF ends with %%EOF, possibly followed by line ends.
    return head.startswith(b"%PDF-") and b"%%EOF" in tail[-1024:]


def keep_pdf(document, upload_folder: str | os.PathLike, max_bytes: int) -> tuple[str, bool]:
    """Keep an uploaded PDF under the upload folder; return (its relative name, newly written).

    The file is stored as testimony/<sha256>/<original name>.pdf: the hash keeps the content
    apart from other uploads and the name stays readable for the person who downloads it.
    """
    stream = document.stream
    stream.seek(0)
    content = stream.read(max_bytes + 1)
    if not content:
        raise Refused("The attached file is empty.")
    if len(content) > max_bytes:
        raise Refused(
            f"The attached file is larger than {max_bytes // 1024**2} MB; attach a smaller PDF."
        )
    if not looks_like_pdf(content[:8], content[-1024:]):
        raise Refused(
            f"“{secure_filename(document.filename or '') or 'The file'}” is not a PDF document. "
            "Attach the comment as a PDF, or paste its text."
        )
    sha256 = hashlib.sha256(content).hexdigest()
    stem = Path(secure_filename(document.filename or "")).stem or "written-comment"
    stored_name = f"{PDF_FOLDER}/{sha256}/{stem[:100]}.pdf"
    target = Path(upload_folder) / stored_name
    if target.exists():
        return stored_name, False
    # Written beside its final place, then renamed: a reader never sees half a file.
    os.replace(spill_to(io.BytesIO(content), target.parent), target)
    return stored_name, True


def remove_files(paths: list[Path]) -> None:
    """Remove files of a deletion that is already committed; a missing one is no error."""
    for path in paths:
        path.unlink(missing_ok=True)

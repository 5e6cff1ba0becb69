"""Time codes as people read them (h:mm:ss) and as caption formats need them."""

import math

from hearings.record_ids import MAX_INT
from transcription import schema


def clock(ms: int) -> str:
    """Return h:mm:ss for a time in milliseconds (the database's unit)."""
    # Integer division first: ms / 1000 as a float could land a hair below a whole second.
    return schema.clock(ms // 1000)


def precise_clock(ms: int) -> str:
    """Return h:mm:ss.mmm, for forms where a line's times are corrected to the millisecond."""
    seconds, millis = divmod(max(ms, 0), 1000)
    return f"{schema.clock(seconds)}.{millis:03d}"


def caption_time(ms: int, separator: str = ".") -> str:
    """Return hh:mm:ss.mmm (WebVTT) or hh:mm:ss,mmm (SRT with separator=",")."""
    ms = max(ms, 0)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def parse_time(value: str) -> int | None:
    """Return milliseconds from "1:02:03", "62:03", "3723" or "3723.5"; None if unreadable."""
    value = value.strip()
    if not value:
        return None
    try:
        parts = [float(p) for p in value.split(":")]
    except ValueError:
        return None
    if len(parts) > 3 or any(p < 0 for p in parts):
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    # "inf", "nan" and numbers past what an integer column holds (596 hours) are no time.
    if not math.isfinite(seconds) or seconds * 1000 > MAX_INT:
        return None
    return int(round(seconds * 1000))

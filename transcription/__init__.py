"""Turn a meeting recording into a timed, speaker-attributed transcript.

This package never imports the web application: it takes a path (or samples)
and returns the plain dataclasses in :mod:`transcription.schema`.
"""

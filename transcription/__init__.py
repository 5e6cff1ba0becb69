"""Turn a meeting recording into a timed, speaker-attributed transcript.

This package never imports the web application: it takes a path (or samples)
and returns the plain dataclasses in :mod:`transcription.schema`.
"""

import os

# oneDNN, which runs torch's convolutions, keeps a compiled primitive (and its scratch memory)
# for each input shape it has seen, up to 1,024 of them. The diarizer embeds each speaker's
# speech in every window at whatever length it has, so that cache only grew: on 5 minutes of a
# hearing the embedding step took 400 MB more with it and 100 MB with 16 entries, at the same
# speed (fixed shapes, such as the segmentation batches, stay cached). oneDNN reads this when
# it first runs, so it is set here, before any model is used; a value already set is kept.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")

"""The names emotion.label held before the archive code moved to emotion.archive (issue 33).

Kept so that code written against them (`emotion.label.Labelled`,
`emotion.label.expand_sources`, as the README once said) still runs; new code
imports from `emotion` (Labelled) and `emotion.archive` (sources, results, runs).
Nothing in the package imports this module.
"""

from .answers import Labelled
from .archive.run import Progress, Summary
from .archive.sources import AUDIO_EXTENSIONS, MANIFEST_EXTENSIONS, PATH_COLUMNS, SourceError, expand_sources, read_manifest
from .batching import MAX_WINDOWS, Decoded, Timings, answer, label_batches, read_clip

__all__ = ["Labelled", "Progress", "Summary", "AUDIO_EXTENSIONS", "MANIFEST_EXTENSIONS", "PATH_COLUMNS", "SourceError",
           "expand_sources", "read_manifest", "MAX_WINDOWS", "Decoded", "Timings", "answer", "label_batches", "read_clip"]

"""Labelling an archive: many files in, a results file out, resumable, on one machine or a Ray cluster.

    from emotion import EmotionRecognizer
    from emotion.archive import label_archive, expand_sources
    summary = label_archive(EmotionRecognizer.load(), ["study/", "list.txt"], "labels.parquet", workers=1)

Above the serving core (emotion.inference and what it stands on), which never
imports it. Its layers, each importing only those below it (pyproject.toml's
import contracts):

- run: label_archive, the orchestration `python -m emotion label` runs, with
  its progress bar and summary;
- cluster: the Ray path (`--ray`);
- results: the results formats (Parquet, CSV, JSON Lines) and resuming them;
  sources: folders, globs and manifests expanded to files.
"""

from .cluster import ClusterError
from .results import ResultsError, open_results, rows_of
from .run import Progress, Summary, label_archive
from .sources import SourceError, expand_sources, read_manifest

__all__ = ["ClusterError", "ResultsError", "open_results", "rows_of", "Progress", "Summary", "label_archive",
           "SourceError", "expand_sources", "read_manifest"]

"""Label an archive into a results file: the orchestration `python -m emotion label` runs.

    summary = label_archive(recognizer, ["study/", "list.txt"], "results.parquet", workers=1)

Sources are expanded and the results file resumed (emotion.results); the clips
are labelled on this machine (emotion.label's workers) or on a Ray cluster
(emotion.cluster), and appended batch by batch with a progress bar and a
summary (emotion.label). Here, above both, so that neither imports the other.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Sequence

from .cluster import import_ray, label_on_ray
from .label import Progress, Summary, expand_sources, label_batches
from .results import open_results, rows_of

if TYPE_CHECKING:
    from .inference import EmotionRecognizer


def label_archive(
    recognizer: "EmotionRecognizer",
    sources: Sequence[str],
    out: str,
    *,
    timeline: bool = False,
    workers: int = 0,
    batch_size: int = 32,
    content_hash: bool = False,
    ray: str | None = None,
    device: str | None = None,
    log=None,
) -> Summary:
    """Label every file `sources` name into the results file `out`, skipping those it holds.

    ray: None labels on this machine; otherwise the Ray cluster's address ("" for
    Ray's own choice: RAY_ADDRESS, or a local instance) -- emotion.cluster.
    Ctrl-C (or SIGTERM) stops after the batch being written; the summary says so.
    Raises SourceError, emotion.results.ResultsError or emotion.cluster.ClusterError before
    anything is labelled.
    """
    log = log or sys.stderr
    started = time.perf_counter()
    if ray is not None:
        import_ray()  # before anything is written
    paths = expand_sources(sources)
    results = open_results(out, recognizer.labels)
    todo = results.pending(paths, content_hash=content_hash, timeline=timeline)
    summary = Summary(total=len(paths), skipped=len(paths) - len(todo))
    if not todo:
        summary.seconds = time.perf_counter() - started
        return summary
    if ray is not None:
        batches = label_on_ray(
            recognizer, todo, address=ray or None, timeline=timeline, replicas=workers or None,
            batch_size=batch_size, content_hash=content_hash, device=device,
        )
    else:
        batches = (
            [row for done in batch for row in rows_of(done, recognizer.labels, timeline)]
            for batch in label_batches(
                recognizer, todo, timeline=timeline, workers=workers, batch_size=batch_size,
                content_hash=content_hash, timings=summary.timings,
            )
        )
    progress = Progress(len(todo), log)
    # A scheduler's SIGTERM stops the run as Ctrl-C does (signals reach only the main thread).
    previous = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
    try:
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _interrupt)
        for rows in batches:
            start = time.perf_counter()
            results.append(rows)
            summary.timings.write += time.perf_counter() - start
            progress.update(*summary.add(rows))
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        batches.close()
        progress.close()
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)
        summary.seconds = time.perf_counter() - started
    return summary


def _interrupt(signum, frame):
    raise KeyboardInterrupt

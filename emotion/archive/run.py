"""Label an archive into a results file: the orchestration `python -m emotion label` runs.

    summary = label_archive(recognizer, ["study/", "list.txt"], "results.parquet", workers=1)

Sources are expanded (emotion.archive.sources) and the results file resumed
(emotion.archive.results); the clips are labelled on this machine (emotion.batching's
workers) or on a Ray cluster (emotion.archive.cluster), and appended batch by batch
with a progress bar and a summary (here). Above both paths, so that neither imports the other.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from ..batching import Timings, label_batches
from ..inference import EmotionRecognizer
from .cluster import import_ray, label_on_ray
from .results import is_clip_row, open_results, rows_of
from .sources import expand_sources

LOG_EVERY = 10.0  # seconds between progress lines when stderr is not a terminal


def label_archive(
    recognizer: EmotionRecognizer,
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
    Ray's own choice: RAY_ADDRESS, or a local instance) -- emotion.archive.cluster.
    Ctrl-C (or SIGTERM) stops after the batch being written; the summary says so.
    Raises SourceError, ResultsError or ClusterError (emotion.archive) before
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


@dataclass
class Summary:
    total: int = 0  # files the sources name
    skipped: int = 0  # already in the results, unchanged
    done: int = 0  # labelled in this run
    answered: int = 0
    refused: Counter = field(default_factory=Counter)  # reason -> files
    seconds: float = 0.0
    interrupted: bool = False
    timings: Timings = field(default_factory=Timings)

    def add(self, rows: list[dict]) -> tuple[int, int]:
        """Count a batch's clips; returns (clips, refused)."""
        clips = [r for r in rows if is_clip_row(r)]
        refused = [r for r in clips if r["error"] is not None]
        self.done += len(clips)
        self.answered += len(clips) - len(refused)
        self.refused.update(r["reason"] for r in refused)
        return len(clips), len(refused)

    def lines(self, out: str) -> list[str]:
        rate = self.done / self.seconds if self.seconds > 0 else 0.0
        reasons = ", ".join(f"{k} {n}" for k, n in self.refused.most_common())
        refused = sum(self.refused.values())
        lines = [
            f"labelled {self.done} clips in {_duration(self.seconds)} ({rate:.1f} clips/s): {self.answered} answered, "
            f"{refused} refused{f' ({reasons})' if reasons else ''}; {self.skipped} skipped, already in {out}"
        ]
        t = self.timings
        if t.model and t.in_workers:  # the workers decoded and answered; this process wrote
            lines.append(
                f"time: {self.seconds:.1f} s in all; writing {t.write:.1f} s, waiting for answered batches {t.wait:.1f} s "
                f"(in the workers: model {t.model:.1f} s, decoding {t.decode:.1f} s)"
            )
        elif t.model:  # measured on one machine; on Ray the actors keep their own time
            lines.append(
                f"time: {self.seconds:.1f} s in all; model {t.model:.1f} s, writing {t.write:.1f} s, waiting for decoded "
                f"clips {t.wait:.1f} s (decoding {t.decode:.1f} s of worker time)"
            )
        if self.interrupted:
            left = self.total - self.skipped - self.done
            lines.append(f"interrupted with {left} clips to go: run the same command again to go on from here")
        return lines


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """A tqdm bar (clips/s, time left) on a terminal; a plain line every LOG_EVERY s elsewhere."""

    def __init__(self, total: int, stream=None, every: float = LOG_EVERY):
        self.stream = stream or sys.stderr
        self.total, self.done, self.refused, self.every = total, 0, 0, every
        self.start = self.last = time.monotonic()
        self.bar = None
        if hasattr(self.stream, "isatty") and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="clip", file=self.stream, dynamic_ncols=True, smoothing=0.05)

    def update(self, clips: int, refused: int) -> None:
        self.done += clips
        self.refused += refused
        if self.bar is not None:
            self.bar.set_postfix(refused=self.refused, refresh=False)
            self.bar.update(clips)
            return
        now = time.monotonic()
        if now - self.last >= self.every or self.done == self.total:
            self.last = now
            rate = self.done / max(now - self.start, 1e-9)
            left = (self.total - self.done) / rate if rate > 0 else float("inf")
            print(
                f"label: {self.done}/{self.total} clips ({self.done / max(self.total, 1):.0%}), {rate:.1f} clips/s, "
                f"{_duration(left) if left != float('inf') else '?'} left, {self.refused} refused",
                file=self.stream, flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

"""Label an archive: many files in, one answer per clip out, as they are done.

    from emotion import EmotionRecognizer
    from emotion.label import expand_sources
    rec = EmotionRecognizer.load()
    for done in rec.label(expand_sources(["study/", "more/*.wav", "list.txt"]), workers=2):
        done.path, done.label, done.probabilities, done.error   # error: the words predict() raises

Worker processes (a torch DataLoader) read each file, resample it and run the
clip policy with its voice-activity check (emotion.policy.load_clip, as
predict does), while the model, in this process, answers the batch before;
batches come back in the order of the paths. Memory holds the batches in
flight -- two per worker and the one in the model -- whatever the number of
paths; a clip is at most its first minute.

`python -m emotion label` is emotion.archive.label_archive: sources expanded,
a results file resumed and appended batch by batch (emotion.results), this
module's progress bar and summary; with `--ray` the clips are labelled on a
Ray cluster (emotion.cluster) and written the same way.
"""

from __future__ import annotations

import csv
import glob
import logging
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import torch

from .audio import AudioError, window_starts
from .policy import Clip, load_clip
from .results import file_key, is_clip_row

if TYPE_CHECKING:  # type names only: emotion.inference imports this module
    from .inference import EmotionRecognizer, Prediction

logger = logging.getLogger(__name__)

# What a folder is searched for (case does not matter). Globs and manifests take any file.
AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".webm", ".m4a", ".aac", ".mp4", ".aif", ".aiff"})
MANIFEST_EXTENSIONS = frozenset({".txt", ".csv", ".tsv"})  # a SOURCE with these is a list of paths
PATH_COLUMNS = ("path", "file", "filename", "filepath", "audio")  # a manifest's header names its path column so
MAX_WINDOWS = 512  # windows in one model pass at most (3 s at 16 kHz: 100 MB): long clips stay bounded
LOG_EVERY = 10.0  # seconds between progress lines when stderr is not a terminal


class SourceError(ValueError):
    """A SOURCE names nothing to label: the command stops before it starts."""


# --- Sources: folders, globs, manifests ---------------------------------------


def expand_sources(sources: Iterable[str | os.PathLike]) -> list[str]:
    """The files to label, in a stable order, each once.

    A folder gives its audio files (AUDIO_EXTENSIONS, recursively, sorted, hidden
    names skipped); a .txt, .csv or .tsv file is a manifest of paths (one per line,
    or the column named path/file/...; relative paths are relative to the
    manifest's folder); any other file is itself; a pattern with * ? or [ is a
    glob (** recursive). Raises SourceError for a path that does not exist or a
    glob that matches nothing.
    """
    seen: set[str] = set()
    out = []
    for source in sources:
        for path in _expand(os.fspath(source)):
            path = os.path.normpath(path)
            if path not in seen:
                seen.add(path)
                out.append(path)
    return out


def _expand(source: str) -> list[str]:
    if os.path.isdir(source):
        return _walk(source)
    if os.path.isfile(source):
        return read_manifest(source) if os.path.splitext(source)[1].lower() in MANIFEST_EXTENSIONS else [source]
    if any(c in source for c in "*?["):
        matches = sorted(p for p in glob.glob(source, recursive=True) if os.path.isfile(p))
        if not matches:
            raise SourceError(f"{source}: the pattern matches no file.")
        return matches
    raise SourceError(f"{source}: no such file or folder.")


def _walk(folder: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [
            os.path.join(root, f) for f in sorted(files)
            if not f.startswith(".") and os.path.splitext(f)[1].lower() in AUDIO_EXTENSIONS
        ]
    return found


def read_manifest(path: str) -> list[str]:
    """The paths a manifest lists: a text file of one path a line (blank lines and
    lines starting with # skipped), or a CSV/TSV whose header names a path column
    (PATH_COLUMNS; else its first column, with no header). Relative to its folder."""
    ext = os.path.splitext(path)[1].lower()
    with open(path, newline="", encoding="utf-8-sig") as f:
        if ext in (".csv", ".tsv"):
            records = [r for r in csv.reader(f, delimiter="\t" if ext == ".tsv" else ",") if r and any(c.strip() for c in r)]
            names = [c.strip().lower() for c in records[0]] if records else []
            column = next((names.index(n) for n in PATH_COLUMNS if n in names), None)
            entries = [r[column or 0] for r in (records[1:] if column is not None else records) if len(r) > (column or 0)]
        else:
            entries = [line for line in f.read().splitlines() if not line.lstrip().startswith("#")]
    base = os.path.dirname(path)
    return [os.path.join(base, e) for e in (e.strip() for e in entries) if e]  # join keeps an absolute path as it is


# --- Labelling ----------------------------------------------------------------


@dataclass
class Decoded:
    """One file after its worker: the checked clip, or why it was refused."""

    path: str
    size: int | None = None  # bytes, None if the file could not be found
    mtime_ns: int | None = None
    sha256: str | None = None  # with content hashing
    clip: Clip | None = None
    error: str | None = None  # the words predict() raises
    reason: str | None = None  # the error's key in emotion.i18n ("no_speech", "unreadable", ...)
    seconds: float = 0.0  # spent reading, resampling and checking it


@dataclass
class Labelled:
    """One file's answer: a Prediction, or the error that refused it."""

    path: str
    prediction: Prediction | None = None
    error: str | None = None  # the message predict() raises, for a person
    reason: str | None = None  # emotion.i18n's key for it: "no_speech", "too_short", "unreadable", ... or "not_found"
    size: int | None = None  # what a second run compares, to skip a file it has done
    mtime_ns: int | None = None
    sha256: str | None = None

    @property
    def label(self) -> str | None:
        return self.prediction.label if self.prediction else None

    @property
    def probabilities(self) -> dict[str, float] | None:
        return self.prediction.probabilities if self.prediction else None


def read_clip(path: str, sample_rate: int, max_seconds: float, content_hash: bool = False) -> Decoded:
    """Decode and check one file as predict() does; never raises for a bad file."""
    start = time.perf_counter()
    size, mtime_ns, sha256 = file_key(path, content_hash)
    done = Decoded(path, size, mtime_ns, sha256)
    try:
        done.clip = load_clip(path, sample_rate, max_seconds)
    except AudioError as e:
        done.error = str(e)
        done.reason = e.key or ("not_found" if not os.path.exists(path) else "unreadable")
    except Exception as e:  # one file that crashes a decoder must not end a run over thousands
        logger.warning("could not label %s: %r", path, e)
        done.error = f"Could not read '{os.path.basename(path)}' as audio: the decoder failed ({type(e).__name__})."
        done.reason = "failed"
    done.seconds = time.perf_counter() - start
    return done


class _Files(torch.utils.data.Dataset):
    def __init__(self, paths: Sequence[str], sample_rate: int, max_seconds: float, content_hash: bool):
        self.paths, self.sample_rate, self.max_seconds, self.content_hash = paths, sample_rate, max_seconds, content_hash

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> Decoded:
        return read_clip(self.paths[i], self.sample_rate, self.max_seconds, self.content_hash)


def _as_list(batch: list) -> list:
    return batch


def _worker_init(_: int) -> None:
    # Ctrl-C is the main process's to handle: it stops after the batch it is writing and
    # shuts the workers down; a worker killed by it first would only muddle the message.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        # And if the main process is killed outright (SIGKILL), its workers go with it: left
        # alone, one can block for ever flushing clips into a queue that nobody reads.
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Timings:
    """Where a run's time went, in seconds."""

    decode: float = 0.0  # reading, resampling, voice activity: in the workers (or here, with none)
    wait: float = 0.0  # the model's process waiting for decoded clips
    model: float = 0.0
    write: float = 0.0


def label_batches(
    recognizer: "EmotionRecognizer",
    paths: Iterable[str | os.PathLike],
    *,
    timeline: bool = False,
    workers: int = 0,
    batch_size: int = 32,
    content_hash: bool = False,
    timings: Timings | None = None,
) -> Iterator[list[Labelled]]:
    """EmotionRecognizer.label, a batch of `batch_size` files at a time (in order)."""
    timings = timings if timings is not None else Timings()
    files = _Files([os.fspath(p) for p in paths], recognizer.sample_rate, recognizer.max_seconds, content_hash)
    loader = torch.utils.data.DataLoader(
        files, batch_size=batch_size, num_workers=workers, collate_fn=_as_list,
        prefetch_factor=2 if workers else None, worker_init_fn=_worker_init if workers else None,
    )
    batches = iter(loader)
    while True:
        start = time.perf_counter()
        decoded = next(batches, None)
        timings.wait += time.perf_counter() - start
        if decoded is None:
            return
        timings.decode += sum(d.seconds for d in decoded)
        start = time.perf_counter()
        answers = answer(recognizer, [d for d in decoded if d.clip is not None], timeline)
        timings.model += time.perf_counter() - start
        yield [
            Labelled(d.path, answers.get(id(d)), d.error, d.reason, d.size, d.mtime_ns, d.sha256) for d in decoded
        ]


def answer(recognizer: "EmotionRecognizer", decoded: list[Decoded], timeline: bool) -> dict[int, Prediction]:
    """Predictions for decoded clips, by id(decoded), at most MAX_WINDOWS windows a pass."""
    out: dict[int, Prediction] = {}
    group: list[Decoded] = []
    windows = 0
    for d in [*decoded, None]:
        n = 0 if d is None else len(window_starts(d.clip.audio.shape[0], recognizer.window, recognizer.hop))
        if group and (d is None or windows + n > MAX_WINDOWS):
            for g, p in zip(group, recognizer.predictions([g.clip for g in group], timeline=timeline)):
                out[id(g)] = p
            group, windows = [], 0
        if d is not None:
            group.append(d)
            windows += n
    return out


# --- The command: results file, progress, summary ---------------------------


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
        if t.model:  # measured on one machine; on Ray the actors keep their own time
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

"""Files to answers, a batch at a time: what EmotionRecognizer.label runs.

    for batch in label_batches(recognizer, paths, workers=2):   # lists of emotion.answers.Labelled, in order
        ...

Worker processes (a torch DataLoader) read each file, resample it and run the
clip policy with its voice-activity check (emotion.policy.load_clip, as
predict does). On a CPU each worker also answers its batches with its own copy
of the model at one thread, so the cores work side by side; on a GPU the model,
in this process, answers the batch before while the workers decode the next
(answering_in_workers says why). Batches come back in the order of the paths.
Memory holds the batches in flight -- two per worker and the one in the model --
whatever the number of paths; a clip is at most its first minute.

Below emotion.inference, which imports it: the recognizer is named here only by
what batching asks of it (`Answering`), so neither module needs the other's
name. Archive labelling (emotion.archive: sources, results files, Ray) builds on
this from above.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol, Sequence

import torch

from .answers import Labelled, Prediction
from .audio import AudioError, window_starts
from .policy import Clip, load_clip

logger = logging.getLogger(__name__)

MAX_WINDOWS = 512  # windows in one model pass at most (3 s at 16 kHz: 100 MB): long clips stay bounded


class Answering(Protocol):
    """What batching needs of a recognizer (emotion.inference.EmotionRecognizer is one)."""

    sample_rate: int
    max_seconds: float
    window: int  # samples
    hop: int
    device: torch.device

    def predictions(self, clips: list[Clip], timeline: bool = False) -> list[Prediction]: ...


def file_key(path: str, content_hash: bool = False) -> tuple[int | None, int | None, str | None]:
    """(size, mtime in ns, SHA-256 or None) of a regular file; (None, None, None) if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None, None, None
    if not os.path.isfile(path):
        return None, None, None
    return st.st_size, st.st_mtime_ns, sha256_of(path) if content_hash else None


def sha256_of(path: str) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


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


class _Batches(torch.utils.data.Dataset):
    """Batch i of the paths, read and checked -- and, given a recognizer, answered -- where the
    DataLoader puts it: a worker process, or this one. An answered batch leaves its audio in the
    worker; only the answers (a few hundred bytes a clip) travel back."""

    def __init__(self, paths: Sequence[str], batch_size: int, sample_rate: int, max_seconds: float, content_hash: bool,
                 recognizer: Answering | None = None, timeline: bool = False):
        self.paths, self.batch_size, self.sample_rate, self.max_seconds = paths, batch_size, sample_rate, max_seconds
        self.content_hash, self.recognizer, self.timeline = content_hash, recognizer, timeline

    def __len__(self) -> int:
        return -(-len(self.paths) // self.batch_size)

    def __getitem__(self, i: int) -> tuple[list[Decoded], list[Prediction | None] | None, float]:
        paths = self.paths[i * self.batch_size : (i + 1) * self.batch_size]
        decoded = [read_clip(p, self.sample_rate, self.max_seconds, self.content_hash) for p in paths]
        if self.recognizer is None:
            return decoded, None, 0.0
        start = time.perf_counter()
        answers = answer(self.recognizer, [d for d in decoded if d.clip is not None], self.timeline)
        predictions = [answers.get(id(d)) for d in decoded]
        for d in decoded:
            d.clip = None
        return decoded, predictions, time.perf_counter() - start


def _as_list(batch):
    return batch  # as the dataset made it: no conversion of its arrays to tensors


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
    """Where a run's time went, in seconds. With answering workers, `model` and `decode` are
    the workers' time, summed over them; `wait` is this process waiting for their batches."""

    decode: float = 0.0  # reading, resampling, voice activity: in the workers (or here, with none)
    wait: float = 0.0  # this process waiting for decoded (or answered) batches
    model: float = 0.0
    write: float = 0.0
    in_workers: bool = False  # the workers answered their batches too


def answering_in_workers(device: torch.device | str, workers: int) -> bool:
    """Whether worker processes should answer their batches as well as decode them.

    On a CPU the model is the larger part of a clip's cost (about 2.5 times its decoding, resampling
    and voice check together, scripts/benchmark_label.py), and one core computes it best alone: torch's
    threads wait on each other at every layer, worse still beside a busy decoding process. So each
    worker decodes and answers its own batches with its own copy of the model at one thread, and
    the cores work side by side. On a GPU the model is fast and shared: workers only decode, and
    this process keeps the GPU fed."""
    return workers > 0 and torch.device(device).type == "cpu"


def label_batches(
    recognizer: Answering,
    paths: Iterable[str | os.PathLike],
    *,
    timeline: bool = False,
    workers: int = 0,
    batch_size: int = 32,
    content_hash: bool = False,
    timings: Timings | None = None,
) -> Iterator[list[Labelled]]:
    """EmotionRecognizer.label, a batch of `batch_size` files at a time (in order).

    workers: processes that read and check the clips; on a CPU each also answers its
    batches (answering_in_workers). 0: everything here, on torch's threads."""
    timings = timings if timings is not None else Timings()
    timings.in_workers = answering_in_workers(recognizer.device, workers)
    batches = _Batches([os.fspath(p) for p in paths], batch_size, recognizer.sample_rate, recognizer.max_seconds,
                       content_hash, recognizer if timings.in_workers else None, timeline)
    loader = torch.utils.data.DataLoader(
        batches, batch_size=None, num_workers=workers, collate_fn=_as_list,
        prefetch_factor=2 if workers else None, worker_init_fn=_worker_init if workers else None,
    )
    it = iter(loader)
    while True:
        start = time.perf_counter()
        item = next(it, None)
        timings.wait += time.perf_counter() - start
        if item is None:
            return
        decoded, predictions, model_seconds = item
        timings.decode += sum(d.seconds for d in decoded)
        if predictions is None:
            start = time.perf_counter()
            answers = answer(recognizer, [d for d in decoded if d.clip is not None], timeline)
            predictions = [answers.get(id(d)) for d in decoded]
            model_seconds = time.perf_counter() - start
        timings.model += model_seconds
        yield [
            Labelled(d.path, p, d.error, d.reason, d.size, d.mtime_ns, d.sha256) for d, p in zip(decoded, predictions)
        ]


def answer(recognizer: Answering, decoded: list[Decoded], timeline: bool) -> dict[int, Prediction]:
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

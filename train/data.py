"""Clips as training sees them: decoded once, cached, grouped by corpus.

Every clip is decoded through emotion.audio.load_audio -- the same front end
the app and the CLI use -- and the decoded set is cached as one .npz, so an
epoch costs compute, not I/O. Which files a corpus has, and their labels and
speakers, is train.corpora's business; batching and augmentation are
train.batches'.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from emotion.audio import load_audio
from emotion.labels import EMOTIONS

from .corpora import CORPORA, classes_of, levels_of, targets_of

CACHE_VERSION = 2  # bump when emotion.audio changes what load_audio returns (2: soxr resampling)


class ClipSet(NamedTuple):
    """Decoded clips of one part of a split (train, val or test), from one or more corpora."""

    audio: list[np.ndarray]  # as the front end returns them: (N_i,) float32 at the model's rate
    labels: list[int]  # indices into emotion.labels.EMOTIONS
    corpora: list[str]  # the corpus of each clip (a train.corpora NAME)

    def corpus_names(self) -> list[str]:
        """The corpora present, in train.corpora's order (the main corpus first)."""
        return [c for c in CORPORA if c in set(self.corpora)]

    def of(self, corpus: str) -> "ClipSet":
        idx = [i for i, c in enumerate(self.corpora) if c == corpus]
        return ClipSet([self.audio[i] for i in idx], [self.labels[i] for i in idx], [corpus] * len(idx))

    def class_masks(self) -> np.ndarray:
        """(N, n_classes) bool: the classes each clip's corpus has labels for."""
        masks = np.zeros((len(self.labels), len(EMOTIONS)), bool)
        for i, corpus in enumerate(self.corpora):
            masks[i, list(classes_of(corpus))] = True
        return masks

    def has_sets(self) -> bool:
        """Whether any clip's target is a set of emotions (a corpus labelled by level)."""
        return any(levels_of(c) for c in set(self.corpora))

    def target_masks(self) -> np.ndarray:
        """(N, n_classes) bool: the emotions each clip may be -- its label, or its level's set."""
        masks = np.zeros((len(self.labels), len(EMOTIONS)), bool)
        for i, (label, corpus) in enumerate(zip(self.labels, self.corpora)):
            masks[i, list(targets_of(corpus, label))] = True
        return masks

    def __add__(self, other: "ClipSet") -> "ClipSet":
        return ClipSet(self.audio + other.audio, self.labels + other.labels, self.corpora + other.corpora)


def decode_clips(clips: list, sample_rate: int, cache_dir: str | os.PathLike | None, corpus: str | None = None) -> list[np.ndarray]:
    """Decode every clip (anything with a `.path`) with the shared front end,
    caching the result as CACHE_DIR/CORPUS-RATE-KEY.npz (CORPUS: `corpus`, else
    the clips' own corpus).

    The cache key covers the file names, sizes, the rate and CACHE_VERSION, so a
    changed data set or front end is decoded afresh.
    """
    corpus = corpus or (getattr(clips[0], "corpus", "") if clips else "") or "clips"
    key = hashlib.sha256(f"{CACHE_VERSION}|{sample_rate}".encode())
    for c in clips:
        key.update(f"|{Path(c.path).name}:{os.path.getsize(c.path)}".encode())
    cache = Path(cache_dir) / f"{corpus}-{sample_rate}-{key.hexdigest()[:16]}.npz" if cache_dir else None

    def decode() -> list[np.ndarray]:
        return [load_audio(c.path, sample_rate) for c in tqdm(clips, desc="decoding", unit="clip", leave=False, disable=None)]

    return cached_clips(cache, decode)


def audio_digest(arrays: list[np.ndarray]) -> str:
    """SHA-256 of a list of signals (their float32 samples): the part of a cache key
    that says which audio went in."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, np.float32).tobytes())
        h.update(b"|")
    return h.hexdigest()


def cached_clips(path: Path | None, compute) -> list[np.ndarray]:
    """The list of signals compute() returns, kept in `path` (one .npz of the samples end
    to end and their offsets, written atomically) and read from it next time.
    Decoded audio, channel outputs and training variants are all cached this way."""
    if path is not None and path.exists():
        with np.load(path) as z:
            flat, offsets = z["audio"], z["offsets"]
        return [flat[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]
    clips = compute()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # two runs side by side, or two threads of one, may write the same cache
        tmp = path.with_name(f"{path.stem}.{os.getpid()}-{threading.get_ident()}.tmp.npz")
        np.savez(tmp, audio=np.concatenate(clips), offsets=np.cumsum([0] + [len(c) for c in clips]))
        tmp.replace(path)
    return clips

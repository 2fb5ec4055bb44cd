"""RAVDESS for training: find the clips, split by actor, decode once, batch.

Every clip is decoded through emotion.audio.load_audio -- the same front end
the app and the CLI use -- and the decoded set is cached as one .npz, so an
epoch costs compute, not I/O. Augmentation lives here and runs only while
training.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from emotion.audio import change_speed, load_audio, pad_or_trim
from emotion.labels import EMOTIONS, RavdessNameError, parse_ravdess_name

from .nemo import NEMO_CLASSES

AUDIO_EXTENSIONS = (".wav", ".flac")
CLIPS_PER_ACTOR = 60  # speech, audio-only: 8 emotions x intensities x 2 statements x 2 repetitions
TEST_ACTORS = (21, 22, 23, 24)  # fixed: never trained on, never used to select a model
VAL_ACTORS = (17, 18, 19, 20)  # two male, two female; early stopping and model selection
# The classes each corpus has labels for (nEMO has no calm and no disgust).
CORPUS_CLASSES = {"ravdess": tuple(range(len(EMOTIONS))), "nemo": NEMO_CLASSES}
CACHE_VERSION = 2  # bump when emotion.audio changes what load_audio returns (2: soxr resampling)


class ClipSet(NamedTuple):
    """Decoded clips of one part of a split (train, val or test), from one or more corpora."""

    audio: list[np.ndarray]  # as the front end returns them: (N_i,) float32 at the model's rate
    labels: list[int]  # indices into emotion.labels.EMOTIONS
    corpora: list[str]  # the corpus of each clip: "ravdess" or "nemo"

    def corpus_names(self) -> list[str]:
        return [c for c in CORPUS_CLASSES if c in set(self.corpora)]

    def of(self, corpus: str) -> "ClipSet":
        idx = [i for i, c in enumerate(self.corpora) if c == corpus]
        return ClipSet([self.audio[i] for i in idx], [self.labels[i] for i in idx], [corpus] * len(idx))

    def class_masks(self) -> np.ndarray:
        """(N, n_classes) bool: the classes each clip's corpus has labels for."""
        masks = np.zeros((len(self.labels), len(EMOTIONS)), bool)
        for i, corpus in enumerate(self.corpora):
            masks[i, list(CORPUS_CLASSES[corpus])] = True
        return masks

    def __add__(self, other: "ClipSet") -> "ClipSet":
        return ClipSet(self.audio + other.audio, self.labels + other.labels, self.corpora + other.corpora)


@dataclass(frozen=True)
class Clip:
    path: str
    label: int  # index into emotion.labels.EMOTIONS
    actor: int


def find_clips(root: str | os.PathLike, actors: tuple[int, ...] | None = None) -> list[Clip]:
    """All RAVDESS audio-only speech clips under `root` (.wav or .flac, any nesting),
    sorted by name. Where the same clip exists as both .wav and .flac, one is kept."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"RAVDESS folder not found: {root}")
    by_stem: dict[str, Clip] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in AUDIO_EXTENSIONS:
            continue
        try:
            name = parse_ravdess_name(path)
        except RavdessNameError:
            continue
        if name.modality != "audio-only" or name.vocal_channel != "speech":
            continue
        if actors is not None and name.actor not in actors:
            continue
        by_stem.setdefault(path.stem, Clip(str(path), name.label, name.actor))
    return [by_stem[s] for s in sorted(by_stem)]


def check_complete(clips: list[Clip], actors: tuple[int, ...]) -> None:
    """Fail before training if an actor's clips are missing (a partial download)."""
    counts = {a: 0 for a in actors}
    for c in clips:
        counts[c.actor] = counts.get(c.actor, 0) + 1
    short = {a: n for a, n in counts.items() if n != CLIPS_PER_ACTOR}
    if short:
        detail = ", ".join(f"actor {a}: {n}" for a, n in sorted(short.items()))
        raise RuntimeError(f"Expected {CLIPS_PER_ACTOR} speech clips per actor; found {detail}.")


def decode_clips(clips: list[Clip], sample_rate: int, cache_dir: str | os.PathLike | None, corpus: str = "ravdess") -> list[np.ndarray]:
    """Decode every clip (anything with a `.path`) with the shared front end,
    caching the result as CACHE_DIR/CORPUS-RATE-KEY.npz.

    The cache key covers the file names, sizes, the rate and CACHE_VERSION, so a
    changed data set or front end is decoded afresh.
    """
    key = hashlib.sha256(f"{CACHE_VERSION}|{sample_rate}".encode())
    for c in clips:
        key.update(f"|{Path(c.path).name}:{os.path.getsize(c.path)}".encode())
    cache = Path(cache_dir) / f"{corpus}-{sample_rate}-{key.hexdigest()[:16]}.npz" if cache_dir else None

    def decode() -> list[np.ndarray]:
        from tqdm import tqdm

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
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, audio=np.concatenate(clips), offsets=np.cumsum([0] + [len(c) for c in clips]))
        tmp.replace(path)
    return clips


class TrainBatches:
    """Random fixed-length crops with light waveform augmentation, training only.

    Each epoch shuffles the clips; a clip longer than the crop gives a random
    crop, a shorter one is zero-padded at the end (as at inference). With
    probability `noise_prob`, white noise is added at an SNR drawn from
    `snr_db`, so the model does not rely on studio-quiet backgrounds. With
    `speeds`, each batch is played at a speed drawn from them (tempo and pitch
    together, as in Kaldi's speed perturbation): new voices, in effect, which
    is what an actor-independent model is short of (with `speed_per_clip`, each
    crop at a speed of its own). With `mic_filter` > 0,
    that share of batches is coloured by a random microphone-like filter (with
    `mic_per_clip`, that share of crops, each by a filter of its own), and with
    `mic_tilt` the spectrum is also tilted by up to that many dB/octave.
    """

    def __init__(
        self,
        audio: list[np.ndarray],
        labels: list[int],
        crop: int,
        batch_size: int,
        generator: np.random.Generator,
        noise_prob: float = 0.5,
        snr_db: tuple[float, float] = (15.0, 40.0),
        speeds: tuple[float, ...] = (1.0,),
        sample_rate: int = 16000,
        mic_filter: float = 0.0,
        mic_tilt: float = 0.0,
        mic_per_clip: bool = False,
        speed_per_clip: bool = False,
        class_masks: np.ndarray | None = None,
        variants: list[list[np.ndarray]] | None = None,
        variant_prob: float = 0.0,
        variants_about: str = "",
        channel=None,
        corpus: np.ndarray | None = None,
        second_share: float = 0.0,
    ):
        self.audio, self.labels = audio, np.asarray(labels)
        # Corpus balance: with `corpus` (0 = the main corpus, 1 = the added one, per clip) and
        # 0 < second_share < 1, every epoch takes all main-corpus clips and a fresh random draw
        # of added-corpus clips making up `second_share` of the epoch, so adding a corpus never
        # dilutes the main one however few of its speakers train. 0: every clip once.
        if not 0.0 <= second_share < 1.0:
            raise ValueError(f"The added corpus's share of an epoch is at least 0 and below 1; got {second_share}.")
        if second_share and corpus is None:
            raise ValueError("A share for an added corpus needs each clip's corpus.")
        self.corpus, self.second_share = (np.asarray(corpus) if corpus is not None else None), second_share
        self.class_masks = class_masks  # (N, C) bool: yielded with each batch when given (masked loss)
        # Other versions of each clip (new voices, codecs: train.augment), one of which
        # replaces the clip in a crop with probability variant_prob.
        self.variants, self.variant_prob = variants, variant_prob
        self.variants_about = variants_about  # what the versions are, for describe() (train.augment.variants_description)
        # train.augment.ChannelSimulator parts (rooms, babble, probability), driven by this batcher's generator.
        self.channel = None
        if channel is not None:
            from .augment import ChannelSimulator

            rooms, babble, p = channel
            self.channel = ChannelSimulator(generator, rooms, babble, p)
        self.crop, self.batch_size, self.rng = crop, batch_size, generator
        self.noise_prob, self.snr_db = noise_prob, snr_db
        self.speeds, self.sample_rate, self.mic_filter = speeds, sample_rate, mic_filter
        if mic_tilt and not mic_filter:
            raise ValueError("A spectral tilt is part of the microphone filter: give mic_filter a share of batches too.")
        if mic_per_clip and not mic_filter:
            raise ValueError("A filter per crop is a way of drawing the microphone filter: give mic_filter a share of crops too.")
        self.mic_tilt, self.mic_per_clip = mic_tilt, mic_per_clip
        if speed_per_clip and len(speeds) < 2:
            raise ValueError("A speed per crop is a way of drawing the speed perturbation: give it more than one speed.")
        self.speed_per_clip = speed_per_clip

    def _epoch_size(self) -> tuple[int, int]:
        """(main-corpus clips, added-corpus clips) in one epoch."""
        if not self.second_share:
            return len(self.audio), 0
        main, added = int(np.sum(self.corpus == 0)), int(np.sum(self.corpus != 0))
        return main, min(added, int(round(self.second_share / (1 - self.second_share) * main)))

    def _epoch_order(self) -> np.ndarray:
        if not self.second_share:  # no extra random draw: runs without it are reproduced exactly
            return self.rng.permutation(len(self.audio))
        _, n_added = self._epoch_size()
        added = self.rng.choice(np.flatnonzero(self.corpus != 0), size=n_added, replace=False)
        return self.rng.permutation(np.concatenate([np.flatnonzero(self.corpus == 0), added]))

    def __len__(self) -> int:
        return (sum(self._epoch_size()) + self.batch_size - 1) // self.batch_size

    def describe(self) -> list[dict]:
        """What this augmentation does, with its parameters, for the run's record and the model card."""
        seconds = self.crop / self.sample_rate
        steps = [{"kind": "crop", "seconds": seconds,
                  "description": f"random {seconds:g} s crops (shorter clips zero-padded)"}]
        if len(self.speeds) > 1:
            steps.append({"kind": "speed", "speeds": list(self.speeds),
                          "description": f"speed perturbation at {min(self.speeds):g}\u2013{max(self.speeds):g}x "
                                         f"({len(self.speeds)} speeds, tempo and pitch together"
                                         + (", each crop its own)" if self.speed_per_clip else ", one per batch)")})
            if self.speed_per_clip:
                steps[-1]["per_clip"] = True
        if self.noise_prob:
            steps.append({"kind": "white_noise", "probability": self.noise_prob, "snr_db": list(self.snr_db),
                          "description": f"white noise at {self.snr_db[0]:g}\u2013{self.snr_db[1]:g} dB SNR "
                                         f"on {self.noise_prob:.0%} of crops"})
        if self.mic_filter:
            steps.append({"kind": "microphone_filter", "probability": self.mic_filter,
                          "description": f"a random microphone-like filter on {self.mic_filter:.0%} of "
                                         + ("crops, each its own" if self.mic_per_clip else "batches")
                                         + (f", its spectrum tilted by up to \u00b1{self.mic_tilt:g} dB/octave" if self.mic_tilt else "")})
            if self.mic_tilt:
                steps[-1]["tilt_db_per_octave"] = self.mic_tilt
            if self.mic_per_clip:
                steps[-1]["per_clip"] = True
        if self.variants is not None:
            steps.append({"kind": "variants", "probability": self.variant_prob, "per_clip": len(self.variants[0]) if self.variants else 0,
                          "description": f"{self.variant_prob:.0%} of crops taken from another version of the clip: "
                                         + (self.variants_about or "a resynthesised voice or a codec version")})
        if self.channel is not None:
            steps.append({"kind": "channels", "probability": self.channel.p,
                          "description": f"{self.channel.p:.0%} of crops through simulated rooms, band limits, pink, brown, "
                                         "hum or babble noise and level changes (training rooms and seeds, not the benchmark's)"})
        return steps

    def _source(self, j: int) -> np.ndarray:
        """Clip j, or with probability variant_prob one of its variants (no draw without variants)."""
        if self.variants is None or self.rng.random() >= self.variant_prob:
            return self.audio[j]
        versions = self.variants[j]
        return versions[int(self.rng.integers(len(versions)))]

    def _finish(self, x: np.ndarray) -> np.ndarray:
        """White noise, then the channel simulator when there is one."""
        x = self._add_noise(x)
        return self.channel(x) if self.channel is not None else x

    def _crop(self, a: np.ndarray, length: int) -> np.ndarray:
        if len(a) > length:
            start = int(self.rng.integers(0, len(a) - length + 1))
            return a[start : start + length].copy()
        x = np.zeros(length, np.float32)
        x[: len(a)] = a
        return x

    def _add_noise(self, x: np.ndarray) -> np.ndarray:
        if self.rng.random() < self.noise_prob:
            power = float(np.mean(x**2)) + 1e-10
            snr = self.rng.uniform(*self.snr_db)
            x += self.rng.standard_normal(len(x)).astype(np.float32) * np.sqrt(power / 10 ** (snr / 10))
        return x

    def _mic_filter(self, x: torch.Tensor) -> torch.Tensor:
        """A random microphone/room colouring: a high-pass (small mics lose the
        bass), a low-pass (cheap mics and codecs lose the top) and one peaking
        band of +-8 dB, with `mic_tilt` also a tilt of the whole spectrum.
        RAVDESS is one studio microphone; the demo's users are on laptops and
        phones. Once for the whole batch (share `mic_filter` of batches), or
        with `mic_per_clip` a filter of its own for each crop (that share of
        crops). Applied as a zero-phase gain curve in the frequency domain: 20x
        faster than three biquads (torchaudio's lfilter) on the CPU, and the
        phase is inaudible anyway."""
        n = x.shape[0] if self.mic_per_clip else 1
        if not self.mic_per_clip and self.rng.random() >= self.mic_filter:
            return x
        on = self.rng.random(n) < self.mic_filter if self.mic_per_clip else np.ones(1, bool)
        if not on.any():
            return x
        # One draw of each parameter per filter: a column of them per crop, or for the
        # whole batch the Python floats earlier runs drew, so those are reproduced bit for bit.
        if self.mic_per_clip:
            draw = lambda lo, hi: self.rng.uniform(lo, hi, n)  # noqa: E731
            column = lambda v: torch.as_tensor(v, dtype=torch.float32)[:, None]  # noqa: E731  (crops, 1)
        else:
            draw, column = self.rng.uniform, float
        f = torch.fft.rfftfreq(x.shape[-1], 1 / self.sample_rate).clamp(min=1.0)
        high_pass, low_pass = column(draw(60, 400)), column(draw(3000, 0.45 * self.sample_rate))
        centre, gain_db, octaves = column(np.exp(draw(np.log(200), np.log(4000)))), column(draw(-8, 8)), column(draw(0.5, 2.0))
        # second-order Butterworth magnitudes, and a Gaussian bump in log-frequency
        gain = (1 + (high_pass / f) ** 4) ** -0.5 * (1 + (f / low_pass) ** 4) ** -0.5
        gain = gain * 10 ** (gain_db / 20 * torch.exp(-0.5 * (torch.log2(f / centre) / (octaves / 2)) ** 2))
        if self.mic_tilt:
            # A tilt of the whole spectrum about 1 kHz (a small capsule behind a grille is
            # bright, a headset or a distant room dull). Without it the model learns that
            # a brighter spectrum means a louder, angrier voice: on the development folds
            # a laptop-like response (bass cut plus presence peak) turns most answers
            # into "angry". Flat below 100 Hz, where the high-pass has taken the signal.
            gain = gain * 10 ** (column(draw(-self.mic_tilt, self.mic_tilt)) / 20 * torch.log2(f.clamp(min=100.0) / 1000.0))
        if self.mic_per_clip:
            gain = torch.where(column(on) > 0, gain, torch.ones_like(gain))  # crops the per-crop draw left alone
        return torch.fft.irfft(torch.fft.rfft(x) * gain, n=x.shape[-1])

    def __iter__(self):
        order = self._epoch_order()
        for i in range(0, len(order), self.batch_size):
            idx = order[i : i + self.batch_size]
            # Without speed perturbation no random number is drawn for it, so
            # runs made before it existed are reproduced exactly (likewise the
            # microphone filter).
            if self.speed_per_clip:
                speed = None  # drawn per crop below
            else:
                speed = float(self.rng.choice(self.speeds)) if len(self.speeds) > 1 else 1.0
            if speed == 1.0 and not self.mic_filter:
                x = np.stack([self._finish(self._crop(self._source(j), self.crop)) for j in idx])  # (B, crop)
            else:
                if speed is None:
                    x = self._crops_at_own_speeds(idx)
                else:
                    # Playing `speed` times faster: read crop*speed samples, resample them to crop.
                    length = int(round(self.crop * speed))
                    x = torch.from_numpy(np.stack([self._crop(self._source(j), length) for j in idx]))  # (B, length)
                    if speed != 1.0:
                        x = pad_or_trim(change_speed(x, speed, self.sample_rate), self.crop)
                if self.mic_filter:
                    x = self._mic_filter(x)
                x = np.stack([self._finish(row) for row in x.numpy()])  # (B, crop)
            if self.class_masks is None:
                yield torch.from_numpy(x), torch.from_numpy(self.labels[idx])
            else:
                yield torch.from_numpy(x), torch.from_numpy(self.labels[idx]), torch.from_numpy(self.class_masks[idx])

    def _crops_at_own_speeds(self, idx: np.ndarray) -> torch.Tensor:
        """One crop per clip, each played at a speed drawn for it alone: (B, crop).

        Tried because BatchNorm's batch statistics divide out a microphone
        colouring the whole batch shares (experiments/README.md, C2-C4); a speed
        moves pitch and formants along the frequency axis instead, which they do
        not undo, and per crop it gained 0.8 points clean on the development
        folds (run C5), under its rule's one point: off by default. Crops of one
        speed are resampled together."""
        speeds = self.rng.choice(np.asarray(self.speeds), len(idx))
        rows = [torch.from_numpy(self._crop(self._source(j), int(round(self.crop * s)))) for j, s in zip(idx, speeds)]
        x = torch.empty(len(idx), self.crop)
        for s in np.unique(speeds):
            k = np.flatnonzero(speeds == s)
            x[k] = pad_or_trim(change_speed(torch.stack([rows[i] for i in k]), float(s), self.sample_rate), self.crop)
        return x

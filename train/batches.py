"""Training batches: a sampler says which clips, a short list of transforms what they sound like.

    batches = train_batches(cfg, audio, labels, generator)   # what a TrainConfig asks for
    for x, y in batches: ...                                 # (B, crop) float32, (B,); + (B, C) masks with class_masks

A batch is made in three stages, each a list of small callables with their
own parameters:

1. the **sampler** (`EpochSampler`) orders the clips of an epoch and balances
   corpora (`second_share`);
2. each clip becomes a **crop**: a version of the clip (`ClipVersions`: a
   resynthesised voice or a codec version, train.augment), a random span of
   it (`crop`), at a length the `SpeedPerturbation` asks for;
3. **batch transforms** act on the (B, N) tensor (`SpeedPerturbation`'s
   resampling, `MicrophoneFilter`), then **crop transforms** on each crop
   (`WhiteNoise`, `Channels`).

Every transform draws from the one generator the batcher was given, in a
fixed order, so a seed gives the same batches on any machine -- and the
batches of every recorded run are reproduced bit for bit. Two habits keep it
so and look odd without this note: a transform that is off draws nothing
(runs made before it existed are unchanged), and when a batch has no batch
transform to apply its crops are finished one by one as they are cut (the
order earlier runs drew their numbers in).

On a GPU the model outruns one CPU core making batches, so `loader(batches, n)`
makes them in n DataLoader worker processes. Each batch then draws from a
generator of its own, seeded by (seed, epoch, batch), instead of one stream
for the whole run: the batches are the same whatever n (1 or 16), but they
are not the one-stream batches of the recorded runs, so a run records its
`loader_workers` (0, the default, is the one stream).

Adding an augmentation: a class with `describe()` (its entry in the run's
record, or None when off) and `__call__`, listed in `TrainBatches.__init__`.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from emotion.audio import change_speed, pad_or_trim

from . import augment
from .augment import ChannelSimulator, variants_description
from .channels import prepare_babble_talkers
from .config import TrainConfig, speeds_of
from .data import ClipSet


class EpochSampler:
    """The clip indices of each batch of an epoch.

    Each epoch shuffles the clips. Corpus balance: with `corpus` (0 = the main
    corpus, k >= 1 = the k-th added one, per clip) and `shares` {k: share}, every
    epoch takes all clips of the main corpus (and of any added corpus without a
    share) and a fresh random draw of each shared corpus's clips making up its
    share of the epoch, so adding corpora never dilutes the main one however
    few of its speakers train. No shares: every clip once. (`second_share` is
    the one-added-corpus form, {1: share}.)
    """

    def __init__(self, n: int, batch_size: int, rng: np.random.Generator, corpus: np.ndarray | None = None,
                 second_share: float = 0.0, shares: dict[int, float] | None = None):
        shares = dict(shares or ({1: second_share} if second_share else {}))
        if not all(0.0 <= v < 1.0 for v in shares.values()) or sum(shares.values()) >= 1.0:
            raise ValueError(f"The added corpora's shares of an epoch are at least 0 and add up to below 1; got "
                             f"{second_share if second_share else sorted(shares.values())}.")
        if shares and corpus is None:
            raise ValueError("A share for an added corpus needs each clip's corpus.")
        self.n, self.batch_size, self.rng = n, batch_size, rng
        self.corpus = np.asarray(corpus) if corpus is not None else None
        self.shares = {k: v for k, v in sorted(shares.items()) if v}

    def epoch_size(self) -> tuple[int, int]:
        """(clips every epoch takes, clips drawn afresh) in one epoch."""
        if not self.shares:
            return self.n, 0
        return len(self._kept()), sum(self._draw_sizes().values())

    def _kept(self) -> np.ndarray:
        return np.flatnonzero(~np.isin(self.corpus, list(self.shares)))

    def _draw_sizes(self) -> dict[int, int]:
        """{k: how many clips of corpus k an epoch draws}: its share of the epoch, at most all of them."""
        kept, total = len(self._kept()), sum(self.shares.values())
        return {k: min(int(np.sum(self.corpus == k)), int(round(share / (1 - total) * kept))) for k, share in self.shares.items()}

    def _order(self) -> np.ndarray:
        if not self.shares:  # no extra random draw: runs without it are reproduced exactly
            return self.rng.permutation(self.n)
        drawn = [self.rng.choice(np.flatnonzero(self.corpus == k), size=n, replace=False)
                 for k, n in self._draw_sizes().items()]
        return self.rng.permutation(np.concatenate([self._kept(), *drawn]))

    def __iter__(self) -> Iterator[np.ndarray]:
        order = self._order()
        for i in range(0, len(order), self.batch_size):
            yield order[i : i + self.batch_size]

    def __len__(self) -> int:
        return (sum(self.epoch_size()) + self.batch_size - 1) // self.batch_size


def crop(a: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """A random `length`-sample span of `a` (a copy), or `a` zero-padded at the end
    when it is shorter, as at inference."""
    if len(a) > length:
        start = int(rng.integers(0, len(a) - length + 1))
        return a[start : start + length].copy()
    x = np.zeros(length, np.float32)
    x[: len(a)] = a
    return x


class ClipVersions:
    """With probability `prob`, one of a clip's other versions (new voices, codecs:
    train.augment) replaces it in a crop. `about` says what the versions are."""

    def __init__(self, versions: list[list[np.ndarray]], prob: float, about: str, rng: np.random.Generator):
        self.versions, self.prob, self.about, self.rng = versions, prob, about, rng

    def __call__(self, j: int, audio: np.ndarray) -> np.ndarray:
        if self.rng.random() >= self.prob:
            return audio
        versions = self.versions[j]
        return versions[int(self.rng.integers(len(versions)))]

    def describe(self) -> dict:
        return {"kind": "variants", "probability": self.prob, "per_clip": len(self.versions[0]) if self.versions else 0,
                "description": f"{self.prob:.0%} of crops taken from another version of the clip: "
                               + (self.about or "a resynthesised voice or a codec version")}


class SpeedPerturbation:
    """Crops played at a speed drawn from `speeds` (tempo and pitch together, as in
    Kaldi's speed perturbation): new voices, in effect, which is what an
    actor-independent model is short of. One speed per batch, or with `per_clip`
    one per crop.

    `per_clip` was tried because BatchNorm's batch statistics divide out a
    microphone colouring the whole batch shares (experiments/README.md, C2-C4);
    a speed moves pitch and formants along the frequency axis instead, which
    they do not undo, and per crop it gained 0.8 points clean on the development
    folds (run C5), under its rule's one point: off by default."""

    def __init__(self, speeds: tuple[float, ...], per_clip: bool, crop: int, sample_rate: int, rng: np.random.Generator):
        if per_clip and len(speeds) < 2:
            raise ValueError("A speed per crop is a way of drawing the speed perturbation: give it more than one speed.")
        self.speeds, self.per_clip, self.crop, self.sample_rate, self.rng = speeds, per_clip, crop, sample_rate, rng

    def draw(self, n: int) -> np.ndarray | float | None:
        """The next batch's speeds: one per crop (an array), one for the batch (a float),
        or None when the batch plays as recorded."""
        if self.per_clip:
            return self.rng.choice(np.asarray(self.speeds), n)
        speed = float(self.rng.choice(self.speeds))
        return None if speed == 1.0 else speed

    def lengths(self, speeds: np.ndarray | float | None, n: int) -> list[int]:
        """How many samples to cut for each crop: playing `s` times faster reads crop*s samples."""
        per_crop = np.broadcast_to(np.asarray(1.0 if speeds is None else speeds, dtype=float), (n,))
        return [int(round(self.crop * float(s))) for s in per_crop]

    def __call__(self, rows: list[np.ndarray], speeds: np.ndarray | float) -> torch.Tensor:
        """(B, crop): each row resampled to `crop` samples at its speed. Crops of one speed
        are resampled together (at most len(speeds) resamples a batch)."""
        if not self.per_clip:
            return pad_or_trim(change_speed(torch.from_numpy(np.stack(rows)), speeds, self.sample_rate), self.crop)
        x = torch.empty(len(rows), self.crop)
        for s in np.unique(speeds):
            k = np.flatnonzero(speeds == s)
            x[k] = pad_or_trim(change_speed(torch.stack([torch.from_numpy(rows[i]) for i in k]), float(s), self.sample_rate), self.crop)
        return x

    def describe(self) -> dict:
        step = {"kind": "speed", "speeds": list(self.speeds),
                "description": f"speed perturbation at {min(self.speeds):g}\u2013{max(self.speeds):g}x "
                               f"({len(self.speeds)} speeds, tempo and pitch together"
                               + (", each crop its own)" if self.per_clip else ", one per batch)")}
        if self.per_clip:
            step["per_clip"] = True
        return step


class MicrophoneFilter:
    """A random microphone/room colouring: a high-pass (small mics lose the bass), a
    low-pass (cheap mics and codecs lose the top) and one peaking band of +-8 dB, with
    `tilt` also a tilt of the whole spectrum. RAVDESS is one studio microphone; the
    demo's users are on laptops and phones. Once for the whole batch (a `share` of
    batches), or with `per_clip` a filter of its own for each crop (that share of
    crops: BatchNorm's batch statistics absorb a colouring the whole batch shares).
    Applied as a zero-phase gain curve in the frequency domain: 20x faster than three
    biquads (torchaudio's lfilter) on the CPU, and the phase is inaudible anyway."""

    def __init__(self, share: float, tilt: float, per_clip: bool, sample_rate: int, rng: np.random.Generator):
        self.share, self.tilt, self.per_clip, self.sample_rate, self.rng = share, tilt, per_clip, sample_rate, rng

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0] if self.per_clip else 1
        if not self.per_clip and self.rng.random() >= self.share:
            return x
        on = self.rng.random(n) < self.share if self.per_clip else np.ones(1, bool)
        if not on.any():
            return x
        # One draw of each parameter per filter: a column of them per crop, or for the
        # whole batch the Python floats earlier runs drew, so those are reproduced bit for bit.
        if self.per_clip:
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
        if self.tilt:
            # A tilt of the whole spectrum about 1 kHz (a small capsule behind a grille is
            # bright, a headset or a distant room dull). Without it the model learns that
            # a brighter spectrum means a louder, angrier voice: on the development folds
            # a laptop-like response (bass cut plus presence peak) turns most answers
            # into "angry". Flat below 100 Hz, where the high-pass has taken the signal.
            gain = gain * 10 ** (column(draw(-self.tilt, self.tilt)) / 20 * torch.log2(f.clamp(min=100.0) / 1000.0))
        if self.per_clip:
            gain = torch.where(column(on) > 0, gain, torch.ones_like(gain))  # crops the per-crop draw left alone
        return torch.fft.irfft(torch.fft.rfft(x) * gain, n=x.shape[-1])

    def describe(self) -> dict:
        step = {"kind": "microphone_filter", "probability": self.share,
                "description": f"a random microphone-like filter on {self.share:.0%} of "
                               + ("crops, each its own" if self.per_clip else "batches")
                               + (f", its spectrum tilted by up to \u00b1{self.tilt:g} dB/octave" if self.tilt else "")}
        if self.tilt:
            step["tilt_db_per_octave"] = self.tilt
        if self.per_clip:
            step["per_clip"] = True
        return step


class WhiteNoise:
    """With probability `prob`, white noise at an SNR drawn from `snr_db`, so the model
    does not rely on studio-quiet backgrounds. Draws its coin even at prob 0 (as every
    recorded run did), so it is always in the list."""

    def __init__(self, prob: float, snr_db: tuple[float, float], rng: np.random.Generator):
        self.prob, self.snr_db, self.rng = prob, snr_db, rng

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.rng.random() < self.prob:
            power = float(np.mean(x**2)) + 1e-10
            snr = self.rng.uniform(*self.snr_db)
            x += self.rng.standard_normal(len(x)).astype(np.float32) * np.sqrt(power / 10 ** (snr / 10))
        return x

    def describe(self) -> dict | None:
        if not self.prob:
            return None
        return {"kind": "white_noise", "probability": self.prob, "snr_db": list(self.snr_db),
                "description": f"white noise at {self.snr_db[0]:g}\u2013{self.snr_db[1]:g} dB SNR on {self.prob:.0%} of crops"}


class Channels:
    """train.augment.ChannelSimulator on a share of crops: simulated rooms, lines, noises, levels."""

    def __init__(self, rooms, babble, p: float, rng: np.random.Generator, room_prob: float = 0.5):
        self.simulator = ChannelSimulator(rng, rooms, babble, p, room_prob)
        self.p, self.room_prob = p, room_prob

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.simulator(x)

    def describe(self) -> dict:
        step = {"kind": "channels", "probability": self.p,
                "description": f"{self.p:.0%} of crops through simulated rooms, band limits, pink, brown, "
                               "hum or babble noise and level changes (training rooms and seeds, not the benchmark's)"}
        if self.room_prob != 0.5:  # unsaid at the default, as in every run recorded before it was a setting
            step["room_probability"] = self.room_prob
            step["description"] += f"; {self.room_prob:.0%} of those crops in a room ({self.p * self.room_prob:.0%} of all)"
        return step


class TrainBatches:
    """Random fixed-length crops with waveform augmentation, training only: the sampler
    and transforms above, configured by keyword (see train_batches for a TrainConfig's).

    `variants`: other versions of each clip (`variants_about` says what they are),
    taken with probability `variant_prob`; `channel`: (rooms, babble, probability)
    for train.augment.ChannelSimulator; `class_masks` (N, C) bool are yielded with
    each batch when given (the masked loss), and after them `target_masks` (N, C)
    bool, the emotions each clip may be, when some clip's target is a set, and
    last `soft_targets` (N, C) float, a teacher's probabilities for each clip
    (distillation: every crop of a clip learns what the teacher heard in it)."""

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
        target_masks: np.ndarray | None = None,
        variants: list[list[np.ndarray]] | None = None,
        variant_prob: float = 0.0,
        variants_about: str = "",
        channel=None,
        room_prob: float = 0.5,
        corpus: np.ndarray | None = None,
        second_share: float = 0.0,
        shares: dict[int, float] | None = None,
        soft_targets: np.ndarray | None = None,
    ):
        if mic_tilt and not mic_filter:
            raise ValueError("A spectral tilt is part of the microphone filter: give mic_filter a share of batches too.")
        if mic_per_clip and not mic_filter:
            raise ValueError("A filter per crop is a way of drawing the microphone filter: give mic_filter a share of crops too.")
        if speed_per_clip and len(speeds) < 2:
            raise ValueError("A speed per crop is a way of drawing the speed perturbation: give it more than one speed.")
        rng = generator
        self.seed_per_batch: int | None = None  # set by loader(): each batch's generator seeded by (seed, epoch, batch)
        self.epoch = 0
        if target_masks is not None and class_masks is None:
            raise ValueError("Set-valued targets are scored within each clip's classes: give class_masks too.")
        if soft_targets is not None and class_masks is None:
            raise ValueError("A teacher's probabilities are learnt within each clip's classes: give class_masks too.")
        self.audio, self.labels, self.class_masks, self.target_masks = audio, np.asarray(labels), class_masks, target_masks
        self.soft_targets = soft_targets
        self.crop, self.sample_rate, self.rng = crop, sample_rate, rng
        self.sampler = EpochSampler(len(audio), batch_size, rng, corpus, second_share, shares)
        self.versions = ClipVersions(variants, variant_prob, variants_about, rng) if variants is not None else None
        self.speed = SpeedPerturbation(speeds, speed_per_clip, crop, sample_rate, rng) if len(speeds) > 1 else None
        self.batch_transforms = [MicrophoneFilter(mic_filter, mic_tilt, mic_per_clip, sample_rate, rng)] if mic_filter else []
        self.crop_transforms = [WhiteNoise(noise_prob, snr_db, rng)]
        if channel is not None:
            self.crop_transforms.append(Channels(*channel, rng, room_prob=room_prob))

    def __len__(self) -> int:
        return len(self.sampler)

    def describe(self) -> list[dict]:
        """What this augmentation does, with its parameters, for the run's record and the model card."""
        seconds = self.crop / self.sample_rate
        steps = [{"kind": "crop", "seconds": seconds, "description": f"random {seconds:g} s crops (shorter clips zero-padded)"}]
        # The record's order (crop, speed, noise, microphone, versions, channels) is the card's.
        noise, *channels = self.crop_transforms
        for t in (self.speed, noise, *self.batch_transforms, self.versions, *channels):
            step = t.describe() if t is not None else None
            if step:
                steps.append(step)
        return steps

    def _cut(self, j: int, length: int) -> np.ndarray:
        """Clip j (or, drawn, one of its versions), cropped to `length` samples."""
        a = self.audio[j] if self.versions is None else self.versions(j, self.audio[j])
        return crop(a, length, self.rng)

    def _finish(self, x: np.ndarray) -> np.ndarray:
        for transform in self.crop_transforms:
            x = transform(x)
        return x

    def _reseed(self, *key: int) -> None:
        """Every transform holds this one generator: restarting it here restarts them all."""
        self.rng.bit_generator.state = np.random.PCG64([self.seed_per_batch, *key]).state

    def __iter__(self):
        if self.seed_per_batch is None:  # one stream: the recorded runs' batches
            for idx in self.sampler:
                yield self._batch(idx)
            return
        info = torch.utils.data.get_worker_info()
        shard, shards = (info.id, info.num_workers) if info is not None else (0, 1)
        epoch, self.epoch = self.epoch, self.epoch + 1  # each worker counts the epochs it serves: all of them
        self._reseed(epoch)
        for i, idx in enumerate(list(self.sampler)):  # every worker draws the epoch's order; each makes its batches
            if i % shards == shard:
                self._reseed(epoch, i)
                yield self._batch(idx)

    def _batch(self, idx: np.ndarray) -> tuple[torch.Tensor, ...]:
        speeds = self.speed.draw(len(idx)) if self.speed is not None else None
        if speeds is None and not self.batch_transforms:
            x = np.stack([self._finish(self._cut(j, self.crop)) for j in idx])  # (B, crop)
        else:
            lengths = self.speed.lengths(speeds, len(idx)) if self.speed is not None else [self.crop] * len(idx)
            rows = [self._cut(j, n) for j, n in zip(idx, lengths)]
            x = self.speed(rows, speeds) if speeds is not None else torch.from_numpy(np.stack(rows))
            for transform in self.batch_transforms:
                x = transform(x)
            x = np.stack([self._finish(row) for row in x.numpy()])  # (B, crop)
        if self.class_masks is None:
            return torch.from_numpy(x), torch.from_numpy(self.labels[idx])
        out = (torch.from_numpy(x), torch.from_numpy(self.labels[idx]), torch.from_numpy(self.class_masks[idx]))
        if self.target_masks is not None:
            out = (*out, torch.from_numpy(self.target_masks[idx]))
        # A teacher's probabilities come last, so the positions before them keep their meaning.
        return out if self.soft_targets is None else (*out, torch.from_numpy(self.soft_targets[idx]))


class _Batches(torch.utils.data.IterableDataset):
    def __init__(self, batches: TrainBatches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)


class LoadedBatches:
    """TrainBatches made in DataLoader workers (see loader); iterable once per epoch, with a length."""

    def __init__(self, batches: TrainBatches, workers: int, pin_memory: bool):
        self.batches = batches
        # A generator of its own: the DataLoader draws worker seeds every epoch, and from torch's global
        # generator they would move the dropout masks -- and differ after a resume (train.state).
        self.loader = torch.utils.data.DataLoader(_Batches(batches), batch_size=None, num_workers=workers,
                                                  persistent_workers=True, pin_memory=pin_memory, prefetch_factor=4,
                                                  generator=torch.Generator().manual_seed(0))

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        return iter(self.loader)


def loader(batches: TrainBatches, workers: int, seed: int, pin_memory: bool = False) -> TrainBatches | LoadedBatches:
    """The batches made in `workers` processes (0: here, one stream, as the recorded runs).
    Workers interleave in order (batch i comes from worker i mod n), so the epoch's order
    is kept, and each batch's generator is seeded by (seed, epoch, i): the same batches
    for any number of workers."""
    if workers <= 0:
        return batches
    batches.seed_per_batch = seed
    return LoadedBatches(batches, workers, pin_memory)


def train_batches(cfg: TrainConfig, audio: list[np.ndarray], labels: list[int], generator: np.random.Generator,
                  class_masks: np.ndarray | None = None, simulation: dict | None = None,
                  corpora: list[str] | None = None, target_masks: np.ndarray | None = None,
                  soft_targets: np.ndarray | None = None) -> TrainBatches:
    """The augmented training batches a config asks for; `simulation`: what train.augment
    made for the run ({"variants": per-clip versions, "channel": (rooms, babble, p)});
    `corpora`: each clip's corpus, which corpus shares need (the main corpus is 0, the
    added ones 1, 2, ... in the order the config names them)."""
    simulation = simulation or {}
    about = variants_description(cfg.voices, cfg.codecs) if cfg.voices or cfg.codecs else ""
    order = {name: k for k, name in enumerate(cfg.corpus_folders())}
    shares = {order[name]: share for name, share in cfg.shares().items()}
    corpus = np.array([order[c] for c in corpora], dtype=int) if corpora is not None and shares else None
    return TrainBatches(audio, labels, crop=int(cfg.crop_seconds * cfg.sample_rate), batch_size=cfg.batch_size,
                        generator=generator, noise_prob=cfg.noise_prob, speeds=speeds_of(cfg.speed_perturb),
                        sample_rate=cfg.sample_rate, mic_filter=cfg.mic_filter, mic_tilt=cfg.mic_tilt,
                        mic_per_clip=cfg.mic_per_clip, speed_per_clip=cfg.speed_per_clip, class_masks=class_masks, target_masks=target_masks,
                        variants=simulation.get("variants"), variant_prob=cfg.variant_prob, variants_about=about,
                        channel=simulation.get("channel"), room_prob=cfg.room_prob, corpus=corpus, shares=shares if corpus is not None else None,
                        soft_targets=soft_targets)


def simulated_speakers_and_channels(cfg: TrainConfig, train: ClipSet) -> dict:
    """What train.augment adds for this config, computed once per run (cached on disk):
    {"variants": per-clip voice/codec versions, "channel": (rooms, babble, p)}; {} when off."""
    out = {}
    versions = [[] for _ in train.audio]
    if cfg.voices:
        versions = [v + w for v, w in zip(versions, augment.voice_variants(train.audio, cfg.voices, cfg.cache or None))]
    if cfg.codecs:
        versions = [v + w for v, w in zip(versions, augment.codec_variants(train.audio, cfg.cache or None))]
    if cfg.voices or cfg.codecs:
        out["variants"] = versions
    if cfg.channel_sim:
        out["channel"] = (augment.training_rooms(bank=cfg.room_bank), prepare_babble_talkers(train.audio), cfg.channel_sim)
    return out

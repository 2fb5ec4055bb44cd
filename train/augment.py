"""New voices and new channels for training: what 16 RAVDESS actors in one studio lack.

Two kinds of simulation, both training-only (serving never sees them):

- **Speakers** (`voice_variants`): each training clip is resynthesised with
  Praat's "Change gender" (praat-parselmouth): the formants shifted by a
  ratio (a longer or shorter vocal tract) and the pitch median moved,
  independently of each other and of tempo -- unlike speed perturbation,
  which moves all three together. Computed once per clip (about 30 ms each)
  and cached beside the decoded audio.
- **Channels** (`ChannelSimulator`): each crop may be heard in a simulated
  room, through a band-limited or compressed line, with background noise of
  several kinds, too quietly or clipped. The building blocks are the
  benchmark's (train.channels: pyroomacoustics rooms, colorednoise, scipy
  filters, ffmpeg codecs), drawn with *other* parameters: other seeds,
  rooms of other sizes and reverberation times, babble from training
  speakers only, codecs at other bit rates. The benchmark measures what
  the model never heard (see train.channels).
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from emotion.audio import SAMPLE_RATE, load_audio, pad_or_trim

from . import channels as ch
from .data import audio_digest, cached_clips

AUGMENT_SEED = 20250  # training simulation's own seed (the benchmark's is channels.BENCHMARK_SEED)
VOICE_FORMANT_RATIOS = (0.86, 1.17)  # log-uniform range of formant shifts: roughly adult male to adult female
VOICE_PITCH_RATIOS = (0.8, 1.25)  # log-uniform range of pitch-median changes
N_TRAINING_ROOMS = 48  # impulse responses in the training bank
TRAINING_ROOM_SIZES = ((3.0, 12.0), (2.5, 9.0), (2.4, 4.0))  # m, (min, max) of length, width, height
TRAINING_RT60 = (0.15, 1.0)  # s, Sabine design values
TRAINING_DISTANCE = (0.7, 3.0)  # m, talker to microphone (more than the talker-to-table height difference)
# Room bank 2 (--room-bank 2). Bank 1's draw rejects a room unless an independently drawn
# distance fits in it, so it holds no room under 4.3 x 4.4 m: the small offices and bedrooms
# where people talk to a laptop were missing (V9 x 3 lost 12 points in the benchmark's
# 4 x 3.2 m office, 8 in its far larger hall). Bank 2 draws length and width log-uniformly
# (small rooms as common as large), then the distance within what the room leaves.
N_TRAINING_ROOMS_2 = 96
TRAINING_ROOM_SIZES_2 = ((2.5, 12.0), (2.3, 9.0), (2.3, 4.0))  # m, (min, max) of length, width (log-uniform), height
TRAINING_DISTANCE_2 = (0.55, 3.0)  # m: from just past the talker-to-table height difference to what fits
ROOM_BANKS = {1: "48 rooms 3-12 m long, a talker 0.7-3 m away (only rooms over about 4 x 4 m fit the draw)",
              2: "96 rooms 2.5-12 m long, small ones as common as large, a talker 0.55-3 m away within what fits"}
NOISE_SNR_DB = (0.0, 30.0)  # background noise levels drawn for training
# Codecs and rates a training clip may go through once (the benchmark uses Opus at 32 kbit/s,
# G.711 mu-law and GSM at 8 kHz): other rates, and A-law, MP3 and AMR-free Opus variants.
TRAINING_CODECS = {
    "opus_12k": (48000, ["-c:a", "libopus", "-b:a", "12k", "-f", "ogg"]),
    "opus_20k": (16000, ["-c:a", "libopus", "-b:a", "20k", "-f", "ogg"]),
    "mp3_32k": (22050, ["-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3"]),
    "alaw_8k": (8000, ["-c:a", "pcm_alaw", "-f", "wav"]),
}
TRAINING_CODECS_TEXT = "Opus at 12 or 20 kbit/s, MP3 at 32 kbit/s or A-law at 8 kHz"  # the card's words for them


def variants_description(voices: int, codecs: bool) -> str:
    """Which other versions of a clip a run trains on, in the run record's (and the card's) words."""
    kinds = ([f"{voices} new voice{'s' if voices > 1 else ''} (formants and pitch moved with Praat)"] if voices else []) \
        + ([f"its codec version ({TRAINING_CODECS_TEXT}, through ffmpeg)"] if codecs else [])
    return " or ".join(kinds)


def log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def change_voice(audio: np.ndarray, formant_ratio: float, pitch_ratio: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The clip as another voice: formants scaled by `formant_ratio`, the pitch
    median by `pitch_ratio`, duration and pitch contour's shape kept (Praat's
    Change gender). (N,) float32 in, (N,) float32 out."""
    import parselmouth  # deferred: Praat is needed only for --voices
    from parselmouth.praat import call

    sound = parselmouth.Sound(audio.astype(np.float64), sampling_frequency=sr)
    pitch = call(sound.to_pitch(), "Get quantile", 0, 0, 0.5, "Hertz")
    new_median = pitch * pitch_ratio if np.isfinite(pitch) else 0.0  # 0: Praat leaves the pitch alone
    out = call(sound, "Change gender", 75, 600, formant_ratio, new_median, 1.0, 1.0).values[0]
    out = pad_or_trim(out.astype(np.float32), len(audio))
    peak = float(np.abs(out).max())
    return out * (float(np.abs(audio).max()) / peak) if peak > 0 else out


def codec_variant(audio: np.ndarray, name: str) -> np.ndarray:
    """The clip encoded with TRAINING_CODECS[name] by ffmpeg and decoded back by the front end."""
    rate, args = TRAINING_CODECS[name]
    encoded = ch.encode_with_ffmpeg(audio, SAMPLE_RATE, ["-ar", str(rate), *args])
    return pad_or_trim(load_audio(encoded), len(audio))


def cached_variants(audio: list[np.ndarray], n: int, make, what: str, cache_dir: str | os.PathLike | None) -> list[list[np.ndarray]]:
    """[[variant_1, ..., variant_n] per clip], computed by make(clip, rng) once and
    kept in CACHE_DIR/variants-KIND-KEY.npz (the key covers the clips and `what`)."""
    key = hashlib.sha256(f"{what}|{audio_digest(audio)}".encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"variants-{what.split('|')[0]}-{key}.npz" if cache_dir else None

    def compute() -> list[np.ndarray]:
        rng = np.random.default_rng([AUGMENT_SEED, int(hashlib.sha256(what.encode()).hexdigest()[:8], 16)])
        made = [make(a, rng) for a in audio for _ in range(n)]  # the draws, in the set's order
        # A `make` may hand back the work itself (a callable): it runs in threads, one per core --
        # the codecs' work is ffmpeg's, a process of its own, so threads keep every core busy.
        with ThreadPoolExecutor(max(1, os.cpu_count() or 1)) as pool:
            work = pool.map(lambda m: m() if callable(m) else m, made)
            return list(tqdm(work, total=len(made), desc=what.split("|")[0], unit="clip", leave=False, disable=None))

    flat = cached_clips(path, compute)
    return [flat[i * n : (i + 1) * n] for i in range(len(audio))]


def voice_variants(audio: list[np.ndarray], n: int, cache_dir=None) -> list[list[np.ndarray]]:
    """n new voices of every clip (change_voice with ratios drawn log-uniformly)."""
    def make(clip, rng):
        return change_voice(clip, log_uniform(rng, *VOICE_FORMANT_RATIOS), log_uniform(rng, *VOICE_PITCH_RATIOS))
    return cached_variants(audio, n, make, f"voices|{VOICE_FORMANT_RATIOS}|{VOICE_PITCH_RATIOS}", cache_dir)


def codec_variants(audio: list[np.ndarray], cache_dir=None) -> list[list[np.ndarray]]:
    """Every clip through one codec of TRAINING_CODECS, drawn per clip.

    The draw follows the set's order (so a set always gets the same codecs), but
    encoding is what costs (ffmpeg, about a quarter of a second a clip), and its
    result depends only on the clip and the codec: each is also kept per clip
    (`clip_cached`). The next fold or recipe hears mostly the same clips in
    another set, so it draws other codecs for some of them, but a (clip, codec)
    pair is encoded once, whichever set first met it; the draws are unchanged."""
    names = sorted(TRAINING_CODECS)

    def make(clip, rng):
        name = names[int(rng.integers(len(names)))]
        settings = hashlib.sha256(repr(TRAINING_CODECS[name]).encode()).hexdigest()[:8]  # a changed rate is another cache
        return lambda: clip_cached(clip, f"codec-{name}-{settings}", lambda: codec_variant(clip, name), cache_dir)
    return cached_variants(audio, 1, make, f"codecs|{names}", cache_dir)


def clip_cached(clip: np.ndarray, what: str, compute, cache_dir: str | os.PathLike | None) -> np.ndarray:
    """compute() of one clip, kept in CACHE_DIR/clips/WHAT/DIGEST.npz by train.data.cached_clips
    (the digest covers the clip's samples). For deterministic transforms only: the result must
    depend on nothing but the clip."""
    path = Path(cache_dir) / "clips" / what / f"{audio_digest([clip])[:24]}.npz" if cache_dir else None
    return cached_clips(path, lambda: [np.asarray(compute(), dtype=np.float32)])[0]


def training_rooms(n: int | None = None, bank: int = 1) -> list[tuple[np.ndarray, int]]:
    """A bank of (impulse response, direct-sound index) from rooms drawn in the
    training ranges -- never the benchmark's rooms. `bank`: 1, the recorded runs'
    (its draws unchanged, so they reproduce), or 2 (see TRAINING_ROOM_SIZES_2);
    `n`: the bank's first n rooms (default: all of it)."""
    if bank == 2:
        return _training_rooms_2(N_TRAINING_ROOMS_2 if n is None else n)
    if bank != 1:
        raise ValueError(f"The room bank is 1 or 2, not {bank}.")
    n = N_TRAINING_ROOMS if n is None else n
    rng = np.random.default_rng([AUGMENT_SEED, 1])
    bank = []
    while len(bank) < n:
        size = tuple(round(rng.uniform(lo, hi), 2) for lo, hi in TRAINING_ROOM_SIZES)
        room = ch.Room(size=size, rt60=round(rng.uniform(*TRAINING_RT60), 2),
                       distance=round(rng.uniform(*TRAINING_DISTANCE), 2))
        fits = abs(ch.TALKER_HEIGHT - ch.MIC_HEIGHT) < room.distance < 0.5 * min(size[:2]) - ch.WALL_MARGIN
        if room in ch.BENCHMARK_ROOMS.values() or not fits:
            continue  # the benchmark's own rooms are never trained on; talker and microphone must fit
        bank.append(ch.room_impulse_response(room, rng))
    return bank


def _training_rooms_2(n: int) -> list[tuple[np.ndarray, int]]:
    rng = np.random.default_rng([AUGMENT_SEED, 2])
    rooms = []
    while len(rooms) < n:
        (l_lo, l_hi), (w_lo, w_hi), (h_lo, h_hi) = TRAINING_ROOM_SIZES_2
        size = (round(float(np.exp(rng.uniform(np.log(l_lo), np.log(l_hi)))), 2),
                round(float(np.exp(rng.uniform(np.log(w_lo), np.log(w_hi)))), 2), round(rng.uniform(h_lo, h_hi), 2))
        furthest = min(TRAINING_DISTANCE_2[1], 0.5 * min(size[:2]) - ch.WALL_MARGIN - 0.01)
        if furthest <= TRAINING_DISTANCE_2[0]:
            continue  # too narrow for a talker and a microphone off the walls
        room = ch.Room(size=size, rt60=round(rng.uniform(*TRAINING_RT60), 2),
                       distance=round(rng.uniform(TRAINING_DISTANCE_2[0], furthest), 2))
        if room in ch.BENCHMARK_ROOMS.values():
            continue
        rooms.append(ch.room_impulse_response(room, rng))
    return rooms


@dataclass
class ChannelSimulator:
    """Applied to each training crop with probability `p`: a room (`room_prob` of the
    time, half by default), a band limit (a quarter), background noise of one kind
    (most of the time), a level change or clipping (some of the time). (N,) float32
    in and out. The room's coin is drawn whatever `room_prob`, so the default
    reproduces every recorded run."""

    rng: np.random.Generator
    rooms: list  # training_rooms()
    babble: list  # channels.prepare_babble_talkers(training speakers' clips)
    p: float = 0.5
    room_prob: float = 0.5

    def __call__(self, x: np.ndarray) -> np.ndarray:
        rng = self.rng
        if rng.random() >= self.p or not np.any(x):
            return x
        if rng.random() < self.room_prob:  # a room
            x = ch.heard_through(x, *self.rooms[int(rng.integers(len(self.rooms)))])
        if rng.random() < 0.25:  # a band-limited line or a small loudspeaker-microphone chain
            from scipy.signal import butter, sosfilt  # deferred: train's extra, needed only for band-limited crops

            lo, hi = rng.uniform(150, 500), rng.uniform(2800, 7000)
            x = ch.keep_peak(sosfilt(butter(4, [lo, hi], btype="bandpass", fs=SAMPLE_RATE, output="sos"), x), x)
        kind = rng.choice(["pink", "brown", "hum", "babble", "none"], p=[0.2, 0.2, 0.15, 0.3, 0.15])
        if kind != "none":
            noise = {"pink": ch.pink_noise, "brown": ch.brown_noise, "hum": ch.mains_hum}.get(str(kind))
            n = noise(len(x), rng) if noise else ch.babble_noise(len(x), rng, self.babble)
            x = ch.mix_at_snr(x, n, rng.uniform(*NOISE_SNR_DB))
        level = rng.random()
        if level < 0.15:  # too quiet: down to -40 dBFS peak
            x = x * (10 ** (rng.uniform(-40, -15) / 20) / (float(np.abs(x).max()) or 1.0))
        elif level < 0.25:  # overdriven
            x = np.clip(x * 10 ** (rng.uniform(3, 15) / 20) / (float(np.abs(x).max()) or 1.0), -1, 1)
        return x.astype(np.float32)

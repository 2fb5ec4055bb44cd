"""The benchmark's channels: what a clip goes through between a mouth and the model.

Each channel is a pure function `(audio, rng) -> audio`: (N,) float32 mono at
16 kHz in, (N,) float32 mono at 16 kHz out -- the same length, so a channel's
effect can be measured sample by sample -- where `rng` is a numpy Generator
that fixes every random choice. Each is built on a library made for the job:
codecs are ffmpeg's (libopus, G.711, libgsm) and the file is decoded back by
the app's own front end (`emotion.audio.load_audio`); filters are scipy's;
rooms are pyroomacoustics' image-source simulation; coloured noise is
`colorednoise`'s.

Used by `python -m train.generalisation`, which gives every (channel, clip)
pair its own Generator from `channel_rng`, so a clip sounds the same through a
channel whatever else is evaluated beside it.

The benchmark must not measure the memory of a training augmentation. So
every parameter of the suite is fixed here, in one place, and is the
benchmark's alone:

- BENCHMARK_SEED seeds every random choice of the suite. Training
  augmentation (train/augment.py, to come) must draw from other seeds.
- BENCHMARK_ROOMS are the only rooms the benchmark simulates; augmentation
  must simulate other sizes and reverberation times.
- Babble is speech of the nEMO test speakers (train.nemo.NEMO_TEST_SPEAKERS),
  who are never trained on, so no augmentation can ever use that material.
  Not RAVDESS: every RAVDESS actor says the same two sentences, so RAVDESS
  babble would be the target's own words, and actors 1-16 are the natural
  material for training's own babble.
- Pink, brown and hum noise are generated, not recorded: an augmentation
  that generated the same kinds with other seeds would be statistically the
  same noise, so their rows measure robustness to those kinds, not to
  unheard noise. Augmentation should prefer recorded noise (another corpus)
  for that reason; babble is the row that cannot be learnt by heart.
"""

from __future__ import annotations

import io
import subprocess
import zlib
from dataclasses import dataclass
from functools import partial
from typing import Callable, Sequence

import numpy as np
import soundfile as sf

from emotion.audio import SAMPLE_RATE, load_audio, pad_or_trim, to_mono_float32, trim_silence

BENCHMARK_SEED = 1111  # the suite's own seed; training augmentation must use others
CHANNELS_VERSION = 1  # bump when a channel's output changes, so cached outputs are recomputed

SNRS_DB = (20.0, 10.0, 5.0)  # background noise levels, speech to noise, over the active speech
SNR_DEFINITION = "active speech (the span emotion.audio.trim_silence keeps) to noise, in power, over that span"
BABBLE_TALKERS = 6  # overlapping voices in the babble: enough that words are rarely made out
TELEPHONE_BAND_HZ = (300.0, 3400.0)  # the telephone channel's pass band (ITU-T G.712)
OPUS_KBITS = 32  # kbit/s of the browser recording's Opus stream: a voice call's rate
QUIET_PEAK_DBFS = -30.0  # the quiet recording's peak level
CLIPPING_OVERDRIVE_DB = 12.0  # how far over full scale the clipping channel drives the peak
LAPTOP_NOISE_SNR_DB = 30.0  # the laptop's fan and room noise: audible, not disturbing
# A laptop's microphone behind its grille: (Hz, gain) points of the magnitude
# response. Bass lost below 300 Hz (a small capsule), a presence resonance of
# the grille cavity near 3.5 kHz, and the top falling from 6 kHz on.
LAPTOP_MIC_RESPONSE = ((0, 0.0), (80, 0.02), (150, 0.2), (300, 0.7), (500, 1.0), (2000, 1.0),
                       (3500, 1.8), (5000, 1.3), (6500, 0.5), (8000, 0.1))


@dataclass(frozen=True)
class Room:
    """A shoebox room for pyroomacoustics: size in metres, the reverberation
    time its walls are designed for (Sabine's formula), and how far the
    microphone is from the talker. The image-source RIRs decay more slowly
    than Sabine predicts for uniform walls: the office measures about 0.4 s
    and the hall about 1.1 s (Schroeder's method, as the tests check)."""

    size: tuple[float, float, float]  # (length, width, height), m
    rt60: float  # s, Sabine design value
    distance: float  # m, talker to microphone


BENCHMARK_ROOMS = {
    "room_office": Room(size=(4.0, 3.2, 2.6), rt60=0.35, distance=1.0),  # a small office, laptop on the desk
    "room_hall": Room(size=(8.0, 6.5, 3.2), rt60=0.7, distance=2.5),  # a meeting hall, phone on the table
}
TALKER_HEIGHT, MIC_HEIGHT, WALL_MARGIN = 1.5, 1.0, 0.6  # m: a seated or standing talker, a table, off the walls


def channel_rng(channel: str, clip: str) -> np.random.Generator:
    """The Generator of one clip through one channel: fixed by the benchmark
    seed, the channel's name and the clip's name (e.g. its file stem), and
    independent of which other clips or channels are run."""
    return np.random.default_rng([BENCHMARK_SEED, zlib.crc32(channel.encode()), zlib.crc32(clip.encode())])


# --- levels and mixing -------------------------------------------------------


def speech_power(audio: np.ndarray) -> float:
    """Mean square of the active speech: the span that the front end's silence
    trimming keeps. RAVDESS clips open and close with a second of silence;
    counting it would make every SNR a couple of dB kinder than it sounds."""
    speech, _ = trim_silence(audio)
    return float(np.mean(np.square(speech, dtype=np.float64))) + 1e-12


def mix_at_snr(audio: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """audio + noise scaled to `snr_db` below the active speech (both (N,)),
    measured over the speech span. If the sum would clip, the whole mix is
    turned down, as a recording level would be, which keeps the SNR."""
    _, (start, end) = trim_silence(audio)
    noise_power = float(np.mean(np.square(noise[start:end], dtype=np.float64))) + 1e-12
    mix = audio + noise * np.sqrt(speech_power(audio) / noise_power / 10 ** (snr_db / 10))
    peak = float(np.abs(mix).max())
    return (mix / peak if peak > 1.0 else mix).astype(np.float32)


# --- codecs through ffmpeg ----------------------------------------------------


def encode_with_ffmpeg(audio: np.ndarray, sr: int, output_args: Sequence[str]) -> bytes:
    """Encode (N,) float32 at `sr` with ffmpeg; `output_args` name the codec,
    rate and container (e.g. ["-c:a", "libopus", "-f", "webm"]). Returns the
    encoded file's bytes."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1",
           "-f", "f32le", "-ar", str(sr), "-ac", "1", "-i", "pipe:0", *output_args, "pipe:1"]
    try:
        return subprocess.run(cmd, input=np.ascontiguousarray(audio, np.float32).tobytes(),
                              capture_output=True, check=True).stdout
    except FileNotFoundError:
        raise RuntimeError("The codec channels need the ffmpeg program (apt-get install ffmpeg).") from None
    except subprocess.CalledProcessError as e:
        raise RuntimeError(f"ffmpeg {' '.join(output_args)} failed: {e.stderr.decode(errors='replace').strip()}") from None


def _band_limit(audio: np.ndarray) -> np.ndarray:
    """The telephone pass band, with the steep edges of a PCM codec's channel
    filter (ITU-T G.712): an elliptic band-pass of order 10, 0.5 dB ripple,
    40 dB down in the stop bands (60 dB at 4 kHz), causal like the real one."""
    from scipy.signal import ellip, sosfilt  # deferred: train's extra, needed only by the channels that filter

    sos = ellip(5, 0.5, 40, TELEPHONE_BAND_HZ, btype="bandpass", fs=SAMPLE_RATE, output="sos")
    return sosfilt(sos, audio).astype(np.float32)


def webm_opus(audio: np.ndarray) -> bytes:
    """What a browser's MediaRecorder uploads for (N,) float32 at 16 kHz:
    captured at 48 kHz, Opus at OPUS_KBITS kbit/s in a WebM file."""
    at_48k = to_mono_float32(audio, SAMPLE_RATE, 48000)
    return encode_with_ffmpeg(at_48k, 48000, ["-c:a", "libopus", "-b:a", f"{OPUS_KBITS}k", "-f", "webm"])


def g711_wav(audio: np.ndarray) -> bytes:
    """A telephone line's signal for (N,) float32 at 16 kHz: the 300-3400 Hz
    band, 8 kHz, G.711 mu-law (64 kbit/s), as a WAV file."""
    return encode_with_ffmpeg(_band_limit(audio), SAMPLE_RATE, ["-ar", "8000", "-c:a", "pcm_mulaw", "-f", "wav"])


def gsm_wav(audio: np.ndarray) -> bytes:
    """A 2G mobile call's signal for (N,) float32 at 16 kHz: the telephone
    band, 8 kHz, the GSM 06.10 full-rate codec (13 kbit/s, libgsm), as a WAV
    file. This ffmpeg has no AMR-NB encoder; GSM-FR is the older, harsher
    codec of the same networks."""
    return encode_with_ffmpeg(_band_limit(audio), SAMPLE_RATE, ["-ar", "8000", "-c:a", "libgsm_ms", "-f", "wav"])


def browser_recording(audio: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """A browser's microphone recording (webm_opus), decoded by the app's front
    end exactly as an uploaded recording is (ffmpeg, to 16 kHz).
    Deterministic; `rng` unused."""
    return pad_or_trim(load_audio(webm_opus(audio)), len(audio))


def telephone(audio: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """A landline or VoIP call (g711_wav), decoded by the front end.
    Deterministic; `rng` unused."""
    return pad_or_trim(load_audio(g711_wav(audio)), len(audio))


def mobile_phone(audio: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """A 2G mobile call (gsm_wav), decoded by the front end and cut to the
    input's length (GSM codes whole 20 ms frames). Deterministic; `rng` unused."""
    return pad_or_trim(load_audio(gsm_wav(audio)), len(audio))


# --- microphones, rooms, levels ----------------------------------------------


def laptop_microphone(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A laptop's built-in microphone in a quiet room: pink noise (fan and
    room) at 30 dB below the speech, both heard through LAPTOP_MIC_RESPONSE
    (a 257-tap linear-phase FIR from scipy's firwin2, aligned so that nothing
    is delayed)."""
    from colorednoise import powerlaw_psd_gaussian  # deferred: train's extras, needed only when a channel runs
    from scipy.signal import fftconvolve, firwin2

    freqs, gains = zip(*LAPTOP_MIC_RESPONSE)
    fir = firwin2(257, freqs, gains, fs=SAMPLE_RATE)
    noisy = mix_at_snr(audio, powerlaw_psd_gaussian(1, len(audio), fmin=20 / SAMPLE_RATE, random_state=rng), LAPTOP_NOISE_SNR_DB)
    out = fftconvolve(noisy, fir, mode="same")
    return keep_peak(out, audio)


def room_impulse_response(room: Room, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """One impulse response of `room` (pyroomacoustics' image-source method at
    16 kHz): the talker at a random place at least WALL_MARGIN off the walls,
    the microphone `room.distance` away in a random direction. Returns (rir,
    index of the direct sound in it)."""
    import pyroomacoustics as pra  # deferred: a 2 s import, needed only to build rooms

    size = np.array(room.size)
    horizontal = np.sqrt(room.distance**2 - (TALKER_HEIGHT - MIC_HEIGHT) ** 2)
    while True:  # draw until both ends fit in the room; a few draws at most
        talker = np.array([*rng.uniform(WALL_MARGIN, size[:2] - WALL_MARGIN), TALKER_HEIGHT])
        angle = rng.uniform(0, 2 * np.pi)
        mic = talker + np.array([horizontal * np.cos(angle), horizontal * np.sin(angle), MIC_HEIGHT - TALKER_HEIGHT])
        if np.all(mic[:2] >= WALL_MARGIN) and np.all(mic[:2] <= size[:2] - WALL_MARGIN):
            break
    absorption, max_order = pra.inverse_sabine(room.rt60, room.size)
    shoebox = pra.ShoeBox(room.size, fs=SAMPLE_RATE, materials=pra.Material(absorption), max_order=max_order)
    shoebox.add_source(talker)
    shoebox.add_microphone(mic)
    shoebox.compute_rir()
    # pyroomacoustics delays every RIR by half its fractional-delay filter.
    direct = int(round(room.distance / shoebox.c * SAMPLE_RATE)) + pra.constants.get("frac_delay_length") // 2
    return np.asarray(shoebox.rir[0][0], np.float64), direct


def reverberant_room(audio: np.ndarray, rng: np.random.Generator, room: Room) -> np.ndarray:
    """The clip spoken in `room` (see room_impulse_response), heard from the
    direct sound on: the input's length and peak are kept, the tail that
    runs past the end is cut."""
    return heard_through(audio, *room_impulse_response(room, rng))


def heard_through(audio: np.ndarray, rir: np.ndarray, direct: int) -> np.ndarray:
    """`audio` convolved with an impulse response, from its direct sound on: the
    input's length and peak kept, the tail past the end cut. Training's rooms
    (train.augment) use it too."""
    from scipy.signal import fftconvolve  # deferred: train's extra, needed only when a room is heard

    wet = fftconvolve(audio, rir)[direct : direct + len(audio)]
    return keep_peak(pad_or_trim(wet, len(audio)), audio)


def quiet_recording(audio: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """A recording made with the input gain far too low: peak at -30 dBFS,
    stored as a 16-bit WAV (what a browser sends) and read back by the front
    end, so the quantisation is that of a real quiet file. Deterministic."""
    peak = float(np.abs(audio).max()) or 1.0
    buffer = io.BytesIO()
    sf.write(buffer, audio * (10 ** (QUIET_PEAK_DBFS / 20) / peak), SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return load_audio(buffer.getvalue())


def clipping(audio: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """An overdriven input: the gain puts the peak 12 dB over full scale and
    the converter clips everything beyond it (every sample above a quarter of
    the original peak). Deterministic."""
    peak = float(np.abs(audio).max()) or 1.0
    return np.clip(audio * (10 ** (CLIPPING_OVERDRIVE_DB / 20) / peak), -1.0, 1.0).astype(np.float32)


def keep_peak(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    """`out` as float32 scaled to the peak of `like`: filters and rooms change
    the level; a recording chain's gain would set it back."""
    peak = float(np.abs(out).max())
    return (out * (float(np.abs(like).max()) / peak if peak > 0 else 1.0)).astype(np.float32)


# --- background noise ------------------------------------------------------------


def pink_noise(length: int, rng: np.random.Generator) -> np.ndarray:
    """(length,) pink (1/f) noise, flat below 20 Hz (nothing a microphone would pass)."""
    from colorednoise import powerlaw_psd_gaussian  # deferred: train's extra, needed only for this noise

    return powerlaw_psd_gaussian(1, length, fmin=20 / SAMPLE_RATE, random_state=rng)


def brown_noise(length: int, rng: np.random.Generator) -> np.ndarray:
    """(length,) brown (1/f^2) noise, flat below 20 Hz: rumble, traffic, wind."""
    from colorednoise import powerlaw_psd_gaussian  # deferred: train's extra, needed only for this noise

    return powerlaw_psd_gaussian(2, length, fmin=20 / SAMPLE_RATE, random_state=rng)


def mains_hum(length: int, rng: np.random.Generator) -> np.ndarray:
    """(length,) mains hum of a ground loop or a cheap power supply: 50 or 60 Hz
    (drawn) with its first eight harmonics at 1/k of the fundamental's
    amplitude, each at a random phase."""
    mains = rng.choice([50.0, 60.0])
    t = np.arange(length) / SAMPLE_RATE
    return sum(np.sin(2 * np.pi * k * mains * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 9))


def prepare_babble_talkers(clips: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Babble material from decoded speech clips ((N_i,) float32 at 16 kHz):
    each trimmed of its silences and scaled to unit RMS, so that every voice
    in the babble is equally loud and always talking."""
    talkers = [trim_silence(c)[0] for c in clips]
    return [(t / np.sqrt(np.mean(np.square(t, dtype=np.float64)) + 1e-12)).astype(np.float32) for t in talkers if len(t)]


def babble_noise(length: int, rng: np.random.Generator, talkers: Sequence[np.ndarray]) -> np.ndarray:
    """(length,) babble: BABBLE_TALKERS voices at once, each a run of randomly
    chosen `talkers` clips (see prepare_babble_talkers) heard from a random
    point, so that the voices do not start and stop together."""
    babble = np.zeros(length)
    for _ in range(BABBLE_TALKERS):
        voice, voice_length = [], 0
        while voice_length < 2 * length:  # long enough to start anywhere in its first half
            voice.append(talkers[int(rng.integers(len(talkers)))])
            voice_length += len(voice[-1])
        start = int(rng.integers(0, voice_length - length + 1))
        babble += np.concatenate(voice)[start : start + length]
    return babble


def background_noise(audio: np.ndarray, rng: np.random.Generator, noise: Callable, snr_db: float) -> np.ndarray:
    """The clip with `noise(length, rng)` mixed in at `snr_db` (mix_at_snr)."""
    return mix_at_snr(audio, noise(len(audio), rng), snr_db)


# --- the suite ------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    name: str  # the benchmark's key for it, e.g. "babble_10dB"
    simulates: str  # one line, for the JSON and the table
    apply: Callable[[np.ndarray, np.random.Generator], np.ndarray]  # (N,) float32 16 kHz -> the same
    uses_babble: bool = False  # its output depends on the babble material


def benchmark_channels(babble_talkers: Sequence[np.ndarray] | None) -> dict[str, Channel]:
    """The benchmark's channels in table order, name -> Channel. `babble_talkers`:
    prepare_babble_talkers() of the nEMO test speakers' clips; None leaves the
    babble channels out."""
    suite = [
        Channel("browser_opus", f"browser recording: 48 kHz, Opus {OPUS_KBITS} kbit/s in WebM", browser_recording),
        Channel("telephone_g711", "telephone: 300-3400 Hz, 8 kHz, G.711 mu-law", telephone),
        Channel("mobile_gsm", "mobile phone: 300-3400 Hz, 8 kHz, GSM 06.10 full rate", mobile_phone),
        Channel("laptop_mic", f"laptop microphone response, pink room noise at {LAPTOP_NOISE_SNR_DB:g} dB SNR", laptop_microphone),
    ]
    for name, room in BENCHMARK_ROOMS.items():
        size = " x ".join(f"{s:g}" for s in room.size)
        suite.append(Channel(name, f"room {size} m, RT60 {room.rt60:g} s (Sabine), talker {room.distance:g} m away",
                             partial(reverberant_room, room=room)))
    kinds = [("pink", "pink noise", pink_noise), ("brown", "brown noise", brown_noise), ("hum", "mains hum 50/60 Hz", mains_hum)]
    if babble_talkers is not None:
        kinds.insert(0, ("babble", f"babble of {BABBLE_TALKERS} voices (nEMO test speakers)", partial(babble_noise, talkers=babble_talkers)))
    for kind, what, noise in kinds:
        for snr in SNRS_DB:
            suite.append(Channel(f"{kind}_{snr:g}dB", f"{what} at {snr:g} dB SNR", partial(background_noise, noise=noise, snr_db=snr),
                                 uses_babble=kind == "babble"))
    suite += [
        Channel("quiet", f"quiet recording: peak {QUIET_PEAK_DBFS:g} dBFS, 16-bit", quiet_recording),
        Channel("clipping", f"clipping: peak driven {CLIPPING_OVERDRIVE_DB:g} dB over full scale", clipping),
    ]
    return {c.name: c for c in suite}

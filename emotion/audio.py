"""The one audio front end: every path into the model goes through here.

The app, the training data pipeline, the CLI and the tests all call these pure
functions, so training and serving see exactly the same signal.

    load_audio(file)            -> mono float32 numpy at SAMPLE_RATE, in [-1, 1]
    to_mono_float32(x, sr)      -> the same, for an array already in memory
    trim_silence(audio)         -> (trimmed, (start, end)) sample span kept
    dereverberate(audio)        -> late reverberation removed (WPE), for checkpoints that ask
    pad_or_trim(audio, length)  -> exactly `length` samples (numpy or torch)
    change_speed(audio, speed)  -> played `speed` times faster (numpy or torch)

Decoding uses soundfile (libsndfile: WAV, FLAC, OGG/Vorbis/Opus, MP3) and falls
back to the ffmpeg program, when it is installed, for everything else a
browser or phone produces (WebM, M4A/AAC, ...); ffmpeg only decodes, at the
file's own rate. Resampling, for every format, is soxr's high-quality
resampler (librosa's default), never done by hand. Not
torchaudio's: its kernel is (new, old) rates after dividing by their gcd, so
an odd rate such as 44101 Hz would make a 16000 x 44101 kernel (2.8 GB) --
a file header could exhaust the server's memory. soxr streams any ratio.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
from typing import BinaryIO, Union

import numpy as np
import soundfile as sf
import soxr
import torch

SAMPLE_RATE = 16000  # Hz; the rate M5 is trained and served at
TRIM_TOP_DB = 30.0  # dB below the peak that librosa.effects.trim treats as silence
TRIM_FRAME_LENGTH = 512  # samples (32 ms at 16 kHz) per energy frame when trimming
TRIM_HOP_LENGTH = 128  # samples (8 ms at 16 kHz) between energy frames

AudioSource = Union[str, os.PathLike, bytes, BinaryIO]
# What a person reads when a file is not audio we can decode is emotion.i18n's
# "unreadable"; the decoder's own words (with server paths in them) go to the log.

logger = logging.getLogger(__name__)


class AudioError(ValueError):
    """The one exception the front end raises: the input cannot be used as audio.

    The message is written for the person who supplied the file. Errors a
    visitor can meet carry the `key` of their message in emotion.i18n and the
    `params` that fill it, so the app can word them in the visitor's language.
    """

    def __init__(self, message: str, key: str | None = None, **params):
        super().__init__(message)
        self.key, self.params = key, params

    @classmethod
    def keyed(cls, key: str, **params) -> "AudioError":
        """The error for emotion.i18n's message `key`, its text in English."""
        from .i18n import message

        return cls(message(key, **params), key, **params)


def _describe(source: AudioSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return f"'{os.path.basename(os.fspath(source))}'"
    return "the audio data"


def _decode_with_ffmpeg(source: AudioSource, max_seconds: float | None) -> tuple[np.ndarray, int]:
    """Decode anything ffmpeg understands to (samples (N, 1) float32, rate as recorded).

    ffmpeg only decodes and downmixes: the audio comes back at its own rate as
    a WAV stream, so resampling is soxr's, in to_mono_float32, as for every
    other file. Its stderr names server paths and internals, so it goes to the
    log, never into the message a person reads.
    """
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "0"]
    data = None
    if isinstance(source, (str, os.PathLike)):
        cmd += ["-i", os.fspath(source)]
    else:
        data = source if isinstance(source, bytes) else source.read()
        cmd += ["-i", "pipe:0"]
    if max_seconds is not None:
        cmd += ["-t", str(max_seconds)]
    cmd += ["-vn", "-ac", "1", "-c:a", "pcm_f32le", "-f", "wav", "pipe:1"]
    proc = subprocess.run(cmd, input=data, capture_output=True)
    log = proc.stderr.decode(errors="replace").strip()
    if proc.returncode == 0:
        try:  # libsndfile copes with the unknown length of a piped WAV
            with sf.SoundFile(io.BytesIO(proc.stdout)) as f:
                return f.read(dtype="float32", always_2d=True), f.samplerate
        except (sf.LibsndfileError, RuntimeError) as e:
            log = f"{log}\n{e}"
    logger.info("ffmpeg could not decode %s (exit %d): %s", _describe(source), proc.returncode, log)
    if "does not contain any stream" in log or "matches no streams" in log:
        raise AudioError.keyed("no_sound_track", name=_describe(source))
    raise AudioError.keyed("unreadable", name=_describe(source))


def _read_soundfile(source: AudioSource, max_seconds: float | None) -> tuple[np.ndarray, int]:
    """Read with libsndfile, returning (samples (N, channels) float32, rate)."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    with sf.SoundFile(source) as f:
        frames = f.frames
        if max_seconds is not None:
            frames = min(frames, int(max_seconds * f.samplerate))
        # float32 scales every integer depth (8/16/24/32-bit) to [-1, 1).
        return f.read(frames, dtype="float32", always_2d=True), f.samplerate


def load_audio(
    source: AudioSource, sr: int = SAMPLE_RATE, max_seconds: float | None = None
) -> np.ndarray:
    """Load an audio file as mono float32 at `sr` Hz.

    source: a path, the file's bytes, or a binary file object. Any rate, any
        number of channels, integer or float samples.
    max_seconds: read at most this many seconds from the start, so that memory
        stays bounded for very long files.

    Returns a 1-D float32 array (N,) at `sr`, values in [-1, 1].
    Raises AudioError, with the reason in plain words, if it cannot be decoded.
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise AudioError(f"File not found: {_describe(source)}.")
        if os.path.isdir(path):
            raise AudioError(f"{_describe(source)} is a folder, not an audio file.")
        if os.path.getsize(path) == 0:
            raise AudioError.keyed("empty_file", name=_describe(source))
    elif isinstance(source, bytes) and len(source) == 0:
        raise AudioError("The audio data is empty (0 bytes).")
    elif not isinstance(source, bytes) and not hasattr(source, "read"):
        # An int would be taken by libsndfile as an open file descriptor.
        raise AudioError(f"Expected a file path, bytes or a file object, got {type(source).__name__}.")

    start = source.tell() if hasattr(source, "tell") and hasattr(source, "seek") else None
    try:
        samples, file_sr = _read_soundfile(source, max_seconds)
    except (sf.LibsndfileError, RuntimeError, TypeError) as sf_error:
        logger.info("libsndfile could not decode %s: %s", _describe(source), sf_error)
        if shutil.which("ffmpeg") is None:
            raise AudioError.keyed("no_ffmpeg", name=_describe(source)) from None
        if start is not None:
            source.seek(start)
        samples, file_sr = _decode_with_ffmpeg(source, max_seconds)
    if samples.shape[0] == 0:
        raise AudioError.keyed("no_samples", name=_describe(source))
    return to_mono_float32(samples, file_sr, sr)


def to_mono_float32(samples: np.ndarray, sr: int, target_sr: int = SAMPLE_RATE) -> np.ndarray:
    """Convert an in-memory signal to the model's format.

    samples: (N,) or (N, channels) -- the layout soundfile and Gradio use;
        a (channels, N) array must be transposed first --
        integer PCM (scaled by its type's full range) or float.
    sr: its sample rate in Hz.

    Returns (M,) float32 at `target_sr`, values in [-1, 1]. Channels are
    averaged; NaN and infinite samples become 0; a float signal that exceeds
    full scale is scaled down to peak 1 rather than clipped, which would add
    distortion the model never heard.
    """
    samples = np.asarray(samples)
    if samples.ndim not in (1, 2) or samples.size == 0:
        raise AudioError(f"Expected a non-empty 1-D or 2-D signal, got shape {samples.shape}.")
    if not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise AudioError(f"Invalid sample rate: {sr!r}.")
    if np.issubdtype(samples.dtype, np.integer):
        info = np.iinfo(samples.dtype)
        # Unsigned PCM (8-bit WAV) is centred on the middle of its range.
        mid = (int(info.max) + int(info.min) + 1) / 2
        samples = (samples.astype(np.float64) - mid) / (info.max - mid + 1)
    elif not np.issubdtype(samples.dtype, np.floating):
        raise AudioError(f"Unsupported sample type {samples.dtype}.")
    samples = samples.astype(np.float32, copy=False)
    n = samples.shape[0]
    if samples.ndim == 2:
        samples = samples.mean(axis=1)  # (N, channels) -> (N,)
    samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.abs(samples).max())
    if peak > 1.0:
        samples = samples / peak
    if sr != target_sr:
        samples = soxr.resample(samples, int(sr), target_sr, quality="HQ")
        np.clip(samples, -1.0, 1.0, out=samples)  # band-limiting can overshoot full scale
        if samples.size == 0:
            raise AudioError(f"The audio is too short: {1000 * n / sr:.2g} ms is less than one sample at {target_sr} Hz.")
    return np.ascontiguousarray(samples, dtype=np.float32)


def trim_silence(
    audio: np.ndarray,
    top_db: float = TRIM_TOP_DB,
    frame_length: int = TRIM_FRAME_LENGTH,
    hop_length: int = TRIM_HOP_LENGTH,
) -> tuple[np.ndarray, tuple[int, int]]:
    """Cut leading and trailing silence with librosa.effects.trim.

    audio: (N,) float32. Frames quieter than `top_db` below the loudest frame
    count as silence.

    Returns (trimmed audio, (start, end)): the kept samples audio[start:end],
    so callers can show what was removed. An all-silent signal comes back
    unchanged, with the span (0, N).
    """
    import librosa  # imported here: loading librosa costs ~1 s and only trimming needs it

    if audio.size == 0 or not np.any(audio):
        return audio, (0, int(audio.size))
    trimmed, (start, end) = librosa.effects.trim(
        audio, top_db=top_db, frame_length=frame_length, hop_length=hop_length
    )
    return trimmed, (int(start), int(end))


# Dereverberation (opt-in, per checkpoint): nara_wpe's weighted prediction error
# (Nakatani et al. 2010; Drude et al. 2018) at the settings of its 16 kHz example.
WPE_STFT_SIZE = 512  # samples (32 ms at 16 kHz)
WPE_STFT_SHIFT = 128  # samples (8 ms)
WPE_TAPS = 10  # frames of the late-reverberation predictor (80 ms)
WPE_DELAY = 3  # frames kept as direct sound and early reflections (24 ms)
WPE_ITERATIONS = 3


def dereverberate(audio: np.ndarray, taps: int = WPE_TAPS, delay: int = WPE_DELAY,
                  iterations: int = WPE_ITERATIONS) -> np.ndarray:
    """Remove late reverberation from a mono 16 kHz clip with WPE (nara_wpe).

    A room's tail makes calm speech sound aroused to a model trained mostly on
    studio speech (experiments/README.md, "V10"); WPE predicts the tail from
    the past frames of each frequency and subtracts it, leaving the direct
    sound. It is linear and leaves a dry recording nearly as it was. About
    60 ms of CPU for a 3.5 s clip. Returns float32 of the input's length.
    """
    from nara_wpe.utils import istft, stft  # imported here: only checkpoints that ask for it need it
    from nara_wpe.wpe import wpe

    n = int(audio.size)
    if n < WPE_STFT_SIZE or not np.any(audio):
        return audio
    spec = stft(audio.astype(np.float64)[None], size=WPE_STFT_SIZE, shift=WPE_STFT_SHIFT).transpose(2, 0, 1)
    dry = wpe(spec, taps=taps, delay=delay, iterations=iterations, statistics_mode="full").transpose(1, 2, 0)
    out = istft(dry, size=WPE_STFT_SIZE, shift=WPE_STFT_SHIFT)[0]
    return np.ascontiguousarray(pad_or_trim(out, n), dtype=np.float32)


# The front ends a checkpoint's `preprocessing["dereverb"]` may name: the one table that
# serving (emotion.inference) and training's flag check (train.config) both read.
DEREVERBERATION = {"wpe": dereverberate}


def pad_or_trim(array, length: int, axis: int = -1):
    """Zero-pad or cut `array` (numpy or torch) to exactly `length` along `axis`."""
    if torch.is_tensor(array):
        if array.shape[axis] > length:
            array = array.index_select(axis, torch.arange(length, device=array.device))
        if array.shape[axis] < length:
            pad = [(0, 0)] * array.ndim
            pad[axis] = (0, length - array.shape[axis])
            array = torch.nn.functional.pad(array, [p for sizes in pad[::-1] for p in sizes])
        return array
    if array.shape[axis] > length:
        array = array.take(indices=range(length), axis=axis)
    if array.shape[axis] < length:
        pad = [(0, 0)] * array.ndim
        pad[axis] = (0, length - array.shape[axis])
        array = np.pad(array, pad)
    return array


def change_speed(audio, speed: float, sr: int = SAMPLE_RATE):
    """Play `audio` `speed` times faster, tempo and pitch together (a tape run
    fast), as Kaldi's speed perturbation does: resample from round(sr * speed)
    Hz to `sr` Hz. (..., N) numpy or torch in, (..., about N / speed) of the
    same kind out; speed 1 returns the input itself.

    Training's speed perturbation and test-time speed averaging both call this,
    so the model is served exactly the voices it was trained on. torchaudio's
    resampler is used, not soxr: speeds come from a config (0.9, 0.95, ...),
    never from a file header, so its kernel of (new, old) rates over their gcd
    stays small (20 x 19 phases for 0.95 at 16 kHz), and it takes the batched
    torch tensors that training has in hand.
    """
    if speed == 1.0:
        return audio
    import torchaudio.functional as AF  # imported here: only speed changes need torchaudio

    x = torch.from_numpy(np.ascontiguousarray(audio)) if isinstance(audio, np.ndarray) else audio
    y = AF.resample(x, int(round(sr * speed)), sr)
    return y.numpy() if isinstance(audio, np.ndarray) else y


def window_starts(n: int, window: int, hop: int) -> list[int]:
    """Where the windows covering n samples start: `hop` apart, the last one aligned to the end."""
    if n <= window:
        return [0]
    starts = list(range(0, n - window + 1, hop))
    if starts[-1] + window < n:
        starts.append(n - window)
    return starts


def duration(audio: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """Length of `audio` in seconds."""
    return audio.shape[-1] / sr

"""Is anyone speaking? Silero VAD's answer, for refusing clips with no speech in them,
and a check that what silero barely hears is not music or a tone.

    listen(audio, sr)               -> Hearing: spans, .voice, .music (what emotion.policy asks)
    speech_probabilities(audio, sr) -> (n_frames,) float32, one per 32 ms frame
    speech_spans(audio, sr)         -> [(start, end), ...] seconds of speech
    spans_seconds(spans)            -> how many seconds those spans cover
    speech_seconds(audio, sr)       -> the same, straight from the audio
    speech_fractions(spans, windows)-> share of each (start, end) window that is speech

The detector is silero-vad's own model (the TorchScript file inside the
`silero-vad` package: nothing is downloaded), and its own rules for turning
frame probabilities into spans (`get_speech_timestamps_from_probs`: spans of
at least 250 ms, gaps under 100 ms bridged, 30 ms padding), with one setting
changed from its defaults: THRESHOLD, because emotional speech is often shouted.
Only the way the network is run differs from `get_speech_timestamps`: that calls the model once per 32 ms frame, carrying the LSTM state inside the
model object (about 8 ms per second of audio here, and unsafe from two threads
at once); here the convolutional front end runs on all frames in one batch and
the LSTM over the whole sequence in one call, with the state local to the call.
The probabilities are the same to float precision (tests/test_speech.py checks
against `get_speech_timestamps`). The same batching is what silero's own
"sequence" ONNX path does (silero-vad PR 784).

MIN_SPEECH_SECONDS and the figures behind it: docs/reliability.md, section
"No speech heard: the voice-activity detector" (scripts/measure_vad.py); the
music check (listen, Hearing): section "Music and tones" (scripts/measure_music.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Sequence

import librosa
import numpy as np
import torch

from .audio import SAMPLE_RATE, to_mono_float32

VAD_RATE = 16000  # Hz; silero's 16 kHz model (it has an 8 kHz one too, unused here)
FRAME = 512  # samples (32 ms at 16 kHz) per speech probability: silero's fixed window
CONTEXT = 64  # samples of the previous frame silero prepends to each frame
# A frame at or above this probability starts speech. Silero's default, 0.5, hears no
# speech at all in 14 of RAVDESS's 1440 clips (shouted fear and anger, actors 6, 14, 18,
# 20: its lowest clip peaks at 0.22); at 0.15 every clip has a span, and of the generated
# non-speech only a loud mains hum's first 0.2 s reaches it (docs/reliability.md).
THRESHOLD = 0.15
# The least speech for a clip to be answered. Silero keeps no span under 250 ms (+30 ms
# padding each side), so in effect: at least one span. RAVDESS's least is 0.32 s.
MIN_SPEECH_SECONDS = 0.25

# The refusal a person reads is emotion.i18n's "no_speech", or "music_no_speech" for music and tones
# (English and Spanish), raised by emotion.policy.

_lock = threading.Lock()
_model = None  # (front end, LSTM, head), loaded once by _vad()


def _import_silero():
    """silero_vad's model module calls torch.set_num_threads(1) when imported; a library
    must not change the process's torch settings, so the count is put back."""
    threads = torch.get_num_threads()
    try:
        import silero_vad
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    return silero_vad


# Imported here, at import time (normally while the app starts, one thread), rather than
# on the first request, where putting the thread count back could race a running model.
_silero = _import_silero()


def _vad():
    """The silero model's parts, loaded once (about 50 ms) and shared: nothing in them is
    changed by a call, so two requests may run them at the same time."""
    global _model
    with _lock:
        if _model is None:
            jit = _silero.load_silero_vad(onnx=False)._model  # the 16 kHz network, stateless
            rnn = jit.decoder.rnn  # an LSTMCell; the same weights as a one-layer LSTM run it in one call
            lstm = torch.nn.LSTM(rnn.weight_ih.shape[1], rnn.weight_hh.shape[1])
            with torch.no_grad():
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(lstm, name + "_l0").copy_(getattr(rnn, name))
            lstm.eval()
            _model = (jit.stft, jit.encoder, lstm, jit.decoder.decoder)
    return _model


def _at_vad_rate(audio: np.ndarray, sr: int) -> np.ndarray:
    audio = np.asarray(audio)
    if sr == VAD_RATE and audio.dtype == np.float32 and audio.ndim == 1:
        return audio
    return to_mono_float32(audio, sr, target_sr=VAD_RATE)


@torch.inference_mode()
def speech_probabilities(audio: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Silero's speech probability for each 32 ms frame: (ceil(N / 512),) float32 in [0, 1].

    `audio`: mono float32 samples at `sr` (other rates are resampled to 16 kHz first).
    The last frame is zero-padded, as silero does.
    """
    x = torch.from_numpy(np.ascontiguousarray(_at_vad_rate(audio, sr), dtype=np.float32))
    n = -(-len(x) // FRAME)
    if n == 0:
        return np.zeros(0, np.float32)
    stft, encoder, lstm, head = _vad()
    frames = torch.nn.functional.pad(x, (0, n * FRAME - len(x))).view(n, FRAME)  # (T, 512)
    context = torch.zeros(n, CONTEXT)
    context[1:] = frames[:-1, -CONTEXT:]
    features = encoder(stft(torch.cat([context, frames], 1)))  # (T, 128, 1)
    hidden, _ = lstm(features.squeeze(-1).unsqueeze(1))  # (T, 1, 128), zero initial state
    probs = head(hidden.transpose(0, 1).transpose(1, 2))  # (1, 1, T)
    return probs.reshape(n).numpy().astype(np.float32, copy=False)


def spans_from_probabilities(probs: np.ndarray, n_samples: int) -> list[tuple[float, float]]:
    """Silero's own rules (min 250 ms of speech, 100 ms gaps bridged, 30 ms padding) on
    frame probabilities: [(start, end), ...] in seconds, sorted, not overlapping."""
    spans = _silero.get_speech_timestamps_from_probs(
        [float(p) for p in probs], sampling_rate=VAD_RATE, threshold=THRESHOLD, audio_length_samples=n_samples
    )
    return [(s["start"] / VAD_RATE, s["end"] / VAD_RATE) for s in spans]


def speech_spans(audio: np.ndarray, sr: int = SAMPLE_RATE) -> list[tuple[float, float]]:
    """Where someone speaks in `audio` (mono float32 at `sr`): [(start, end), ...] seconds."""
    x = _at_vad_rate(audio, sr)
    return spans_from_probabilities(speech_probabilities(x, VAD_RATE), len(x))


def spans_seconds(spans: Sequence[tuple[float, float]]) -> float:
    """Seconds of speech in non-overlapping spans (as speech_spans returns them)."""
    return float(sum(end - start for start, end in spans))


def speech_seconds(audio: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """Seconds of speech silero hears in `audio`; below MIN_SPEECH_SECONDS, refuse the clip."""
    return spans_seconds(speech_spans(audio, sr))


def speech_fractions(spans: Sequence[tuple[float, float]], windows: Sequence[tuple[float, float]]) -> np.ndarray:
    """For each (start, end) window in seconds, the share of it covered by speech spans:
    (len(windows),) float in [0, 1] (0 for an empty window). For greying out the timeline."""
    out = np.zeros(len(windows))
    for i, (w0, w1) in enumerate(windows):
        if w1 <= w0:
            continue
        covered = sum(max(0.0, min(w1, s1) - max(w0, s0)) for s0, s1 in spans)
        out[i] = min(1.0, covered / (w1 - w0))
    return out


# --- Music and tones: silero's lowered threshold lets some through -------------------
#
# THRESHOLD is low (0.15) so that shouted speech is heard; held chords, pads and sung
# vowels sometimes reach it too, for 0.3-1.9 s (scripts/measure_music.py). What tells
# them from a voice is how speech is made: the mouth moves every few tens of ms, so the
# spectral envelope (formants, consonants) keeps changing, while a held note, a chord or
# a tone keeps its envelope still for hundreds of ms whatever its pitch or vibrato does.
# That is the "spectral flux" of the classic speech/music discriminators (Scheirer and
# Slaney, ICASSP 1997), measured here on the smoothed envelope (12 cepstral coefficients
# of a 40-band mel spectrum) so that vibrato and pitch do not count as change. A hall's
# reverberation holds speech's envelope stiller too, so music must also be tonal: nearly all
# its energy in sharp spectral peaks (its partials), where speech's moving pitch and its
# consonants spread energy between them. A clip is only examined when silero is unsure:
# one that silero hears at its own threshold (0.5) for SURE_SECONDS is a voice, even over music.
SURE = 0.5  # silero's own default threshold: at or above it, silero is sure of a voice
SURE_SECONDS = 0.5  # this much sure speech is a voice, whatever plays under it (music reaches 0.2 s)
STEADY_DB = 3.0  # the envelope's 50 ms change (dB RMS over the bands) at or below which a frame holds still
# Music needs both: held still in STEADY_SHARE of the heard frames and TONAL_SHARE of the energy
# in spectral peaks. Speech silero is unsure of: steady at most 0.12 (RAVDESS), 0.32 through the
# benchmark's hall, and tonal at most 0.63; music silero hears: steady 0.39+, tonal 0.91+.
STEADY_SHARE = 0.3
TONAL_SHARE = 0.8

_N_FFT, _HOP = 512, 160  # 32 ms frames every 10 ms for the envelope
_LAG = 5  # frames: the envelope's change over 50 ms, about a phoneme
_ACTIVE_DB = 30.0  # frames this far below the loudest are pauses, not sound


# Slaney's mel scale (librosa's default) up to 8 kHz, unnormalised: a band's constant gain
# cancels in a change of the spectrum.
_MEL = librosa.filters.mel(sr=VAD_RATE, n_fft=_N_FFT, n_mels=40, fmin=50.0, fmax=VAD_RATE / 2, norm=None, dtype=np.float64)


def _power_frames(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """(T, n_fft // 2 + 1) power spectra of (symmetric) Hann-windowed frames centred every `hop` samples."""
    spectrum = librosa.stft(x.astype(np.float64), n_fft=n_fft, hop_length=hop, window=np.hanning(n_fft), center=True,
                            pad_mode="constant")
    return np.abs(spectrum.T) ** 2


def _heard_frames(spans: Sequence[tuple[float, float]], active: np.ndarray) -> np.ndarray:
    """The sounding 10 ms frames inside silero's spans; all sounding frames if the spans hold
    fewer than ten (no spans at all, or spans over the quiet part of a shouted clip)."""
    heard = np.zeros_like(active)
    for start, end in spans:
        heard[int(start * VAD_RATE / _HOP) : int(end * VAD_RATE / _HOP) + 1] = True
    heard &= active
    return heard if heard.sum() >= 10 else active


def envelope_change(audio: np.ndarray, sr: int = SAMPLE_RATE, spans: Sequence[tuple[float, float]] | None = None) -> np.ndarray:
    """How much the spectral envelope changes over 50 ms, in dB RMS across 40 mel bands, at
    each sounding 10 ms frame heard as speech (inside `spans`; every sounding frame without
    them): (n,) float. Level, pitch and vibrato do not count: a held chord changes by about
    1 dB, speech mostly by 4-10 dB."""
    x = _at_vad_rate(audio, sr)
    if len(x) < _N_FFT:
        return np.zeros(0)
    power = _power_frames(x, _N_FFT, _HOP) @ _MEL.T  # (T, 40)
    loudness = 10 * np.log10(np.maximum(power.sum(1), 1e-10))
    active = loudness > loudness.max() - _ACTIVE_DB
    db = 10 * np.log10(np.maximum(power, 1e-10))
    db = np.maximum(db, db.max() - 80)  # further down is rounding noise, not sound
    # Cepstral coefficients 1-12 (orthonormal DCT-II of the log-mel spectrum): its smooth shape,
    # the formants, without its level (coefficient 0) or the harmonics' fine structure. Orthonormal:
    # the distance between two envelopes is the RMS change across the 40 bands, times sqrt(40).
    envelope = librosa.feature.mfcc(S=db.T, n_mfcc=13)[1:].T  # (T, 12)
    change = np.linalg.norm(envelope[_LAG:] - envelope[:-_LAG], axis=1) / np.sqrt(_MEL.shape[0])  # (T - LAG,)
    heard = _heard_frames(spans or [], active)
    return change[heard[_LAG:] & heard[:-_LAG]]


def _local_mean(x: np.ndarray, width: int) -> np.ndarray:
    """The mean of the `width` (odd) values around each value along axis 1, edges repeated."""
    half = width // 2
    padded = np.pad(x, ((0, 0), (half + 1, half)), mode="edge")
    sums = np.cumsum(padded, axis=1)
    return (sums[:, width:] - sums[:, :-width]) / width


def tonal_share(audio: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """The share of the sounding frames' energy in spectral peaks (local maxima 10 dB over
    the mean dB of the 133 Hz around them, at 8 Hz resolution) and their main lobes: about
    0.9-1 for tones, chords, hum and melodies, 0.2 at most for noise, breath and clicks (a
    bin of noise stands 10 dB over its neighbours' mean fewer than once in 250)."""
    x = _at_vad_rate(audio, sr)
    n_fft = 2048  # 128 ms: resolves 50 Hz mains harmonics and the notes of a low chord
    if len(x) < n_fft:
        return 0.0
    power = _power_frames(x, n_fft, n_fft // 4)  # (T, 1025)
    loudness = power.sum(1)
    power = power[loudness > loudness.max() * 10 ** (-_ACTIVE_DB / 10)]
    db = 10 * np.log10(np.maximum(power, 1e-20))
    inner = db[:, 1:-1]
    peaks = np.zeros(db.shape, bool)
    peaks[:, 1:-1] = (inner >= db[:, :-2]) & (inner >= db[:, 2:]) & (inner >= _local_mean(db, 17)[:, 1:-1] + 10)
    lobes = peaks.copy()  # a peak's bin and the two beside it: the Hann window's main lobe
    lobes[:, 1:] |= peaks[:, :-1]
    lobes[:, :-1] |= peaks[:, 1:]
    return float(power[lobes].sum() / max(power.sum(), 1e-30))


@dataclass(frozen=True)
class Hearing:
    """What the detectors make of a clip: where silero hears speech, how much of it silero
    is sure of, and whether the sound is music or a tone (steady and tonal) rather than a voice."""

    spans: list[tuple[float, float]] = field(default_factory=list)  # (start, end) s at THRESHOLD
    sure_seconds: float = 0.0  # seconds of frames at silero's own threshold (SURE)
    steady_share: float | None = None  # share of the heard frames whose envelope holds still; None: not measured (sure speech)
    tonal: float | None = None  # tonal_share of the clip; None: not measured (sure speech, or not steady)

    @property
    def speech_seconds(self) -> float:
        return spans_seconds(self.spans)

    @property
    def music(self) -> bool:
        """Steady and tonal: a held note, a chord, a melody, a tone, a hum."""
        return (self.steady_share or 0.0) >= STEADY_SHARE and (self.tonal or 0.0) >= TONAL_SHARE

    @property
    def voice(self) -> bool:
        """Someone speaks: enough speech heard, and either silero is sure of it or it is not music."""
        if self.speech_seconds < MIN_SPEECH_SECONDS:
            return False
        return self.sure_seconds >= SURE_SECONDS or not self.music


def listen(audio: np.ndarray, sr: int = SAMPLE_RATE) -> Hearing:
    """Silero's spans for `audio` (mono float32 at `sr`), and, where it is not sure of a voice,
    whether the sound is music or a tone. Speech silero is sure of costs nothing more."""
    x = _at_vad_rate(audio, sr)
    probs = speech_probabilities(x, VAD_RATE)
    spans = spans_from_probabilities(probs, len(x))
    sure = float((probs >= SURE).sum()) * FRAME / VAD_RATE
    if sure >= SURE_SECONDS and spans_seconds(spans) >= MIN_SPEECH_SECONDS:
        return Hearing(spans, sure)
    change = envelope_change(x, VAD_RATE, spans)
    steady = float((change <= STEADY_DB).mean()) if len(change) else 0.0
    # Tonality only matters for a steady sound (Hearing.music): skip its cost otherwise.
    return Hearing(spans, sure, steady, tonal_share(x, VAD_RATE) if steady >= STEADY_SHARE else None)

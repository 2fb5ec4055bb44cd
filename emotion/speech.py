"""Is anyone speaking? Silero VAD's answer, for refusing clips with no speech in them.

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
"No speech heard: the voice-activity detector" (scripts/measure_vad.py).
"""

from __future__ import annotations

import threading
from typing import Sequence

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

# The refusal a person reads is emotion.i18n's "no_speech" (English and Spanish), raised by emotion.policy.

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

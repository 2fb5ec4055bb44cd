"""Listening live: a stream of microphone chunks in, the emotion of the last few seconds out.

    listener = LiveListener(recognizer, seconds=3.0)
    for sr, chunk in microphone:                   # any rate, int16 or float, mono or (N, channels)
        update = listener.feed(chunk, sr)           # None until enough new audio arrived
        if update and update.probabilities:
            print(max(update.probabilities, key=update.probabilities.get))

One listener per visitor. Its memory is bounded whatever the stream's
length: the last `seconds` of audio at the model's rate (192 kB for 3 s),
the resampler's few samples of state, and the last `history` answers.
Chunks are resampled with one soxr stream, so chunk edges leave no clicks.
An update asks the voice-activity detector first and the model only when
someone spoke (emotion.speech.MIN_SPEECH_SECONDS within the window), so a
quiet room gets "no speech heard", not an emotion. The detector hears one
second more than the window: started cold on the window's first frames it
sometimes takes a cut through steady noise for the onset of a voice
(tests/test_live.py), and with the second before it, it does not.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Callable

import numpy as np
import soxr

from .policy import MIN_SECONDS

VAD_CONTEXT_SECONDS = 1.0  # heard by the detector before the window, so the window's edge is not an onset

# (recognizer, clips) -> ([(probabilities, timeline)], seconds): the app passes its GPU-decorated one.
ModelCall = Callable[..., tuple[list, float]]


@dataclass
class LiveUpdate:
    probabilities: dict[str, float] | None  # None: too little audio or speech in the window yet
    heard_seconds: float  # audio received since the listener started
    speech_seconds: float  # speech the detector heard in the window
    interval: float  # seconds since the previous update (wall clock)
    model_seconds: float  # the model's share of this update


def _plain_model(recognizer, clips):
    start = time.perf_counter()
    return recognizer.analyse_batch(clips), time.perf_counter() - start


class LiveListener:
    def __init__(self, recognizer, seconds: float = 3.0, min_new_seconds: float = 0.25, history: int = 12,
                 model: ModelCall | None = None):
        self.recognizer = recognizer
        self.sr = recognizer.sample_rate
        self.seconds = seconds
        self.size = int(round(seconds * self.sr))  # samples the model hears
        # The last `seconds` plus the detector's context, newest at the end.
        self.window = np.zeros(self.size + int(VAD_CONTEXT_SECONDS * self.sr), np.float32)
        self.filled = 0  # samples of `window` that hold audio
        self.min_new = int(min_new_seconds * self.sr)  # fewer new samples than this: no update yet
        self.new = 0
        self.heard_seconds = 0.0
        self.history: deque[str | None] = deque(maxlen=history)  # leading emotion per update (None: no speech)
        self.counts: Counter[str] = Counter()  # over the whole session: a few integers
        self.model = model or _plain_model
        self._resampler: soxr.ResampleStream | None = None
        self._rate: int | None = None
        self._last_update: float | None = None

    def _resample(self, samples: np.ndarray, sr: int) -> np.ndarray:
        x = np.asarray(samples)
        if x.dtype.kind in "iu":  # browsers send 16-bit PCM
            x = x.astype(np.float32) / float(np.iinfo(x.dtype).max + 1)
        x = x.astype(np.float32, copy=False)
        if x.ndim == 2:
            x = x.mean(axis=1)
        if sr == self.sr:
            return x
        if self._resampler is None or self._rate != sr:  # a new stream, or the browser changed rate
            self._resampler, self._rate = soxr.ResampleStream(sr, self.sr, 1, dtype="float32"), sr
        return self._resampler.resample_chunk(x)

    def feed(self, samples: np.ndarray, sr: int) -> LiveUpdate | None:
        """Take the next chunk; return an update when enough new audio has arrived, else None."""
        x = self._resample(samples, sr)
        self.heard_seconds += len(samples) / sr
        n = min(len(x), len(self.window))
        if n:
            self.window = np.roll(self.window, -n)
            self.window[-n:] = x[-n:]
            self.filled = min(len(self.window), self.filled + n)
            self.new += len(x)
        if self.new < self.min_new:
            return None
        self.new = 0
        return self._update()

    def _update(self) -> LiveUpdate:
        from .speech import MIN_SPEECH_SECONDS, listen, speech_fractions  # the detector loads on first use

        now = time.perf_counter()
        interval = now - self._last_update if self._last_update is not None else 0.0
        self._last_update = now
        heard = self.window[-self.filled :] if self.filled else self.window[:0]  # context + window
        audio = heard[-self.size :]
        speech = 0.0
        if len(audio) >= MIN_SECONDS * self.sr:
            window = ((len(heard) - len(audio)) / self.sr, len(heard) / self.sr)  # count only the speech inside it
            hearing = listen(heard, self.sr)  # music or a tone with no voice is no speech here either (emotion.policy)
            if not hearing.music:
                speech = float(speech_fractions(hearing.spans, [window])[0]) * len(audio) / self.sr
        if speech < min(MIN_SPEECH_SECONDS, self.seconds / 2) or float(np.abs(audio).max(initial=0)) < 1e-3:
            self.history.append(None)
            return LiveUpdate(None, self.heard_seconds, speech, interval, 0.0)
        [(probabilities, _)], model_seconds = self.model(self.recognizer, [audio])
        label = max(probabilities, key=probabilities.get)
        self.history.append(label)
        self.counts[label] += 1
        return LiveUpdate(probabilities, self.heard_seconds, speech, interval, model_seconds)

    def recent_labels(self, k: int = 8) -> list[str | None]:
        """The last k updates' leading emotions, oldest first (None where no speech was heard)."""
        return list(self.history)[-k:]

    def label_counts(self) -> dict[str, int]:
        return dict(self.counts)

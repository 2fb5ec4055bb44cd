"""Listening live: microphone chunks in, the emotion of the last seconds out, memory bounded."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from emotion.live import LiveListener
from tests.conftest import EXAMPLES

ANGRY = EXAMPLES / "03-01-05-02-01-01-21.flac"  # 48 kHz, 4.4 s; the model says angry


def browser_chunks(path, seconds: float = 0.5):
    """The clip as a browser streams it: 16-bit PCM chunks at the file's rate."""
    audio, sr = sf.read(path, dtype="int16")
    step = int(seconds * sr)
    return sr, [audio[i : i + step] for i in range(0, len(audio), step)]


def test_a_streamed_clip_gets_an_update_per_chunk_and_ends_on_its_emotion(recognizer):
    listener = LiveListener(recognizer, seconds=3.0)
    sr, chunks = browser_chunks(ANGRY)
    updates = [listener.feed(c, sr) for c in chunks]
    assert all(u is not None for u in updates)  # every 0.5 s chunk is enough for an update
    answered = [u for u in updates if u.probabilities is not None]
    assert answered and updates[0].probabilities is None  # the leading silence: nothing to answer yet
    last = answered[-1].probabilities
    assert max(last, key=last.get) == "angry"
    assert listener.heard_seconds == pytest.approx(sum(len(c) for c in chunks) / sr)
    assert listener.label_counts()["angry"] >= 1


def test_the_live_answer_is_the_models_answer_on_the_last_seconds(recognizer):
    listener = LiveListener(recognizer, seconds=3.0)
    sr, chunks = browser_chunks(ANGRY)
    for c in chunks:
        update = listener.feed(c, sr)
    from emotion import load_audio

    tail = load_audio(ANGRY)[-3 * 16000 :]
    assert len(listener.window[-listener.size :]) == len(tail)
    expected = recognizer.probabilities(tail)
    # The same 3 s, resampled in a stream rather than at once: the same answer within resampling noise.
    assert update.probabilities == pytest.approx(expected, abs=0.03)


def test_silence_and_noise_get_no_emotion(recognizer):
    listener = LiveListener(recognizer, seconds=3.0)
    rng = np.random.default_rng(0)
    for _ in range(24):  # 12 s of a quiet room's hiss
        update = listener.feed((0.002 * rng.standard_normal(8000) * 32767).astype(np.int16), 16000)
        assert update.probabilities is None
    assert listener.recent_labels() == [None] * 8 and listener.label_counts() == {}


def test_memory_stays_bounded_over_a_long_stream(recognizer):
    listener = LiveListener(recognizer, seconds=3.0, history=12)
    sr, chunks = browser_chunks(ANGRY)
    size = listener.window.nbytes
    for _ in range(6):  # ~26 s of audio
        for c in chunks:
            listener.feed(c, sr)
    assert listener.window.nbytes == size == (3 + 1) * 16000 * 4  # the window and the detector's second before it
    assert len(listener.history) == 12 and listener.heard_seconds > 25


def test_a_stereo_float_stream_at_another_rate_is_heard_too(recognizer):
    listener = LiveListener(recognizer, seconds=3.0)
    audio, sr = sf.read(ANGRY, dtype="float32")
    stereo = np.stack([audio, audio], axis=1)
    for i in range(0, len(stereo), sr // 2):
        update = listener.feed(stereo[i : i + sr // 2], sr)
    assert max(update.probabilities, key=update.probabilities.get) == "angry"


def test_the_app_streams_updates_in_the_visitors_language(handlers):
    sr, chunks = browser_chunks(ANGRY)
    state = None
    outputs = []
    for c in chunks:
        label, status, state = handlers.listen((sr, c), state)
        outputs.append((label, status))
    label, status = outputs[-1]
    assert max(label, key=label.get) == "angry \u00b7 Enojado" and "in the last 3 s" in status
    assert "Recent:" in status
    summary, state_after = handlers.stop_listening(state)
    assert state_after is None and "Most often heard: **angry \u00b7 Enojado**" in summary

    class Spanish:
        headers = {"accept-language": "es-ES,es;q=0.9"}

    label, status, _ = handlers.listen((sr, chunks[-1]), state, Spanish())
    assert "Enojado" in label and "en los últimos 3 s" in status


def test_music_streamed_to_the_live_microphone_gets_no_emotion(recognizer):
    """Held chords that silero alone hears as speech (tests/test_music.py) are no speech live
    either: the Live tab hears through the same check as a recorded clip."""
    from conftest import load_script
    from emotion import speech

    chords = load_script("measure_music").music_cases(np.random.default_rng(0), seconds=8.0)["held chords (organ)"]
    assert speech.speech_seconds(chords) >= speech.MIN_SPEECH_SECONDS  # what let it through before
    listener = LiveListener(recognizer, seconds=3.0)
    pcm = (np.clip(chords, -1, 1) * 32767).astype(np.int16)
    updates = [listener.feed(pcm[i : i + 8000], 16000) for i in range(0, len(pcm), 8000)]
    assert all(u.probabilities is None for u in updates if u is not None)
    assert listener.label_counts() == {}

"""Property-based: whatever arrays, rates and file headers come in, the front end
either returns float32 mono in [-1, 1] at the model's rate or raises AudioError."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from emotion.audio import SAMPLE_RATE, AudioError, load_audio, to_mono_float32

RATES = st.sampled_from([8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000]) | st.integers(1000, 200_000)
DTYPES = st.sampled_from([np.int8, np.uint8, np.int16, np.int32, np.float32, np.float64])


def check_model_input(audio: np.ndarray, n_in: int, sr: int) -> None:
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert np.isfinite(audio).all() and np.abs(audio).max(initial=0) <= 1.0
    assert abs(len(audio) - n_in * SAMPLE_RATE / sr) <= 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dtype=DTYPES,
    n=st.integers(1, 4000),
    channels=st.integers(1, 6),
    sr=RATES,
    data=st.data(),
)
def test_any_array_becomes_model_input(dtype, n, channels, sr, data):
    if np.issubdtype(dtype, np.floating):
        elements = st.floats(allow_nan=True, allow_infinity=True, width=32)
    else:
        info = np.iinfo(dtype)
        elements = st.integers(int(info.min), int(info.max))
    shape = (n,) if channels == 1 else (n, channels)
    x = data.draw(arrays(dtype, shape, elements=elements))
    try:
        audio = to_mono_float32(x, sr)
    except AudioError:
        return
    check_model_input(audio, n, sr)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subtype=st.sampled_from(["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT"]),
    sr=st.sampled_from([8000, 16000, 22050, 44100, 48000, 96000]),
    n=st.integers(1, 3000),
    channels=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    cut=st.none() | st.integers(0, 400),
    flips=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=6),
)
def test_any_wav_bytes_decode_or_raise_audio_error(subtype, sr, n, channels, seed, cut, flips):
    """Real WAV files, then truncated and with header bytes overwritten at random."""
    x = np.random.default_rng(seed).uniform(-1, 1, (n, channels)).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, x, sr, format="WAV", subtype=subtype)
    data = bytearray(buf.getvalue())
    if cut is not None:
        data = data[:cut]
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    try:
        audio = load_audio(bytes(data))
    except AudioError:
        return
    assert audio.dtype == np.float32 and audio.ndim == 1 and len(audio) > 0
    assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0

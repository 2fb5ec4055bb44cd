"""The bad-input matrix: every kind of odd file people will throw at a public demo,
through the library, the CLI and the app's handler, each with its expected outcome.

Outcome "answer": the library and the CLI return eight probabilities and the app
(its handler, and its API over a real server) shows a prediction. Outcome MESSAGE (a regex): the library raises AudioError
saying so, the CLI prints an error entry with it and exits 1, the app shows it.
Where the app is stricter than the library (silence, a clip too short to hold an
emotion) the app's message is listed separately. The README's reliability
section lists the same matrix.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import wave

import numpy as np
import pytest
import soundfile as sf

from conftest import EXAMPLE_CLIPS, ROOT
from emotion import EMOTIONS, AudioError, load_audio

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # gr.Warning outside a request

SR = 48000
ANSWER = "answer"
HAS_FFMPEG = shutil.which("ffmpeg") is not None


def speech(seconds: float | None = None, sr: int = SR) -> np.ndarray:
    """A real test-actor clip (angry, actor 21) at `sr`, optionally cut."""
    x = load_audio(EXAMPLE_CLIPS[4], sr)
    return x if seconds is None else x[: int(seconds * sr)]


def write(path, x, sr=SR, **kw):
    sf.write(path, x, sr, **kw)
    return path


def put(path, data: bytes | str):
    path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
    return path


def ffmpeg(args, out):
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args, str(out)], check=True)
    return out


# name -> (maker(tmp_path) -> path, library/CLI outcome, app outcome)
CASES = {
    "empty file": (lambda d: put(d / "empty.wav", b""), "empty", "empty"),
    "header-only WAV": (
        lambda d: write(d / "header_only.wav", np.zeros(0, np.int16), subtype="PCM_16"),
        "no audio samples|Could not read", "no audio samples|Could not read"),
    "truncated WAV": (
        lambda d: put(d / "truncated.wav", write(d / "full.wav", speech(), subtype="PCM_16").read_bytes()[:200000]),  # 2 s of 4, past the leading silence
        ANSWER, ANSWER),
    "random bytes named .wav": (
        lambda d: put(d / "noise.wav", np.random.default_rng(0).bytes(50000)),
        "Could not read", "Could not read"),
    "text file": (lambda d: put(d / "notes.txt", "hola\n" * 100), "Could not read", "Could not read"),
    "image": (lambda d: put(d / "confusion.png", (ROOT / "weights/run/confusion_test.png").read_bytes()),
              "Could not read", "Could not read"),
    "all zeros": (lambda d: write(d / "zeros.wav", np.zeros(3 * SR, np.float32)), ANSWER, "silent"),
    "near-silence with one click": (
        lambda d: write(d / "click.wav", np.r_[np.zeros(SR), [0.9], np.zeros(SR)].astype(np.float32) + 1e-5),
        ANSWER, ANSWER),
    "10 ms of speech": (lambda d: write(d / "short.wav", speech()[SR : SR + SR // 100]), ANSWER, "too short"),
    "96 kHz": (lambda d: write(d / "rate96k.wav", speech(sr=96000), sr=96000), ANSWER, ANSWER),
    "8 kHz": (lambda d: write(d / "rate8k.wav", speech(sr=8000), sr=8000), ANSWER, ANSWER),
    "8-bit": (lambda d: write(d / "u8.wav", speech(), subtype="PCM_U8"), ANSWER, ANSWER),
    "24-bit": (lambda d: write(d / "s24.wav", speech(), subtype="PCM_24"), ANSWER, ANSWER),
    "32-bit float": (lambda d: write(d / "f32.wav", speech(), subtype="FLOAT"), ANSWER, ANSWER),
    "6 channels": (lambda d: write(d / "surround.wav", np.repeat(speech()[:, None], 6, axis=1) * [1, 1, 0.5, 0, 0.3, 0.3]),
                   ANSWER, ANSWER),
    "NaN and Inf samples": (
        lambda d: write(d / "nan.wav", np.where(np.arange(len(speech())) % 1000 == 0, np.nan, speech()).astype(np.float32)
                        * np.where(np.arange(len(speech())) % 777 == 0, np.inf, 1).astype(np.float32), subtype="FLOAT"),
        ANSWER, ANSWER),
    "full-scale clipping": (lambda d: write(d / "clipped.wav", np.clip(speech() * 50, -1, 1), subtype="PCM_16"), ANSWER, ANSWER),
    "DC offset": (lambda d: write(d / "dc.wav", speech() * 0.5 + 0.4, subtype="FLOAT"), ANSWER, ANSWER),
    "RAVDESS-like name out of range": (
        lambda d: shutil.copy(EXAMPLE_CLIPS[4], d / "03-01-09-02-01-01-25.flac") and d / "03-01-09-02-01-01-25.flac",
        ANSWER, ANSWER),
    "odd characters in the name": (
        lambda d: shutil.copy(EXAMPLE_CLIPS[4], d / "mi voz ñ (1) 😀;'.flac") and d / "mi voz ñ (1) 😀;'.flac", ANSWER, ANSWER),
    "two minutes": (lambda d: write(d / "long.wav", np.tile(speech(), 30)[: 120 * 16000], sr=16000), ANSWER, "first 60 s"),
}
if HAS_FFMPEG:
    CASES["video file with sound"] = (
        lambda d: ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=64x64:d=4", "-i", str(EXAMPLE_CLIPS[4]),
                          "-shortest", "-c:v", "libx264", "-c:a", "aac"], d / "video.mp4"), ANSWER, ANSWER)
    CASES["video file without sound"] = (
        lambda d: ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=64x64:d=2", "-c:v", "libx264"], d / "silent_video.mp4"),
        "Could not read", "Could not read")
    CASES["browser recording (WebM/Opus)"] = (
        lambda d: ffmpeg(["-i", str(EXAMPLE_CLIPS[4]), "-c:a", "libopus"], d / "recording.webm"), ANSWER, ANSWER)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    return {name: (maker(d), lib, app) for name, (maker, lib, app) in CASES.items()}


def test_the_matrix_has_at_least_twenty_kinds_of_input():
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", list(CASES))
def test_library(name, matrix, recognizer):
    path, expected, _ = matrix[name]
    if expected == ANSWER:
        pred = recognizer.predict(path)
        assert list(pred.probabilities) == list(EMOTIONS)
        assert sum(pred.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert all(np.isfinite(p) for p in pred.probabilities.values())
    else:
        with pytest.raises(AudioError, match=expected):
            recognizer.predict(path)


@pytest.mark.parametrize("name", list(CASES))
def test_app_handler(name, matrix):
    import app

    path, _, expected = matrix[name]
    labels, figure, truth, status = app.predict(str(path), True, 30.0)
    if expected == ANSWER:
        assert len(labels) == 8 and figure is not None and "Model ran on" in status
        assert truth == ""  # none of these is a valid RAVDESS name
    elif expected == "first 60 s":
        assert len(labels) == 8 and "first 60 s" in status
    else:
        import re

        assert labels is None and figure is None and re.search(expected, status), status
        assert status.startswith("\u26a0")


def test_api_over_the_real_server(matrix, app_url):
    """Every file uploaded through gradio_client to `python app.py`, as an API user would."""
    import re

    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    for name, (path, _, expected) in matrix.items():
        labels, plot, truth, status = client.predict(handle_file(str(path)), api_name="/predict")
        if expected in (ANSWER, "first 60 s"):
            assert len(labels["confidences"]) == 8 and plot is not None, (name, status)
            assert expected == ANSWER or "first 60 s" in status
        else:
            assert not labels and plot is None and re.search(expected, status), (name, status)
    # The server is still answering after all of that.
    labels, *_ = client.predict(handle_file(str(EXAMPLE_CLIPS[0])), api_name="/predict")
    assert len(labels["confidences"]) == 8


def test_cli_answers_every_file_in_one_run(matrix):
    paths = [str(path) for path, _, _ in matrix.values()]
    proc = subprocess.run([sys.executable, "-m", "emotion", "predict", *paths, "--json", "--device", "cpu"],
                          cwd=ROOT, capture_output=True, text=True)
    results = json.loads(proc.stdout)
    assert [r["file"] for r in results] == paths
    import re

    for (name, (path, expected, _)), r in zip(matrix.items(), results):
        if expected == ANSWER:
            assert "error" not in r and r["label"] in EMOTIONS, name
        else:
            assert re.search(expected, r["error"]), (name, r)
    assert proc.returncode == 1  # some files failed; the others were answered


def test_a_header_that_lies_about_its_length_is_read_as_far_as_it_goes(tmp_path):
    path = tmp_path / "lying.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes((speech(1.0, 16000) * 32767).astype(np.int16).tobytes())
    data = bytearray(path.read_bytes())
    data[40:44] = (10**8).to_bytes(4, "little")  # data chunk claims 100 MB
    path.write_bytes(bytes(data))
    audio = load_audio(path)
    assert abs(len(audio) - 16000) < 10

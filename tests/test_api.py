"""The public API: `python app.py` running, called with gradio_client exactly as
the README tells users to call it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emotion import EMOTIONS, EMOTIONS_ES


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


def test_predict_endpoint_is_documented_with_one_required_input(client):
    info = client.view_api(print_info=False, return_format="dict")
    params = info["named_endpoints"]["/predict"]["parameters"]
    assert [p["parameter_has_default"] for p in params] == [False, True, True]  # audio; trim, top_db


def test_predict_an_example_clip(client, example_clips, served_device):
    from gradio_client import handle_file

    clip = example_clips[7]  # 03-01-08-02-01-01-24.flac: surprised, actor 24
    labels, plot, truth, status, _ = client.predict(handle_file(str(clip)), api_name="/predict")

    confidences = {c["label"]: c["confidence"] for c in labels["confidences"]}
    assert set(confidences) == {f"{e} \u00b7 {EMOTIONS_ES[e]}" for e in EMOTIONS}
    assert sum(confidences.values()) == pytest.approx(1.0, abs=1e-5)
    assert labels["label"] == max(confidences, key=confidences.get)
    assert plot["type"] == "matplotlib" and plot["plot"].startswith("data:image/png;base64,")
    # The upload kept its name through the API, so the ground truth is there.
    assert "surprised \u00b7 Sorprendido" in truth and "24 (female)" in truth
    assert f"Model ran on **{served_device}**" in status


def test_bad_and_oversized_uploads_are_refused_and_the_app_keeps_serving(client, example_clips, tmp_path):
    from gradio_client import handle_file

    text = tmp_path / "notes.wav"
    text.write_text("not audio at all\n")
    labels, plot, truth, status, _ = client.predict(handle_file(str(text)), api_name="/predict")
    assert not labels and plot is None and "Could not read 'notes.wav' as audio" in status

    big = tmp_path / "huge.wav"
    with open(big, "wb") as f:
        f.write(os.urandom(21 * 2**20))  # over the 20 MB max_file_size
    with pytest.raises(Exception, match="(?i)size|large|413"):
        client.predict(handle_file(str(big)), api_name="/predict")

    labels, *_ = client.predict(handle_file(str(example_clips[0])), api_name="/predict")
    assert len(labels["confidences"]) == 8


@pytest.mark.parametrize("path", ["app.py", "weights/model.safetensors", "weights/config.json", "/etc/passwd", "../shared/ravdess/README.md"])
def test_the_server_exposes_no_file_on_disk_beyond_what_the_page_uses(app_url, path):
    import urllib.error
    import urllib.request

    from conftest import ROOT

    target = path if path.startswith("/") else str((ROOT / path).resolve())
    for route in (f"gradio_api/file={target}", f"file={target}"):
        try:
            with urllib.request.urlopen(app_url.rstrip("/") + "/" + route, timeout=10) as r:
                body = r.read()
        except urllib.error.HTTPError as e:
            assert e.code in (403, 404), (route, e.code)
            continue
        # A route may answer 200 with the page itself, but never with the file's bytes.
        assert Path(target).read_bytes()[:64] not in body, route


def test_batched_serving_answers_concurrent_requests_each_with_its_own_result(batched_app_url, example_clips, tmp_path):
    """EMOTION_BATCH=4: concurrent requests are gathered into batches; each caller
    still gets the answer for its own clip, and a bad clip only fails its own request."""
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client, handle_file

    text = tmp_path / "notes.wav"
    text.write_text("not audio at all\n")
    files = [example_clips[4], text, example_clips[7], example_clips[0]]  # angry, bad, surprised, neutral

    def call(path):
        return Client(batched_app_url, verbose=False).predict(handle_file(str(path)), api_name="/predict")

    with ThreadPoolExecutor(len(files)) as pool:
        answers = list(pool.map(call, files))
    labels, _, _, status, timeline = answers[1]
    assert timeline is None
    assert not labels and "Could not read 'notes.wav' as audio" in status
    for i, emotion in ((0, "angry"), (2, "surprised"), (3, "neutral")):
        labels, plot, truth, status, timeline = answers[i]
        assert timeline["segments"][0]["start"] == 0  # its own timeline, in the API's answer
        assert len(labels["confidences"]) == 8 and plot["plot"].startswith("data:image/png")
        assert f"- **emotion**: {emotion} \u00b7" in truth  # its own clip's ground truth, not a neighbour's
        assert labels["label"] in status and "batch of" in status

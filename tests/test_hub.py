"""Weights by Hub repo id, from a Hugging Face cache laid out as huggingface_hub lays it out, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import EXAMPLE_CLIPS, ROOT, WEIGHTS
from hub_cache import add_snapshot, weights_files

REPO = "someone/m5-test"


@pytest.fixture(autouse=True)
def offline():
    import huggingface_hub.constants

    # huggingface_hub reads HF_HUB_OFFLINE once, at import (conftest sets it first).
    assert huggingface_hub.constants.HF_HUB_OFFLINE, "these tests must not reach the network"


@pytest.fixture
def hub_cache(tmp_path):
    """A cache holding REPO: `main` is the shipped weights; tag `v1` an older commit (another temperature)."""
    cache = tmp_path / "hub"
    files = weights_files(WEIGHTS)
    old = json.loads(files["config.json"])
    old["calibration"] = {**old.get("calibration", {}), "temperature": 3.0}
    v1 = add_snapshot(cache, REPO, {**files, "config.json": json.dumps(old).encode()}, refs=("v1",))
    main = add_snapshot(cache, REPO, files)
    return cache, main, v1


@pytest.fixture(scope="module")
def local():
    from emotion import EmotionRecognizer

    return EmotionRecognizer.load(WEIGHTS, device="cpu")


def test_the_cache_is_laid_out_as_huggingface_hub_reads_it(hub_cache):
    from huggingface_hub import scan_cache_dir

    cache, main, v1 = hub_cache
    (repo,) = scan_cache_dir(cache).repos
    assert repo.repo_id == REPO and repo.repo_type == "model"
    assert {r.commit_hash: set(r.refs) for r in repo.revisions} == {main: {"main"}, v1: {"v1"}}
    assert {f.file_name for r in repo.revisions for f in r.files} == {"model.safetensors", "config.json", "README.md",
                                                                     "confusion_test.png"}


def test_a_repo_id_loads_from_the_cache_and_answers_as_the_local_folder(hub_cache, local):
    from emotion import EmotionRecognizer

    cache, main, _ = hub_cache
    rec = EmotionRecognizer.load(REPO, device="cpu", cache_dir=cache)
    assert rec.folder == cache / "models--someone--m5-test" / "snapshots" / main
    assert (rec.folder / "run" / "confusion_test.png").exists()  # the app's About panel finds it
    clip = str(EXAMPLE_CLIPS[0])
    assert rec.predict(clip).probabilities == pytest.approx(local.predict(clip).probabilities, abs=1e-6)


def test_a_revision_pins_the_snapshot(hub_cache):
    from emotion import EmotionRecognizer, resolve_weights

    cache, main, v1 = hub_cache
    for source, revision in ((f"{REPO}@v1", None), (REPO, "v1"), (REPO, v1)):
        assert resolve_weights(source, revision=revision, cache_dir=cache).name == v1
    assert EmotionRecognizer.load(f"{REPO}@v1", device="cpu", cache_dir=cache).temperature == 3.0
    assert resolve_weights(f"{REPO}@main", cache_dir=cache).name == main


def test_a_damaged_cached_file_is_refused_by_the_checksum(hub_cache):
    from emotion import CheckpointError, EmotionRecognizer

    cache, main, _ = hub_cache
    blob = (cache / "models--someone--m5-test" / "snapshots" / main / "model.safetensors").resolve()
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF  # the last byte of the last weight inverted
    blob.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="does not match config.json"):
        EmotionRecognizer.load(REPO, device="cpu", cache_dir=cache)


@pytest.mark.parametrize("source", ["nobody/not-cached", "nobody/not-cached@v2"])
def test_a_repo_missing_offline_gets_a_message_saying_what_to_do(hub_cache, source):
    from emotion import CheckpointError, resolve_weights

    cache, _, _ = hub_cache
    with pytest.raises(CheckpointError) as err:
        resolve_weights(source, cache_dir=cache)
    message = str(err.value)
    assert "'nobody/not-cached'" in message and "not in the Hugging Face cache" in message
    assert "hf download nobody/not-cached" in message and "local weights folder" in message
    assert ("revision 'v2'" in message) == source.endswith("@v2")


@pytest.mark.parametrize("source", ["/no/such/folder", "no-such-folder", "a/b/c", "../x/y"])
def test_a_missing_folder_that_is_no_repo_id_says_so(source):
    from emotion import CheckpointError, resolve_weights

    with pytest.raises(CheckpointError, match="No weights folder"):
        resolve_weights(source)


def test_a_local_folder_wins_over_a_repo_id_of_the_same_name(tmp_path, monkeypatch):
    from emotion import resolve_weights

    (tmp_path / "someone" / "m5-test").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert resolve_weights(REPO).resolve() == tmp_path / "someone" / "m5-test"


def test_the_app_builds_around_weights_from_the_hub(hub_cache):
    import app
    from emotion import EmotionRecognizer

    cache, main, _ = hub_cache
    demo = app.create_demo(EmotionRecognizer.load(REPO, cache_dir=cache))
    out = demo.handlers.predict(str(EXAMPLE_CLIPS[0]))
    assert len(out[0]) == 8


@pytest.mark.slow
def test_the_command_and_emotion_weights_take_a_repo_id(hub_cache):
    """As a user runs them: `--weights USER/REPO` and `EMOTION_WEIGHTS=USER/REPO`, the cache from $HF_HUB_CACHE."""
    cache, main, _ = hub_cache
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    clip = str(EXAMPLE_CLIPS[0])
    out = subprocess.run([sys.executable, "-m", "emotion", "predict", clip, "--json", "--weights", REPO],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout)[0]["label"] in {"neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"}
    missing = subprocess.run([sys.executable, "-m", "emotion", "predict", clip, "--weights", "nobody/not-cached"],
                             cwd=ROOT, env=env, capture_output=True, text=True)
    assert missing.returncode == 2 and "not in the Hugging Face cache" in missing.stderr
    probe = ("import os, app\nfrom emotion import EmotionRecognizer\n"
             "rec = EmotionRecognizer.load(os.environ['EMOTION_WEIGHTS'])  # as app.main() loads it\n"
             "app.create_demo(rec); print(rec.folder)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env={**env, "EMOTION_WEIGHTS": REPO},
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip().endswith(main), out.stderr[-2000:]

"""scripts/publish_weights.py --dry-run: what would be uploaded, and a card validated offline."""

from __future__ import annotations

import shutil

import pytest

from conftest import WEIGHTS, load_script


@pytest.fixture(scope="module")
def publish():
    return load_script("publish_weights")


def test_dry_run_lists_the_files_and_validates_the_card(publish, capsys):
    from emotion.checkpoint import read_config, sha256_file

    assert publish.main(["someone/m5-test", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would upload to https://huggingface.co/someone/m5-test" in out
    for name in ("model.safetensors", "config.json", "run/confusion_test.png", "README.md"):
        assert f"  {name} " in out
    assert f"sha256 {sha256_file(WEIGHTS / 'model.safetensors')}" in out
    test = read_config(WEIGHTS)["metrics"]["test"]
    assert f"model-index: accuracy {round(test['accuracy'], 4)}, UAR {round(test['uar'], 4)}" in out
    assert "ok: usage snippet loads someone/m5-test" in out and "error" not in out


def test_the_card_carries_the_metadata_the_hub_reads(publish):
    from huggingface_hub import ModelCard
    from emotion.checkpoint import read_config

    config = read_config(WEIGHTS)
    card = ModelCard(str(publish.build_card(WEIGHTS, config, "someone/m5-test")))
    data = card.data
    assert data.license == "cc-by-nc-sa-4.0" and data.pipeline_tag == "audio-classification"
    assert data.language == ["en"] and data.datasets == ["narad/ravdess"]
    assert {"audio-classification", "speech-emotion-recognition"} <= set(data.tags)
    accuracy = [r for r in data.eval_results if r.metric_type == "accuracy"]
    assert accuracy[0].metric_value == round(config["metrics"]["test"]["accuracy"], 4)
    assert 'EmotionRecognizer.load("someone/m5-test")' in card.text and "## Results on unseen actors" in card.text


def test_damaged_weights_and_a_card_without_the_snippet_are_not_published(publish, tmp_path, capsys):
    folder = tmp_path / "weights"
    shutil.copytree(WEIGHTS, folder)
    card = folder / "README.md"
    card.write_text(card.read_text().replace("EmotionRecognizer.load(", "EmotionRecognizer.from_somewhere("))
    assert publish.main(["someone/m5-test", "--weights", str(folder), "--dry-run"]) == 1
    assert "usage snippet does not load someone/m5-test" in capsys.readouterr().err
    data = bytearray((folder / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (folder / "model.safetensors").write_bytes(bytes(data))
    assert publish.main(["someone/m5-test", "--weights", str(folder), "--dry-run"]) == 1
    assert "does not match config.json" in capsys.readouterr().err


def test_a_repo_id_with_a_revision_or_no_slash_is_refused(publish, capsys):
    for bad in ("no-slash", "someone/m5@v1"):
        assert publish.main([bad, "--dry-run"]) == 2
        assert "not a Hub repo id USER/REPO" in capsys.readouterr().err

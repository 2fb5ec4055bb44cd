"""M5 shapes, gain invariance, and the self-describing checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from emotion.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from emotion.inference import EmotionRecognizer, clip_windows
from emotion.model import M5, M5Config

PRE = {"sample_rate": 16000, "trim": False, "trim_top_db": None, "window_seconds": 1.0, "hop_seconds": 0.5, "max_seconds": 60}


@pytest.fixture(params=["m5", "m11"])
def model(request):
    torch.manual_seed(0)
    return M5(M5Config(n_channel=8, arch=request.param)).eval()


def test_m11_is_dai_et_al_s_deeper_member():
    """Ten conv layers in groups of 2, 2, 3, 2 after the first (widths C, 2C, 4C, 8C), a pool after
    each group but the last; M5 keeps the tutorial's four layers and its state-dict names."""
    m11 = M5(M5Config(n_channel=16, arch="m11"))
    convs = [b[0] for b in m11.blocks]
    assert [c.out_channels for c in convs] == [16, 16, 16, 32, 32, 64, 64, 64, 128, 128]
    assert [isinstance(b[3], torch.nn.MaxPool1d) for b in m11.blocks] == [True, False, True, False, True,
                                                                          False, False, True, False, False]
    assert m11.classifier.in_features == 128
    m5 = M5(M5Config(n_channel=16))
    assert len(m5.blocks) == 4 and m5.min_samples == 6848 and "blocks.3.0.weight" in m5.state_dict()
    with pytest.raises(ValueError, match="m5, m11"):
        M5(M5Config(arch="m7"))


@pytest.mark.parametrize("batch,length", [(1, 48000), (3, 48000), (2, 16000), (1, 6848)])
def test_forward_returns_logits_batch_by_classes(model, batch, length):
    out = model(torch.randn(batch, length))
    assert out.shape == (batch, 8)  # a batch of one keeps its batch dimension
    assert model(torch.randn(batch, 1, length)).shape == (batch, 8)


def test_min_samples_is_the_shortest_input_that_works(model):
    model(torch.randn(1, model.min_samples))
    with pytest.raises(RuntimeError):
        model(torch.randn(1, model.min_samples - 1))


def test_prediction_does_not_depend_on_input_gain(model):
    x = 0.3 * torch.randn(2, 16000)
    torch.testing.assert_close(model(x), model(0.05 * x), rtol=1e-4, atol=1e-4)


def test_windows_cover_the_whole_clip():
    audio = np.arange(25, dtype=np.float32)
    w = clip_windows(audio, window=10, hop=5)
    assert w.shape == (4, 10)
    assert w[0, 0] == 0 and w[-1, -1] == 24  # last window aligned to the end
    short = clip_windows(audio[:7], 10, 5)
    assert short.shape == (1, 10) and short[0, 7:].sum() == 0  # padded at the end, as in training


def test_save_load_round_trip_gives_identical_outputs(model, tmp_path):
    save_checkpoint(model, tmp_path, {"preprocessing": PRE})
    loaded, config = load_checkpoint(tmp_path)
    x = torch.randn(2, 16000)
    torch.testing.assert_close(model(x), loaded(x), rtol=0, atol=0)
    assert config["model"]["n_channel"] == 8 and config["labels"][4] == "angry"
    assert len(config["weights_sha256"]) == 64
    rec = EmotionRecognizer.load(tmp_path, device="cpu")
    probs = rec.probabilities(np.random.default_rng(0).standard_normal(24000).astype(np.float32) * 0.1)
    assert list(probs) == config["labels"] and sum(probs.values()) == pytest.approx(1.0)


def test_tampered_or_truncated_weights_are_refused(model, tmp_path):
    save_checkpoint(model, tmp_path, {"preprocessing": PRE})
    weights = tmp_path / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="does not match"):
        load_checkpoint(tmp_path)
    weights.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(CheckpointError, match="does not match"):
        load_checkpoint(tmp_path)
    weights.unlink()
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(tmp_path)


def test_a_folder_without_config_is_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="not a weights folder"):
        load_checkpoint(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(CheckpointError, match="not an"):
        load_checkpoint(tmp_path)


def test_a_newer_or_unversioned_checkpoint_format_is_refused_clearly(model, tmp_path):
    save_checkpoint(model, tmp_path, {"preprocessing": PRE})
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["format_version"] == 1
    (tmp_path / "config.json").write_text(json.dumps({**config, "format_version": 2}))
    with pytest.raises(CheckpointError, match="format version 2, written by a newer .* reads up to version 1"):
        load_checkpoint(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({k: v for k, v in config.items() if k != "format_version"}))
    with pytest.raises(CheckpointError, match="no valid format_version"):
        load_checkpoint(tmp_path)


def test_logits_take_the_front_ends_output_and_preprocess_it_once(model, tmp_path, example_clips, monkeypatch):
    """A trimming config trims each clip exactly once, whoever calls: serving, evaluation, calibration."""
    import emotion.inference
    from emotion.audio import load_audio, trim_silence

    save_checkpoint(model, tmp_path, {"preprocessing": {**PRE, "trim": True, "trim_top_db": 30.0}})
    rec = EmotionRecognizer.load(tmp_path, device="cpu")
    clips = [load_audio(p) for p in example_clips[:3]]
    calls = []
    monkeypatch.setattr(emotion.inference, "trim_silence", lambda a, **kw: calls.append(len(a)) or trim_silence(a, **kw))
    logits = rec.logits(clips)
    assert calls == [len(c) for c in clips]  # once per clip, on the clip as decoded
    expected = emotion.inference.clip_logits(rec.model, [trim_silence(c, top_db=30.0)[0] for c in clips], rec.window, rec.hop)
    torch.testing.assert_close(logits, expected)


def test_test_time_speeds_average_the_logits_of_each_speed(model, tmp_path, example_clips):
    from emotion.audio import load_audio

    save_checkpoint(model, tmp_path, {"preprocessing": {**PRE, "test_time_speeds": [0.9, 1.0, 1.1]}})
    rec = EmotionRecognizer.load(tmp_path, device="cpu")
    assert rec.speeds == (0.9, 1.0, 1.1)
    clips = [load_audio(p) for p in example_clips[:2]]
    averaged = rec.logits(clips)
    single = [rec.logits(clips, speeds=(speed,)) for speed in rec.speeds]
    torch.testing.assert_close(averaged, torch.stack(single).mean(0))
    assert rec.speeds == (0.9, 1.0, 1.1)  # asking for other speeds changed nothing on the shared recognizer
    assert not torch.allclose(single[0], single[1])  # the speeds really were different inputs
    plain = EmotionRecognizer.load(tmp_path, device="cpu")
    plain.config["preprocessing"].pop("test_time_speeds")
    assert EmotionRecognizer(plain.model, plain.config, "cpu").speeds == (1.0,)  # older configs: as recorded


def test_a_bfloat16_training_step_keeps_float32_weights_and_the_same_loss_give_or_take():
    """train --bf16: the forward pass under autocast; weights, batch norm and the loss stay float32."""
    from train.fit import train_one_epoch

    losses = {}
    for bf16 in (False, True):
        torch.manual_seed(0)
        net = M5(M5Config(n_channel=8))
        opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
        batches = [(torch.randn(4, 16000, generator=torch.Generator().manual_seed(1)), torch.tensor([0, 1, 2, 3]))]
        losses[bf16] = train_one_epoch(net, batches, opt, sched, "cpu", 0.1, bf16=bf16)["train_loss"]
        assert all(p.dtype == torch.float32 for p in net.parameters())
    assert losses[True] == pytest.approx(losses[False], rel=0.05) and losses[True] != losses[False]

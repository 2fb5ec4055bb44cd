"""The GPU path: the same answers on CUDA as on the CPU, the app serving on the GPU,
and weights trained on a GPU serving on a CPU.

Skipped where there is no CUDA device (CI never has one); run on a lent GPU
machine, where the rest of the suite also runs on CUDA (conftest's
`recognizer` takes the default device). The tolerance is cuDNN's: PyTorch lets
its convolutions use TF32 (10-bit mantissa) by default, which moves a
probability by up to 2.4e-4 on an H200 -- arithmetic, not a model difference.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from emotion import EmotionRecognizer, load_audio
from emotion.checkpoint import load_checkpoint, save_checkpoint
from emotion.inference import default_device

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")

ATOL = 1e-3  # probabilities; measured on an H200: at most 2.4e-4 (TF32 convolutions)


@pytest.fixture(scope="module")
def on_cpu():
    return EmotionRecognizer.load(device="cpu")


@pytest.fixture(scope="module")
def on_gpu():
    return EmotionRecognizer.load(device="cuda")


@pytest.fixture(scope="module")
def clips(example_clips):
    return [load_audio(p, 16000) for p in example_clips]


def test_where_there_is_a_gpu_the_model_loads_on_it_by_default():
    assert default_device() == "cuda"
    recognizer = EmotionRecognizer.load()
    assert recognizer.device.type == "cuda"
    assert next(recognizer.model.parameters()).is_cuda
    assert recognizer.device_name.startswith("CUDA GPU (") and torch.cuda.get_device_name(0) in recognizer.device_name


def test_on_the_gpu_every_example_gets_the_cpus_probabilities(on_cpu, on_gpu, clips):
    for clip in clips:
        cpu, gpu = on_cpu.probabilities(clip), on_gpu.probabilities(clip)
        assert max(cpu, key=cpu.get) == max(gpu, key=gpu.get)
        np.testing.assert_allclose(list(gpu.values()), list(cpu.values()), atol=ATOL)


def test_a_batch_and_its_timelines_on_the_gpu_match_the_cpu(on_cpu, on_gpu, clips):
    # Clips of different lengths in one batch (a minute of them end to end, too):
    # the padding and window bookkeeping on the GPU are the CPU's.
    batch = clips + [np.concatenate(clips * 3)[: 60 * 16000]]
    for (p_cpu, line_cpu), (p_gpu, line_gpu) in zip(on_cpu.analyse_batch(batch), on_gpu.analyse_batch(batch)):
        np.testing.assert_allclose(list(p_gpu.values()), list(p_cpu.values()), atol=ATOL)
        assert [(s.start, s.end) for s in line_gpu] == [(s.start, s.end) for s in line_cpu]
        for a, b in zip(line_gpu, line_cpu):
            np.testing.assert_allclose(list(a.probabilities.values()), list(b.probabilities.values()), atol=ATOL)


def test_the_app_answers_on_the_gpu_and_says_so(example_clips, on_cpu):
    import app

    handlers = app.EmotionDemo(EmotionRecognizer.load())  # as app.main() loads it
    labels, _figure, _truth, status, _timeline = handlers.predict(str(example_clips[0]))
    assert "CUDA GPU" in status
    cpu = on_cpu.predict(example_clips[0]).probabilities
    assert max(labels, key=labels.get) == app.app_text.emotion_name(max(cpu, key=cpu.get), "en")


def test_weights_trained_on_the_gpu_serve_on_the_cpu(tmp_path, clips):
    """Train a few steps on CUDA, save, load on the CPU: the checkpoint carries no
    device, and the CPU's answers equal the GPU model's."""
    from emotion.model import M5, M5Config
    from train.batches import train_batches
    from train.config import TrainConfig
    from train.fit import train_one_epoch

    cfg = TrainConfig(batch_size=8)
    torch.manual_seed(0)
    model = M5(M5Config(n_channel=16)).to("cuda")
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batches = train_batches(cfg, clips * 2, list(range(8)) * 2, np.random.default_rng(0))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    stats = train_one_epoch(model, batches, optimizer, scheduler, torch.device("cuda"), cfg.label_smoothing)
    assert np.isfinite(stats["train_loss"])
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters())), "the GPU step changed nothing"

    preprocessing = {"sample_rate": 16000, "trim": False, "trim_top_db": None, "window_seconds": 3.0,
                     "hop_seconds": 0.5, "max_seconds": 60}
    save_checkpoint(model.eval(), tmp_path, {"preprocessing": preprocessing})
    on_cpu, _ = load_checkpoint(tmp_path, "cpu")
    assert not next(on_cpu.parameters()).is_cuda
    x = torch.as_tensor(clips[0][:48000])[None]
    with torch.no_grad():
        torch.testing.assert_close(on_cpu(x), model(x.cuda()).cpu(), atol=1e-2, rtol=1e-3)  # logits, TF32

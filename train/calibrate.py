"""Temperature scaling: make the probabilities mean what they say.

    python -m train.calibrate --weights weights --data ../shared/ravdess

Fits one temperature T on the validation actors recorded in the weights'
config (never the test actors), by minimising the negative log-likelihood of
the clip-level logits / T, writes it to config.json ("calibration"), and
re-measures the test actors with it. The weights file is untouched: T only
rescales the logits, so the predicted emotion never changes, only how sure
the model says it is. `python -m train` ends with this same step.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from emotion.checkpoint import read_config, update_config
from emotion.inference import EmotionRecognizer

from .data import decode_clips, find_clips
from .evaluate import evaluate, format_report


def fit_temperature(logits: torch.Tensor, labels) -> float:
    """The T > 0 minimising mean NLL of softmax(logits / T); logits (B, C)."""
    y = torch.as_tensor(labels)
    log_t = torch.zeros((), requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp())


def calibrate(weights, val_audio: list[np.ndarray], val_labels, test_audio: list[np.ndarray], test_labels, device="cpu") -> dict:
    """Fit T on validation clips, store it, and return the test metrics with and without it."""
    update_config(weights, calibration={"temperature": 1.0})
    raw = EmotionRecognizer.load(weights, device=device)
    val_logits = torch.cat([raw.logits(val_audio[i : i + 64]) for i in range(0, len(val_audio), 64)])
    temperature = fit_temperature(val_logits, val_labels)
    before = evaluate(raw, test_audio, test_labels)
    update_config(weights, calibration={"method": "temperature scaling", "temperature": round(temperature, 4),
                                        "fitted_on": "validation actors (training.split.val)"})
    after = evaluate(EmotionRecognizer.load(weights, device=device), test_audio, test_labels)
    after["ece_uncalibrated"], after["nll_uncalibrated"] = before["ece"], before["nll"]
    return after


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="weights")
    parser.add_argument("--data", required=True, help="RAVDESS folder")
    parser.add_argument("--cache", default=".cache")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)

    config = read_config(args.weights)
    split, sr = config["training"]["split"], config["preprocessing"]["sample_rate"]
    val, test = find_clips(args.data, tuple(split["val"])), find_clips(args.data, tuple(split["test"]))
    test_metrics = calibrate(
        args.weights,
        decode_clips(val, sr, args.cache or None), [c.label for c in val],
        decode_clips(test, sr, args.cache or None), [c.label for c in test],
        device=args.device,
    )
    test_metrics["actors"] = split["test"]
    metrics = {**config.get("metrics", {}), "test": test_metrics}
    update_config(args.weights, metrics=metrics)
    config = read_config(args.weights)
    print(f"temperature {config['calibration']['temperature']} (fitted on actors {split['val']})")
    print(f"test ECE {test_metrics['ece_uncalibrated']:.1%} -> {test_metrics['ece']:.1%}, "
          f"NLL {test_metrics['nll_uncalibrated']:.3f} -> {test_metrics['nll']:.3f}")
    print(format_report(test_metrics, f"actors {split['test']}, calibrated:"))
    run_dir = Path(args.weights) / "run"
    if run_dir.is_dir():
        (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

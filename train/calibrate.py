"""Temperature scaling: make the probabilities mean what they say.

    python -m train.calibrate --weights weights --data ../shared/ravdess

Fits one temperature T on the validation actors recorded in the weights'
config (never the test actors), by minimising the negative log-likelihood of
the clip-level logits / T, writes it to config.json ("calibration"), and
re-measures the test actors with it. The weights file is untouched: T only
rescales the logits, so the predicted emotion never changes, only how sure
the model says it is. `python -m train` ends with the same fit
(`calibrated_metrics`), on logits it already holds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from emotion.checkpoint import read_config, update_config
from emotion.inference import EmotionRecognizer

from .data import decode_clips, find_clips
from .evaluate import format_report, metrics_from_logits


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


def calibration_record(temperature: float) -> dict:
    """config.json's "calibration" block. T is rounded once, here, and every
    metric is computed with the rounded value, so re-evaluating the saved
    weights gives the recorded figures exactly."""
    return {"method": "temperature scaling", "temperature": round(temperature, 4),
            "fitted_on": "validation actors (training.split.val)"}


def calibrated_metrics(record: dict, val_logits: torch.Tensor, val_labels, test_logits: torch.Tensor, test_labels) -> tuple[dict, dict]:
    """From raw (T = 1) clip logits and a calibration record: (validation metrics, test
    metrics), both with the record's temperature, the test metrics with the
    uncalibrated ECE and NLL beside the calibrated ones."""
    t = record["temperature"]
    before = metrics_from_logits(test_logits, test_labels)
    after = metrics_from_logits(test_logits / t, test_labels)
    after["ece_uncalibrated"], after["nll_uncalibrated"] = before["ece"], before["nll"]
    return metrics_from_logits(val_logits / t, val_labels), after


def calibrate(weights, val_audio, val_labels, test_audio, test_labels, device="cpu") -> dict:
    """Refit T for a saved weights folder; store it; return the test metrics with it."""
    recognizer = EmotionRecognizer.load(weights, device=device)
    val_logits = recognizer.logits(val_audio, temperature=1.0)
    record = calibration_record(fit_temperature(val_logits, val_labels))
    _, test = calibrated_metrics(record, val_logits, val_labels, recognizer.logits(test_audio, temperature=1.0), test_labels)
    update_config(weights, calibration=record)
    return test


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

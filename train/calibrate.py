"""Temperature scaling: make the probabilities mean what they say.

    python -m train.calibrate --weights weights --data ../shared/ravdess

Fits one temperature T on the validation actors recorded in the weights'
config (never the test actors), by minimising the negative log-likelihood of
the clip-level logits / T, writes it to config.json ("calibration"), and
re-measures the test actors with it. The weights file is untouched: T only
rescales the logits, so the predicted emotion never changes, only how sure
the model says it is. `python -m train` ends with the same fit
(`calibrated_metrics`, `train.train.split_metrics`), on logits it already holds;
weights trained with nEMO are refitted on both corpora's validation speakers.
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


def main(argv: list[str] | None = None) -> int:
    from .train import TrainConfig, load_split, split_metrics

    parser = argparse.ArgumentParser(prog="python -m train.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="weights")
    parser.add_argument("--data", required=True, help="RAVDESS folder")
    parser.add_argument("--nemo", default=None, help="nEMO folder, for weights trained with it (default: the one they recorded)")
    parser.add_argument("--cache", default=".cache")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)

    config = read_config(args.weights)
    split = config["training"]["split"]
    recorded = {k: v for k, v in config["training"]["config"].items() if k in TrainConfig.__dataclass_fields__}
    cfg = TrainConfig(**{**recorded, "data": args.data, "cache": args.cache,
                         "nemo": args.nemo if args.nemo is not None else recorded.get("nemo", "")})
    data = load_split(cfg, split)  # the weights' own validation and test speakers, every corpus they used
    recognizer = EmotionRecognizer.load(args.weights, device=args.device)
    val_logits = recognizer.logits(data["val"].audio, temperature=1.0)
    record = calibration_record(fit_temperature(val_logits, data["val"].labels))
    new = split_metrics(record, val_logits, recognizer.logits(data["test"].audio, temperature=1.0), data, split)
    update_config(args.weights, calibration=record)
    metrics = {**config.get("metrics", {}), **new}
    update_config(args.weights, metrics=metrics)
    test = new["test"]
    print(f"temperature {record['temperature']} (fitted on the validation speakers)")
    print(f"test ECE {test['ece_uncalibrated']:.1%} -> {test['ece']:.1%}, NLL {test['nll_uncalibrated']:.3f} -> {test['nll']:.3f}")
    print(format_report(test, f"actors {split['test']}, calibrated:"))
    run_dir = Path(args.weights) / "run"
    if run_dir.is_dir():
        (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

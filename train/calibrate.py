"""Temperature scaling: make the probabilities mean what they say.

    python -m train.calibrate --weights weights --data ../shared/ravdess

Fits one temperature T on the validation actors recorded in the weights'
config (never the test actors), by minimising the negative log-likelihood of
the clip-level logits / T, writes it to config.json ("calibration"), and
re-measures the test actors with it. The weights file is untouched: T only
rescales the logits, so the predicted emotion never changes, only how sure
the model says it is. `python -m train` ends with the same fit
(`train.calibration`, `train.run.split_metrics`), on logits it already holds;
weights trained on several corpora are refitted on every corpus's validation
speakers: pooled clip by clip, or with --by-corpus each corpus weighing the same,
so that the corpus with the most validation clips does not set T for the rest.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emotion.checkpoint import read_config, update_config
from emotion.inference import EmotionRecognizer

from .calibration import calibration_record, fit_temperature_on
from .config import TrainConfig
from .metrics import format_report
from .run import load_split, split_metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="weights")
    parser.add_argument("--data", required=True, help="RAVDESS folder")
    parser.add_argument("--nemo", default=None, help="nEMO folder, for weights trained with it (default: the one they recorded)")
    parser.add_argument("--cache", default=".cache")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--by-corpus", action="store_true",
                        help="each corpus's validation speakers weigh the same in the fit (default: each clip does)")
    args = parser.parse_args(argv)

    config = read_config(args.weights)
    split = config["training"]["split"]
    recorded = {k: v for k, v in config["training"]["config"].items() if k in TrainConfig.__dataclass_fields__}
    cfg = TrainConfig(**{**recorded, "data": args.data, "cache": args.cache,
                         "nemo": args.nemo if args.nemo is not None else recorded.get("nemo", "")})
    data = load_split(cfg, split)  # the weights' own validation and test speakers, every corpus they used
    recognizer = EmotionRecognizer.load(args.weights, device=args.device)
    val_logits = recognizer.logits(data["val"].audio, temperature=1.0)
    before = config.get("calibration", {}).get("temperature")
    record = calibration_record(fit_temperature_on(val_logits, data["val"], args.by_corpus), args.by_corpus)
    new = split_metrics(record, val_logits, recognizer.logits(data["test"].audio, temperature=1.0), data, split)
    update_config(args.weights, calibration=record)
    metrics = {**config.get("metrics", {}), **new}
    update_config(args.weights, metrics=metrics)
    test = new["test"]
    print(f"temperature {before} -> {record['temperature']} (fitted on {record['fitted_on']})")
    for key, m in new.items():  # every corpus's ECE with the new T: what --by-corpus trades
        if isinstance(m, dict) and "ece" in m:
            print(f"  {key:16s} UAR {m['uar']:.1%}  ECE {m['ece']:.1%}")
    print(f"test ECE {test['ece_uncalibrated']:.1%} -> {test['ece']:.1%}, NLL {test['nll_uncalibrated']:.3f} -> {test['nll']:.3f}")
    print(format_report(test, f"actors {split['test']}, calibrated:"))
    run_dir = Path(args.weights) / "run"
    if run_dir.is_dir():
        (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

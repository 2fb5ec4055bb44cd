"""Issue 22's shipping rule on the shipped split: may a candidate ensemble replace the shipped weights?

    python scripts/ship_check.py --baseline C4x3=runs/c4_x3 --candidate V7x3=runs/v7_x3 \
        --benchmark V7x3=experiments/generalisation_v7_x3.json \
        --nemo ../data/nemo_full --corpora ased=../data/ased,emovo=../data/emovo [--json OUT]

The development folds choose a recipe; this checks its ensemble, trained on the
shipped split, before it ships (the results log, 2026-12-04). Three conditions,
written before the candidate was trained:

(a) its voices score on the shipped split's **validation** speakers -- the mean,
    over the union of both weights' corpora, of the UAR on each corpus's
    validation speakers (RAVDESS 17-20; the others' VAL_SPEAKERS, on the clips
    their module scores) -- is above the baseline's. A corpus the weights
    trained on is read from their own record (`NAME_val`); one they never heard
    is scored now, as scripts/voices_baseline.py does;
(b) RAVDESS's validation UAR at most 3 points below the baseline's;
(c) on the test actors, the worst channel of the generalisation benchmark (noise
    at 5 dB aside) within 10 points of clean -- the bound the shipped weights
    have met since it was set. From `--benchmark LABEL=JSON` (python -m
    train.generalisation --json) or else the weights' recorded summary.

Test speakers choose nothing here: (c) is a floor the shipped weights must clear,
never a score to rank by.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from compare_voices import CHANNEL_GAP, RAVDESS_MARGIN, val_uar  # noqa: E402
from train.config import TrainConfig  # noqa: E402


def worst_channel(benchmark: dict) -> tuple[str, float]:
    """(name, accuracy minus clean's) of the benchmark's worst channel, noise at 5 dB SNR aside.
    Reads both the JSON of `python -m train.generalisation --json` and the summary `--record` keeps."""
    clean = benchmark["clean"]["accuracy"] if isinstance(benchmark["clean"], dict) else benchmark["clean"]
    channels = {name: c["accuracy"] if isinstance(c, dict) else c for name, c in benchmark["channels"].items()}
    kept = {name: a for name, a in channels.items() if "5dB" not in name}
    if not kept:
        raise SystemExit("error: the benchmark has no channel to check")
    name = min(kept, key=kept.get)
    return name, kept[name] - clean


def validation_scores(weights: Path, folders: dict[str, str], cache: str) -> dict[str, float]:
    """{"ravdess": UAR on its validation actors, corpus: UAR on its validation speakers} for every corpus of the union."""
    metrics = json.loads((weights / "config.json").read_text())["metrics"]
    scores = {"ravdess": metrics["val"]["uar"]}
    for name, folder in folders.items():
        scores[name] = metrics[f"{name}_val"]["uar"] if f"{name}_val" in metrics else val_uar(weights, name, folder, cache)
    return scores


def verdict(base: dict, cand: dict) -> dict:
    """The three conditions on {"voices", "scores", "channel"} of baseline and candidate."""
    checks = {
        "voices_above_baseline": cand["voices"] > base["voices"],
        "ravdess_within_margin": cand["scores"]["ravdess"] >= base["scores"]["ravdess"] - RAVDESS_MARGIN,
        "worst_channel_within_bound": cand["channel"][1] >= -CHANNEL_GAP,
    }
    return {**checks, "ships": all(checks.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="LABEL=WEIGHTS the weights shipped now (split at the last =)")
    parser.add_argument("--candidate", required=True, help="LABEL=WEIGHTS the ensemble that would replace them")
    parser.add_argument("--benchmark", action="append", default=[], metavar="LABEL=JSON",
                        help="python -m train.generalisation --json output for LABEL (default: the weights' recorded summary)")
    parser.add_argument("--nemo", default="", help="nEMO folder (the full download)")
    parser.add_argument("--corpora", default="", help="NAME=FOLDER,... the other corpora of the union")
    parser.add_argument("--cache", default=".cache")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads for scoring (0: torch's default)")
    parser.add_argument("--json", default="", help="also write the figures and the verdict as JSON here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    folders = {k: v for k, v in TrainConfig(nemo=args.nemo, corpora=args.corpora).corpus_folders().items() if k != "ravdess"}
    benchmarks = dict(item.rsplit("=", 1) for item in args.benchmark)
    out = {}
    for role, item in (("baseline", args.baseline), ("candidate", args.candidate)):
        label, _, folder = item.rpartition("=")  # a label may hold "=" ("V8 = C4 + V7"); a folder here does not
        weights = Path(folder)
        config = json.loads((weights / "config.json").read_text())
        bench = json.loads(Path(benchmarks[label]).read_text()) if label in benchmarks else config.get("generalisation")
        if not bench:
            raise SystemExit(f"error: no benchmark for {label}: give --benchmark {label}=JSON or record one in {weights}")
        scores = validation_scores(weights, folders, args.cache)
        out[role] = {"label": label, "weights": str(weights), "weights_sha256": config.get("weights_sha256"),
                     "scores": scores, "voices": float(np.mean(list(scores.values()))), "channel": worst_channel(bench),
                     "benchmark": benchmarks.get(label, "recorded in config.json")}
    out["verdict"] = verdict(out["baseline"], out["candidate"])
    names = list(out["baseline"]["scores"])
    print("| weights | " + " | ".join(f"{n} (validation)" for n in names) + " | voices | worst channel vs clean (test actors) |")
    print("| --- |" + " --- |" * (len(names) + 2))
    for role in ("baseline", "candidate"):
        r = out[role]
        print(f"| {r['label']} ({role}) | " + " | ".join(f"{r['scores'][n]:.1%}" for n in names)
              + f" | **{r['voices']:.1%}** | {r['channel'][0]} {100 * r['channel'][1]:+.1f} |")
    v = out["verdict"]
    print(f"\n(a) voices above the baseline's: {'met' if v['voices_above_baseline'] else 'MISSED'}; "
          f"(b) RAVDESS validation within {100 * RAVDESS_MARGIN:g} points: {'met' if v['ravdess_within_margin'] else 'MISSED'}; "
          f"(c) worst channel within {100 * CHANNEL_GAP:g} points of clean: {'met' if v['worst_channel_within_bound'] else 'MISSED'}"
          f" -> {out['candidate']['label']} {'ships' if v['ships'] else 'does not ship'}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Issue 22's rule, applied: candidates' voices scores on the union of their corpora, and the constraints.

    python scripts/compare_voices.py --runs V1=runs/cv_dev_V1,V2=runs/cv_dev_V2 \
        --records experiments --nemo ../data/nemo_full --corpora ased=../data/ased,emovo=DIR [--json OUT]

For each candidate (a `python -m train.crossval --layout development --select-on main`
output folder) and each finished fold: RAVDESS's held-out UAR (the fold's test
block), and every corpus of the union on its validation speakers -- from the
fold's own record where the run trained on that corpus (`NAME_val`, held out by
--select-on main), otherwise by running the fold's weights on them now (as
scripts/voices_baseline.py does; kept in the fold's folder as voices_extra.json,
keyed by the weights' SHA-256). A corpus named by --nemo/--corpora is in the
union; so the scores compare candidates that train on different corpora on the
same ground (the results log's clarification of 12:07, 2026-12-02).

Folds recorded in `--records` (experiments/crossval_dev_NAME/crossval.json) but not
on disk are used for what they hold (their weights are gone).

Then the constraints, over the folds every candidate has: the gap between clean
and the worst benchmark channel (each channel's accuracy averaged over the
folds) at most 3 points wider than C4's on the same folds (C4's own single fold
models miss the 10 points the shipped ensemble met; that bound is checked on the
shipped weights, actors 21-24), and RAVDESS's mean UAR at most 3 points below
C4's on the same folds (experiments/crossval_dev_C4).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emotion.inference import EmotionRecognizer  # noqa: E402
from train.config import TrainConfig  # noqa: E402
from train.corpora import CORPORA, scored  # noqa: E402
from train.crossval import finished_folds  # noqa: E402
from train.data import decode_clips  # noqa: E402
from train.metrics import score_corpus  # noqa: E402

CHANNEL_GAP = 0.10  # the shipped ensemble's worst channel within 10 points of clean (accuracy; checked on 21-24)
CHANNEL_MARGIN = 0.03  # on the development folds: the worst channel's gap at most 3 points wider than C4's
RAVDESS_MARGIN = 0.03  # RAVDESS held-out UAR at most 3 points below C4's on the same fold


def val_uar(weights: Path, name: str, folder: str, cache: str) -> float:
    """The weights' UAR on corpus NAME's validation speakers (the clips it scores, its own classes)."""
    recognizer = EmotionRecognizer.load(weights, device="cpu")
    corpus = CORPORA[name]
    clips = scored(name, corpus.find_clips(folder, tuple(corpus.VAL_SPEAKERS)))
    audio = decode_clips(clips, recognizer.sample_rate, cache or None, corpus=f"{name}-val")
    return score_corpus(recognizer.logits(audio), [c.label for c in clips], name)["uar"]


def extra_scores(fold_dir: Path, wanted: dict[str, str], cache: str) -> dict[str, float]:
    """{corpus: UAR on its validation speakers} for corpora the fold's run never trained on."""
    path = fold_dir / "voices_extra.json"
    sha = json.loads((fold_dir / "config.json").read_text()).get("weights_sha256")
    kept = json.loads(path.read_text()) if path.exists() else {}
    if kept.get("weights_sha256") != sha:
        kept = {"weights_sha256": sha, "uar": {}}
    for name, folder in wanted.items():
        if name not in kept["uar"]:
            kept["uar"][name] = val_uar(fold_dir, name, folder, cache)
            path.write_text(json.dumps(kept, indent=1) + "\n")
    return {name: kept["uar"][name] for name in wanted}


def fold_scores(label: str, out: Path, records: Path, folders: dict[str, str], cache: str) -> dict[int, dict]:
    """{fold: {"ravdess", corpus...: UAR (None where unknown), "clean", "worst": accuracy, "worst_channel"}}."""
    folds = {m["fold"]: (m, out / f"fold_{m['fold']}") for m in finished_folds(out, "development")} if out.exists() else {}
    record = records / f"crossval_dev_{label}" / "crossval.json"
    if record.exists():
        for m in json.loads(record.read_text())["folds"]:
            folds.setdefault(m["fold"], (m, None))
    scores = {}
    for k, (m, fold_dir) in sorted(folds.items()):
        row = {"ravdess": m["uar"]}
        trained = {name: m[f"{name}_val"]["uar"] for name in folders if f"{name}_val" in m}
        missing = {name: f for name, f in folders.items() if name not in trained}
        if missing and fold_dir is not None and (fold_dir / "model.safetensors").exists():
            trained.update(extra_scores(fold_dir, missing, cache))
        row.update({name: trained.get(name) for name in folders})
        if "channels" in m:
            worst = min(m["channels"], key=m["channels"].get)
            row.update(clean=m["accuracy"], worst=m["channels"][worst], worst_channel=worst, channels=m["channels"])
        scores[k] = row
    return scores


def channel_gap(rows: list[dict]) -> tuple[str, float]:
    """(the channel whose accuracy, averaged over the folds, is lowest; its mean minus clean's mean)."""
    rows = [r for r in rows if "channels" in r]
    if not rows:
        return "none", float("nan")
    means = {c: float(np.mean([r["channels"][c] for r in rows])) for c in rows[0]["channels"]}
    worst = min(means, key=means.get)
    return worst, means[worst] - float(np.mean([r["clean"] for r in rows]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, help="LABEL=FOLDER,... crossval output folders (development layout)")
    parser.add_argument("--records", default=str(ROOT / "experiments"), help="where crossval_dev_LABEL/ records are")
    parser.add_argument("--baseline", default="C4", help="the candidate RAVDESS's constraint compares with (its record)")
    parser.add_argument("--nemo", default="", help="nEMO folder (the full download)")
    parser.add_argument("--corpora", default="", help="NAME=FOLDER,... the other corpora of the union")
    parser.add_argument("--cache", default=".cache")
    parser.add_argument("--json", default="", help="also write the table as JSON here")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads for scoring (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    folders = {k: v for k, v in TrainConfig(nemo=args.nemo, corpora=args.corpora).corpus_folders().items() if k != "ravdess"}
    records = Path(args.records)
    base_folds = {m["fold"]: m for m in json.loads((records / f"crossval_dev_{args.baseline}" / "crossval.json").read_text())["folds"]}
    base = {k: m["uar"] for k, m in base_folds.items()}
    base_rows = {k: {"clean": m["accuracy"], "channels": m["channels"]} for k, m in base_folds.items() if "channels" in m}
    runs = dict(item.split("=", 1) for item in args.runs.split(","))
    table = {label: fold_scores(label, Path(out), records, folders, args.cache) for label, out in runs.items()}
    names = ["ravdess", *folders]
    common = sorted(set.intersection(*(set(k for k, row in t.items() if all(row[n] is not None for n in names))
                                       for t in table.values())))
    print(f"union of corpora: {', '.join(names)}; folds every candidate has on all of them: {common or 'none'}")
    print("| candidate | fold | " + " | ".join(names) + " | voices | clean → worst channel | RAVDESS vs " + args.baseline + " |")
    print("| --- | --- |" + " --- |" * (len(names) + 3))
    summary = {}
    for label, rows in table.items():
        for k, row in rows.items():
            cells = [f"{row[n]:.1%}" if row[n] is not None else "–" for n in names]
            voices = np.mean([row[n] for n in names]) if all(row[n] is not None for n in names) else None
            channel = (f"{row['clean']:.1%} → {row['worst']:.1%} ({row['worst'] - row['clean']:+.1%}, {row['worst_channel']})"
                       if "worst" in row else "–")
            print(f"| {label} | {k} | " + " | ".join(cells) + f" | {f'{voices:.1%}' if voices is not None else '–'} | {channel} | "
                  f"{row['ravdess'] - base[k]:+.1%} |")
        on_common = [rows[k] for k in common]
        summary[label] = {
            "folds": common,
            "per_corpus": {n: float(np.mean([r[n] for r in on_common])) for n in names} if on_common else {},
            "voices": float(np.mean([np.mean([r[n] for n in names]) for r in on_common])) if on_common else None,
            # Each channel's accuracy and clean's averaged over the folds, then the worst channel:
            # one fold's single model is noisier than the rule's 10 points.
            "channel_gap": channel_gap(on_common),
            "baseline_channel_gap": channel_gap([base_rows[k] for k in common if k in base_rows]),
            # C4 itself misses 10 points on single development-fold models (the results log, 12:23):
            # the bound is C4's own gap on the same folds, give or take the RAVDESS margin.
            "channel_ok": bool(on_common) and channel_gap(on_common)[1]
            >= channel_gap([base_rows[k] for k in common if k in base_rows])[1] - CHANNEL_MARGIN,
            "ravdess_ok": bool(on_common) and float(np.mean([r["ravdess"] for r in on_common])) >= np.mean([base[k] for k in common]) - RAVDESS_MARGIN,
            "per_fold": {k: rows[k] for k in rows},
        }
    print()
    for label, s in summary.items():
        if s["voices"] is None:
            print(f"{label}: no fold in common")
            continue
        print(f"{label}: voices {s['voices']:.1%} on folds {s['folds']} "
              f"({', '.join(f'{n} {v:.1%}' for n, v in s['per_corpus'].items())}); "
              f"worst channel over those folds {s['channel_gap'][0]} {s['channel_gap'][1]:+.1%} from clean "
              f"({args.baseline}: {s['baseline_channel_gap'][0]} {s['baseline_channel_gap'][1]:+.1%}): "
              f"{'met' if s['channel_ok'] else 'MISSED'}; RAVDESS constraint {'met' if s['ravdess_ok'] else 'MISSED'}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

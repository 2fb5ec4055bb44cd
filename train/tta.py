"""Test-time speed averaging (and denser windows), measured on trained runs without retraining.

    python -m train.tta --runs runs/cv_H --data ../shared/ravdess [--json tta.json]

For every weights folder under RUNS (each cross-validation fold's, or one
`python -m train` output), the clips of its own validation and test actors are
played at each speed through the library's inference path
(`EmotionRecognizer.logits`, one speed at a time), and every set of speeds in
CANDIDATES is scored by averaging those logits, exactly as
`preprocessing.test_time_speeds` would serve them. Nothing is retrained and no
weights are changed.

What decides is the mean test accuracy of the cross-validation folds whose
test actors are not the fixed test actors 21-24 (folds 1-5: actors 1-20), as
for every recipe choice here; fold 6 (test actors 21-24, the shipped split) is
reported, never used to choose. Validation UAR is printed too, pooled over the
runs that do not validate on 21-24, but it is biased: each run's epoch was
picked on those very clips at speed 1. Calibration: a temperature is refitted on each run's
validation actors for each set of speeds, and the test ECE is reported with it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from emotion.checkpoint import read_config
from emotion.inference import EmotionRecognizer

from .calibration import fit_temperature
from .corpora.ravdess import TEST_ACTORS, find_clips
from .data import decode_clips
from .metrics import classification_metrics

# (speeds, hop between windows in seconds; None = the run's own, 0.5 s)
CANDIDATES = [((1.0,), None), ((0.95, 1.0, 1.05), None), ((0.9, 1.0, 1.1), None), ((0.9, 0.95, 1.0, 1.05, 1.1), None),
              ((1.0,), 0.25)]


def label(cand) -> str:
    speeds, hop = cand
    return ",".join(f"{x:g}" for x in speeds) + ("" if hop is None else f" hop {hop:g}s")


def weights_folders(runs: Path) -> list[Path]:
    if (runs / "config.json").exists() and (runs / "model.safetensors").exists():
        return [runs]
    return sorted(p.parent for p in runs.glob("*/config.json") if (p.parent / "model.safetensors").exists())


def key(speed: float, hop: float | None) -> str:
    return f"{speed:g}" if hop is None else f"{speed:g}_hop{hop:g}"


def per_speed_logits(rec: EmotionRecognizer, audio: list[np.ndarray], passes) -> dict[str, torch.Tensor]:
    """{key(speed, hop): (B, C) raw logits}: the library's path with one speed, T = 1."""
    return {key(s, hop): rec.logits(audio, speeds=(s,), hop_seconds=hop, temperature=1.0) for s, hop in passes}


def cached_logits(folder: Path, rec: EmotionRecognizer, part: dict, passes) -> dict:
    """{"val"|"test": {key: logits}}, kept in RUN/run/tta_logits.npz under the
    weights' checksum, so folds can be scored as they finish and again at the end."""
    path, sha = folder / "run" / "tta_logits.npz", rec.config["weights_sha256"]
    logits = {name: {} for name in part}
    if path.exists():
        with np.load(path) as z:
            if str(z["sha"]) == sha:
                logits = {name: {k[len(name) + 1 :]: torch.from_numpy(z[k]) for k in z.files if k.startswith(name + "_")} for name in part}
    for name, (audio, _) in part.items():
        todo = [p for p in passes if key(*p) not in logits[name]]
        logits[name].update(per_speed_logits(rec, audio, todo))
    path.parent.mkdir(exist_ok=True)
    np.savez(path, sha=sha, **{f"{name}_{k}": v.numpy() for name in part for k, v in logits[name].items()})
    return logits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.tta", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, help="a weights folder, or a folder of them (runs/cv_H)")
    parser.add_argument("--data", default="../shared/ravdess")
    parser.add_argument("--cache", default=".cache")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)

    folders = weights_folders(Path(args.runs))
    if not folders:
        raise SystemExit(f"error: no weights folder (model.safetensors + config.json) under {args.runs}")
    sample_rate = read_config(folders[0])["preprocessing"]["sample_rate"]
    clips = find_clips(args.data)  # all 24 actors: one decode cache serves every fold
    audio = decode_clips(clips, sample_rate, args.cache or None)
    passes = sorted({(s, hop) for speeds, hop in CANDIDATES for s in speeds}, key=str)

    rows = []
    for folder in folders:
        rec = EmotionRecognizer.load(folder, device="cpu")
        split = rec.config["training"]["split"]
        part = {}
        for name in ("val", "test"):
            idx = [i for i, c in enumerate(clips) if c.speaker in split[name]]
            part[name] = ([audio[i] for i in idx], np.array([clips[i].label for i in idx]))
        logits = cached_logits(folder, rec, part, passes)
        for cand in CANDIDATES:
            val = torch.stack([logits["val"][key(s, cand[1])] for s in cand[0]]).mean(0)
            test = torch.stack([logits["test"][key(s, cand[1])] for s in cand[0]]).mean(0)
            t = fit_temperature(val, part["val"][1])
            vm = classification_metrics(part["val"][1], val.argmax(1).numpy())
            tm = classification_metrics(part["test"][1], test.argmax(1).numpy(), torch.softmax(test / t, -1).numpy())
            rows.append({"run": folder.name, "val_actors": split["val"], "test_actors": split["test"], "speeds": list(cand[0]), "hop": cand[1],
                         "val_uar": vm["uar"], "val_confusion": vm["confusion"], "test_accuracy": tm["accuracy"],
                         "test_uar": tm["uar"], "test_ece": tm["ece"], "temperature": t})
            print(f"{folder.name:10s} speeds {label(cand):26s} val UAR {vm['uar']:.1%}  "
                  f"test acc {tm['accuracy']:.1%} UAR {tm['uar']:.1%} ECE {tm['ece']:.1%}", flush=True)

    print("\nspeeds                   | choice: test folds 1-5 acc / UAR | val UAR, pooled* | all runs: test acc / UAR / ECE")
    summary = []
    for cand in CANDIDATES:
        mine = [r for r in rows if (tuple(r["speeds"]), r["hop"]) == cand]
        choosing = [r for r in mine if not set(r["test_actors"]) & set(TEST_ACTORS)]
        validating = [r for r in mine if not set(r["val_actors"]) & set(TEST_ACTORS)]
        confusion = np.sum([r["val_confusion"] for r in validating], axis=0)
        s = {"speeds": list(cand[0]), "hop": cand[1], "choosing_runs": [r["run"] for r in choosing],
             "choice_test_accuracy": float(np.mean([r["test_accuracy"] for r in choosing])) if choosing else None,
             "choice_test_uar": float(np.mean([r["test_uar"] for r in choosing])) if choosing else None,
             "pooled_val_uar": float(np.mean(np.diag(confusion) / confusion.sum(1))),
             **{f"mean_{k}": float(np.mean([r[k] for r in mine])) for k in ("test_accuracy", "test_uar", "test_ece")}}
        summary.append(s)
        choice = f"{s['choice_test_accuracy']:.1%} / {s['choice_test_uar']:.1%}" if choosing else "n/a (no such run)"
        print(f"{label(cand):24s} | {choice:32s} | {s['pooled_val_uar']:16.1%} | "
              f"{s['mean_test_accuracy']:.1%} / {s['mean_test_uar']:.1%} / {s['mean_test_ece']:.1%}")
    print("* validation actors picked each run's epoch at speed 1, so this column favours speed 1 alone.")
    if args.json:
        Path(args.json).write_text(json.dumps({"command": "python -m train.tta " + " ".join(sys.argv[1:] if argv is None else argv),
                                               "summary": summary, "runs": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Six-fold cross-validation by actor: every actor is a test actor exactly once.

    python -m train.crossval --data ../shared/ravdess --out runs/crossval [any python -m train flag]
    python -m train.crossval ... --folds 3,4      # a subset (e.g. one per process)
    python -m train.crossval ... --summarise      # only rebuild the table from OUT
    python -m train.crossval ... --layout emobox  # EmoBox's folds, to compare with published figures
    python -m train.crossval ... --layout development  # actors 1-20 only: the folds that choose recipes
    python -m train.crossval ... --channels telephone_g711,room_office  # + held-out actors through benchmark channels

Folds are fixed. `--layout blocks` (default): fold k (1..6) tests actors
4k-3..4k; fold 6 is exactly the shipped split (test 21-24, validation 17-20);
every actor is tested once, so this reports a recipe, but its folds 1-5
train on the test actors 21-24 (fold 1 even stops early on them), so it
cannot choose one. `--layout emobox`: the six folds of the EmoBox benchmark
(Ma et al. 2024), whose table lists frozen WavLM-base at 62.1 % WA and
HuBERT-base at 66.2 % WA; for comparison only (its folds put actors 21-24 in
four test blocks). `--layout development`: five folds over actors 1-20
alone (test 1-4, 5-8, ..., 17-20; twelve training actors each), where actors
21-24 are never trained on, stopped on or tested: the cross-validation that
may choose a recipe. In every layout a fold validates (early stopping, model
selection, calibration) on the previous fold's test actors, held out of its
training. Writes each fold's run to OUT/fold_k/ and a summary: mean +- sd of
accuracy (WA) and UAR (UA), the per-fold table and the summed confusion
matrix (crossval.json, crossval.md). With --channels, each fold's held-out
actors are also heard through those channels of the generalisation
benchmark (train.generalisation; its rooms, seeds and noise material are not
training's), so a recipe can be chosen for robustness without actors 21-24.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from emotion.labels import EMOTIONS, format_actors, parse_actors

from .cli import train_and_report
from .config import DEFAULTS, PER_FOLD_FIELDS, add_config_flags, config_from, recipe
from .corpora import CORPORA, MAIN
from .generalisation import main as benchmark
from .metrics import classification_metrics, format_report

N_FOLDS = 6  # of the layouts that test every actor (blocks, emobox)
# Each layout: the test actors of its folds 1..n.
LAYOUTS = {
    "blocks": [tuple(range(4 * k - 3, 4 * k + 1)) for k in range(1, N_FOLDS + 1)],
    "emobox": [(1, 11, 20, 21), (4, 10, 12, 14), (8, 9, 19, 23), (3, 5, 7, 24), (2, 15, 16, 18), (6, 13, 17, 22)],
    "development": [tuple(range(4 * k - 3, 4 * k + 1)) for k in range(1, 6)],  # actors 1-20 only
}


def n_folds(layout: str = "blocks") -> int:
    return len(LAYOUTS[layout])


def fold_actors(k: int, layout: str = "blocks") -> tuple[str, str]:
    """Fold k (1-based) -> (test actors, validation actors) in the flags' form ('21-24', '1,11,20,21')."""
    folds = LAYOUTS[layout]
    return format_actors(folds[k - 1], dash="-"), format_actors(folds[(k - 2) % len(folds)], dash="-")


def fold_train_actors(k: int, layout: str = "blocks") -> str:
    """Fold k's training actors: '' (every actor not tested or validated) where the layout
    covers all 24; in the development layout the other twelve of actors 1-20, never 21-24."""
    folds = LAYOUTS[layout]
    pool = sorted(a for fold in folds for a in fold)
    if len(pool) == 24:
        return ""
    held = set(folds[k - 1]) | set(folds[(k - 2) % len(folds)])
    return format_actors([a for a in pool if a not in held], dash="-")


def summarise(per_fold: list[dict]) -> dict:
    confusion = np.sum([m["confusion"] for m in per_fold], axis=0)
    y_true = np.repeat(np.arange(len(EMOTIONS)), confusion.sum(1))
    y_pred = np.concatenate([np.repeat(np.arange(len(EMOTIONS)), row) for row in confusion])
    pooled = classification_metrics(y_true, y_pred)
    acc = np.array([m["accuracy"] for m in per_fold])
    uar = np.array([m["uar"] for m in per_fold])
    ece = np.array([m.get("ece", np.nan) for m in per_fold])
    return {
        "folds": per_fold,
        "accuracy_mean": float(acc.mean()), "accuracy_sd": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
        "uar_mean": float(uar.mean()), "uar_sd": float(uar.std(ddof=1)) if len(uar) > 1 else 0.0,
        "ece_mean": float(np.nanmean(ece)),
        "pooled": pooled,
        **({"voices_mean": float(np.mean([m["voices"]["score"] for m in per_fold if "voices" in m]))}
           if any("voices" in m for m in per_fold) else {}),
    }


def finished_folds(out: Path, layout: str = "blocks") -> list[dict]:
    """Every finished fold under OUT, whichever process ran it.

    Folds can be run side by side (`--folds 3` and `--folds 4` in two
    processes, one thread each, is the cheapest way on a 2-core machine), so
    the summary is built from what is on disk, not from this process's folds.
    Refuses to mix recipes: a fold trained with other settings is an error.
    """
    per_fold, first = [], None
    for k in range(1, n_folds(layout) + 1):
        run_dir = out / f"fold_{k}" / "run"
        if not (run_dir / "metrics.json").exists():
            continue
        # Settings added after a fold was run are read as their defaults.
        config = {**DEFAULTS, **json.loads((run_dir / "config.json").read_text())}
        this = {key: v for key, v in config.items() if key not in PER_FOLD_FIELDS}
        if first is None:
            first = this
        elif this != first:
            diff = sorted(key for key in set(this) | set(first) if this.get(key) != first.get(key))
            raise SystemExit(f"error: {out}/fold_{k} was trained with other settings ({', '.join(diff)}); "
                             "use a new --out for a new recipe")
        test, val = fold_actors(k, layout)
        if parse_actors(config["test_actors"]) != parse_actors(test):
            raise SystemExit(f"error: {out}/fold_{k} tested actors {config['test_actors']}, not fold {k} of the "
                             f"'{layout}' layout ({test}); use a new --out for another layout")
        record = json.loads((run_dir / "metrics.json").read_text())
        fold = {**record["test"], "fold": k, "test_actors": test, "val_actors": val}
        for corpus in CORPORA:  # a recipe with other corpora: their held-out speakers, reported per fold
            for part in ("test", "val"):
                if f"{corpus}_{part}" in record:
                    n = record[f"{corpus}_{part}"]
                    fold[f"{corpus}_{part}"] = {"accuracy": n["accuracy"], "uar": n["uar"], "n": n["n"],
                                                "speakers": n["speakers"], "neutral_recall": n["per_class"].get("neutral")}
        voices = voices_of(fold, config)
        if voices:
            fold["voices"] = voices
        channels = out / f"fold_{k}" / CHANNELS_FILE
        if channels.exists():  # the fold's held-out actors through benchmark channels (--channels)
            bench = json.loads(channels.read_text())
            fold["channels"] = dict(bench["channels"])
            fold["channels_command"] = bench["command"]
        per_fold.append(fold)
    return per_fold


def voices_of(fold: dict, config: dict) -> dict:
    """A development fold's held-out UAR in every corpus its recipe trains on: RAVDESS's
    held-out actors, and each other corpus's validation speakers where the epoch was
    picked by RAVDESS alone (--select-on main: they chose nothing, so they are as unheard
    as test speakers). {} where that is not so. Test speakers never enter it."""
    if config.get("select_on", "all") != "main":
        return {}
    per_corpus = {MAIN: fold["uar"], **{c: fold[f"{c}_val"]["uar"] for c in CORPORA if f"{c}_val" in fold}}
    return {"per_corpus": per_corpus, "score": float(np.mean(list(per_corpus.values())))}


CHANNELS_FILE = "channels.json"  # python -m train.generalisation's JSON for a fold's held-out actors


def score_channels(out: Path, k: int, layout: str, names: str, data: str, nemo: str, threads: int, cache: str = ".cache") -> None:
    """Fold k's weights on its own held-out actors through the benchmark's channels `names`
    (train.channels; babble from nEMO's test speakers, hence `nemo`), written to
    OUT/fold_k/channels.json unless a record of the same channels is there already."""
    path = out / f"fold_{k}" / CHANNELS_FILE
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    if path.exists() and list(json.loads(path.read_text())["channels"]) == wanted:
        return
    test, _ = fold_actors(k, layout)
    benchmark(["--weights", str(out / f"fold_{k}"), "--data", data, "--nemo", nemo, "--actors", test,
               "--channels", ",".join(wanted), "--threads", str(threads), "--cache", cache, "--json", str(path)])


def markdown(summary: dict, command: str) -> str:
    lines = [f"`{command}`", "", "| fold | test actors | val actors | accuracy (WA) | UAR (UA) | ECE |", "| --- | --- | --- | --- | --- | --- |"]
    for m in summary["folds"]:
        lines.append(f"| {m['fold']} | {m['test_actors']} | {m['val_actors']} | {m['accuracy']:.1%} | {m['uar']:.1%} | {m.get('ece', float('nan')):.1%} |")
    lines.append(f"| **mean ± sd** | | | **{summary['accuracy_mean']:.1%} ± {summary['accuracy_sd']:.1%}** | "
                 f"{summary['uar_mean']:.1%} ± {summary['uar_sd']:.1%} | {summary['ece_mean']:.1%} |")
    voiced = [m for m in summary["folds"] if "voices" in m]
    if voiced:  # the voices score: held-out UAR in every corpus, each weighing the same
        names = list(voiced[0]["voices"]["per_corpus"])
        rows = [(m["fold"], [m["voices"]["per_corpus"].get(n, np.nan) for n in names], m["voices"]["score"]) for m in voiced]
        lines += fold_table("Held-out speakers in every corpus (UAR; the voices score is their mean):",
                            [*names, "voices score"], [(k, [f"{v:.1%}" for v in cells] + [f"**{score:.1%}**"]) for k, cells, score in rows])
        lines.append("| **mean** | " + " | ".join(f"{v:.1%}" for v in np.mean([cells for _, cells, _ in rows], axis=0))
                     + f" | **{np.mean([score for *_, score in rows]):.1%}** |")
    scored = [m for m in summary["folds"] if "channels" in m]
    if scored:  # --channels: the same held-out actors through benchmark channels
        names = list(scored[0]["channels"])
        lines += fold_table("Held-out actors through the benchmark's channels (accuracy):", ["clean", *names, "mean"],
                            [(m["fold"], [f"{m['accuracy']:.1%}", *(f"{m['channels'].get(n, float('nan')):.1%}" for n in names),
                                          f"{np.mean(list(m['channels'].values())):.1%}"]) for m in scored])
    lines += ["", "Summed confusion matrix:", "", "```", format_report(summary["pooled"]), "```"]
    return "\n".join(lines) + "\n"


def fold_table(title: str, head: list[str], rows: list[tuple[int, list[str]]]) -> list[str]:
    """A titled Markdown table with a row of cells per fold."""
    return (["", title, "", "| fold | " + " | ".join(head) + " |", "| --- |" + " --- |" * len(head)]
            + [f"| {k} | " + " | ".join(cells) + " |" for k, cells in rows])


def parser() -> argparse.ArgumentParser:
    """Every `python -m train` flag, plus the folds to run."""
    p = argparse.ArgumentParser(prog="python -m train.crossval", description=__doc__.splitlines()[0])
    add_config_flags(p)
    p.set_defaults(out="runs/crossval")
    p.add_argument("--folds", default="",
                   help="folds to run here, e.g. 6 or 1,2 (default: all of the layout's); others may run in other processes")
    p.add_argument("--summarise", action="store_true", help="run nothing: rebuild the table from the folds in OUT")
    p.add_argument("--channels", default="",
                   help="also score each fold's held-out actors through these benchmark channels (comma-separated "
                        "train.channels names, e.g. telephone_g711,room_office; with --summarise, folds that lack them)")
    p.add_argument("--benchmark-nemo", default="../shared/nemo",
                   help="nEMO folder whose test speakers make the channels' babble (default: %(default)s)")
    p.add_argument("--layout", choices=sorted(LAYOUTS), default="blocks",
                   help="blocks: actors 1-4, 5-8, ... (fold 6 = the shipped split); emobox: EmoBox's folds; "
                        "development: five folds of actors 1-20, never 21-24, to choose recipes (default: %(default)s)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    total = n_folds(args.layout)
    folds = [] if args.summarise else [int(f) for f in args.folds.split(",") if f.strip()] or list(range(1, total + 1))
    if any(not 1 <= k <= total for k in folds):
        raise SystemExit(f"error: the {args.layout} layout's folds are numbered 1 to {total}; got {args.folds}")
    base = config_from(args)
    out = Path(base.out)
    command = "python -m train.crossval " + shlex.join(argv)
    for k in folds:
        test, val = fold_actors(k, args.layout)
        cfg = replace(base, out=str(out / f"fold_{k}"), test_actors=test, val_actors=val,
                      train_actors=fold_train_actors(k, args.layout))
        train_and_report(cfg, command=f"{command}  # fold {k}")
        if args.channels:
            score_channels(out, k, args.layout, args.channels, base.data, args.benchmark_nemo, base.threads, base.cache)
        write_summary(out, command, args.layout)  # after every fold, so a stopped run still reports
    if args.summarise and args.channels:
        for fold in finished_folds(out, args.layout):
            score_channels(out, fold["fold"], args.layout, args.channels, base.data, args.benchmark_nemo, base.threads,
                           base.cache)
    summary = write_summary(out, command, args.layout)
    print(markdown(summary, command))
    missing = total - len(summary["folds"])
    if missing:
        print(f"note: {missing} of {total} folds not run yet under {out}; the mean is over the finished ones")
    return 0


def write_summary(out: Path, command: str, layout: str = "blocks") -> dict:
    per_fold = finished_folds(out, layout)
    summary = {"command": command, "layout": layout, **summarise(per_fold)}
    if per_fold:  # the recipe, so a model card can tell whether these figures are its own
        config = json.loads((out / f"fold_{per_fold[0]['fold']}" / "run" / "config.json").read_text())
        summary["recipe"] = {k: config.get(k, v) for k, v in recipe(config).items()}  # with the folders it read
    (out / "crossval.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "crossval.md").write_text(markdown(summary, command))
    return summary


if __name__ == "__main__":
    sys.exit(main())

"""Write the model card (weights/README.md, Hugging Face format) from config.json and the experiment records.

    python -m train.model_card --weights weights
    python -m train.model_card --crossval runs/cv/crossval.json --recipe "One sentence on the recipe."
    python -m train.model_card --alternative runs/cv_H/crossval.json "Class-weighted loss." --trimming trimming.json
    python -m train.model_card --emobox runs/cv_emobox/crossval.json --recipe "One sentence on the recipe."

The card's body is emotion.card.model_card: every number comes from the
weights' own config.json, rendered by the same code as the app's About panel.
Results measured by *other* runs (a cross-validation, the trimming experiment)
live in experiments/ -- the manifest experiments/model_card.json and the
summaries it names -- never in config.json, so retraining the weights cannot
erase them. A cross-validation is shown only when its recipe is the recipe of
the weights (the ensemble size and per-fold fields aside): a card never
claims another recipe's figures. `python -m train` writes the card at the end
of every run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from emotion.card import PUBLISHED, confusion_table, model_card
from emotion.checkpoint import read_config, update_config
from emotion.labels import format_actors, parse_actors

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "experiments" / "model_card.json"  # which experiment records the card shows


def load_records(path: Path = RECORDS) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def crossval_section(cv: dict, recipe: str) -> str:
    rows = "\n".join(
        f"| {m['fold']} | {format_actors(parse_actors(m['test_actors']))} | {format_actors(parse_actors(m['val_actors']))} "
        f"| {m['accuracy']:.1%} | {m['uar']:.1%} | {m['ece']:.1%} |"
        for m in cv["folds"]
    )
    recall = " | ".join(f"{r:.0%}" for r in cv["pooled"]["per_class"].values())
    return f"""
## Six-fold cross-validation by actor

{recipe} Every actor is a test actor exactly once; each fold's validation
actors (early stopping, calibration) are the previous fold's test block.
`{cv['command']}`

| fold | test actors | validation actors | accuracy | UAR | ECE |
| --- | --- | --- | --- | --- | --- |
{rows}
| **mean ± sd** | | | **{cv['accuracy_mean']:.1%} ± {cv['accuracy_sd']:.1%}** | {cv['uar_mean']:.1%} ± {cv['uar_sd']:.1%} | {cv['ece_mean']:.1%} |

Recall per class over all {cv['pooled']['n']} clips ({' | '.join(cv['pooled']['per_class'])}): {recall}

{confusion_table(cv['pooled'])}
"""


def alternative(cv: dict, recipe: str) -> dict:
    """A crossval summary reduced to the card's row: per-fold accuracy and the
    mean over the folds whose test actors are not 21-24 (the ones that choose)."""
    folds = sorted(cv["folds"], key=lambda m: m["fold"])
    if [m["fold"] for m in folds] != list(range(1, 7)):
        raise SystemExit(f"error: {recipe!r} has folds {[m['fold'] for m in folds]}; the card needs all six")
    return {"recipe": recipe, "command": cv.get("command", ""), "fold_accuracy": [m["accuracy"] for m in folds],
            "choice_accuracy": sum(m["accuracy"] for m in folds[:5]) / 5, "per_class": cv["pooled"]["per_class"],
            **{k: cv[k] for k in ("accuracy_mean", "accuracy_sd", "uar_mean", "uar_sd")}}


def alternatives_section(rows: list[dict], shipped: dict) -> str:
    rows = [shipped, *rows]
    table = "\n".join(
        f"| {r['recipe']} | {' / '.join(f'{a:.1%}' for a in r['fold_accuracy'])} | {r['choice_accuracy']:.1%} | "
        f"**{r['accuracy_mean']:.1%} ± {r['accuracy_sd']:.1%}** | {r['uar_mean']:.1%} | "
        f"{r['per_class']['neutral']:.0%} / {r['per_class']['calm']:.0%} |"
        for r in rows
    )
    weighted = [r for r in rows[1:] if "--class-weight" in r["command"]]
    note = ""
    if weighted:  # the reading of the class-weighting row, in its own numbers
        w = weighted[0]
        note = (
            "\nNeutral has half as many clips as each other emotion, and neutral and calm are the pair most often "
            f"confused. A class-weighted loss moves neutral recall from {shipped['per_class']['neutral']:.0%} to "
            f"{w['per_class']['neutral']:.0%} and calm from {shipped['per_class']['calm']:.0%} to "
            f"{w['per_class']['calm']:.0%}, at {100 * (w['choice_accuracy'] - shipped['choice_accuracy']):+.1f} points of accuracy on "
            "folds 1–5, so the shipped recipe does not weight classes.\n"
        )
    return f"""
## Cross-validated and not shipped

Each row is one model per fold, the same six folds as above. The "folds 1–5" column
is what these recipes were first compared on; those folds train on actors 21–24 (and
fold 1 stops early on them), so it is a comparison, not a clean choice: since then
recipes are chosen on actors 1–20 alone (`python -m train.crossval --layout development`).

| recipe | accuracy, folds 1–6 | folds 1–5 (choice) | mean ± sd | UAR | recall neutral / calm |
| --- | --- | --- | --- | --- | --- |
{table}
{note}"""


def emobox_section(cv: dict, recipe: str) -> str:
    """The recipe on EmoBox's six RAVDESS folds, beside the published figures on the same folds."""
    if cv.get("layout") != "emobox":
        raise SystemExit(f"error: {cv.get('command', 'this summary')!r} is not on EmoBox's folds (--layout emobox)")
    folds = sorted(cv["folds"], key=lambda m: m["fold"])
    if [m["fold"] for m in folds] != list(range(1, 7)):
        raise SystemExit(f"error: the EmoBox summary has folds {[m['fold'] for m in folds]}; the card needs all six")
    rows = "\n".join(
        f"| {m['fold']} | {format_actors(parse_actors(m['test_actors']))} | {m['accuracy']:.1%} | {m['uar']:.1%} |" for m in folds
    )
    published = "\n".join(f"| {name} | {acc} |" for name, acc in PUBLISHED if "EmoBox" in name)
    return f"""
## EmoBox folds: the figure that sits beside published ones

{recipe} The EmoBox benchmark's six RAVDESS folds by test actors, each fold's
validation actors taken from its own training actors. WA is accuracy, UA the
unweighted average recall. `{cv['command']}`

| fold | test actors | WA | UA |
| --- | --- | --- | --- |
{rows}
| **mean ± sd** | | **{cv['accuracy_mean']:.1%} ± {cv['accuracy_sd']:.1%}** | {cv['uar_mean']:.1%} ± {cv['uar_sd']:.1%} |

Published on the same folds (WA; self-supervised models pre-trained on thousands of
hours of speech, frozen, with a small head):

| system | WA |
| --- | --- |
{published}
| **M5 from scratch, this recipe, one model** | **{cv['accuracy_mean']:.1%}** |
"""


def choice_rows(record: dict, folder: Path) -> tuple[list[dict], list[dict]]:
    """The development-layout summaries a choice record names, checked to be comparable:
    the same folds of `--layout development` (actors 1-20 only), one per recipe."""
    summaries = [json.loads((folder / r["summary"]).read_text()) for r in record["recipes"]]
    folds = None
    for r, cv in zip(record["recipes"], summaries):
        if cv.get("layout") != "development":
            raise SystemExit(f"error: {r['summary']} is not on the development layout (--layout development)")
        these = sorted(m["fold"] for m in cv["folds"])
        if folds is not None and these != folds:
            raise SystemExit(f"error: {r['summary']} has folds {these}, the other recipe {folds}: compare the same folds")
        folds = these
    return record["recipes"], summaries


def choice_section(record: dict, folder: Path, config: dict) -> str:
    """How the shipped recipe was chosen: a baseline and a candidate, paired by fold on the
    development layout, and the rule written before the runs."""
    from .crossval import recipe_differences

    recipes, (base, cand) = choice_rows(record, folder)
    by_fold = {m["fold"]: m for m in cand["folds"]}
    with_nemo = any("nemo_test" in m for m in cand["folds"])  # a column only for a candidate that heard nEMO
    rows, diffs = [], []
    for m in sorted(base["folds"], key=lambda m: m["fold"]):
        c = by_fold[m["fold"]]
        diffs.append(100 * (c["accuracy"] - m["accuracy"]))
        nemo = (f" {c['nemo_test']['accuracy']:.1%} |" if "nemo_test" in c else " — |") if with_nemo else ""
        rows.append(f"| {m['fold']} | {format_actors(parse_actors(m['test_actors']))} | {m['accuracy']:.1%} | {c['accuracy']:.1%} "
                    f"| {diffs[-1]:+.1f} |{nemo}")
    delta = sum(diffs) / len(diffs)
    nemo_folds = [m["nemo_test"]["accuracy"] for m in cand["folds"] if "nemo_test" in m]
    nemo_mean = f" {sum(nemo_folds) / len(nemo_folds):.1%} |" if len(nemo_folds) == len(cand["folds"]) else (" |" if with_nemo else "")
    nemo_head = f" {recipes[1]['name']} on nEMO's unseen speakers |" if with_nemo else ""
    passes = delta >= record["margin"]
    channels = None
    if record.get("channel_margin") is not None:  # the rule also asks for robustness through channels
        channels = channel_comparison(base, cand)
        if channels is None:
            raise SystemExit(NO_CHANNELS)
        passes = passes and channels["delta"] >= record["channel_margin"]
    gains = {}  # the rule may also ask a gain on one channel of its own (e.g. the laptop microphone)
    for name, needed in record.get("channel_gains", {}).items():
        gains[name] = channel_gain(base, cand, name)
        passes = passes and gains[name]["delta"] >= needed
    chosen = recipes[1] if passes else recipes[0]
    shipped = [r["name"] for r, cv in zip(recipes, (base, cand)) if not recipe_differences(cv, config["training"]["config"])]
    names = f"{recipes[0]['name']} | {recipes[1]['name']}"
    channel_text = ""
    if channels:
        a, b = recipes[0]["name"], recipes[1]["name"]
        rows_ch = "\n".join(f"| {k} | {x:.1%} | {y:.1%} | {100 * (y - x):+.1f} |" for k, x, y in channels["folds"])
        channel_text = f"""
The same held-out actors through {len(channels['names'])} of the generalisation benchmark's channels
({', '.join(channels['names'])}; its rooms, seeds and noise material are not training's), mean accuracy:

| fold | {a} | {b} | {b} − {a} (points) |
| --- | --- | --- | --- |
{rows_ch}
| **mean** | **{channels['base']:.1%}** | **{channels['cand']:.1%}** | **{channels['delta']:+.1f}** |
"""
    for name, g in gains.items():
        a, b = recipes[0]["name"], recipes[1]["name"]
        rows_g = "\n".join(f"| {k} | {x:.1%} | {y:.1%} | {100 * (y - x):+.1f} |" for k, x, y in g["folds"])
        channel_text += f"""
Through {name} alone (the rule asks {record['channel_gains'][name]:+g} points of it):

| fold | {a} | {b} | {b} − {a} (points) |
| --- | --- | --- | --- |
{rows_g}
| **mean** | **{g['base']:.1%}** | **{g['cand']:.1%}** | **{g['delta']:+.1f}** |
"""
    return f"""
## How the recipe was chosen: cross-validation on actors 1–20 alone

**{recipes[0]['name']}**: {recipes[0]['recipe']} **{recipes[1]['name']}**: {recipes[1]['recipe']}
One model per fold, paired by fold, on five folds of RAVDESS actors 1–20 (each
fold tests four actors, validates on the previous four, trains on the other
twelve); the test actors 21–24 train, stop or test in none of them. The rule,
written before the runs: {record['rule']}

| fold | test actors | {names} | {recipes[1]['name']} − {recipes[0]['name']} (points) |{nemo_head}
| --- | --- | --- | --- | --- |{' --- |' if with_nemo else ''}
{chr(10).join(rows)}
| **mean** | | **{base['accuracy_mean']:.1%}** | **{cand['accuracy_mean']:.1%}** | **{delta:+.1f}** |{nemo_mean}
{channel_text}
By that rule: **{chosen['name']}**{' (these weights)' if shipped and shipped[0] == chosen['name'] else ''}.
"""


NO_CHANNELS = ("error: a rule with a channel margin needs both recipes' folds scored through the same channels "
               "(python -m train.crossval --channels ... --summarise)")


def channel_comparison(base: dict, cand: dict) -> dict | None:
    """Two development-layout summaries' folds through the same benchmark channels
    (crossval --channels): per fold the mean accuracy over the channels, and the
    mean difference in points; None when either recipe lacks them on some fold."""
    by_fold = {m["fold"]: m for m in cand["folds"]}
    folds = sorted(base["folds"], key=lambda m: m["fold"])
    if not all("channels" in m and "channels" in by_fold[m["fold"]] for m in folds):
        return None
    names = list(folds[0]["channels"])
    if any(list(m["channels"]) != names or list(by_fold[m["fold"]]["channels"]) != names for m in folds):
        raise SystemExit("error: the two recipes' folds were heard through different channels")
    return {"names": names, **paired(base, cand, lambda m: sum(m["channels"].values()) / len(names))}


def channel_gain(base: dict, cand: dict, name: str) -> dict:
    """One benchmark channel of two development-layout summaries, fold by fold: accuracies
    and the mean difference in points. Refuses when a fold of either lacks it."""
    if not all(name in m.get("channels", {}) for m in base["folds"] + cand["folds"]):
        raise SystemExit(f"error: the rule asks a gain through {name}, but not every fold of both recipes was scored "
                         f"through it (python -m train.crossval --channels ... --summarise)")
    return paired(base, cand, lambda m: m["channels"][name])


def paired(base: dict, cand: dict, score) -> dict:
    """`score` of each fold of two summaries with the same folds: rows (fold, baseline, candidate),
    both means, and the mean difference in points."""
    by_fold = {m["fold"]: m for m in cand["folds"]}
    rows = [(m["fold"], score(m), score(by_fold[m["fold"]])) for m in sorted(base["folds"], key=lambda m: m["fold"])]
    return {"folds": rows, "base": sum(r[1] for r in rows) / len(rows), "cand": sum(r[2] for r in rows) / len(rows),
            "delta": sum(100 * (y - x) for _, x, y in rows) / len(rows)}


def trimming_section(rows: list[dict], shipped_trims: bool) -> str:
    table = "\n".join(f"| {r['setting']} | {r['val_uar']:.1%} | {r['test_accuracy']:.1%} | {r['test_uar']:.1%} |" for r in rows)
    return f"""
## Silence trimming before the model

One model each, the same recipe otherwise (details in the project's `experiments/README.md`).
Validation UAR decides; the test columns are reported, never used to choose.

| setting | validation UAR | test accuracy | test UAR |
| --- | --- | --- | --- |
{table}

The shipped model hears the clip {'trimmed' if shipped_trims else 'untrimmed'}.
"""


def experiment_sections(config: dict, records: dict, folder: Path) -> str:
    """The card's sections on other runs, from the records that apply to these weights."""
    from .crossval import recipe_differences

    out = []
    cv_record = records.get("crossval")
    if cv_record:
        cv = json.loads((folder / cv_record["summary"]).read_text())
        if not recipe_differences(cv, config["training"]["config"]):
            out.append(crossval_section(cv, cv_record["recipe"]))
            rows = [alternative(json.loads((folder / a["summary"]).read_text()), a["recipe"]) for a in records.get("alternatives", [])]
            if rows:
                out.append(alternatives_section(rows, alternative(cv, "**this recipe, as one model** (table above)")))
    emobox = records.get("emobox")
    if emobox:
        cv = json.loads((folder / emobox["summary"]).read_text())
        if not recipe_differences(cv, config["training"]["config"]):
            out.append(emobox_section(cv, emobox["recipe"]))
    if records.get("choice"):
        out.append(choice_section(records["choice"], folder, config))
    if records.get("trimming"):
        out.append(trimming_section(json.loads((folder / records["trimming"]).read_text()), config["preprocessing"]["trim"]))
    return "".join(out)


def complete_training_record(weights) -> dict:
    """Weights trained before runs described their own augmentation get that
    description now, from the training config they recorded (the same function
    a run uses), so their card is rendered like any other."""
    config = read_config(weights)
    training = config["training"]
    if "augmentation" not in training or "optimisation" not in training:
        from .train import TrainConfig, describe_training

        known = {k: v for k, v in training["config"].items() if k in TrainConfig.__dataclass_fields__}
        training = {**training, **describe_training(TrainConfig(**known))}
        config = update_config(weights, training=training)
    return config


def write_model_card(weights, records: Path | None = None) -> Path:
    """weights/README.md from its config.json and the experiment records (default: the repository's)."""
    records = Path(records) if records is not None else RECORDS
    config = complete_training_record(weights)
    path = Path(weights) / "README.md"
    path.write_text(model_card(config, experiment_sections(config, load_records(records), records.parent)))
    return path


def keep(summary: Path, folder: Path) -> str:
    """A summary file inside the experiments folder (copied there if it is not), relative to it."""
    summary = summary.resolve()
    if folder.resolve() not in summary.parents:
        target = folder / summary.parent.name / summary.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(summary, target)
        summary = target.resolve()
    return summary.relative_to(folder.resolve()).as_posix()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.model_card", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="weights")
    parser.add_argument("--records", default=str(RECORDS), help="the experiment-records manifest (default: %(default)s)")
    parser.add_argument("--crossval", help="record this crossval.json (python -m train.crossval) as the recipe's cross-validation")
    parser.add_argument("--recipe", default="", help="one sentence on what the cross-validated recipe is")
    parser.add_argument("--trimming", help="record this JSON list of trimming results")
    parser.add_argument("--emobox", help="record this crossval.json (python -m train.crossval --layout emobox) as the recipe's EmoBox result")
    parser.add_argument("--alternative", nargs=2, action="append", metavar=("CROSSVAL_JSON", "RECIPE"), default=[],
                        help="record a cross-validated recipe that was not shipped, and one sentence on it (repeatable)")
    parser.add_argument("--choice", nargs=3, action="append", metavar=("CROSSVAL_JSON", "NAME", "RECIPE"), default=[],
                        help="with --rule and --margin: the baseline, then the candidate, on --layout development")
    parser.add_argument("--rule", default="", help="the choice's rule, as written before its runs")
    parser.add_argument("--margin", type=float, default=None,
                        help="the candidate is chosen when its mean accuracy minus the baseline's is at least this (points)")
    parser.add_argument("--channel-margin", type=float, default=None,
                        help="with --choice: the candidate must also gain at least this many points of mean accuracy "
                             "through the channels its folds were scored on (python -m train.crossval --channels)")
    parser.add_argument("--channel-gain", action="append", default=[], metavar="NAME=POINTS",
                        help="with --choice: the candidate must also gain at least POINTS of accuracy through the "
                             "benchmark channel NAME alone (repeatable)")
    args = parser.parse_args(argv)
    records_path = Path(args.records)
    folder = records_path.parent
    records = load_records(records_path)
    if args.crossval:
        records["crossval"] = {"summary": keep(Path(args.crossval), folder), "recipe": args.recipe}
    if args.trimming:
        records["trimming"] = keep(Path(args.trimming), folder)
    if args.emobox:
        emobox_section(json.loads(Path(args.emobox).read_text()), args.recipe)  # refuses another layout or a partial run now
        records["emobox"] = {"summary": keep(Path(args.emobox), folder), "recipe": args.recipe}
    if args.alternative:
        for path, recipe in args.alternative:
            alternative(json.loads(Path(path).read_text()), recipe)  # refuses a partial cross-validation now
        records["alternatives"] = [{"summary": keep(Path(path), folder), "recipe": recipe} for path, recipe in args.alternative]
    if (args.channel_gain or args.channel_margin is not None) and not args.choice:
        raise SystemExit("error: --channel-margin and --channel-gain are parts of a --choice rule")
    if args.choice:
        if len(args.choice) != 2 or not args.rule or args.margin is None:
            raise SystemExit("error: --choice twice (baseline, candidate), with --rule and --margin")
        records["choice"] = {"recipes": [{"summary": keep(Path(p), folder), "name": n, "recipe": r} for p, n, r in args.choice],
                             "rule": args.rule, "margin": args.margin}
        if args.channel_margin is not None:
            records["choice"]["channel_margin"] = args.channel_margin
        for item in args.channel_gain:
            name, _, points = item.partition("=")
            try:
                records["choice"].setdefault("channel_gains", {})[name.strip()] = float(points)
            except ValueError:
                raise SystemExit(f"error: --channel-gain takes NAME=POINTS (e.g. laptop_mic=5), not '{item}'") from None
        _, (base, cand) = choice_rows(records["choice"], folder)  # refuses another layout or unpaired folds now
        for name in records["choice"].get("channel_gains", {}):
            channel_gain(base, cand, name)  # refuses a channel the folds were not scored through, now
        if args.channel_margin is not None and not channel_comparison(base, cand):
            raise SystemExit(NO_CHANNELS)
    if args.crossval or args.trimming or args.alternative or args.emobox or args.choice:
        folder.mkdir(parents=True, exist_ok=True)
        records_path.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {write_model_card(args.weights, records_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write the model card (weights/README.md, Hugging Face format) from config.json and the experiment records.

    python -m train.model_card --weights weights
    python -m train.model_card --crossval runs/cv/crossval.json --recipe "One sentence on the recipe."
    python -m train.model_card --alternative runs/cv_H/crossval.json "Class-weighted loss." --trimming trimming.json
    python -m train.model_card --emobox runs/cv_emobox/crossval.json --recipe "One sentence on the recipe."
    python -m train.model_card --ship ship_V7.json "One sentence on the ensemble." --rule "..."
    python -m train.model_card --voices compare.json --choice cv_V3b.json V3b "..." --choice cv_V4.json V4 "..." --rule "..."

The card itself is train.reports.card's; this records which experiments it
shows (experiments/model_card.json) and writes it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from emotion.checkpoint import read_config

from .reports.card import (NO_CHANNELS, RECORDS, alternative, channel_comparison, channel_gain, choice_rows, emobox_section, ship_section,
                           load_records, voices_verdict, write_model_card)


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
    parser.add_argument("--voices", metavar="COMPARISON_JSON",
                        help="with --choice (each candidate, any number) and --rule: the choice by issue 22's voices "
                             "score, read from scripts/compare_voices.py --json; replaces the --margin kind of choice")
    parser.add_argument("--ship", nargs=2, metavar=("CHECK_JSON", "RECIPE"),
                        help="with --rule: the shipped split's check these weights passed (scripts/ship_check.py --json) "
                             "and one sentence on the ensemble")
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
    if args.ship:
        if not args.rule or args.choice:
            raise SystemExit("error: --ship takes --rule (and no --choice: the development folds' choice is recorded apart)")
        records["ship"] = {"check": keep(Path(args.ship[0]), folder), "recipe": args.ship[1], "rule": args.rule}
        ship_section(records["ship"], folder, read_config(args.weights))  # refuses another kind of JSON now
    if args.voices:
        if not args.choice or not args.rule or args.margin is not None or args.channel_margin is not None or args.channel_gain:
            raise SystemExit("error: --voices takes --choice for each candidate and --rule (no margins: the rule is "
                             "compare_voices's)")
        records["voices"] = {"comparison": keep(Path(args.voices), folder), "rule": args.rule,
                             "recipes": [{"summary": keep(Path(p), folder), "name": n, "recipe": r} for p, n, r in args.choice]}
        voices_verdict(records["voices"], folder)  # refuses a candidate the comparison lacks, or other folds, now
    elif args.choice:
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
    if args.crossval or args.trimming or args.alternative or args.emobox or args.choice or args.voices or args.ship:
        folder.mkdir(parents=True, exist_ok=True)
        records_path.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {write_model_card(args.weights, records_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

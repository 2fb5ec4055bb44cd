"""What a run reports, drawn from what it recorded: figures, the model card, tables.

    write_reports("weights")   # run/curves.png, run/confusion_test.png and README.md, from config.json and run/

Reports read a run's folder (config.json, run/log.jsonl) rather than the
objects of the process that trained it, so any finished run -- trained,
assembled or recalibrated -- is drawn the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

from emotion.checkpoint import read_config
from emotion.labels import EMOTIONS, format_actors

from .card import write_model_card
from .plots import plot_confusion, plot_curves


def member_logs(run_dir: Path) -> list[list[dict]]:
    """run/log.jsonl's rows, one list per ensemble member, in member order."""
    logs: dict[int, list[dict]] = {}
    for line in (run_dir / "log.jsonl").read_text().splitlines():
        row = json.loads(line)
        logs.setdefault(row.get("member", 0), []).append(row)
    return [logs[k] for k in sorted(logs)]


def write_reports(out) -> None:
    """The learning curves, the test confusion matrix and the model card of the run in `out`."""
    out = Path(out)
    run_dir = out / "run"
    plot_curves(member_logs(run_dir), run_dir / "curves.png")
    test = read_config(out)["metrics"]["test"]
    plot_confusion(test["confusion"], EMOTIONS, run_dir / "confusion_test.png",
                   f"Test actors {format_actors(test['actors'])}: accuracy {test['accuracy']:.1%}, UAR {test['uar']:.1%}")
    write_model_card(out)

"""Train M5 from scratch on RAVDESS (and nEMO) and write a shipped-weights folder.

    python -m train --data ../shared/ravdess --out weights                     # RAVDESS only
    python -m train --data ../shared/ravdess --nemo ../shared/nemo --voices 2 --codecs --channel-sim 0.5

The command line of train.run (the run) and train.reports (its figures and
model card). Every TrainConfig field is a flag, its comment the help; see
train.run for the split and what the output folder holds.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

from emotion.labels import format_actors

from .config import TrainConfig, parse_args, parse_speeds
from .corpora import CORPORA
from .fit import check_resume
from .metrics import format_report
from .reports import write_reports
from .run import resolve_split, run


def train_and_report(cfg: TrainConfig, command: str = "") -> dict:
    """run(), then the run's figures and model card; returns the run's metrics."""
    t0 = time.time()
    metrics = run(cfg, command)
    write_reports(cfg.out)
    print(format_report(metrics["test"], f"\nTest actors {format_actors(metrics['test']['actors'])} (never seen in training):"))
    print(f"wrote {Path(cfg.out)}/ in {time.time() - t0:.0f} s")
    return metrics


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    try:
        # A wrong flag or data folder is the user's to fix: one line, before any decoding.
        parse_speeds(cfg.test_time_speeds)
        split = resolve_split(cfg)
        for name, folder in cfg.corpus_folders().items():
            CORPORA[name].find_clips(folder)
        check_resume(cfg, Path(cfg.out) / "run", split)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f"python -m train: error: {e}") from None
    command = "python -m train " + shlex.join(sys.argv[1:] if argv is None else argv)
    train_and_report(cfg, command)
    return 0

"""Assemble an ensemble from single-model runs of one recipe, trained side by side.

    python -m train --ensemble 1 --seed 1337 --threads 1 --out runs/m0 [recipe flags]   # one process per core,
    python -m train --ensemble 1 --seed 1338 --threads 1 --out runs/m1 [recipe flags]   # at the same time
    python -m train --ensemble 1 --seed 1339 --threads 1 --out runs/m2 [recipe flags]
    python -m train.assemble runs/m0 runs/m1 runs/m2 --out weights

`python -m train --ensemble N` trains its members one after another; on a
machine with several cores it is faster to train them as separate processes
and join them here. Member k of `--ensemble N --seed S` is trained exactly as a
single run with `--seed S+k` (same seed, same data order, same augmentation
draws), so with the same thread count the assembled weights are bit for bit
those of the one-command run (tests/test_training.py checks it), and the
record says which command reproduces them. The stages after training --
calibration on the validation speakers, one hearing of the test speakers,
reports and the model card -- are the training run's own.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from emotion.checkpoint import load_checkpoint, read_config
from emotion.model import M5, M5Ensemble

from .config import TrainConfig, recipe
from .reports import write_reports
from .run import calibrate_and_save, checkpoint_metadata, load_split, record_metrics, write_run_record


def check_members(configs: list[dict]) -> None:
    """One recipe, one split, one thread count, consecutive seeds: or SystemExit saying what differs."""
    first = configs[0]["training"]
    for k, config in enumerate(configs):
        training = config["training"]
        if config.get("ensemble_size", 1) != 1:
            raise SystemExit(f"error: member {k} is already an ensemble; assemble single-model runs")
        mine, theirs = recipe(training["config"]), recipe(first["config"])
        differ = sorted(key for key in set(mine) | set(theirs) if key != "seed" and mine.get(key) != theirs.get(key))
        if differ:
            raise SystemExit(f"error: member {k} was trained with other settings ({', '.join(differ)})")
        if training["split"] != first["split"]:
            raise SystemExit(f"error: member {k} was trained on another split")
        if training["config"]["seed"] != first["config"]["seed"] + k:
            raise SystemExit(f"error: member seeds must be consecutive (seed, seed+1, ...); member {k} has "
                             f"{training['config']['seed']}")
        if training.get("threads") != first.get("threads"):
            raise SystemExit("error: members were trained with different thread counts, so no single run reproduces them")


def equivalent_command(member_command: str, n: int) -> str:
    """The one `python -m train` command whose members these are: the first member's, with --ensemble N."""
    args = [a for a in shlex.split(member_command) if a not in ("--resume", "--no-resume")]  # how, not what
    for flag in ("--ensemble", "--out"):
        while flag in args:
            i = args.index(flag)
            del args[i : i + 2]
    return shlex.join([*args, "--ensemble", str(n), "--out", "weights"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.assemble", description=__doc__.splitlines()[0])
    parser.add_argument("members", nargs="+", help="weights folders of single-model runs, seed order")
    parser.add_argument("--out", required=True, help="where the ensemble's weights go")
    parser.add_argument("--data", help="RAVDESS folder (default: the members' own)")
    parser.add_argument("--nemo", help="nEMO folder (default: the members' own)")
    parser.add_argument("--device", default="", help="'' = cuda when available, else cpu")
    args = parser.parse_args(argv)
    t0 = time.time()

    configs = [read_config(m) for m in args.members]
    check_members(configs)
    first = configs[0]["training"]
    n = len(configs)
    cfg = TrainConfig(**{k: v for k, v in first["config"].items() if k in TrainConfig.__dataclass_fields__})
    cfg = replace(cfg, ensemble=n, out=args.out, data=args.data or cfg.data, nemo=args.nemo if args.nemo is not None else cfg.nemo)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.set_num_threads(first.get("threads") or torch.get_num_threads())

    members = [load_checkpoint(m, device)[0] for m in args.members]
    assert all(isinstance(m, M5) for m in members)
    model = M5Ensemble(members[0].config, n).to(device)
    for target, member in zip(model.members, members):
        target.load_state_dict(member.state_dict())
    model.eval()

    out = Path(args.out)
    command = equivalent_command(first["command"], n)
    split = first["split"]
    write_run_record(out / "run", cfg, command, split)
    with open(out / "run" / "log.jsonl", "w") as log_file:
        for k, member in enumerate(args.members):
            rows = [{**json.loads(line), "member": k} for line in (Path(member) / "run" / "log.jsonl").read_text().splitlines()]
            log_file.writelines(json.dumps(r) + "\n" for r in rows)
    train_seconds = sum(c["training"]["train_seconds"] for c in configs)
    bests = [{"epoch": c["training"]["best_epoch"], "trained_on": (c["training"].get("trained_on") or [[]])[0]}
             for c in configs]
    metadata = checkpoint_metadata(cfg, command, split, bests, train_seconds, device)
    metadata["training"].update(threads=first.get("threads"), assembled_from=[
        {"folder": str(m), "command": c["training"]["command"], "train_seconds": c["training"]["train_seconds"]}
        for m, c in zip(args.members, configs)])
    data = load_split(cfg, split)
    metrics = {**calibrate_and_save(model, metadata, data, out, device),
               "best_epoch": metadata["training"]["best_epoch"], "train_seconds": metadata["training"]["train_seconds"]}
    record_metrics(out, metrics)
    write_reports(out)
    print(json.dumps({k: metrics[k]["accuracy"] for k in metrics if isinstance(metrics[k], dict)}))
    print(f"assembled {n} members into {out}/ in {time.time() - t0:.0f} s; reproduce with: {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

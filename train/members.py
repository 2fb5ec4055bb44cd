"""Train an ensemble's members side by side, each able to stop and go on, then join them.

    python -m train.members --runs runs/shipped -- --data ../shared/ravdess [recipe flags] --ensemble 3 --out weights

Member k of `python -m train ... --ensemble N --seed S --out OUT` is trained as its own
process, `python -m train ... --ensemble 1 --seed S+k --threads T --resume --out
RUNS/member-k`, as many at once as --parallel says, and train.assemble joins them into
OUT: with one thread count the weights are bit for bit those of the one-process
command (train.assemble), which the joined weights record as their command.

Run it again after a stop (a closed laptop, a session's end, a killed job) and it goes
on: a finished member is kept, a stopped one resumes from its last epoch (train.state)
at the thread count it started with, so where it resumed changes nothing. Each
member's output is appended to RUNS/member-k/train.log.

How many at once: all members by default, each with the cores divided among them
(at least one thread). On 2 cores three members at one thread each finish sooner than
two and then one, and the cores are never idle; on 16 cores three get 5 threads each;
on a GPU the members share it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from emotion.inference import preprocess

from .assemble import main as assemble
from .batches import simulated_speakers_and_channels
from .config import parse_args, preprocessing_of, recipe
from .run import load_split, resolve_split


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def strip_flags(args: list[str], flags: tuple[str, ...]) -> list[str]:
    """`args` without each of `flags` and its value (`--flag V` or `--flag=V`)."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in flags:
            skip = True
        elif not any(a.startswith(f + "=") for f in flags):
            out.append(a)
    return out


def member_status(folder: Path, want: dict) -> str:
    """'done' (weights of this recipe), 'stopped' (a saved state), 'new'; SystemExit for a folder
    that holds another recipe's member."""
    config = folder / "run" / "config.json"
    if not config.exists():
        return "new"
    theirs = recipe(json.loads(config.read_text()))
    if theirs != want:
        differ = sorted(k for k in set(theirs) | set(want) if theirs.get(k) != want.get(k))
        raise SystemExit(f"error: {folder} holds a member of other settings ({', '.join(differ)}); "
                         "choose another --runs or remove it.")
    if (folder / "model.safetensors").exists() and (folder / "config.json").exists():
        return "done"
    return "stopped" if any((folder / "run").glob("state-member-*.pt")) else "new"


def recorded_threads(folder: Path) -> int | None:
    """The thread count a stopped member started with (its run/config.json)."""
    try:
        return json.loads((folder / "run" / "config.json").read_text()).get("threads") or None
    except (OSError, ValueError):
        return None


def prepare(cfg) -> None:
    """Decode the corpora and make the training versions of the clips (codecs, voices) once, here,
    with every core: members started together would otherwise each make the same caches."""
    t0 = time.time()
    data = load_split(cfg, resolve_split(cfg))
    pre = preprocessing_of(cfg)
    simulated_speakers_and_channels(cfg, data["train"]._replace(audio=[preprocess(a, pre) for a in data["train"].audio]))
    print(f"caches ready in {time.time() - t0:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ours, recipe_args = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(prog="python -m train.members", description=__doc__.split("\n\n")[0],
                                     usage="%(prog)s [--runs DIR] [--parallel N] -- TRAIN_FLAGS")
    parser.add_argument("--runs", default="runs/members", help="where the members' folders go (default: %(default)s)")
    parser.add_argument("--parallel", type=int, default=0, help="members trained at once (default: all of them)")
    args = parser.parse_args(ours)
    try:
        cfg = parse_args(recipe_args)
    except SystemExit:
        raise SystemExit("python -m train.members: give python -m train's flags after '--'") from None
    n, runs = cfg.ensemble, Path(args.runs)
    parallel = max(1, min(n, args.parallel or n))
    threads = cfg.threads or max(1, cores() // parallel)
    want = recipe(asdict(cfg))
    member_args = strip_flags(recipe_args, ("--ensemble", "--seed", "--out", "--threads"))
    member_args = [a for a in member_args if a not in ("--resume", "--no-resume")]

    folders = [runs / f"member-{k}" for k in range(n)]
    status = [member_status(f, {**want, "seed": cfg.seed + k}) for k, f in enumerate(folders)]
    commands = []
    for k, folder in enumerate(folders):
        t = (recorded_threads(folder) if status[k] == "stopped" else None) or threads
        commands.append([sys.executable, "-m", "train", *member_args, "--ensemble", "1", "--seed", str(cfg.seed + k),
                         "--threads", str(t), "--resume", "--out", str(folder)])
    todo = [k for k in range(n) if status[k] != "done"]
    print(f"{n} members in {runs}/: " + ", ".join(f"{k} {s}" for k, s in enumerate(status))
          + (f"; training {len(todo)}, {parallel} at a time, {threads} thread(s) each" if todo else ""))

    if len(todo) > 1 and any(status[k] == "new" for k in todo):
        prepare(cfg)
    t0, running, failed = time.time(), {}, []
    queue = list(todo)
    while queue or running:
        while queue and len(running) < parallel:
            k = queue.pop(0)
            folders[k].mkdir(parents=True, exist_ok=True)
            log = open(folders[k] / "train.log", "a")
            log.write(f"\n$ {shlex.join(commands[k][1:])}\n")
            log.flush()
            env = {**os.environ, "OMP_NUM_THREADS": commands[k][commands[k].index("--threads") + 1]}
            running[k] = (subprocess.Popen(commands[k], stdout=log, stderr=subprocess.STDOUT, env=env), log)
            print(f"member {k}: started (seed {cfg.seed + k}; log {folders[k] / 'train.log'})", flush=True)
        time.sleep(1.0)
        for k, (proc, log) in list(running.items()):
            if proc.poll() is None:
                continue
            log.close()
            del running[k]
            if proc.returncode:
                failed.append(k)
                print(f"member {k}: failed (exit {proc.returncode}); see {folders[k] / 'train.log'}", flush=True)
            else:
                print(f"member {k}: done after {time.time() - t0:.0f} s", flush=True)
    if failed:
        print("run the same command again to go on from where each member stopped", file=sys.stderr)
        return 1

    return assemble([*map(str, folders), "--out", cfg.out])


if __name__ == "__main__":
    sys.exit(main())

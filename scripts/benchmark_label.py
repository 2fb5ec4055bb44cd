"""How fast does `python -m emotion label` label an archive, where does the time go, and is its memory flat?

    python scripts/benchmark_label.py [--data ../shared/ravdess] [--device cpu|cuda] [--workers 0,1,2]
                                      [--memory-clips 20000] [--no-ray] [--weights DIR [--weights DIR2 ...]]

With several --weights (an ensemble and the one member distilled from it), sections 1-4 run for
each in turn, in this one process on this one host, and a last section compares their model
time; Ray and the memory run are the first weights' only.

Prints figures, in this order, on the clips of --data (all 1440 RAVDESS clips):
1. per clip, each stage on its own: decode (libsndfile), resample (soxr, to 16 kHz),
   voice detection and clip policy (silero-vad), the model (the three-member
   ensemble, batches of 32 clips, as `label` runs it), writing the rows (Parquet);
2. the model alone on every clip, decoded beforehand: the bound the command is held to;
3. the old way, predict() file after file (`python -m emotion predict`'s loop);
4. the command with its default workers and with 0, 1, 2, in a fresh process each, against (2):
   the goal is the whole run within 1.25x the model's own time;
5. the command on a local Ray instance (`--ray`), started by the command;
6. peak memory labelling --memory-clips clips (the clips copied again and again into
   a scratch folder): the RSS of the command and its workers over the run.
The files are read once before anything is timed, so the figures are not the disk's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emotion import EmotionRecognizer, Labelled  # noqa: E402
from emotion.__main__ import predict_files  # noqa: E402
from emotion.archive import expand_sources, open_results, rows_of  # noqa: E402
from emotion.audio import to_mono_float32  # noqa: E402
from emotion.batching import Decoded, answer  # noqa: E402
from emotion.policy import check_clip, load_clip  # noqa: E402
from train.state import cpu_model  # noqa: E402  (the processor's name, as training records it)

BATCH = 32  # the command's default --batch-size


def tree_pss_mb(pid: int) -> float:
    """Memory of a process and all its descendants, MB: their PSS (from /proc), which counts a page
    shared by several processes (a forked worker's copy of the parent) once, not once each."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            total += int(next(l for l in open(f"/proc/{p}/smaps_rollup") if l.startswith("Pss:")).split()[1])
        except (OSError, StopIteration):
            pass
    return total / 1024


def command(sources: list[str], out: Path, *extra: str) -> tuple[float, str, float, list[tuple[float, int, float]]]:
    """Run `python -m emotion label`; (wall seconds, stderr, peak memory MB, [(t, clips done, memory MB)]),
    the memory that of the command and every process it started (PSS, sampled twice a second)."""
    cmd = [sys.executable, "-m", "emotion", "label", *sources, "--out", str(out), *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    lines, samples, done = [], [], [0]

    def read():
        for line in proc.stderr:
            lines.append(line)
            m = re.match(r"label: (\d+)/", line)
            if m:
                done[0] = int(m.group(1))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    peak = 0.0
    while proc.poll() is None:
        rss = tree_pss_mb(proc.pid)
        peak = max(peak, rss)
        samples.append((time.perf_counter() - start, done[0], rss))
        time.sleep(0.5)
    reader.join()
    wall = time.perf_counter() - start
    stderr = "".join(lines)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return wall, stderr, peak, samples


def summary_seconds(stderr: str) -> dict[str, float]:
    """The command's own summary: labelling time and where it went."""
    out = {}
    m = re.search(r"labelled (\d+) clips in (\d+):(\d+)(?::(\d+))? \(([\d.]+) clips/s\)", stderr)
    if m:
        out["clips"], out["rate"] = int(m.group(1)), float(m.group(5))
    m = re.search(r"time: ([\d.]+) s in all", stderr)
    if m:
        out["seconds"] = float(m.group(1))
    for name, key in (("model", "model"), ("writing", "write"), ("waiting for (?:decoded clips|answered batches)", "wait"),
                      ("decoding", "decode")):
        m = re.search(rf"{name} ([\d.]+) s", stderr)
        if m:
            out[key] = float(m.group(1))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "ravdess"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", default="default,0,1,2",
                        help="worker counts to time the command with ('default': no --workers, the command's own choice)")
    parser.add_argument("--stage-clips", type=int, default=200, help="clips the per-stage figures are timed on")
    parser.add_argument("--memory-clips", type=int, default=20000, help="0 skips the memory run")
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--no-loop", action="store_true", help="skip 3., predict() file after file")
    parser.add_argument("--weights", action="append", default=None,
                        help="weights folder (default: weights/); give it again to compare weights in one run")
    args = parser.parse_args()
    weights = args.weights or [str(ROOT / "weights")]

    paths = expand_sources([args.data])
    print(f"{len(paths)} clips in {args.data}; CPU: {cpu_model()}, {os.cpu_count()} cores; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; device {args.device}")
    for p in paths:  # into the page cache: the figures are the program's, not the disk's
        Path(p).read_bytes()
    scratch = Path(tempfile.mkdtemp(prefix="benchmark_label_"))
    figures = {}
    try:
        for k, folder in enumerate(weights):
            (scratch / str(k)).mkdir()  # each weights' results files of their own: `label` resumes a file it finds
            figures[folder] = timings(args, paths, folder, scratch / str(k), first=k == 0)
        if len(weights) > 1:
            base = figures[weights[0]]
            print("\n7. the weights side by side (one process, one host): model alone at the best thread count, "
                  "and the command with its default workers")
            for folder, f in figures.items():
                print(f"   {folder:<28} model alone {f['model_alone']:6.1f} s ({f['model_alone'] / base['model_alone']:.2f}x "
                      f"the first)   label {f['label']:6.1f} s ({f['label'] / base['label']:.2f}x)   "
                      f"{f['members']} M5 of {f['channels']} channels")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def timings(args, paths: list[str], folder: str, scratch: Path, first: bool) -> dict:
    """Sections 1-6 for one weights folder; {"model_alone": s, "label": s (default workers), ...}."""
    rec = EmotionRecognizer.load(folder, device=args.device)
    members, channels = rec.config.get("ensemble_size", 1), rec.config["model"].get("n_channel")
    print(f"\n== weights {folder}: {members} M5 of {channels} channels")
    label_times = {}
    # 1. Stages, per clip, at one torch thread: as a worker decodes, and as the command runs the model
    #    beside one worker on two cores (emotion.__main__: the model takes the cores the workers leave).
    some = paths[:: max(1, len(paths) // args.stage_clips)][: args.stage_clips]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    load_clip(some[0])  # the detector's first load
    t = {"decode": 0.0, "resample": 0.0, "voice detection": 0.0}
    clips = []
    for p in some:
        s = time.perf_counter()
        samples, rate = sf.read(p, dtype="float32", always_2d=True)
        t["decode"] += time.perf_counter() - s
        s = time.perf_counter()
        audio = to_mono_float32(samples, rate, rec.sample_rate)
        t["resample"] += time.perf_counter() - s
        s = time.perf_counter()
        clips.append(check_clip(audio, rec.sample_rate, rec.max_seconds))
        t["voice detection"] += time.perf_counter() - s
    decoded = [Decoded(p, clip=c) for p, c in zip(some, clips)]
    answer(rec, decoded[:BATCH], False)  # warm-up
    s = time.perf_counter()
    answers = {}
    for i in range(0, len(decoded), BATCH):
        answers.update(answer(rec, decoded[i : i + BATCH], False))
    t["model"] = time.perf_counter() - s
    results = open_results(scratch / "stages.parquet", rec.labels)
    rows = [rows_of(Labelled(d.path, answers[id(d)], size=1, mtime_ns=1), rec.labels) for d in decoded]
    open_results(scratch / "warm-up.parquet", rec.labels).append(rows[0])  # pyarrow's first call
    s = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        results.append([r for clip_rows in rows[i : i + BATCH] for r in clip_rows])
    t["write"] = time.perf_counter() - s
    torch.set_num_threads(threads)
    seconds = np.mean([c.seconds for c in clips])
    print(f"\n1. per clip, each stage alone ({len(some)} clips of {seconds:.1f} s on average):")
    for name, total in t.items():
        print(f"   {name:<16} {1000 * total / len(some):7.2f} ms/clip")

    # 2. The model alone, on every clip decoded beforehand: at one thread and at torch's default.
    every = [Decoded(p, clip=load_clip(p)) for p in paths]
    alone = {}
    for n in sorted({1, threads}):
        torch.set_num_threads(n)
        s = time.perf_counter()
        for i in range(0, len(every), BATCH):
            answer(rec, every[i : i + BATCH], False)
        alone[n] = time.perf_counter() - s
    torch.set_num_threads(threads)
    model_alone = min(alone.values())
    del every
    print(f"\n2. the model alone on all {len(paths)} clips (decoded beforehand, batches of {BATCH}): " + "; ".join(
        f"{n} thread{'s' * (n > 1)} {t:.1f} s, {len(paths) / t:.1f} clips/s" for n, t in alone.items()))

    # 3. The old way: predict() file after file, at torch's default threads (as `predict` runs) and at one.
    old = {}
    for n in [] if args.no_loop else sorted({threads, 1}, reverse=True):
        torch.set_num_threads(n)
        s = time.perf_counter()
        predict_files(rec, paths)
        old[n] = time.perf_counter() - s
    torch.set_num_threads(threads)
    if old:
        print("\n3. predict() file after file (the `predict` command's loop): " + "; ".join(
            f"{n} thread{'s' * (n > 1)} {t:.1f} s, {len(paths) / t:.1f} clips/s" for n, t in old.items()))

    # 4. The command, 0/1/2 workers, each in a fresh process.
    print(f"\n4. python -m emotion label {args.data} --out X.parquet --device {args.device} --workers N "
          "(wall: the whole command, interpreter start and model load included; loop: its summary's time)")
    print("   workers  wall s  clips/s  loop s  clips/s  loop / best model-alone  model s  wait s  write s  decode s (workers)")
    for n in [w.strip() for w in args.workers.split(",")]:
        flags = [] if n == "default" else ["--workers", n]
        wall, stderr, _, _ = command([args.data], scratch / f"w{n}.parquet", *flags, "--device", args.device,
                                     "--weights", folder)
        f = summary_seconds(stderr)
        loop = label_times[n] = f["seconds"]
        print(f"   {n:>7}  {wall:6.1f}  {len(paths) / wall:7.1f}  {loop:6.1f}  {f['rate']:7.1f}  {loop / model_alone:23.2f}  "
              f"{f.get('model', 0):7.1f}  {f.get('wait', 0):6.1f}  {f.get('write', 0):7.1f}  {f.get('decode', 0):8.1f}")

    # 5. Ray, a local instance the command starts.
    if not args.no_ray and first:
        wall, stderr, peak, _ = command([args.data], scratch / "ray.parquet", "--ray", "--device", args.device,
                                        "--weights", folder)
        f = summary_seconds(stderr)
        print(f"\n5. --ray (a local instance, started by the command): wall {wall:.1f} s ({len(paths) / wall:.1f} clips/s), "
              f"labelling {f['clips'] / f['rate']:.1f} s ({f['rate']:.1f} clips/s); peak memory of the command "
              f"and the Ray processes it started {peak:.0f} MB")

    # 6. Memory over a long run.
    if args.memory_clips and first:
        many = scratch / "many"
        for i in range(args.memory_clips):
            folder = many / f"{i // 1000:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(paths[i % len(paths)], folder / f"{i:06d}_{Path(paths[i % len(paths)]).name}")
        wall, stderr, peak, samples = command([str(many)], scratch / "many.parquet", "--device", args.device,
                                              "--weights", folder)
        f = summary_seconds(stderr)
        print(f"\n6. {args.memory_clips} clips (copies), default workers: {wall:.0f} s, {f.get('rate', 0):.1f} clips/s; "
              f"memory (PSS) of the command and its workers:")
        for share in (0.1, 0.25, 0.5, 0.75, 1.0):
            t_at, done_at, rss_at = samples[min(len(samples) - 1, int(share * (len(samples) - 1)))]
            upto = max(r for _, _, r in samples[: int(share * (len(samples) - 1)) + 1])
            print(f"   at {t_at:6.0f} s ({done_at:>6} clips done): {rss_at:6.0f} MB now, {upto:6.0f} MB peak so far")
    label = label_times.get("default", min(label_times.values()) if label_times else float("nan"))
    return {"model_alone": model_alone, "label": label, "members": members, "channels": channels}


if __name__ == "__main__":
    sys.exit(main())

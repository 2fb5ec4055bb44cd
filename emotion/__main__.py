"""Command line: python -m emotion predict FILE... [--timeline] [--json | --csv] [--device DEV] [--weights DIR|USER/REPO]

Prints the most probable emotion and the probabilities of all eight for each
file; --timeline adds them window by window (start and end in seconds). A file the model cannot answer (not audio, silent, too short) gets an
error entry in the same words the app uses, and the exit status is 1; the
other files are still answered.

    python -m emotion label SOURCE... --out RESULTS [--timeline] [--workers N] [--batch-size N] [--hash] [--ray [ADDRESS]]

labels a whole archive (folders, globs, manifests) into RESULTS (.parquet, .csv
or .jsonl) as it goes, and a second run skips what is done (emotion.archive).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys

import torch

from .archive import ClusterError, ResultsError, SourceError, label_archive
from .audio import AudioError
from .checkpoint import CheckpointError
from .inference import DEFAULT_WEIGHTS, EmotionRecognizer
from .labels import EMOTIONS, EMOTIONS_ES


def predict_files(recognizer: EmotionRecognizer, files: list[str], timeline: bool = False) -> list[dict]:
    results = []
    for path in files:
        try:
            pred = recognizer.predict(path, timeline=timeline)
        except AudioError as e:
            results.append({"file": path, "error": str(e)})
            continue
        result = {
            "file": path,
            "label": pred.label,
            "probabilities": {k: round(v, 6) for k, v in pred.probabilities.items()},
        }
        if pred.notes:
            result["notes"] = pred.notes
        if timeline:
            result["timeline"] = [
                {
                    "start": round(seg.start, 3),
                    "end": round(seg.end, 3),
                    "label": seg.label,
                    "probabilities": {k: round(v, 6) for k, v in seg.probabilities.items()},
                }
                for seg in pred.timeline
            ]
        results.append(result)
    return results


def print_table(results: list[dict]) -> None:
    for r in results:
        if "error" in r:
            print(f"{r['file']}: ERROR: {r['error']}")
            continue
        p = r["probabilities"]
        print(f"{r['file']}: {r['label']} ({EMOTIONS_ES[r['label']]}) {p[r['label']]:.0%}")
        for note in r.get("notes", []):
            print(f"  note: {note}")
        for name in sorted(p, key=p.get, reverse=True):
            print(f"  {name:<10} {EMOTIONS_ES[name]:<12} {p[name]:6.1%}  {'#' * round(p[name] * 40)}")
        if "timeline" in r:
            print("  timeline (window start-end, leading emotion):")
            for seg in r["timeline"]:
                lead = seg["label"]
                print(f"  {seg['start']:6.2f}-{seg['end']:6.2f} s  {lead:<10} {seg['probabilities'][lead]:6.1%}")


def print_timeline_csv(results: list[dict]) -> None:
    """One row per window of every file (a file the model refused: one row with its error)."""
    writer = csv.writer(sys.stdout)
    writer.writerow(["file", "start", "end", "label", *EMOTIONS, "error"])
    for r in results:
        if "error" in r:
            writer.writerow([r["file"], "", "", "", *[""] * len(EMOTIONS), r["error"]])
            continue
        for seg in r["timeline"]:
            writer.writerow([r["file"], seg["start"], seg["end"], seg["label"], *[seg["probabilities"][e] for e in EMOTIONS], ""])


def print_csv(results: list[dict]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(["file", "label", *EMOTIONS, "error", "notes"])
    for r in results:
        if "error" in r:
            writer.writerow([r["file"], "", *[""] * len(EMOTIONS), r["error"], ""])
        else:
            writer.writerow([r["file"], r["label"], *[r["probabilities"][e] for e in EMOTIONS], "", " ".join(r.get("notes", []))])


def add_label_parser(sub) -> None:
    p = sub.add_parser(
        "label", help="label an archive into a results file, resumably",
        description="Label every clip that SOURCE names into RESULTS, a row per clip as it is done. Run it again to "
        "go on after an interruption: clips already in RESULTS (same size and mtime, or same content with --hash) "
        "are skipped. A clip the model cannot answer gets its error in the row, and the run goes on.",
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a folder (its audio files, recursively), a quoted glob ('clips/**/*.wav'), a manifest "
                   "(.txt: a path per line; .csv/.tsv: a path column), or an audio file")
    p.add_argument("--out", required=True, metavar="RESULTS",
                   help="results.parquet (a folder of Parquet parts), results.csv or results.jsonl")
    p.add_argument("--timeline", action="store_true", help="also one row per 3 s window (start and end in seconds)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes: on a CPU each decodes and answers its own batches (default: one per core), "
                   "on a GPU they decode while the GPU answers (default: every core but one); 0: all in this process; "
                   "with --ray, model replicas (default: as many as Ray finds room for)")
    p.add_argument("--batch-size", type=int, default=32, metavar="N", help="clips per model pass and per write (default 32)")
    p.add_argument("--hash", action="store_true",
                   help="tell changed files by their content's SHA-256 rather than size and modification time")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="weights folder or Hugging Face Hub repo id USER/REPO[@REVISION]")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="label on a Ray cluster (pip install \".[cluster]\"): ADDRESS 'auto' for the cluster this node is in, "
                   "ray://HEAD:10001 for a remote one; alone, RAY_ADDRESS or a local instance")


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_workers(cores: int, device: str) -> int:
    """Worker processes for `label`, from the cores there are. On a GPU they decode and the GPU
    answers: every core but one, since decoding is the bound. On a CPU each decodes and answers
    its own batches at one thread (emotion.batching.answering_in_workers): one per core; none on
    one core, where a worker would only add a process."""
    if device == "cuda":
        return max(1, cores - 1)
    return cores if cores > 1 else 0


def model_threads(cores: int, device: str, workers: int) -> int:
    """torch's threads in this process: on a CPU the workers answer, so this process needs one
    (with none, the model here takes every core); on a GPU one per core the workers leave, for
    the GPU's own CPU side. Never more threads than free cores: on busy cores torch's threads wait
    on each other at every operation (2 threads on 2 cores that two other processes kept busy ran
    the model at half the speed of 1, and the voice detector 25 times slower)."""
    if device != "cuda" and workers:
        return 1
    return max(1, cores - workers)


def label_command(args) -> int:
    if args.batch_size < 1 or (args.workers is not None and args.workers < 0):
        print("error: --batch-size must be at least 1 and --workers at least 0", file=sys.stderr)
        return 2
    try:
        # With --ray the actors load the weights; here they are only checked and read.
        recognizer = EmotionRecognizer.load(args.weights, device="cpu" if args.ray is not None else args.device)
    except (CheckpointError, RuntimeError) as e:
        print(f"error: could not load the model: {e}", file=sys.stderr)
        return 2
    cores, threads = usable_cores(), torch.get_num_threads()
    if args.ray is not None:
        workers = args.workers or 0
    else:
        workers = args.workers if args.workers is not None else default_workers(cores, recognizer.device.type)
        torch.set_num_threads(min(threads, model_threads(cores, recognizer.device.type, workers)))
    try:
        summary = label_archive(
            recognizer, args.sources, args.out, timeline=args.timeline, workers=workers, batch_size=args.batch_size,
            content_hash=args.hash, ray=args.ray, device=args.device,
        )
    except (SourceError, ResultsError, ClusterError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        torch.set_num_threads(threads)
    for line in summary.lines(args.out):
        print(line, file=sys.stderr)
    return 130 if summary.interrupted else 0


def main(argv: list[str] | None = None) -> int:
    # "emotion" when run as the console command that `pip install .` puts on the PATH.
    prog = "python -m emotion" if sys.argv[0].endswith("__main__.py") else "emotion"
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="emotion probabilities for audio files")
    p.add_argument("files", nargs="+", metavar="FILE", help="audio files (wav, flac, ogg, mp3; others with ffmpeg)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print a JSON list of {file, label, probabilities}")
    fmt.add_argument("--csv", action="store_true", help="print one CSV row per file (per window with --timeline)")
    p.add_argument("--timeline", action="store_true", help="also the probabilities window by window, with start and end in seconds")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="weights folder or Hugging Face Hub repo id USER/REPO[@REVISION] (default: the shipped model)")
    add_label_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "label":
        return label_command(args)

    try:
        recognizer = EmotionRecognizer.load(args.weights, device=args.device)
    except (CheckpointError, RuntimeError) as e:
        print(f"error: could not load the model: {e}", file=sys.stderr)
        return 2
    results = predict_files(recognizer, args.files, timeline=args.timeline)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    elif args.csv:
        (print_timeline_csv if args.timeline else print_csv)(results)
    else:
        print_table(results)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

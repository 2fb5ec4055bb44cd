"""Command line: python -m emotion predict FILE... [--timeline] [--json | --csv] [--device DEV] [--weights DIR|USER/REPO]

Prints the most probable emotion and the probabilities of all eight for each
file; --timeline adds them window by window (start and end in seconds). A file the model cannot answer (not audio, silent, too short) gets an
error entry in the same words the app uses, and the exit status is 1; the
other files are still answered.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

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
    args = parser.parse_args(argv)

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

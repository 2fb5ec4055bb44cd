"""Evaluate weights on RAVDESS actors the model never heard.

    python -m train.evaluate --weights weights --data ../shared/ravdess --actors 21-24 [--json]

Prints accuracy, unweighted average recall (UAR: the mean of the per-class
recalls, which does not reward ignoring the half-sized neutral class),
per-class recall and the confusion matrix (rows: true, columns: predicted).
Clips go through the same front end and the same window averaging as the app.
"""

from __future__ import annotations

import argparse
import json
import sys

from emotion.inference import EmotionRecognizer
from emotion.labels import parse_actors

from .corpora import ravdess
from .data import decode_clips
from .metrics import evaluate, format_report, unseen_note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="weights", help="weights folder (model.safetensors + config.json)")
    parser.add_argument("--data", required=True, help="RAVDESS folder (.wav or .flac, any nesting)")
    parser.add_argument("--actors", default="21-24", help="actors to evaluate on (default: the test actors 21-24)")
    parser.add_argument("--device", default=None, help="cpu, cuda (default: cuda when available)")
    parser.add_argument("--cache", default=".cache", help="folder for the decoded-audio cache ('' disables)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    actors = parse_actors(args.actors)
    recognizer = EmotionRecognizer.load(args.weights, device=args.device)
    clips = ravdess.find_clips(args.data, actors)
    if not clips:
        print(f"error: no RAVDESS speech clips of actors {args.actors} under {args.data}", file=sys.stderr)
        return 2
    audio = decode_clips(clips, recognizer.sample_rate, args.cache or None)
    metrics = evaluate(recognizer, audio, [c.label for c in clips])
    metrics["actors"] = list(actors)
    if args.json:
        print(json.dumps(metrics))
    else:
        print(format_report(metrics, f"{args.weights} on actors {args.actors} ({unseen_note(recognizer.config, actors)})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

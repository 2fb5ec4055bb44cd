"""A weights folder's UAR on each corpus's validation speakers: the baseline side of issue 22's voices score.

    python scripts/voices_baseline.py --weights weights --nemo ../data/nemo_full [--corpora ased=DIR,emovo=DIR]

Weights that never heard a corpus (the shipped C4, RAVDESS only) have no
development-fold figure for it; this scores them on the speakers the
development folds hold out of every other corpus (its VAL_SPEAKERS, on the
clips its module scores), over that corpus's own classes, as a run scores its
`NAME_val`. Prints one line per corpus and a JSON object. Test speakers are
never read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emotion.inference import EmotionRecognizer  # noqa: E402
from train.config import TrainConfig  # noqa: E402
from train.corpora import CORPORA, scored  # noqa: E402
from train.data import decode_clips  # noqa: E402
from train.metrics import score_corpus  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="weights")
    parser.add_argument("--nemo", default="", help="nEMO folder (either layout)")
    parser.add_argument("--corpora", default="", help="NAME=FOLDER,... as python -m train takes them")
    parser.add_argument("--cache", default=".cache")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    folders = {k: v for k, v in TrainConfig(nemo=args.nemo, corpora=args.corpora).corpus_folders().items() if k != "ravdess"}
    recognizer = EmotionRecognizer.load(args.weights, device="cpu")
    out = {"weights": args.weights, "weights_sha256": recognizer.config.get("weights_sha256"), "corpora": {}}
    for name, folder in folders.items():
        corpus = CORPORA[name]
        clips = scored(name, corpus.find_clips(folder, tuple(corpus.VAL_SPEAKERS)))
        audio = decode_clips(clips, recognizer.sample_rate, args.cache or None, corpus=f"{name}-val")
        m = score_corpus(recognizer.logits(audio), [c.label for c in clips], name)
        out["corpora"][name] = {"speakers": list(corpus.VAL_SPEAKERS), "n": m["n"], "uar": m["uar"], "accuracy": m["accuracy"],
                                "per_class": m["per_class"]}
        print(f"{name}: speakers {', '.join(corpus.VAL_SPEAKERS)}, {m['n']} clips: UAR {m['uar']:.1%}, "
              f"accuracy {m['accuracy']:.1%} (chance {m['chance']:.1%})", flush=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

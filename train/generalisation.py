"""The generalisation benchmark: how one set of weights does beyond clean RAVDESS.

    python -m train.generalisation --weights weights --data ../shared/ravdess --nemo ../shared/nemo [--json OUT.json]
    python -m train.generalisation ... --corpora ased=../data/ased,emovo=../data/EMOVO   # + their test speakers

Three parts, each with accuracy, unweighted average recall (UAR) and the
recall of every class (neutral first):

- clean: the RAVDESS test actors 21-24, exactly as `python -m train.evaluate`
  scores them;
- channels: the same clips through each channel of train.channels (codecs,
  telephone, laptop microphone, rooms, noise at 20/10/5 dB SNR, a quiet
  recording, clipping), every random choice fixed by its BENCHMARK_SEED;
- corpora: nEMO (Polish, 6 of our 8 emotions). `nemo_test` is its two test
  speakers (train.corpora.nemo.TEST_SPEAKERS), never trained on; `nemo_all` is
  all nine, a fair baseline only for a model that saw no nEMO (so weights that
  trained on nEMO are not scored on it). With --corpora,
  each corpus given adds `NAME_test`: its declared test speakers (train.corpora),
  on the clips it scores (ASED: the sentences spoken in every emotion).

Scoring an 8-class model on a corpus with fewer classes (nEMO 6, ASED 5,
EMOVO 7): the primary figure takes the most probable of the corpus's own
classes (chance 1/n), since a listener told "it is one of these" would do the
same; the unrestricted 8-way accuracy (the missing classes count as errors)
is recorded beside it, with how often one of them was the answer.

Every clip goes through the recognizer's public path, `EmotionRecognizer.logits`
on the front end's output, as the app does. A channel's outputs are computed
once per clip and cached in --cache, keyed by the input audio, the channel and
the seed. --limit, --actors and --channels make a quick subset; the figures
then describe only that subset.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm
import torch

from emotion.checkpoint import update_config
from emotion.inference import EmotionRecognizer
from emotion.labels import EMOTIONS, format_actors, parse_actors

from .channels import (BENCHMARK_SEED, CHANNELS_VERSION, SNR_DEFINITION, Channel, benchmark_channels, channel_rng,
                       prepare_babble_talkers)
from .config import TrainConfig, check_flags
from .corpora import CORPORA, nemo, ravdess, scored
from .data import audio_digest, cached_clips, decode_clips
from .metrics import corpus_metrics, evaluate, score_corpus, unseen_note
from .reports.card import write_model_card

SCORING = ("corpora: argmax over the corpus's own classes (primary; chance 1/n_classes); "
           "8-way argmax recorded as accuracy_8way")


def limit_evenly(items: list, n: int | None) -> list:
    """At most `n` of `items`, spread evenly over the list (sorted clips: every
    actor and emotion keeps a share); all of them for n = None."""
    if n is None or n >= len(items):
        return list(items)
    return [items[i] for i in np.unique(np.linspace(0, len(items) - 1, n).round().astype(int))]


def apply_channel(channel: Channel, names: list[str], audio: list[np.ndarray], cache_dir: str | None,
                  material: str = "") -> list[np.ndarray]:
    """`audio` (clips named `names`, e.g. file stems) through `channel`, each clip
    with its own channel_rng. Cached as CACHE_DIR/channel-NAME-KEY.npz, the key
    covering the input audio, the clip names, the channel, BENCHMARK_SEED,
    CHANNELS_VERSION and `material` (a digest of the babble material)."""
    key = hashlib.sha256(f"{CHANNELS_VERSION}|{BENCHMARK_SEED}|{channel.name}|{material}|{'|'.join(names)}|{audio_digest(audio)}".encode())
    cache = Path(cache_dir) / f"channel-{channel.name}-{key.hexdigest()[:16]}.npz" if cache_dir else None

    def through_channel() -> list[np.ndarray]:
        return [channel.apply(a, channel_rng(channel.name, n)) for n, a in
                tqdm(list(zip(names, audio)), desc=channel.name, unit="clip", leave=False, disable=None)]

    return cached_clips(cache, through_channel)


def _recalls(m: dict, key: str = "per_class") -> list[str]:
    return [f"{m[key][e]:.0%}" if e in m[key] else "—" for e in EMOTIONS]


def render_table(result: dict) -> str:
    """The benchmark's figures as Markdown: RAVDESS clean and through each
    channel (accuracy, its change from clean, UAR, recall per class), then the
    corpora. For the printout and the model card."""
    clean = result["clean"]
    head = "| condition | n | accuracy | vs clean | UAR | " + " | ".join(EMOTIONS) + " |"
    lines = [head, "|" + " --- |" * (5 + len(EMOTIONS))]
    lines.append(f"| **clean** (RAVDESS actors {format_actors(result['benchmark']['actors'])}) | {clean['n']} | **{clean['accuracy']:.1%}** | "
                 f"| {clean['uar']:.1%} | " + " | ".join(_recalls(clean)) + " |")
    for name, m in result["channels_detail"].items():
        lines.append(f"| {name} | {m['n']} | {m['accuracy']:.1%} | {100 * (m['accuracy'] - clean['accuracy']):+.1f} | "
                     f"{m['uar']:.1%} | " + " | ".join(_recalls(m)) + " |")
    lines += ["", "| corpus | speakers | n | accuracy (chance) | UAR | 8-way accuracy | answered outside its classes | "
              + " | ".join(EMOTIONS) + " |", "|" + " --- |" * (7 + len(EMOTIONS))]
    for name, m in result["corpora_detail"].items():
        lines.append(f"| {name} | {', '.join(m['speakers'])} | {m['n']} | **{m['accuracy']:.1%}** ({m['chance']:.1%}) | {m['uar']:.1%} | "
                     f"{m['accuracy_8way']:.1%} | {m['answered_outside_classes']:.0%} | " + " | ".join(_recalls(m)) + " |")
    return "\n".join(lines)


def nemo_sets(nemo_all: list, test: list, heard: bool, limit: int | None) -> dict:
    """nEMO's clip sets to score: its test speakers, and all nine speakers only for weights
    that never trained on nEMO (for the others seven of the nine are training or validation
    speakers, and the figure would say how well it remembers them)."""
    sets = {"nemo_test": limit_evenly(test, limit)}
    if not heard:
        sets["nemo_all"] = limit_evenly(nemo_all, limit)
    return sets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.generalisation", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="weights", help="weights folder (model.safetensors + config.json)")
    parser.add_argument("--data", required=True, help="RAVDESS folder (.wav or .flac, any nesting)")
    parser.add_argument("--nemo", required=True, help="nEMO folder: this project's third (MANIFEST.tsv) or a full download (data.tsv + samples/)")
    parser.add_argument("--corpora", default="",
                        help="more corpora, NAME=FOLDER,... (train.corpora: ased, emovo): their declared test speakers "
                             "are scored too, as NAME_test (on the clips the corpus scores, over its own classes)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--actors", default="21-24", help="RAVDESS actors (default: the test actors 21-24)")
    parser.add_argument("--channels", default="", help="comma-separated channel names (default: all)")
    parser.add_argument("--limit", type=int, default=None, help="at most N clips per clip set, spread evenly (a quick subset)")
    parser.add_argument("--device", default=None, help="cpu, cuda (default: cuda when available)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--cache", default=".cache", help="folder for decoded audio and channel outputs ('' disables)")
    parser.add_argument("--record", action="store_true",
                        help="also record the summary in the weights' config.json and rewrite their model card (full benchmark only)")
    args = parser.parse_args(argv)
    if args.record and (args.limit or args.channels or args.actors != "21-24"):
        parser.error("--record takes the full benchmark: no --limit, --channels or --actors")
    try:
        check_flags(TrainConfig(corpora=args.corpora))
    except ValueError as e:
        parser.error(str(e))
    added = {k: v for k, v in TrainConfig(corpora=args.corpora).corpus_folders().items() if k not in ("ravdess", "nemo")}
    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    cache = args.cache or None

    recognizer = EmotionRecognizer.load(args.weights, device=args.device)
    sr = recognizer.sample_rate
    actors = parse_actors(args.actors)
    clips = limit_evenly(ravdess.find_clips(args.data, actors), args.limit)
    if not clips:
        raise SystemExit(f"error: no RAVDESS speech clips of actors {args.actors} under {args.data}")
    note = unseen_note(recognizer.config, actors)
    if note.startswith("CAUTION"):
        print(note, file=sys.stderr)
    audio = decode_clips(clips, sr, cache)
    labels = [c.label for c in clips]
    names = [Path(c.path).stem for c in clips]

    nemo_all = nemo.find_clips(args.nemo)
    _, talkers = nemo.split_test_speakers(nemo_all)  # the babble material, whole whatever --limit says
    corpora = nemo_sets(nemo_all, talkers, "nemo" in recognizer.config.get("training", {}).get("corpora", []), args.limit)
    needed = sorted({c for part in (talkers, *corpora.values()) for c in part}, key=lambda c: c.path)
    nemo_audio = dict(zip((c.path for c in needed), decode_clips(needed, sr, cache, corpus="nemo")))

    suite = benchmark_channels(prepare_babble_talkers([nemo_audio[c.path] for c in talkers]))
    chosen = [n.strip() for n in args.channels.split(",") if n.strip()] or list(suite)
    unknown = [n for n in chosen if n not in suite]
    if unknown:
        raise SystemExit(f"error: unknown channel(s) {', '.join(unknown)}; the channels are {', '.join(suite)}")
    material = audio_digest([nemo_audio[c.path] for c in talkers])

    result = {
        "command": "python -m train.generalisation " + " ".join(sys.argv[1:] if argv is None else argv),
        "weights": str(args.weights),
        "weights_sha256": recognizer.config.get("weights_sha256"),
        "device": str(recognizer.device),
        "threads": torch.get_num_threads(),
        "benchmark": {
            "seed": BENCHMARK_SEED,
            "channels_version": CHANNELS_VERSION,
            "actors": list(actors),
            "limit": args.limit,
            "nemo_test_speakers": list(nemo.TEST_SPEAKERS),
            "channels": {n: suite[n].simulates for n in chosen},
            "snr": SNR_DEFINITION,
            "babble_material": f"nEMO {', '.join(nemo.TEST_SPEAKERS)}: {len(talkers)} clips",
            "scoring": SCORING,
        },
    }
    result["clean"] = evaluate(recognizer, audio, labels)
    print(f"clean: accuracy {result['clean']['accuracy']:.1%}  UAR {result['clean']['uar']:.1%}", flush=True)

    result["channels"], result["channels_detail"] = {}, {}
    for name in chosen:
        channel = suite[name]
        heard = apply_channel(channel, names, audio, cache, material if channel.uses_babble else "")
        m = evaluate(recognizer, heard, labels)
        result["channels"][name], result["channels_detail"][name] = m["accuracy"], m
        print(f"{name}: accuracy {m['accuracy']:.1%}  UAR {m['uar']:.1%}  neutral {m['per_class'].get('neutral', 0):.0%}", flush=True)

    logits = dict(zip((c.path for c in needed), recognizer.logits([nemo_audio[c.path] for c in needed])))
    result["corpora"], result["corpora_detail"] = {}, {}
    for name, part in corpora.items():
        m = corpus_metrics(torch.stack([logits[c.path] for c in part]), [c.label for c in part], nemo.CLASSES)
        m["speakers"] = sorted({c.speaker for c in part})
        result["corpora"][name], result["corpora_detail"][name] = m["accuracy"], m
        print(f"{name}: accuracy {m['accuracy']:.1%} (6 classes)  8-way {m['accuracy_8way']:.1%}", flush=True)

    for name, folder in added.items():  # every other corpus given: its declared test speakers
        corpus = CORPORA[name]
        part = limit_evenly(scored(name, corpus.find_clips(folder, tuple(corpus.TEST_SPEAKERS))), args.limit)
        m = score_corpus(recognizer.logits(decode_clips(part, sr, cache, corpus=f"{name}-test")), [c.label for c in part], name)
        m["speakers"] = sorted({c.speaker for c in part})
        result["corpora"][f"{name}_test"], result["corpora_detail"][f"{name}_test"] = m["accuracy"], m
        print(f"{name}_test: accuracy {m['accuracy']:.1%} ({len(m['per_class'])} {'levels' if 'levels' in m else 'classes'})"
              f"  UAR {m['uar']:.1%}", flush=True)

    result["seconds"] = round(time.perf_counter() - started, 1)
    print()
    print(render_table(result))
    print(f"\n{result['seconds']:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    if args.record:
        update_config(args.weights, generalisation=summary(result))
        print(f"recorded in {args.weights}/config.json; wrote {write_model_card(args.weights)}")
    return 0


def summary(result: dict) -> dict:
    """What config.json keeps of a benchmark run (the card and the About panel render it):
    accuracy per condition with what each simulates, and per corpus with its chance and neutral recall."""
    return {
        "command": result["command"],
        "clean": result["clean"]["accuracy"],
        "channels": {name: {"accuracy": m["accuracy"], "simulates": result["benchmark"]["channels"][name]}
                     for name, m in result["channels_detail"].items()},
        "corpora": {name: {"accuracy": m["accuracy"], "chance": m["chance"], "speakers": m["speakers"],
                           "neutral_recall": m["per_class"].get("neutral")} for name, m in result["corpora_detail"].items()},
    }


if __name__ == "__main__":
    sys.exit(main())

"""One training run, stage by stage: split -> members -> calibrate -> save.

    metrics = run(TrainConfig(data="../shared/ravdess", out="weights"), command="python -m train ...")

Each corpus's test speakers (RAVDESS actors 21-24; train.corpora's
TEST_SPEAKERS) are never trained on and never used for early stopping or
model selection; they are heard once, at the end, through the same loading
path the app uses. Validation speakers pick the epoch and fit the
temperature. The output folder gets model.safetensors + config.json (the
checkpoint, which records the run, its corpora and its metrics) and run/
with the exact config, command line, split, per-epoch log and metrics;
train.reports draws the figures and the model card from them.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from emotion.checkpoint import save_checkpoint, update_config
from emotion.inference import EmotionRecognizer, preprocess
from emotion.labels import EMOTIONS, format_actors, parse_actors
from emotion.model import M5, M5Ensemble

from .batches import simulated_speakers_and_channels
from .calibration import calibrated_metrics, calibration_record, fit_temperature_on
from .config import TrainConfig, check_flags, parse_speeds, preprocessing_of
from .corpora import CORPORA, MAIN, facts_of, names_of, scored
from .data import ClipSet, decode_clips
from .fit import describe_training, set_seed, train_member
from .metrics import score_corpus
from .state import state_path


def resolve_split(cfg: TrainConfig) -> dict:
    """{"train", "val", "test"}: the main corpus's (RAVDESS) actor ids, disjoint; training
    defaults to every other actor. Each other corpus the run trains on adds
    NAME: {"train", "val", "test"} speaker ids; its test speakers are its module's
    TEST_SPEAKERS (train.corpora), whatever the flags say."""
    check_flags(cfg)
    main = CORPORA[MAIN]
    test_actors, val_actors = parse_actors(cfg.test_actors), parse_actors(cfg.val_actors)
    if set(val_actors) & set(test_actors):
        raise ValueError("Validation and test actors overlap.")
    train_actors = parse_actors(cfg.train_actors) if cfg.train_actors else tuple(
        a for a in main.SPEAKERS if a not in val_actors + test_actors
    )
    if set(train_actors) & set(val_actors + test_actors):
        raise ValueError("Training actors overlap validation or test actors.")
    if set(test_actors) != set(main.TEST_SPEAKERS) or set(val_actors) != set(main.VAL_SPEAKERS):
        print(f"note: non-default split (test {format_actors(test_actors)}, val {format_actors(val_actors)})", file=sys.stderr)
    split = {"train": list(train_actors), "val": list(val_actors), "test": list(test_actors)}
    for name, folder in cfg.corpus_folders().items():
        if name == MAIN:
            continue
        corpus = CORPORA[name]
        speakers = sorted({c.speaker for c in corpus.find_clips(folder)})
        val = cfg.val_speakers(name) or list(corpus.VAL_SPEAKERS)
        if unknown := set(val) - set(speakers):
            raise ValueError(f"{corpus.FACTS['name']} has no speaker {', '.join(sorted(unknown))}; "
                             f"its speakers are {', '.join(speakers)}.")
        if set(val) & set(corpus.TEST_SPEAKERS):
            raise ValueError(f"{corpus.FACTS['name']} validation speakers overlap its test speakers "
                             f"{', '.join(corpus.TEST_SPEAKERS)}.")
        split[name] = {"train": [s for s in speakers if s not in val and s not in corpus.TEST_SPEAKERS],
                       "val": val, "test": list(corpus.TEST_SPEAKERS)}
    return split


def write_run_record(run_dir: Path, cfg: TrainConfig, command: str, split: dict) -> None:
    """The exact config, command line and split, written before any training (minGPT's habit)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n")
    (run_dir / "args.txt").write_text(command + "\n")
    (run_dir / "split.json").write_text(json.dumps(split) + "\n")


def load_split(cfg: TrainConfig, split: dict) -> dict[str, ClipSet]:
    """{"train"|"val"|"test": ClipSet of clips as the front end returns them}, decoded
    once (cached); the main corpus first, then each other corpus the run uses."""
    main = CORPORA[MAIN]
    actors = tuple(split["train"] + split["val"] + split["test"])
    clips = main.find_clips(cfg.data, actors)
    main.check_complete(clips, actors)
    audio = decode_clips(clips, cfg.sample_rate, cfg.cache or None)
    data = {
        name: ClipSet([a for a, c in zip(audio, clips) if c.speaker in split[name]],
                      [c.label for c in clips if c.speaker in split[name]],
                      [MAIN] * sum(c.speaker in split[name] for c in clips))
        for name in ("train", "val", "test")
    }
    for corpus, folder in cfg.corpus_folders().items():
        if corpus == MAIN:
            continue
        found = CORPORA[corpus].find_clips(folder)
        found_audio = decode_clips(found, cfg.sample_rate, cfg.cache or None, corpus=corpus)
        kept = {c.path for c in scored(corpus, found)}  # what validation and test speakers are scored on
        every_clip = set() if corpus in cfg.scored_only() else {"train"}  # training hears all, unless told not to
        for name, speakers in split[corpus].items():
            part = [i for i, c in enumerate(found) if c.speaker in speakers and (name in every_clip or c.path in kept)]
            data[name] = data[name] + ClipSet([found_audio[i] for i in part], [found[i].label for i in part], [corpus] * len(part))
    return data


def taught_corpora(teacher_config: dict) -> list[str]:
    """The corpora a teacher trained on, from its config.json: the ones whose clips it teaches
    (weights from before multi-corpus training record none: they heard the main corpus)."""
    return teacher_config.get("training", {}).get("corpora") or [MAIN]


def teacher_probabilities(cfg: TrainConfig, clips: ClipSet, device) -> np.ndarray | None:
    """(N, C) float32: the probabilities the teacher (cfg.teacher, a weights folder) serves for
    each clip -- as the front end returns it, before any augmentation: the student learns to
    hear in a room or a codec what the teacher heard in the clean clip. None without a teacher."""
    if not cfg.teacher:
        return None
    teacher = EmotionRecognizer.load(cfg.teacher, device=str(device))
    if list(teacher.labels) != list(EMOTIONS):
        raise ValueError(f"--teacher {cfg.teacher} answers {', '.join(teacher.labels)}; a student learns the "
                         f"{len(EMOTIONS)} emotions {', '.join(EMOTIONS)}.")
    # A teacher teaches what it heard: a clip of a corpus it never trained on (a new language,
    # BAVED's arousal levels) gets a NaN row and learns from its label alone, rather than from
    # the guesses of a model that never heard that corpus.
    heard = set(taught_corpora(teacher.config))
    taught = [i for i, c in enumerate(clips.corpora) if c in heard]
    probs = np.full((len(clips.audio), len(EMOTIONS)), np.nan, np.float32)
    t = time.time()
    for i in range(0, len(taught), 256):
        rows = taught[i : i + 256]
        probs[rows] = torch.softmax(teacher.logits([clips.audio[j] for j in rows]), dim=-1).numpy()  # its own temperature
    print(f"teacher {cfg.teacher}: probabilities of {len(taught)} of {len(probs)} training clips (corpora it heard: "
          f"{', '.join(sorted(heard))}) in {time.time() - t:.0f} s")
    return probs


def teacher_record(cfg: TrainConfig) -> dict:
    """Which weights taught this run: the training record's "teacher" ({} without one)."""
    if not cfg.teacher:
        return {}
    config = json.loads((Path(cfg.teacher) / "config.json").read_text())
    return {"teacher": {"folder": cfg.teacher, "weights_sha256": config.get("weights_sha256"),
                        "ensemble_size": config.get("ensemble_size", 1),
                        "temperature": config.get("calibration", {}).get("temperature", 1.0),
                        "distill_weight": cfg.distill_weight,
                        # the corpora whose clips it taught; the others learnt from their labels alone
                        "taught_corpora": taught_corpora(config)}}


def train_members(cfg: TrainConfig, data: dict, device, run_dir: Path, t0: float, split: dict | None = None
                  ) -> tuple[M5 | M5Ensemble, list, list]:
    """Train cfg.ensemble M5s from seeds seed, seed+1, ...; returns (one model -- an
    M5Ensemble when there are several -- each member at its best validation UAR,
    their best log rows with where each trained ("trained_on"), their per-epoch logs).
    Each member's state is saved in run_dir after every epoch; cfg.resume goes on from it."""
    pre = preprocessing_of(cfg)
    # What the model hears: preprocessed once here, as the recognizer does at serving.
    subset = {name: clips._replace(audio=[preprocess(a, pre) for a in clips.audio]) for name, clips in data.items() if name != "test"}
    simulation = simulated_speakers_and_channels(cfg, subset["train"])
    soft_targets = teacher_probabilities(cfg, data["train"], device)
    members, bests, logs = [], [], []
    with open(run_dir / "log.jsonl", "w") as log_file:  # a resumed member writes its earlier epochs again first
        for member in range(cfg.ensemble):
            model, best, log, trained_on = train_member(cfg, member, subset, device, log_file, t0, simulation, run_dir, split,
                                                        soft_targets)
            members.append(model)
            bests.append({**best, "trained_on": trained_on})
            logs.append(log)
    if cfg.ensemble == 1:
        return members[0], bests, logs
    ensemble = M5Ensemble(members[0].config, cfg.ensemble).to(device)
    for target, member in zip(ensemble.members, members):
        target.load_state_dict(member.state_dict())
    return ensemble, bests, logs


def checkpoint_metadata(cfg: TrainConfig, command: str, split: dict, bests: list, train_seconds: float, device) -> dict:
    """config.json beyond what save_checkpoint fills in: preprocessing, the training record
    and the facts of the corpora it trained on (train.corpora), which the card and the
    app's About panel describe them from."""
    corpora = [c for c in CORPORA if c == MAIN or c in split]
    return {
        "preprocessing": preprocessing_of(cfg),
        "training": {
            "command": command,
            "config": asdict(cfg),
            "corpora": corpora,
            "split": split,
            "selected_by": selected_by(cfg, corpora),
            "best_epoch": [b["epoch"] for b in bests] if cfg.ensemble > 1 else bests[0]["epoch"],
            **describe_training(cfg),
            **teacher_record(cfg),
            "train_seconds": round(train_seconds, 1),
            "device": str(device),
            # Per member, each stretch of epochs one process trained: device, processor, GPU, threads.
            "trained_on": [b.get("trained_on", []) for b in bests],
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "python": platform.python_version(),
        },
        "corpora": {c: facts_of(c) for c in corpora},
        "license": license_of(corpora),
    }


def selected_by(cfg: TrainConfig, corpora: list[str]) -> str:
    """How each member's epoch was picked, in the card's words."""
    if len(corpora) == 1:
        text = "best validation UAR"
    elif cfg.select_on == "main":
        text = f"best {names_of([MAIN])} validation UAR (the other corpora's validation speakers choose nothing)"
    else:
        text = f"best mean of the {names_of(corpora)} validation UARs"
    return text + (" (per member)" if cfg.ensemble > 1 else "")


def license_of(corpora: list[str]) -> str:
    """'CC BY-NC-SA 4.0: trained on RAVDESS (Livingstone & Russo 2018) and nEMO (Christop 2024)'.
    ShareAlike passes on to the weights, so a CC BY-NC-SA corpus makes them CC BY-NC-SA;
    a corpus under other terms has them named beside it."""
    facts = [facts_of(c) for c in corpora]
    licences = [f["license"] for f in facts]
    terms = "CC BY-NC-SA 4.0" if "CC BY-NC-SA 4.0" in licences else " and ".join(sorted(set(licences)))
    parts = [f"{f['name']} ({f['short_citation']}{'' if f['license'] == terms else '; ' + f['license']})" for f in facts]
    return f"{terms}: trained on " + (parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1])


def calibrate_and_save(model, metadata: dict, data: dict[str, ClipSet], out: Path, device) -> dict:
    """Fit the temperature on the validation speakers' logits (in memory), save the
    checkpoint once, then hear the test speakers exactly once, through the loading
    path the app uses. Returns split_metrics()."""
    in_memory = EmotionRecognizer(model, {**metadata, "labels": list(EMOTIONS)}, device)
    val_logits = in_memory.logits(data["val"].audio, temperature=1.0)
    record = calibration_record(fit_temperature_on(val_logits, data["val"]))
    save_checkpoint(model, out, {**metadata, "calibration": record})
    served = EmotionRecognizer.load(out, device=str(device))
    return split_metrics(record, val_logits, served.logits(data["test"].audio, temperature=1.0), data,
                         metadata["training"]["split"])


def split_metrics(record: dict, val_logits: torch.Tensor, test_logits: torch.Tensor, data: dict[str, ClipSet], split: dict) -> dict:
    """From raw (T = 1) logits of the validation and test clips: {"test", "val"} (the main
    corpus, 8 classes) with the record's temperature, the test with its uncalibrated ECE
    too, and for each other corpus {"NAME_test", "NAME_val"} over its own classes."""
    is_main = {name: torch.tensor([c == MAIN for c in data[name].corpora]) for name in ("val", "test")}
    val, test = calibrated_metrics(record, val_logits[is_main["val"]], data["val"].of(MAIN).labels,
                                   test_logits[is_main["test"]], data["test"].of(MAIN).labels)
    test["actors"], val["actors"] = split["test"], split["val"]
    metrics = {"test": test, "val": val}
    for corpus in CORPORA:
        if corpus == MAIN or corpus not in split:
            continue
        for name, logits in (("val", val_logits), ("test", test_logits)):
            mine = torch.tensor([c == corpus for c in data[name].corpora])
            m = score_corpus(logits[mine] / record["temperature"], data[name].of(corpus).labels, corpus)
            metrics[f"{corpus}_{name}"] = {**m, "speakers": split[corpus][name]}
    return metrics


def record_metrics(out: Path, metrics: dict) -> None:
    """The run's metrics into config.json (what the app and the card read) and run/metrics.json."""
    update_config(out, metrics=metrics)
    (out / "run" / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


def run(cfg: TrainConfig, command: str = "") -> dict:
    """One training run, stage by stage; returns the metrics also written to config.json.
    Figures and the model card are train.reports' (python -m train draws them)."""
    t0 = time.time()
    set_seed(cfg.seed)  # before any object with parameters exists
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    device = torch.device(cfg.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    out = Path(cfg.out)
    parse_speeds(cfg.test_time_speeds)  # a bad value fails now, not after the training

    split = resolve_split(cfg)
    write_run_record(out / "run", cfg, command, split)
    data = load_split(cfg, split)
    print(f"clips: {', '.join(f'{k} {len(v.audio)}' for k, v in data.items())}; device {device}")
    model, bests, logs = train_members(cfg, data, device, out / "run", t0, split)
    # The members' last log rows carry the clock across stops (a resumed run counts its earlier sessions too).
    train_seconds = max(time.time() - t0, *(log[-1]["elapsed_s"] for log in logs if log))
    metadata = checkpoint_metadata(cfg, command, split, bests, train_seconds, device)
    metrics = {**calibrate_and_save(model, metadata, data, out, device),
               "best_epoch": metadata["training"]["best_epoch"], "train_seconds": metadata["training"]["train_seconds"]}
    record_metrics(out, metrics)
    for member in range(cfg.ensemble):  # the weights are saved: nothing is left to resume
        state_path(out / "run", member).unlink(missing_ok=True)
    return metrics

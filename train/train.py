"""Train M5 from scratch on RAVDESS (and nEMO) and write a shipped-weights folder.

    python -m train --data ../shared/ravdess --out weights                     # RAVDESS only
    python -m train --data ../shared/ravdess --nemo ../shared/nemo --voices 2 --codecs --channel-sim 0.5

Actors 21-24 (and nEMO's speakers KD0, TP0, train.nemo.NEMO_TEST_SPEAKERS) are the test speakers: they are never trained on and never used for
early stopping or model selection; they are evaluated once, at the end, through
the same loading path the app uses. Validation speakers (RAVDESS 17-20 and,
with nEMO, IC0 and KS0 by default) pick the epoch. The output folder gets model.safetensors + config.json (the
checkpoint) and run/ with everything needed to trace the result: the exact
config and command line, the split, a per-epoch log, curves and the test
confusion matrix.
"""

from __future__ import annotations

import copy
import json
import platform
import random
import shlex
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from emotion.checkpoint import save_checkpoint, update_config
from emotion.inference import EmotionRecognizer, clip_logits, preprocess
from emotion.labels import EMOTIONS, N_ACTORS, format_actors, parse_actors
from emotion.model import M5, M5Config, M5Ensemble, standardise
from emotion.policy import MAX_SECONDS

from .calibrate import calibrated_metrics, calibration_record, fit_temperature
from .data import CORPUS_CLASSES, TEST_ACTORS, VAL_ACTORS, ClipSet, TrainBatches, check_complete, decode_clips, find_clips
from .evaluate import corpus_metrics, format_report
from .model_card import write_model_card
from .plots import plot_confusion, plot_curves


@dataclass
class TrainConfig:
    data: str = "../shared/ravdess"  # RAVDESS folder: Actor_NN/*.wav or *.flac
    out: str = "weights"  # where model.safetensors, config.json and run/ go
    cache: str = ".cache"  # decoded-audio cache folder ('' to disable)
    val_actors: str = "17-20"  # early stopping / model selection; from actors 1-20
    test_actors: str = "21-24"  # held out; evaluated once at the end
    train_actors: str = ""  # default: every actor not in val or test
    sample_rate: int = 16000  # Hz the model hears
    n_channel: int = 64  # M5 width (blocks 3-4 use twice this)
    dropout: float = 0.2  # before the classifier
    crop_seconds: float = 3.0  # training crop = inference window
    hop_seconds: float = 0.5  # hop between inference windows
    test_time_speeds: str = ""  # e.g. '0.9,1,1.1': served clips are also played at these speeds, logits averaged ('' = speed 1); epochs are picked at speed 1
    trim: bool = False  # trim silence before the model (the seed project found it hurt)
    trim_top_db: float = 30.0  # librosa.effects.trim threshold when trim is on
    epochs: int = 100  # passes over the training clips; the epoch the validation speakers score best is kept
    batch_size: int = 32  # crops per optimiser step
    lr: float = 5e-3  # peak of the one-cycle schedule
    weight_decay: float = 1e-2  # AdamW
    label_smoothing: float = 0.1  # cross-entropy target smoothing (for calibration and sturdier early stopping)
    noise_prob: float = 0.5  # chance of additive noise per training crop
    speed_perturb: float = 0.1  # batches played at speeds 1 +- this (5 steps); 0 disables (experiments/README.md: +2.8 val UAR)
    speed_per_clip: bool = False  # with speed perturbation: each crop at a speed of its own, not one per batch (run C5: +0.8 clean on the development folds)
    mixup: float = 0.0  # Beta(a, a) mixup of standardised crops and their labels; 0 disables
    class_weight: bool = False  # weight the loss by inverse class frequency (neutral has half the clips)
    mic_filter: float = 0.0  # share of batches (of crops, with --mic-per-clip) given a random microphone-like filter; 0 disables
    mic_per_clip: bool = False  # with --mic-filter: draw a filter for each crop, not one per batch (BatchNorm's batch statistics absorb a colouring the whole batch shares)
    mic_tilt: float = 0.0  # with --mic-filter: also tilt the filtered audio's spectrum by up to this many dB per octave (around 1 kHz); 0 disables
    seed: int = 1337  # the first member's seed: initialisation, crops, augmentation; the same seed gives the same weights on a CPU
    device: str = ""  # '' = cuda when available, else cpu
    threads: int = 0  # torch CPU threads; 0 = torch's default (one per core)
    ensemble: int = 3  # M5s trained from seeds seed, seed+1, ...; their logits are averaged
    nemo: str = ""  # nEMO folder (either layout) to train on as well; '' = RAVDESS only
    nemo_val_speakers: str = "IC0,KS0"  # nEMO validation speakers (one female, one male); its test speakers are fixed in train.nemo
    nemo_loss: str = "masked"  # 'masked': a nEMO clip's loss over nEMO's 6 classes only; 'all': over all 8
    nemo_share: float = 0.0  # nEMO's share of each epoch (all RAVDESS clips + a fresh draw of nEMO's); 0 = every clip once
    voices: int = 0  # new voices per training clip (Praat: formants and pitch moved), cached; 0 disables
    codecs: bool = False  # also one codec version of each training clip (ffmpeg: Opus, MP3, A-law), cached
    variant_prob: float = 0.5  # share of crops taken from a clip's voice or codec version, when there are any
    channel_sim: float = 0.0  # share of crops through simulated rooms, lines, noises and levels; 0 disables


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def preprocessing_of(cfg: TrainConfig) -> dict:
    return {
        "sample_rate": cfg.sample_rate,
        "trim": cfg.trim,
        "trim_top_db": cfg.trim_top_db if cfg.trim else None,
        "window_seconds": cfg.crop_seconds,
        "hop_seconds": cfg.hop_seconds,
        "max_seconds": MAX_SECONDS,
        "normalization": "each window standardised to zero mean, unit variance inside M5",
        "test_time_speeds": parse_speeds(cfg.test_time_speeds),
    }


def parse_speeds(text: str) -> list[float]:
    """'0.9,1,1.1' -> [0.9, 1.0, 1.1]; '' -> [1.0] (the clip as recorded)."""
    speeds = [float(s) for s in text.split(",") if s.strip()] or [1.0]
    if any(not 0.5 <= s <= 2.0 for s in speeds):
        raise ValueError(f"Test-time speeds must lie between 0.5 and 2; got '{text}'.")
    return speeds


def speeds_of(perturb: float) -> tuple[float, ...]:
    """0.1 -> (0.9, 0.95, 1.0, 1.05, 1.1)."""
    return tuple(float(s) for s in np.round(np.linspace(1 - perturb, 1 + perturb, 5), 4)) if perturb else (1.0,)


def train_batches(cfg: TrainConfig, audio: list[np.ndarray], labels: list[int], generator: np.random.Generator,
                  class_masks: np.ndarray | None = None, simulation: dict | None = None,
                  corpora: list[str] | None = None) -> TrainBatches:
    """The augmented training batches a config asks for; `simulation`: simulated_speakers_and_channels();
    `corpora`: each clip's corpus, which --nemo-share needs."""
    simulation = simulation or {}
    about = ""
    if cfg.voices or cfg.codecs:
        from .augment import variants_description

        about = variants_description(cfg.voices, cfg.codecs)
    corpus = np.array([c != "ravdess" for c in corpora], dtype=int) if corpora is not None and cfg.nemo_share else None
    return TrainBatches(audio, labels, crop=int(cfg.crop_seconds * cfg.sample_rate), batch_size=cfg.batch_size,
                        generator=generator, noise_prob=cfg.noise_prob, speeds=speeds_of(cfg.speed_perturb),
                        sample_rate=cfg.sample_rate, mic_filter=cfg.mic_filter, mic_tilt=cfg.mic_tilt,
                        mic_per_clip=cfg.mic_per_clip, speed_per_clip=cfg.speed_per_clip, class_masks=class_masks,
                        variants=simulation.get("variants"), variant_prob=cfg.variant_prob, variants_about=about,
                        channel=simulation.get("channel"), corpus=corpus,
                        second_share=cfg.nemo_share if corpus is not None else 0.0)


def simulated_speakers_and_channels(cfg: TrainConfig, train: ClipSet) -> dict:
    """What train.augment adds for this config, computed once per run (cached on disk):
    {"variants": per-clip voice/codec versions, "channel": (rooms, babble, p)}; {} when off."""
    from . import augment

    out = {}
    versions = [[] for _ in train.audio]
    if cfg.voices:
        versions = [v + w for v, w in zip(versions, augment.voice_variants(train.audio, cfg.voices, cfg.cache or None))]
    if cfg.codecs:
        versions = [v + w for v, w in zip(versions, augment.codec_variants(train.audio, cfg.cache or None))]
    if cfg.voices or cfg.codecs:
        out["variants"] = versions
    if cfg.channel_sim:
        from .channels import prepare_babble_talkers

        out["channel"] = (augment.training_rooms(), prepare_babble_talkers(train.audio), cfg.channel_sim)
    return out


def masked_cross_entropy(logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, label_smoothing: float = 0.0,
                         weight: torch.Tensor | None = None) -> torch.Tensor:
    """Label-smoothed cross-entropy over each clip's own classes.

    logits (B, C), y (B,), mask (B, C) bool: the classes the clip's corpus has.
    A nEMO clip (no calm, no disgust) is neither pushed away from calm and
    disgust nor given smoothing mass on them: its corpus says nothing about
    those classes. With every class allowed this is F.cross_entropy's
    label-smoothed loss (and, with `weight`, its weighted mean).
    """
    logp = torch.log_softmax(logits.masked_fill(~mask, float("-inf")), dim=-1)  # (B, C), -inf outside the mask
    nll = -logp.gather(1, y[:, None]).squeeze(1)  # (B,)
    smooth = -logp.masked_fill(~mask, 0.0).sum(1) / mask.sum(1)  # (B,) mean over the allowed classes
    loss = (1 - label_smoothing) * nll + label_smoothing * smooth
    if weight is None:
        return loss.mean()
    w = weight[y]
    return (loss * w).sum() / w.sum()


def train_one_epoch(model, batches, optimizer, scheduler, device, label_smoothing, mixup: float = 0.0,
                    class_weight: torch.Tensor | None = None) -> dict:
    """One pass over `batches`, which yield (x (B, N), y (B,)) or, with class masks, (x, y, mask (B, C))."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for x, y, *masks in batches:
        x, y = x.to(device), y.to(device)  # (B, N), (B,)
        if masks:
            mask = masks[0].to(device)

            def loss_of(logits, target, rows=slice(None)):
                return masked_cross_entropy(logits, target, mask[rows], label_smoothing, class_weight)
        else:
            def loss_of(logits, target, rows=None):
                return F.cross_entropy(logits, target, weight=class_weight, label_smoothing=label_smoothing)
        if mixup:
            # Standardise first, as the model does: otherwise the louder clip
            # of a pair dominates the mix whatever lambda says.
            x = standardise(x)
            lam = float(np.random.beta(mixup, mixup))
            lam = max(lam, 1 - lam)  # the first clip's label stays the majority one
            perm = torch.randperm(len(y), device=y.device)
            x = lam * x + (1 - lam) * x[perm]
            logits = model(x)
            loss = lam * loss_of(logits, y) + (1 - lam) * loss_of(logits, y[perm], perm)
        else:
            logits = model(x)  # (B, C)
            loss = loss_of(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total_loss += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        seen += len(y)
    return {"train_loss": total_loss / seen, "train_acc": correct / seen}


@torch.no_grad()
def validate(model, clips: ClipSet, window, hop, device) -> dict:
    """Whole-clip metrics with the serving path's window averaging, per corpus.

    val_uar is RAVDESS's (8 classes); with nEMO, val_uar_nemo is over its 6
    classes (argmax among them) and val_score, which picks the epoch, is the
    mean of the two, so neither corpus decides alone. Without nEMO val_score
    is val_uar, as before.
    """
    logits = clip_logits(model, clips.audio, window, hop, device)  # (B, C)
    y = torch.as_tensor(clips.labels)
    row = {"val_loss": F.cross_entropy(logits, y).item()}
    scores = []
    for corpus in clips.corpus_names():
        idx = [i for i, c in enumerate(clips.corpora) if c == corpus]
        m = corpus_metrics(logits[idx], [clips.labels[i] for i in idx], CORPUS_CLASSES[corpus])
        suffix = "" if corpus == "ravdess" else f"_{corpus}"
        row[f"val_acc{suffix}"], row[f"val_uar{suffix}"] = m["accuracy"], m["uar"]
        scores.append(m["uar"])
    row["val_score"] = float(np.mean(scores))
    return row


def train_member(cfg: TrainConfig, member: int, subset: dict, device, log_file, t0: float, simulation: dict | None = None):
    """Train one M5 from seed cfg.seed + member; returns (model at its best
    validation UAR, that epoch's log row, the per-epoch log)."""
    seed = cfg.seed + member
    set_seed(seed)  # member 0 draws exactly what a single-model run draws
    model = M5(M5Config(n_channel=cfg.n_channel, dropout=cfg.dropout, sample_rate=cfg.sample_rate)).to(device)
    window, hop = int(cfg.crop_seconds * cfg.sample_rate), int(cfg.hop_seconds * cfg.sample_rate)
    batches = train_batches(cfg, subset["train"].audio, subset["train"].labels, generator=np.random.default_rng(seed),
                            class_masks=subset["train"].class_masks() if cfg.nemo_loss == "masked" and cfg.nemo else None,
                            simulation=simulation, corpora=subset["train"].corpora)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=cfg.epochs * len(batches))

    class_weight = None
    if cfg.class_weight:  # n / (classes * count): 1 for a class of average size
        counts = np.bincount(subset["train"].labels, minlength=len(EMOTIONS))
        class_weight = torch.tensor(len(subset["train"].labels) / (len(EMOTIONS) * counts), dtype=torch.float32, device=device)
    log, best, best_state = [], None, None
    desc = "epochs" if cfg.ensemble == 1 else f"member {member + 1}/{cfg.ensemble}"
    with tqdm(range(1, cfg.epochs + 1), desc=desc, unit="epoch", disable=None) as bar:
        for epoch in bar:
            row = {"member": member, "epoch": epoch, "lr": scheduler.get_last_lr()[0]}
            row.update(train_one_epoch(model, batches, optimizer, scheduler, device, cfg.label_smoothing, cfg.mixup, class_weight))
            row.update(validate(model, subset["val"], window, hop, device))
            row["elapsed_s"] = round(time.time() - t0, 1)
            log.append(row)
            log_file.write(json.dumps(row) + "\n")
            log_file.flush()
            if best is None or row["val_score"] > best["val_score"]:
                best, best_state = row, copy.deepcopy(model.state_dict())
            bar.set_postfix(loss=f"{row['train_loss']:.3f}", val_acc=f"{row['val_acc']:.3f}", best=best["epoch"])
            tqdm.write(
                f"{'' if cfg.ensemble == 1 else f'member {member} '}epoch {epoch:3d} | "
                f"train loss {row['train_loss']:.4f} acc {row['train_acc']:.3f} | "
                f"val loss {row['val_loss']:.4f} acc {row['val_acc']:.3f} uar {row['val_uar']:.3f}"
                + (f" | nEMO acc {row['val_acc_nemo']:.3f} uar {row['val_uar_nemo']:.3f}" if "val_uar_nemo" in row else "")
            )
    model.load_state_dict(best_state)
    return model, best, log


def resolve_split(cfg: TrainConfig) -> dict:
    """{"train", "val", "test"}: RAVDESS actor ids, disjoint; training defaults to every
    other actor. With nEMO, "nemo": {"train", "val", "test"} speaker ids too; its test
    speakers are fixed (train.nemo.NEMO_TEST_SPEAKERS), whatever the flags say."""
    test_actors, val_actors = parse_actors(cfg.test_actors), parse_actors(cfg.val_actors)
    if set(val_actors) & set(test_actors):
        raise ValueError("Validation and test actors overlap.")
    train_actors = parse_actors(cfg.train_actors) if cfg.train_actors else tuple(
        a for a in range(1, N_ACTORS + 1) if a not in val_actors + test_actors
    )
    if set(train_actors) & set(val_actors + test_actors):
        raise ValueError("Training actors overlap validation or test actors.")
    if set(test_actors) != set(TEST_ACTORS) or set(val_actors) != set(VAL_ACTORS):
        print(f"note: non-default split (test {format_actors(test_actors)}, val {format_actors(val_actors)})", file=sys.stderr)
    split = {"train": list(train_actors), "val": list(val_actors), "test": list(test_actors)}
    if cfg.nemo:
        from .nemo import NEMO_TEST_SPEAKERS, find_nemo_clips

        speakers = sorted({c.speaker for c in find_nemo_clips(cfg.nemo)})
        val = [s.strip() for s in cfg.nemo_val_speakers.split(",") if s.strip()]
        if unknown := set(val) - set(speakers):
            raise ValueError(f"nEMO has no speaker {', '.join(sorted(unknown))}; its speakers are {', '.join(speakers)}.")
        if set(val) & set(NEMO_TEST_SPEAKERS):
            raise ValueError(f"nEMO validation speakers overlap its test speakers {', '.join(NEMO_TEST_SPEAKERS)}.")
        split["nemo"] = {"train": [s for s in speakers if s not in val and s not in NEMO_TEST_SPEAKERS],
                         "val": val, "test": list(NEMO_TEST_SPEAKERS)}
    if cfg.nemo_share and not cfg.nemo:
        raise ValueError("--nemo-share balances RAVDESS against nEMO: give --nemo too.")
    if not 0 <= cfg.nemo_share < 1:
        raise ValueError(f"--nemo-share is nEMO's share of an epoch, at least 0 and below 1; got {cfg.nemo_share}.")
    if cfg.mic_per_clip and not cfg.mic_filter:
        raise ValueError("--mic-per-clip draws the microphone filter per crop: give --mic-filter a share too.")
    if cfg.speed_per_clip and not cfg.speed_perturb:
        raise ValueError("--speed-per-clip draws the speed perturbation per crop: give --speed-perturb a range too.")
    if cfg.mic_tilt and not cfg.mic_filter:
        raise ValueError("--mic-tilt tilts the batches the microphone filter colours: give --mic-filter a share too.")
    if cfg.nemo_loss not in ("masked", "all"):
        raise ValueError(f"--nemo-loss is 'masked' or 'all', not '{cfg.nemo_loss}'.")
    return split


def write_run_record(run_dir: Path, cfg: TrainConfig, command: str, split: dict) -> None:
    """The exact config, command line and split, written before any training (minGPT's habit)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n")
    (run_dir / "args.txt").write_text(command + "\n")
    (run_dir / "split.json").write_text(json.dumps(split) + "\n")


def load_split(cfg: TrainConfig, split: dict) -> dict[str, ClipSet]:
    """{"train"|"val"|"test": ClipSet of clips as the front end returns them}, decoded
    once (cached); RAVDESS first, then nEMO's when the run uses it."""
    actors = tuple(split["train"] + split["val"] + split["test"])
    clips = find_clips(cfg.data, actors)
    check_complete(clips, actors)
    audio = decode_clips(clips, cfg.sample_rate, cfg.cache or None)
    data = {
        name: ClipSet([a for a, c in zip(audio, clips) if c.actor in split[name]],
                      [c.label for c in clips if c.actor in split[name]],
                      ["ravdess"] * sum(c.actor in split[name] for c in clips))
        for name in ("train", "val", "test")
    }
    if "nemo" in split:
        from .nemo import find_nemo_clips

        nemo = find_nemo_clips(cfg.nemo)
        nemo_audio = decode_clips(nemo, cfg.sample_rate, cfg.cache or None, corpus="nemo")
        for name, speakers in split["nemo"].items():
            part = [i for i, c in enumerate(nemo) if c.speaker in speakers]
            data[name] = data[name] + ClipSet([nemo_audio[i] for i in part], [nemo[i].label for i in part], ["nemo"] * len(part))
    return data


def describe_training(cfg: TrainConfig) -> dict:
    """The augmentation and optimisation of a run, in the run's own terms: recorded
    in config.json, from which the model card describes them."""
    placeholders = {"variants": [[None] * (cfg.voices + cfg.codecs)]} if cfg.voices or cfg.codecs else {}
    if cfg.channel_sim:
        placeholders["channel"] = ([], [], cfg.channel_sim)
    augmentation = train_batches(cfg, [], [], generator=np.random.default_rng(0), simulation=placeholders).describe()
    if cfg.nemo_share:
        augmentation.append({"kind": "corpus_share", "share": cfg.nemo_share,
                             "description": f"each epoch every RAVDESS training clip and a fresh random draw of nEMO's, "
                                            f"nEMO making up {cfg.nemo_share:.0%} of the epoch"})
    if cfg.mixup:
        augmentation.append({"kind": "mixup", "alpha": cfg.mixup,
                             "description": f"mixup of standardised crops (Beta({cfg.mixup:g}, {cfg.mixup:g}))"})
    loss = f"label smoothing {cfg.label_smoothing:g}" + (", class-weighted loss" if cfg.class_weight else "")
    optimisation = (f"AdamW (weight decay {cfg.weight_decay:g}) with a one-cycle schedule peaking at lr {cfg.lr:g}, "
                    f"batches of {cfg.batch_size}, {loss}, {cfg.epochs} epochs")
    return {"augmentation": augmentation, "optimisation": optimisation}


def train_members(cfg: TrainConfig, data: dict, device, run_dir: Path, t0: float) -> tuple[M5 | M5Ensemble, list, list]:
    """Train cfg.ensemble M5s from seeds seed, seed+1, ...; returns (one model -- an
    M5Ensemble when there are several -- each member at its best validation UAR,
    their best log rows, their per-epoch logs)."""
    pre = preprocessing_of(cfg)
    # What the model hears: preprocessed once here, as the recognizer does at serving.
    subset = {name: clips._replace(audio=[preprocess(a, pre) for a in clips.audio]) for name, clips in data.items() if name != "test"}
    simulation = simulated_speakers_and_channels(cfg, subset["train"])
    members, bests, logs = [], [], []
    with open(run_dir / "log.jsonl", "w") as log_file:
        for member in range(cfg.ensemble):
            model, best, log = train_member(cfg, member, subset, device, log_file, t0, simulation)
            members.append(model)
            bests.append(best)
            logs.append(log)
    if cfg.ensemble == 1:
        return members[0], bests, logs
    ensemble = M5Ensemble(members[0].config, cfg.ensemble).to(device)
    for target, member in zip(ensemble.members, members):
        target.load_state_dict(member.state_dict())
    return ensemble, bests, logs


def checkpoint_metadata(cfg: TrainConfig, command: str, split: dict, bests: list, train_seconds: float, device) -> dict:
    """config.json beyond what save_checkpoint fills in: preprocessing and the training record."""
    return {
        "preprocessing": preprocessing_of(cfg),
        "training": {
            "command": command,
            "config": asdict(cfg),
            "corpora": ["ravdess", "nemo"] if "nemo" in split else ["ravdess"],
            "split": split,
            "selected_by": ("best validation UAR" if "nemo" not in split else "best mean of the RAVDESS and nEMO validation UARs")
                           + (" (per member)" if cfg.ensemble > 1 else ""),
            "best_epoch": [b["epoch"] for b in bests] if cfg.ensemble > 1 else bests[0]["epoch"],
            **describe_training(cfg),
            "train_seconds": round(train_seconds, 1),
            "device": str(device),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "python": platform.python_version(),
        },
        "license": "CC BY-NC-SA 4.0: trained on RAVDESS (Livingstone & Russo 2018)"
                   + (" and nEMO (Christop 2024)" if "nemo" in split else ""),
    }


def calibrate_and_save(model, metadata: dict, data: dict[str, ClipSet], out: Path, device) -> dict:
    """Fit the temperature on the validation speakers' logits (in memory), save the
    checkpoint once, then hear the test speakers exactly once, through the loading
    path the app uses. Returns split_metrics()."""
    in_memory = EmotionRecognizer(model, {**metadata, "labels": list(EMOTIONS)}, device)
    val_logits = in_memory.logits(data["val"].audio, temperature=1.0)
    record = calibration_record(fit_temperature(val_logits, data["val"].labels))
    save_checkpoint(model, out, {**metadata, "calibration": record})
    served = EmotionRecognizer.load(out, device=str(device))
    return split_metrics(record, val_logits, served.logits(data["test"].audio, temperature=1.0), data,
                         metadata["training"]["split"])


def split_metrics(record: dict, val_logits: torch.Tensor, test_logits: torch.Tensor, data: dict[str, ClipSet], split: dict) -> dict:
    """From raw (T = 1) logits of the validation and test clips: {"test", "val"} (RAVDESS,
    8 classes) with the record's temperature, the test with its uncalibrated ECE too, and
    with nEMO {"nemo_test", "nemo_val"} over its 6 classes."""
    is_ravdess = {name: torch.tensor([c == "ravdess" for c in data[name].corpora]) for name in ("val", "test")}
    val, test = calibrated_metrics(record, val_logits[is_ravdess["val"]], data["val"].of("ravdess").labels,
                                   test_logits[is_ravdess["test"]], data["test"].of("ravdess").labels)
    test["actors"], val["actors"] = split["test"], split["val"]
    metrics = {"test": test, "val": val}
    if "nemo" in split:
        for name, logits in (("val", val_logits), ("test", test_logits)):
            m = corpus_metrics(logits[~is_ravdess[name]] / record["temperature"], data[name].of("nemo").labels,
                               CORPUS_CLASSES["nemo"])
            metrics[f"nemo_{name}"] = {**m, "speakers": split["nemo"][name]}
    return metrics


def write_reports(cfg: TrainConfig, out: Path, metrics: dict, logs: list) -> None:
    """metrics.json, the curves, the test confusion matrix and the model card."""
    run_dir = out / "run"
    update_config(out, metrics=metrics)
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    plot_curves(logs, run_dir / "curves.png")
    test = metrics["test"]
    plot_confusion(test["confusion"], EMOTIONS, run_dir / "confusion_test.png",
                   f"Test actors {format_actors(test['actors'])}: accuracy {test['accuracy']:.1%}, UAR {test['uar']:.1%}")
    write_model_card(out)


def run(cfg: TrainConfig, command: str = "") -> dict:
    """One training run, stage by stage; returns the metrics also written to config.json."""
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
    model, bests, logs = train_members(cfg, data, device, out / "run", t0)
    metadata = checkpoint_metadata(cfg, command, split, bests, time.time() - t0, device)
    metrics = {**calibrate_and_save(model, metadata, data, out, device),
               "best_epoch": metadata["training"]["best_epoch"], "train_seconds": metadata["training"]["train_seconds"]}
    write_reports(cfg, out, metrics, logs)
    print(format_report(metrics["test"], f"\nTest actors {format_actors(split['test'])} (never seen in training):"))
    print(f"wrote {out}/ in {time.time() - t0:.0f} s")
    return metrics


def config_comments() -> dict[str, str]:
    """TrainConfig's trailing comments by field name. They document each setting
    once, in the dataclass, and become the flags' --help text."""
    import inspect
    import io
    import re
    import tokenize

    try:
        source = inspect.getsource(TrainConfig)
    except (OSError, TypeError):  # no source (a frozen install): flags keep their defaults only
        return {}
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        field_line = re.match(r"\s*(\w+)\s*:", token.line)
        if token.type == tokenize.COMMENT and field_line:
            comments[field_line.group(1)] = token.string.lstrip("#").strip()
    return comments


def add_config_flags(parser) -> None:
    """Every TrainConfig field as a flag (--n-channel 64, --trim/--no-trim, ...), its
    comment as the help and its default shown."""
    import argparse

    comments = config_comments()
    for f in fields(TrainConfig):
        flag = f"--{f.name.replace('_', '-')}"
        about = comments.get(f.name, "").replace("%", "%%")  # argparse formats help with %
        if f.type in ("bool", bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=about or None)
        else:
            kind = {"int": int, "float": float, "str": str}[f.type if isinstance(f.type, str) else f.type.__name__]
            help_text = f"{about} (default: %(default)r)" if about else "default: %(default)r"
            parser.add_argument(flag, type=kind, default=f.default, help=help_text)


def config_from(namespace) -> TrainConfig:
    """The TrainConfig in parsed arguments that may hold other flags too."""
    return TrainConfig(**{f.name: getattr(namespace, f.name) for f in fields(TrainConfig)})


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    """Every TrainConfig field is a flag (its comment is the help); run/config.json records the values."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m train", description=__doc__.splitlines()[0])
    add_config_flags(parser)
    return config_from(parser.parse_args(argv))


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    try:
        # A wrong flag or data folder is the user's to fix: one line, before any decoding.
        parse_speeds(cfg.test_time_speeds)
        resolve_split(cfg)
        find_clips(cfg.data)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f"python -m train: error: {e}") from None
    command = "python -m train " + shlex.join(sys.argv[1:] if argv is None else argv)
    run(cfg, command)
    return 0

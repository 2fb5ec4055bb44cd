"""Fit one M5: the loss, one epoch, validation, and a member trained to its best epoch.

    model, best, log, trained_on = train_member(cfg, member, {"train": ClipSet, "val": ClipSet}, device, log_file, t0)

Validation scores whole clips through the serving path's window averaging
(emotion.inference.clip_logits), per corpus; the epoch whose mean
validation UAR over the corpora is best is kept.
"""

from __future__ import annotations

import copy
import json
import random
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from emotion.inference import clip_logits
from emotion.labels import EMOTIONS
from emotion.model import M5, M5Config, standardise

from . import augment
from .batches import LoadedBatches, loader, train_batches
from .config import TrainConfig, recipe
from .corpora import CORPORA, MAIN, names_of
from .data import ClipSet
from .metrics import score_corpus
from .state import load_state, restore_rng, rng_states, save_state, state_path, where


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def masked_cross_entropy(logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, label_smoothing: float = 0.0,
                         weight: torch.Tensor | None = None, targets: torch.Tensor | None = None,
                         reduce: bool = True) -> torch.Tensor:
    """Label-smoothed cross-entropy over each clip's own classes.

    logits (B, C), y (B,), mask (B, C) bool: the classes the clip's corpus has.
    A nEMO clip (no calm, no disgust) is neither pushed away from calm and
    disgust nor given smoothing mass on them: its corpus says nothing about
    those classes. With every class allowed this is F.cross_entropy's
    label-smoothed loss (and, with `weight`, its weighted mean).

    targets (B, C) bool, for corpora labelled by set (BAVED's levels): the
    emotions each clip may be; its loss is -log of the probability mass on the
    set, which for a one-emotion set is the cross-entropy above.
    reduce=False: each clip's loss (B,), unweighted.
    """
    logp = torch.log_softmax(logits.masked_fill(~mask, float("-inf")), dim=-1)  # (B, C), -inf outside the mask
    if targets is None:
        nll = -logp.gather(1, y[:, None]).squeeze(1)  # (B,)
    else:
        nll = -torch.logsumexp(logp.masked_fill(~targets, float("-inf")), dim=1)  # (B,) -log P(set)
    smooth = -logp.masked_fill(~mask, 0.0).sum(1) / mask.sum(1)  # (B,) mean over the allowed classes
    loss = (1 - label_smoothing) * nll + label_smoothing * smooth
    return loss if not reduce else clip_mean(loss, y, weight)


def clip_mean(loss: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """The mean of per-clip losses (B,), weighted by each clip's class weight when given
    (F.cross_entropy's weighted mean)."""
    if weight is None:
        return loss.mean()
    w = weight[y]
    return (loss * w).sum() / w.sum()


def soft_cross_entropy(logits: torch.Tensor, probs: torch.Tensor, mask: torch.Tensor, reduce: bool = True) -> torch.Tensor:
    """Mean cross-entropy from a teacher's probabilities (B, C) to the logits, over each clip's
    own classes (mask (B, C) bool): the teacher's mass outside them -- calm for a nEMO clip --
    is dropped and the rest renormalised, as the true labels' loss says nothing there either.
    reduce=False: each clip's (B,)."""
    logp = torch.log_softmax(logits.masked_fill(~mask, float("-inf")), dim=-1).masked_fill(~mask, 0.0)
    p = probs * mask
    p = p / p.sum(1, keepdim=True).clamp(min=1e-12)
    loss = -(p * logp).sum(1)
    return loss.mean() if reduce else loss


def distilled_loss(logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, soft: torch.Tensor, distill_weight: float,
                   label_smoothing: float = 0.0, weight: torch.Tensor | None = None,
                   targets: torch.Tensor | None = None) -> torch.Tensor:
    """The labels' loss with a teacher's: per clip (1 - distill_weight) x masked_cross_entropy +
    distill_weight x soft_cross_entropy, averaged (weighted by class `weight` when given). A clip
    whose teacher row is NaN -- a corpus the teacher never heard -- keeps its labels' loss whole."""
    taught = ~torch.isnan(soft).any(1)  # (B,)
    hard = masked_cross_entropy(logits, y, mask, label_smoothing, targets=targets, reduce=False)
    # an untaught row becomes zeros: its soft loss is 0 with a zero gradient, and torch.where drops it
    from_teacher = soft_cross_entropy(logits, torch.nan_to_num(soft, nan=0.0), mask, reduce=False)
    per_clip = torch.where(taught, (1 - distill_weight) * hard + distill_weight * from_teacher, hard)
    return clip_mean(per_clip, y, weight)


def train_one_epoch(model, batches, optimizer, scheduler, device, label_smoothing, mixup: float = 0.0,
                    class_weight: torch.Tensor | None = None, bf16: bool = False, distill_weight: float = 0.0) -> dict:
    """One pass over `batches`, which yield (x (B, N), y (B,)) or, with class masks, (x, y, mask (B, C)).

    distill_weight > 0: each batch ends with a teacher's probabilities (B, C), and the loss is
    that share of soft_cross_entropy to them plus the rest of the true labels' loss.

    bf16: the forward pass under bfloat16 autocast (convolutions and the linear layer in bfloat16,
    batch norm and the loss in float32). Worth it where the hardware multiplies bfloat16 natively
    (a GPU, or a CPU with AVX512-BF16/AMX); validation and serving stay float32."""
    model.train()
    autocast = torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16)
    total_loss, correct, seen = 0.0, 0, 0
    for x, y, *masks in batches:
        x, y = x.to(device), y.to(device)  # (B, N), (B,)
        sets = soft = None
        if distill_weight:
            *masks, soft = masks
            soft = soft.to(device)
        if masks:
            mask = masks[0].to(device)
            sets = masks[1].to(device) if len(masks) > 1 else None  # set-valued targets (BAVED's levels)

            def loss_of(logits, target, rows=slice(None)):
                targets = None if sets is None else sets[rows]
                if soft is None:
                    return masked_cross_entropy(logits, target, mask[rows], label_smoothing, class_weight, targets)
                return distilled_loss(logits, target, mask[rows], soft[rows], distill_weight, label_smoothing,
                                      class_weight, targets)
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
            with autocast:
                logits = model(x).float()
            loss = lam * loss_of(logits, y) + (1 - lam) * loss_of(logits, y[perm], perm)
        else:
            with autocast:
                logits = model(x).float()  # (B, C)
            loss = loss_of(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total_loss += loss.item() * len(y)
        predicted = logits.argmax(1)
        # a set-valued target is hit by any emotion of its set
        correct += (predicted == y if sets is None else sets.gather(1, predicted[:, None]).squeeze(1)).sum().item()
        seen += len(y)
    return {"train_loss": total_loss / seen, "train_acc": correct / seen}


@torch.no_grad()
def validate(model, clips: ClipSet, window, hop, device, select_on: str = "all") -> dict:
    """Whole-clip metrics with the serving path's window averaging, per corpus.

    val_uar is the main corpus's (RAVDESS, 8 classes); another corpus's
    val_uar_NAME is over its own classes (argmax among them, e.g. nEMO's 6), and
    val_score, which picks the epoch, is the mean over the corpora, so no
    corpus decides alone. With RAVDESS alone, or `select_on` "main", val_score is
    val_uar: the other corpora's validation speakers are then scored but choose
    nothing, so they stay as unheard as test speakers (the development folds).
    """
    logits = clip_logits(model, clips.audio, window, hop, device)  # (B, C)
    y = torch.as_tensor(clips.labels)
    row = {"val_loss": F.cross_entropy(logits, y).item()}
    scores = []
    for corpus in clips.corpus_names():
        idx = [i for i, c in enumerate(clips.corpora) if c == corpus]
        m = score_corpus(logits[idx], [clips.labels[i] for i in idx], corpus)
        suffix = "" if corpus == MAIN else f"_{corpus}"
        row[f"val_acc{suffix}"], row[f"val_uar{suffix}"] = m["accuracy"], m["uar"]
        if select_on == "all" or corpus == MAIN:
            scores.append(m["uar"])
    row["val_score"] = float(np.mean(scores))
    return row


def resume_fingerprint(cfg: TrainConfig, split: dict | None, member: int) -> dict:
    """What a saved state must share with the run that takes it up: the recipe, the split, the member."""
    return {"recipe": recipe(asdict(cfg)), "split": split, "member": member}


def check_fingerprint(state: dict, fingerprint: dict, path) -> None:
    if state["fingerprint"] != fingerprint:
        theirs, mine = state["fingerprint"]["recipe"], fingerprint["recipe"]
        differ = sorted(k for k in set(theirs) | set(mine) if theirs.get(k) != mine.get(k))
        raise ValueError(f"--resume: {path} is a run of other settings ({', '.join(differ) or 'the split'}); "
                         "give the command it was started with, or another --out.")


def check_resume(cfg: TrainConfig, run_dir: Path, split: dict) -> None:
    """With --resume, every saved member state in run_dir must be this command's: a ValueError
    naming what differs, before anything is decoded or trained."""
    if not cfg.resume:
        return
    for member in range(cfg.ensemble):
        state = load_state(state_path(run_dir, member))
        if state is not None:
            check_fingerprint(state, resume_fingerprint(cfg, split, member), state_path(run_dir, member))


def train_member(cfg: TrainConfig, member: int, subset: dict, device, log_file, t0: float, simulation: dict | None = None,
                 run_dir: Path | None = None, split: dict | None = None, soft_targets: np.ndarray | None = None):
    """Train one M5 from seed cfg.seed + member; returns (model at its best
    validation UAR, that epoch's log row, the per-epoch log, where it trained:
    [{"epochs": [first, last], "seconds", "device", "cpu", ...}, one per process]).

    With `run_dir`, the member's whole state is saved there after every epoch
    (train.state); with cfg.resume, a saved state of the same recipe and split
    is taken up at the epoch after it, and the run goes on exactly as if it
    had never stopped.

    soft_targets (N, C): a teacher's probabilities for each training clip (cfg.teacher), which
    every crop of the clip learns beside its label (cfg.distill_weight)."""
    seed = cfg.seed + member
    set_seed(seed)  # member 0 draws exactly what a single-model run draws
    model = M5(M5Config(n_channel=cfg.n_channel, dropout=cfg.dropout, sample_rate=cfg.sample_rate, arch=cfg.arch)).to(device)
    window, hop = int(cfg.crop_seconds * cfg.sample_rate), int(cfg.hop_seconds * cfg.sample_rate)
    rng = np.random.default_rng(seed)  # the batches' one stream: every transform draws from it
    # Each clip's loss over its corpus's classes; a corpus labelled by level (a set of emotions) needs it.
    masked = ((cfg.nemo_loss == "masked" and len(cfg.corpus_folders()) > 1) or subset["train"].has_sets()
              or soft_targets is not None)  # the teacher's loss is taken within each clip's classes
    batches = train_batches(cfg, subset["train"].audio, subset["train"].labels, generator=rng,
                            class_masks=subset["train"].class_masks() if masked else None,
                            target_masks=subset["train"].target_masks() if subset["train"].has_sets() else None,
                            simulation=simulation, corpora=subset["train"].corpora, soft_targets=soft_targets)
    batches = loader(batches, cfg.loader_workers, seed, pin_memory=torch.device(device).type == "cuda")
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=cfg.epochs * len(batches))

    class_weight = None
    if cfg.class_weight:  # n / (classes * count): 1 for a class of average size
        counts = np.bincount(subset["train"].labels, minlength=len(EMOTIONS))
        class_weight = torch.tensor(len(subset["train"].labels) / (len(EMOTIONS) * counts), dtype=torch.float32, device=device)
    # With --select-on main the other corpora's validation speakers choose nothing: they are
    # heard once, at the end (train.run.split_metrics), not every epoch.
    choosing = subset["val"].of(MAIN) if cfg.select_on == "main" else subset["val"]
    log, best, best_state = [], None, None
    path = state_path(run_dir, member) if run_dir is not None else None
    fingerprint = resume_fingerprint(cfg, split, member)
    trained_on, start, offset = [], 1, 0.0
    state = load_state(path) if path is not None and cfg.resume else None
    if state is not None:
        check_fingerprint(state, fingerprint, path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        restore_rng(state["rng"], rng)
        log, best, best_state, trained_on = state["log"], state["best"], state["best_model"], state["trained_on"]
        start = state["epoch"] + 1
        offset = (log[-1]["elapsed_s"] if log else 0.0) - (time.time() - t0)  # the clock goes on from the stop
        for row in log:
            log_file.write(json.dumps(row) + "\n")
        log_file.flush()
        if start <= cfg.epochs:
            print(f"member {member}: resuming at epoch {start} of {cfg.epochs} from {path}")
        if torch.get_num_threads() != state["trained_on"][-1]["threads"] and torch.device(device).type == "cpu":
            print(f"note: {path} was trained at {state['trained_on'][-1]['threads']} threads, this run has "
                  f"{torch.get_num_threads()}: the weights will not be bit for bit an uninterrupted run's", file=sys.stderr)
    elif path is not None and path.exists():
        print(f"note: {path} holds a stopped run; starting afresh (add --resume to go on from it)", file=sys.stderr)
    if isinstance(batches, LoadedBatches):
        batches.batches.epoch = start - 1  # the workers seed each batch by (seed, epoch, batch)
    segment = {"epochs": [start, start - 1], "seconds": 0.0, **where(device)}
    segment_t0 = time.time()
    desc = "epochs" if cfg.ensemble == 1 else f"member {member + 1}/{cfg.ensemble}"
    with tqdm(range(start, cfg.epochs + 1), desc=desc, unit="epoch", disable=None, initial=start - 1,
              total=cfg.epochs) as bar:
        for epoch in bar:
            row = {"member": member, "epoch": epoch, "lr": scheduler.get_last_lr()[0]}
            row.update(train_one_epoch(model, batches, optimizer, scheduler, device, cfg.label_smoothing, cfg.mixup, class_weight,
                                       cfg.bf16, cfg.distill_weight if soft_targets is not None else 0.0))
            row.update(validate(model, choosing, window, hop, device, cfg.select_on))
            row["elapsed_s"] = round(time.time() - t0 + offset, 1)
            log.append(row)
            log_file.write(json.dumps(row) + "\n")
            log_file.flush()
            if best is None or row["val_score"] > best["val_score"]:
                best, best_state = row, copy.deepcopy(model.state_dict())
            if path is not None:
                segment.update(epochs=[start, epoch], seconds=round(time.time() - segment_t0, 1))
                save_state(path, {"fingerprint": fingerprint, "epoch": epoch, "model": model.state_dict(),
                                  "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                                  "rng": rng_states(rng), "log": log, "best": best, "best_model": best_state,
                                  "trained_on": [*trained_on, segment]})
            bar.set_postfix(loss=f"{row['train_loss']:.3f}", val_acc=f"{row['val_acc']:.3f}", best=best["epoch"])
            tqdm.write(
                f"{'' if cfg.ensemble == 1 else f'member {member} '}epoch {epoch:3d} | "
                f"train loss {row['train_loss']:.4f} acc {row['train_acc']:.3f} | "
                f"val loss {row['val_loss']:.4f} acc {row['val_acc']:.3f} uar {row['val_uar']:.3f}"
                + "".join(f" | {CORPORA[c].FACTS['name']} acc {row[f'val_acc_{c}']:.3f} uar {row[f'val_uar_{c}']:.3f}"
                          for c in CORPORA if f"val_uar_{c}" in row)
            )
    if start <= cfg.epochs:
        segment.update(epochs=[start, cfg.epochs], seconds=round(time.time() - segment_t0, 1))
        trained_on = [*trained_on, segment]
    model.load_state_dict(best_state)
    return model, best, log, trained_on


def describe_training(cfg: TrainConfig) -> dict:
    """The augmentation and optimisation of a run, in the run's own terms: recorded
    in config.json, from which the model card describes them."""
    placeholders = {"variants": [[None] * (cfg.voices + cfg.codecs)]} if cfg.voices or cfg.codecs else {}
    if cfg.channel_sim:
        placeholders["channel"] = ([], [], cfg.channel_sim)
    augmentation = train_batches(cfg, [], [], generator=np.random.default_rng(0), simulation=placeholders).describe()
    if cfg.channel_sim and cfg.room_bank != 1:  # bank 1 goes unsaid, as in every run recorded before bank 2
        augmentation.append({"kind": "room_bank", "bank": cfg.room_bank,
                             "description": f"the simulated rooms: {augment.ROOM_BANKS[cfg.room_bank]}"})
    shares = cfg.shares()
    if shares:
        added = names_of(list(shares))
        share = f"{sum(shares.values()):.0%}" if len(shares) == 1 else ", ".join(
            f"{names_of([c])} {v:.0%}" for c, v in shares.items())
        augmentation.append({"kind": "corpus_share", "share": cfg.nemo_share if list(shares) == ["nemo"] else shares,
                             "description": f"each epoch every {names_of([MAIN])} training clip and a fresh random draw of "
                                            f"{added}'s, {added} making up {share} of the epoch"})
    for name in sorted(cfg.scored_only()):
        augmentation.append({"kind": "scored_only", "corpus": name,
                             "description": f"{names_of([name])} training speakers heard only on the clips it scores "
                                            "(for ASED, the sentences spoken in every emotion)"})
    if cfg.mixup:
        augmentation.append({"kind": "mixup", "alpha": cfg.mixup,
                             "description": f"mixup of standardised crops (Beta({cfg.mixup:g}, {cfg.mixup:g}))"})
    loss = f"label smoothing {cfg.label_smoothing:g}" + (", class-weighted loss" if cfg.class_weight else "")
    if cfg.teacher:
        loss += (f", distilled: {cfg.distill_weight:.0%} of the loss is the cross-entropy to the probabilities "
                 f"the teacher ensemble ({Path(cfg.teacher).name}) gives each clean training clip of the corpora "
                 f"it trained on (the others learn from their labels alone)")
    optimisation = (f"AdamW (weight decay {cfg.weight_decay:g}) with a one-cycle schedule peaking at lr {cfg.lr:g}, "
                    f"batches of {cfg.batch_size}, {loss}, {cfg.epochs} epochs")
    return {"augmentation": augmentation, "optimisation": optimisation}



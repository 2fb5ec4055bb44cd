"""How well logits name emotions: accuracy, UAR, per-class recall, confusion, calibration.

    m = metrics_from_logits(logits, labels)          # (B, 8) clip logits, already / T
    m = corpus_metrics(logits, labels, classes)      # a corpus labelled with some of the 8 only
    m = score_corpus(logits, labels, "baved")        # as the corpus is labelled (BAVED: by level)
    print(format_report(m, "title"))

UAR (unweighted average recall: the mean of the per-class recalls) does not
reward ignoring a small class, such as RAVDESS's half-sized neutral.
"""

from __future__ import annotations

import numpy as np
import torch

from emotion.inference import EmotionRecognizer
from emotion.labels import EMOTIONS, format_actors

from .corpora import classes_of, levels_of, ravdess


def classification_metrics(y_true, y_pred, probs=None, n_bins: int = 15) -> dict:
    """accuracy, uar, per-class recall and confusion (rows true, cols predicted);
    with `probs` (B, C) also the expected calibration error (ECE, `n_bins` bins)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    n = len(EMOTIONS)
    confusion = np.zeros((n, n), dtype=int)
    np.add.at(confusion, (y_true, y_pred), 1)
    support = confusion.sum(1)
    recall = np.divide(np.diag(confusion), support, out=np.zeros(n), where=support > 0)
    metrics = {
        "n": int(len(y_true)),
        "accuracy": float((y_true == y_pred).mean()) if len(y_true) else 0.0,
        "uar": float(recall[support > 0].mean()) if support.any() else 0.0,
        "per_class": {e: float(r) for e, r, s in zip(EMOTIONS, recall, support) if s > 0},
        "confusion": confusion.tolist(),
        "labels": list(EMOTIONS),
    }
    if probs is not None:
        probs = np.asarray(probs)
        conf, correct = probs.max(1), (probs.argmax(1) == y_true)
        bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
        ece = sum(abs(correct[bins == b].mean() - conf[bins == b].mean()) * (bins == b).mean() for b in range(n_bins) if (bins == b).any())
        metrics["ece"] = float(ece)
        metrics["nll"] = float(-np.log(probs[np.arange(len(y_true)), y_true] + 1e-12).mean())
    return metrics


def corpus_metrics(logits: torch.Tensor, labels: list[int], classes: tuple[int, ...]) -> dict:
    """Metrics of (B, 8) logits on a corpus labelled with `classes` only (indices
    into EMOTIONS): classification_metrics of the argmax over those classes
    (chance 1 / len(classes)), plus the unrestricted 8-way figures under *_8way."""
    classes_t = torch.tensor(classes)
    restricted = torch.full_like(logits, float("-inf"))
    restricted[:, classes_t] = logits[:, classes_t]
    probs = torch.softmax(restricted, dim=-1).numpy()  # (B, 8), zero outside `classes`
    metrics = classification_metrics(labels, probs.argmax(1), probs)
    eight_way = logits.argmax(1).numpy()
    eight = classification_metrics(labels, eight_way)
    metrics.update(
        classes=[EMOTIONS[i] for i in classes],
        chance=1 / len(classes),
        accuracy_8way=eight["accuracy"],
        uar_8way=eight["uar"],
        per_class_8way=eight["per_class"],
        confusion_8way=eight["confusion"],
        answered_outside_classes=float(np.mean(~np.isin(eight_way, classes))) if len(eight_way) else 0.0,
    )
    return metrics


def level_metrics(logits: torch.Tensor, labels: list[int], levels: dict[str, tuple[int, ...]], n_bins: int = 15) -> dict:
    """Metrics of (B, 8) logits on a corpus labelled by level (BAVED): each level's probability
    is the mass on its emotions, the answer the most probable level, chance 1 / len(levels).
    accuracy, uar, per_class (by level name), confusion (levels, rows true), ece and nll of the
    level probabilities; `labels` are each level's first emotion, as the corpus stores them."""
    names, sets = list(levels), list(levels.values())
    probs = torch.softmax(logits, dim=-1)
    mass = torch.stack([probs[:, list(s)].sum(1) for s in sets], dim=1).numpy()  # (B, levels)
    truth = np.array([next(j for j, s in enumerate(sets) if y in s) for y in labels], dtype=int)
    guess = mass.argmax(1) if len(mass) else np.zeros(0, int)
    k = len(names)
    confusion = np.zeros((k, k), dtype=int)
    np.add.at(confusion, (truth, guess), 1)
    support = confusion.sum(1)
    recall = np.divide(np.diag(confusion), support, out=np.zeros(k), where=support > 0)
    conf, correct = (mass.max(1), guess == truth) if len(mass) else (np.zeros(0), np.zeros(0, bool))
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    return {
        "n": int(len(truth)),
        "accuracy": float(correct.mean()) if len(truth) else 0.0,
        "uar": float(recall[support > 0].mean()) if support.any() else 0.0,
        "per_class": {n: float(r) for n, r, c in zip(names, recall, support) if c > 0},
        "confusion": confusion.tolist(),
        "labels": names,
        "classes": names,
        "levels": {n: [EMOTIONS[i] for i in s] for n, s in levels.items()},
        "chance": 1 / k,
        "ece": float(sum(abs(correct[bins == b].mean() - conf[bins == b].mean()) * (bins == b).mean()
                         for b in range(n_bins) if (bins == b).any())),
        "nll": float(-np.log(mass[np.arange(len(truth)), truth] + 1e-12).mean()) if len(truth) else 0.0,
    }


def score_corpus(logits: torch.Tensor, labels: list[int], corpus: str) -> dict:
    """How the logits score on a corpus, as that corpus is labelled: by level (level_metrics) or
    by its own emotions (corpus_metrics)."""
    levels = levels_of(corpus)
    return level_metrics(logits, labels, levels) if levels else corpus_metrics(logits, labels, classes_of(corpus))


def metrics_from_logits(logits: torch.Tensor, labels) -> dict:
    """classification_metrics of clip logits (B, C), already divided by any temperature."""
    probs = torch.softmax(logits, dim=-1).numpy()
    return classification_metrics(labels, probs.argmax(1), probs)


def evaluate(recognizer: EmotionRecognizer, audio: list[np.ndarray], labels: list[int]) -> dict:
    """Metrics of `recognizer` on clips as the front end returns them (float32 at its rate)."""
    return metrics_from_logits(recognizer.logits(audio), labels)


def heard_actors(config: dict) -> set[int]:
    """The RAVDESS actors a checkpoint heard in training or validation: its
    recorded split, or (a checkpoint without one) every actor but 21-24."""
    split = config.get("training", {}).get("split") or {}
    if "train" in split:
        return set(split["train"]) | set(split.get("val", []))
    return set(ravdess.SPEAKERS) - set(ravdess.TEST_ACTORS)


def unseen_note(config: dict, actors) -> str:
    """Whether scoring these actors measures unseen speakers, in the report's words."""
    heard = sorted(set(actors) & heard_actors(config))
    return "unseen in training" if not heard else f"CAUTION: actors {format_actors(heard)} were heard in training or validation"


def format_report(m: dict, title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"n={m['n']}  accuracy={m['accuracy']:.1%}  UAR={m['uar']:.1%}" + (f"  ECE={m['ece']:.1%}" if "ece" in m else ""))
    lines.append("per-class recall: " + "  ".join(f"{e} {r:.0%}" for e, r in m["per_class"].items()))
    lines.append("confusion (rows true, columns predicted):")
    lines.append(" " * 10 + "".join(f"{e[:5]:>6}" for e in m["labels"]))
    for e, row in zip(m["labels"], m["confusion"]):
        lines.append(f"{e:<10}" + "".join(f"{v:>6}" for v in row))
    return "\n".join(lines)

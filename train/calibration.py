"""Temperature scaling: make the probabilities mean what they say.

One temperature T > 0 divides the clip logits; it is fitted on the
validation speakers (never the test speakers) by minimising the negative
log-likelihood. T only rescales the logits, so the predicted emotion never
changes, only how sure the model says it is. `python -m train` fits it at the
end of a run; `python -m train.calibrate` refits saved weights.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .data import ClipSet
from .metrics import metrics_from_logits


def fit_temperature(logits: torch.Tensor, labels, targets: torch.Tensor | None = None, groups=None) -> float:
    """The T > 0 minimising mean NLL of softmax(logits / T); logits (B, C). With `targets`
    (B, C) bool, the emotions each clip may be (a corpus labelled by level), a clip's NLL
    is -log of the probability on its set. With `groups` (a name per clip), the NLL is
    averaged within each group and the groups' means averaged: each group weighs the same
    whatever its number of clips."""
    y = torch.as_tensor(labels)
    weights = torch.full((len(y),), 1.0 / len(y))
    if groups is not None:
        _, index, counts = np.unique(np.asarray(groups), return_inverse=True, return_counts=True)
        weights = torch.from_numpy(1.0 / (len(counts) * counts[index])).float()
    log_t = torch.zeros((), requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        if targets is None:
            nll = F.cross_entropy(logits / log_t.exp(), y, reduction="none")
        else:
            logp = torch.log_softmax(logits / log_t.exp(), dim=-1)
            nll = -torch.logsumexp(logp.masked_fill(~targets, float("-inf")), dim=1)
        loss = (weights * nll).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp())


def fit_temperature_on(logits: torch.Tensor, clips: ClipSet, by_corpus: bool = False) -> float:
    """fit_temperature on the clips' labels, as sets where a corpus labels by level; with
    `by_corpus`, each corpus's validation speakers weigh the same (else each clip does, and
    the corpus with the most validation clips sets T)."""
    return fit_temperature(logits, clips.labels, torch.from_numpy(clips.target_masks()) if clips.has_sets() else None,
                           groups=clips.corpora if by_corpus else None)


def calibration_record(temperature: float, by_corpus: bool = False) -> dict:
    """config.json's "calibration" block. T is rounded once, here, and every
    metric is computed with the rounded value, so re-evaluating the saved
    weights gives the recorded figures exactly."""
    return {"method": "temperature scaling", "temperature": round(temperature, 4),
            # every corpus's validation speakers together: the clips a run validates on
            "fitted_on": "the validation speakers of every corpus trained on (training.split)"
                         + (", each corpus weighing the same" if by_corpus else "")}


def calibrated_metrics(record: dict, val_logits: torch.Tensor, val_labels, test_logits: torch.Tensor, test_labels) -> tuple[dict, dict]:
    """From raw (T = 1) clip logits and a calibration record: (validation metrics, test
    metrics), both with the record's temperature, the test metrics with the
    uncalibrated ECE and NLL beside the calibrated ones."""
    t = record["temperature"]
    before = metrics_from_logits(test_logits, test_labels)
    after = metrics_from_logits(test_logits / t, test_labels)
    after["ece_uncalibrated"], after["nll_uncalibrated"] = before["ece"], before["nll"]
    return metrics_from_logits(val_logits / t, val_labels), after

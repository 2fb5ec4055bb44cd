"""Temperature scaling: make the probabilities mean what they say.

One temperature T > 0 divides the clip logits; it is fitted on the
validation speakers (never the test speakers) by minimising the negative
log-likelihood. T only rescales the logits, so the predicted emotion never
changes, only how sure the model says it is. `python -m train` fits it at the
end of a run; `python -m train.calibrate` refits saved weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .data import ClipSet
from .metrics import metrics_from_logits


def fit_temperature(logits: torch.Tensor, labels, targets: torch.Tensor | None = None) -> float:
    """The T > 0 minimising mean NLL of softmax(logits / T); logits (B, C). With `targets`
    (B, C) bool, the emotions each clip may be (a corpus labelled by level), a clip's NLL
    is -log of the probability on its set."""
    y = torch.as_tensor(labels)
    log_t = torch.zeros((), requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        if targets is None:
            loss = F.cross_entropy(logits / log_t.exp(), y)
        else:
            logp = torch.log_softmax(logits / log_t.exp(), dim=-1)
            loss = -torch.logsumexp(logp.masked_fill(~targets, float("-inf")), dim=1).mean()
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp())


def fit_temperature_on(logits: torch.Tensor, clips: ClipSet) -> float:
    """fit_temperature on the clips' labels, as sets where a corpus labels by level."""
    return fit_temperature(logits, clips.labels, torch.from_numpy(clips.target_masks()) if clips.has_sets() else None)


def calibration_record(temperature: float) -> dict:
    """config.json's "calibration" block. T is rounded once, here, and every
    metric is computed with the rounded value, so re-evaluating the saved
    weights gives the recorded figures exactly."""
    return {"method": "temperature scaling", "temperature": round(temperature, 4),
            # every corpus's validation speakers together: the clips a run validates on
            "fitted_on": "the validation speakers of every corpus trained on (training.split)"}


def calibrated_metrics(record: dict, val_logits: torch.Tensor, val_labels, test_logits: torch.Tensor, test_labels) -> tuple[dict, dict]:
    """From raw (T = 1) clip logits and a calibration record: (validation metrics, test
    metrics), both with the record's temperature, the test metrics with the
    uncalibrated ECE and NLL beside the calibrated ones."""
    t = record["temperature"]
    before = metrics_from_logits(test_logits, test_labels)
    after = metrics_from_logits(test_logits / t, test_labels)
    after["ece_uncalibrated"], after["nll_uncalibrated"] = before["ece"], before["nll"]
    return metrics_from_logits(val_logits / t, val_labels), after

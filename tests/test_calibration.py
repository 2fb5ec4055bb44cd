"""Temperature scaling recovers a known temperature and never changes the predicted class."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from train.calibration import fit_temperature
from train.metrics import classification_metrics


def test_fit_temperature_recovers_the_temperature_that_generated_the_labels():
    rng = np.random.default_rng(0)
    true_logits = torch.from_numpy(rng.normal(0, 2, (4000, 8))).float()
    labels = torch.distributions.Categorical(logits=true_logits).sample()
    # A model three times too sure of itself:
    assert fit_temperature(3.0 * true_logits, labels) == pytest.approx(3.0, rel=0.08)
    assert fit_temperature(true_logits, labels) == pytest.approx(1.0, rel=0.08)


def test_ece_is_zero_for_a_perfectly_calibrated_model_and_large_for_an_overconfident_one():
    rng = np.random.default_rng(1)
    n = 20000
    probs = np.full((n, 8), 0.1 / 7)
    probs[:, 0] = 0.9
    y_calibrated = np.where(rng.random(n) < 0.9, 0, 1)  # right 90 % of the time, as it claims
    assert classification_metrics(y_calibrated, probs.argmax(1), probs)["ece"] < 0.01
    y_over = np.where(rng.random(n) < 0.5, 0, 1)  # right half the time, claims 90 %
    assert classification_metrics(y_over, probs.argmax(1), probs)["ece"] == pytest.approx(0.4, abs=0.02)

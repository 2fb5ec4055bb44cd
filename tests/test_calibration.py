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


def test_by_corpus_fit_weighs_each_group_the_same_whatever_its_size():
    rng = np.random.default_rng(2)
    big = torch.from_numpy(rng.normal(0, 2, (4000, 8))).float()  # calibrated as it is
    small = torch.from_numpy(rng.normal(0, 2, (400, 8))).float()
    y_big = torch.distributions.Categorical(logits=big).sample()
    y_small = torch.distributions.Categorical(logits=small).sample()
    logits = torch.cat([big, 3.0 * small])  # the small corpus three times too sure
    labels = torch.cat([y_big, y_small])
    groups = ["big"] * 4000 + ["small"] * 400
    pooled = fit_temperature(logits, labels)
    by_group = fit_temperature(logits, labels, groups=groups)
    # Weighing each group the same is the pooled fit with the small group's clips counted ten times.
    repeated = fit_temperature(torch.cat([big] + [3.0 * small] * 10), torch.cat([y_big] + [y_small] * 10))
    assert by_group == pytest.approx(repeated, rel=1e-3)
    assert pooled < 1.3 < by_group  # pooled, the big corpus sets T; by group, the small one pulls it up

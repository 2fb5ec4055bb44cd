"""Shared fixtures: the repository's real example clips, the shipped model, RAVDESS.

Tests that need the full data set look for it in $RAVDESS_DIR or ../shared/ravdess
beside the checkout. A user without it sees those tests skipped; in CI
(CI=true) a missing data set is an error, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded during tests
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WEIGHTS = ROOT / "weights"
EXAMPLE_CLIPS = sorted(EXAMPLES.glob("*.flac"))


def ravdess_dir() -> Path | None:
    candidate = Path(os.environ.get("RAVDESS_DIR", ROOT.parent / "shared" / "ravdess"))
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def ravdess() -> Path:
    path = ravdess_dir()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("RAVDESS not found: CI must have ../shared/ravdess (or $RAVDESS_DIR)")
        pytest.skip("RAVDESS not found: set RAVDESS_DIR or put it at ../shared/ravdess")
    return path


@pytest.fixture(scope="session")
def recognizer():
    from emotion import EmotionRecognizer

    return EmotionRecognizer.load(WEIGHTS, device="cpu")


@pytest.fixture(scope="session")
def example_clips() -> list[Path]:
    assert len(EXAMPLE_CLIPS) == 8, "the repository ships one example clip per emotion"
    return EXAMPLE_CLIPS

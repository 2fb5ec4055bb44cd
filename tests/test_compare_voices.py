"""scripts/compare_voices.py: issue 22's rule (voices score on the union of corpora, both
constraints) applied to recorded development folds."""

from __future__ import annotations

import json

import pytest

from conftest import load_script

CHANNELS = ("telephone_g711", "room_hall")


@pytest.fixture(scope="module")
def compare():
    return load_script("compare_voices")


def fold(k, uar, accuracy, channels, **val):
    return {"fold": k, "uar": uar, "accuracy": accuracy, "channels": dict(zip(CHANNELS, channels)),
            **{f"{name}_val": {"uar": v} for name, v in val.items()}}


def write(records, label, folds):
    (records / f"crossval_dev_{label}").mkdir(parents=True)
    (records / f"crossval_dev_{label}" / "crossval.json").write_text(json.dumps({"folds": folds}))


def test_the_rule_scores_the_union_on_common_folds_and_checks_both_constraints(compare, tmp_path, capsys):
    records = tmp_path / "experiments"
    write(records, "C4", [fold(k, 0.60, 0.60, (0.48, 0.50)) for k in (1, 2, 3)])  # worst channel -12 on every fold
    # A: nEMO 0.50, RAVDESS 0.58 (-2: met), worst channel -14 (2 wider than C4's: met).
    write(records, "A", [fold(k, 0.58, 0.60, (0.46, 0.50), nemo=0.50) for k in (1, 2, 3)])
    # B: better voices but RAVDESS 0.52 (-8: missed) and channels -20 (missed); fold 3 lacks nEMO.
    write(records, "B", [fold(1, 0.52, 0.60, (0.40, 0.55), nemo=0.70), fold(2, 0.52, 0.60, (0.40, 0.55), nemo=0.70),
                         fold(3, 0.52, 0.60, (0.40, 0.55))])
    out = tmp_path / "summary.json"
    assert compare.main(["--runs", f"A={tmp_path / 'none_a'},B={tmp_path / 'none_b'}", "--records", str(records),
                         "--nemo", "n", "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["A"]["folds"] == summary["B"]["folds"] == [1, 2]  # only folds where every corpus is scored
    assert summary["A"]["voices"] == pytest.approx(0.54) and summary["B"]["voices"] == pytest.approx(0.61)
    assert summary["A"]["ravdess_ok"] and summary["A"]["channel_ok"]
    assert not summary["B"]["ravdess_ok"] and not summary["B"]["channel_ok"]
    assert summary["B"]["channel_gap"] == ["telephone_g711", pytest.approx(-0.20)]
    text = capsys.readouterr().out
    assert "union of corpora: ravdess, nemo" in text and "RAVDESS constraint MISSED" in text

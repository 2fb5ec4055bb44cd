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


def weights_dir(path, ravdess, **val):
    path.mkdir(parents=True)
    metrics = {"val": {"uar": ravdess}, **{f"{name}_val": {"uar": v} for name, v in val.items()}}
    (path / "config.json").write_text(json.dumps({"metrics": metrics, "weights_sha256": path.name}))
    return path


def benchmark(path, clean, **channels):
    path.write_text(json.dumps({"clean": {"accuracy": clean}, "channels": channels}))
    return path


def test_the_shipping_check_ranks_on_validation_speakers_and_bounds_the_worst_channel(tmp_path, capsys):
    ship = load_script("ship_check")
    base = weights_dir(tmp_path / "base", 0.57, nemo=0.20)
    good = weights_dir(tmp_path / "good", 0.55, nemo=0.55)  # RAVDESS -2 (met), voices 0.55 against 0.385
    worse = weights_dir(tmp_path / "worse", 0.53, nemo=0.60)  # RAVDESS -4: missed, however good the voices
    bench_base = benchmark(tmp_path / "b.json", 0.57, room_hall=0.48, babble_5dB=0.20)
    # The 5 dB noise is set aside: the good candidate's worst is the hall, -9 (met); the other's, -12.
    bench_good = benchmark(tmp_path / "g.json", 0.56, room_hall=0.47, babble_10dB=0.50, babble_5dB=0.10)
    bench_worse = benchmark(tmp_path / "w.json", 0.56, room_hall=0.44)
    out = tmp_path / "verdict.json"
    common = ["--baseline", f"C4={base}", "--benchmark", f"C4={bench_base}", "--nemo", "unused", "--json", str(out)]
    assert ship.main([*common, "--candidate", f"V={good}", "--benchmark", f"V={bench_good}"]) == 0
    result = json.loads(out.read_text())
    assert result["baseline"]["voices"] == pytest.approx(0.385) and result["candidate"]["voices"] == pytest.approx(0.55)
    assert result["candidate"]["channel"] == ["room_hall", pytest.approx(-0.09)]
    assert result["verdict"] == {"voices_above_baseline": True, "ravdess_within_margin": True,
                                 "worst_channel_within_bound": True, "ships": True}
    assert "V ships" in capsys.readouterr().out
    assert ship.main([*common, "--candidate", f"V={worse}", "--benchmark", f"V={bench_worse}"]) == 0
    verdict = json.loads(out.read_text())["verdict"]
    assert verdict["voices_above_baseline"] and not verdict["ravdess_within_margin"]
    assert not verdict["worst_channel_within_bound"] and not verdict["ships"]
    assert "does not ship" in capsys.readouterr().out
    # A label may itself hold "=": the last one splits label from folder.
    assert ship.main([*common, "--candidate", f"V = C4 + W={good}", "--benchmark", f"V = C4 + W={bench_good}"]) == 0
    assert json.loads(out.read_text())["candidate"]["label"] == "V = C4 + W"
    # Without a benchmark of its own the candidate's recorded summary is read; with neither, a clear error.
    with pytest.raises(SystemExit, match="no benchmark for V"):
        ship.main([*common, "--candidate", f"V={good}"])

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


def benchmark(path, clean, actors=(17, 18, 19, 20), **channels):
    path.write_text(json.dumps({"clean": {"accuracy": clean}, "channels": channels, "benchmark": {"actors": list(actors)}}))
    return path


def test_the_shipping_check_ranks_on_validation_speakers_and_bounds_every_channel_on_validation_actors(tmp_path, capsys):
    """Issue 32's rule: (a) voices above the shipped weights', (b) RAVDESS validation >= 52 %,
    (c) every channel within 10 points of clean on actors 17-20, the hall within 15, 5 dB reported."""
    ship = load_script("ship_check")
    base = weights_dir(tmp_path / "base", 0.57, nemo=0.20)
    good = weights_dir(tmp_path / "good", 0.53, nemo=0.55)  # RAVDESS 53 % clears the 52 % floor; voices 0.54 vs 0.385
    low = weights_dir(tmp_path / "low", 0.515, nemo=0.70)  # under the floor, however good the voices
    bench_base = benchmark(tmp_path / "b.json", 0.57, room_hall=0.43, babble_10dB=0.45)
    # The hall may lose 15 (-13 met), any other channel 10 (-9 met); noise at 5 dB is only reported (-40).
    bench_good = benchmark(tmp_path / "g.json", 0.56, room_hall=0.43, babble_10dB=0.47, babble_5dB=0.16)
    bench_bad = benchmark(tmp_path / "x.json", 0.56, room_hall=0.40, babble_10dB=0.45)  # hall -16, babble -11: both missed
    out = tmp_path / "verdict.json"
    common = ["--baseline", f"C4={base}", "--benchmark", f"C4={bench_base}", "--nemo", "unused", "--json", str(out)]
    assert ship.main([*common, "--candidate", f"V={good}", "--benchmark", f"V={bench_good}"]) == 0
    result = json.loads(out.read_text())
    assert result["baseline"]["voices"] == pytest.approx(0.385) and result["candidate"]["voices"] == pytest.approx(0.54)
    assert result["verdict"] == {"voices_above_baseline": True, "ravdess_floor": True, "channels_within_bounds": True,
                                 "ships": True}
    gaps = {c["name"]: (round(c["gap"], 4), c["bound"], c["met"]) for c in result["candidate"]["channels"]}
    assert gaps == {"room_hall": (-0.13, 0.15, True), "babble_10dB": (-0.09, 0.10, True), "babble_5dB": (-0.4, None, True)}
    assert result["candidate"]["channel"] == ["babble_10dB", pytest.approx(-0.09)]  # the closest to its bound
    assert result["rule"] == "issue 32" and [c["met"] for c in result["conditions"]] == [True, True, True]
    assert "V ships" in capsys.readouterr().out
    assert ship.main([*common, "--candidate", f"V={good}", "--benchmark", f"V={bench_bad}"]) == 0
    verdict = json.loads(out.read_text())["verdict"]
    assert verdict["voices_above_baseline"] and verdict["ravdess_floor"] and not verdict["channels_within_bounds"]
    assert "does not ship" in capsys.readouterr().out
    assert ship.main([*common, "--candidate", f"V={low}", "--benchmark", f"V={bench_good}"]) == 0
    assert json.loads(out.read_text())["verdict"]["ravdess_floor"] is False
    # A label may itself hold "=": the last one splits label from folder.
    assert ship.main([*common, "--candidate", f"V = C4 + W={good}", "--benchmark", f"V = C4 + W={bench_good}"]) == 0
    assert json.loads(out.read_text())["candidate"]["label"] == "V = C4 + W"
    # The channels must have been heard on the validation actors (the test actors never decide), and given.
    on_test = benchmark(tmp_path / "t.json", 0.56, actors=(21, 22, 23, 24), room_hall=0.5)
    (good / "config.json").write_text(json.dumps({**json.loads((good / "config.json").read_text()),
                                                   "training": {"split": {"val": [17, 18, 19, 20]}}}))
    with pytest.raises(SystemExit, match="validation actors 17.20"):
        ship.main([*common, "--candidate", f"V={good}", "--benchmark", f"V={on_test}"])
    with pytest.raises(SystemExit, match="no benchmark for V"):
        ship.main([*common, "--candidate", f"V={good}"])

"""The model card and the About panel: rendered from config.json (and the experiment
records), by one piece of code, honest about the split."""

from __future__ import annotations

import copy
import json
import shutil

import pytest

from conftest import WEIGHTS
from emotion.card import SIMULATED, about, about_es, limits, split_sentence
from emotion.labels import format_actors, parse_actors
from train.reports.card import model_card


@pytest.fixture(scope="module")
def shipped_config():
    return json.loads((WEIGHTS / "config.json").read_text())


def cross_validation_fold(config):
    """The shipped config as fold 2 of the cross-validation: train 1-4 and 13-20 (a gap), val 9-12, test 5-8."""
    fold = copy.deepcopy(config)
    fold["training"]["split"] = {"train": [1, 2, 3, 4, *range(13, 21)], "val": [9, 10, 11, 12], "test": [5, 6, 7, 8]}
    fold["metrics"]["test"]["actors"] = [5, 6, 7, 8]
    return fold


def test_actor_ranges_parse_and_format_as_inverses():
    assert parse_actors("1,3,5-7") == (1, 3, 5, 6, 7)
    assert parse_actors("21\u201324") == (21, 22, 23, 24)
    assert format_actors([1, 2, 3, 4, *range(13, 25)]) == "1\u20134, 13\u201324"
    assert format_actors([17, 18, 19, 20]) == "17\u201320" and format_actors([21]) == "21"
    assert format_actors([1, 2, 5]) == "1, 2, 5"
    for ids in ([1, 2, 3, 4, *range(13, 25)], [5], [2, 4, 6, 7, 8, 9]):
        assert parse_actors(format_actors(ids)) == tuple(ids)
        assert parse_actors(format_actors(ids, dash="-")) == tuple(ids)
    with pytest.raises(ValueError, match="between 1 and 24"):
        parse_actors("20-25")
    with pytest.raises(ValueError, match="such as"):
        parse_actors("twenty")


def test_card_and_about_describe_a_split_with_a_gap_as_it_is(shipped_config):
    fold = cross_validation_fold(shipped_config)
    for text in (model_card(fold), about(fold)):
        assert "actors 1\u20134, 13\u201320 train, 9\u201312 validation" in text
        assert "1\u201320 train" not in text and "1\u201324" not in text
    card = model_card(fold)
    assert "name: RAVDESS speech, actors 5\u20138 (unseen)" in card
    assert "## Results on unseen actors 5\u20138 (240 clips)" in card


def test_about_and_card_share_their_words(shipped_config):
    """The page and the card are one rendering: the same split, score and limits."""
    card, panel = model_card(shipped_config), about(shipped_config)
    for shared in (split_sentence(shipped_config), limits(shipped_config)):
        assert shared in card and shared in panel
    test = shipped_config["metrics"]["test"]
    assert f"{test['accuracy']:.1%}" in panel and f"{test['uar']:.1%}" in panel


def test_limits_name_the_weakest_emotions_from_the_recorded_recall(shipped_config):
    config = copy.deepcopy(shipped_config)
    config["metrics"]["test"]["per_class"] = {e: 0.9 for e in config["labels"]} | {"fearful": 0.11, "calm": 0.22}
    text = limits(config)
    assert "fearful (11% recall), calm (22% recall)" in text


def test_augmentation_is_described_from_the_run_record(shipped_config):
    """No augmentation sentence is typed: it is what the training run recorded."""
    config = copy.deepcopy(shipped_config)
    augmentation = config["training"]["augmentation"]
    assert [a["kind"] for a in augmentation][:3] == ["crop", "speed", "white_noise"]
    card = model_card(config)
    for step in augmentation:
        assert step["description"] in card
    config["training"]["augmentation"] = [*augmentation, {"kind": "mixup", "alpha": 0.4, "description": "mixup (test)"}]
    assert "mixup (test)" in model_card(config)


def test_the_shipped_card_is_what_its_config_and_records_render(shipped_config):
    """weights/README.md is generated: rendering it again changes nothing."""
    from train.reports.card import RECORDS, experiment_sections, load_records

    from train.config import recipe_differences

    records = load_records()
    rendered = model_card(shipped_config, experiment_sections(shipped_config, records, RECORDS.parent))
    assert (WEIGHTS / "README.md").read_text() == rendered
    cv = json.loads((RECORDS.parent / records["crossval"]["summary"]).read_text())
    own_recipe = not recipe_differences(cv, shipped_config["training"]["config"])
    assert ("## Six-fold cross-validation by actor" in rendered) == own_recipe  # another recipe's CV is never claimed
    assert "## Silence trimming before the model" in rendered
    assert "experiments" not in shipped_config  # records live in experiments/, where a retrain cannot erase them


def test_a_cross_validation_of_another_recipe_is_not_claimed(shipped_config):
    from train.reports.card import RECORDS, experiment_sections, load_records

    other = copy.deepcopy(shipped_config)
    other["training"]["config"]["n_channel"] = 128
    sections = experiment_sections(other, load_records(), RECORDS.parent)
    assert "Six-fold cross-validation" not in sections and "Cross-validated and not shipped" not in sections
    assert "Silence trimming" in sections  # the trimming experiment is about the project, not one recipe


def test_the_generalisation_benchmark_travels_with_the_weights(shipped_config):
    """`python -m train.generalisation --record` keeps a summary in config.json; the card and
    the About panel show it, and weights without one say so."""
    g = shipped_config["generalisation"]
    heard = shipped_config["training"]["corpora"]  # every corpus the weights know, by its test speakers
    expected = {"nemo_test", *(() if "nemo" in heard else ("nemo_all",)), *(f"{c}_test" for c in heard if c not in ("ravdess", "nemo"))}
    assert set(g["corpora"]) == expected and len(g["channels"]) >= 15
    for text in (model_card(shipped_config), about(shipped_config)):
        assert f"| telephone_g711: {g['channels']['telephone_g711']['simulates']} | {g['channels']['telephone_g711']['accuracy']:.1%} |" in text
        assert f"| nemo_test: speakers KD0, TP0 | {g['corpora']['nemo_test']['accuracy']:.1%} |" in text
    bare = {k: v for k, v in shipped_config.items() if k != "generalisation"}
    assert "Not measured for these weights" in model_card(bare) and "Other voices and channels" not in about(bare)


def emobox_summary(folds=range(1, 7), layout="emobox"):
    """A crossval summary as python -m train.crossval --layout emobox writes it (numbers made up)."""
    blocks = ["1,11,20,21", "4,10,12,14", "8,9,19,23", "3,5,7,24", "2,15,16,18", "6,13,17,22"]
    return {
        "command": "python -m train.crossval --layout emobox --ensemble 1", "layout": layout,
        "folds": [{"fold": k, "test_actors": blocks[k - 1], "accuracy": 0.5 + k / 100, "uar": 0.49 + k / 100} for k in folds],
        "accuracy_mean": 0.535, "accuracy_sd": 0.019, "uar_mean": 0.525, "uar_sd": 0.019,
    }


def test_the_emobox_result_sits_beside_the_published_figures_and_refuses_partial_runs():
    from train.reports.card import emobox_section

    section = emobox_section(emobox_summary(), "The shipped recipe as one model.")
    assert "| 3 | 8, 9, 19, 23 | 53.0% | 52.0% |" in section
    assert "| WavLM-base (EmoBox) | 62.1 % |" in section and "| HuBERT-base (EmoBox) | 66.2 % |" in section
    assert "**M5 from scratch, this recipe, one model** | **53.5%**" in section
    with pytest.raises(SystemExit, match="needs all six"):
        emobox_section(emobox_summary(folds=[1, 2, 3]), "partial")
    with pytest.raises(SystemExit, match="not on EmoBox's folds"):
        emobox_section(emobox_summary(layout="blocks"), "another layout")


def development_summary(accuracies, recipe_config, nemo=None, layout="development", channels=None):
    """A crossval summary as python -m train.crossval --layout development writes it (numbers made up);
    `channels`: per fold, accuracy through two benchmark channels (--channels)."""
    folds = []
    for k, acc in enumerate(accuracies, start=1):
        fold = {"fold": k, "test_actors": f"{4 * k - 3}-{4 * k}", "accuracy": acc, "uar": acc}
        if channels:
            fold["channels"] = {"telephone_g711": channels[k - 1], "room_hall": channels[k - 1] - 0.02}
        if nemo:
            fold["nemo_test"] = {"accuracy": nemo[k - 1], "uar": nemo[k - 1], "n": 360, "speakers": ["KD0", "TP0"],
                                 "neutral_recall": 0.8}
        folds.append(fold)
    mean = sum(accuracies) / len(accuracies)
    return {"command": "python -m train.crossval --layout development", "layout": layout, "folds": folds,
            "accuracy_mean": mean, "accuracy_sd": 0.02, "uar_mean": mean, "uar_sd": 0.02, "recipe": recipe_config}


@pytest.mark.parametrize("candidate_shift, chosen", [(-0.01, "N1"), (-0.03, "B")])
def test_the_choice_section_applies_the_rule_written_before_the_runs(tmp_path, shipped_config, candidate_shift, chosen):
    """Baseline and candidate paired by fold on actors 1-20; the verdict is the rule's, computed
    from the figures, and the weights whose recipe is the chosen one say so."""
    from train.config import recipe
    from train.reports.card import choice_section

    base_recipe = recipe(shipped_config["training"]["config"])
    base = [0.55, 0.60, 0.50, 0.58, 0.52]
    (tmp_path / "b.json").write_text(json.dumps(development_summary(base, base_recipe)))
    cand_recipe = {**base_recipe, "nemo": "../shared/nemo"}
    cand = development_summary([a + candidate_shift for a in base], cand_recipe, nemo=[0.6, 0.58, 0.55, 0.57, 0.59])
    (tmp_path / "n.json").write_text(json.dumps(cand))
    record = {"recipes": [{"summary": "b.json", "name": "B", "recipe": "RAVDESS only."},
                          {"summary": "n.json", "name": "N1", "recipe": "RAVDESS and nEMO."}],
              "rule": "N1 if it costs at most 2 points.", "margin": -2.0}
    section = choice_section(record, tmp_path, shipped_config)
    assert "actors 1–20 alone" in section and "N1 if it costs at most 2 points." in section
    assert f"| 2 | 5–8 | 60.0% | {0.60 + candidate_shift:.1%} | {100 * candidate_shift:+.1f} | 58.0% |" in section
    assert f"By that rule: **{chosen}**" in section
    assert ("(these weights)" in section) == (chosen == "B")  # the shipped config is recipe B

    (tmp_path / "n.json").write_text(json.dumps({**cand, "folds": cand["folds"][:3]}))
    with pytest.raises(SystemExit, match="compare the same folds"):
        choice_section(record, tmp_path, shipped_config)
    (tmp_path / "n.json").write_text(json.dumps({**cand, "layout": "blocks"}))
    with pytest.raises(SystemExit, match="not on the development layout"):
        choice_section(record, tmp_path, shipped_config)


@pytest.mark.parametrize("channel_gain, chosen", [(0.08, "C1"), (0.03, "B")])
def test_a_rule_with_a_channel_margin_also_weighs_the_folds_heard_through_channels(tmp_path, shipped_config,
                                                                                   channel_gain, chosen):
    """Rule C1: at most 2 points lost clean AND at least 5 points gained through the benchmark's
    channels, on the same held-out actors; a summary without the channels cannot be judged."""
    from train.config import recipe
    from train.reports.card import choice_section

    base_recipe = recipe(shipped_config["training"]["config"])
    base, heard = [0.55, 0.60, 0.50, 0.58, 0.52], [0.30, 0.35, 0.28, 0.31, 0.33]
    (tmp_path / "b.json").write_text(json.dumps(development_summary(base, base_recipe, channels=heard)))
    cand = development_summary([a - 0.01 for a in base], {**base_recipe, "channel_sim": 0.25},
                               channels=[h + channel_gain for h in heard])
    (tmp_path / "c.json").write_text(json.dumps(cand))
    record = {"recipes": [{"summary": "b.json", "name": "B", "recipe": "RAVDESS only."},
                          {"summary": "c.json", "name": "C1", "recipe": "B + channels."}],
              "rule": "C1 if it costs at most 2 points clean and gains 5 through channels.", "margin": -2.0,
              "channel_margin": 5.0}
    section = choice_section(record, tmp_path, shipped_config)
    assert "2 of the generalisation benchmark's channels (telephone_g711, room_hall" in " ".join(section.split())
    assert f"| 1 | 29.0% | {0.29 + channel_gain:.1%} | {100 * channel_gain:+.1f} |" in section
    assert f"By that rule: **{chosen}**" in section

    (tmp_path / "c.json").write_text(json.dumps(development_summary([a - 0.01 for a in base], cand["recipe"])))
    with pytest.raises(SystemExit, match="scored through the same channels"):
        choice_section(record, tmp_path, shipped_config)


@pytest.mark.parametrize("hall_gain, chosen", [(0.06, "C3"), (0.04, "C1")])
def test_a_rule_can_ask_a_gain_through_one_channel_alone(tmp_path, shipped_config, hall_gain, chosen):
    """Rule C3 (issue #11's laptop microphone): no clean loss beyond a point, the channels' mean
    not below the baseline's by more than a point, AND at least 5 points through one named
    channel; the card tables that channel fold by fold and applies all three."""
    from train.config import recipe
    from train.model_card import main
    from train.reports.card import choice_section

    base_recipe = recipe(shipped_config["training"]["config"])
    base, heard = [0.55, 0.60, 0.50, 0.58, 0.52], [0.30, 0.35, 0.28, 0.31, 0.33]
    (tmp_path / "c1.json").write_text(json.dumps(development_summary(base, base_recipe, channels=heard)))
    cand = development_summary(base, {**base_recipe, "mic_tilt": 4.0}, channels=heard)
    for fold in cand["folds"]:  # the hall alone gains; the mean of the two channels gains half that
        fold["channels"]["room_hall"] += hall_gain
    (tmp_path / "c3.json").write_text(json.dumps(cand))
    record = {"recipes": [{"summary": "c1.json", "name": "C1", "recipe": "channels."},
                          {"summary": "c3.json", "name": "C3", "recipe": "C1 + tilt."}],
              "rule": "C3 if the hall gains 5.", "margin": -1.0, "channel_margin": -1.0, "channel_gains": {"room_hall": 5.0}}
    section = choice_section(record, tmp_path, shipped_config)
    assert "Through room_hall alone (the rule asks +5 points of it)" in section
    assert f"| 2 | 33.0% | {0.33 + hall_gain:.1%} | {100 * hall_gain:+.1f} |" in section
    assert f"By that rule: **{chosen}**" in section

    weights = tmp_path / "w"
    shutil.copytree(WEIGHTS, weights)  # in case a refusal came too late: the shipped card stays untouched
    args = ["--weights", str(weights), "--records", str(tmp_path / "records.json"), "--choice", str(tmp_path / "c1.json"),
            "C1", "channels.", "--choice", str(tmp_path / "c3.json"), "C3", "tilt.", "--rule", "r", "--margin", "-1"]
    with pytest.raises(SystemExit, match="not every fold of both recipes was scored through it"):
        main(args + ["--channel-gain", "laptop_mic=5"])
    with pytest.raises(SystemExit, match="NAME=POINTS"):
        main(args + ["--channel-gain", "room_hall"])
    with pytest.raises(SystemExit, match="parts of a --choice rule"):
        main(["--weights", str(weights), "--records", str(tmp_path / "records.json"), "--channel-gain", "room_hall=5"])


def test_a_summary_recorded_before_a_setting_existed_still_matches_its_recipe(shipped_config):
    """A cross-validation summary records its recipe; a setting added later (e.g. --nemo-share)
    is absent from it and must read as its default, or every older record would vanish from the card."""
    from train.config import recipe, recipe_differences

    old = recipe(shipped_config["training"]["config"])
    del old["nemo_share"]
    assert recipe_differences({"recipe": old, "command": "python -m train.crossval"}, shipped_config["training"]["config"]) == []
    assert recipe_differences({"recipe": {**old, "n_channel": 32}, "command": "x"}, shipped_config["training"]["config"]) == ["n_channel"]


def test_a_recipe_names_its_corpora_not_their_folders_and_the_layout_picks_the_epoch(shipped_config):
    """The recipe trained in ../data/nemo_full is the one `make corpora` puts in ../data/nemo (as
    RAVDESS's folder is no part of it); which corpora it hears is. A development fold picks the
    epoch on RAVDESS alone and the shipped split on every corpus: the same recipe, other layout."""
    from train.config import recipe, recipe_differences

    mine = {**shipped_config["training"]["config"], "nemo": "../data/nemo", "corpora": "emovo=../data/emovo,ased=../data/ased"}
    cv = {**recipe(shipped_config["training"]["config"]), "nemo": "../data/nemo_full", "select_on": "main",
          "corpora": "ased=/elsewhere/ASED_V1,emovo=../data/emovo_src/data/EMOVO"}
    assert recipe_differences({"recipe": cv, "command": "x"}, mine) == []
    assert recipe_differences({"recipe": {**cv, "nemo": ""}, "command": "x"}, mine) == ["nemo"]
    assert recipe_differences({"recipe": {**cv, "corpora": "ased=../data/ased"}, "command": "x"}, mine) == ["corpora"]
    assert recipe(mine)["select_on"] == "all"  # members of one ensemble still agree on it (train.assemble)


def voices_candidate(recipe_config, per_corpus, channel_ok=True, ravdess_ok=True, folds=(2, 3, 4)):
    """A candidate as scripts/compare_voices.py --json writes it (numbers made up)."""
    return {"folds": list(folds), "per_corpus": per_corpus, "voices": sum(per_corpus.values()) / len(per_corpus),
            "channel_gap": ["room_hall", -0.15], "baseline_channel_gap": ["room_hall", -0.14],
            "channel_ok": channel_ok, "ravdess_ok": ravdess_ok}


@pytest.mark.parametrize("v4_channel_ok, chosen", [(True, "V4"), (False, "V3b")])
def test_the_voices_section_ships_the_best_score_that_meets_the_constraints(tmp_path, shipped_config, v4_channel_ok, chosen):
    """Issue 22's rule on the card: each candidate's held-out UAR per corpus (unheard corpora
    marked), the voices score, the constraints, and the verdict computed from them; the weights
    whose recipe is the chosen one say so."""
    from train.config import recipe
    from train.model_card import main
    from train.reports.card import voices_section

    base = recipe(shipped_config["training"]["config"])
    v3b = {**base, "nemo": "../data/nemo", "corpora": "ased=../data/ased"}
    v4 = {**base, "select_on": "main"}  # the shipped config's recipe, picked on RAVDESS on the folds
    scores = {"V3b": {"ravdess": 0.51, "nemo": 0.59, "ased": 0.71, "emovo": 0.35},
              "V4": {"ravdess": 0.50, "nemo": 0.56, "ased": 0.74, "emovo": 0.40}}
    comparison = {"V3b": voices_candidate(v3b, scores["V3b"]), "V4": voices_candidate(v4, scores["V4"], v4_channel_ok)}
    (tmp_path / "compare.json").write_text(json.dumps(comparison))
    for name, r in (("V3b", v3b), ("V4", v4)):
        (tmp_path / f"{name}.json").write_text(json.dumps({"command": "x", "layout": "development", "folds": [], "recipe": r}))
    record = {"comparison": "compare.json", "rule": "The best voices score that meets both constraints.",
              "recipes": [{"summary": "V3b.json", "name": "V3b", "recipe": "+ ASED."},
                          {"summary": "V4.json", "name": "V4", "recipe": "+ EMOVO."}]}
    section = voices_section(record, tmp_path, shipped_config)
    assert "The best voices score that meets both constraints." in section and "folds 2, 3, 4" in section
    assert "| candidate | RAVDESS | nEMO | ASED | EMOVO | voices score |" in section
    assert "| V3b | 51.0% | 59.0% | 71.0% | 35.0% (unheard) | **54.0%** | room_hall -15.0 | met |" in section
    assert f"| V4 | 50.0% | 56.0% (unheard) | 74.0% (unheard) | 40.0% (unheard) | **55.0%** | room_hall -15.0 | {'met' if v4_channel_ok else 'missed'} |" in section
    assert f"By that rule: **{chosen}**" in section
    assert ("(these weights)" in section) == (chosen == "V4")  # the shipped config is V4's recipe here

    comparison["V4"]["folds"] = [2, 3]
    (tmp_path / "compare.json").write_text(json.dumps(comparison))
    with pytest.raises(SystemExit, match="same folds"):
        voices_section(record, tmp_path, shipped_config)
    weights = tmp_path / "w"
    shutil.copytree(WEIGHTS, weights)
    with pytest.raises(SystemExit, match="no candidate 'V5'"):
        main(["--weights", str(weights), "--records", str(tmp_path / "records.json"), "--voices", str(tmp_path / "compare.json"),
              "--choice", str(tmp_path / "V4.json"), "V5", "x", "--rule", "r"])
    with pytest.raises(SystemExit, match="no margins"):
        main(["--weights", str(weights), "--records", str(tmp_path / "records.json"), "--voices", str(tmp_path / "compare.json"),
              "--choice", str(tmp_path / "V4.json"), "V4", "x", "--rule", "r", "--margin", "-1"])


def test_the_ship_section_shows_the_shipped_split_check_and_marks_these_weights(tmp_path, shipped_config):
    """The check an ensemble passed before replacing the weights before it (scripts/ship_check.py
    --json): validation UAR per corpus, voices score, worst channel, each condition and the
    verdict; the weights whose checksum is the candidate's say so; another JSON is refused."""
    from train.model_card import main
    from train.reports.card import ship_section

    def side(label, sha, scores, channel):
        return {"label": label, "weights_sha256": sha, "scores": scores, "voices": sum(scores.values()) / len(scores),
                "channel": channel}

    check = {"baseline": side("C4 × 3", "old", {"ravdess": 0.57, "nemo": 0.21}, ["room_hall", -0.092]),
             "candidate": side("V7 × 3", shipped_config["weights_sha256"], {"ravdess": 0.56, "nemo": 0.60}, ["room_hall", -0.08]),
             "verdict": {"voices_above_baseline": True, "ravdess_within_margin": True, "worst_channel_within_bound": True,
                         "ships": True}}
    (tmp_path / "ship.json").write_text(json.dumps(check))
    record = {"check": "ship.json", "recipe": "V7: V4 with twice the channels.", "rule": "(a), (b) and (c)."}
    section = ship_section(record, tmp_path, shipped_config)
    assert "V7: V4 with twice the channels." in section and "(a), (b) and (c)." in section
    assert "| weights | RAVDESS (validation UAR) | nEMO (validation UAR) | voices score |" in section
    assert "| C4 × 3 | 57.0% | 21.0% | **39.0%** | room_hall -9.2 |" in section
    assert "| V7 × 3 (these weights) | 56.0% | 60.0% | **58.0%** | room_hall -8.0 |" in section
    assert "(c) worst channel within 10 points of clean: met. By that rule: **V7 × 3 ships**." in section
    check["verdict"].update(worst_channel_within_bound=False, ships=False)
    (tmp_path / "ship.json").write_text(json.dumps(check))
    section = ship_section(record, tmp_path, shipped_config)
    assert "(c) worst channel within 10 points of clean: missed. By that rule: **V7 × 3 does not ship**." in section
    # Issue 32's checks state their own conditions, on the validation actors.
    check["conditions"] = [{"key": "ravdess_floor", "text": "(b) RAVDESS validation UAR at least 52 %", "met": True}]
    (tmp_path / "ship.json").write_text(json.dumps(check))
    section = ship_section(record, tmp_path, shipped_config)
    assert "(b) RAVDESS validation UAR at least 52 %: met. By that rule" in section and "validation actors)" in section
    (tmp_path / "other.json").write_text(json.dumps({"V4": {"voices": 0.5}}))
    weights = tmp_path / "w"
    shutil.copytree(WEIGHTS, weights)
    for argv, message in (([str(tmp_path / "other.json"), "x", "--rule", "r"], "not a scripts/ship_check.py"),
                          ([str(tmp_path / "ship.json"), "x"], "--ship takes --rule")):
        with pytest.raises(SystemExit, match=message):
            main(["--weights", str(weights), "--records", str(tmp_path / "records.json"), "--ship", *argv])
    assert not (tmp_path / "records.json").exists()


def test_the_about_panel_says_which_channels_training_simulated(shipped_config):
    """Issue #11: the page says which channels the model was trained on, in both languages,
    from the run's own record; weights trained on clean recordings alone say nothing of it."""
    kinds = [a["kind"] for a in shipped_config["training"]["augmentation"]]
    assert "channels" in kinds  # the shipped recipe simulates rooms and noise
    english, spanish = about(shipped_config), about_es(shipped_config)
    channels = next(a for a in shipped_config["training"]["augmentation"] if a["kind"] == "channels")
    assert "Heard in training through simulated channels" in english and channels["description"] in english
    assert "salas, bandas limitadas y ruidos simulados" in spanish
    microphone = next(a for a in shipped_config["training"]["augmentation"] if a["kind"] == "microphone_filter")
    assert microphone["description"] in english and "filtros de micrófono" in spanish  # and other microphones
    clean = copy.deepcopy(shipped_config)
    clean["training"]["augmentation"] = [a for a in clean["training"]["augmentation"] if a["kind"] not in SIMULATED]
    assert "Heard in training" not in about(clean) and "Al entrenar" not in about_es(clean)


def four_corpora_config(shipped_config):
    """The shipped config as weights trained on RAVDESS, nEMO, ASED and EMOVO would record it:
    the corpora's facts (train.corpora), their splits, and each one's held-out metrics computed
    by train.metrics from logits (which logits does not matter here: the words must match them)."""
    import torch

    from train.corpora import CORPORA, classes_of, facts_of
    from train.metrics import corpus_metrics

    config = copy.deepcopy(shipped_config)
    names = ["ravdess", "nemo", "ased", "emovo"]
    config["training"]["corpora"] = names
    config["corpora"] = {c: facts_of(c) for c in names}
    gen = torch.Generator().manual_seed(0)
    for corpus in names[1:]:
        classes = classes_of(corpus)
        labels = torch.tensor([classes[i % len(classes)] for i in range(60)])
        logits = torch.randn(60, 8, generator=gen) + 3.0 * torch.nn.functional.one_hot(labels, 8) * (torch.rand(60, generator=gen) < 0.6)[:, None]
        config["metrics"][f"{corpus}_test"] = {**corpus_metrics(logits, labels, classes), "speakers": list(CORPORA[corpus].TEST_SPEAKERS)}
        config["training"]["split"][corpus] = {"train": ["a"], "val": ["b"], "test": list(CORPORA[corpus].TEST_SPEAKERS)}
    return config


def test_weights_trained_on_every_corpus_list_them_and_their_held_out_uar(shipped_config):
    """Issue #22 §4: the card and the About panel (both languages) list every corpus -- language,
    speakers, emotions, licence, citation -- and a table of held-out UAR per corpus."""
    from train.corpora import facts_of

    config = four_corpora_config(shipped_config)
    card, english, spanish = model_card(config), about(config), about_es(config)
    for key in ("nemo", "ased", "emovo"):
        facts, m = facts_of(key), config["metrics"][f"{key}_test"]
        for text in (card, english):
            assert f"| {facts['name']} | {facts['language']} | {facts['speakers']} | {', '.join(facts['emotions'])} |" in text
            assert facts["short_citation"] in text
            assert (f"| {facts['name']} | {', '.join(m['speakers'])} | {m['n']} | {len(m['classes'])} | **{m['uar']:.1%}** | "
                    f"{m['accuracy']:.1%} | {m['chance']:.1%} | {m['per_class']['neutral']:.0%} |") in text  # the goal's neutral recall
        assert f"| {facts['name']} | {facts['language_es']} |" in spanish
        assert f"**{100 * m['uar']:.1f} %**".replace(".", ",") in spanish
        assert facts["citation"] in card
    test = config["metrics"]["test"]
    assert f"| RAVDESS | actors 21\u201324 | {test['n']} | 8 | **{test['uar']:.1%}** |" in english
    # ASED's speakers recorded themselves: no claim that every clip is a studio recording
    assert "), recorded with studio microphones" not in english and "mostly recorded with studio microphones" in english
    assert "sobre todo con micrófonos de estudio" in spanish
    assert "ASED and EMOVO are shared for research use, cited" in card
    assert "these weights are CC BY-NC-SA 4.0 (non-commercial), as RAVDESS and nEMO are; ASED and EMOVO are shared" in english
    assert "ASED y EMOVO se comparten para uso en investigación" in spanish
    assert "Derived from RAVDESS, nEMO, ASED and EMOVO" in card and "(RAVDESS, nEMO, ASED and EMOVO)" in english
    assert "- ''" not in card.split("---")[1]  # no empty data-set id in the front matter (ASED, EMOVO are not on the Hub)
    # RAVDESS-only weights keep their short form: no tables of one corpus
    assert "| corpus |" not in about(shipped_config) and "| corpus |" not in model_card(shipped_config)
    assert "recorded with studio microphones" in about(shipped_config)


def test_the_spanish_page_counts_corpora_not_benchmark_rows(shipped_config):
    """nemo_test and nemo_all are two rows of one corpus: 'otro corpus'; with ASED's test speakers too, 'otros'."""
    assert "Otro corpus, en otro idioma: nEMO, hablantes de prueba" in about_es(shipped_config)
    more = copy.deepcopy(shipped_config)
    more["generalisation"]["corpora"]["ased_test"] = dict(more["generalisation"]["corpora"]["nemo_test"])
    assert "Otros corpus, en otros idiomas: nEMO, hablantes de prueba" in about_es(more)


def test_the_card_says_when_the_front_end_takes_the_room_off(shipped_config):
    from emotion.card import dereverb_sentence

    assert "reverberation" not in model_card(shipped_config).split("## Training")[0]  # the shipped weights hear it as recorded
    config = copy.deepcopy(shipped_config)
    config["preprocessing"]["dereverb"] = "wpe"
    said = dereverb_sentence(config["preprocessing"])
    assert "late reverberation is taken off first (WPE, nara_wpe)" in said
    assert said.strip() in model_card(config) and said in about(config) and "reverberation" not in about(shipped_config)
    assert "se quita la reverberación tardía" in about_es(config)


def configs_both_pages_describe(shipped_config):
    """The shipped weights, and V9 x 3 (four corpora, no benchmark) where this checkout has its run."""
    yield "weights", shipped_config
    v9 = WEIGHTS.parent / "runs" / "v9_x3" / "config.json"
    if v9.exists():
        yield "v9_x3", json.loads(v9.read_text())


def test_each_fact_both_pages_tell_is_one_function_s_words(shipped_config):
    """Issue 33: the About panel (both languages) and the model card do not word a fact about the
    weights each in its own code -- each says exactly what emotion.card's function for it returns.
    A page that formats the split, the score or the windows on its own again fails here."""
    from emotion.card import (corpora_section, corpus_names, generalisation_table, heldout_section, licence_sentence,
                              recalls, score_figures, simulated_sentence, terms_sentence, what_it_is, windows)

    for name, config in configs_both_pages_describe(shipped_config):
        card, english, spanish = model_card(config), about(config), about_es(config)
        pre = config["preprocessing"]
        both = [split_sentence(config), limits(config), windows(pre), corpus_names(config), corpora_section(config),
                heldout_section(config), terms_sentence(config), generalisation_table(config),
                what_it_is(config)[1:]]  # the card opens with it, capitalised
        for fact in both:
            assert fact in english and fact in card, (name, fact)
        for fact in (split_sentence(config, True), limits(config, True), windows(pre, True), what_it_is(config, True),
                     corpora_section(config, True), heldout_section(config, True), simulated_sentence(config, True),
                     licence_sentence(config, True)):
            assert fact in spanish, (name, fact)
        assert simulated_sentence(config) in english and licence_sentence(config) in english
        for key, value in score_figures(config).items():  # the card's table and the panel's sentence: one set of figures
            assert value in card, (name, key)
            assert key == "ece_uncalibrated" or value in english, (name, key)
        assert all(v in spanish for k, v in score_figures(config, True).items() if k not in ("ece", "ece_uncalibrated"))
        recall = recalls(config)
        assert " | ".join(r for _, r in recall) in card and all(f"{e} \u00b7 " in english for e, _ in recall)
        assert all(f" {r}" in spanish for _, r in recalls(config, True))


def test_the_pages_agree_on_how_many_benchmark_corpora_there_are(shipped_config):
    """The English panel said 'a corpus in another language' while the Spanish counted corpora:
    both now read emotion.card.benchmark_corpora."""
    from emotion.card import benchmark_corpora

    assert benchmark_corpora(shipped_config) == ["nemo"]  # nemo_test and nemo_all: one corpus
    assert "and a corpus in another language" in about(shipped_config)
    more = copy.deepcopy(shipped_config)
    more["generalisation"]["corpora"]["ased_test"] = dict(more["generalisation"]["corpora"]["nemo_test"])
    assert benchmark_corpora(more) == ["nemo", "ased"]
    assert "and corpora in other languages" in about(more) and "Otros corpus, en otros idiomas" in about_es(more)


def test_an_m11_says_it_is_one_on_the_panel_and_the_card(shipped_config):
    """The panel used to call every network 'M5' with three blocks; the card alone named M11.
    Both now say what what_it_is says."""
    from emotion.card import what_it_is

    config = copy.deepcopy(shipped_config)
    config["model"]["arch"] = "m11"
    words = what_it_is(config)
    assert words == "an ensemble of 3 M11s (the deeper sibling of M5: ten convolutional layers; seeds 1337\u20131339, logits averaged)"
    assert words in about(config) and words[1:] in model_card(config)
    assert "(el hermano más profundo de M5: diez capas convolucionales; se promedian sus logits)" in about_es(config)
    assert "M11" not in about(shipped_config)


def test_one_distilled_member_says_what_taught_it_on_the_panel_and_the_card(shipped_config):
    """Issue 32 §5: one M5 trained against an ensemble's probabilities (train --teacher) is not
    'one M5' plain -- both pages and both languages say it was distilled, and from how many."""
    from emotion.card import what_it_is

    config = copy.deepcopy(shipped_config)
    config["ensemble_size"] = 1
    config["training"]["teacher"] = {"folder": "runs/v11_x3", "weights_sha256": "0" * 64, "ensemble_size": 3,
                                     "temperature": 1.0361, "distill_weight": 0.5}
    words = what_it_is(config)
    assert words == "one M5 (distilled from an ensemble of 3: it learnt their probabilities beside the labels)"
    assert words in about(config) and words[1:] in model_card(config)
    assert "destilado de un conjunto de 3" in about_es(config)
    del config["training"]["teacher"]
    assert what_it_is(config) == "one M5"

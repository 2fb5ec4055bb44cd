"""Who is heard where: cross-validation layouts and the nEMO split. Speakers that test
never train or choose."""

from __future__ import annotations

import pytest

from emotion import parse_actors
from train.crossval import LAYOUTS, fold_actors, fold_train_actors, n_folds


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_actor_is_a_test_actor_exactly_once_and_validation_comes_from_training(layout):
    tested = []
    pool = set(range(1, 21 if layout == "development" else 25))
    for k in range(1, n_folds(layout) + 1):
        test, val = (set(parse_actors(a)) for a in fold_actors(k, layout))
        named = fold_train_actors(k, layout)
        train = set(parse_actors(named)) if named else pool - test - val  # '' = all the others
        assert len(test) == len(val) == 4 and not test & val and not train & (test | val)
        assert train | test | val == pool
        tested += sorted(test)
    assert sorted(tested) == sorted(pool)


def test_the_development_layout_never_touches_the_test_actors():
    """The folds that choose a recipe: actors 21-24 train, stop or test in none of them
    (the blocks layout's folds 1-5 train on them, and its fold 1 stops early on them)."""
    assert n_folds("development") == 5
    for k in range(1, 6):
        heard = set(parse_actors(fold_train_actors(k, "development")))
        heard |= {a for part in fold_actors(k, "development") for a in parse_actors(part)}
        assert heard == set(range(1, 21)), k
    assert fold_actors(1, "development") == ("1-4", "17-20")
    assert 21 in parse_actors(fold_actors(1)[1])  # why blocks cannot choose


def test_the_default_layout_keeps_the_shipped_split_and_emobox_is_emoboxs():
    assert fold_actors(6) == ("21-24", "17-20")
    assert [fold_actors(k, "emobox")[0] for k in range(1, 7)] == [
        "1, 11, 20, 21", "4, 10, 12, 14", "8, 9, 19, 23", "3, 5, 7, 24", "2, 15, 16, 18", "6, 13, 17, 22"]
    assert fold_actors(1, "emobox")[1] == "6, 13, 17, 22"  # the previous fold's test actors validate


def test_nemo_split_keeps_its_test_speakers_out_of_training_and_choice(nemo):
    from train.corpora.nemo import TEST_SPEAKERS as NEMO_TEST_SPEAKERS
    from train.config import TrainConfig
    from train.run import resolve_split

    split = resolve_split(TrainConfig(nemo=str(nemo)))["nemo"]
    assert split["test"] == list(NEMO_TEST_SPEAKERS)
    assert not set(split["test"]) & set(split["train"] + split["val"])
    assert sorted(split["train"] + split["val"] + split["test"]) == ["EB0", "IC0", "KD0", "KS0", "MK0", "MP0", "SM0", "TP0", "WR0"]
    with pytest.raises(ValueError, match="no speaker XX0"):
        resolve_split(TrainConfig(nemo=str(nemo), nemo_val_speakers="XX0"))
    with pytest.raises(ValueError, match="masked"):
        resolve_split(TrainConfig(nemo=str(nemo), nemo_loss="sometimes"))


def test_reports_call_actors_unseen_only_when_the_weights_never_heard_them():
    """The evaluation and benchmark reports read the weights' own split: a development
    fold's held-out actors are unseen by its weights, and a blocks fold that trained on
    21-24 is warned about on 21-24 (checking against 21-24 alone got both wrong)."""
    from train.metrics import unseen_note

    fold_1 = {"training": {"split": {"train": list(range(5, 17)), "val": [17, 18, 19, 20], "test": [1, 2, 3, 4]}}}
    shipped = {"training": {"split": {"train": list(range(1, 17)), "val": [17, 18, 19, 20], "test": [21, 22, 23, 24]}}}
    blocks_fold_1 = {"training": {"split": {"train": list(range(5, 21)), "val": [21, 22, 23, 24], "test": [1, 2, 3, 4]}}}
    assert unseen_note(fold_1, [1, 2, 3, 4]) == "unseen in training"
    assert unseen_note(shipped, [21, 22, 23, 24]) == "unseen in training"
    assert unseen_note(shipped, [1, 2, 3, 4]).startswith("CAUTION: actors 1–4")
    assert unseen_note(blocks_fold_1, [21, 22, 23, 24]).startswith("CAUTION")
    assert unseen_note({}, [21, 22, 23, 24]) == "unseen in training"  # no recorded split: 21-24 by convention
    assert unseen_note({}, [20, 21]).startswith("CAUTION: actors 20 ")

"""Who is heard where: cross-validation layouts and the nEMO split. Speakers that test
never train or choose."""

from __future__ import annotations

import pytest

from emotion import parse_actors
from train.crossval import LAYOUTS, N_FOLDS, fold_actors


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_actor_is_a_test_actor_exactly_once_and_validation_comes_from_training(layout):
    tested = []
    for k in range(1, N_FOLDS + 1):
        test, val = (set(parse_actors(a)) for a in fold_actors(k, layout))
        assert len(test) == len(val) == 4 and not test & val
        tested += sorted(test)
    assert sorted(tested) == list(range(1, 25))


def test_the_default_layout_keeps_the_shipped_split_and_emobox_is_emoboxs():
    assert fold_actors(6) == ("21-24", "17-20")
    assert [fold_actors(k, "emobox")[0] for k in range(1, 7)] == [
        "1, 11, 20, 21", "4, 10, 12, 14", "8, 9, 19, 23", "3, 5, 7, 24", "2, 15, 16, 18", "6, 13, 17, 22"]
    assert fold_actors(1, "emobox")[1] == "6, 13, 17, 22"  # the previous fold's test actors validate


def test_nemo_split_keeps_its_test_speakers_out_of_training_and_choice(nemo):
    from train.nemo import NEMO_TEST_SPEAKERS
    from train.train import TrainConfig, resolve_split

    split = resolve_split(TrainConfig(nemo=str(nemo)))["nemo"]
    assert split["test"] == list(NEMO_TEST_SPEAKERS)
    assert not set(split["test"]) & set(split["train"] + split["val"])
    assert sorted(split["train"] + split["val"] + split["test"]) == ["EB0", "IC0", "KD0", "KS0", "MK0", "MP0", "SM0", "TP0", "WR0"]
    with pytest.raises(ValueError, match="no speaker XX0"):
        resolve_split(TrainConfig(nemo=str(nemo), nemo_val_speakers="XX0"))
    with pytest.raises(ValueError, match="masked"):
        resolve_split(TrainConfig(nemo=str(nemo), nemo_loss="sometimes"))

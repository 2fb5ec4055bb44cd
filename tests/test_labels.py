"""The RAVDESS name parser on all 1440 real names and on names that are not RAVDESS."""

from __future__ import annotations

from collections import Counter

import pytest

from emotion.labels import EMOTIONS, EMOTIONS_ES, RavdessNameError, parse_ravdess_name, try_parse_ravdess_name


def test_label_order_is_the_ravdess_code_order():
    assert EMOTIONS == ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
    assert list(EMOTIONS_ES) == list(EMOTIONS)
    assert EMOTIONS_ES["angry"] == "Enojado" and EMOTIONS_ES["surprised"] == "Sorprendido"


def test_every_ravdess_file_name_parses(ravdess):
    paths = sorted(ravdess.glob("Actor_*/*.*"))
    paths = [p for p in paths if p.suffix.lower() in (".wav", ".flac")]
    assert len(paths) == 1440
    names = [parse_ravdess_name(p) for p in paths]
    assert Counter(n.emotion for n in names) == {"neutral": 96, **{e: 192 for e in EMOTIONS[1:]}}
    assert Counter(n.actor for n in names) == {a: 60 for a in range(1, 25)}
    for path, n in zip(paths, names):
        assert path.parent.name == f"Actor_{n.actor:02d}"
        assert n.gender == ("male" if n.actor % 2 else "female")
        assert n.modality == "audio-only" and n.vocal_channel == "speech"
        assert EMOTIONS[n.label] == n.emotion
        assert int(path.name[6:8]) == n.label + 1
    assert {n.statement for n in names} == {"Kids are talking by the door", "Dogs are sitting by the door"}
    assert not any(n.emotion == "neutral" and n.intensity == "strong" for n in names)


def test_a_full_record():
    n = parse_ravdess_name("some/folder/03-01-05-02-01-02-22.wav")
    assert (n.emotion, n.intensity, n.statement, n.repetition, n.actor, n.gender) == (
        "angry", "strong", "Kids are talking by the door", 2, 22, "female")


@pytest.mark.parametrize(
    "name,field",
    [
        ("03-01-09-01-01-01-01.wav", "emotion"),
        ("03-01-05-01-01-01-25.wav", "actor"),
        ("03-01-05-01-01-01-00.wav", "actor"),
        ("04-01-05-01-01-01-01.wav", "modality"),
        ("03-03-05-01-01-01-01.wav", "vocal channel"),
        ("03-01-05-03-01-01-01.wav", "intensity"),
        ("03-01-05-01-03-01-01.wav", "statement"),
        ("03-01-05-01-01-03-01.wav", "repetition"),
        ("03-01-01-02-01-01-01.wav", "neutral"),
        ("03-01-05-01-01-01.wav", "not a RAVDESS name"),
        ("my voice.wav", "not a RAVDESS name"),
        ("03-01-0a-01-01-01-01.wav", "not a RAVDESS name"),
    ],
)
def test_invalid_names_say_which_field_is_wrong(name, field):
    with pytest.raises(RavdessNameError, match=field):
        parse_ravdess_name(name)
    assert try_parse_ravdess_name(name) is None

"""The nEMO reader (both layouts) and the nEMO test speakers."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from emotion.audio import load_audio
from emotion.labels import EMOTIONS
from train.nemo import NEMO_CLASSES, NEMO_TEST_SPEAKERS, find_nemo_clips, split_test_speakers


def test_nemo_reader_reads_the_flac_third(nemo):
    clips = find_nemo_clips(nemo)
    assert len(clips) == 1495  # ../shared/nemo/README.md
    assert {c.speaker for c in clips} == {"EB0", "IC0", "KD0", "KS0", "MK0", "MP0", "SM0", "TP0", "WR0"}
    assert {c.label for c in clips} == set(NEMO_CLASSES) and len(NEMO_CLASSES) == 6
    assert {EMOTIONS[i] for i in NEMO_CLASSES} == set(EMOTIONS) - {"calm", "disgust"}
    for c in clips[::50]:
        speaker, emotion, _ = c.path.rsplit("/", 1)[1].split("_")
        assert speaker == c.speaker and c.gender in ("female", "male")
        assert EMOTIONS[c.label] == {"anger": "angry", "fear": "fearful", "happiness": "happy",
                                     "sadness": "sad"}.get(emotion, emotion)
    assert len({(c.speaker, c.gender) for c in clips}) == 9  # one gender per speaker
    assert find_nemo_clips(nemo, ("KD0",)) == [c for c in clips if c.speaker == "KD0"]


def test_nemo_reader_reads_a_full_download(nemo, tmp_path):
    """The amu-cai/nEMO repository's layout: samples/*.wav and data.tsv, whose
    speaker ids are padded with spaces and whose sentences carry their own quotes."""
    source = find_nemo_clips(nemo, ("KD0", "TP0"))[:3]
    (tmp_path / "samples").mkdir()
    lines = ["file_id\temotion\traw_text\tnormalized_text\tspeaker_id\tgender\tage"]
    for i, c in enumerate(source):
        name = c.path.rsplit("/", 1)[1].replace(".flac", ".wav")
        audio, sr = sf.read(c.path, dtype="int16")
        sf.write(tmp_path / "samples" / name, audio, sr, subtype="PCM_16")
        emotion = name.split("_")[1]
        lines.append(f"{name}\t{emotion}\t„Ród smoka” to serial, nr {i}.\t„ród smoka” to serial nr {i}\t        {c.speaker}\t{c.gender}\t26")
    (tmp_path / "data.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    clips = find_nemo_clips(tmp_path)
    assert [(c.label, c.speaker, c.gender) for c in clips] == [(c.label, c.speaker, c.gender) for c in source]
    assert all(c.path.startswith(str(tmp_path / "samples")) and c.path.endswith(".wav") for c in clips)
    np.testing.assert_array_equal(load_audio(clips[0].path), load_audio(source[0].path))

    (tmp_path / "samples" / clips[1].path.rsplit("/", 1)[1]).unlink()
    with pytest.raises(FileNotFoundError, match="1 nEMO clips"):
        find_nemo_clips(tmp_path)
    with pytest.raises(FileNotFoundError, match="No nEMO corpus"):
        find_nemo_clips(tmp_path / "samples")


def test_nemo_test_speakers_are_one_female_one_male_and_kept_apart(nemo):
    clips = find_nemo_clips(nemo)
    rest, test = split_test_speakers(clips)
    gender = {c.speaker: c.gender for c in clips}
    assert len(NEMO_TEST_SPEAKERS) == 2 and sorted(gender[s] for s in NEMO_TEST_SPEAKERS) == ["female", "male"]
    assert {c.speaker for c in test} == set(NEMO_TEST_SPEAKERS)
    assert not {c.speaker for c in rest} & set(NEMO_TEST_SPEAKERS)
    assert len(rest) + len(test) == len(clips) and len(test) == 360  # 30 clips per emotion each

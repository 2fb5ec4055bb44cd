"""The generalisation benchmark: channels that do what they say, the nEMO
reader (both layouts), the test speakers, the scoring, and the command."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch
from scipy.signal import welch

from conftest import EXAMPLES, ROOT
from emotion.audio import SAMPLE_RATE, load_audio, trim_silence
from emotion.labels import EMOTIONS
from train.channels import (BENCHMARK_ROOMS, QUIET_PEAK_DBFS, SNRS_DB, Channel, benchmark_channels, channel_rng,
                            g711_wav, gsm_wav, prepare_babble_talkers, room_impulse_response, webm_opus)
from train.metrics import classification_metrics
from train.generalisation import apply_channel, render_table
from train.metrics import corpus_metrics
from train.corpora.nemo import CLASSES as NEMO_CLASSES
from train.corpora.nemo import TEST_SPEAKERS as NEMO_TEST_SPEAKERS
from train.corpora.nemo import find_clips as find_nemo_clips
from train.corpora.nemo import split_test_speakers

CLIP = EXAMPLES / "03-01-05-02-01-01-21.flac"  # angry, actor 21 (male): a test actor
PLACEHOLDER_TALKERS = [np.ones(SAMPLE_RATE, np.float32)]  # only to list the babble channels' names
CHANNELS = list(benchmark_channels(PLACEHOLDER_TALKERS))
RANDOM_CHANNELS = [n for n in CHANNELS if n.split("_")[0] in ("laptop", "room", "babble", "pink", "brown", "hum")]
NOISE_CHANNELS = [n for n in CHANNELS if n.endswith("dB")]


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return load_audio(CLIP)


@pytest.fixture(scope="module")
def babble_talkers(nemo):
    """Babble material as the benchmark makes it: nEMO test speakers' clips (a share, for speed)."""
    clips = find_nemo_clips(nemo, NEMO_TEST_SPEAKERS)[::12]
    return prepare_babble_talkers([load_audio(c.path) for c in clips])


@pytest.fixture
def channel(request) -> Channel:
    """The channel named by the test's parameter; babble ones need nEMO."""
    name = request.param
    talkers = request.getfixturevalue("babble_talkers") if name.startswith("babble") else None
    return benchmark_channels(talkers)[name]


def band_power(audio: np.ndarray, lo: float, hi: float) -> float:
    f, p = welch(audio, fs=SAMPLE_RATE, nperseg=1024)
    return float(p[(f >= lo) & (f < hi)].sum()) + 1e-20


def db(x: float) -> float:
    return 10 * np.log10(x)


# --- every channel ---------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS, indirect=True)
def test_channel_keeps_the_format_and_length_and_is_deterministic(channel, speech):
    out = channel.apply(speech, channel_rng(channel.name, CLIP.stem))
    assert out.dtype == np.float32 and out.ndim == 1 and len(out) == len(speech)
    assert np.all(np.isfinite(out)) and np.abs(out).max() <= 1.0
    assert np.abs(out - speech).max() > 1e-3  # it changed something
    again = channel.apply(speech, channel_rng(channel.name, CLIP.stem))
    np.testing.assert_array_equal(out, again)
    if channel.name in RANDOM_CHANNELS:  # the seed is what fixes it
        assert not np.array_equal(out, channel.apply(speech, channel_rng(channel.name, "another clip")))


def test_channel_seeds_depend_on_channel_and_clip_only():
    a = channel_rng("pink_10dB", "03-01-01-01-01-01-21").random(4)
    np.testing.assert_array_equal(a, channel_rng("pink_10dB", "03-01-01-01-01-01-21").random(4))
    assert not np.array_equal(a, channel_rng("pink_5dB", "03-01-01-01-01-01-21").random(4))
    assert not np.array_equal(a, channel_rng("pink_10dB", "03-01-01-01-01-01-22").random(4))


# --- each does what it claims -------------------------------------------------------


@pytest.mark.parametrize("name", ["telephone_g711", "mobile_gsm"])
def test_telephone_channels_keep_only_the_300_to_3400_hz_band(name, speech):
    """Measured as a telephone line is: the gain for tones, at each tone's own
    frequency (the codec's noise spreads over the whole band); then on speech."""
    channel = benchmark_channels(None)[name]
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE

    def gain_db(freq):
        tone = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        return db(band_power(channel.apply(tone, None), freq - 40, freq + 40) / band_power(tone, freq - 40, freq + 40))

    assert abs(gain_db(1000)) < 1.5 and abs(gain_db(3000)) < 1.5
    assert gain_db(150) < -25 and gain_db(3800) < -25  # a male voice's fundamental; the top of an 8 kHz line
    assert gain_db(5000) < -60  # beyond the 8 kHz line's Nyquist frequency: nothing
    out = channel.apply(speech, channel_rng(name, CLIP.stem))
    assert db(band_power(out, 4000, 8000) / band_power(out, 300, 3400)) < -60
    assert db(band_power(speech, 4000, 8000) / band_power(speech, 300, 3400)) > -35  # the studio clip has plenty there


def test_codecs_produce_the_files_they_claim(speech):
    webm = webm_opus(speech)
    assert webm[:4] == bytes.fromhex("1a45dfa3") and b"A_OPUS" in webm  # EBML (WebM) header, Opus track
    for wav, subtype, kbit in ((g711_wav(speech), "ULAW", 64), (gsm_wav(speech), "GSM610", 13)):
        info = sf.info(io.BytesIO(wav))
        assert (info.samplerate, info.channels, info.subtype) == (8000, 1, subtype)
        assert len(wav) * 8 / info.duration / 1000 == pytest.approx(kbit, rel=0.1)


@pytest.mark.parametrize("channel", NOISE_CHANNELS, indirect=True)
def test_background_noise_is_mixed_at_the_stated_snr(channel, speech):
    """SNR measured from the output alone: the part of it that is the clean
    clip (least squares), against the rest, over the clip's speech."""
    out = channel.apply(speech, channel_rng(channel.name, CLIP.stem)).astype(np.float64)
    gain = np.dot(out, speech) / np.dot(speech, speech)
    _, (start, end) = trim_silence(speech)
    noise = out[start:end] - gain * speech[start:end]
    measured = db(np.mean((gain * speech[start:end]) ** 2) / np.mean(noise**2))
    stated = float(channel.name.split("_")[1].removesuffix("dB"))
    assert stated in SNRS_DB and measured == pytest.approx(stated, abs=1.0)


def test_babble_is_speech_not_stationary_noise(babble_talkers, speech):
    """Babble's level comes and goes with the voices in it; pink noise's does not."""
    channels = benchmark_channels(babble_talkers)

    def level_spread(name):  # sd of the 50 ms frame levels of the added noise, dB
        out = channels[name].apply(speech, channel_rng(name, CLIP.stem)).astype(np.float64)
        noise = out - np.dot(out, speech) / np.dot(speech, speech) * speech
        frames = noise[: len(noise) // 800 * 800].reshape(-1, 800)
        return np.std(10 * np.log10(np.mean(frames**2, axis=1)))

    assert level_spread("babble_10dB") > 2 * level_spread("pink_10dB")


def test_quiet_recording_peaks_at_minus_30_dbfs(speech):
    out = benchmark_channels(None)["quiet"].apply(speech, None)
    assert 20 * np.log10(np.abs(out).max()) == pytest.approx(QUIET_PEAK_DBFS, abs=0.05)
    assert np.corrcoef(out, speech)[0, 1] > 0.999  # the same signal, only quieter
    steps = out * 32768  # a 16-bit file: whole steps, about a thousand of them left at -30 dBFS
    np.testing.assert_array_equal(steps, np.round(steps))
    assert np.abs(steps).max() == round(32768 * 10 ** (QUIET_PEAK_DBFS / 20))


def test_clipping_clips_everything_above_a_quarter_of_the_peak(speech):
    out = benchmark_channels(None)["clipping"].apply(speech, None)
    clipped = np.abs(out) >= 1.0
    loud = np.abs(speech) >= np.abs(speech).max() * 10 ** (-12 / 20)
    assert clipped.mean() > 0.01 and abs(clipped.mean() - loud.mean()) < 0.001


def test_laptop_microphone_colours_the_voice_and_adds_room_noise(speech):
    out = benchmark_channels(None)["laptop_mic"].apply(speech, channel_rng("laptop_mic", CLIP.stem))

    def relative(x, lo, hi):  # dB relative to the 500-2000 Hz band
        return db(band_power(x, lo, hi) / band_power(x, 500, 2000))

    assert relative(out, 50, 150) < relative(speech, 50, 150) - 10  # the small capsule loses the bass
    assert relative(out, 3000, 4000) > relative(speech, 3000, 4000) + 3  # the grille's presence peak
    silence = slice(0, int(0.3 * SAMPLE_RATE))  # RAVDESS clips open with silence
    assert np.sqrt(np.mean(out[silence] ** 2)) > 3 * np.sqrt(np.mean(speech[silence] ** 2))


@pytest.mark.parametrize("name", list(BENCHMARK_ROOMS))
def test_rooms_reverberate_as_designed(name, speech):
    import pyroomacoustics as pra

    room = BENCHMARK_ROOMS[name]
    rir, direct = room_impulse_response(room, channel_rng(name, CLIP.stem))
    # The image-source method decays a little slower than Sabine's formula predicts.
    assert room.rt60 <= pra.experimental.measure_rt60(rir, fs=SAMPLE_RATE) <= 1.7 * room.rt60
    assert np.abs(rir[direct - 2 : direct + 3]).max() > 0.5 * np.abs(rir[: direct + 3]).max()  # direct sound where computed
    # The channel is the clip convolved with that very response, heard from the direct sound on.
    out = benchmark_channels(None)[name].apply(speech, channel_rng(name, CLIP.stem))
    expected = np.convolve(speech, rir)[direct : direct + len(speech)]
    assert np.corrcoef(out, expected)[0, 1] > 0.999
    assert np.corrcoef(out, speech)[0, 1] < 0.9  # and that is far from the dry clip


def test_channel_outputs_are_computed_once_and_cached(tmp_path, speech):
    calls = []

    def counting(audio, rng):
        calls.append(1)
        return (audio * rng.uniform(0.5, 1.0)).astype(np.float32)

    channel, names, audio = Channel("gain", "a random gain", counting), ["a", "b"], [speech, speech[:8000]]
    first = apply_channel(channel, names, audio, str(tmp_path))
    second = apply_channel(channel, names, audio, str(tmp_path))
    assert len(calls) == 2 and len(list(tmp_path.glob("channel-gain-*.npz"))) == 1
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    apply_channel(channel, names, [speech, speech[:4000]], str(tmp_path))  # other input: computed afresh
    assert len(calls) == 4


# --- nEMO ---------------------------------------------------------------------------


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


# --- scoring and the report ------------------------------------------------------------


def test_a_six_class_corpus_is_scored_over_its_own_classes():
    neutral, calm, sad = EMOTIONS.index("neutral"), EMOTIONS.index("calm"), EMOTIONS.index("sad")
    logits = torch.zeros(4, len(EMOTIONS))
    logits[0, [calm, neutral]] = torch.tensor([3.0, 2.0])  # calm first, neutral best of the six: right
    logits[1, [calm, sad]] = torch.tensor([3.0, 2.0])  # calm first, then sad: wrong
    logits[2, neutral] = 1.0  # right either way
    logits[3, sad] = 1.0  # right either way
    m = corpus_metrics(logits, [neutral, neutral, neutral, sad], NEMO_CLASSES)
    assert m["accuracy"] == 0.75 and m["accuracy_8way"] == 0.5 and m["answered_outside_classes"] == 0.5
    assert m["per_class"] == {"neutral": pytest.approx(2 / 3), "sad": 1.0} and m["chance"] == pytest.approx(1 / 6)
    assert m["confusion"][0][calm] == 0 and m["confusion_8way"][0][calm] == 2


def test_the_table_has_a_row_per_condition():
    m = classification_metrics([0, 1, 2], [0, 1, 1])
    corpus = {**corpus_metrics(torch.eye(len(EMOTIONS))[[0, 2, 3]], [0, 2, 4], NEMO_CLASSES), "speakers": ["KD0"]}
    result = {"benchmark": {"actors": [21, 22, 23, 24]}, "clean": m, "channels_detail": {"telephone_g711": m, "quiet": m},
              "corpora_detail": {"nemo_test": corpus}}
    table = render_table(result)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert [r.split(" | ")[0] for r in rows] == ["| condition", "| **clean** (RAVDESS actors 21–24)", "| telephone_g711", "| quiet",
                                                "| corpus", "| nemo_test"]
    assert "| +0.0 |" in table and "**66.7%** (16.7%)" in table


def test_weights_that_heard_nemo_are_scored_on_its_test_speakers_alone(nemo):
    """All nine nEMO speakers are a baseline only for weights that never heard nEMO: for the
    others seven of them are training or validation speakers, so the row is left out."""
    from train.corpora import nemo as nemo_corpus
    from train.generalisation import nemo_sets

    every = nemo_corpus.find_clips(nemo)
    _, test = nemo_corpus.split_test_speakers(every)
    unheard, heard = nemo_sets(every, test, False, None), nemo_sets(every, test, True, None)
    assert list(unheard) == ["nemo_test", "nemo_all"] and len(unheard["nemo_all"]) == len(every) > len(test)
    assert list(heard) == ["nemo_test"] and {c.speaker for c in heard["nemo_test"]} == set(NEMO_TEST_SPEAKERS)
    assert len(nemo_sets(every, test, True, 5)["nemo_test"]) == 5


@pytest.mark.slow
def test_the_command_writes_the_benchmark_json(ravdess, nemo, tmp_path):
    out = tmp_path / "g.json"
    proc = subprocess.run(
        [sys.executable, "-m", "train.generalisation", "--weights", str(ROOT / "weights"), "--data", str(ravdess),
         "--nemo", str(nemo), "--limit", "8", "--channels", "telephone_g711,babble_10dB", "--device", "cpu",
         "--cache", str(tmp_path / "cache"), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(out.read_text())
    assert {"clean", "channels", "channels_detail", "corpora", "corpora_detail", "benchmark", "command"} <= set(result)
    assert result["clean"]["n"] == 8 and set(result["clean"]["per_class"]) <= set(EMOTIONS)
    assert list(result["channels"]) == ["telephone_g711", "babble_10dB"]
    assert all(0 <= a <= 1 for a in result["channels"].values())
    assert result["channels_detail"]["babble_10dB"]["n"] == 8
    assert list(result["corpora"]) == ["nemo_test", "nemo_all"]
    assert set(result["corpora_detail"]["nemo_test"]["speakers"]) <= set(NEMO_TEST_SPEAKERS)
    assert "accuracy_8way" in result["corpora_detail"]["nemo_all"] and result["benchmark"]["limit"] == 8
    assert "| telephone_g711 |" in proc.stdout and "| nemo_all |" in proc.stdout

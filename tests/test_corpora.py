"""The corpus modules: each reads its downloads' real layout, labels into our eight
emotions, and keeps its declared test speakers apart.

ASED, EMOVO, BAVED, Emotion TTS and TurEV-DB are not in ../shared (they are fetched
outside the project), so their readers are tested on small synthetic layouts that copy the downloads'
names -- quirks included -- with real speech (RAVDESS clips) as the audio.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from emotion.audio import load_audio
from emotion.labels import EMOTIONS
from train.config import TrainConfig, check_flags
from train.corpora import CORPORA, MAIN, classes_of, facts_of, levels_of, scored, targets_of
from train.corpora import ased, baved, emotiontts, emovo, turev
from train.corpora import ravdess as ravdess_corpus

FACT_FIELDS = {"name", "summary", "summary_es", "language", "language_es", "language_code", "speakers", "emotions",
               "license", "citation", "short_citation", "hf_id", "download"}


@pytest.mark.parametrize("name", list(CORPORA))
def test_every_corpus_module_says_what_the_card_and_training_need(name):
    module = CORPORA[name]
    assert module.NAME == name and FACT_FIELDS <= set(module.FACTS)
    if levels_of(name):  # labelled by level: the card lists each level with the emotions it allows
        assert facts_of(name)["levels"] == {k: [EMOTIONS[i] for i in v] for k, v in levels_of(name).items()}
        assert sorted(i for v in levels_of(name).values() for i in v) == sorted(classes_of(name))  # disjoint, covering
    else:
        assert facts_of(name)["emotions"] == [EMOTIONS[i] for i in classes_of(name)]
    assert set(module.TEST_SPEAKERS).isdisjoint(module.VAL_SPEAKERS)
    assert module.FACTS["download"].startswith("https://")
    assert MAIN == "ravdess" and classes_of(MAIN) == tuple(range(8))


@pytest.fixture(scope="module")
def speech(ravdess):
    """Two seconds of a real voice, at 16 kHz (ASED's rate)."""
    return load_audio(next(iter(ravdess.glob("Actor_01/*.flac"))), 16000)[:32000]


# The download's names: every emotion folder, both common and emotion-specific sentences,
# one upper-case emotion letter (S4-04-02-01-29.wav is in the real download).
ASED_FILES = {
    "01Neutral": ["n1-01-01-01-01.wav", "n1-02-02-02-02.wav", "n1-01-01-01-13.wav"],
    "02Fearful": ["f2-01-01-01-01.wav", "f2-06-01-02-41.wav"],
    "03Happy": ["h3-02-01-02-02.wav"],
    "04Sad": ["S4-04-02-01-29.wav", "s4-01-02-02-50.wav"],
    "05Angry": ["a5-03-01-02-50.wav", "a5-02-01-01-01.wav"],
}


def write_ased(root, speech):
    for folder, names in ASED_FILES.items():
        (root / folder).mkdir(parents=True)
        for name in names:
            sf.write(root / folder / name, speech, 16000, subtype="PCM_16")
    (root / "README.md").write_text("# ASED\n")


def test_ased_reader_reads_the_downloads_names(tmp_path, speech):
    write_ased(tmp_path, speech)
    clips = ased.find_clips(tmp_path)
    assert len(clips) == sum(map(len, ASED_FILES.values()))
    by_name = {c.path.rsplit("/", 1)[1]: c for c in clips}
    sad = by_name["S4-04-02-01-29.wav"]  # the upper-case letter is read, not skipped
    assert (EMOTIONS[sad.label], sad.speaker, sad.gender, sad.sentence, sad.corpus) == ("sad", "01-29", "female", "04", "ased")
    angry = by_name["a5-03-01-02-50.wav"]
    assert (EMOTIONS[angry.label], angry.speaker, angry.gender) == ("angry", "02-50", "male")
    assert {EMOTIONS[c.label] for c in clips} == {"neutral", "fearful", "happy", "sad", "angry"}
    np.testing.assert_allclose(load_audio(clips[0].path), speech, atol=1e-4)
    assert [c.speaker for c in ased.find_clips(tmp_path, ("01-01",))] == ["01-01"] * 3


def test_ased_scores_only_the_sentences_spoken_in_every_emotion(tmp_path, speech):
    """Sentences 03-07 were each spoken in one emotion: their words name it."""
    write_ased(tmp_path, speech)
    clips = ased.find_clips(tmp_path)
    kept = scored("ased", clips)
    assert kept and all(c.sentence in ("01", "02") for c in kept)
    left_out = {c.path.rsplit("/", 1)[1] for c in clips} - {c.path.rsplit("/", 1)[1] for c in kept}
    assert left_out == {"S4-04-02-01-29.wav", "f2-06-01-02-41.wav", "a5-03-01-02-50.wav"}
    assert len(kept) == len([c for c in clips if c.sentence in ("01", "02")])
    assert scored("emovo", clips[:3]) == clips[:3]  # a corpus without the hook scores everything


def test_ased_test_speakers_are_balanced_and_spoke_every_emotion():
    genders = [ased.GENDERS[s.split("-")[0]] for s in ased.TEST_SPEAKERS]
    assert genders.count("female") == genders.count("male") == 3


def test_ased_reader_refuses_a_folder_that_is_not_ased(tmp_path):
    (tmp_path / "notes.wav").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="No ASED corpus"):
        ased.find_clips(tmp_path)


def test_emovo_reader_reads_stereo_48k_downloads(tmp_path, speech):
    """EMOVO is 48 kHz stereo: the front end makes it the model's 16 kHz mono."""
    stereo = np.stack([np.interp(np.arange(0, len(speech), 1 / 3), np.arange(len(speech)), speech)] * 2, axis=1)
    for speaker in ("f1", "m3"):
        (tmp_path / "EMOVO" / speaker).mkdir(parents=True)
        for emo in ("dis", "gio", "neu", "pau", "rab", "sor", "tri"):
            sf.write(tmp_path / "EMOVO" / speaker / f"{emo}-{speaker}-b1.wav", stereo, 48000, subtype="PCM_16")
    clips = emovo.find_clips(tmp_path)
    assert len(clips) == 14 and {c.speaker for c in clips} == {"f1", "m3"}
    assert {EMOTIONS[c.label] for c in clips} == set(EMOTIONS) - {"calm"}
    assert {(c.speaker, c.gender) for c in clips} == {("f1", "female"), ("m3", "male")}
    heard = load_audio(clips[0].path)
    assert heard.ndim == 1 and abs(len(heard) - len(speech)) <= 2
    with pytest.raises(FileNotFoundError, match="No EMOVO corpus"):
        emovo.find_clips(tmp_path / "EMOVO" / "nowhere")


def test_ravdess_reader_keeps_one_of_a_wav_and_flac_pair(tmp_path, ravdess):
    source = sorted(ravdess.glob("Actor_05/*.flac"))[:2]
    (tmp_path / "Actor_05").mkdir()
    for path in source:
        audio, sr = sf.read(path)
        sf.write(tmp_path / "Actor_05" / path.name, audio, sr)
        sf.write(tmp_path / "Actor_05" / path.with_suffix(".wav").name, audio, sr)
    clips = ravdess_corpus.find_clips(tmp_path)
    assert [c.speaker for c in clips] == [5, 5] and {c.corpus for c in clips} == {"ravdess"}


def test_added_corpora_are_named_on_the_command_line(tmp_path):
    cfg = TrainConfig(data="r", nemo="n", corpora=f"ased={tmp_path}, emovo=/e")
    assert cfg.corpus_folders() == {"ravdess": "r", "nemo": "n", "ased": str(tmp_path), "emovo": "/e"}
    check_flags(cfg)
    for bad in ("ased", "klingon=/k", "ravdess=/r", "ased="):
        with pytest.raises(ValueError, match="--corpora takes NAME=FOLDER"):
            check_flags(TrainConfig(corpora=bad))


def test_each_added_corpus_keeps_its_share_of_an_epoch():
    """--nemo-share and --corpus-shares: every main-corpus clip each epoch, each shared corpus
    a fresh draw of its share; one shared corpus draws exactly as --nemo-share always did."""
    from train.batches import EpochSampler

    corpus = np.array([0] * 60 + [1] * 100 + [2] * 100 + [3] * 7)  # main, nEMO-like, ASED-like, a small unshared one
    sampler = EpochSampler(len(corpus), 16, np.random.default_rng(0), corpus, shares={1: 0.25, 2: 0.125})
    kept = 60 + 7
    n1, n2 = round(0.25 / 0.625 * kept), round(0.125 / 0.625 * kept)
    assert sampler.epoch_size() == (kept, n1 + n2) and len(sampler) == -(-(kept + n1 + n2) // 16)
    draws = []
    for _ in range(3):
        epoch = np.concatenate(list(sampler))
        assert len(epoch) == len(set(epoch)) == kept + n1 + n2
        assert set(np.flatnonzero(corpus == 0)) | set(np.flatnonzero(corpus == 3)) <= set(epoch)
        assert (corpus[epoch] == 1).sum() == n1 and (corpus[epoch] == 2).sum() == n2
        draws.append(frozenset(epoch[corpus[epoch] == 1]))
    assert len(set(draws)) > 1  # drawn afresh each epoch
    one = [np.concatenate(list(EpochSampler(160, 16, np.random.default_rng(3), corpus[:160], second_share=0.4)))]
    same = [np.concatenate(list(EpochSampler(160, 16, np.random.default_rng(3), corpus[:160], shares={1: 0.4})))]
    np.testing.assert_array_equal(one[0], same[0])
    with pytest.raises(ValueError, match="add up to below 1"):
        EpochSampler(len(corpus), 16, np.random.default_rng(0), corpus, shares={1: 0.6, 2: 0.5})


def test_corpus_shares_are_checked_against_the_corpora_trained_on(tmp_path):
    ok = TrainConfig(corpora=f"ased={tmp_path}", corpus_shares="ased=0.2", nemo="n", nemo_share=0.3)
    check_flags(ok)
    assert ok.shares() == {"nemo": 0.3, "ased": 0.2}
    for bad, message in ((dict(corpus_shares="emovo=0.2"), "does not train on"),
                         (dict(corpora=f"ased={tmp_path}", corpus_shares="ased=half"), "NAME=SHARE"),
                         (dict(corpora=f"ased={tmp_path}", corpus_shares="ased=0.7", nemo="n", nemo_share=0.4), "below 1"),
                         (dict(select_on="nemo"), "--select-on")):
        with pytest.raises(ValueError, match=message):
            check_flags(TrainConfig(**bad))


def test_the_dereverberating_front_end_is_declared_in_the_checkpoint_only_when_chosen():
    from train.config import preprocessing_of

    assert "dereverb" not in preprocessing_of(TrainConfig())  # checkpoints before it read the same
    assert preprocessing_of(TrainConfig(dereverb="wpe"))["dereverb"] == "wpe"
    with pytest.raises(ValueError, match="--dereverb"):
        check_flags(TrainConfig(dereverb="sox"))


def test_selecting_on_the_main_corpus_leaves_the_others_unheard(speech):
    """--select-on main: the epoch is picked by RAVDESS's validation UAR alone, so another
    corpus's validation speakers are scored but choose nothing (the voices score's held-out)."""
    import torch

    from emotion.model import M5, M5Config
    from train.crossval import voices_of
    from train.data import ClipSet
    from train.fit import validate

    torch.manual_seed(0)
    model = M5(M5Config(n_channel=8)).eval()
    clips = ClipSet([speech[i * 4000 : i * 4000 + 16000] for i in range(8)], [0, 1, 2, 3, 4, 5, 0, 2],
                    ["ravdess"] * 4 + ["nemo"] * 4)
    both = validate(model, clips, 16000, 8000, "cpu")
    main = validate(model, clips, 16000, 8000, "cpu", select_on="main")
    assert main["val_uar_nemo"] == both["val_uar_nemo"]  # still measured
    assert main["val_score"] == main["val_uar"]
    assert both["val_score"] == pytest.approx((both["val_uar"] + both["val_uar_nemo"]) / 2)

    fold = {"uar": 0.5, "nemo_val": {"uar": 0.3}, "nemo_test": {"uar": 0.9}}
    assert voices_of(fold, {"select_on": "main"}) == {"per_corpus": {"ravdess": 0.5, "nemo": 0.3}, "score": pytest.approx(0.4)}
    assert voices_of(fold, {"select_on": "all"}) == {}  # validation speakers that chose the epoch are not held out


@pytest.mark.slow  # the benchmark's command on real clips
def test_the_benchmark_scores_each_added_corpus_test_speakers(ravdess, nemo, tmp_path, speech):
    """--corpora: every corpus given gets NAME_test, its declared test speakers only, on the
    clips it scores, over its own classes."""
    import json

    from train.generalisation import main as benchmark

    write_ased(tmp_path / "ased", speech)
    out = tmp_path / "bench.json"
    benchmark(["--weights", "weights", "--data", str(ravdess), "--nemo", str(nemo), "--corpora", f"ased={tmp_path / 'ased'}",
               "--channels", "telephone_g711", "--limit", "8", "--cache", str(tmp_path / "cache"), "--json", str(out)])
    result = json.loads(out.read_text())
    ased_test = result["corpora_detail"]["ased_test"]
    # the synthetic layout's test speakers' common-sentence clips: 01-01 (3), 01-13 (1), 02-02 (2), 02-50 (1; not
    # its sentence-03 clip); 01-29 and 02-41 are no test speakers
    assert ased_test["n"] == 7 and ased_test["speakers"] == ["01-01", "01-13", "02-02", "02-50"]
    assert ased_test["classes"] == ["neutral", "happy", "sad", "angry", "fearful"] and ased_test["chance"] == 0.2
    assert set(result["corpora"]) == {"nemo_test", "nemo_all", "ased_test"}


def test_training_can_leave_out_the_sentences_that_name_the_emotion(tmp_path, speech, ravdess):
    """--train-scored-only ased: ASED's training speakers are heard on the common sentences
    alone (the emotion-specific 03-07 would teach the words); validation and test speakers
    are scored on those either way."""
    from train.run import load_split, resolve_split

    write_ased(tmp_path / "ased", speech)  # training speaker 01-29 says only sentence 04 there
    sf.write(tmp_path / "ased" / "03Happy" / "h3-01-01-01-29.wav", speech, 16000, subtype="PCM_16")
    sf.write(tmp_path / "ased" / "02Fearful" / "f2-05-01-02-41.wav", speech, 16000, subtype="PCM_16")  # val, emotion-specific
    for name in ("n1-01-01-01-47.wav", "n1-02-01-02-06.wav"):  # the other validation speakers
        sf.write(tmp_path / "ased" / "01Neutral" / name, speech, 16000, subtype="PCM_16")
    base = dict(data=str(ravdess), test_actors="1", val_actors="2", train_actors="3", cache=str(tmp_path / "cache"),
                corpora=f"ased={tmp_path / 'ased'}")

    def ased_counts(cfg):
        data = load_split(cfg, resolve_split(cfg))
        return {name: part.corpora.count("ased") for name, part in data.items()}

    heard_all = ased_counts(TrainConfig(**base))
    common_only = ased_counts(TrainConfig(**base, train_scored_only="ased"))
    assert heard_all == {"train": 2, "val": 2, "test": 7}  # 01-29: sentences 01 and 04; 02-41: neither 05 nor 06
    assert common_only == {**heard_all, "train": 1}
    with pytest.raises(ValueError, match="--train-scored-only names emovo"):
        check_flags(TrainConfig(**base, train_scored_only="emovo"))


# Emotion TTS's layout: two subsets, speaker A in both (the same woman), the number giving the emotion.
EMOTIONTTS_FILES = {
    "Dataset/SpeechCorpus/Emotional/plain-to-emotional/ema/wav": ["ema00001.wav", "ema00101.wav", "ema00201.wav", "ema00301.wav"],
    "Dataset/SpeechCorpus/Emotional/plain-to-emotional/emh/wav": ["emh00005.wav", "emh00305.wav"],
    "Dataset/SpeechCorpus/Emotional/emotional-to-emotional/nea/wav": ["nea00102.wav", "nea00203.wav"],
    "Dataset/SpeechCorpus/Emotional/emotional-to-emotional/nek/wav": ["nek00004.wav", "nek00399.wav"],
}
# TurEV-DB's: one folder per emotion, and filtered duplicates that are skipped.
TUREV_FILES = {
    "Sound Source/Angry": ["1157_kz_acik.wav", "1984_kz_acik.wav"],
    "Sound Source/Calm": ["1157_sk_acik.wav", "1358_sk_beste.wav"],
    "Sound Source/Happy": ["7895_mt_cay.wav"],
    "Sound Source/Sad": ["1234_hl_acik.wav", "1984_hl_turev.wav"],
    "Model Output for Test Data/Angry": ["1984_kz_acik.wav"],
}
# BAVED's: a folder per word, SPEAKER-GENDER-AGE-WORD-LEVEL-REC.wav.
BAVED_FILES = {
    "0": ["54-f-21-0-0-1.wav", "54-f-21-0-1-2.wav", "54-f-21-0-2-3.wav", "55-m-20-0-2-4.wav", "17-m-22-0-0-5.wav"],
    "3": ["55-m-20-3-1-6.wav", "55-m-20-3-0-7.wav", "46-m-20-3-2-8.wav"],
}


def write_layout(root, files: dict, speech, rate: int = 16000):
    for folder, names in files.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            sf.write(root / folder / name, speech, rate, subtype="PCM_16")


def test_emotiontts_reader_joins_a_speaker_across_subsets_and_scores_the_shared_sentences(tmp_path, speech):
    """The number gives the emotion; a speaker is the folder's last letter (ema and nea are one
    woman); only plain-to-emotional's sentences, read in every emotion, are scored."""
    write_layout(tmp_path, EMOTIONTTS_FILES, np.interp(np.arange(0, len(speech), 16000 / 22050), np.arange(len(speech)), speech), 22050)
    clips = emotiontts.find_clips(tmp_path)
    assert len(clips) == 10 and {c.speaker for c in clips} == {"a", "h", "k"}
    by_name = {c.path.split("/")[-1]: c for c in clips}
    assert [EMOTIONS[by_name[f"ema00{n}.wav"].label] for n in ("001", "101", "201", "301")] == ["neutral", "happy", "angry", "sad"]
    assert by_name["ema00101.wav"].sentence == by_name["ema00001.wav"].sentence == "em01"  # one sentence, four emotions
    assert (by_name["nek00399.wav"].gender, EMOTIONS[by_name["nek00399.wav"].label]) == ("male", "sad")
    assert {c.path.split("/")[-1] for c in scored("emotiontts", clips)} == set(
        EMOTIONTTS_FILES["Dataset/SpeechCorpus/Emotional/plain-to-emotional/ema/wav"]
        + EMOTIONTTS_FILES["Dataset/SpeechCorpus/Emotional/plain-to-emotional/emh/wav"])
    assert set(emotiontts.TEST_SPEAKERS + emotiontts.VAL_SPEAKERS) <= set("abfgh")  # speakers of the scored subset
    assert len(load_audio(clips[0].path)) == pytest.approx(len(speech), abs=2)  # 22.05 kHz heard at 16 kHz
    with pytest.raises(FileNotFoundError, match="No Emotion TTS corpus"):
        emotiontts.find_clips(tmp_path / "Dataset" / "nowhere")


def test_turev_reader_reads_the_sound_source_and_skips_the_filtered_copies(tmp_path, speech):
    write_layout(tmp_path, TUREV_FILES, speech, 44100)
    clips = turev.find_clips(tmp_path)
    assert len(clips) == 7 and all("Model Output" not in c.path for c in clips)
    assert {(c.speaker, EMOTIONS[c.label], c.sentence) for c in clips if c.speaker == "1157"} == {
        ("1157", "angry", "acik"), ("1157", "calm", "acik")}
    assert {EMOTIONS[c.label] for c in clips} == {"angry", "calm", "happy", "sad"}
    assert classes_of("turev") == tuple(sorted(EMOTIONS.index(e) for e in ("angry", "calm", "happy", "sad")))
    assert "disagree" in turev.FACTS["license"]  # README and LICENSE say different things: the card says so
    with pytest.raises(FileNotFoundError, match="No TurEV-DB corpus"):
        turev.find_clips(tmp_path / "nowhere")


def test_baved_clips_are_labelled_by_level_and_their_targets_are_the_levels_sets(tmp_path, speech):
    write_layout(tmp_path, BAVED_FILES, speech)
    clips = baved.find_clips(tmp_path)
    assert len(clips) == 8 and {(c.speaker, c.gender) for c in clips} == {("54", "female"), ("55", "male"), ("17", "male"), ("46", "male")}
    level = {c.path.split("/")[-1]: next(n for n, s in baved.LEVELS.items() if c.label in s) for c in clips}
    assert (level["54-f-21-0-0-1.wav"], level["54-f-21-0-1-2.wav"], level["54-f-21-0-2-3.wav"]) == ("low", "neutral", "high")
    low = next(c for c in clips if c.path.endswith("54-f-21-0-0-1.wav"))
    assert {EMOTIONS[i] for i in targets_of("baved", low.label)} == {"sad", "calm"}
    assert targets_of("ravdess", 5) == (5,)  # a corpus labelled by emotion: the label alone
    from train.data import ClipSet
    both = ClipSet([speech] * 2, [low.label, EMOTIONS.index("angry")], ["baved", "ravdess"])
    assert both.has_sets() and both.target_masks().sum(1).tolist() == [2, 1]
    assert not ClipSet([speech], [0], ["ravdess"]).has_sets()


def test_a_level_is_scored_by_the_probability_on_its_set():
    """BAVED's clips are answered by level: the level whose emotions hold the most probability."""
    import torch

    from train.metrics import level_metrics, score_corpus

    e = EMOTIONS.index
    logits = torch.full((4, 8), -10.0)
    # two low clips: one answered "calm" (low), one split over happy and angry (high, 0.5 mass beats sad's 0.0)
    logits[0, e("calm")] = 5.0
    logits[1, e("happy")], logits[1, e("angry")] = 5.0, 5.0
    logits[2, e("neutral")] = 5.0  # neutral, right
    logits[3, e("surprised")] = 5.0  # high, right
    low, neutral, high = (s[0] for s in baved.LEVELS.values())
    m = level_metrics(logits, [low, low, neutral, high], baved.LEVELS)
    assert m["labels"] == ["low", "neutral", "high"] and m["confusion"] == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert m["accuracy"] == 0.75 and m["uar"] == pytest.approx((0.5 + 1 + 1) / 3) and m["chance"] == pytest.approx(1 / 3)
    assert m["per_class"] == {"low": 0.5, "neutral": 1.0, "high": 1.0}
    assert score_corpus(logits, [low, low, neutral, high], "baved") == m
    assert score_corpus(logits, [low, low, neutral, high], "ravdess")["classes"] == list(EMOTIONS)  # by emotion


def test_the_set_loss_is_minus_the_log_probability_on_the_set_and_the_plain_loss_for_one_emotion():
    import torch
    import torch.nn.functional as F

    from train.fit import masked_cross_entropy

    torch.manual_seed(0)
    logits, y = torch.randn(5, 8), torch.tensor([0, 3, 4, 7, 2])
    every = torch.ones(5, 8, dtype=torch.bool)
    one = F.one_hot(y, 8).bool()
    plain = masked_cross_entropy(logits, y, every, 0.1)
    assert torch.equal(masked_cross_entropy(logits, y, every, 0.1, targets=one), plain)  # bit for bit
    assert plain.item() == pytest.approx(F.cross_entropy(logits, y, label_smoothing=0.1).item(), rel=1e-6)
    sets = one.clone()
    sets[0, 1] = True  # clip 0 may be neutral or calm
    p = torch.softmax(logits, -1)
    want = -torch.log(torch.stack([p[0, 0] + p[0, 1], *(p[i, y[i]] for i in range(1, 5))])).mean()
    assert masked_cross_entropy(logits, y, every, 0.0, targets=sets).item() == pytest.approx(want.item(), rel=1e-6)

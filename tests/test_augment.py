"""Training with other corpora and simulated speakers and channels: the masked loss,
new voices, codecs, rooms and the channel simulator, on real audio."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from emotion import EMOTIONS, load_audio
from train import augment
from train.channels import BENCHMARK_ROOMS
from train.corpora import classes_of
from train.data import ClipSet
from train.fit import masked_cross_entropy


@pytest.fixture(scope="module")
def speech(example_clips):
    return load_audio(example_clips[2])  # happy, actor 23: a male voice


def test_masked_loss_is_the_usual_loss_when_every_class_is_allowed():
    torch.manual_seed(0)
    logits, y = torch.randn(16, 8), torch.randint(0, 8, (16,))
    everything = torch.ones(16, 8, dtype=torch.bool)
    weight = torch.rand(8) + 0.5
    torch.testing.assert_close(masked_cross_entropy(logits, y, everything, 0.1), F.cross_entropy(logits, y, label_smoothing=0.1))
    torch.testing.assert_close(masked_cross_entropy(logits, y, everything, 0.0, weight), F.cross_entropy(logits, y, weight=weight))


def test_a_nemo_clip_says_nothing_about_calm_and_disgust():
    """Its loss does not move the logits of the classes nEMO has no labels for."""
    mask = torch.from_numpy(ClipSet([np.zeros(1)], [EMOTIONS.index("angry")], ["nemo"]).class_masks())
    assert [EMOTIONS[i] for i in np.flatnonzero(mask[0])] == ["neutral", "happy", "sad", "angry", "fearful", "surprised"]
    assert classes_of("nemo") == tuple(np.flatnonzero(mask[0]))
    logits = torch.randn(1, 8, requires_grad=True)
    loss = masked_cross_entropy(logits, torch.tensor([EMOTIONS.index("angry")]), mask, 0.1)
    loss.backward()
    for emotion in ("calm", "disgust"):
        assert logits.grad[0, EMOTIONS.index(emotion)] == 0
    assert torch.isfinite(loss) and logits.grad[0, EMOTIONS.index("angry")] < 0


def test_the_teachers_loss_is_the_labels_loss_for_a_sure_teacher_and_says_nothing_outside_a_corpus():
    """Distillation (train --teacher): a teacher sure of the true label gives the unsmoothed label
    loss; a teacher's mass on calm for a nEMO clip is dropped, not learnt; the batches carry each
    clip's own probabilities, last, after the masks."""
    from train.batches import TrainBatches
    from train.fit import soft_cross_entropy

    torch.manual_seed(0)
    logits, y = torch.randn(16, 8), torch.randint(0, 8, (16,))
    everything = torch.ones(16, 8, dtype=torch.bool)
    sure = F.one_hot(y, 8).float()
    torch.testing.assert_close(soft_cross_entropy(logits, sure, everything), F.cross_entropy(logits, y))

    nemo = torch.from_numpy(ClipSet([np.zeros(1)], [EMOTIONS.index("sad")], ["nemo"]).class_masks())
    teacher = torch.full((1, 8), 0.02).index_fill(1, torch.tensor([EMOTIONS.index("calm")]), 0.5)
    teacher[0, EMOTIONS.index("sad")] = 0.38
    leaf = torch.randn(1, 8, requires_grad=True)
    soft_cross_entropy(leaf, teacher, nemo).backward()
    assert leaf.grad[0, EMOTIONS.index("calm")] == 0 and leaf.grad[0, EMOTIONS.index("disgust")] == 0
    assert leaf.grad[0, EMOTIONS.index("sad")] < 0  # the rest renormalised: sad is what it learns most

    audio = [np.full(800, i, np.float32) for i in range(10)]  # each clip's samples say which it is
    probs = np.random.default_rng(1).dirichlet(np.ones(8), 10).astype(np.float32)
    batches = TrainBatches(audio, [0] * 10, crop=800, batch_size=4, generator=np.random.default_rng(3),
                           noise_prob=0.0, class_masks=np.ones((10, 8), bool), soft_targets=probs)
    for x, _, mask, soft in batches:
        clip = x[:, 0].long().numpy()
        np.testing.assert_array_equal(soft.numpy(), probs[clip])
    with pytest.raises(ValueError, match="give class_masks too"):
        TrainBatches(audio, [0] * 10, crop=800, batch_size=4, generator=np.random.default_rng(3), soft_targets=probs)


def test_a_teacher_teaches_only_the_clips_of_corpora_it_heard():
    """A NaN teacher row (a corpus the teacher never trained on, e.g. BAVED) leaves that clip its
    labels' loss whole, with finite gradients; taught clips get the labels' and the teacher's
    losses in distill_weight's proportion; BAVED's set-valued targets still count."""
    from train.fit import distilled_loss, masked_cross_entropy, soft_cross_entropy

    torch.manual_seed(0)
    logits = torch.randn(6, 8, requires_grad=True)
    y = torch.randint(0, 8, (6,))
    mask = torch.ones(6, 8, dtype=torch.bool)
    soft = torch.softmax(torch.randn(6, 8), dim=1)
    soft[3:] = float("nan")  # the last three: a corpus the teacher never heard
    loss = distilled_loss(logits, y, mask, soft, 0.5, label_smoothing=0.1)
    hard = masked_cross_entropy(logits, y, mask, 0.1, reduce=False)
    expected = torch.cat([0.5 * hard[:3] + 0.5 * soft_cross_entropy(logits[:3], soft[:3], mask[:3], reduce=False), hard[3:]])
    torch.testing.assert_close(loss, expected.mean())
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    # all taught: the earlier mixture of the two means, unchanged for runs before this
    taught = soft[:3]
    torch.testing.assert_close(distilled_loss(logits[:3], y[:3], mask[:3], taught, 0.5, 0.1),
                               0.5 * masked_cross_entropy(logits[:3], y[:3], mask[:3], 0.1)
                               + 0.5 * soft_cross_entropy(logits[:3], taught, mask[:3]))
    # an untaught clip labelled by a set (a BAVED level) learns -log P(set) alone
    sets = torch.zeros(6, 8, dtype=torch.bool)
    sets[:, :2] = True
    untaught = torch.full((6, 8), float("nan"))
    torch.testing.assert_close(distilled_loss(logits, y, mask, untaught, 0.5, targets=sets),
                               -torch.logsumexp(torch.log_softmax(logits, 1)[:, :2], 1).mean())


def pitch_median(audio: np.ndarray) -> float:
    import parselmouth
    from parselmouth.praat import call

    return call(parselmouth.Sound(audio.astype(np.float64), 16000).to_pitch(), "Get quantile", 0, 0, 0.5, "Hertz")


def test_change_voice_moves_pitch_and_keeps_length(speech):
    higher = augment.change_voice(speech, formant_ratio=1.15, pitch_ratio=1.2)
    assert higher.dtype == np.float32 and higher.shape == speech.shape
    assert pitch_median(higher) / pitch_median(speech) == pytest.approx(1.2, rel=0.08)
    assert float(np.abs(higher).max()) == pytest.approx(float(np.abs(speech).max()), rel=1e-4)
    # Formants alone: the pitch stays, the spectrum's shape moves.
    formants = augment.change_voice(speech, formant_ratio=1.15, pitch_ratio=1.0)
    assert pitch_median(formants) / pitch_median(speech) == pytest.approx(1.0, rel=0.05)
    assert not np.allclose(formants, speech, atol=1e-3)


def test_voice_variants_are_cached_and_reused(speech, tmp_path, monkeypatch):
    clips = [speech[:32000], speech[16000:48000]]
    first = augment.voice_variants(clips, 2, tmp_path)
    assert [len(v) for v in first] == [2, 2] and all(v.shape == c.shape for c, vs in zip(clips, first) for v in vs)
    monkeypatch.setattr(augment, "change_voice", lambda *a, **k: pytest.fail("recomputed instead of read from the cache"))
    again = augment.voice_variants(clips, 2, tmp_path)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a[0], b[0])


def test_codec_versions_are_encoded_once_per_clip_across_sets(speech, tmp_path, monkeypatch):
    # Folds and recipes train on sets that share most clips: a clip met before is read, not re-encoded,
    # and every set still gets exactly what encoding it from nothing gives (same draws, same audio).
    a, b, c = speech[:16000], speech[16000:32000], speech[32000:48000]
    encoded = []
    real = augment.codec_variant
    monkeypatch.setattr(augment, "codec_variant", lambda clip, name: encoded.append(name) or real(clip, name))
    first = augment.codec_variants([a, b], tmp_path)
    assert len(encoded) == 2
    second = augment.codec_variants([a, b, c], tmp_path)  # another set (another set-level cache), same first draws
    assert len(encoded) == 3, "only the new clip should be encoded"
    shuffled = augment.codec_variants([c, b, a], tmp_path)  # other draws: what is new is encoded, and nothing else
    assert len(encoded) <= 6
    for cached, clips in ((first, [a, b]), (second, [a, b, c]), (shuffled, [c, b, a])):
        for got, want in zip(cached, augment.codec_variants(clips, None)):  # no cache at all
            np.testing.assert_array_equal(got[0], want[0])


def band_energy(audio: np.ndarray, lo: float, hi: float) -> float:
    spectrum = np.abs(np.fft.rfft(audio)) ** 2
    f = np.fft.rfftfreq(len(audio), 1 / 16000)
    return float(spectrum[(f >= lo) & (f < hi)].sum() / spectrum.sum())


@pytest.mark.parametrize("codec", sorted(augment.TRAINING_CODECS))
def test_training_codecs_keep_the_length_and_band_limit_as_their_rate_says(codec, speech):
    out = augment.codec_variant(speech, codec)
    assert out.dtype == np.float32 and out.shape == speech.shape
    if augment.TRAINING_CODECS[codec][0] == 8000:
        assert band_energy(out, 4100, 8000) < 1e-3 < band_energy(speech, 4100, 8000)
    # Still the same speech, give or take the codec's delay (MP3 adds about 1,100 samples at the start).
    lags = range(-1600, 1601, 4)
    best = max(np.corrcoef(np.roll(out, -lag)[2000:-2000], speech[2000:-2000])[0, 1] for lag in lags)
    assert best > 0.5


@pytest.fixture(scope="module")
def rooms():
    """The first rooms of the training bank, built once for this module (each takes pyroomacoustics ~0.5 s)."""
    return augment.training_rooms(4)


def test_training_rooms_are_never_the_benchmarks(rooms):
    assert len(rooms) == 4
    for rir, direct in rooms:
        assert np.all(np.isfinite(rir)) and 0 <= direct < len(rir)
    again = augment.training_rooms(2)  # the bank's start, drawn again from its own seed
    for (rir, direct), (rir2, direct2) in zip(rooms, again):
        np.testing.assert_array_equal(rir, rir2)  # a fixed bank: runs reproduce
        assert direct == direct2
    assert augment.AUGMENT_SEED != __import__("train.channels").channels.BENCHMARK_SEED
    assert len(BENCHMARK_ROOMS) == 2  # the rooms training_rooms() skips


def test_room_bank_2_holds_small_rooms_and_keeps_bank_1_as_recorded(monkeypatch):
    """Bank 2 reaches the small rooms people talk to a laptop in (bank 1 has none under
    about 4 x 4 m); bank 1's draws are untouched, so the recorded runs reproduce."""
    import train.channels as ch

    drawn = []
    real = ch.room_impulse_response
    monkeypatch.setattr(ch, "room_impulse_response", lambda room, rng: (drawn.append(room), real(room, rng))[1])
    bank2 = augment.training_rooms(6, bank=2)
    assert len(bank2) == 6 and all(np.all(np.isfinite(rir)) for rir, _ in bank2)
    for room in drawn:
        assert room not in BENCHMARK_ROOMS.values()
        assert augment.TRAINING_DISTANCE_2[0] <= room.distance < 0.5 * min(room.size[:2]) - ch.WALL_MARGIN
    assert min(r.size[0] * r.size[1] for r in drawn) < 16  # smaller than bank 1's smallest (4.31 x 4.4 m)
    drawn.clear()
    augment.training_rooms(1, bank=1)
    assert drawn[0].size == (10.58, 7.02, 3.7)  # bank 1's first room, as every recorded run drew it
    with pytest.raises(ValueError, match="1 or 2"):
        augment.training_rooms(1, bank=3)


def test_channel_simulator_is_deterministic_and_keeps_the_format(speech, rooms):
    from train.channels import prepare_babble_talkers

    rooms, babble = rooms[:3], prepare_babble_talkers([speech])
    crop = speech[:48000].copy()

    def run(seed, p=1.0):
        sim = augment.ChannelSimulator(np.random.default_rng(seed), rooms, babble, p)
        return [sim(crop.copy()) for _ in range(6)]

    a, b = run(1), run(1)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
        assert x.dtype == np.float32 and x.shape == crop.shape and np.all(np.isfinite(x)) and np.abs(x).max() <= 1.0
    assert any(not np.allclose(x, crop) for x in a)
    untouched = run(1, p=0.0)
    assert all(np.array_equal(x, crop) for x in untouched)


def test_nemo_share_keeps_every_ravdess_clip_each_epoch_and_draws_nemo_afresh():
    """--nemo-share: each epoch hears all of the main corpus and a new draw of the added one,
    in the stated proportion; without it the batches are exactly what they were."""
    from train.batches import TrainBatches
    from train.config import TrainConfig
    from train.run import resolve_split

    audio = [np.zeros(1600, np.float32) for _ in range(40)]
    labels = list(range(40))  # the label names the clip here
    corpus = np.array([0] * 10 + [1] * 30)

    def batches(**kw):
        return TrainBatches(audio, labels, crop=1600, batch_size=4, generator=np.random.default_rng(7), noise_prob=0.0, **kw)

    balanced = batches(corpus=corpus, second_share=0.4)
    assert len(balanced) == 5  # 10 RAVDESS + round(0.4 / 0.6 * 10) = 7 nEMO clips, in batches of 4
    draws = []
    for _ in range(3):
        heard = np.concatenate([y.numpy() for _, y in balanced])
        assert len(heard) == 17 and len(set(heard)) == 17
        assert set(range(10)) <= set(heard)  # every main-corpus clip, every epoch
        draws.append(frozenset(heard) - set(range(10)))
    assert len(set(draws)) > 1  # the added corpus is drawn afresh

    plain = [y.numpy().tolist() for _, y in batches()]
    assert [y.numpy().tolist() for _, y in batches(corpus=corpus, second_share=0.0)] == plain
    with pytest.raises(ValueError, match="below 1"):
        batches(corpus=corpus, second_share=1.0)
    with pytest.raises(ValueError, match="give --nemo too"):
        resolve_split(TrainConfig(nemo_share=0.4))


@pytest.mark.slow  # starts worker processes
def test_batches_made_in_loader_workers_are_the_same_for_any_number_of_workers(speech, rooms):
    """train --loader-workers N: each batch draws from its own generator (seed, epoch, batch), so
    one worker, two workers and the same scheme in this process give the same epochs,
    in order, with every transform on; the one-stream batches (N = 0) stay the recorded runs'."""
    from train.batches import loader, train_batches
    from train.channels import prepare_babble_talkers
    from train.config import TrainConfig

    audio = [np.roll(speech, 1000 * i) for i in range(20)]
    cfg = TrainConfig(batch_size=4, codecs=True, variant_prob=0.5, channel_sim=0.5, mic_filter=0.5, mic_tilt=4,
                      mic_per_clip=True, nemo="n", nemo_share=0.3)
    simulation = {"variants": [[-a] for a in audio], "channel": (rooms[:2], prepare_babble_talkers(audio[:4]), 0.5)}
    corpora = ["ravdess"] * 12 + ["nemo"] * 8
    masks = np.ones((20, 8), bool)

    def epochs(workers, in_process=False):
        b = train_batches(cfg, audio, list(range(8)) * 2 + [0] * 4, np.random.default_rng(5), masks, simulation, corpora)
        made = loader(b, workers, seed=5)
        if in_process:
            made = b  # loader() switched it to a generator per batch; iterate it here, as one shard
        return [[tuple(t.numpy() for t in batch) for batch in made] for _ in range(2)]

    one, two, here = epochs(1), epochs(2), epochs(1, in_process=True)
    stream = epochs(0)
    assert len(one[0]) == len(stream[0]) == train_batches(cfg, audio, [0] * 20, np.random.default_rng(5), masks,
                                                          simulation, corpora).__len__()
    for a, b, c in zip(sum(one, []), sum(two, []), sum(here, [])):
        for x, y, z in zip(a, b, c):
            np.testing.assert_array_equal(x, y)  # workers run torch on one thread each: bit for bit
            np.testing.assert_allclose(x, z, rtol=1e-4, atol=1e-6)  # here torch may split a filter over threads
    assert not np.array_equal(one[0][0][0], one[1][0][0])  # epochs differ
    assert not np.array_equal(one[0][0][0], stream[0][0][0])  # and differ from the one-stream batches


def test_room_prob_sets_how_many_simulated_crops_are_heard_in_a_room(speech, monkeypatch):
    """train --room-prob: every simulated crop in a room at 1, none at 0, about half at the default
    (which draws what the recorded runs drew: the room's coin is tossed either way)."""
    from train import channels as ch

    heard = []
    real = ch.heard_through
    monkeypatch.setattr(ch, "heard_through", lambda x, rir, direct: heard.append(1) or real(x, rir, direct))
    rooms = [(np.r_[1.0, np.zeros(99), 0.5], 0)]
    crop = speech[:8000].copy()
    for room_prob, low, high in ((1.0, 60, 60), (0.0, 0, 0), (0.5, 18, 42)):
        heard.clear()
        simulate = augment.ChannelSimulator(np.random.default_rng(4), rooms, [crop], p=1.0, room_prob=room_prob)
        for _ in range(60):
            assert simulate(crop.copy()).shape == crop.shape
        assert low <= len(heard) <= high, room_prob
    default = augment.ChannelSimulator(np.random.default_rng(9), rooms, [crop], p=1.0)
    explicit = augment.ChannelSimulator(np.random.default_rng(9), rooms, [crop], p=1.0, room_prob=0.5)
    for _ in range(10):
        np.testing.assert_array_equal(default(crop.copy()), explicit(crop.copy()))

"""A short real training run: loadable weights, a complete run record, determinism.
All `slow` (they train); the fast tier covers the library they build on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from emotion import EmotionRecognizer, load_audio, parse_actors
from train.corpora.ravdess import find_clips
from train.evaluate import main as evaluate_main
from train.cli import train_and_report as run
from train.config import TrainConfig

pytestmark = pytest.mark.slow


def small_config(ravdess, tmp_path, out="w", **kw):
    base = dict(data=str(ravdess), out=str(tmp_path / out), cache=str(tmp_path / "cache"), train_actors="1-2",
                val_actors="3", test_actors="21", epochs=2, n_channel=8, batch_size=16, ensemble=1, device="cpu")
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def trained(ravdess, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train")
    cfg = small_config(ravdess, tmp)
    metrics = run(cfg, command="python -m train (test)")
    return cfg, metrics


def test_short_run_writes_loadable_weights_and_a_run_record(trained):
    cfg, metrics = trained

    out = Path(cfg.out)
    for name in ("model.safetensors", "config.json", "run/config.json", "run/args.txt", "run/split.json",
                 "run/log.jsonl", "run/metrics.json", "run/curves.png", "run/confusion_test.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    log = [json.loads(line) for line in (out / "run/log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2]
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["split"] == {"train": [1, 2], "val": [3], "test": [21]}
    assert config["metrics"]["test"]["n"] == 60 and config["metrics"]["test"]["actors"] == [21]
    assert sum(map(sum, config["metrics"]["test"]["confusion"])) == 60
    assert config["calibration"]["temperature"] > 0 and "ece_uncalibrated" in config["metrics"]["test"]
    card = (out / "README.md").read_text()  # the model card, written from config.json
    assert card.startswith("---\n") and "\nlicense: cc-by-nc-sa-4.0\n" in card.split("---")[1]  # Hub front matter
    assert f"{config['metrics']['test']['accuracy']:.1%}" in card
    assert [a["kind"] for a in config["training"]["augmentation"]] == ["crop", "speed", "white_noise"]
    assert config["training"]["augmentation"][0]["description"] in card and "label smoothing 0.1" in card
    assert "Six-fold cross-validation" not in card  # the repository's records are of another recipe
    rec = EmotionRecognizer.load(out, device="cpu")
    assert rec.window == int(cfg.crop_seconds * 16000)
    assert rec.temperature == config["calibration"]["temperature"]


def test_evaluate_cli_reproduces_the_recorded_metrics(trained, capsys):
    cfg, metrics = trained
    assert evaluate_main(["--weights", cfg.out, "--data", cfg.data, "--actors", "21", "--cache", cfg.cache, "--json", "--device", "cpu"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["confusion"] == metrics["test"]["confusion"]
    assert printed["accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    assert printed["nll"] == pytest.approx(metrics["test"]["nll"], rel=1e-5)  # the very same probabilities


def test_a_trimming_run_records_metrics_of_clips_trimmed_once_as_served(ravdess, tmp_path, trained, capsys):
    """With --trim, the recorded metrics must be those of serving (one trim), not of
    clips trimmed twice (once by the run, again by the recognizer)."""
    cfg, _ = trained
    trimmed = small_config(ravdess, tmp_path, out="trim", cache=cfg.cache, epochs=1, trim=True, trim_top_db=20.0)
    metrics = run(trimmed, command="test trim")
    assert evaluate_main(["--weights", trimmed.out, "--data", cfg.data, "--actors", "21", "--cache", cfg.cache, "--json",
                          "--device", "cpu"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["nll"] == pytest.approx(metrics["test"]["nll"], rel=1e-5)
    assert printed["ece"] == pytest.approx(metrics["test"]["ece"], rel=1e-5)
    assert printed["confusion"] == metrics["test"]["confusion"]
    assert set(printed) >= {"accuracy", "uar", "n", "per_class", "confusion"}


def test_same_seed_gives_identical_weights_on_cpu(ravdess, tmp_path, trained):
    cfg, _ = trained
    again = small_config(ravdess, tmp_path, cache=cfg.cache, device="cpu")
    run(again, command="python -m train (test again)")
    first = json.loads((__import__("pathlib").Path(cfg.out) / "config.json").read_text())["weights_sha256"]
    second = json.loads((tmp_path / "w" / "config.json").read_text())["weights_sha256"]
    assert first == second


def test_overlapping_splits_are_refused(ravdess, tmp_path):
    with pytest.raises(ValueError, match="overlap"):
        run(small_config(ravdess, tmp_path, val_actors="21"))
    with pytest.raises(ValueError, match="overlap"):
        run(small_config(ravdess, tmp_path, train_actors="1-3", val_actors="3"))


def test_find_clips_reads_wav_and_flac_in_any_nesting(ravdess, tmp_path):

    import soundfile as sf

    src = sorted((ravdess / "Actor_05").glob("*"))[:3]
    (tmp_path / "deep" / "er").mkdir(parents=True)
    for p in src:
        x, sr = sf.read(p, dtype="int16")
        sf.write(tmp_path / "deep" / "er" / (p.stem + ".wav"), x, sr, subtype="PCM_16")
    shutil.copy(src[0], tmp_path / src[0].name)  # the same clip as .flac too: counted once
    clips = find_clips(tmp_path)
    assert [c.speaker for c in clips] == [5, 5, 5]
    assert parse_actors("1,3,5-7") == (1, 3, 5, 6, 7)


def test_crossval_folds_cover_every_actor_once_and_fold_6_is_the_shipped_split():
    from train.crossval import N_FOLDS, fold_actors

    tested = []
    for k in range(1, N_FOLDS + 1):
        test, val = (set(parse_actors(a)) for a in fold_actors(k))
        assert len(test) == len(val) == 4 and not test & val
        tested += sorted(test)
    assert sorted(tested) == list(range(1, 25))
    assert fold_actors(6) == ("21-24", "17-20")


def test_crossval_summary_collects_finished_folds_from_disk_and_refuses_mixed_recipes(tmp_path, trained):
    from train.crossval import finished_folds, write_summary

    cfg, _ = trained
    for k in (2, 5):  # two folds "run by other processes": the same finished run twice
        as_fold(Path(cfg.out) / "run", tmp_path / "cv", k)
    summary = write_summary(tmp_path / "cv", "test")
    test_metrics = json.loads((Path(cfg.out) / "run" / "metrics.json").read_text())["test"]
    assert [m["fold"] for m in summary["folds"]] == [2, 5]
    assert summary["accuracy_mean"] == pytest.approx(test_metrics["accuracy"]) and summary["accuracy_sd"] == 0
    assert np.sum(summary["pooled"]["confusion"]) == 2 * test_metrics["n"]
    assert summary["recipe"]["n_channel"] == 8 and "out" not in summary["recipe"]
    assert "| 5 | 17-20 | 13-16 |" in (tmp_path / "cv" / "crossval.md").read_text()

    config_path = tmp_path / "cv" / "fold_5" / "run" / "config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "lr": config["lr"] * 2}))
    with pytest.raises(SystemExit, match="other settings \\(lr\\)"):
        finished_folds(tmp_path / "cv")


def test_crossval_scores_each_folds_held_out_actors_through_benchmark_channels(tmp_path, trained, ravdess, small_nemo):
    """--channels: a fold's weights heard on its own test actors through the named channels of
    the generalisation benchmark, kept beside the fold and carried into the summary's table."""
    from train.crossval import finished_folds, score_channels, write_summary

    cfg, _ = trained
    out = tmp_path / "cv"  # threads 0 below: torch's own count (a count set here would change later runs' weights)
    as_fold(Path(cfg.out) / "run", out, 6)
    for name in ("model.safetensors", "config.json"):
        shutil.copy(Path(cfg.out) / name, out / "fold_6" / name)
    score_channels(out, 6, "blocks", "quiet,clipping", str(ravdess), str(small_nemo), 0, str(tmp_path / "cache"))
    record = json.loads((out / "fold_6" / "channels.json").read_text())
    assert record["benchmark"]["actors"] == [21, 22, 23, 24] and record["clean"]["n"] == 240
    assert "--actors 21-24" in record["command"] and list(record["channels"]) == ["quiet", "clipping"]
    written = (out / "fold_6" / "channels.json").stat().st_mtime_ns
    score_channels(out, 6, "blocks", "quiet,clipping", str(ravdess), str(small_nemo), 0, str(tmp_path / "cache"))
    assert (out / "fold_6" / "channels.json").stat().st_mtime_ns == written  # the same channels are not scored twice

    [fold] = finished_folds(out)
    assert fold["channels"] == record["channels"] and fold["channels_command"] == record["command"]
    write_summary(out, "test")
    table = (out / "crossval.md").read_text()
    assert "| fold | clean | quiet | clipping | mean |" in table
    assert f"| 6 | {fold['accuracy']:.1%} | {record['channels']['quiet']:.1%} |" in table


def as_fold(run_dir: Path, out: Path, k: int, layout: str = "blocks") -> None:
    """A finished run copied in as fold k (its record says it tested fold k's actors)."""
    from train.crossval import fold_actors

    shutil.copytree(run_dir, out / f"fold_{k}" / "run")
    config_path = out / f"fold_{k}" / "run" / "config.json"
    test, val = fold_actors(k, layout)
    config_path.write_text(json.dumps({**json.loads(config_path.read_text()), "test_actors": test, "val_actors": val}))


def six_folds_of(run_dir: Path, out: Path, command: str) -> Path:
    """A cross-validation 'run' whose six folds are all the given run (for the card's tables)."""
    from train.crossval import write_summary

    for k in range(1, 7):
        as_fold(run_dir, out, k)
    write_summary(out, command)
    return out / "crossval.json"


def test_a_summary_refuses_folds_of_another_layout(tmp_path, trained):
    from train.crossval import write_summary

    cfg, _ = trained
    as_fold(Path(cfg.out) / "run", tmp_path / "cv", 1, layout="emobox")
    assert write_summary(tmp_path / "cv", "emobox", "emobox")["layout"] == "emobox"
    with pytest.raises(SystemExit, match="not fold 1 of the 'blocks' layout"):
        write_summary(tmp_path / "cv", "blocks")


def test_experiment_records_survive_a_retrain_and_the_card_shows_them(ravdess, tmp_path, trained, monkeypatch):
    """Cross-validation and trimming records live in experiments/ (a manifest and the
    summaries), so `python -m train` rewriting config.json cannot erase them."""
    from emotion.checkpoint import read_config
    from train.model_card import main as card_main

    cfg, _ = trained
    records = tmp_path / "experiments" / "model_card.json"
    cv_json = six_folds_of(Path(cfg.out) / "run", tmp_path / "runs" / "cv_T", "python -m train.crossval --n-channel 8")
    trimming = tmp_path / "trimming.json"
    trimming.write_text(json.dumps([{"setting": "untrimmed", "val_uar": 0.5, "test_accuracy": 0.6, "test_uar": 0.55}]))
    weights = tmp_path / "weights"
    shutil.copytree(cfg.out, weights)
    card_main(["--weights", str(weights), "--records", str(records), "--crossval", str(cv_json), "--recipe", "A test recipe.",
               "--trimming", str(trimming), "--alternative", str(cv_json), "Class-weighted loss."])
    kept = json.loads(records.read_text())
    assert kept["crossval"] == {"summary": "cv_T/crossval.json", "recipe": "A test recipe."}
    assert (tmp_path / "experiments" / "cv_T" / "crossval.json").exists()  # copied out of the (ignored) runs/ folder
    assert "experiments" not in read_config(weights)

    def card_sections(card: str) -> None:
        summary = json.loads(cv_json.read_text())
        acc = f"{summary['accuracy_mean']:.1%}"
        assert "## Six-fold cross-validation by actor" in card and "A test recipe." in card
        assert f"| 5 | 17\u201320 | 13\u201316 | {summary['folds'][4]['accuracy']:.1%} |" in card
        assert f"| Class-weighted loss. | {' / '.join([acc] * 6)} | {acc} |" in card
        assert "| untrimmed | 50.0% | 60.0% | 55.0% |" in card and "hears the clip untrimmed" in card

    card_sections((weights / "README.md").read_text())
    EmotionRecognizer.load(weights, device="cpu")  # still loads: the checksum covers the weights

    # Retrain the same recipe into the same folder: config.json is rewritten, the records stay.
    import train.reports.card

    monkeypatch.setattr(train.reports.card, "RECORDS", records)  # this test's records stand in for the repository's
    run(small_config(ravdess, tmp_path, out="weights", cache=cfg.cache), command="python -m train (retrain)")
    card_sections((weights / "README.md").read_text())


def test_the_card_refuses_a_partial_cross_validation_as_an_alternative(tmp_path, trained):
    from train.crossval import write_summary
    from train.model_card import main as card_main

    cfg, _ = trained
    cv_json = six_folds_of(Path(cfg.out) / "run", tmp_path / "cv", "five folds")
    shutil.rmtree(tmp_path / "cv" / "fold_3")
    write_summary(tmp_path / "cv", "five folds")
    with pytest.raises(SystemExit, match="needs all six"):
        card_main(["--weights", cfg.out, "--records", str(tmp_path / "records.json"), "--alternative", str(cv_json), "Five."])
    assert not (tmp_path / "records.json").exists()


def test_crossval_flags_are_argparse_flags(capsys):
    from train.crossval import main, parser

    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--folds", "--summarise", "--n-channel", "--class-weight", "--ensemble", "--data"):
        assert flag in text
    args = parser().parse_args(["--folds", "2,3", "--ensemble", "1"])
    assert args.folds == "2,3" and args.ensemble == 1 and args.out == "runs/crossval"
    with pytest.raises(SystemExit):
        main(["--folds", "7"])


def test_every_training_flag_explains_itself_in_help(capsys):
    """The help of `python -m train` is TrainConfig's own comments, one per setting."""
    from dataclasses import fields

    from train.config import TrainConfig, config_comments, parse_args

    comments = config_comments()
    assert set(comments) == {f.name for f in fields(TrainConfig)}, "a TrainConfig field without a comment has no --help"
    with pytest.raises(SystemExit) as done:
        parse_args(["--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "share of crops through simulated rooms, lines, noises and levels; 0 disables (default: 0.0)" in text
    assert "--codecs, --no-codecs also one codec version of each training clip" in text
    assert "(default: 1337)" in text and "Hz the model hears (default: 16000)" in text


@pytest.mark.parametrize("flags, message", [
    (["--data", "{missing}"], "RAVDESS folder not found"),
    (["--mic-per-clip"], "give --mic-filter a share too"),
    (["--speed-perturb", "0", "--speed-per-clip"], "give --speed-perturb a range too"),
    (["--test-time-speeds", "0,1"], "between 0.5 and 2"),
    (["--val-actors", "21"], "overlap"),
    (["--arch", "m7"], "--arch is one of m5, m11"),
    (["--loader-workers", "-1"], "--loader-workers is a number of processes"),
    (["--room-bank", "2"], "give --channel-sim a share too"),
    (["--channel-sim", "0.5", "--room-bank", "3"], "--room-bank is 1"),
    (["--teacher", "{missing}"], "--teacher is a weights folder"),
    (["--room-prob", "1"], "give --channel-sim a share too"),
    (["--channel-sim", "0.5", "--room-prob", "1.5"], "--room-prob is a share"),
    (["--teacher", "{weights}", "--distill-weight", "0"], "--distill-weight is the teacher's share"),
])
def test_training_cli_refuses_bad_flags_in_one_line_before_writing_anything(ravdess, tmp_path, flags, message):
    from train.cli import main

    flags = [f.format(missing=tmp_path / "nowhere", weights=Path(__file__).parents[1] / "weights") for f in flags]
    with pytest.raises(SystemExit) as done:
        main(["--data", str(ravdess), "--out", str(tmp_path / "run"), *flags])
    assert str(done.value).startswith("python -m train: error: ") and message in str(done.value)
    assert "\n" not in str(done.value)
    assert not (tmp_path / "run").exists()


def test_an_ensemble_run_saves_one_model_whose_logits_are_the_members_mean(ravdess, tmp_path, trained):
    import torch

    from emotion.checkpoint import load_checkpoint
    from emotion.model import M5Ensemble

    cfg, _ = trained
    run(small_config(ravdess, tmp_path, out="ens", cache=cfg.cache, epochs=1, ensemble=2), command="test ensemble")
    model, config = load_checkpoint(tmp_path / "ens")
    assert isinstance(model, M5Ensemble) and config["ensemble_size"] == 2 and len(model.members) == 2
    x = torch.randn(2, 48000)
    members = [m(x) for m in model.members]
    assert not torch.allclose(members[0], members[1])  # different seeds, different models
    torch.testing.assert_close(model(x), (members[0] + members[1]) / 2)
    log = [json.loads(line) for line in (tmp_path / "ens/run/log.jsonl").read_text().splitlines()]
    assert [(r["member"], r["epoch"]) for r in log] == [(0, 1), (1, 1)]
    assert EmotionRecognizer.load(tmp_path / "ens", device="cpu").predict(
        sorted((ravdess / "Actor_21").glob("*"))[0]).label


def test_microphone_filter_colours_the_spectrum_and_is_off_by_default():
    import torch

    from train.batches import TrainBatches

    sr, n = 16000, 48000
    audio = [np.random.default_rng(i).standard_normal(n).astype(np.float32) * 0.1 for i in range(8)]

    def batch(**kw):
        return next(iter(TrainBatches(audio, [0] * 8, crop=n, batch_size=8, generator=np.random.default_rng(0),
                                      noise_prob=0.0, sample_rate=sr, **kw)))[0]

    plain, filtered = batch(), batch(mic_filter=1.0)
    assert filtered.shape == plain.shape and filtered.dtype == torch.float32
    # Same crops (same generator), so the spectra compare bin by bin.
    spectrum = lambda x: torch.fft.rfft(x).abs().pow(2).mean(0)  # noqa: E731
    f = torch.fft.rfftfreq(n, 1 / sr)
    ratio = spectrum(filtered) / spectrum(plain)
    assert ratio[f < 40].mean() < 0.1  # the high-pass removed the bass
    assert ratio[f > 7600].mean() < 0.8  # the low-pass is at most 0.45 * sr = 7.2 kHz
    torch.testing.assert_close(batch(mic_filter=0.0), plain)


def test_microphone_tilt_slopes_the_spectrum_about_1_khz():
    import torch

    from train.batches import TrainBatches

    sr, n = 16000, 48000
    audio = [np.random.default_rng(i).standard_normal(n).astype(np.float32) * 0.1 for i in range(8)]

    def batch(**kw):
        return next(iter(TrainBatches(audio, [0] * 8, crop=n, batch_size=8, generator=np.random.default_rng(0),
                                      noise_prob=0.0, sample_rate=sr, mic_filter=1.0, **kw)))[0]

    # The tilt is drawn after the rest of the filter: the first batch has the same crops
    # and the same filter, so the two spectra differ by the tilt alone.
    spectrum = lambda x: torch.fft.rfft(x.double()).abs().pow(2).mean(0)  # noqa: E731
    f = torch.fft.rfftfreq(n, 1 / sr).double()
    db = 10 * torch.log10(spectrum(batch(mic_tilt=6.0)) / spectrum(batch()))
    band = (f > 200) & (f < 6000)
    slope = np.polyfit(np.log2(f[band].numpy() / 1000), db[band].numpy(), 1)
    assert 1.0 < abs(slope[0]) <= 6.0  # dB per octave, within the asked range (this seed draws a clear one)
    assert abs(slope[1]) < 0.1  # and 0 dB at 1 kHz
    assert np.abs(db[band].numpy() - np.polyval(slope, np.log2(f[band].numpy() / 1000))).max() < 0.1  # a straight line
    assert np.ptp(db[(f > 20) & (f < 100)].numpy()) < 0.1  # flat below 100 Hz
    with pytest.raises(ValueError, match="microphone filter"):
        TrainBatches(audio, [0] * 8, crop=n, batch_size=8, generator=np.random.default_rng(0), mic_tilt=3.0)


def test_microphone_filter_per_clip_colours_each_crop_its_own_way():
    """Once per batch, every crop shares one colouring (and BatchNorm's batch statistics can
    take it out again); per clip, each crop has its own, and the share not drawn is untouched."""
    import torch

    from train.batches import TrainBatches

    sr, n = 16000, 16000
    x = torch.randn(64, n)

    def gains_db(**kw):
        batches = TrainBatches([np.zeros(10, np.float32)], [0], crop=10, batch_size=1, generator=np.random.default_rng(1),
                               sample_rate=sr, **kw)
        y = batches.batch_transforms[0](x)  # the microphone filter
        return 20 * torch.log10(torch.fft.rfft(y).abs() / torch.fft.rfft(x).abs())  # (crops, bins): the gain each crop got

    f = torch.fft.rfftfreq(n, 1 / sr)
    band = (f > 500) & (f < 3000)
    shared = gains_db(mic_filter=1.0, mic_tilt=4.0)[:, band]
    assert (shared - shared[0]).abs().max() < 1e-3  # one filter for the whole batch
    own = gains_db(mic_filter=0.5, mic_tilt=4.0, mic_per_clip=True)[:, band]
    untouched = own.abs().max(1).values < 1e-3
    assert 16 < int(untouched.sum()) < 48  # about half the crops left alone
    coloured = own[~untouched]
    assert (coloured[1:] - coloured[0]).abs().max(1).values.min() > 0.1  # each unlike the first
    with pytest.raises(ValueError, match="microphone filter"):
        TrainBatches([np.zeros(10, np.float32)], [0], crop=10, batch_size=1, generator=np.random.default_rng(0), mic_per_clip=True)


def test_speed_per_clip_plays_each_crop_at_its_own_speed():
    """A 1 kHz tone played at 0.8x or 1.25x comes out at 800 or 1250 Hz. Drawn once per
    batch every crop of a batch shares one pitch; per clip, a batch mixes them."""
    import torch

    from train.batches import TrainBatches

    sr, crop = 16000, 8000
    tone = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(3 * sr) / sr)).astype(np.float32)

    def pitches(**kw):
        batches = TrainBatches([tone] * 32, [0] * 32, crop=crop, batch_size=16, generator=np.random.default_rng(3),
                               noise_prob=0.0, speeds=(0.8, 1.25), sample_rate=sr, **kw)
        out = []
        for x, y in batches:
            assert x.shape == (16, crop) and x.dtype == torch.float32 and y.shape == (16,)
            spectrum = np.abs(np.fft.rfft(x.numpy(), axis=-1))
            out.append(np.round(np.fft.rfftfreq(crop, 1 / sr)[spectrum.argmax(-1)], -1))
        return out

    for batch in pitches():
        assert len(set(batch)) == 1 and batch[0] in (800.0, 1250.0)  # one speed for the whole batch
    mixed = np.concatenate(pitches(speed_per_clip=True))
    assert set(mixed) == {800.0, 1250.0}
    assert all(len(set(batch)) == 2 for batch in pitches(speed_per_clip=True))  # both speeds in each batch of 16
    with pytest.raises(ValueError, match="speed perturbation"):
        TrainBatches([tone], [0], crop=crop, batch_size=1, generator=np.random.default_rng(0), speed_per_clip=True)


def test_mixup_microphone_filter_and_class_weights_train_deterministically(ravdess, tmp_path, trained):
    cfg, _ = trained
    runs = [run(small_config(ravdess, tmp_path, out=f"mix{i}", cache=cfg.cache, epochs=1, mixup=0.4, mic_filter=0.5,
                                class_weight=True),
                command="test mixup") for i in range(2)]
    assert runs[0]["val"]["accuracy"] == runs[1]["val"]["accuracy"]
    a, b = ((tmp_path / f"mix{i}" / "model.safetensors").read_bytes() for i in range(2))
    assert a == b


def test_an_m11_run_ships_weights_that_describe_and_serve_themselves(ravdess, tmp_path, trained, example_clips):
    """--arch m11, with the batches made in a DataLoader worker (--loader-workers, as on a GPU)."""
    cfg, _ = trained
    run(small_config(ravdess, tmp_path, out="m11", cache=cfg.cache, epochs=2, arch="m11", loader_workers=1),
        command="test m11")
    rec = EmotionRecognizer.load(tmp_path / "m11", device="cpu")
    assert rec.config["model"]["arch"] == "m11" and len(rec.model.blocks) == 10
    probs = rec.probabilities(load_audio(example_clips[0]))
    assert sum(probs.values()) == pytest.approx(1.0)
    assert "One M11 (the deeper sibling of M5: ten convolutional layers)" in (tmp_path / "m11" / "README.md").read_text()
    log = [json.loads(line) for line in (tmp_path / "m11" / "run" / "log.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in log] == [1, 2] and log[0]["train_loss"] != log[1]["train_loss"]
    assert json.loads((tmp_path / "m11" / "config.json").read_text())["training"]["config"]["loader_workers"] == 1


def test_test_time_speeds_change_serving_not_training(ravdess, tmp_path, trained):
    cfg, metrics = trained
    run(small_config(ravdess, tmp_path, cache=cfg.cache, test_time_speeds="0.9,1,1.1"), command="test speeds")
    plain, sped = (json.loads((Path(d) / "config.json").read_text()) for d in (cfg.out, tmp_path / "w"))
    assert plain["preprocessing"]["test_time_speeds"] == [1.0]
    assert sped["preprocessing"]["test_time_speeds"] == [0.9, 1.0, 1.1]
    assert sped["weights_sha256"] == plain["weights_sha256"]  # the same epochs of the same model
    assert sped["metrics"]["best_epoch"] == plain["metrics"]["best_epoch"]
    assert EmotionRecognizer.load(tmp_path / "w", device="cpu").speeds == (0.9, 1.0, 1.1)
    # Temperature and test figures are measured the way the clips will be served: with the speeds.
    assert sped["calibration"]["temperature"] != plain["calibration"]["temperature"]
    with pytest.raises(ValueError, match="between 0.5 and 2"):
        run(small_config(ravdess, tmp_path, out="bad", cache=cfg.cache, test_time_speeds="0,1"))




@pytest.fixture(scope="module")
def small_nemo(nemo, tmp_path_factory):
    """Six clips of each nEMO speaker (one per emotion), laid out as a user's own full
    download of amu-cai/nEMO (samples/*.wav + data.tsv), so training reads that layout."""
    import soundfile as sf

    from train.corpora.nemo import find_clips as find_nemo_clips

    root = tmp_path_factory.mktemp("nemo_download")
    (root / "samples").mkdir()
    lines = ["file_id\temotion\traw_text\tnormalized_text\tspeaker_id\tgender\tage"]
    seen = set()
    for c in find_nemo_clips(nemo):
        name = Path(c.path).name.replace(".flac", ".wav")
        emotion = name.split("_")[1]
        if (c.speaker, emotion) in seen:
            continue
        seen.add((c.speaker, emotion))
        audio, sr = sf.read(c.path, dtype="int16")
        sf.write(root / "samples" / name, audio, sr, subtype="PCM_16")
        lines.append(f"{name}\t{emotion}\tZdanie.\tzdanie\t  {c.speaker}\t{c.gender}\t30")
    (root / "data.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_a_run_on_ravdess_and_nemo_with_simulated_voices_and_channels(ravdess, small_nemo, tmp_path, trained):
    from train.corpora.nemo import TEST_SPEAKERS as NEMO_TEST_SPEAKERS

    cfg, _ = trained
    both = small_config(ravdess, tmp_path, out="both", cache=cfg.cache, nemo=str(small_nemo), voices=1, codecs=True,
                        channel_sim=0.5, nemo_share=0.4)
    metrics = run(both, command="test nemo")
    config = json.loads((tmp_path / "both" / "config.json").read_text())
    split = config["training"]["split"]["nemo"]
    assert split["test"] == list(NEMO_TEST_SPEAKERS) and split["val"] == ["IC0", "KS0"]
    assert not set(split["train"]) & set(split["val"] + split["test"]) and len(split["train"]) == 5
    assert config["training"]["corpora"] == ["ravdess", "nemo"] and "nEMO" in config["license"]
    assert metrics["nemo_test"]["n"] == 12 and metrics["nemo_test"]["speakers"] == list(NEMO_TEST_SPEAKERS)
    assert metrics["nemo_test"]["chance"] == pytest.approx(1 / 6) and metrics["test"]["n"] == 60
    log = [json.loads(line) for line in (tmp_path / "both/run/log.jsonl").read_text().splitlines()]
    assert {"val_uar", "val_uar_nemo", "val_score"} <= set(log[0])
    assert log[0]["val_score"] == pytest.approx((log[0]["val_uar"] + log[0]["val_uar_nemo"]) / 2)
    kinds = [a["kind"] for a in config["training"]["augmentation"]]
    assert kinds == ["crop", "speed", "white_noise", "variants", "channels", "corpus_share"]
    card = (tmp_path / "both" / "README.md").read_text()
    assert "nEMO making up 40% of the epoch" in card
    assert "another version of the clip: 1 new voice (formants and pitch moved with Praat) or its codec version" in card
    assert "nEMO speakers EB0, MK0, MP0, SM0, WR0 train, IC0, KS0 validation, KD0, TP0 test" in card
    assert "- amu-cai/nEMO" in card and "Polish" in card
    with pytest.raises(ValueError, match="overlap its test speakers"):
        run(small_config(ravdess, tmp_path, out="bad", cache=cfg.cache, nemo=str(small_nemo), nemo_val_speakers="KD0,KS0"))

    # Refitting the temperature later uses the same validation speakers of both corpora: nothing moves.
    from train.calibrate import main as calibrate_main

    assert calibrate_main(["--weights", str(tmp_path / "both"), "--data", str(ravdess), "--cache", cfg.cache]) == 0
    again = json.loads((tmp_path / "both" / "config.json").read_text())
    assert again["calibration"] == config["calibration"]
    assert again["metrics"]["nemo_test"]["accuracy"] == metrics["nemo_test"]["accuracy"]
    assert again["metrics"]["test"]["nll"] == pytest.approx(metrics["test"]["nll"], rel=1e-6)


def test_members_trained_side_by_side_assemble_into_the_one_command_ensemble(ravdess, tmp_path, trained):
    """train.assemble joins single runs of seeds S and S+1 into exactly the weights of
    `python -m train --ensemble 2 --seed S` (same thread count)."""
    import torch

    from train.assemble import main as assemble_main

    cfg, _ = trained
    torch.set_num_threads(1)
    common = dict(cache=cfg.cache, epochs=1, threads=1)
    run(small_config(ravdess, tmp_path, out="ens", ensemble=2, **common), command="python -m train --ensemble 2 --out ens")
    for k in range(2):
        run(small_config(ravdess, tmp_path, out=f"m{k}", seed=1337 + k, **common),
            command=f"python -m train --ensemble 1 --seed {1337 + k} --out m{k}")
    assemble_main([str(tmp_path / "m0"), str(tmp_path / "m1"), "--out", str(tmp_path / "joined"), "--device", "cpu"])
    ens, joined = (json.loads((tmp_path / d / "config.json").read_text()) for d in ("ens", "joined"))
    assert joined["weights_sha256"] == ens["weights_sha256"]
    assert joined["metrics"]["test"]["confusion"] == ens["metrics"]["test"]["confusion"]
    assert joined["calibration"] == ens["calibration"]
    assert "--ensemble 2" in joined["training"]["command"] and len(joined["training"]["assembled_from"]) == 2
    with pytest.raises(SystemExit, match="consecutive"):
        assemble_main([str(tmp_path / "m1"), str(tmp_path / "m0"), "--out", str(tmp_path / "wrong")])

    # train.members does both steps: the members as processes of their own, then the join.
    from train.members import main as members_main

    flags = ["--data", str(ravdess), "--cache", cfg.cache, "--train-actors", "1-2", "--val-actors", "3", "--test-actors", "21",
             "--epochs", "1", "--n-channel", "8", "--batch-size", "16", "--device", "cpu", "--threads", "1", "--ensemble", "2"]
    assert members_main(["--runs", str(tmp_path / "runs"), "--", *flags, "--out", str(tmp_path / "driven")]) == 0
    driven = json.loads((tmp_path / "driven" / "config.json").read_text())
    assert driven["weights_sha256"] == ens["weights_sha256"]
    assert driven["training"]["command"].endswith("--ensemble 2 --out weights") and "--resume" not in driven["training"]["command"]
    assert [m[0]["epochs"] for m in driven["training"]["trained_on"]] == [[1, 1], [1, 1]]
    # Run again: the finished members are kept, not retrained; another recipe in the same folder is refused.
    before = (tmp_path / "runs" / "member-0" / "model.safetensors").stat().st_mtime_ns
    assert members_main(["--runs", str(tmp_path / "runs"), "--", *flags, "--out", str(tmp_path / "driven")]) == 0
    assert (tmp_path / "runs" / "member-0" / "model.safetensors").stat().st_mtime_ns == before
    with pytest.raises(SystemExit, match=r"other settings \(lr\)"):
        members_main(["--runs", str(tmp_path / "runs"), "--", *flags, "--lr", "0.001", "--out", str(tmp_path / "x")])


def test_a_run_killed_mid_way_resumes_to_the_weights_of_an_uninterrupted_run(ravdess, tmp_path, trained):
    """`python -m train --resume` after a SIGKILL: the member that finished is kept, the one
    killed mid-way goes on from its last saved epoch, and the weights, log and metrics are
    those of the run that was never stopped, bit for bit."""
    import os
    import signal
    import subprocess
    import sys
    import time

    cfg, _ = trained
    root = Path(__file__).resolve().parents[1]
    flags = ["--data", str(ravdess), "--cache", cfg.cache, "--train-actors", "1-2", "--val-actors", "3",
             "--test-actors", "21", "--epochs", "4", "--n-channel", "8", "--batch-size", "16", "--ensemble", "2",
             "--device", "cpu", "--threads", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}

    def train(out: str, *more: str, **kw):
        return subprocess.run([sys.executable, "-m", "train", *flags, "--out", str(tmp_path / out), *more],
                              cwd=root, env=env, capture_output=True, text=True, timeout=600, **kw)

    whole = train("whole")
    assert whole.returncode == 0, whole.stderr[-2000:]

    # Killed once the second member has saved an epoch: the first is finished, the second half done.
    proc = subprocess.Popen([sys.executable, "-m", "train", *flags, "--out", str(tmp_path / "stopped")], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    second = tmp_path / "stopped" / "run" / "state-member-1.pt"
    deadline = time.time() + 300
    while not second.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert second.exists() and not (tmp_path / "stopped" / "model.safetensors").exists(), "not stopped mid-way"

    changed = train("stopped", "--resume", "--lr", "0.001")  # another recipe is refused, before any work
    assert changed.returncode != 0 and "other settings (lr)" in changed.stderr and second.exists()

    resumed = train("stopped", "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "member 1: resuming at epoch" in resumed.stdout
    a, b = (json.loads((tmp_path / d / "config.json").read_text()) for d in ("whole", "stopped"))
    assert b["weights_sha256"] == a["weights_sha256"]
    assert b["calibration"] == a["calibration"] and b["metrics"]["test"] == a["metrics"]["test"]
    strip = lambda rows: [{k: v for k, v in r.items() if k != "elapsed_s"} for r in rows]  # noqa: E731
    logs = [[json.loads(x) for x in (tmp_path / d / "run" / "log.jsonl").read_text().splitlines()] for d in ("whole", "stopped")]
    assert strip(logs[1]) == strip(logs[0]) and len(logs[0]) == 8
    # Where each stretch of epochs trained is recorded: member 1 in two processes, the first stretch ending where it stopped.
    spans = [[s["epochs"] for s in member] for member in b["training"]["trained_on"]]
    assert spans[0] == [[1, 4]] and len(spans[1]) == 2 and spans[1][0][0] == 1 and spans[1][1] == [spans[1][0][1] + 1, 4]
    assert all(s["device"] == "cpu" and s["cpu"] and s["threads"] == 1 for m in b["training"]["trained_on"] for s in m)
    assert not list((tmp_path / "stopped" / "run").glob("state-*"))  # the finished run leaves nothing to resume



def test_a_run_on_corpora_labelled_by_emotion_and_by_level(ravdess, tmp_path, trained):
    """Emotion TTS, TurEV-DB and BAVED beside RAVDESS (small layouts of their downloads' names, real
    speech): the set-valued loss trains, BAVED's validation and test speakers are scored by level,
    the others over their own emotions, and the card's corpora table names all four."""
    import soundfile as sf

    from train.corpora import baved, emotiontts, turev

    cfg, _ = trained
    speech = load_audio(next(iter(Path(ravdess).glob("Actor_01/*.flac"))), 16000)[:32000]
    files = {
        "baved/0": [f"{s}-{'f' if s in ('54', '100', '102', '103') else 'm'}-20-0-{lvl}-{i}.wav"
                    for i, (s, lvl) in enumerate((s, lvl) for s in (*baved.TEST_SPEAKERS, *baved.VAL_SPEAKERS, "55", "56")
                                                 for lvl in range(3))],
        "emotiontts/plain-to-emotional/ema/wav": [f"ema00{n}.wav" for n in ("001", "101", "201", "301")],
        "emotiontts/plain-to-emotional/emb/wav": [f"emb00{n}.wav" for n in ("001", "101", "201", "301")],
        "emotiontts/plain-to-emotional/emg/wav": [f"emg00{n}.wav" for n in ("001", "101", "201", "301")],
        "emotiontts/plain-to-emotional/emh/wav": [f"emh00{n}.wav" for n in ("002", "102", "202", "302")],
        "emotiontts/emotional-to-emotional/nek/wav": [f"nek00{n}.wav" for n in ("003", "103", "203", "303")],
        "turev/Sound Source/Angry": [f"{s}_kz_acik.wav" for s in ("1157", "1358", "1984", "7895")],
        "turev/Sound Source/Calm": [f"{s}_sk_acik.wav" for s in ("1157", "1358", "1984", "7895")],
        "turev/Sound Source/Sad": [f"{s}_hl_acik.wav" for s in ("1157", "1358", "1984")],
    }
    for folder, names in files.items():
        (tmp_path / folder).mkdir(parents=True)
        for name in names:
            sf.write(tmp_path / folder / name, speech, 16000, subtype="PCM_16")
    corpora = ",".join(f"{n}={tmp_path / n}" for n in ("baved", "emotiontts", "turev"))
    run_cfg = small_config(ravdess, tmp_path, out="levels", cache=cfg.cache, epochs=1, corpora=corpora)
    metrics = run(run_cfg, command="python -m train --corpora baved,emotiontts,turev (test)")

    config = json.loads((tmp_path / "levels" / "config.json").read_text())
    assert config["training"]["corpora"] == ["ravdess", "baved", "emotiontts", "turev"]
    assert config["training"]["split"]["baved"]["test"] == list(baved.TEST_SPEAKERS)
    for split in ("val", "test"):
        m = metrics[f"baved_{split}"]
        assert m["labels"] == ["low", "neutral", "high"] and m["chance"] == pytest.approx(1 / 3)
        assert sum(map(sum, m["confusion"])) == 3 * len(getattr(baved, f"{split.upper()}_SPEAKERS"))
    assert metrics["emotiontts_test"]["n"] == 8 and metrics["emotiontts_test"]["speakers"] == list(emotiontts.TEST_SPEAKERS)
    assert metrics["turev_test"]["classes"] == ["calm", "happy", "sad", "angry"] and metrics["turev_test"]["n"] == 5
    assert set(turev.TEST_SPEAKERS) == set(metrics["turev_test"]["speakers"])
    log = [json.loads(line) for line in (tmp_path / "levels" / "run" / "log.jsonl").read_text().splitlines()]
    assert {"val_uar_baved", "val_uar_emotiontts", "val_uar_turev"} <= set(log[0]) and np.isfinite(log[0]["train_loss"])
    card = (tmp_path / "levels" / "README.md").read_text()
    assert all(name in card for name in ("BAVED", "Emotion TTS (Korean)", "TurEV-DB"))
    # licences as each download gives them: none stated, two files that disagree, research use besides CC
    assert "BAVED: no licence stated" in card and "the download's two files disagree" in card
    assert "Emotion TTS (Korean) is shared for research use" in card
    from emotion.card import licence_sentence
    assert "Otras condiciones" in licence_sentence(config, spanish=True) and "TurEV-DB" in licence_sentence(config)


def test_a_student_learns_from_its_teachers_probabilities_and_records_the_teacher(ravdess, tmp_path, trained):
    """train --teacher: the run hears the teacher's probabilities (not a copy of the labels: other
    weights than the same run without it, and different again at another weight), records which
    weights taught it, and its card says it was distilled."""
    from safetensors.numpy import load_file

    cfg, _ = trained
    teacher = Path(cfg.out)
    runs = {}
    for name, kw in (("plain", {}), ("half", {"teacher": str(teacher)}), ("most", {"teacher": str(teacher), "distill_weight": 0.9})):
        run(small_config(ravdess, tmp_path, out=name, cache=cfg.cache, epochs=1, **kw), command=f"python -m train ({name})")
        runs[name] = load_file(tmp_path / name / "model.safetensors")
    first = next(k for k, v in runs["plain"].items() if v.ndim > 1)  # a convolution's kernel
    assert not np.array_equal(runs["plain"][first], runs["half"][first])
    assert not np.array_equal(runs["half"][first], runs["most"][first])
    config = json.loads((tmp_path / "half" / "config.json").read_text())
    record = config["training"]["teacher"]
    assert record["weights_sha256"] == json.loads((teacher / "config.json").read_text())["weights_sha256"]
    assert record["distill_weight"] == 0.5 and record["ensemble_size"] == 1
    assert "distilled: 50% of the loss" in (tmp_path / "half" / "README.md").read_text()
    assert "teacher" not in json.loads((tmp_path / "plain" / "config.json").read_text())["training"]
    EmotionRecognizer.load(tmp_path / "half", device="cpu")  # a student is served like any weights


def test_a_teacher_gives_probabilities_only_for_the_corpora_it_trained_on(trained):
    """teacher_probabilities: a row that sums to one for each clip of a corpus the teacher heard,
    NaN (labels alone) for one it never heard -- here a teacher of RAVDESS and a nEMO clip."""
    from train.data import ClipSet
    from train.run import teacher_probabilities, teacher_record

    cfg, _ = trained
    assert json.loads((Path(cfg.out) / "config.json").read_text())["training"]["corpora"] == ["ravdess"]
    student = TrainConfig(teacher=str(cfg.out))
    rng = np.random.default_rng(0)
    clips = ClipSet([rng.standard_normal(16000).astype(np.float32) * 0.1 for _ in range(3)], [0, 2, 3],
                    ["ravdess", "nemo", "ravdess"])
    probs = teacher_probabilities(student, clips, "cpu")
    assert probs.shape == (3, 8) and np.isnan(probs[1]).all()
    np.testing.assert_allclose(probs[[0, 2]].sum(1), 1.0, rtol=1e-5)
    assert teacher_record(student)["teacher"]["taught_corpora"] == ["ravdess"]

"""The training configuration: one dataclass, whose comments are the flags' help.

    cfg = TrainConfig(epochs=30)          # or parse_args(["--epochs", "30"])
    recipe(asdict(cfg))                   # what defines the recipe, for comparing runs

Every field is a flag of `python -m train` (and `python -m train.crossval`);
run/config.json records the values a run used.
"""

from __future__ import annotations

import argparse
import inspect
import io
import re
import shlex
import tokenize
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from emotion.audio import DEREVERBERATION
from emotion.model import ARCHS
from emotion.policy import MAX_SECONDS

from .corpora import CORPORA as KNOWN_CORPORA

PROG = "python -m train"
DESCRIPTION = "Train M5 from scratch on RAVDESS (and nEMO) and write a shipped-weights folder."


@dataclass
class TrainConfig:
    data: str = "../shared/ravdess"  # RAVDESS folder: Actor_NN/*.wav or *.flac
    out: str = "weights"  # where model.safetensors, config.json and run/ go
    cache: str = ".cache"  # decoded-audio cache folder ('' to disable)
    val_actors: str = "17-20"  # early stopping / model selection; from actors 1-20
    test_actors: str = "21-24"  # held out; evaluated once at the end
    train_actors: str = ""  # default: every actor not in val or test
    sample_rate: int = 16000  # Hz the model hears
    n_channel: int = 64  # M5 width (blocks 3-4 use twice this; M11: the first group's, doubling each group)
    arch: str = "m5"  # m5, or m11: the deeper member of the same family (Dai et al. 2017), about 1.5x M5's training step on a CPU
    dropout: float = 0.2  # before the classifier
    crop_seconds: float = 3.0  # training crop = inference window
    hop_seconds: float = 0.5  # hop between inference windows
    test_time_speeds: str = ""  # e.g. '0.9,1,1.1': served clips are also played at these speeds, logits averaged ('' = speed 1); epochs are picked at speed 1
    trim: bool = False  # trim silence before the model (the seed project found it hurt)
    trim_top_db: float = 30.0  # librosa.effects.trim threshold when trim is on
    dereverb: str = ""  # 'wpe': every clip the model hears (served, validated, tested; training clips before the simulated rooms) loses its late reverberation first (nara_wpe); '' = as recorded
    epochs: int = 100  # passes over the training clips; the epoch the validation speakers score best is kept
    batch_size: int = 32  # crops per optimiser step
    lr: float = 5e-3  # peak of the one-cycle schedule
    weight_decay: float = 1e-2  # AdamW
    label_smoothing: float = 0.1  # cross-entropy target smoothing (for calibration and sturdier early stopping)
    noise_prob: float = 0.5  # chance of additive noise per training crop
    speed_perturb: float = 0.1  # batches played at speeds 1 +- this (5 steps); 0 disables (experiments/README.md: +2.8 val UAR)
    speed_per_clip: bool = False  # with speed perturbation: each crop at a speed of its own, not one per batch (run C5: +0.8 clean on the development folds)
    mixup: float = 0.0  # Beta(a, a) mixup of standardised crops and their labels; 0 disables
    class_weight: bool = False  # weight the loss by inverse class frequency (neutral has half the clips)
    mic_filter: float = 0.0  # share of batches (of crops, with --mic-per-clip) given a random microphone-like filter; 0 disables
    mic_per_clip: bool = False  # with --mic-filter: draw a filter for each crop, not one per batch (BatchNorm's batch statistics absorb a colouring the whole batch shares)
    mic_tilt: float = 0.0  # with --mic-filter: also tilt the filtered audio's spectrum by up to this many dB per octave (around 1 kHz); 0 disables
    seed: int = 1337  # the first member's seed: initialisation, crops, augmentation; the same seed gives the same weights on a CPU
    device: str = ""  # '' = cuda when available, else cpu
    threads: int = 0  # torch CPU threads; 0 = torch's default (one per core)
    loader_workers: int = 0  # processes making the batches (a GPU outruns one core); 0 = here, as one random stream (the recorded runs); N >= 1: a generator per batch, the same batches for any N
    bf16: bool = False  # training's forward passes under bfloat16 autocast (a GPU, or a CPU with AVX512-BF16); validation stays float32
    ensemble: int = 3  # M5s trained from seeds seed, seed+1, ...; their logits are averaged
    resume: bool = False  # go on from the last epoch whose state OUT/run/ holds (the same command); the weights are an uninterrupted run's, bit for bit
    nemo: str = ""  # nEMO folder (either layout) to train on as well; '' = RAVDESS only
    nemo_val_speakers: str = "IC0,KS0"  # nEMO validation speakers (one female, one male); its test speakers are fixed in train.corpora.nemo
    nemo_loss: str = "masked"  # 'masked': a nEMO clip's loss over nEMO's 6 classes only; 'all': over all 8
    nemo_share: float = 0.0  # nEMO's share of each epoch (all RAVDESS clips + a fresh draw of nEMO's); 0 = every clip once
    voices: int = 0  # new voices per training clip (Praat: formants and pitch moved), cached; 0 disables
    codecs: bool = False  # also one codec version of each training clip (ffmpeg: Opus, MP3, A-law), cached
    variant_prob: float = 0.5  # share of crops taken from a clip's voice or codec version, when there are any
    channel_sim: float = 0.0  # share of crops through simulated rooms, lines, noises and levels; 0 disables
    room_bank: int = 1  # with --channel-sim, its rooms: 1 = the recorded runs' (none under about 4 x 4 m), 2 = from 2.5 m up, small rooms as common as large (train.augment.ROOM_BANKS)
    room_prob: float = 0.5  # with --channel-sim: the share of its crops heard in a simulated room (the rest get its line, noise and level alone)
    corpora: str = ""  # more corpora to train on, NAME=FOLDER,... (train.corpora: ased, emovo); their declared test and validation speakers
    select_on: str = "all"  # validation UARs that pick the epoch: 'all' corpora's mean, or 'main' (RAVDESS alone: the others' validation speakers stay unheard, for development folds)
    corpus_shares: str = ""  # shares of each epoch for --corpora's corpora, NAME=SHARE,... (as --nemo-share); others: every clip once
    train_scored_only: str = ""  # corpora whose training speakers are heard only on the clips the corpus scores, NAME,... (ased: its common sentences 01-02, not the emotion-specific 03-07)
    teacher: str = ""  # distil: a weights folder (an ensemble) whose served probabilities on each training clip, heard clean, every crop of that clip also learns; '' = the true labels alone
    distill_weight: float = 0.5  # with --teacher: the loss's share that is the cross-entropy to the teacher's probabilities (the rest is the true labels')

    def corpus_folders(self) -> dict[str, str]:
        """{corpus NAME (train.corpora): folder} of the corpora this run trains on, the main one first."""
        folders = {"ravdess": self.data, **({"nemo": self.nemo} if self.nemo else {})}
        for item in self.corpora.split(","):
            name, _, folder = item.partition("=")
            if item.strip():
                folders[name.strip()] = folder.strip()
        return folders

    def shares(self) -> dict[str, float]:
        """{added corpus: its share of an epoch} for the corpora given one (--nemo-share, --corpus-shares)."""
        out = {"nemo": self.nemo_share} if self.nemo_share else {}
        for item in filter(str.strip, self.corpus_shares.split(",")):
            name, _, share = item.partition("=")
            out[name.strip()] = float(share)
        return out

    def scored_only(self) -> set[str]:
        """The corpora (--train-scored-only) whose training clips are limited to those it scores."""
        return {n.strip() for n in self.train_scored_only.split(",") if n.strip()}

    def val_speakers(self, corpus: str) -> list[str]:
        """The validation speakers the flags give an added corpus ([]: its module's default)."""
        text = {"nemo": self.nemo_val_speakers}.get(corpus, "")
        return [s.strip() for s in text.split(",") if s.strip()]


def check_flags(cfg: TrainConfig) -> None:
    """Settings that contradict each other: a ValueError in the flags' words."""
    for item in filter(str.strip, cfg.corpora.split(",")):
        name, sep, folder = item.partition("=")
        if not sep or not folder.strip() or name.strip() not in KNOWN_CORPORA or name.strip() in ("ravdess", "nemo"):
            raise ValueError(f"--corpora takes NAME=FOLDER items, NAME one of {', '.join(c for c in KNOWN_CORPORA if c not in ('ravdess', 'nemo'))} "
                             f"(RAVDESS is --data, nEMO --nemo); got '{item}'.")
    try:
        shares = cfg.shares()
    except ValueError:
        raise ValueError(f"--corpus-shares takes NAME=SHARE items (e.g. ased=0.2); got '{cfg.corpus_shares}'.") from None
    if unknown := set(shares) - set(cfg.corpus_folders()) - {"nemo"}:
        raise ValueError(f"--corpus-shares names {', '.join(sorted(unknown))}, which --corpora does not train on.")
    if any(not 0 <= v < 1 for v in shares.values()) or sum(shares.values()) >= 1:
        raise ValueError(f"Corpus shares are each at least 0 and add up to below 1; got {shares}.")
    if cfg.nemo_share and not cfg.nemo:
        raise ValueError("--nemo-share balances RAVDESS against nEMO: give --nemo too.")
    if not 0 <= cfg.nemo_share < 1:
        raise ValueError(f"--nemo-share is nEMO's share of an epoch, at least 0 and below 1; got {cfg.nemo_share}.")
    if cfg.mic_per_clip and not cfg.mic_filter:
        raise ValueError("--mic-per-clip draws the microphone filter per crop: give --mic-filter a share too.")
    if cfg.speed_per_clip and not cfg.speed_perturb:
        raise ValueError("--speed-per-clip draws the speed perturbation per crop: give --speed-perturb a range too.")
    if cfg.mic_tilt and not cfg.mic_filter:
        raise ValueError("--mic-tilt tilts the batches the microphone filter colours: give --mic-filter a share too.")
    if unknown := cfg.scored_only() - set(cfg.corpus_folders()):
        raise ValueError(f"--train-scored-only names {', '.join(sorted(unknown))}, which this run does not train on.")
    if cfg.room_bank not in (1, 2):
        raise ValueError(f"--room-bank is 1 (the recorded runs' rooms) or 2 (small rooms too); got {cfg.room_bank}.")
    if cfg.room_bank != 1 and not cfg.channel_sim:
        raise ValueError("--room-bank chooses the rooms of the channel simulation: give --channel-sim a share too.")
    if not 0 <= cfg.room_prob <= 1:
        raise ValueError(f"--room-prob is a share of the simulated crops, 0 to 1; got {cfg.room_prob}.")
    if cfg.room_prob != 0.5 and not cfg.channel_sim:
        raise ValueError("--room-prob shares out the crops of the channel simulation: give --channel-sim a share too.")
    if cfg.loader_workers < 0:
        raise ValueError(f"--loader-workers is a number of processes, 0 or more; got {cfg.loader_workers}.")
    if cfg.arch not in ARCHS:
        raise ValueError(f"--arch is one of {', '.join(ARCHS)}, not '{cfg.arch}'.")
    if cfg.select_on not in ("all", "main"):
        raise ValueError(f"--select-on is 'all' or 'main', not '{cfg.select_on}'.")
    if cfg.dereverb and cfg.dereverb not in DEREVERBERATION:
        raise ValueError(f"--dereverb is one of {', '.join(DEREVERBERATION)} or '' (none), not '{cfg.dereverb}'.")
    if cfg.teacher and not all((Path(cfg.teacher) / f).is_file() for f in ("model.safetensors", "config.json")):
        raise ValueError(f"--teacher is a weights folder (model.safetensors and config.json); '{cfg.teacher}' is not one.")
    if cfg.teacher and not 0 < cfg.distill_weight <= 1:
        raise ValueError(f"--distill-weight is the teacher's share of the loss, above 0 and at most 1; got {cfg.distill_weight}.")
    if cfg.nemo_loss not in ("masked", "all"):
        raise ValueError(f"--nemo-loss is 'masked' or 'all', not '{cfg.nemo_loss}'.")


def preprocessing_of(cfg: TrainConfig) -> dict:
    return {
        "sample_rate": cfg.sample_rate,
        "trim": cfg.trim,
        "trim_top_db": cfg.trim_top_db if cfg.trim else None,
        "window_seconds": cfg.crop_seconds,
        "hop_seconds": cfg.hop_seconds,
        "max_seconds": MAX_SECONDS,
        "normalization": "each window standardised to zero mean, unit variance inside M5",
        "test_time_speeds": parse_speeds(cfg.test_time_speeds),
        **({"dereverb": cfg.dereverb} if cfg.dereverb else {}),  # absent = as recorded, as in every checkpoint before it
    }


def parse_speeds(text: str) -> list[float]:
    """'0.9,1,1.1' -> [0.9, 1.0, 1.1]; '' -> [1.0] (the clip as recorded)."""
    speeds = [float(s) for s in text.split(",") if s.strip()] or [1.0]
    if any(not 0.5 <= s <= 2.0 for s in speeds):
        raise ValueError(f"Test-time speeds must lie between 0.5 and 2; got '{text}'.")
    return speeds


def speeds_of(perturb: float) -> tuple[float, ...]:
    """0.1 -> (0.9, 0.95, 1.0, 1.05, 1.1)."""
    return tuple(float(s) for s in np.round(np.linspace(1 - perturb, 1 + perturb, 5), 4)) if perturb else (1.0,)


def config_comments() -> dict[str, str]:
    """TrainConfig's trailing comments by field name. They document each setting
    once, in the dataclass, and become the flags' --help text."""
    try:
        source = inspect.getsource(TrainConfig)
    except (OSError, TypeError):  # no source (a frozen install): flags keep their defaults only
        return {}
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        field_line = re.match(r"\s*(\w+)\s*:", token.line)
        if token.type == tokenize.COMMENT and field_line:
            comments[field_line.group(1)] = token.string.lstrip("#").strip()
    return comments


def add_config_flags(parser) -> None:
    """Every TrainConfig field as a flag (--n-channel 64, --trim/--no-trim, ...), its
    comment as the help and its default shown."""
    comments = config_comments()
    for f in fields(TrainConfig):
        flag = f"--{f.name.replace('_', '-')}"
        about = comments.get(f.name, "").replace("%", "%%")  # argparse formats help with %
        if f.type in ("bool", bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=about or None)
        else:
            kind = {"int": int, "float": float, "str": str}[f.type if isinstance(f.type, str) else f.type.__name__]
            help_text = f"{about} (default: %(default)r)" if about else "default: %(default)r"
            parser.add_argument(flag, type=kind, default=f.default, help=help_text)


def config_from(namespace) -> TrainConfig:
    """The TrainConfig in parsed arguments that may hold other flags too."""
    return TrainConfig(**{f.name: getattr(namespace, f.name) for f in fields(TrainConfig)})


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    """Every TrainConfig field is a flag (its comment is the help); run/config.json records the values."""
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION)
    add_config_flags(parser)
    return config_from(parser.parse_args(argv))




DEFAULTS = {f.name: f.default for f in fields(TrainConfig)}
# Fields that differ between the folds of one recipe by design.
PER_FOLD_FIELDS = ("out", "val_actors", "test_actors", "train_actors", "threads", "device")
# ... and fields that do not change what one model of a recipe learns: where the data
# and cache are, and how many seeds are averaged (folds are one model each).
NOT_RECIPE = (*PER_FOLD_FIELDS, "data", "cache", "ensemble", "resume")
# ... and what the layout dictates: on the development folds the other corpora's validation
# speakers are the held-out ones, so only RAVDESS may pick the epoch (--select-on main); on the
# shipped split every corpus's validation speakers pick it. Same recipe, other layout.
LAYOUT_FIELDS = ("select_on",)


def corpus_names(corpora: str) -> str:
    """--corpora NAME=FOLDER,... as its names alone, sorted: which corpora, not where they lie."""
    return ",".join(sorted(item.partition("=")[0].strip() for item in corpora.split(",") if item.strip()))


def recipe(config: dict) -> dict:
    """A run's training config (run/config.json, or training.config in config.json)
    reduced to what defines the recipe; settings added after it ran read as their defaults.
    Corpora count by name, not folder (as RAVDESS's `data` is no part of it): the recipe
    trained in ../data/nemo is the one trained in ../data/nemo_full."""
    out = {k: v for k, v in {**DEFAULTS, **config}.items() if k in DEFAULTS and k not in NOT_RECIPE}
    out["nemo"] = "nemo" if out.get("nemo") else ""
    out["corpora"] = corpus_names(out.get("corpora", ""))
    return out


def recipe_differences(summary: dict, config: dict) -> list[str]:
    """Fields in which a cross-validation summary's recipe differs from a training config.
    Summaries written before they carried their recipe are read from their command."""
    cv = summary.get("recipe")
    if cv is not None:
        cv = recipe(cv)  # a summary recorded before a setting existed ran with its default
    else:
        # after 'python -m train.crossval'; its own flags (--folds, --layout, ...) are not the recipe's
        args = shlex.split(summary["command"].split("#")[0])[3:]
        flags = argparse.ArgumentParser(allow_abbrev=False)
        add_config_flags(flags)
        cv = recipe(asdict(config_from(flags.parse_known_args(args)[0])))
    mine = recipe(config)
    return sorted(k for k in set(cv) | set(mine) if cv.get(k) != mine.get(k) and k not in LAYOUT_FIELDS)

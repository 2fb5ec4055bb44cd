"""BAVED (Basic Arabic Vocal Emotions Dataset, 2020): Arabic words at three levels of arousal.

    clips = find_clips("../data/baved")     # [Clip(path, label, "54", "baved", "female", "3"), ...]
    LEVELS                                  # {"low": (sad, calm), "neutral": (neutral,), "high": (...)}

The download (github.com/40uf411/Basic-Arabic-Vocal-Emotions-Dataset) has one
folder per spoken word (``0/`` ... ``6/``: seven words) of 16 kHz mono WAV files
named ``SPEAKER-GENDER-AGE-WORD-LEVEL-REC.wav`` (``54-f-21-3-2-1040.wav``): 1935
clips from 60 speaker ids (its README says 61: 45 male, 16 female). It is
labelled by **level**, not by emotion: 0 "low, like feeling tired or down", 1 the
speaker's everyday neutral way of speaking, 2 "a high level of positive or negative
emotion (happiness, joy, sadness, anger, ...)".

**Set-valued labels.** A level allows a set of the model's emotions, and a clip's
target is that set: training's loss is minus the log of the probability mass on
the set (train.fit.masked_cross_entropy), and a clip is scored by level, the level
whose set holds the most probability (train.metrics.level_metrics; chance 1/3).
The sets, decided before any model heard BAVED and written in experiments/README.md:

- low (0): sad, calm -- quiet, low-arousal speech ("tired or down");
- neutral (1): neutral;
- high (2): angry, happy, fearful, disgust, surprised -- every aroused emotion.

Sad stays with the low level although the README lists "sadness" among level 2's
examples: every other corpus here speaks sadness quietly, and a sad in two sets
would make the levels overlap, so that no answer could be scored. The sets are
disjoint and cover all eight emotions, so each clip's label is stored as its set's
first emotion (``LEVELS[name][0]``), which names the level unambiguously.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from emotion.labels import EMOTIONS

from .clip import Clip

NAME = "baved"
_E = EMOTIONS.index
LEVELS: dict[str, tuple[int, ...]] = {  # in the corpus's level order 0, 1, 2
    "low": (_E("sad"), _E("calm")),
    "neutral": (_E("neutral"),),
    "high": (_E("angry"), _E("happy"), _E("fearful"), _E("disgust"), _E("surprised")),
}
CLASSES: tuple[int, ...] = tuple(sorted(i for s in LEVELS.values() for i in s))  # all eight
GENDERS = {"m": "male", "f": "female"}
WORDS = 7

# Declared before any model heard BAVED: never trained on, never used to choose anything.
# Speakers who recorded every level: three women and three men test (185 clips), three men
# and a woman validate (84 clips); the rest train -- among them the six who recorded most.
TEST_SPEAKERS = ("51", "53", "54", "100", "101", "102")
VAL_SPEAKERS = ("17", "46", "48", "103")

SOURCE = {"git": "https://github.com/40uf411/Basic-Arabic-Vocal-Emotions-Dataset",
          "commit": "6e3d51261a15ec4d6f68ee082b1488147b706f2f", "paths": ()}

FACTS = {
    "name": "BAVED",
    "summary": (
        "60 speakers (16 female, 44 male) saying 7 Arabic words at three levels of arousal (low, neutral, "
        "high), normalised to 16 kHz from recordings on their own devices; labelled by level, not by emotion, "
        "and scored by level"
    ),
    "summary_es": (
        "60 hablantes (16 mujeres, 44 hombres) que dicen 7 palabras en árabe con tres niveles de activación "
        "(bajo, neutral, alto), grabados con sus propios aparatos; etiquetado por nivel, no por emoción, y "
        "puntuado por nivel"
    ),
    "language": "Arabic",
    "language_es": "árabe",
    "language_code": "ar",
    "studio": False,
    "speakers": 60,
    "emotions": [f"{name} ({', '.join(EMOTIONS[i] for i in s)})" for name, s in LEVELS.items()],
    "levels": {name: [EMOTIONS[i] for i in s] for name, s in LEVELS.items()},
    "license": "no licence stated",
    "citation": (
        "Aouf A (2019). Basic Arabic Vocal Emotions Dataset (BAVED). "
        "https://github.com/40uf411/Basic-Arabic-Vocal-Emotions-Dataset"
    ),
    "short_citation": "Aouf 2019",
    "hf_id": "",
    "download": SOURCE["git"] + " at commit " + SOURCE["commit"],
}

_NAME = re.compile(r"^(\d+)-([mf])-(\d+)-([0-6])-([012])-(\d+)$", re.IGNORECASE)


def find_clips(root: str | os.PathLike, speakers: tuple[str, ...] | None = None) -> list[Clip]:
    """Every BAVED clip under `root` (any nesting), optionally of `speakers` only, sorted by path;
    a clip's label is its level's first emotion (LEVELS). FileNotFoundError when there is none."""
    root = Path(root)
    clips = []
    level_label = [s[0] for s in LEVELS.values()]
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        m = _NAME.match(path.stem)
        if path.suffix.lower() not in (".wav", ".flac") or m is None:
            continue
        speaker, gender, _, word, level, _ = m.groups()
        if speakers is None or speaker in speakers:
            clips.append(Clip(str(path), level_label[int(level)], speaker, NAME, GENDERS[gender.lower()], word))
    if not clips and speakers is None:
        raise FileNotFoundError(f"No BAVED corpus at {root}: expected WAV files named SPEAKER-GENDER-AGE-WORD-LEVEL-REC.wav "
                                "(e.g. 54-f-21-3-2-1040.wav; the Basic-Arabic-Vocal-Emotions-Dataset download).")
    return clips

"""TurEV-DB (Canpolat et al. 2020): Turkish single words in four emotions, one of them calm.

    clips = find_clips("../data/turev")       # [Clip(path, label, "1157", "turev", "", "acik"), ...]

The download (github.com/Xeonen/TurEV-DB) keeps the recordings in ``Sound Source/``,
one folder per emotion (Angry, Calm, Happy, Sad), 1735 WAV files at 44.1 kHz mono
named ``SPEAKER_CODE_WORD.wav``: six speakers, 82 words, each word said in every
emotion (so the words carry none), the code the emotion's (kz angry, sk calm,
mt happy, hl sad). ``Model Output for Test Data/`` holds filtered copies of some
of the same files and is skipped. The corpus does not say which speakers are
women and which men.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from emotion.labels import EMOTIONS

from .clip import Clip

NAME = "turev"
CODES = {"kz": "angry", "sk": "calm", "mt": "happy", "hl": "sad"}  # kızgın, sakin, mutlu, hüzünlü
CLASSES: tuple[int, ...] = tuple(sorted(EMOTIONS.index(e) for e in CODES.values()))
SKIPPED = "Model Output for Test Data"  # filtered duplicates of test files

# Declared before any model heard TurEV-DB: never trained on, never used to choose anything.
# Two of the six speakers test, one validates, three train.
TEST_SPEAKERS = ("1984", "7895")
VAL_SPEAKERS = ("1358",)

SOURCE = {"git": "https://github.com/Xeonen/TurEV-DB", "commit": "be9873eccbc40538acbeb5e67c718bda96763cf3",
          "paths": ("Sound Source", "README.md", "LICENSE")}

FACTS = {
    "name": "TurEV-DB",
    "summary": "6 amateur actors saying 82 Turkish words, each in four emotions (angry, calm, happy, sad)",
    "summary_es": "6 actores aficionados que dicen 82 palabras en turco, cada una en cuatro emociones (enojo, calma, alegría, tristeza)",
    "language": "Turkish",
    "language_es": "turco",
    "language_code": "tr",
    "studio": True,
    "speakers": 6,
    "emotions": [EMOTIONS[i] for i in CLASSES],
    # The two files of the download disagree: README.md says CC BY-NC-ND 4.0, LICENSE is the GPL 3.
    "license": "CC BY-NC-ND 4.0 (README) or GPL-3.0 (LICENSE file): the download's two files disagree",
    "citation": (
        "Canpolat SF, Ormanoğlu Z, Zeyrek D (2020). Turkish Emotion Voice Database (TurEV-DB). Proceedings of "
        "the 1st Joint SLTU and CCURL Workshop, LREC 2020, 368-375. https://aclanthology.org/2020.sltu-1.52"
    ),
    "short_citation": "Canpolat et al. 2020",
    "hf_id": "",
    "download": SOURCE["git"] + " at commit " + SOURCE["commit"] + " (folder Sound Source/)",
}

_NAME = re.compile(r"^(\d+)_([a-z]{2})_(.+)$", re.IGNORECASE)


def find_clips(root: str | os.PathLike, speakers: tuple[str, ...] | None = None) -> list[Clip]:
    """Every TurEV-DB clip under `root` (any nesting, `Model Output for Test Data/` skipped),
    optionally of `speakers` only, sorted by path. FileNotFoundError when the folder holds none."""
    root = Path(root)
    clips = []
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        m = _NAME.match(path.stem)
        if (path.suffix.lower() not in (".wav", ".flac") or m is None or m.group(2).lower() not in CODES
                or SKIPPED in path.relative_to(root).parts):
            continue
        speaker, emotion, word = m.group(1), CODES[m.group(2).lower()], m.group(3).lower()
        if speakers is None or speaker in speakers:
            clips.append(Clip(str(path), EMOTIONS.index(emotion), speaker, NAME, "", word))
    if not clips and speakers is None:
        raise FileNotFoundError(f"No TurEV-DB corpus at {root}: expected WAV files named SPEAKER_CODE_WORD.wav "
                                "(e.g. 1157_kz_acik.wav; the Xeonen/TurEV-DB download's Sound Source/).")
    return clips

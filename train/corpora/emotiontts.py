"""Emotion TTS open DB (KAIST / SELVAS AI, 2017-2018): Korean emotional speech, 4 emotions.

    clips = find_clips("../data/emotiontts")   # [Clip(path, label, "a", "emotiontts", "female", "p01"), ...]
    scored(clips)                              # the sentences spoken in every emotion (plain-to-emotional)

The public part (github.com/emotiontts/emotiontts_open_db, 5 % of the corpus) is
``Dataset/SpeechCorpus/Emotional/{plain-to-emotional,emotional-to-emotional}/<spk>/wav/``:
300 WAV files, 22.05 kHz mono, 20 per speaker folder, named ``<spk>NNNNN.wav``.
The number gives the emotion: 1-100 neutral, 101-200 happy, 201-300 angry,
301-400 sad. The folder's first letters give the subset (``em``: plain-to-emotional,
``ne``: emotional-to-emotional), its last letter the speaker (A-E female, F-H
and K-O male, as the corpus README says). Speakers A and B recorded both
subsets, so the corpus has 13 people, and a speaker here is that letter.

**The emotional scripts give the emotion away**: in emotional-to-emotional each
sentence is written for one emotion and every speaker reads the same ones, so a
model could name the emotion from the words. In plain-to-emotional one sentence
is read in all four emotions (NNNNN mod 100 is the sentence). Validation and
test speakers are therefore scored on plain-to-emotional alone (`scored`), and
both are speakers of that subset.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from emotion.labels import EMOTIONS

from .clip import Clip

NAME = "emotiontts"
BY_HUNDRED = ("neutral", "happy", "angry", "sad")  # 1-100, 101-200, 201-300, 301-400
CLASSES: tuple[int, ...] = tuple(sorted(EMOTIONS.index(e) for e in BY_HUNDRED))
FEMALE = set("abcde")  # the README: A-E female; F, G, H and K-O male
PLAIN = "em"  # plain-to-emotional: neutral sentences read in every emotion

# Declared before any model heard the corpus: never trained on, never used to choose anything.
# Both pairs (one woman, one man each) are speakers of plain-to-emotional, the subset that is scored.
TEST_SPEAKERS = ("b", "h")
VAL_SPEAKERS = ("a", "g")

SOURCE = {"git": "https://github.com/emotiontts/emotiontts_open_db", "commit": "5c8ccc80cb11e8de113c25f9ad019dc5d3a8e47b",
          "paths": ("Dataset/SpeechCorpus/Emotional",)}

FACTS = {
    "name": "Emotion TTS (Korean)",
    "summary": (
        "studio recordings of 13 speakers (5 female, 8 male) in four emotions (neutral, happy, angry, sad): "
        "neutral sentences read in every emotion, and sentences written for one emotion; only the first "
        "kind is scored"
    ),
    "summary_es": (
        "grabaciones de estudio de 13 hablantes (5 mujeres, 8 hombres) en cuatro emociones (neutral, feliz, "
        "enojado, triste): frases neutras leídas en cada emoción y frases escritas para una sola; solo las "
        "primeras se puntúan"
    ),
    "language": "Korean",
    "language_es": "coreano",
    "language_code": "ko",
    "studio": True,
    "speakers": 13,
    "emotions": [EMOTIONS[i] for i in CLASSES],
    # The repository's licence file is CC BY-NC-SA 4.0; the corpus README adds "research use only,
    # no commercial use" (in Korean). Both are non-commercial; the card states both.
    "license": "CC BY-NC-SA 4.0 (the repository's licence file); research use only (the corpus README)",
    "citation": (
        "KAIST and SELVAS AI (2019). Emotion and personality TTS open DB (emotiontts_open_db), funded by the "
        "Korean Ministry of Trade, Industry and Energy (No. 10080667). https://github.com/emotiontts/emotiontts_open_db"
    ),
    "short_citation": "emotiontts open DB 2019",
    "hf_id": "",
    "download": SOURCE["git"] + " at commit " + SOURCE["commit"] + " (folder Dataset/SpeechCorpus/Emotional/)",
}

_NAME = re.compile(r"^(em|ne)([a-z])(\d{5})$", re.IGNORECASE)


def parse_name(path: str | os.PathLike) -> tuple[str, str, str, str]:
    """'ema00203.wav' -> (emotion, speaker, gender, sentence) = ('angry', 'a', 'female', 'em03');
    ValueError for a name that is not the corpus's."""
    m = _NAME.match(Path(path).stem)
    if m is None or not 1 <= int(m.group(3)) <= 400:
        raise ValueError(f"{Path(path).name}: not an Emotion TTS file name (emX00001.wav ... neX00400.wav)")
    subset, speaker, number = m.group(1).lower(), m.group(2).lower(), int(m.group(3))
    emotion = BY_HUNDRED[(number - 1) // 100]
    # plain-to-emotional's sentence n is read in all four emotions (n, 100+n, ...); the other subset's are not
    sentence = f"{subset}{(number - 1) % 100 + 1:02d}" if subset == PLAIN else f"{subset}{number:03d}"
    return emotion, speaker, "female" if speaker in FEMALE else "male", sentence


def find_clips(root: str | os.PathLike, speakers: tuple[str, ...] | None = None) -> list[Clip]:
    """Every clip under `root` (any nesting), optionally of `speakers` only, sorted by path.
    FileNotFoundError when the folder holds none."""
    root = Path(root)
    clips = []
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        if path.suffix.lower() not in (".wav", ".flac"):
            continue
        try:
            emotion, speaker, gender, sentence = parse_name(path)
        except ValueError:
            continue
        if speakers is None or speaker in speakers:
            clips.append(Clip(str(path), EMOTIONS.index(emotion), speaker, NAME, gender, sentence))
    if not clips and speakers is None:
        raise FileNotFoundError(f"No Emotion TTS corpus at {root}: expected WAV files named like ema00001.wav "
                                "(the emotiontts_open_db download, Dataset/SpeechCorpus/Emotional/).")
    return clips


def scored(clips: list[Clip]) -> list[Clip]:
    """The clips that measure the voice rather than the words: plain-to-emotional's."""
    return [c for c in clips if c.sentence.startswith(PLAIN)]

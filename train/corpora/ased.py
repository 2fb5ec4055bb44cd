"""ASED (Retta et al. 2022): Amharic emotional speech, 65 speakers recording themselves, 5 emotions.

    clips = find_clips("../data/ased")        # [Clip(path, label, "02-41", "ased", "male"), ...]
    scored(clips)                            # the clips whose words carry every emotion (sentences 01-02)

The download (github.com/Ethio2021/ASED_V1) has one folder per emotion
(01Neutral ... 05Angry) of 16 kHz mono WAV files named ``xN-ss-rr-gg-bb.wav``:
x the emotion's letter (n f h s a; one file has it upper case), N its folder
number, ss the sentence (01-07), rr the repetition, gg the gender (01 female,
02 male) and bb the speaker; the speaker is the pair gg-bb, as the file names
give it. The speakers recorded at a time and place of their own choosing:
real rooms and microphones.

**The sentences give the emotion away**: sentences 03-07 were each spoken in
one emotion only, so a model can name the emotion by recognising the words
(in a trial, held-out speakers scored 90 % on them). Only the common
sentences 01-02, spoken in every emotion, measure the voice: validation and
test speakers are scored on those alone (`scored`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from emotion.labels import EMOTIONS

from .clip import Clip

NAME = "ased"
ASED_EMOTIONS = {"n": "neutral", "f": "fearful", "h": "happy", "s": "sad", "a": "angry"}
CLASSES: tuple[int, ...] = tuple(sorted(EMOTIONS.index(e) for e in ASED_EMOTIONS.values()))
COMMON_SENTENCES = ("01", "02")  # spoken in every emotion; 03-07 each in one emotion only
GENDERS = {"01": "female", "02": "male"}

# Declared before any model heard ASED: never trained on, never used to choose anything.
# Three female and three male speakers who spoke both common sentences in all five
# emotions (4 clips each: 24 per emotion, 120 clips scored).
TEST_SPEAKERS = ("01-01", "01-03", "01-13", "02-02", "02-32", "02-50")
VAL_SPEAKERS = ("01-47", "02-06", "02-41")  # early stopping; scored on the common sentences too

# Where a user gets it: a public git repository at a pinned commit (python -m train.get_corpora fetches
# it; `paths` narrows a repository that holds more than this corpus).
SOURCE = {"git": "https://github.com/Ethio2021/ASED_V1", "commit": "30fee0345cbd37e12dd725fbe69f90522cffb046", "paths": ()}

FACTS = {
    "name": "ASED",
    "summary": (
        "65 speakers (25 female, 40 male) recording themselves in rooms and on microphones of their own "
        "choosing, 27 sentences in five emotions (no calm, disgust or surprise); only two sentences were "
        "spoken in every emotion, and only those are scored"
    ),
    "summary_es": (  # the same, for the app's Spanish About panel
        "65 hablantes (25 mujeres, 40 hombres) que se grabaron en salas y con micrófonos de su elección, "
        "27 frases en cinco emociones (sin calma, disgusto ni sorpresa); solo dos frases se dijeron en todas "
        "las emociones, y solo esas se puntúan"
    ),
    "language": "Amharic",
    "language_es": "amárico",
    "language_code": "am",
    "studio": False,  # they recorded themselves, in their own rooms and on their own microphones
    "speakers": 65,
    "emotions": [EMOTIONS[i] for i in CLASSES],
    "license": "research use, cited (no licence file)",
    "citation": (
        "Retta EA, Almekhlafi E, Sutcliffe R, Mhamed M, Ali H, Feng J (2022). A New Amharic Speech Emotion "
        "Dataset and Classification Benchmark. ACM Transactions on Asian and Low-Resource Language "
        "Information Processing. https://doi.org/10.1145/3529759"
    ),
    "short_citation": "Retta et al. 2022",
    "hf_id": "",
    "download": SOURCE["git"] + " at commit " + SOURCE["commit"],
}

_NAME = re.compile(r"^([nfhsa])(\d)-(\d\d)-(\d\d)-(0[12])-(\d\d)$", re.IGNORECASE)


def parse_name(path: str | os.PathLike) -> tuple[str, str, str, str]:
    """'a5-03-01-02-50.wav' -> (emotion, sentence, speaker, gender) = ('angry', '03', '02-50', 'male').
    ValueError for a name that is not ASED's."""
    stem = Path(path).stem
    m = _NAME.match(stem)
    if m is None:
        raise ValueError(f"{Path(path).name}: not an ASED file name (xN-ss-rr-gg-bb.wav)")
    letter, _, sentence, _, gender, speaker = m.groups()
    return ASED_EMOTIONS[letter.lower()], sentence, f"{gender}-{speaker}", GENDERS[gender]


def find_clips(root: str | os.PathLike, speakers: tuple[str, ...] | None = None) -> list[Clip]:
    """Every ASED clip under `root` (any nesting), optionally of `speakers` only, sorted by path.
    FileNotFoundError when the folder holds no ASED file."""
    root = Path(root)
    clips = []
    for path in sorted(root.rglob("*.wav")) if root.is_dir() else []:
        try:
            emotion, sentence, speaker, gender = parse_name(path)
        except ValueError:
            continue
        if speakers is None or speaker in speakers:
            clips.append(Clip(str(path), EMOTIONS.index(emotion), speaker, NAME, gender, sentence))
    if not clips and speakers is None:
        raise FileNotFoundError(f"No ASED corpus at {root}: expected WAV files named xN-ss-rr-gg-bb.wav "
                                "(the Ethio2021/ASED_V1 download).")
    return clips


def scored(clips: list[Clip]) -> list[Clip]:
    """The clips that measure the voice rather than the words: the common sentences."""
    return [c for c in clips if c.sentence in COMMON_SENTENCES]

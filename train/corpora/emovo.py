"""EMOVO (Costantini et al. 2014): Italian acted emotional speech, 6 actors, 7 emotions.

    clips = find_clips("../data/emovo")      # [Clip(path, label, "f1", "emovo", "female"), ...]

Files named ``EMO-SPEAKER-SENTENCE.wav`` (``gio-f1-b1.wav``), 48 kHz stereo,
one folder per actor (f1-f3, m1-m3), as in the EMOVO download and in the
copy inside github.com/fp1acm8/SER (``data/EMOVO/``). The emotions, in
Italian abbreviations: neutrale, gioia (joy), paura (fear), rabbia (anger),
sorpresa, tristezza, disgusto; EMOVO has no calm. Every sentence is spoken
in every emotion, so the words carry none.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from emotion.labels import EMOTIONS

from .clip import Clip

NAME = "emovo"
EMOVO_EMOTIONS = {"neu": "neutral", "gio": "happy", "pau": "fearful", "rab": "angry", "sor": "surprised",
                  "tri": "sad", "dis": "disgust"}
CLASSES: tuple[int, ...] = tuple(sorted(EMOTIONS.index(e) for e in EMOVO_EMOTIONS.values()))

# Declared before any model heard EMOVO: never trained on, never used to choose anything.
# One actress and one actor of six; another pair validates, the last pair trains.
TEST_SPEAKERS = ("f3", "m3")
VAL_SPEAKERS = ("f2", "m2")

# Where a user gets it: a public git repository at a pinned commit (python -m train.get_corpora fetches
# it; `paths` narrows a repository that holds more than this corpus).
SOURCE = {"git": "https://github.com/fp1acm8/SER", "commit": "c13834136874dbf9404f077fd977890605ac90bd", "paths": ("data/EMOVO",)}

FACTS = {
    "name": "EMOVO",
    "summary": "studio recordings of 6 actors (3 female, 3 male) saying 14 sentences in seven emotions (no calm)",
    "summary_es": "grabaciones de estudio de 6 actores (3 mujeres, 3 hombres) que dicen 14 frases en siete emociones (sin calma)",
    "language": "Italian",
    "language_es": "italiano",
    "language_code": "it",
    "studio": True,
    "speakers": 6,
    "emotions": [EMOTIONS[i] for i in CLASSES],
    "license": "research use, cited",
    "citation": (
        "Costantini G, Iaderola I, Paoloni A, Todisco M (2014). EMOVO Corpus: an Italian Emotional Speech "
        "Database. Proceedings of LREC 2014. http://www.lrec-conf.org/proceedings/lrec2014/pdf/591_Paper.pdf"
    ),
    "short_citation": "Costantini et al. 2014",
    "hf_id": "",
    "download": SOURCE["git"] + " at commit " + SOURCE["commit"] + " (folder data/EMOVO/)",
}

_NAME = re.compile(r"^([a-z]{3})-([fm][1-3])-([a-z]\d)$", re.IGNORECASE)


def find_clips(root: str | os.PathLike, speakers: tuple[str, ...] | None = None) -> list[Clip]:
    """Every EMOVO clip under `root` (any nesting), optionally of `speakers` only, sorted by path.
    FileNotFoundError when the folder holds no EMOVO file."""
    root = Path(root)
    clips = []
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        m = _NAME.match(path.stem)
        if path.suffix.lower() not in (".wav", ".flac") or m is None or m.group(1).lower() not in EMOVO_EMOTIONS:
            continue
        emotion, speaker, sentence = EMOVO_EMOTIONS[m.group(1).lower()], m.group(2).lower(), m.group(3).lower()
        if speakers is None or speaker in speakers:
            gender = "female" if speaker.startswith("f") else "male"
            clips.append(Clip(str(path), EMOTIONS.index(emotion), speaker, NAME, gender, sentence))
    if not clips and speakers is None:
        raise FileNotFoundError(f"No EMOVO corpus at {root}: expected WAV files named EMO-SPEAKER-SENTENCE.wav "
                                "(e.g. gio-f1-b1.wav).")
    return clips

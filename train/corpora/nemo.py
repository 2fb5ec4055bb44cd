"""nEMO (Christop 2024): Polish acted emotional speech, 9 speakers, 6 emotions.

    clips = find_clips("../shared/nemo")          # [Clip(path, label, speaker, "nemo"), ...]
    rest, test = split_test_speakers(clips)

Two layouts are read, told apart by their metadata table:

- this project's balanced third (../shared/nemo, see its README):
  `SPEAKER/SPEAKER_EMOTION_N.flac` with `MANIFEST.tsv` (columns path, speaker,
  gender, ...);
- a user's own full download of the amu-cai/nEMO repository: `samples/*.wav`
  with `data.tsv` (columns file_id, emotion, raw_text, normalized_text,
  speaker_id, gender, age; the speaker ids are padded with spaces there).

nEMO's six emotions are six of the model's eight (it has no calm and no
disgust); labels are indices into emotion.labels.EMOTIONS, as for RAVDESS.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from emotion.labels import EMOTIONS

from .clip import Clip

NAME = "nemo"

# nEMO's emotion names in RAVDESS terms (the names in its files and tables).
NEMO_EMOTIONS = {
    "anger": "angry",
    "fear": "fearful",
    "happiness": "happy",
    "neutral": "neutral",
    "sadness": "sad",
    "surprised": "surprised",
}
# The model's outputs that nEMO has labels for, in the model's order.
CLASSES: tuple[int, ...] = tuple(sorted(EMOTIONS.index(e) for e in NEMO_EMOTIONS.values()))

# Declared before any model was trained on nEMO: never trained on, never used
# to choose anything, only reported. One female, one male, each with all 180
# clips of the third (30 per emotion, so accuracy is not skewed by class
# sizes); MK0 and MP0, who recorded fewer, stay available for training.
TEST_SPEAKERS = ("KD0", "TP0")
VAL_SPEAKERS = ("IC0", "KS0")  # the default validation speakers (one female, one male)

MANIFEST = "MANIFEST.tsv"  # this project's third
DATA_TSV = "data.tsv"  # the full download's table, beside its samples/ folder


# Where a user gets it: a public git repository at a pinned commit (python -m train.get_corpora fetches
# it; `paths` narrows a repository that holds more than this corpus).
SOURCE = {"git": "https://github.com/amu-cai/nEMO", "commit": "66de9999a8f2f605eb5f64841790aa5cb0877782", "paths": ("samples", "data.tsv")}

FACTS = {
    "name": "nEMO",
    "summary": (
        "studio recordings of 9 actors (4 female, 5 male) saying 90 phonetically varied sentences in six "
        "emotions (no calm, no disgust)"
    ),
    "summary_es": (  # the same, for the app's Spanish About panel
        "grabaciones de estudio de 9 actores (4 mujeres, 5 hombres) que dicen 90 frases variadas en seis "
        "emociones (sin calma ni disgusto)"
    ),
    "language": "Polish",
    "language_es": "polaco",
    "language_code": "pl",
    "studio": True,
    "speakers": 9,
    "emotions": [EMOTIONS[i] for i in CLASSES],
    "license": "CC BY-NC-SA 4.0",
    "citation": (
        "Christop I (2024). nEMO: Dataset of Emotional Speech in Polish. Proceedings of LREC-COLING 2024. "
        "https://aclanthology.org/2024.lrec-main.1059/"
    ),
    "short_citation": "Christop 2024",
    "hf_id": "amu-cai/nEMO",
    "download": SOURCE["git"] + " at commit " + SOURCE["commit"] + " (samples/ and data.tsv)",
}


def _read_table(path: Path) -> list[dict[str, str]]:
    # No quoting: the Polish sentences contain quotation marks of their own.
    with open(path, newline="", encoding="utf-8") as f:
        return [{k.strip(): v.strip() for k, v in row.items()} for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]


def find_clips(root: str | os.PathLike, speakers: tuple[str, ...] | None = None) -> list[Clip]:
    """Every nEMO clip under `root` (either layout), optionally of `speakers`
    only, sorted by path. Raises FileNotFoundError when the folder has neither
    table or a listed file is missing (a partial download), ValueError for an
    emotion the table should not contain."""
    root = Path(root)
    if (root / MANIFEST).is_file():
        rows = [(root / r["path"], r["speaker"], r["gender"], r["emotion"]) for r in _read_table(root / MANIFEST)]
    elif (root / DATA_TSV).is_file():
        rows = [(root / "samples" / r["file_id"], r["speaker_id"], r["gender"], r["emotion"]) for r in _read_table(root / DATA_TSV)]
    else:
        raise FileNotFoundError(f"No nEMO corpus at {root}: expected {MANIFEST} (this project's third) "
                                f"or {DATA_TSV} beside samples/ (the amu-cai/nEMO download).")
    clips, missing = [], []
    for path, speaker, gender, emotion in rows:
        if speakers is not None and speaker not in speakers:
            continue
        if emotion not in NEMO_EMOTIONS:
            raise ValueError(f"{path.name}: emotion '{emotion}' is not one of nEMO's {', '.join(NEMO_EMOTIONS)}.")
        if not path.is_file():
            missing.append(path)
            continue
        clips.append(Clip(str(path), EMOTIONS.index(NEMO_EMOTIONS[emotion]), speaker, NAME, gender))
    if missing:
        raise FileNotFoundError(f"{len(missing)} nEMO clips listed in the table are missing, e.g. {missing[0]}.")
    return sorted(clips, key=lambda c: c.path)


def split_test_speakers(clips: list[Clip]) -> tuple[list[Clip], list[Clip]]:
    """(clips of the other speakers, clips of TEST_SPEAKERS)."""
    return [c for c in clips if c.speaker not in TEST_SPEAKERS], [c for c in clips if c.speaker in TEST_SPEAKERS]

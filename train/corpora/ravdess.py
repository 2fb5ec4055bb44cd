"""RAVDESS (Livingstone & Russo 2018): North-American English acted speech, 24 actors, 8 emotions.

    clips = find_clips("../shared/ravdess", actors=(21, 22, 23, 24))   # [Clip(path, label, actor, "ravdess"), ...]

The audio-only speech files in the original layout, ``Actor_NN/03-01-EE-II-SS-RR-NN.wav``
(any nesting), as WAV (a user's own download) or FLAC (../shared/ravdess); where the
same clip exists as both, one is kept. The file name says everything (emotion.labels
parses it); a speaker is the actor number, 1-24.
"""

from __future__ import annotations

import os
from pathlib import Path

from emotion.labels import EMOTIONS, N_ACTORS, STATEMENT, RavdessNameError, parse_ravdess_name

from .clip import Clip

NAME = "ravdess"
CLASSES: tuple[int, ...] = tuple(range(len(EMOTIONS)))  # RAVDESS defines the model's eight outputs
TEST_ACTORS = (21, 22, 23, 24)  # fixed: never trained on, never used to select a model
VAL_ACTORS = (17, 18, 19, 20)  # two male, two female; early stopping and model selection
TEST_SPEAKERS, VAL_SPEAKERS = TEST_ACTORS, VAL_ACTORS
SPEAKERS = tuple(range(1, N_ACTORS + 1))
CLIPS_PER_ACTOR = 60  # speech, audio-only: 8 emotions x intensities x 2 statements x 2 repetitions
AUDIO_EXTENSIONS = (".wav", ".flac")

FACTS = {
    "name": "RAVDESS",
    "summary": (
        f"studio recordings of {N_ACTORS} professional actors (12 female, 12 male) saying "
        f"{len(STATEMENT)} sentences ({', '.join(f'“{s}”' for s in STATEMENT.values())}) in eight emotions"
    ),
    "summary_es": (  # the same, for the app's Spanish About panel
        f"grabaciones de estudio de {N_ACTORS} actores profesionales (12 mujeres, 12 hombres) que dicen "
        f"{len(STATEMENT)} frases en ocho emociones"
    ),
    "language": "North-American English",
    "language_es": "inglés norteamericano",
    "language_code": "en",
    "studio": True,
    "speakers": N_ACTORS,
    "emotions": list(EMOTIONS),
    "license": "CC BY-NC-SA 4.0",
    "citation": (
        "Livingstone SR, Russo FA (2018). The Ryerson Audio-Visual Database of Emotional Speech and Song "
        "(RAVDESS). PLoS ONE 13(5): e0196391. https://doi.org/10.1371/journal.pone.0196391"
    ),
    "short_citation": "Livingstone & Russo 2018",
    "hf_id": "narad/ravdess",  # the Hub's RAVDESS (a loader for the original Zenodo files)
    "download": "https://zenodo.org/records/1188976 (Audio_Speech_Actors_01-24.zip)",
}


def find_clips(root: str | os.PathLike, actors: tuple[int, ...] | None = None) -> list[Clip]:
    """All RAVDESS audio-only speech clips under `root` (.wav or .flac, any nesting),
    optionally of `actors` only, sorted by name."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"RAVDESS folder not found: {root}")
    by_stem: dict[str, Clip] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in AUDIO_EXTENSIONS:
            continue
        try:
            name = parse_ravdess_name(path)
        except RavdessNameError:
            continue
        if name.modality != "audio-only" or name.vocal_channel != "speech":
            continue
        if actors is not None and name.actor not in actors:
            continue
        by_stem.setdefault(path.stem, Clip(str(path), name.label, name.actor, NAME, name.gender))
    return [by_stem[s] for s in sorted(by_stem)]


def check_complete(clips: list[Clip], actors: tuple[int, ...]) -> None:
    """Fail before training if an actor's clips are missing (a partial download)."""
    counts = {a: 0 for a in actors}
    for c in clips:
        counts[c.speaker] = counts.get(c.speaker, 0) + 1
    short = {a: n for a, n in counts.items() if n != CLIPS_PER_ACTOR}
    if short:
        detail = ", ".join(f"actor {a}: {n}" for a, n in sorted(short.items()))
        raise RuntimeError(f"Expected {CLIPS_PER_ACTOR} speech clips per actor; found {detail}.")

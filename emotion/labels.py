"""RAVDESS labels: the file-name code, one parser, and the model's label order.

A RAVDESS file name is seven two-digit fields, e.g. ``03-01-05-02-01-01-22.wav``:
modality, vocal channel, emotion, intensity, statement, repetition, actor.
Odd actors are male, even actors female. (Livingstone & Russo 2018; the
dictionary below is the data set's README.)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

MODALITY = {"01": "full-AV", "02": "video-only", "03": "audio-only"}
VOCAL_CHANNEL = {"01": "speech", "02": "song"}
EMOTION_CODES = {
    "01": "neutral",
    "02": "calm",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fearful",
    "07": "disgust",
    "08": "surprised",
}
INTENSITY = {"01": "normal", "02": "strong"}
STATEMENT = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
REPETITION = {"01": "1st repetition", "02": "2nd repetition"}
N_ACTORS = 24

# The model's output order is the RAVDESS code order, so index = code - 1.
EMOTIONS: tuple[str, ...] = tuple(EMOTION_CODES.values())
# The project began in Spanish; the app shows both names.
EMOTIONS_ES: dict[str, str] = {
    "neutral": "Neutral",
    "calm": "Calma",
    "happy": "Feliz",
    "sad": "Triste",
    "angry": "Enojado",
    "fearful": "Temeroso",
    "disgust": "Disgustado",
    "surprised": "Sorprendido",
}

_NAME = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")


class RavdessNameError(ValueError):
    """A file name that is not a valid RAVDESS name; the message says why."""


@dataclass(frozen=True)
class RavdessName:
    """Everything a RAVDESS file name encodes."""

    modality: str  # "audio-only", ...
    vocal_channel: str  # "speech" or "song"
    emotion: str  # one of EMOTIONS
    intensity: str  # "normal" or "strong"
    statement: str  # the sentence spoken
    repetition: int  # 1 or 2
    actor: int  # 1..24
    gender: str  # "male" (odd actor) or "female" (even actor)

    @property
    def label(self) -> int:
        """Index of the emotion in the model's output."""
        return EMOTIONS.index(self.emotion)


def parse_ravdess_name(path: str | os.PathLike) -> RavdessName:
    """Parse a RAVDESS file name (any folder, any audio extension).

    Raises RavdessNameError naming the first field that is out of range.
    """
    stem = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    m = _NAME.match(stem)
    if m is None:
        raise RavdessNameError(
            f"'{stem}' is not a RAVDESS name (seven two-digit fields such as 03-01-05-02-01-01-22)."
        )
    mod, voc, emo, inten, stmt, rep, actor = m.groups()
    for field, code, table in (
        ("modality", mod, MODALITY),
        ("vocal channel", voc, VOCAL_CHANNEL),
        ("emotion", emo, EMOTION_CODES),
        ("intensity", inten, INTENSITY),
        ("statement", stmt, STATEMENT),
        ("repetition", rep, REPETITION),
    ):
        if code not in table:
            raise RavdessNameError(
                f"'{stem}': {field} code {code} is not one of {', '.join(table)}."
            )
    if emo == "01" and inten == "02":
        raise RavdessNameError(f"'{stem}': neutral has no strong intensity in RAVDESS.")
    actor_id = int(actor)
    if not 1 <= actor_id <= N_ACTORS:
        raise RavdessNameError(f"'{stem}': actor {actor} is not between 01 and {N_ACTORS}.")
    return RavdessName(
        modality=MODALITY[mod],
        vocal_channel=VOCAL_CHANNEL[voc],
        emotion=EMOTION_CODES[emo],
        intensity=INTENSITY[inten],
        statement=STATEMENT[stmt],
        repetition=int(rep),
        actor=actor_id,
        gender="male" if actor_id % 2 else "female",
    )


def parse_actors(text: str, n_actors: int = N_ACTORS) -> tuple[int, ...]:
    """Actor ids from a range list: '21-24' or '1,3,5-7' (an en dash works too)
    -> sorted unique ids. The one parser for every --actors flag and split."""
    actors: list[int] = []
    for part in text.replace("\u2013", "-").split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            actors.extend(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            raise ValueError(f"Actors are numbers or ranges such as '21-24' or '1,3,5-7'; got '{text}'.") from None
    if not actors or any(not 1 <= a <= n_actors for a in actors):
        raise ValueError(f"Actors must be numbers between 1 and {n_actors}, e.g. '21-24'; got '{text}'.")
    return tuple(sorted(set(actors)))


def format_actors(actors, dash: str = "\u2013") -> str:
    """The inverse of parse_actors: (1, 2, 3, 4, 13, ..., 24) -> '1\u20134, 13\u201324'.

    Runs of three or more become ranges, shorter ones are listed, so a split
    with a gap is never shown as one range. dash='-' gives the command-line form.
    """
    ids = sorted(set(int(a) for a in actors))
    runs: list[list[int]] = []
    for a in ids:
        if runs and a == runs[-1][-1] + 1:
            runs[-1].append(a)
        else:
            runs.append([a])
    parts = [f"{r[0]}{dash}{r[-1]}" if len(r) >= 3 else ", ".join(map(str, r)) for r in runs]
    return ", ".join(parts)


def try_parse_ravdess_name(path: str | os.PathLike) -> RavdessName | None:
    """parse_ravdess_name, or None for a name that is not RAVDESS."""
    try:
        return parse_ravdess_name(path)
    except RavdessNameError:
        return None

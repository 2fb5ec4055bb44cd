"""One labelled clip of a corpus: what the rest of train/ sees of any corpus."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Clip:
    path: str
    label: int  # index into emotion.labels.EMOTIONS
    speaker: int | str  # the corpus's own speaker id (RAVDESS: the actor number; nEMO: "KD0")
    corpus: str  # the corpus module's NAME
    gender: str = ""  # "female" or "male", where the corpus says
    sentence: str = ""  # the corpus's sentence id, where it says (ASED's words can give the emotion away)

"""The corpora training knows: one module per corpus, and nothing else names one.

    from train.corpora import CORPORA, classes_of, facts_of
    CORPORA["nemo"].find_clips("../shared/nemo")     # [Clip(path, label, speaker, corpus), ...]

A corpus module says everything about its corpus and nothing about training:

- ``NAME``: its key ("ravdess"), as runs, caches and config.json name it;
- ``FACTS``: name, language, speakers, emotions, licence, citation and where a
  user downloads it -- training copies them into the weights' config.json,
  from which the model card and the app's About panel describe the corpus;
- ``CLASSES``: the model outputs (indices into emotion.labels.EMOTIONS) it has
  labels for; the masked loss and the per-corpus scores use them;
- ``TEST_SPEAKERS`` (declared before any model saw the corpus: never trained
  on, never used to choose anything) and ``VAL_SPEAKERS`` (the default
  validation speakers);
- ``find_clips(root, speakers=None) -> list[Clip]``: every clip under a
  folder in each layout the corpus comes in, sorted by path, raising
  FileNotFoundError for a folder that is not the corpus;
- optionally ``scored(clips) -> list[Clip]``: the clips validation and test
  speakers are scored on, where some would measure something else (ASED's
  emotion-specific sentences name the emotion by their words);
- optionally ``LEVELS`` ({level name: emotion indices}, disjoint): a corpus
  labelled by something coarser than an emotion (BAVED's arousal levels).
  A clip's target is then the set of emotions its level allows -- its label
  is the set's first emotion -- training's loss is minus the log of the
  probability on the set, and it is scored by level.

Adding a corpus is a new module here, listed in MODULES below, and its tests.
"""

from __future__ import annotations

from . import ased, baved, emotiontts, emovo, nemo, ravdess, turev
from .clip import Clip

__all__ = ["CORPORA", "MAIN", "Clip", "classes_of", "facts_of", "levels_of", "names_of", "scored", "targets_of"]

# The order is the order corpora are reported in (RAVDESS, the first, is the main corpus:
# its split and metrics keep the top-level keys of config.json).
MODULES = (ravdess, nemo, ased, emovo, baved, emotiontts, turev)
CORPORA = {m.NAME: m for m in MODULES}
MAIN = MODULES[0].NAME


def classes_of(corpus: str) -> tuple[int, ...]:
    """The model outputs `corpus` has labels for (indices into EMOTIONS)."""
    return CORPORA[corpus].CLASSES


def facts_of(corpus: str) -> dict:
    """What the weights' config.json records about `corpus` (its FACTS)."""
    return dict(CORPORA[corpus].FACTS)


def names_of(corpora) -> str:
    """'RAVDESS', 'RAVDESS and nEMO', 'RAVDESS, nEMO and ASED': the corpora's own names."""
    names = [CORPORA[c].FACTS["name"] for c in corpora]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def scored(corpus: str, clips: list) -> list:
    """The clips of `corpus` that validation and testing score (all, unless its module says)."""
    return getattr(CORPORA[corpus], "scored", list)(clips)


def levels_of(corpus: str) -> dict[str, tuple[int, ...]] | None:
    """{level: the emotions it allows} for a corpus labelled by level (BAVED), else None."""
    return getattr(CORPORA[corpus], "LEVELS", None)


def targets_of(corpus: str, label: int) -> tuple[int, ...]:
    """The emotions a clip of `corpus` labelled `label` may be: its level's set, or the label alone."""
    levels = levels_of(corpus)
    return next(s for s in levels.values() if label in s) if levels else (label,)

"""What the model answers: the types that serving, batching and archive labelling share.

Below all three (emotion.inference, emotion.batching, emotion.archive), so that each
names them without importing the others: a Prediction for one clip, the Segments of
its timeline, and a Labelled file -- a Prediction, or the words that refused it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Segment:
    """One window of a clip's timeline: where it sits in the clip and what the model hears in it."""

    start: float  # seconds from the start of the clip
    end: float
    probabilities: dict[str, float]  # all eight, in the model's label order
    speech: float | None = None  # fraction of the window that holds speech, where a caller measured it

    @property
    def label(self) -> str:
        return max(self.probabilities, key=self.probabilities.get)


@dataclass
class Prediction:
    label: str  # the most probable emotion
    probabilities: dict[str, float]  # all eight, in the model's label order
    duration: float = 0.0  # seconds of audio analysed
    notes: list[str] = field(default_factory=list)  # what a person should know, e.g. only the first minute was heard
    timeline: list[Segment] | None = None  # per window, when asked for (predict(..., timeline=True))


@dataclass
class Labelled:
    """One file's answer: a Prediction, or the error that refused it."""

    path: str
    prediction: Prediction | None = None
    error: str | None = None  # the message predict() raises, for a person
    reason: str | None = None  # emotion.i18n's key for it: "no_speech", "too_short", "unreadable", ... or "not_found"
    size: int | None = None  # what a second run compares, to skip a file it has done
    mtime_ns: int | None = None
    sha256: str | None = None

    @property
    def label(self) -> str | None:
        return self.prediction.label if self.prediction else None

    @property
    def probabilities(self) -> dict[str, float] | None:
        return self.prediction.probabilities if self.prediction else None

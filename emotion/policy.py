"""Which clips the recognizer answers: one policy for the library, the CLI and the app.

    clip = load_clip("voice.webm")       # decoded, checked, cut to the first minute
    clip.audio, clip.notes               # (N,) float32 at 16 kHz; what a person should know

A clip the model cannot answer raises ClipRefused (an AudioError) whose
message is written for the person who recorded it, so every interface
refuses the same clips with the same words. Decoding itself is the front
end's job (emotion.audio); this module decides what is worth asking the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .audio import SAMPLE_RATE, AudioError, AudioSource, load_audio

MIN_SECONDS = 0.5  # shorter than a syllable or two: nothing to hear an emotion in
SILENCE_PEAK = 1e-3  # -60 dBFS peak: below this no voice was recorded (M5's std floor)
MAX_SECONDS = 60.0  # longer clips are analysed over their first minute only


class ClipRefused(AudioError):
    """The audio decodes, but holds nothing the model can answer (silence, a blip)."""


class Note(str):
    """A note on an answered clip (e.g. only the first minute was heard): an English
    str, with the `key` and `params` emotion.i18n.localize words in other languages."""

    key: str
    params: dict

    @classmethod
    def keyed(cls, key: str, **params) -> "Note":
        from .i18n import message

        note = cls(message(key, **params))
        note.key, note.params = key, params
        return note


@dataclass
class Clip:
    audio: np.ndarray  # (N,) float32 at the model's rate, at most max_seconds long
    notes: list[str] = field(default_factory=list)  # e.g. that only the first minute was heard
    speech: list[tuple[float, float]] = field(default_factory=list)  # (start, end) s where someone speaks

    @property
    def seconds(self) -> float:
        return self.audio.shape[0] / SAMPLE_RATE

    @property
    def speech_seconds(self) -> float:
        from .speech import spans_seconds

        return spans_seconds(self.speech)


def check_clip(audio: np.ndarray, sr: int = SAMPLE_RATE, max_seconds: float = MAX_SECONDS) -> Clip:
    """Accept or refuse decoded audio (N,) float32 at `sr`.

    Returns the Clip to analyse (cut to `max_seconds`, with a note saying so,
    and where the voice-activity detector hears speech); raises ClipRefused
    for a clip that is too short, silent, or holds no speech (a room, a
    cough, noise: "no_speech"; music or a tone with no voice in it:
    "music_no_speech"; emotion.speech.listen decides).
    """
    from .speech import MIN_SPEECH_SECONDS, listen  # the detector's import costs a moment: not at import

    seconds = audio.shape[0] / sr
    if seconds < MIN_SECONDS:
        raise ClipRefused.keyed("too_short", ms=seconds * 1000, min_seconds=MIN_SECONDS)
    peak = float(np.abs(audio).max())
    if peak < SILENCE_PEAK:
        raise ClipRefused.keyed("silent", dbfs=20 * np.log10(peak)) if peak > 0 else ClipRefused.keyed("digital_silence")
    notes = []
    if seconds > max_seconds:
        audio = audio[: int(max_seconds * sr)]
        notes.append(Note.keyed("longer_than_limit", max_seconds=max_seconds))
    heard = listen(audio, sr)
    if not heard.voice:
        # Music or a tone gets words of its own: "only silence, noise, music or a tone"
        # leaves a person who played music wondering whether the microphone worked.
        key = "music_no_speech" if heard.music else "no_speech"
        raise ClipRefused.keyed(key, speech=heard.speech_seconds, min_speech=MIN_SPEECH_SECONDS)
    return Clip(audio, notes, heard.spans)


def load_clip(source: AudioSource, sr: int = SAMPLE_RATE, max_seconds: float = MAX_SECONDS) -> Clip:
    """Decode `source` with the front end and check it: a Clip, or AudioError / ClipRefused."""
    # A little past the limit, to tell a long clip from one exactly at it.
    return check_clip(load_audio(source, sr, max_seconds=max_seconds + 1), sr, max_seconds)

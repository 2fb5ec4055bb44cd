"""Escuchando Emociones: speech emotion recognition with M5 on raw waveforms.

    import emotion
    rec = emotion.EmotionRecognizer.load()          # shipped weights, CUDA if available
    rec.predict("clip.wav").probabilities           # the 8 RAVDESS emotions

Command line: python -m emotion predict FILE... [--json | --csv]; python -m emotion label SOURCE... --out RESULTS
(an archive, resumably: emotion.archive).
"""

from .answers import Labelled, Prediction, Segment
from .audio import SAMPLE_RATE, AudioError, load_audio, pad_or_trim, to_mono_float32, trim_silence
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .hub import HUB_REPO, resolve_weights
from .inference import DEFAULT_WEIGHTS, EmotionRecognizer, default_device, describe_device, emotion_probabilities
from .labels import (EMOTIONS, EMOTIONS_ES, RavdessName, RavdessNameError, format_actors, parse_actors, parse_ravdess_name,
                     try_parse_ravdess_name)
from .model import M5, M5Config, M5Ensemble
from .policy import MAX_SECONDS, MIN_SECONDS, Clip, ClipRefused, check_clip, load_clip

__all__ = [
    "SAMPLE_RATE", "AudioError", "load_audio", "pad_or_trim", "to_mono_float32", "trim_silence",
    "CheckpointError", "load_checkpoint", "save_checkpoint", "HUB_REPO", "resolve_weights",
    "DEFAULT_WEIGHTS", "EmotionRecognizer", "Prediction", "Segment", "Labelled", "default_device", "describe_device", "emotion_probabilities",
    "EMOTIONS", "EMOTIONS_ES", "RavdessName", "RavdessNameError", "format_actors", "parse_actors", "parse_ravdess_name",
    "try_parse_ravdess_name",
    "M5", "M5Config", "M5Ensemble",
    "MAX_SECONDS", "MIN_SECONDS", "Clip", "ClipRefused", "check_clip", "load_clip",
]

"""Inference: shipped weights in, probabilities of the eight emotions out.

Clip length policy. M5 is trained on fixed windows (`window_seconds` in the
weights' config, 3 s for the shipped model). At inference a clip is covered by
such windows, `hop_seconds` apart, with the last one aligned to the clip's
end; a clip shorter than one window is zero-padded at the end, exactly as
short clips were in training. The clip's logits are the mean of the windows'
logits weighted by each window's RMS, so near-silent windows barely count.
Nothing is cut: every sample up to `max_seconds` is heard. Where the config
lists `test_time_speeds` (e.g. 0.9, 1.0, 1.1), the clip is also played at
those speeds -- the speed perturbation the model was trained with -- and the
logits of all speeds are averaged. Softmax (with the calibration temperature,
if the config has one) is applied once, here.

    from emotion import EmotionRecognizer
    rec = EmotionRecognizer.load()                   # CUDA if available, else CPU
    rec.predict("clip.wav").probabilities            # {"neutral": 0.03, ...}
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch

from .answers import Labelled, Prediction, Segment
from .audio import DEREVERBERATION, AudioSource, change_speed, pad_or_trim, trim_silence, window_starts
from .batching import label_batches
from .checkpoint import load_checkpoint
from .hub import resolve_weights
from .model import M5
from .policy import MAX_SECONDS, Clip, check_clip, load_clip

# The shipped weights: inside the package when installed with pip (pyproject.toml maps the
# checkout's weights/ to emotion/weights), else the checkout's own weights/ folder.
_PACKAGED_WEIGHTS = Path(__file__).resolve().parent / "weights"
DEFAULT_WEIGHTS = _PACKAGED_WEIGHTS if _PACKAGED_WEIGHTS.is_dir() else Path(__file__).resolve().parent.parent / "weights"
CLIPS_PER_BATCH = 64  # clips whose windows go through the model together (memory stays bounded)
# Windows in one call of the model, by device. On a CPU a call of 32 or more 3 s windows runs
# about 1.6-2x slower per window than one of 16 or fewer (the activations outgrow the caches;
# measured on an Intel Xeon, docs/performance.md); a GPU wants large calls.
WINDOWS_PER_CALL = {"cpu": 16, "cuda": 64}


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def describe_device(device: str | torch.device) -> str:
    """'CPU' or 'CUDA GPU (NVIDIA H100 80GB HBM3)': what ran the model, for people."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"CUDA GPU ({torch.cuda.get_device_name(device)})"
    return device.type.upper()


def clip_windows(audio: np.ndarray, window: int, hop: int) -> np.ndarray:
    """Cover a clip with windows: (N,) -> (W, window), last window aligned to the end."""
    if audio.shape[0] <= window:
        return pad_or_trim(audio, window)[None]
    return np.stack([audio[s : s + window] for s in window_starts(audio.shape[0], window, hop)])


@torch.no_grad()
def window_logits(
    model: M5,
    clips: list[np.ndarray],
    window: int,
    hop: int,
    device: str | torch.device = "cpu",
    batch_size: int = 64,
    min_batch: int = 1,
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per clip, the logits of each of its windows (W, n_classes) and the windows' RMS (W,), on the CPU.

    All clips' windows go through the model together, `batch_size` at a time.
    min_batch: a last chunk of fewer windows is padded with silent ones (their
    logits dropped). With min_batch=2 a window's logits do not depend on which
    windows share its call: on the CPU the model computes a call of one window
    with other kernels, different in the 7th digit (tests/test_label.py).
    """
    windows = [clip_windows(c, window, hop) for c in clips]
    counts = [w.shape[0] for w in windows]
    stacked = torch.from_numpy(np.concatenate(windows))  # (sum W, window)
    was_training = model.training
    model.eval()
    out = torch.cat(
        [_padded_call(model, stacked[i : i + batch_size], min_batch, device) for i in range(0, len(stacked), batch_size)]
    )  # (sum W, C)
    model.train(was_training)
    rms = stacked.pow(2).mean(dim=1).sqrt() + 1e-8  # (sum W,)
    return list(zip(out.split(counts), rms.split(counts)))


def _padded_call(model: M5, windows: torch.Tensor, min_batch: int, device: str | torch.device) -> torch.Tensor:
    """model(windows) (n, window) -> (n, C) on the CPU, padded with silent windows to at least min_batch."""
    n = windows.shape[0]
    if n < min_batch:
        windows = torch.cat([windows, windows.new_zeros(min_batch - n, windows.shape[1])])
    return model(windows.to(device)).float().cpu()[:n]


def pool_windows(logits: torch.Tensor, rms: torch.Tensor) -> torch.Tensor:
    """One clip's logits from its windows': the mean weighted by RMS, so near-silent windows barely count."""
    return (logits * rms[:, None]).sum(0) / rms.sum()


def clip_logits(
    model: M5,
    clips: list[np.ndarray],
    window: int,
    hop: int,
    device: str | torch.device = "cpu",
    batch_size: int = 64,
) -> torch.Tensor:
    """Logits for whole clips by RMS-weighted averaging over windows.

    clips: list of (N_i,) float32 at the model's rate, preprocessed as in
    training. Returns (len(clips), n_classes) on the CPU. Shared by serving,
    evaluation and validation during training, so all three agree.
    """
    return torch.stack([pool_windows(*w) for w in window_logits(model, clips, window, hop, device, batch_size)])


def prepare(audio: np.ndarray, preprocessing: dict) -> tuple[np.ndarray, int]:
    """What the model sees of a clip, given the `preprocessing` block of its config,
    and where that starts in the clip (samples): the front end's output, cut to
    `max_seconds`, trimmed if training trimmed. Training, evaluation and serving
    all go through here."""
    sr = preprocessing["sample_rate"]
    audio = audio[: int(preprocessing.get("max_seconds", MAX_SECONDS) * sr)]
    if preprocessing.get("dereverb"):  # before trimming: the tail is what trim would keep
        audio = DEREVERBERATION[preprocessing["dereverb"]](audio)
    if preprocessing["trim"]:
        audio, (start, _) = trim_silence(audio, top_db=preprocessing["trim_top_db"])
        return audio, start
    return audio, 0


def preprocess(audio: np.ndarray, preprocessing: dict) -> np.ndarray:
    """`prepare` without the offset: the audio the model hears."""
    return prepare(audio, preprocessing)[0]


class EmotionRecognizer:
    """The model plus the preprocessing recorded in its config.

    Its input is always the front end's output (emotion.audio.load_audio:
    mono float32 at the model's rate); the recognizer preprocesses it exactly
    once, as its config says, so every caller hears clips as serving does.
    """

    def __init__(self, model: M5, config: dict, device: str | torch.device, folder: str | os.PathLike | None = None):
        self.model = model
        self.config = config
        self.device = torch.device(device)
        self.folder = Path(folder) if folder is not None else None  # where the weights came from, if from disk
        pre = self.preprocessing = config["preprocessing"]
        if pre.get("dereverb") and pre["dereverb"] not in DEREVERBERATION:  # at load, not on a visitor's clip
            raise ValueError(f"These weights ask for a front end this version does not have: dereverb "
                             f"'{pre['dereverb']}' (known: {', '.join(DEREVERBERATION)}). Update escuchando-emociones.")
        self.sample_rate: int = pre["sample_rate"]
        self.max_seconds: float = pre.get("max_seconds", MAX_SECONDS)
        self.window = int(round(pre["window_seconds"] * self.sample_rate))
        self.hop = int(round(pre["hop_seconds"] * self.sample_rate))
        # Speeds each clip is played at, logits averaged; (1.0,) = as recorded.
        self.speeds: tuple[float, ...] = tuple(pre.get("test_time_speeds") or (1.0,))
        self.temperature: float = config.get("calibration", {}).get("temperature", 1.0)
        self.labels: tuple[str, ...] = tuple(config["labels"])
        self.windows_per_call = WINDOWS_PER_CALL.get(self.device.type, 64)

    @classmethod
    def load(
        cls,
        weights: str | os.PathLike = DEFAULT_WEIGHTS,
        device: str | None = None,
        revision: str | None = None,
        cache_dir: str | os.PathLike | None = None,
    ) -> "EmotionRecognizer":
        """Load weights onto `device` (default: CUDA when available, else CPU).

        weights: a folder with model.safetensors + config.json, or a Hugging Face
        Hub repo id "user/repo" (optionally "user/repo@revision", or `revision`),
        fetched into the Hub cache (`cache_dir`, default huggingface_hub's); see
        emotion.hub. Either way the SHA-256 in config.json is checked."""
        device = device or default_device()
        folder = resolve_weights(weights, revision=revision, cache_dir=cache_dir)
        model, config = load_checkpoint(folder, device)
        return cls(model, config, device, folder=folder)

    @property
    def device_name(self) -> str:
        return describe_device(self.device)

    def logits(
        self,
        clips: list[np.ndarray],
        *,
        speeds: tuple[float, ...] | None = None,
        hop_seconds: float | None = None,
        temperature: float | None = None,
    ) -> torch.Tensor:
        """(B, n_classes) logits divided by the temperature, for clips as the front end returns them.

        speeds, hop_seconds, temperature: the config's values unless given --
        experiments (train.tta, calibration) ask for others here, per call,
        instead of changing the recognizer that serving shares.
        """
        return self._forward(clips, speeds=speeds, hop_seconds=hop_seconds, temperature=temperature)[0]

    def _forward(
        self,
        clips: list[np.ndarray],
        *,
        speeds: tuple[float, ...] | None = None,
        hop_seconds: float | None = None,
        temperature: float | None = None,
        timeline: bool = False,
        min_batch: int = 1,
    ) -> tuple[torch.Tensor, list[list[Segment]] | None]:
        """Clip logits and, if asked, each clip's timeline, from one pass over the windows.

        The timeline is the windows at speed 1 (as recorded), with the config's
        hop; they are the same windows whose RMS-weighted mean is the clip's
        answer when the config plays clips at speed 1 only, so asking for a
        timeline costs no second forward pass. min_batch: see window_logits.
        """
        speeds = tuple(speeds) if speeds is not None else self.speeds
        hop = self.hop if hop_seconds is None else int(round(hop_seconds * self.sample_rate))
        temperature = self.temperature if temperature is None else temperature
        out, timelines = [], [] if timeline else None
        for i in range(0, len(clips), CLIPS_PER_BATCH):
            prepared = [prepare(c, self.preprocessing) for c in clips[i : i + CLIPS_PER_BATCH]]
            per_speed, as_recorded = [], None
            for s in speeds:
                windows = window_logits(
                    self.model, [change_speed(a, s, self.sample_rate) for a, _ in prepared], self.window, hop, self.device,
                    batch_size=self.windows_per_call, min_batch=min_batch,
                )
                per_speed.append(torch.stack([pool_windows(*w) for w in windows]))  # (b, n_classes)
                if s == 1.0:
                    as_recorded = windows
            out.append(torch.stack(per_speed).mean(0))
            if timeline:
                if as_recorded is None:
                    as_recorded = window_logits(
                        self.model, [a for a, _ in prepared], self.window, hop, self.device,
                        batch_size=self.windows_per_call, min_batch=min_batch,
                    )
                for (audio, offset), (logits, _) in zip(prepared, as_recorded):
                    timelines.append(self._segments(audio.shape[0], offset, hop, logits / temperature))
        return torch.cat(out) / temperature, timelines

    def _segments(self, n: int, offset: int, hop: int, logits: torch.Tensor) -> list[Segment]:
        sr = self.sample_rate
        probabilities = torch.softmax(logits, dim=-1).tolist()
        return [
            Segment((offset + start) / sr, (offset + min(start + self.window, n)) / sr, dict(zip(self.labels, p)))
            for start, p in zip(window_starts(n, self.window, hop), probabilities)
        ]

    def timeline(self, audio: np.ndarray) -> list[Segment]:
        """The clip (N,) float32 at the model's rate, window by window: one Segment per
        window the clip-level answer is pooled from (hop_seconds apart, the last aligned
        to the end; a clip of one window or less has one Segment)."""
        return self._forward([audio], timeline=True)[1][0]

    def analyse_batch(self, clips: list[np.ndarray]) -> list[tuple[dict[str, float], list[Segment]]]:
        """(probabilities, timeline) per clip, from one forward pass: what the app shows."""
        logits, timelines = self._forward(clips, timeline=True)
        p = torch.softmax(logits, dim=-1).tolist()
        return [(dict(zip(self.labels, row)), line) for row, line in zip(p, timelines)]

    def probabilities(self, audio: np.ndarray) -> dict[str, float]:
        """Probabilities of every emotion for one clip (N,) float32 at the model's rate."""
        return self.probabilities_batch([audio])[0]

    def probabilities_batch(self, clips: list[np.ndarray]) -> list[dict[str, float]]:
        """The same for several clips in one forward pass (their windows are batched)."""
        p = torch.softmax(self.logits(clips), dim=-1).tolist()
        return [dict(zip(self.labels, row)) for row in p]

    def predictions(self, clips: list[Clip], timeline: bool = False) -> list[Prediction]:
        """Answers for clips already decoded and checked (emotion.policy.load_clip), in one pass
        over all their windows. A clip's answer does not depend on which clips share the pass
        (window_logits' min_batch), so an archive is labelled alike however it is batched: by
        one process, by workers, or on a Ray cluster (emotion.batching, emotion.archive.cluster)."""
        if not clips:
            return []
        logits, timelines = self._forward([c.audio for c in clips], timeline=timeline, min_batch=2)
        rows = torch.softmax(logits, dim=-1).tolist()
        return [
            Prediction(
                label=self.labels[int(np.argmax(p))],
                probabilities=dict(zip(self.labels, p)),
                duration=clip.audio.shape[0] / self.sample_rate,
                notes=list(clip.notes),
                timeline=timelines[i] if timeline else None,
            )
            for i, (clip, p) in enumerate(zip(clips, rows))
        ]

    def label(
        self,
        paths: Iterable[str | os.PathLike],
        *,
        timeline: bool = False,
        workers: int = 0,
        batch_size: int = 32,
        content_hash: bool = False,
    ) -> Iterator[Labelled]:
        """Label many files, one emotion.Labelled per path, in order, as they are done.

        Decoding, resampling and the voice-activity check run in `workers` processes (0: in
        this one); on a CPU each worker also answers its own batches at one thread, on a GPU
        the model answers here while the workers decode the next (emotion.batching). Memory
        holds a few batches of `batch_size` clips whatever the number of paths. A file the model
        cannot answer gives a Labelled with its `error` (the words predict() raises) and the
        others go on. `python -m emotion label` picks the workers from the cores and adds folders, globs and manifests, a results file that a
        second run resumes, progress, and Ray (README, "Label a folder").
        """
        for batch in label_batches(
            self, paths, timeline=timeline, workers=workers, batch_size=batch_size, content_hash=content_hash
        ):
            yield from batch

    def predict(self, source: AudioSource | np.ndarray, timeline: bool = False) -> Prediction:
        """Predict from a file (path, bytes, file object) or a (N,) float32 array at the model's rate.

        timeline=True also fills Prediction.timeline, window by window (same pass).
        Clips the model cannot answer (silent, too short, not audio) raise
        emotion.AudioError with a message for the person who supplied them,
        the same words the app and the CLI show (emotion.policy).
        """
        if isinstance(source, np.ndarray):
            clip = check_clip(source, self.sample_rate, self.max_seconds)
        else:
            clip = load_clip(source, self.sample_rate, self.max_seconds)
        [(probs, segments)] = self.analyse_batch([clip.audio]) if timeline else [(self.probabilities(clip.audio), None)]
        return Prediction(
            label=max(probs, key=probs.get),
            probabilities=probs,
            duration=clip.audio.shape[0] / self.sample_rate,
            notes=clip.notes,
            timeline=segments,
        )


def emotion_probabilities(source: AudioSource | np.ndarray, recognizer: EmotionRecognizer | None = None) -> dict[str, float]:
    """One-call convenience: probabilities of the 8 emotions for a file or array."""
    recognizer = recognizer or EmotionRecognizer.load()
    return recognizer.predict(source).probabilities

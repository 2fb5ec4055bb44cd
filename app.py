"""Escuchando Emociones: the web demo. Record or upload speech, see the eight emotions.

    python app.py        # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT change it)

API (stable):
    from gradio_client import Client, handle_file
    Client("http://127.0.0.1:7860").predict(handle_file("clip.wav"), api_name="/predict")

This file only wires Gradio components to the `emotion` library: decoding,
trimming, the model and the figure all live there. EMOTION_WEIGHTS points at
another weights folder (default: weights/ beside this file).
"""

from __future__ import annotations

try:  # ZeroGPU Spaces: `spaces` must be imported before torch touches CUDA.
    import spaces

    gpu = spaces.GPU
except ImportError:  # anywhere else the app runs unchanged

    def gpu(fn):
        return fn


import os
import time
from pathlib import Path

import gradio as gr
import numpy as np
import soundfile as sf
import torch

from emotion import EMOTIONS_ES, AudioError, EmotionRecognizer, load_audio, trim_silence, try_parse_ravdess_name
from emotion.audio import TRIM_TOP_DB
from emotion.display import trim_figure

ROOT = Path(__file__).resolve().parent
WEIGHTS = Path(os.environ.get("EMOTION_WEIGHTS", ROOT / "weights"))
EXAMPLES = sorted((ROOT / "examples").glob("*.flac"))
CONFUSION_IMAGE = WEIGHTS / "run" / "confusion_test.png"

MIN_SECONDS = 0.5  # shorter than a syllable or two: nothing to hear an emotion in
SILENCE_PEAK = 1e-3  # -60 dBFS: below this the microphone recorded no voice (M5's std floor)
# Limits for a 2-core CPU Space. A request takes ~0.1 s, so two at a time keep
# both cores busy; more would only time-slice them and make everyone slower.
# Twenty waiting is a couple of seconds at most; past that a visitor is told
# the queue is full at once rather than left waiting.
CONCURRENCY = 2
QUEUE_MAX_SIZE = 20
# A minute of 48 kHz 24-bit stereo WAV is 17 MB; anything bigger is not a voice clip.
MAX_FILE_SIZE = "20mb"
# EMOTION_BATCH=N: requests are gathered up to N at a time (Gradio's batch=True)
# and their windows go through M5 in one forward pass. 0 (default) answers
# each request on its own; README "Reliability" has the load test both ways.
BATCH = int(os.environ.get("EMOTION_BATCH", "0"))
# Uploaded and recorded voices are personal: Gradio's copies are deleted after an hour.
DELETE_CACHE = (3600, 3600)  # (check every s, delete older than s)

# One intra-op thread per request: CONCURRENCY requests already fill the cores, and
# torch's thread pool fighting itself (or a neighbour) made M5 25x slower on 2 cores.
torch.set_num_threads(max(1, (os.cpu_count() or 1) // CONCURRENCY))

# Loaded once; on CUDA when available (also on ZeroGPU, where `spaces` makes that lazy).
recognizer = EmotionRecognizer.load(WEIGHTS)
SAMPLE_RATE = recognizer.sample_rate
MAX_SECONDS = recognizer.max_seconds
MODEL_TRIMS = bool(recognizer.preprocessing["trim"])
DEFAULT_TOP_DB = float(recognizer.preprocessing.get("trim_top_db") or TRIM_TOP_DB)
TEST_ACTORS = set(recognizer.config.get("training", {}).get("split", {}).get("test", []))
N_MODELS = int(recognizer.config.get("ensemble_size", 1))
ENSEMBLE_NOTE = f", over {N_MODELS} M5s trained from different seeds" if N_MODELS > 1 else ""


def bilingual(emotion: str) -> str:
    return f"{emotion} \u00b7 {EMOTIONS_ES[emotion]}"


def device_description() -> str:
    if recognizer.device.type == "cuda":
        return f"CUDA GPU ({torch.cuda.get_device_name(recognizer.device)})"
    return "CPU"


@gpu
def model_probabilities(clips: list[np.ndarray]) -> tuple[list[dict[str, float]], str, float]:
    """The model's part of a request (or of a batch of them), the only part
    that needs a GPU (and, on ZeroGPU, the only part that holds one):
    (probabilities per clip, device, seconds)."""
    start = time.perf_counter()
    probabilities = recognizer.probabilities_batch(clips)  # .tolist() inside waits for the GPU
    return probabilities, device_description(), time.perf_counter() - start


def input_rate(path: str) -> str:
    """The sample rate as it arrived, for the status line (ffmpeg-only formats: unknown)."""
    try:
        info = sf.info(path)
    except Exception:  # WebM, M4A: decoded by ffmpeg, which hides the header
        return "decoded with ffmpeg"
    return f"{info.samplerate / 1000:g} kHz, {info.channels} channel{'s' if info.channels > 1 else ''}"


def ground_truth(path: str, label: str, probabilities: dict[str, float]) -> str:
    """Markdown comparing the prediction with the emotion in a RAVDESS file name; '' otherwise."""
    truth = try_parse_ravdess_name(path)
    if truth is None:
        return ""
    # Plain marks, not emoji: they render with any font, including a bare server's browser.
    mark = (
        f"**\u2713 Right**: the model says {bilingual(label)} ({probabilities[label]:.0%})."
        if truth.emotion == label
        else f"**\u2717 Wrong**: the model says {bilingual(label)} ({probabilities[label]:.0%}); "
        f"the actor performed {bilingual(truth.emotion)} ({probabilities[truth.emotion]:.0%})."
    )
    seen = (
        "a test actor the model never heard"
        if truth.actor in TEST_ACTORS
        else "**heard in training**, so this is not a fair test"
    )
    return (
        f"### Ground truth from the file name\n{mark}\n\n"
        f"- **emotion**: {bilingual(truth.emotion)}, {truth.intensity} intensity\n"
        f"- **statement**: \u201c{truth.statement}\u201d\n"
        f"- **actor**: {truth.actor} ({truth.gender}), {seen}\n"
    )


class Refusal(Exception):
    """Input the model cannot answer; the message is for the user."""

    def __init__(self, message: str, warn: bool = True):
        super().__init__(message)
        self.message, self.warn = message, warn


def refusal_outputs(refusal: Refusal, warn: bool = True) -> tuple:
    """Empty outputs and the reason, in the user's terms; the app keeps serving."""
    if warn and refusal.warn:
        gr.Warning(refusal.message)
    return None, None, "", f"\u26a0 {refusal.message}"


def read_clip(audio_path: str | None) -> tuple[np.ndarray, list[str]]:
    """Decode and check one request's clip: (audio at the model's rate, notes for the user).
    Raises Refusal with a message in the user's terms."""
    if audio_path is None:
        raise Refusal("No audio yet: record with the microphone or upload a file, then press Analyse.", warn=False)
    try:
        # A little past the limit, to tell a long clip from one exactly at it.
        audio = load_audio(audio_path, SAMPLE_RATE, max_seconds=MAX_SECONDS + 1)
    except AudioError as e:
        raise Refusal(f"{e} Please record again or upload a speech recording (wav, flac, ogg, mp3, webm, m4a).")
    seconds = audio.shape[0] / SAMPLE_RATE
    if seconds < MIN_SECONDS:
        raise Refusal(
            f"The clip is too short ({seconds * 1000:.0f} ms): record at least {MIN_SECONDS:g} s of speech, "
            "such as one short sentence."
        )
    peak = float(np.abs(audio).max())
    if peak < SILENCE_PEAK:
        loudness = f"{20 * np.log10(peak):.0f} dBFS" if peak > 0 else "digital silence"
        raise Refusal(
            f"The clip is silent ({loudness}): no voice to analyse. "
            "Check that the right microphone is selected and not muted, then record again."
        )
    notes = []
    if seconds > MAX_SECONDS:
        audio = audio[: int(MAX_SECONDS * SAMPLE_RATE)]
        notes.append(f"The clip is longer than {MAX_SECONDS:g} s: only its first {MAX_SECONDS:g} s were analysed.")
    return audio, notes


def answer(audio_path: str, audio: np.ndarray, notes: list[str], probabilities: dict[str, float], model: str,
           trim: bool, top_db: float, start: float) -> tuple:
    """The outputs for one analysed clip: (probabilities, figure, ground truth, status)."""
    label = max(probabilities, key=probabilities.get)
    span = trim_silence(audio, top_db=top_db)[1] if trim else None
    figure = trim_figure(audio, SAMPLE_RATE, span)
    elapsed = time.perf_counter() - start
    status = (
        f"**{bilingual(label)}** ({probabilities[label]:.0%}) \u00b7 {audio.shape[0] / SAMPLE_RATE:.2f} s "
        f"analysed (input: {input_rate(audio_path)})  \n"
        f"Model ran on {model} \u00b7 request took **{elapsed * 1000:.0f} ms**"
    )
    if notes:
        status = "\u26a0 " + " ".join(notes) + "\n\n" + status
    return (
        {bilingual(e): p for e, p in probabilities.items()},
        figure,
        ground_truth(audio_path, label, probabilities),
        status,
    )


def predict(audio_path: str | None, trim: bool = True, top_db: float = DEFAULT_TOP_DB) -> tuple:
    """One request: (emotion probabilities, trim figure, ground-truth Markdown, status Markdown).

    audio_path: a file as Gradio stores it (uploads keep their original name).
    trim, top_db: silence trimming for the figure only; the model always hears
    the clip as it heard clips in training.
    """
    start = time.perf_counter()
    try:
        audio, notes = read_clip(audio_path)
    except Refusal as refusal:
        return refusal_outputs(refusal)
    for note in notes:
        gr.Warning(note)
    [probabilities], device, model_seconds = model_probabilities([audio])
    model = f"**{device}** (model {model_seconds * 1000:.0f} ms)"
    return answer(audio_path, audio, notes, probabilities, model, trim, top_db, start)


def predict_batch(audio_paths: list, trims: list, top_dbs: list) -> tuple[list, list, list, list]:
    """Gradio's batch=True form of `predict`: lists in, one list per output out.
    The clips that pass the checks share one forward pass. No toasts here:
    a warning raised in a batch has no single visitor to go to, so every
    message is in that visitor's status line instead."""
    start = time.perf_counter()
    clips = []
    for path in audio_paths:
        try:
            clips.append(read_clip(path))
        except Refusal as refusal:
            clips.append(refusal)
    good = [c for c in clips if not isinstance(c, Refusal)]
    probabilities, device, model_seconds = model_probabilities([audio for audio, _ in good]) if good else ([], "", 0.0)
    model = f"**{device}** (model {model_seconds * 1000:.0f} ms for a batch of {len(good)})"
    results, answered = [], iter(probabilities)
    for path, clip, trim, top_db in zip(audio_paths, clips, trims, top_dbs):
        if isinstance(clip, Refusal):
            results.append(refusal_outputs(clip, warn=False))
        else:
            results.append(answer(path, *clip, next(answered), model, trim, top_db, start))
    return tuple(list(column) for column in zip(*results))


def actors(ids: list[int]) -> str:
    ids = sorted(ids)
    contiguous = ids == list(range(ids[0], ids[-1] + 1))
    return f"{ids[0]}\u2013{ids[-1]}" if contiguous and len(ids) > 2 else ", ".join(map(str, ids))


def about() -> str:
    split = recognizer.config.get("training", {}).get("split")
    split_text = (
        f"The model was trained on actors {actors(split['train'])}, chosen on {actors(split['val'])} "
        f"and tested once on {actors(split['test'])}."
        if split
        else ""
    )
    test = recognizer.config.get("metrics", {}).get("test")
    if test:
        per_class = ", ".join(f"{bilingual(e)} {r:.0%}" for e, r in test.get("per_class", {}).items())
        score = (
            f"On the **{test['n']} clips of actors {actors(test.get('actors', sorted(TEST_ACTORS)))}**, whom the model never heard in training or "
            f"model selection: accuracy **{test['accuracy']:.1%}**, unweighted average recall "
            f"**{test['uar']:.1%}** (chance: 12.5%)"
            + (f", expected calibration error {test['ece']:.1%}" if "ece" in test else "")
            + f".\n\nRecall per emotion: {per_class}."
        )
    else:
        score = "These weights carry no test metrics."
    return f"""
**M5** is a small convolutional network that listens to the raw waveform (no spectrogram):
a first layer of 80-sample filters at 16 kHz, then three narrow convolution blocks and an
average over time (Dai et al. 2017, as in the torchaudio speech-commands tutorial). A clip is
covered by {recognizer.window / SAMPLE_RATE:g} s windows whose predictions are averaged{ENSEMBLE_NOTE}.

**RAVDESS** (Livingstone & Russo 2018) is 1,440 studio recordings of 24 professional actors
saying two sentences ("Kids are talking by the door", "Dogs are sitting by the door") in eight
emotions. {split_text}

**How good is it?** {score}

**Limits.** Acted North-American English, two sentences, a studio microphone. Expect less on
spontaneous speech, other languages or accents, and a laptop microphone in a noisy room.
It recognises how something is *performed*, not what anyone feels. For demonstration and
research only: RAVDESS and these weights are CC BY-NC-SA 4.0 (non-commercial).
"""


MODEL_INPUT_NOTE = (
    "The model always hears your clip as it heard clips in training: "
    + (
        f"**trimmed** at {recognizer.preprocessing['trim_top_db']:g} dB (`preprocessing.trim` is on in the weights' config)."
        if MODEL_TRIMS
        else "**untrimmed** (`preprocessing.trim` is off in the weights' config)."
    )
    + " These controls change the figure only."
)

ATTRIBUTION = (
    "Example clips: RAVDESS, actors 21\u201324 (never heard in training). Livingstone SR, Russo FA (2018), "
    "*The Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS)*, PLoS ONE 13(5): e0196391, "
    "[doi:10.1371/journal.pone.0196391](https://doi.org/10.1371/journal.pone.0196391). "
    "Licensed [CC BY-NC-SA 4.0](https://creativecommons.org/licenses/by-nc-sa/4.0/)."
)


def example_label(path: Path) -> str:
    name = try_parse_ravdess_name(path)
    return f"{bilingual(name.emotion)} (actor {name.actor})" if name else path.name


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="Escuchando Emociones", delete_cache=DELETE_CACHE) as demo:
        gr.Markdown(
            "# Escuchando Emociones \u00b7 Listening to emotions\n"
            "Record a sentence with your microphone or upload a clip: the model guesses which of eight "
            "emotions is being acted, and shows the waveform before and after trimming silence."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                audio = gr.Audio(
                    sources=["microphone", "upload"],
                    type="filepath",  # the file as it arrived: load_audio reads its real sample rate
                    label="Your voice: record, or upload wav / flac / ogg / mp3 / webm / m4a",
                )
                with gr.Row():
                    trim = gr.Checkbox(value=True, label="Trim silence in the figure", scale=1)
                    top_db = gr.Slider(
                        10, 60, value=DEFAULT_TOP_DB, step=1, scale=2,
                        label="Silence threshold (dB below the peak)",
                    )
                gr.Markdown(MODEL_INPUT_NOTE)
                analyse = gr.Button("Analyse", variant="primary")
                gr.Examples(
                    examples=[[str(p)] for p in EXAMPLES],
                    inputs=[audio],
                    example_labels=[example_label(p) for p in EXAMPLES],
                    label="Example clips (click one)",
                    cache_examples=False,  # they run through the same path as a visitor's clip
                )
                gr.Markdown(ATTRIBUTION, elem_classes=["attribution"])
            with gr.Column(scale=6):
                status = gr.Markdown("Record or upload a clip, or pick an example.")
                label = gr.Label(num_top_classes=8, label="Emotion probabilities \u00b7 probabilidades")
                truth = gr.Markdown()
        plot = gr.Plot(label="Waveform before and after trimming", format="png")
        with gr.Accordion("About the model, the data and its limits", open=False):
            gr.Markdown(about())
            if CONFUSION_IMAGE.exists():
                gr.Image(
                    str(CONFUSION_IMAGE), label=f"Confusion matrix on the test actors {actors(sorted(TEST_ACTORS))}",
                    interactive=False, height=420, buttons=[],
                )

        gr.on(
            triggers=[audio.change, analyse.click, trim.input, top_db.release],
            fn=predict_batch if BATCH else predict,
            inputs=[audio, trim, top_db],
            outputs=[label, plot, truth, status],
            api_name="predict",  # the stable public API: /predict (the same with or without batching)
            **({"batch": True, "max_batch_size": BATCH} if BATCH else {}),
        )
    return demo


demo = build_demo()
demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=CONCURRENCY)

if __name__ == "__main__":
    if EXAMPLES:  # so the first visitor does not pay for librosa's import and torch's first call (~2 s)
        predict(str(EXAMPLES[0]))
    demo.launch(max_file_size=MAX_FILE_SIZE, css=".attribution { font-size: 0.85em; opacity: 0.8; }")

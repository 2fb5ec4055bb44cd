"""Escuchando Emociones: the web demo. Record or upload speech, see the eight emotions.

    python app.py        # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT change it)

API (stable):
    from gradio_client import Client, handle_file
    Client("http://127.0.0.1:7860").predict(handle_file("clip.wav"), api_name="/predict")

This file only wires Gradio components to the `emotion` library: decoding,
the clip policy, trimming, the model, the figure and the About text all live
there. `create_demo(recognizer)` builds the page without side effects (tests
build it too); `main()` is what `python app.py` runs. EMOTION_WEIGHTS points
at another weights folder (default: weights/ beside this file).
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

from emotion import EMOTIONS_ES, AudioError, EmotionRecognizer, format_actors, load_clip, trim_silence, try_parse_ravdess_name
from emotion.audio import TRIM_TOP_DB
from emotion.card import about
from emotion.display import trim_figure

ROOT = Path(__file__).resolve().parent
EXAMPLES = sorted((ROOT / "examples").glob("*.flac"))

# Limits for a 2-core CPU Space. A request takes ~0.1 s, so two at a time keep
# both cores busy; more would only time-slice them and make everyone slower.
# Twenty waiting is a couple of seconds at most; past that a visitor is told
# the queue is full at once rather than left waiting.
CONCURRENCY = 2
QUEUE_MAX_SIZE = 20
# A minute of 48 kHz 24-bit stereo WAV is 17 MB; anything bigger is not a voice clip.
MAX_FILE_SIZE = "20mb"
# Uploaded and recorded voices are personal: Gradio's copies are deleted after an hour.
DELETE_CACHE = (3600, 3600)  # (check every s, delete older than s)
CSS = ".attribution { font-size: 0.85em; opacity: 0.8; }"
NOTHING_RECORDED = "No audio yet: record with the microphone or upload a file, then press Analyse."

EXAMPLE_ACTORS = {try_parse_ravdess_name(p).actor for p in EXAMPLES}


def attribution(test_actors: set[int]) -> str:
    """Credit for the example clips (CC BY-NC-SA asks for it), and whether these weights heard their actors."""
    unheard = " (never heard by this model in training)" if EXAMPLE_ACTORS <= test_actors else ""
    return (
        f"Example clips: RAVDESS, actors {format_actors(EXAMPLE_ACTORS)}{unheard}. Livingstone SR, Russo FA (2018), "
        "*The Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS)*, PLoS ONE 13(5): e0196391, "
        "[doi:10.1371/journal.pone.0196391](https://doi.org/10.1371/journal.pone.0196391). "
        "Licensed [CC BY-NC-SA 4.0](https://creativecommons.org/licenses/by-nc-sa/4.0/)."
    )


def bilingual(emotion: str) -> str:
    return f"{emotion} \u00b7 {EMOTIONS_ES[emotion]}"


@gpu
def model_probabilities(recognizer: EmotionRecognizer, clips: list[np.ndarray]) -> tuple[list[dict[str, float]], float]:
    """The model's part of a request (or of a batch of them), the only part
    that needs a GPU (and, on ZeroGPU, the only part that holds one):
    (probabilities per clip, seconds)."""
    start = time.perf_counter()
    probabilities = recognizer.probabilities_batch(clips)  # .tolist() inside waits for the GPU
    return probabilities, time.perf_counter() - start


def input_rate(path: str) -> str:
    """The sample rate as it arrived, for the status line (ffmpeg-only formats: unknown)."""
    try:
        info = sf.info(path)
    except Exception:  # WebM, M4A: decoded by ffmpeg, which hides the header
        return "decoded with ffmpeg"
    return f"{info.samplerate / 1000:g} kHz, {info.channels} channel{'s' if info.channels > 1 else ''}"


def refusal_outputs(message: str, warn: bool = True) -> tuple:
    """Empty outputs and the reason, in the user's terms; the app keeps serving."""
    if warn:
        gr.Warning(message)
    return None, None, "", f"\u26a0 {message}"


def example_label(path: Path) -> str:
    name = try_parse_ravdess_name(path)
    return f"{bilingual(name.emotion)} (actor {name.actor})" if name else path.name


class EmotionDemo:
    """The page's handlers around one recognizer; create_demo wires them to Gradio."""

    def __init__(self, recognizer: EmotionRecognizer):
        self.recognizer = recognizer
        self.test_actors = set(recognizer.config.get("training", {}).get("split", {}).get("test", []))
        self.default_top_db = float(recognizer.preprocessing.get("trim_top_db") or TRIM_TOP_DB)

    def model_input_note(self) -> str:
        pre = self.recognizer.preprocessing
        heard = (
            f"**trimmed** at {pre['trim_top_db']:g} dB (`preprocessing.trim` is on in the weights' config)."
            if pre["trim"]
            else "**untrimmed** (`preprocessing.trim` is off in the weights' config)."
        )
        return f"The model always hears your clip as it heard clips in training: {heard} These controls change the figure only."

    def ground_truth(self, path: str, label: str, probabilities: dict[str, float]) -> str:
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
            if truth.actor in self.test_actors
            else "**heard in training**, so this is not a fair test"
        )
        return (
            f"### Ground truth from the file name\n{mark}\n\n"
            f"- **emotion**: {bilingual(truth.emotion)}, {truth.intensity} intensity\n"
            f"- **statement**: \u201c{truth.statement}\u201d\n"
            f"- **actor**: {truth.actor} ({truth.gender}), {seen}\n"
        )

    def read(self, audio_path: str | None):
        """One request's clip (emotion.policy), or the message that refuses it."""
        if audio_path is None:
            return NOTHING_RECORDED
        try:
            return load_clip(audio_path, self.recognizer.sample_rate, self.recognizer.max_seconds)
        except AudioError as e:
            return str(e)

    def answer(self, audio_path: str, clip, probabilities: dict[str, float], model: str, trim: bool, top_db: float,
               start: float) -> tuple:
        """The outputs for one analysed clip: (probabilities, figure, ground truth, status)."""
        sr = self.recognizer.sample_rate
        label = max(probabilities, key=probabilities.get)
        span = trim_silence(clip.audio, top_db=top_db)[1] if trim else None
        figure = trim_figure(clip.audio, sr, span)
        elapsed = time.perf_counter() - start
        status = (
            f"**{bilingual(label)}** ({probabilities[label]:.0%}) \u00b7 {clip.seconds:.2f} s "
            f"analysed (input: {input_rate(audio_path)})  \n"
            f"Model ran on {model} \u00b7 decoding, model and figure took **{elapsed * 1000:.0f} ms** "
            "(the figure is then sent as a PNG)"
        )
        if clip.notes:
            status = "\u26a0 " + " ".join(clip.notes) + "\n\n" + status
        return (
            {bilingual(e): p for e, p in probabilities.items()},
            figure,
            self.ground_truth(audio_path, label, probabilities),
            status,
        )

    def predict(self, audio_path: str | None, trim: bool = True, top_db: float | None = None) -> tuple:
        """One request: (emotion probabilities, trim figure, ground-truth Markdown, status Markdown).

        audio_path: a file as Gradio stores it (uploads keep their original name).
        trim, top_db: silence trimming for the figure only; the model always hears
        the clip as it heard clips in training.
        """
        start = time.perf_counter()
        clip = self.read(audio_path)
        if isinstance(clip, str):
            return refusal_outputs(clip, warn=audio_path is not None)
        for note in clip.notes:
            gr.Warning(note)
        [probabilities], seconds = model_probabilities(self.recognizer, [clip.audio])
        model = f"**{self.recognizer.device_name}** (model {seconds * 1000:.0f} ms)"
        return self.answer(audio_path, clip, probabilities, model, trim, self.default_top_db if top_db is None else top_db, start)

    def predict_batch(self, audio_paths: list, trims: list, top_dbs: list) -> tuple[list, list, list, list]:
        """Gradio's batch=True form of `predict`: lists in, one list per output out.
        The clips that pass the checks share one forward pass. No toasts here:
        a warning raised in a batch has no single visitor to go to, so every
        message is in that visitor's status line instead."""
        start = time.perf_counter()
        clips = [self.read(path) for path in audio_paths]
        good = [c.audio for c in clips if not isinstance(c, str)]
        probabilities, seconds = model_probabilities(self.recognizer, good) if good else ([], 0.0)
        model = f"**{self.recognizer.device_name}** (model {seconds * 1000:.0f} ms for a batch of {len(good)})"
        results, answered = [], iter(probabilities)
        for path, clip, trim, top_db in zip(audio_paths, clips, trims, top_dbs):
            if isinstance(clip, str):
                results.append(refusal_outputs(clip, warn=False))
            else:
                results.append(self.answer(path, clip, next(answered), model, trim, top_db, start))
        return tuple(list(column) for column in zip(*results))


def create_demo(recognizer: EmotionRecognizer, batch: int = 0) -> gr.Blocks:
    """The page for one recognizer. batch=N gathers up to N requests into one forward
    pass (Gradio's batch=True); 0 answers each on its own. No side effects beyond
    building the Blocks: nothing is loaded, launched or set globally."""
    demo_handlers = EmotionDemo(recognizer)
    confusion = recognizer.folder / "run" / "confusion_test.png" if recognizer.folder else None
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
                        10, 60, value=demo_handlers.default_top_db, step=1, scale=2,
                        label="Silence threshold (dB below the peak)",
                    )
                gr.Markdown(demo_handlers.model_input_note())
                analyse = gr.Button("Analyse", variant="primary")
                gr.Examples(
                    examples=[[str(p)] for p in EXAMPLES],
                    inputs=[audio],
                    example_labels=[example_label(p) for p in EXAMPLES],
                    label="Example clips (click one)",
                    cache_examples=False,  # they run through the same path as a visitor's clip
                )
                gr.Markdown(attribution(demo_handlers.test_actors), elem_classes=["attribution"])
            with gr.Column(scale=6):
                status = gr.Markdown("Record or upload a clip, or pick an example.")
                label = gr.Label(num_top_classes=8, label="Emotion probabilities \u00b7 probabilidades")
                truth = gr.Markdown()
        plot = gr.Plot(label="Waveform before and after trimming", format="png")
        with gr.Accordion("About the model, the data and its limits", open=False):
            gr.Markdown(about(recognizer.config))
            if confusion is not None and confusion.exists():
                split = recognizer.config.get("training", {}).get("split", {})
                gr.Image(
                    str(confusion), label=f"Confusion matrix on the test actors {format_actors(split.get('test', []))}",
                    interactive=False, height=420, buttons=[],
                )

        gr.on(
            triggers=[audio.change, analyse.click, trim.input, top_db.release],
            fn=demo_handlers.predict_batch if batch else demo_handlers.predict,
            inputs=[audio, trim, top_db],
            outputs=[label, plot, truth, status],
            api_name="predict",  # the stable public API: /predict (the same with or without batching)
            **({"batch": True, "max_batch_size": batch} if batch else {}),
        )
    demo.handlers = demo_handlers  # for a warm-up call and for tests
    return demo


def main() -> None:
    # One intra-op thread per request: CONCURRENCY requests already fill the cores, and
    # torch's thread pool fighting itself (or a neighbour) made M5 25x slower on 2 cores.
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // CONCURRENCY))
    # Loaded once; on CUDA when available (also on ZeroGPU, where `spaces` makes that lazy).
    recognizer = EmotionRecognizer.load(os.environ.get("EMOTION_WEIGHTS", ROOT / "weights"))
    # EMOTION_BATCH=N: requests gathered up to N at a time; README "Reliability" has the load test both ways.
    demo = create_demo(recognizer, batch=int(os.environ.get("EMOTION_BATCH", "0")))
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=CONCURRENCY)
    if EXAMPLES:  # so the first visitor does not pay for librosa's import and torch's first call (~2 s)
        demo.handlers.predict(str(EXAMPLES[0]))
    demo.launch(max_file_size=MAX_FILE_SIZE, css=CSS)


if __name__ == "__main__":
    main()

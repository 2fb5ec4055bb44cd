"""Escuchando Emociones: the web demo. Record or upload speech, see the eight emotions.

    python app.py        # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT change it)

API (stable):
    from gradio_client import Client, handle_file
    Client("http://127.0.0.1:7860").predict(handle_file("clip.wav"), api_name="/predict")
    # -> (probabilities, figure, ground truth, status, timeline)

This file only wires Gradio components to the `emotion` library: decoding,
the clip policy (voice activity included), trimming, the model, the figures,
the About text and the page's two languages live there or in `app_text.py`.
`create_demo(recognizer)` builds the page without side effects (tests build
it too); `main()` is what `python app.py` runs. EMOTION_WEIGHTS points at
another weights folder or a Hub repo id (default: weights/ beside this file).
"""

from __future__ import annotations

try:  # ZeroGPU Spaces: `spaces` must be imported before torch touches CUDA.
    import spaces

    gpu = spaces.GPU(duration=10)  # a request holds the GPU for milliseconds; 10 s covers a cold start
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

import app_text
from app_text import text
from emotion import AudioError, EmotionRecognizer, format_actors, load_clip, trim_silence, try_parse_ravdess_name
from emotion.audio import TRIM_TOP_DB
from emotion.card import about, about_es
from emotion.display import trim_figure
from emotion.i18n import language_of, localize
from emotion.live import LiveListener

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
# Clips longer than this get a progress bar: below it the answer comes before a bar would show.
PROGRESS_SECONDS = 15.0
# Live: one update every LIVE_EVERY s over the last LIVE_SECONDS; a visitor's stream ends after
# LIVE_LIMIT s (then they press record again), and an abandoned session's state after LIVE_TTL s.
LIVE_EVERY = 0.5
LIVE_LIMIT = 300
LIVE_TTL = 600
# On a phone the two columns stack: the result column follows the recorder, and the
# figure scales to the screen's width instead of being cropped.
CSS = """
.attribution { font-size: 0.85em; opacity: 0.8; }
#figure img { max-width: 100%; height: auto; object-fit: contain; }
#figure [data-testid="block-label"] { position: relative; }  /* above the figure, not over its title */
"""

EXAMPLE_ACTORS = {try_parse_ravdess_name(p).actor for p in EXAMPLES}


@gpu
def model_answers(recognizer: EmotionRecognizer, clips: list[np.ndarray]) -> tuple[list[tuple[dict, list]], float]:
    """The model's part of a request (or of a batch of them), the only part
    that needs a GPU (and, on ZeroGPU, the only part that holds one):
    ((probabilities, timeline) per clip, seconds)."""
    start = time.perf_counter()
    answers = recognizer.analyse_batch(clips)  # .tolist() inside waits for the GPU
    return answers, time.perf_counter() - start


def input_rate(path: str, language: str) -> str:
    """The sample rate as it arrived, for the status line (ffmpeg-only formats: unknown)."""
    try:
        info = sf.info(path)
    except Exception:  # WebM, M4A: decoded by ffmpeg, which hides the header
        return text("decoded_with_ffmpeg", language)
    return text("input_rate", language, khz=info.samplerate / 1000, channels=info.channels)


def warn(message: str, language: str) -> None:
    """A toast. Its message is in the visitor's language; its title stays Gradio's "Warning"
    (Gradio 6.31's page shows the level's name there, whatever `title` says)."""
    gr.Warning(message)


def refusal_outputs(message: str, language: str | None = "en") -> tuple:
    """Empty outputs and the reason, in the user's terms; the app keeps serving.
    language=None: no toast (nothing was sent, or a batch with no one visitor to tell)."""
    if language is not None:
        warn(message, language)
    return None, None, "", f"\u26a0 {message}", None


def request_language(request: gr.Request | None) -> str:
    """The visitor's language from their browser (Accept-Language); English for API clients."""
    headers = getattr(request, "headers", None) or {}
    return language_of(headers.get("accept-language"))


class EmotionDemo:
    """The page's handlers around one recognizer; create_demo wires them to Gradio."""

    def __init__(self, recognizer: EmotionRecognizer):
        self.recognizer = recognizer
        self.test_actors = set(recognizer.config.get("training", {}).get("split", {}).get("test", []))
        self.default_top_db = float(recognizer.preprocessing.get("trim_top_db") or TRIM_TOP_DB)

    def model_input_note(self, language: str = "en") -> str:
        pre = self.recognizer.preprocessing
        if pre["trim"]:
            return text("model_hears_trimmed", language, top_db=pre["trim_top_db"])
        return text("model_hears_untrimmed", language)

    def ground_truth(self, path: str, label: str, probabilities: dict[str, float], language: str = "en") -> str:
        """Markdown comparing the prediction with the emotion in a RAVDESS file name; '' otherwise."""
        truth = try_parse_ravdess_name(path)
        if truth is None:
            return ""
        name = app_text.emotion_name
        mark = text(
            "right" if truth.emotion == label else "wrong", language,
            said=name(label, language), p=probabilities[label],
            truth=name(truth.emotion, language), p_truth=probabilities[truth.emotion],
        )
        seen = text("unheard_actor" if truth.actor in self.test_actors else "heard_actor", language)
        return text(
            "ground_truth", language, mark=mark, emotion=name(truth.emotion, language),
            intensity=app_text.intensity(truth.intensity, language), statement=truth.statement,
            actor=truth.actor, gender=app_text.gender(truth.gender, language), seen=seen,
        )

    def read(self, audio_path: str | None, language: str = "en"):
        """One request's clip (emotion.policy, voice activity included), or the message that refuses it."""
        if audio_path is None:
            return text("nothing_recorded", language)
        try:
            return load_clip(audio_path, self.recognizer.sample_rate, self.recognizer.max_seconds)
        except AudioError as e:
            return localize(e, language)

    def answer(self, audio_path: str, clip, answer: tuple[dict, list], model: str, trim: bool, top_db: float,
               start: float, language: str = "en") -> tuple:
        """The outputs for one analysed clip: (probabilities, figure, ground truth, status, timeline)."""
        probabilities, timeline = answer
        sr = self.recognizer.sample_rate
        label = max(probabilities, key=probabilities.get)
        span = trim_silence(clip.audio, top_db=top_db)[1] if trim else None
        figure = trim_figure(
            clip.audio, sr, span, timeline, speech=clip.speech, language=language,
            names={e: app_text.emotion_name(e, language, short=True) for e in probabilities},
        )
        elapsed = time.perf_counter() - start
        status = text(
            "status", language, label=app_text.emotion_name(label, language), p=probabilities[label],
            seconds=clip.seconds, speech=clip.speech_seconds, input=input_rate(audio_path, language),
            model=model, ms=elapsed * 1000,
        )
        if clip.notes:
            status = "\u26a0 " + " ".join(localize(n, language) for n in clip.notes) + "\n\n" + status
        return (
            {app_text.emotion_name(e, language): p for e, p in probabilities.items()},
            figure,
            self.ground_truth(audio_path, label, probabilities, language),
            status,
            timeline_json(timeline) if len(timeline) > 1 else None,
        )

    def predict(self, audio_path: str | None, trim: bool = True, top_db: float | None = None,
                request: gr.Request | None = None, progress=gr.Progress()) -> tuple:
        """One request: (emotion probabilities, figure, ground-truth Markdown, status Markdown, timeline).

        audio_path: a file as Gradio stores it (uploads keep their original name).
        trim, top_db: silence trimming for the figure only; the model always hears
        the clip as it heard clips in training. The words are in the visitor's
        language (their browser's), English for API clients.
        timeline: {"segments": [{start, end, label, probabilities, speech}]} for a
        clip longer than one window, else None.
        """
        start = time.perf_counter()
        language = request_language(request)
        clip = self.read(audio_path, language)
        if isinstance(clip, str):
            return refusal_outputs(clip, language if audio_path is not None else None)
        long = clip.seconds > PROGRESS_SECONDS
        if long:
            progress(0.3, desc=text("progress_model", language))
        for note in clip.notes:
            warn(localize(note, language), language)
        [answer], seconds = model_answers(self.recognizer, [clip.audio])
        add_speech(answer[1], clip.speech)
        if long:
            progress(0.8, desc=text("progress_figure", language))
        model = text("model_ran", language, device=self.recognizer.device_name, ms=seconds * 1000)
        return self.answer(audio_path, clip, answer, model, trim, self.default_top_db if top_db is None else top_db,
                           start, language)

    def predict_batch(self, audio_paths: list, trims: list, top_dbs: list) -> tuple[list, list, list, list, list]:
        """Gradio's batch=True form of `predict`: lists in, one list per output out.
        The clips that pass the checks share one forward pass. No toasts here:
        a warning raised in a batch has no single visitor to go to, so every
        message is in that visitor's status line instead (in English: a batch
        has no one browser language)."""
        start = time.perf_counter()
        clips = [self.read(path) for path in audio_paths]
        good = [c for c in clips if not isinstance(c, str)]
        answers, seconds = model_answers(self.recognizer, [c.audio for c in good]) if good else ([], 0.0)
        for answer, clip in zip(answers, good):
            add_speech(answer[1], clip.speech)
        model = text("model_ran_batch", "en", device=self.recognizer.device_name, ms=seconds * 1000, n=len(good))
        results, answered = [], iter(answers)
        for path, clip, trim, top_db in zip(audio_paths, clips, trims, top_dbs):
            if isinstance(clip, str):
                results.append(refusal_outputs(clip, None))
            else:
                results.append(self.answer(path, clip, next(answered), model, trim, top_db, start))
        return tuple(list(column) for column in zip(*results))

    # --- Live -----------------------------------------------------------------------------

    def listen(self, chunk, listener: LiveListener | None, request: gr.Request | None = None):
        """One streamed chunk from a visitor's microphone: (probabilities, status, listener).

        The listener (their state: the last few seconds and a short history) is
        bounded in memory, and dropped when they stop or leave."""
        language = request_language(request)
        if listener is None:
            listener = LiveListener(self.recognizer, seconds=app_text.LIVE_SECONDS, model=model_answers)
        if chunk is None:
            return gr.skip(), gr.skip(), listener
        sr, samples = chunk
        update = listener.feed(samples, sr)
        if update is None:  # not yet LIVE_EVERY seconds of new audio
            return gr.skip(), gr.skip(), listener
        if update.probabilities is None:
            return None, app_text.live_status(update, listener, language), listener
        probabilities = {app_text.emotion_name(e, language): p for e, p in update.probabilities.items()}
        return probabilities, app_text.live_status(update, listener, language), listener

    def stop_listening(self, listener: LiveListener | None, request: gr.Request | None = None):
        """The visitor pressed stop: keep their last answer on screen, free their audio."""
        language = request_language(request)
        summary = app_text.live_summary(listener, language) if listener is not None else text("live_idle", language)
        return summary, None


def add_speech(timeline: list, speech: list[tuple[float, float]]) -> None:
    """Mark each window of a timeline with the share of it that holds speech."""
    from emotion.speech import speech_fractions

    for segment, share in zip(timeline, speech_fractions(speech, [(s.start, s.end) for s in timeline])):
        segment.speech = round(float(share), 3)


def timeline_json(timeline: list) -> dict:
    """The timeline as the API returns it (gr.JSON)."""
    return {
        "segments": [
            {"start": round(s.start, 3), "end": round(s.end, 3), "label": s.label, "speech": s.speech,
             "probabilities": {k: round(v, 4) for k, v in s.probabilities.items()}}
            for s in timeline
        ]
    }


def create_demo(recognizer: EmotionRecognizer, batch: int = 0) -> gr.Blocks:
    """The page for one recognizer. batch=N gathers up to N requests into one forward
    pass (Gradio's batch=True); 0 answers each on its own. No side effects beyond
    building the Blocks: nothing is loaded, launched or set globally. The page's
    words are in `demo.i18n` (gr.I18n: English, Spanish), passed to launch()."""
    handlers = EmotionDemo(recognizer)
    confusion = recognizer.folder / "run" / "confusion_test.png" if recognizer.folder else None
    i18n = app_text.page_i18n(
        about={"en": about(recognizer.config), "es": about_es(recognizer.config)},
        model_input={lang: handlers.model_input_note(lang) for lang in app_text.LANGUAGES},
        attribution={lang: app_text.attribution(EXAMPLE_ACTORS, handlers.test_actors, lang) for lang in app_text.LANGUAGES},
    )
    t = i18n  # t("key"): a string the browser shows in its language
    with gr.Blocks(title="Escuchando Emociones", delete_cache=DELETE_CACHE) as demo:
        gr.Markdown(t("intro"))
        with gr.Tabs():
            with gr.Tab(t("tab_clip"), id="clip"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=5, min_width=300):
                        audio = gr.Audio(
                            sources=["microphone", "upload"],
                            type="filepath",  # the file as it arrived: load_audio reads its real sample rate
                            label=t("audio_label"),
                        )
                        analyse = gr.Button(t("analyse"), variant="primary")
                    with gr.Column(scale=6, min_width=300):
                        status = gr.Markdown(t("status_start"))
                        label = gr.Label(num_top_classes=8, label=t("probabilities"))
                        truth = gr.Markdown()
                # Plot labels are not translated by the browser (they show "[object Object]"): one label in both.
                plot = gr.Plot(label=app_text.PLOT_LABEL, format="png", elem_id="figure")
                timeline = gr.JSON(visible=False)  # in the API's answer; the page shows it in the figure
                with gr.Accordion(t("figure_settings"), open=False):
                    with gr.Row():
                        trim = gr.Checkbox(value=True, label=t("trim"), scale=1)
                        top_db = gr.Slider(10, 60, value=handlers.default_top_db, step=1, scale=2, label=t("top_db"))
                    gr.Markdown(t("model_input"))
                gr.Examples(
                    examples=[[str(p)] for p in EXAMPLES],
                    inputs=[audio],
                    example_labels=[app_text.example_label(p) for p in EXAMPLES],
                    label=t("examples"),
                    cache_examples=False,  # they run through the same path as a visitor's clip
                )
                gr.Markdown(t("attribution"), elem_classes=["attribution"])
            with gr.Tab(t("tab_live"), id="live"):
                gr.Markdown(t("live_intro"))
                with gr.Row(equal_height=False):
                    with gr.Column(scale=5, min_width=300):
                        live_audio = gr.Audio(sources=["microphone"], type="numpy", streaming=True, label=t("live_audio"))
                    with gr.Column(scale=6, min_width=300):
                        live_status = gr.Markdown(t("live_idle"), elem_id="live-status")
                        live_label = gr.Label(num_top_classes=3, label=t("live_label"), elem_id="live-label")
                listener = gr.State(None, time_to_live=LIVE_TTL)
        with gr.Accordion(t("about_label"), open=False):
            gr.Markdown(t("about"))
            if confusion is not None and confusion.exists():
                split = recognizer.config.get("training", {}).get("split", {})
                gr.Image(
                    str(confusion), label=f"{t('confusion')} {format_actors(split.get('test', []))}",
                    interactive=False, height=420, buttons=[],
                )

        gr.on(
            triggers=[audio.change, analyse.click, trim.input, top_db.release],
            fn=handlers.predict_batch if batch else handlers.predict,
            inputs=[audio, trim, top_db],
            outputs=[label, plot, truth, status, timeline],
            api_name="predict",  # the stable public API: /predict (the same with or without batching)
            **({"batch": True, "max_batch_size": batch} if batch else {}),
        )
        live_audio.stream(
            handlers.listen, inputs=[live_audio, listener], outputs=[live_label, live_status, listener],
            stream_every=LIVE_EVERY, time_limit=LIVE_LIMIT, show_progress="hidden", api_name=False,  # a page feature
            concurrency_limit=None,  # an update costs milliseconds; a queue slot per visitor would starve the others
        )
        live_audio.stop_recording(handlers.stop_listening, inputs=[listener], outputs=[live_status, listener],
                                  api_name=False)
    demo.handlers = handlers  # for tests
    demo.i18n = i18n
    return demo


def warm_up(recognizer: EmotionRecognizer) -> None:
    """So the first visitor does not pay for librosa's import and torch's first call (~2 s).
    On the CPU and outside `model_answers`: ZeroGPU gives a GPU only inside a request, and
    calling a @spaces.GPU function at start-up is refused there."""
    if not EXAMPLES:
        return
    clip = load_clip(EXAMPLES[0], recognizer.sample_rate, recognizer.max_seconds)
    if recognizer.device.type == "cpu":
        recognizer.analyse_batch([clip.audio])
    trim_figure(clip.audio, recognizer.sample_rate, trim_silence(clip.audio)[1])


def main() -> None:
    # One intra-op thread per request: CONCURRENCY requests already fill the cores, and
    # torch's thread pool fighting itself (or a neighbour) made M5 25x slower on 2 cores.
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // CONCURRENCY))
    # Loaded once; on CUDA when available (also on ZeroGPU, where `spaces` makes that lazy).
    recognizer = EmotionRecognizer.load(os.environ.get("EMOTION_WEIGHTS", ROOT / "weights"))
    # EMOTION_BATCH=N: requests gathered up to N at a time; docs/reliability.md has the load test both ways.
    demo = create_demo(recognizer, batch=int(os.environ.get("EMOTION_BATCH", "0")))
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=CONCURRENCY)
    warm_up(recognizer)
    demo.launch(max_file_size=MAX_FILE_SIZE, css=CSS, i18n=demo.i18n)


if __name__ == "__main__":
    main()

"""Every word the page shows, in English and Spanish.

Static words (labels, buttons, the About panel) go to the browser through
gr.I18n, which picks the visitor's language there; words a request makes
(status lines, refusals, ground truth, live updates) are picked on the
server from the request's Accept-Language with the same rule
(emotion.i18n.language_of). Refusals and notes from the library are worded
in emotion/i18n.py; this file holds the page's own.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from emotion import EMOTIONS_ES, format_actors, try_parse_ravdess_name
from emotion.i18n import DEFAULT_LANGUAGE, LANGUAGES

LIVE_SECONDS = 3.0  # the live answer is about the last this many seconds
PLOT_LABEL = "Waveform and emotion over time \u00b7 Onda y emoción en el tiempo"

PAGE = {
    "en": {
        "intro": "# Escuchando Emociones \u00b7 Listening to emotions\n"
        "Record a sentence with your microphone or upload a clip: the model guesses which of eight emotions is "
        "being acted, shows the waveform before and after trimming silence and, for a longer clip, the emotion "
        "over time. Or listen live.",
        "tab_clip": "Record or upload",
        "tab_live": "Live",
        "audio_label": "Your voice: record, or upload wav / flac / ogg / mp3 / webm / m4a",
        "analyse": "Analyse",
        "status_start": "Record or upload a clip, or pick an example.",
        "probabilities": "Emotion probabilities",
        "figure_settings": "Figure settings",
        "trim": "Trim silence in the figure",
        "top_db": "Silence threshold (dB below the peak)",
        "examples": "Example clips (click one)",
        "live_intro": "Press record and speak: every half second the page says which emotion it hears in your last "
        f"{LIVE_SECONDS:g} seconds. Nothing is stored; your audio is dropped when you stop or leave.",
        "live_audio": "Microphone (live)",
        "live_label": "Emotion in the last seconds",
        "live_idle": "Press record to start listening.",
        "about_label": "About the model, the data and its limits",
        "confusion": "Confusion matrix on the test actors",
    },
    "es": {
        "intro": "# Escuchando Emociones \u00b7 Listening to emotions\n"
        "Graba una frase con tu micrófono o sube un clip: el modelo estima cuál de ocho emociones se está "
        "interpretando, muestra la onda antes y después de recortar el silencio y, en un clip largo, la emoción "
        "a lo largo del tiempo. O escucha en vivo.",
        "tab_clip": "Grabar o subir",
        "tab_live": "En vivo",
        "audio_label": "Tu voz: graba, o sube wav / flac / ogg / mp3 / webm / m4a",
        "analyse": "Analizar",
        "status_start": "Graba o sube un clip, o elige un ejemplo.",
        "probabilities": "Probabilidades de cada emoción",
        "figure_settings": "Ajustes de la figura",
        "trim": "Recortar el silencio en la figura",
        "top_db": "Umbral de silencio (dB bajo el pico)",
        "examples": "Clips de ejemplo (haz clic en uno)",
        "live_intro": "Pulsa grabar y habla: cada medio segundo la página dice qué emoción oye en tus últimos "
        f"{LIVE_SECONDS:g} segundos. No se guarda nada; tu audio se descarta al parar o salir.",
        "live_audio": "Micrófono (en vivo)",
        "live_label": "Emoción en los últimos segundos",
        "live_idle": "Pulsa grabar para empezar a escuchar.",
        "about_label": "Sobre el modelo, los datos y sus límites",
        "confusion": "Matriz de confusión de los actores de prueba",
    },
}

# Words a request fills in (str.format fields).
REPLIES = {
    "en": {
        "nothing_recorded": "No audio yet: record with the microphone or upload a file, then press Analyse.",
        "status": "**{label}** ({p:.0%}) \u00b7 {seconds:.2f} s analysed, {speech:.1f} s of speech heard "
        "(input: {input})  \nModel ran on {model} \u00b7 decoding, voice detection, model and figure took "
        "**{ms:.0f} ms** (the figure is then sent as a PNG)",
        "model_ran": "**{device}** (model {ms:.0f} ms)",
        "model_ran_batch": "**{device}** (model {ms:.0f} ms for a batch of {n})",
        "input_rate": "{khz:g} kHz, {channels} channel(s)",
        "decoded_with_ffmpeg": "decoded with ffmpeg",
        "progress_model": "Listening to the whole clip",
        "progress_figure": "Drawing the figure",
        "model_hears_trimmed": "The model always hears your clip as it heard clips in training: **trimmed** at "
        "{top_db:g} dB (`preprocessing.trim` is on in the weights' config). These controls change the figure only.",
        "model_hears_untrimmed": "The model always hears your clip as it heard clips in training: **untrimmed** "
        "(`preprocessing.trim` is off in the weights' config). These controls change the figure only.",
        "right": "**\u2713 Right**: the model says {said} ({p:.0%}).",
        "wrong": "**\u2717 Wrong**: the model says {said} ({p:.0%}); the actor performed {truth} ({p_truth:.0%}).",
        "unheard_actor": "a test actor the model never heard",
        "heard_actor": "**heard in training**, so this is not a fair test",
        "ground_truth": "### Ground truth from the file name\n{mark}\n\n- **emotion**: {emotion}, {intensity} intensity\n"
        "- **statement**: \u201c{statement}\u201d\n- **actor**: {actor} ({gender}), {seen}\n",
        "live_waiting": "Listening\u2026 ({seconds:.1f} s so far)",
        "live_no_speech": "Listening\u2026 no speech heard in the last {window:g} s.",
        "live_now": "**{label}** ({p:.0%}) in the last {window:g} s \u00b7 update every {every:.2f} s, "
        "model {ms:.0f} ms",
        "live_history": "Recent: {history}",
        "live_summary": "Stopped after {seconds:.0f} s. Most often heard: **{label}** ({share:.0%} of {n} updates with speech).",
        "live_summary_none": "Stopped after {seconds:.0f} s: no speech was heard.",
        "live_idle": "Press record to start listening.",
    },
    "es": {
        "nothing_recorded": "Aún no hay audio: graba con el micrófono o sube un archivo y pulsa Analizar.",
        "status": "**{label}** ({p:.0%}) \u00b7 {seconds:.2f} s analizados, {speech:.1f} s de voz oída "
        "(entrada: {input})  \nEl modelo corrió en {model} \u00b7 decodificar, detectar la voz, el modelo y la "
        "figura tardaron **{ms:.0f} ms** (luego la figura se envía como PNG)",
        "model_ran": "**{device}** (modelo {ms:.0f} ms)",
        "model_ran_batch": "**{device}** (modelo {ms:.0f} ms para un lote de {n})",
        "input_rate": "{khz:g} kHz, {channels} canal(es)",
        "decoded_with_ffmpeg": "decodificado con ffmpeg",
        "progress_model": "Escuchando el clip entero",
        "progress_figure": "Dibujando la figura",
        "model_hears_trimmed": "El modelo oye tu clip como oyó los clips al entrenar: **recortado** a {top_db:g} dB "
        "(`preprocessing.trim` está activado en la configuración de los pesos). Estos controles solo cambian la figura.",
        "model_hears_untrimmed": "El modelo oye tu clip como oyó los clips al entrenar: **sin recortar** "
        "(`preprocessing.trim` está desactivado en la configuración de los pesos). Estos controles solo cambian la figura.",
        "right": "**\u2713 Acierto**: el modelo dice {said} ({p:.0%}).",
        "wrong": "**\u2717 Fallo**: el modelo dice {said} ({p:.0%}); el actor interpretó {truth} ({p_truth:.0%}).",
        "unheard_actor": "un actor de prueba que el modelo nunca oyó",
        "heard_actor": "**oído al entrenar**, así que no es una prueba justa",
        "ground_truth": "### La verdad, según el nombre del archivo\n{mark}\n\n- **emoción**: {emotion}, intensidad {intensity}\n"
        "- **frase**: \u201c{statement}\u201d\n- **actor**: {actor} ({gender}), {seen}\n",
        "live_waiting": "Escuchando\u2026 ({seconds:.1f} s hasta ahora)",
        "live_no_speech": "Escuchando\u2026 no se oye voz en los últimos {window:g} s.",
        "live_now": "**{label}** ({p:.0%}) en los últimos {window:g} s \u00b7 se actualiza cada {every:.2f} s, "
        "modelo {ms:.0f} ms",
        "live_history": "Reciente: {history}",
        "live_summary": "Parado tras {seconds:.0f} s. Lo más oído: **{label}** ({share:.0%} de {n} momentos con voz).",
        "live_summary_none": "Parado tras {seconds:.0f} s: no se oyó voz.",
        "live_idle": "Pulsa grabar para empezar a escuchar.",
    },
}

INTENSITY = {"es": {"normal": "normal", "strong": "fuerte"}}
GENDER = {"es": {"female": "mujer", "male": "hombre"}}


def text(key: str, language: str = DEFAULT_LANGUAGE, **fields) -> str:
    """A reply's words in `language` (English where it has none), filled in."""
    words = REPLIES.get(language, REPLIES[DEFAULT_LANGUAGE])
    return words[key].format(**fields)


def emotion_name(emotion: str, language: str = DEFAULT_LANGUAGE, short: bool = False) -> str:
    """'angry · Enojado' on the English page (the project's bilingual names), 'Enojado' on the Spanish one."""
    if language == "es":
        return EMOTIONS_ES[emotion]
    return emotion if short else f"{emotion} \u00b7 {EMOTIONS_ES[emotion]}"


def intensity(value: str, language: str) -> str:
    return INTENSITY.get(language, {}).get(value, value)


def gender(value: str, language: str) -> str:
    return GENDER.get(language, {}).get(value, value)


def example_label(path: Path) -> str:
    """The bilingual label of an example clip: read the same in both languages."""
    name = try_parse_ravdess_name(path)
    return f"{emotion_name(name.emotion)} (actor {name.actor})" if name else path.name


def attribution(example_actors: set[int], test_actors: set[int], language: str = DEFAULT_LANGUAGE) -> str:
    """Credit for the example clips (CC BY-NC-SA asks for it), and whether these weights heard their actors."""
    unheard = example_actors <= test_actors
    reference = (
        "Livingstone SR, Russo FA (2018), *The Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS)*, "
        "PLoS ONE 13(5): e0196391, [doi:10.1371/journal.pone.0196391](https://doi.org/10.1371/journal.pone.0196391)."
    )
    if language == "es":
        return (
            f"Clips de ejemplo: RAVDESS, actores {format_actors(example_actors)}"
            f"{' (el modelo nunca los oyó al entrenar)' if unheard else ''}. {reference} "
            "Licencia [CC BY-NC-SA 4.0](https://creativecommons.org/licenses/by-nc-sa/4.0/)."
        )
    return (
        f"Example clips: RAVDESS, actors {format_actors(example_actors)}"
        f"{' (never heard by this model in training)' if unheard else ''}. {reference} "
        "Licensed [CC BY-NC-SA 4.0](https://creativecommons.org/licenses/by-nc-sa/4.0/)."
    )


def page_i18n(**generated: dict[str, str]) -> gr.I18n:
    """The page's static words plus words generated from the weights at build time
    (about, attribution, ...: key -> {language: text})."""
    tables = {lang: dict(PAGE[lang]) for lang in LANGUAGES}
    for key, by_language in generated.items():
        for lang in LANGUAGES:
            tables[lang][key] = by_language.get(lang, by_language[DEFAULT_LANGUAGE])
    return gr.I18n(**tables)


def live_status(update, listener, language: str) -> str:
    """The live tab's Markdown for one update: the answer now and a short history."""
    if update.probabilities is None:
        key = "live_no_speech" if update.heard_seconds >= listener.seconds else "live_waiting"
        line = text(key, language, window=listener.seconds, seconds=update.heard_seconds)
    else:
        label = max(update.probabilities, key=update.probabilities.get)
        line = text("live_now", language, label=emotion_name(label, language), p=update.probabilities[label],
                    window=listener.seconds, every=update.interval, ms=update.model_seconds * 1000)
    history = " \u2192 ".join(emotion_name(label, language, short=True) if label else "\u2013"
                              for label in listener.recent_labels())
    return line + ("\n\n" + text("live_history", language, history=history) if history else "")


def live_summary(listener, language: str) -> str:
    counts = listener.label_counts()
    if not counts:
        return text("live_summary_none", language, seconds=listener.heard_seconds)
    label = max(counts, key=counts.get)
    n = sum(counts.values())
    return text("live_summary", language, seconds=listener.heard_seconds, label=emotion_name(label, language),
                share=counts[label] / n, n=n)

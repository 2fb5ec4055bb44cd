"""What a person reads, in English and Spanish: refusals, notes, and the page's language.

The library's messages are written once, here, with their Spanish twins, so
the CLI, the library and the app word a refusal the same way in each
language. Errors carry a `key` and the numbers that fill the message
(emotion.audio.AudioError), and `localize` words them for a visitor:

    try:
        load_clip(path)
    except AudioError as e:
        localize(e, "es")      # 'El clip es demasiado corto (310 ms): ...'

The language is the browser's (`Accept-Language`), English otherwise.
"""

from __future__ import annotations

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"

MESSAGES: dict[str, dict[str, str]] = {
    "unreadable": {
        "en": "Could not read {name} as audio: it is not a sound recording in a format we can decode "
        "(wav, flac, ogg, mp3, webm, m4a).",
        "es": "No se pudo leer {name} como audio: no es una grabación de sonido en un formato que sepamos "
        "decodificar (wav, flac, ogg, mp3, webm, m4a).",
    },
    "no_ffmpeg": {
        "en": "Could not read {name} as audio: it is not WAV, FLAC, OGG or MP3, the formats readable without "
        "ffmpeg (install ffmpeg for WebM, M4A and AAC).",
        "es": "No se pudo leer {name} como audio: no es WAV, FLAC, OGG ni MP3, los formatos que se leen sin "
        "ffmpeg (instale ffmpeg para WebM, M4A y AAC).",
    },
    "no_sound_track": {
        "en": "Could not read {name} as audio: it has no sound track.",
        "es": "No se pudo leer {name} como audio: no tiene pista de sonido.",
    },
    "no_samples": {
        "en": "{name} contains no audio samples.",
        "es": "{name} no contiene muestras de audio.",
    },
    "empty_file": {
        "en": "{name} is empty (0 bytes).",
        "es": "{name} está vacío (0 bytes).",
    },
    "too_short": {
        "en": "The clip is too short ({ms:.0f} ms): record at least {min_seconds:g} s of speech, such as one short sentence.",
        "es": "El clip es demasiado corto ({ms:.0f} ms): grabe al menos {min_seconds:g} s de voz, por ejemplo una frase corta.",
    },
    "silent": {
        "en": "The clip is silent ({dbfs:.0f} dBFS): there is no voice to analyse. "
        "Check that the right microphone is selected and not muted, then record again.",
        "es": "El clip está en silencio ({dbfs:.0f} dBFS): no hay voz que analizar. "
        "Compruebe que el micrófono correcto está seleccionado y no silenciado, y vuelva a grabar.",
    },
    "digital_silence": {
        "en": "The clip is silent (digital silence): there is no voice to analyse. "
        "Check that the right microphone is selected and not muted, then record again.",
        "es": "El clip está en silencio (silencio digital): no hay voz que analizar. "
        "Compruebe que el micrófono correcto está seleccionado y no silenciado, y vuelva a grabar.",
    },
    "no_speech": {
        "en": "No speech heard: nobody seems to be speaking in this recording (only silence, noise, music or a tone). "
        "Record someone speaking, close to the microphone.",
        "es": "No se oye a nadie hablar: en esta grabación no parece haber voz (solo silencio, ruido, música o un tono). "
        "Graba a alguien hablando, cerca del micrófono.",
    },
    "music_no_speech": {
        "en": "No speech heard: nobody seems to be speaking in this recording. It sounds like music or a tone, "
        "with no voice in it. Record someone speaking, close to the microphone.",
        "es": "No se oye a nadie hablar: en esta grabación no parece haber voz. Suena a música o a un tono, "
        "sin ninguna voz. Graba a alguien hablando, cerca del micrófono.",
    },
    "longer_than_limit": {
        "en": "The clip is longer than {max_seconds:g} s: only its first {max_seconds:g} s were analysed.",
        "es": "El clip dura más de {max_seconds:g} s: solo se analizaron sus primeros {max_seconds:g} s.",
    },
}

def message(key: str, language: str = DEFAULT_LANGUAGE, **params) -> str:
    """The message `key` in `language` (English where there is no such language), filled with `params`."""
    texts = MESSAGES[key]
    return texts.get(language, texts[DEFAULT_LANGUAGE]).format(**params)


def localize(error: Exception, language: str = DEFAULT_LANGUAGE) -> str:
    """An AudioError (or a note) worded for `language`; an error without a key keeps its own words."""
    key = getattr(error, "key", None)
    if key is None or key not in MESSAGES:
        return str(error)
    return message(key, language, **error.params)


def language_of(accept_language: str | None) -> str:
    """The page language for an Accept-Language header ('es-ES,es;q=0.9,en;q=0.8' -> 'es'):
    the supported language the browser prefers most, English when it prefers none."""
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        q -= i * 1e-6  # equal weights: the earlier tag wins
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best

"""English and Spanish: the browser's language picks the words, and every refusal has both."""

from __future__ import annotations

import string

import numpy as np
import pytest

from emotion import AudioError, check_clip, load_clip
from emotion.i18n import LANGUAGES, MESSAGES, language_of, localize


@pytest.mark.parametrize(
    "header,expected",
    [
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("es-419", "es"),
        ("en-GB,en;q=0.9,es;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,es;q=0.5,en;q=0.4", "es"),  # neither French: Spanish is preferred over English
        ("fr-FR,de;q=0.5", "en"),
        ("", "en"),
        (None, "en"),
        ("es;q=abc,en", "en"),  # a malformed weight is ignored, not a crash
    ],
)
def test_the_page_language_is_the_supported_one_the_browser_prefers(header, expected):
    assert language_of(header) == expected


def test_every_message_exists_in_every_language_with_the_same_blanks():
    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGUAGES), key
        blanks = {lang: {name for _, name, _, _ in string.Formatter().parse(text) if name} for lang, text in texts.items()}
        assert blanks["es"] == blanks["en"], key


def test_refusals_are_worded_in_spanish_with_the_same_numbers(tmp_path):
    with pytest.raises(AudioError) as short:
        check_clip(np.full(4000, 0.1, dtype=np.float32))
    assert localize(short.value, "es").startswith("El clip es demasiado corto (250 ms)")
    assert localize(short.value, "en") == str(short.value)

    with pytest.raises(AudioError) as silent:
        check_clip(np.zeros(16000, dtype=np.float32))
    assert localize(silent.value, "es").startswith("El clip está en silencio (silencio digital)")

    (tmp_path / "notas.wav").write_text("esto no es audio\n" * 50)
    with pytest.raises(AudioError) as unreadable:
        load_clip(tmp_path / "notas.wav")
    assert localize(unreadable.value, "es").startswith("No se pudo leer 'notas.wav' como audio")


def test_notes_on_an_answered_clip_are_worded_in_spanish():
    from emotion import load_audio
    from tests.conftest import EXAMPLE_CLIPS

    clip = check_clip(load_audio(EXAMPLE_CLIPS[4])[16000:], max_seconds=2.0)  # speech from the first sample
    [note] = clip.notes
    assert note.startswith("The clip is longer than 2 s")
    assert localize(note, "es") == "El clip dura más de 2 s: solo se analizaron sus primeros 2 s."


def test_an_error_without_a_message_key_keeps_its_own_words():
    assert localize(AudioError("Invalid sample rate: 0."), "es") == "Invalid sample rate: 0."

"""The app's handlers on real clips with the shipped model: every output, the page
built without side effects, and the About panel rendered from the weights' config.
(Bad input, for the app as for every other layer, is tests/test_bad_input.py.)"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile as sf

from conftest import EXAMPLE_CLIPS
from emotion import EMOTIONS, EMOTIONS_ES, load_audio, parse_ravdess_name, trim_silence
from emotion.display import panel

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # gr.Warning outside a request


@pytest.fixture(scope="module")
def app(handlers):
    return handlers


def waveform_lines(figure, name):
    (line,) = panel(figure, name)["waveform"]
    return line.get_xydata()  # (points, 2): time in s, amplitude


def kept_span(figure):
    (kept,) = panel(figure, "original")["kept"]
    return kept


def test_example_clip_gives_every_output(app, example_clips):
    clip = example_clips[4]  # 03-01-05-02-01-01-21.flac: angry, actor 21
    labels, figure, truth, status, _ = app.predict(str(clip), True, 30.0)

    # All eight emotions, both languages, a distribution.
    assert list(labels) == [f"{e} \u00b7 {EMOTIONS_ES[e]}" for e in EMOTIONS]
    assert sum(labels.values()) == pytest.approx(1.0, abs=1e-5)
    assert all(0.0 <= p <= 1.0 for p in labels.values())
    best = max(labels, key=labels.get)
    assert best in status and f"Model ran on **{app.recognizer.device_name}**" in status and " ms" in status
    assert "48 kHz" in status  # the rate that arrived, read from the file

    # One figure, two panels: the original with the kept span shaded, the trimmed signal below.
    audio = load_audio(clip)
    trimmed, (start, end) = trim_silence(audio, top_db=30.0)
    original_xy, trimmed_xy = waveform_lines(figure, "original"), waveform_lines(figure, "trimmed")
    assert original_xy[:, 0].max() == pytest.approx(len(audio) / 16000, abs=0.01)
    assert original_xy[:, 1].min() == pytest.approx(audio.min()) and original_xy[:, 1].max() == pytest.approx(audio.max())
    assert trimmed_xy[:, 0].min() == pytest.approx(0.0, abs=0.01)
    assert trimmed_xy[:, 0].max() == pytest.approx(len(trimmed) / 16000, abs=0.01)
    assert trimmed_xy[:, 1].max() == pytest.approx(trimmed.max())
    kept = kept_span(figure)
    assert kept.get_x() == pytest.approx(start / 16000)
    assert kept.get_x() + kept.get_width() == pytest.approx(end / 16000)
    assert f"removed {(len(audio) - len(trimmed)) / 16000:.2f} s" in figure.get_suptitle()
    assert [t.get_text() for t in panel(figure, "time")["xlabel"]] == ["time (s)"]
    ticks = [float(t.get_text()) for t in panel(figure, "time")["tick"]]
    assert ticks[0] == 0 and len(ticks) >= 3 and ticks[-1] <= len(audio) / 16000

    # The file name is RAVDESS: the truth, with a right/wrong mark that agrees with the prediction.
    name = parse_ravdess_name(clip)
    assert "Ground truth" in truth
    for fact in ("angry \u00b7 Enojado", "strong", name.statement, "21 (male)", "never heard"):
        assert fact in truth
    right = best.startswith("angry")
    assert ("**\u2713 Right**" in truth) is right and ("**\u2717 Wrong**" in truth) is not right


def test_model_hears_the_same_audio_whatever_the_trim_control_says(app, example_clips):
    clip = str(example_clips[1])
    with_trim, fig_on, _, _, _ = app.predict(clip, True, 20.0)
    without, fig_off, _, _, _ = app.predict(clip, False, 20.0)
    assert with_trim == pytest.approx(without)
    assert app.recognizer.predict(clip).probabilities == pytest.approx(
        {k.split(" \u00b7 ")[0]: v for k, v in without.items()}
    )
    # Trimming off: nothing shaded away, the lower panel is the whole clip.
    assert "Trimming off" in fig_off.get_suptitle()
    assert len(waveform_lines(fig_off, "trimmed")) == len(waveform_lines(fig_off, "original"))
    # A stricter threshold keeps less.
    kept_20 = kept_span(fig_on)
    _, fig_60, _, _, _ = app.predict(clip, True, 60.0)
    kept_60 = kept_span(fig_60)
    assert kept_60.get_width() > kept_20.get_width()


def test_the_ui_says_what_the_model_hears(app):
    trims = app.recognizer.preprocessing["trim"]
    assert ("**trimmed**" if trims else "**untrimmed**") in app.model_input_note()


def test_non_ravdess_name_has_no_ground_truth(app, example_clips, tmp_path):
    mine = tmp_path / "my_voice.flac"
    shutil.copy(example_clips[0], mine)
    labels, figure, truth, status, _ = app.predict(str(mine), True, 30.0)
    assert truth == ""
    assert len(labels) == 8 and set(panel(figure, "original")) >= {"waveform", "kept"} and "Model ran on" in status


def test_long_clip_is_analysed_over_its_first_minute_with_a_note(app, example_clips, tmp_path):
    audio = load_audio(example_clips[3])
    long = tmp_path / "long.wav"
    sf.write(long, np.tile(audio, int(70 * 16000 / len(audio)) + 1), 16000)
    labels, figure, _, status, _ = app.predict(str(long), True, 30.0)
    assert "longer than 60 s" in status and "60.00 s analysed" in status
    assert len(labels) == 8
    assert waveform_lines(figure, "original")[:, 0].max() == pytest.approx(60.0, abs=0.1)


def test_examples_ship_with_attribution(recognizer):
    import app as module

    assert [p.name for p in module.EXAMPLES] == [p.name for p in EXAMPLE_CLIPS]
    import app_text

    test_actors = set(recognizer.config["training"]["split"]["test"])
    text = app_text.attribution(module.EXAMPLE_ACTORS, test_actors)
    for fact in ("CC BY-NC-SA 4.0", "Livingstone", "Russo", "2018", "10.1371/journal.pone.0196391",
                 "actors 21\u201324 (never heard by this model in training)"):
        assert fact in text
    assert "never heard" not in app_text.attribution(module.EXAMPLE_ACTORS, {1, 2, 3})  # weights that trained on them do not claim it
    spanish = app_text.attribution(module.EXAMPLE_ACTORS, test_actors, "es")
    assert "actores 21\u201324 (el modelo nunca los oyó al entrenar)" in spanish and "CC BY-NC-SA 4.0" in spanish


@pytest.mark.slow
def test_importing_the_app_and_the_library_has_no_side_effects():
    """In a fresh interpreter: importing loads no model and leaves torch's thread count alone."""
    import subprocess
    import sys

    from conftest import ROOT

    probe = (
        "import torch; before = torch.get_num_threads(); import app, emotion, emotion.card, emotion.display\n"
        "assert torch.get_num_threads() == before, (before, torch.get_num_threads())\n"
        "assert not hasattr(app, 'recognizer') and not hasattr(app, 'demo')\n"
        "print('ok', before)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("ok"), out.stderr[-2000:]


def test_building_the_page_has_no_side_effects(recognizer):
    """create_demo(recognizer) builds the Blocks, nothing more: no thread count changed, nothing launched."""
    import torch

    import app as module

    threads = torch.get_num_threads()
    demo = module.create_demo(recognizer)
    assert torch.get_num_threads() == threads
    api = demo.get_api_info()["named_endpoints"]
    assert list(api) == ["/predict"] and [p["parameter_name"] for p in api["/predict"]["parameters"]] == ["audio_path", "trim", "top_db"]
    assert len(api["/predict"]["returns"]) == 5  # probabilities, figure, ground truth, status, timeline
    assert demo.handlers.recognizer is recognizer


def test_about_panel_is_rendered_from_the_config_by_the_model_card_code(recognizer):
    from emotion.card import about

    import app as module

    from emotion.card import about_es

    config = recognizer.config
    demo = module.create_demo(recognizer)
    shown = [c.value for c in demo.blocks.values() if type(c).__name__ == "Markdown"]
    assert str(demo.i18n("about")) in shown  # the panel shows the "about" words in the browser's language
    words = demo.i18n.translations_dict
    assert words["en"]["about"] == about(config)  # exactly the library's rendering, not a copy
    assert words["es"]["about"] == about_es(config)
    assert set(words["en"]) == set(words["es"])  # every word of the page in both languages
    test = config["metrics"]["test"]
    text = about(config)
    assert f"{test['accuracy']:.1%}" in text and f"{test['uar']:.1%}" in text and "21\u201324" in text
    assert "1\u201316 train" in text and "17\u201320 validation" in text
    assert (recognizer.folder / "run" / "confusion_test.png").exists()


def test_batched_handler_answers_each_request_as_the_single_one_does(app, example_clips, tmp_path):
    """EMOTION_BATCH=N serves predict_batch: one forward pass for the good clips of
    a batch, each bad one refused in its own status line, order kept."""
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(16000, np.float32), 16000)
    paths = [str(example_clips[0]), None, str(silent), str(example_clips[4])]
    labels, figures, truths, statuses, _ = app.predict_batch(paths, [True] * 4, [30.0] * 4)
    assert len(labels) == len(figures) == len(truths) == len(statuses) == 4

    for i in (0, 3):
        single = app.predict(paths[i], True, 30.0)[0]
        assert labels[i] == pytest.approx(single, abs=1e-5)  # batching changes nothing
        assert figures[i] is not None and "batch of 2" in statuses[i] and "Ground truth" in truths[i]
    assert labels[1] is None and figures[1] is None and "No audio yet" in statuses[1]
    assert labels[2] is None and "silent" in statuses[2]
    assert app.predict_batch([None], [True], [30.0])[3] == [statuses[1]]  # a batch with nothing to run


class SpanishBrowser:
    """A request from a browser whose first language is Spanish, as gr.Request presents it."""

    headers = {"accept-language": "es-ES,es;q=0.9,en;q=0.8"}


def test_a_spanish_browser_gets_the_answer_and_the_refusals_in_spanish(app, example_clips, tmp_path):
    labels, figure, truth, status, timeline = app.predict(str(example_clips[4]), True, 30.0, SpanishBrowser())
    assert max(labels, key=labels.get) == "Enojado" and set(labels) == set(EMOTIONS_ES.values())
    assert "**Enojado**" in status and "s de voz oída" in status and "El modelo corrió en" in status
    assert "### La verdad, según el nombre del archivo" in truth and "**\u2713 Acierto**" in truth
    assert figure.get_suptitle().startswith("El recorte quitó")
    import soundfile as sf

    sf.write(tmp_path / "tono.wav", 0.3 * np.sin(2 * np.pi * 440 * np.arange(48000) / 16000), 16000)
    labels, figure, truth, status, timeline = app.predict(str(tmp_path / "tono.wav"), True, 30.0, SpanishBrowser())
    assert labels is None and status.startswith("\u26a0 No se oye a nadie hablar")
    assert app.predict(None, True, 30.0, SpanishBrowser())[3] == "\u26a0 Aún no hay audio: graba con el micrófono o sube un archivo y pulsa Analizar."


def test_a_clip_longer_than_one_window_gets_a_timeline_in_the_answer_and_the_figure(app, example_clips, tmp_path):
    import soundfile as sf

    from emotion import load_audio

    joined = np.concatenate([load_audio(example_clips[4]), load_audio(example_clips[3])])  # angry, then sad
    sf.write(tmp_path / "joined.wav", joined, 16000)
    _, figure, _, status, timeline = app.predict(str(tmp_path / "joined.wav"), True, 30.0)
    segments = timeline["segments"]
    assert len(segments) > 4 and segments[0]["start"] == 0 and segments[-1]["end"] == pytest.approx(len(joined) / 16000, abs=1e-3)
    assert segments[0]["label"] == "angry" and segments[-1]["label"] != "angry"
    assert all(0 <= s["speech"] <= 1 for s in segments)
    lines = panel(figure, "timeline")
    assert "angry" in lines and len(lines["angry"][0].get_xdata()) == len(segments)
    # One window (a clip of at most 3 s): no timeline.
    sf.write(tmp_path / "short.wav", load_audio(example_clips[4])[16000 : 16000 + 2 * 16000], 16000)
    _, figure, _, _, timeline = app.predict(str(tmp_path / "short.wav"), True, 30.0)
    assert timeline is None and "timeline" not in {g.split(":")[0] for g in (a.get_gid() or "" for a in figure.artists)}

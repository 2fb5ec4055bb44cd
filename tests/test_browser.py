"""The page as a visitor uses it, in headless Chromium: upload a clip, and record
one through the microphone (Chromium's fake capture device playing a test
actor's clip). Screenshots go to test-artifacts/ for a person to look at."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from conftest import ARTIFACTS

# The flags checked in /work/shared/NOTES.md; the last four keep Chromium from phoning home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000  # first request on a busy 2-core machine


@pytest.fixture(scope="module")
def playwright():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        yield p


def open_page(playwright, chromium_path, url, extra_args=()):
    browser = playwright.chromium.launch(
        executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS + list(extra_args)
    )
    context = browser.new_context(permissions=["microphone"], viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url)
    page.get_by_text("Escuchando Emociones").first.wait_for(timeout=TIMEOUT_MS)
    return browser, page


def assert_prediction_and_plot(page, device):
    page.get_by_text("Model ran on").wait_for(timeout=TIMEOUT_MS)
    assert device in page.get_by_text("Model ran on").inner_text()
    label = page.locator(".output-class")  # the Label's heading: the most probable emotion
    label.wait_for(timeout=TIMEOUT_MS)
    assert "\u00b7" in label.inner_text()  # "angry · Enojado"
    plot = page.locator("img[src^='data:image/png']").first
    plot.wait_for(timeout=TIMEOUT_MS)
    box = plot.bounding_box()
    assert box["width"] > 400 and box["height"] > 150


def test_upload_an_example_clip(playwright, chromium_path, app_url, example_clips, served_device):
    clip = example_clips[5]  # 03-01-06-02-01-01-22.flac: fearful, actor 22
    browser, page = open_page(playwright, chromium_path, app_url)
    try:
        page.get_by_role("button", name="Upload file").click()
        with page.expect_file_chooser() as chooser:
            page.get_by_text("Drop Audio Here").click()
        chooser.value.set_files(str(clip))
        assert_prediction_and_plot(page, served_device)
        truth = page.get_by_text("Ground truth from the file name")
        truth.wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_text("22 (female)").is_visible()
        assert page.get_by_text("48 kHz").is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser_upload.png"), full_page=True)

        # An example clip runs through the same path.
        page.get_by_role("button", name="sad \u00b7 Triste (actor 24)").click()
        page.get_by_text("24 (female)").wait_for(timeout=TIMEOUT_MS)
        # The about panel: honest numbers and the confusion matrix.
        page.get_by_role("button", name="About the model, the data and its limits").click()
        page.get_by_text("How good is it?").wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("Other voices and channels").wait_for(timeout=TIMEOUT_MS)  # the benchmark, from config.json
        confusion = page.locator("img[src*='confusion_test']")
        confusion.wait_for(state="attached", timeout=TIMEOUT_MS)
        confusion.scroll_into_view_if_needed(timeout=TIMEOUT_MS)  # lazily loaded, below the benchmark table
        confusion.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=confusion.element_handle())
        page.screenshot(path=str(ARTIFACTS / "browser_about.png"), full_page=True)
    finally:
        browser.close()


def test_record_through_the_microphone(playwright, chromium_path, app_url, example_clips, tmp_path, served_device):
    # Chromium's fake capture device wants a WAV file; the clip is a test actor's, as a visitor would speak.
    audio, sr = sf.read(example_clips[2], dtype="int16")  # 03-01-03-02-01-01-23.flac: happy, actor 23
    wav = tmp_path / "voice.wav"
    sf.write(wav, audio, sr, subtype="PCM_16")
    browser, page = open_page(
        playwright, chromium_path, app_url, [f"--use-file-for-fake-audio-capture={wav}%noloop"]
    )
    try:
        page.get_by_role("button", name="Record", exact=True).click()
        page.wait_for_timeout(int(len(audio) / sr * 1000) + 1000)
        page.get_by_role("button", name="Stop").click()
        assert_prediction_and_plot(page, served_device)
        status = page.get_by_text("Model ran on").inner_text()  # "... 4.92 s analysed (input: 44.1 kHz ...)"
        seconds = float(status.split(" s analysed")[0].rsplit(" ", 1)[-1])
        assert seconds > len(audio) / sr  # the whole clip arrived
        # A recording has no RAVDESS name, so no ground truth is claimed.
        assert page.get_by_text("Ground truth from the file name").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser_microphone.png"), full_page=True)
    finally:
        browser.close()


def test_live_tab_shows_updates_while_the_microphone_plays_and_stops_cleanly(playwright, chromium_path, app_url,
                                                                              example_clips, tmp_path):
    # A test actor's angry clip, twice over with a pause, as the fake microphone's voice.
    audio, sr = sf.read(example_clips[4], dtype="int16")  # 03-01-05-02-01-01-21.flac: angry, actor 21
    wav = tmp_path / "live.wav"
    sf.write(wav, np.concatenate([audio, np.zeros(sr // 2, np.int16), audio]), sr, subtype="PCM_16")
    browser, page = open_page(playwright, chromium_path, app_url, [f"--use-file-for-fake-audio-capture={wav}%noloop"])
    try:
        page.get_by_role("tab", name="Live").click()
        status = page.locator("#live-status")
        status.get_by_text("Press record to start listening.").wait_for(timeout=TIMEOUT_MS)
        page.locator("#live-status").scroll_into_view_if_needed()
        page.get_by_role("button", name="Record", exact=True).last.click()
        seen = set()
        for _ in range(40):  # ~10 s: the clip plays twice; each update changes the text
            page.wait_for_timeout(250)
            seen.add(status.inner_text())
        answered = [s for s in seen if "in the last 3 s" in s]
        assert len(answered) >= 4, seen  # updates kept coming while the voice played
        assert any("Recent:" in s for s in answered)
        page.locator("#live-label .output-class").wait_for(timeout=TIMEOUT_MS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser_live.png"), full_page=True)
        page.get_by_role("button", name="Stop").last.click()
        status.get_by_text("Stopped after").wait_for(timeout=TIMEOUT_MS)
        after = status.inner_text()
        page.wait_for_timeout(1500)
        assert status.inner_text() == after  # nothing streams after stop
    finally:
        browser.close()


def test_a_spanish_browser_sees_the_spanish_page_and_a_spanish_refusal(playwright, chromium_path, app_url, tmp_path):
    browser = playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(locale="es-ES", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(app_url)
        page.get_by_text("Graba una frase con tu micrófono").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Analizar").wait_for(timeout=TIMEOUT_MS)
        for words in ("Grabar o subir", "En vivo", "Sobre el modelo, los datos y sus límites"):
            page.get_by_role("tab" if words != "Sobre el modelo, los datos y sus límites" else "button", name=words).first.wait_for(
                timeout=TIMEOUT_MS)
        notes = tmp_path / "notas.wav"
        notes.write_text("esto no es audio\n" * 50)
        page.get_by_role("button", name="Upload file").click()  # Gradio's own aria-label, English in every locale
        page.locator("input[type=file]").first.set_input_files(str(notes))
        page.get_by_text("No se pudo leer 'notas.wav' como audio").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Sobre el modelo, los datos y sus límites").click()
        page.get_by_text("¿Qué tan bueno es?").wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_text("otros idiomas y acentos").first.is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser_spanish.png"), full_page=True)
    finally:
        browser.close()


def test_on_a_phone_the_result_follows_the_recorder_and_nothing_is_cut(playwright, chromium_path, app_url, example_clips,
                                                                       tmp_path):
    from emotion import load_audio

    joined = tmp_path / "angry_then_sad.wav"  # long enough for a timeline
    sf.write(joined, np.concatenate([load_audio(example_clips[4]), load_audio(example_clips[3])]), 16000)
    browser = playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                      has_touch=True)
        page = context.new_page()
        page.goto(app_url)
        page.get_by_text("Escuchando Emociones").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Upload file").click()
        with page.expect_file_chooser() as chooser:
            page.get_by_text("Drop Audio Here").click()
        chooser.value.set_files(str(joined))
        page.get_by_text("Model ran on").wait_for(timeout=TIMEOUT_MS)
        plot = page.locator("#figure img").first
        plot.wait_for(timeout=TIMEOUT_MS)
        width = page.evaluate("document.documentElement.clientWidth")
        label = page.locator(".output-class").first.bounding_box()
        examples = page.get_by_text("Example clips (click one)").bounding_box()
        recorder = page.get_by_text("Drop Audio Here").count() == 0 and page.locator("audio, .waveform-container").first
        assert label["y"] < examples["y"]  # the answer comes before the examples and the attribution
        box = plot.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1  # the figure fits the screen: its title is not cut
        natural = page.evaluate("img => img.naturalWidth / img.naturalHeight", plot.element_handle())
        assert box["width"] / box["height"] == pytest.approx(natural, rel=0.05)  # scaled, not cropped
        caption = page.locator("#figure [data-testid='block-label']").bounding_box()
        assert caption["y"] + caption["height"] <= box["y"] + 2  # the block's label sits above the figure, not over its title
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # no sideways scrolling
        del recorder
        ARTIFACTS.mkdir(exist_ok=True)
        plot.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "browser_phone.png"), full_page=True)
    finally:
        browser.close()

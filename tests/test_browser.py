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

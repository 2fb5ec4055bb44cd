"""Shared fixtures: the repository's real example clips, the shipped model, RAVDESS, nEMO.

Tests that need the full data set look for it in $RAVDESS_DIR or ../shared/ravdess
beside the checkout (nEMO: $NEMO_DIR or ../shared/nemo). A user without it sees
those tests skipped; in CI (CI=true) a missing data set is an error, so CI can
never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded during tests
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WEIGHTS = ROOT / "weights"


def load_script(name: str):
    """scripts/NAME.py as a module (the scripts are not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
EXAMPLE_CLIPS = sorted(EXAMPLES.glob("*.flac"))


def shared_dataset(name: str, variable: str) -> Path:
    """A data set beside the checkout (../shared/NAME) or at $VARIABLE. Missing: the
    test is skipped for a user without it, and fails in CI, which must have it."""
    path = Path(os.environ.get(variable, ROOT.parent / "shared" / name.lower()))
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{name} not found: CI must have ../shared/{name.lower()} (or ${variable})")
        pytest.skip(f"{name} not found: set {variable} or put it at ../shared/{name.lower()}")
    return path


@pytest.fixture(scope="session")
def ravdess() -> Path:
    return shared_dataset("RAVDESS", "RAVDESS_DIR")


@pytest.fixture(scope="session")
def nemo() -> Path:
    return shared_dataset("nEMO", "NEMO_DIR")


@pytest.fixture(scope="session")
def recognizer():
    """The shipped weights on the default device: CUDA where there is one, as the app
    loads them, so the suite checks the GPU path on a GPU machine. Assert on
    recognizer.device_name, never on "CPU"."""
    from emotion import EmotionRecognizer

    return EmotionRecognizer.load(WEIGHTS)


@pytest.fixture(scope="session")
def handlers(recognizer):
    """The app's request handlers around the shipped model, built as app.py builds them."""
    import app

    return app.EmotionDemo(recognizer)


@pytest.fixture(scope="session")
def served_device() -> str:
    """What a running `python app.py` reports as its model's device."""
    from emotion import default_device, describe_device

    return describe_device(default_device())


@pytest.fixture(scope="session")
def example_clips() -> list[Path]:
    assert len(EXAMPLE_CLIPS) == 8, "the repository ships one example clip per emotion"
    return EXAMPLE_CLIPS


# --- The running app, shared by the API and browser tests -------------------

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"  # screenshots for a person to look at (gitignored)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pytest_collection_modifyitems(items):
    """Everything that starts a server, a browser, a subprocess or a training run is
    `slow`: `pytest -m "not slow"` is the fast tier (library, model, handler, bad input)."""
    slow_fixtures = {"app_url", "batched_app_url", "chromium_path", "trained"}
    for item in items:
        if slow_fixtures & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """`python app.py` in a subprocess on a free port of 127.0.0.1, as a user starts it."""
    yield from _serve(tmp_path_factory, {})


@pytest.fixture(scope="module")
def batched_app_url(tmp_path_factory):
    """The same with EMOTION_BATCH=4: Gradio's batch=True serving."""
    yield from _serve(tmp_path_factory, {"EMOTION_BATCH": "4"})


def _serve(tmp_path_factory, extra_env: dict):
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    log_path = tmp_path_factory.mktemp("app") / "app.log"
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), **extra_env}
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120  # torch + gradio imports on a busy 2-core machine
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "config", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not answer on {url} within 120 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} not found: CI must run the browser tests (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium to run the browser tests")
    return CHROMIUM


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module's tests, as the app serves (app.py: cores // concurrency).
    With two threads on a busy 2-core machine, silero's 125 tiny LSTM steps per 4 s wait on
    each other: 850 ms instead of 1 ms. Use: pytestmark = pytest.mark.usefixtures("one_torch_thread")."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

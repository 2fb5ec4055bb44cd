"""`pip install .`: the wheel holds the library and the shipped weights, and the `emotion`
command and the model card's snippet work in a fresh venv outside the checkout.

The wheel is built offline from a copy of the checkout's files (so no build/ folder
lands in the checkout), installed with --no-deps into a new venv, and that venv sees
this one's already-installed dependencies through a .pth file: downloading torch
(4.6 GB) in a test is not acceptable, and the dependencies are not what is tested.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLE_CLIPS, ROOT, WEIGHTS
from hub_cache import add_snapshot, weights_files

pytestmark = pytest.mark.slow  # builds a wheel and starts subprocesses (about 15 s)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    out = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert out.returncode == 0, f"{command}\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    import setuptools

    major = int(setuptools.__version__.split(".")[0])
    assert major >= 77, f"setuptools {setuptools.__version__} cannot build pyproject.toml: pip install -r requirements-dev.txt"
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("emotion", "weights"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", str(src),
         "-w", str(dist)])
    (path,) = dist.glob("escuchando_emociones-*.whl")
    return zipfile.ZipFile(path)


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A new venv with only the wheel installed; this venv's site-packages after its own."""
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", wheel.filename])
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    return venv


def outside_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "HF_HUB_OFFLINE": "1", **extra}


def test_the_wheel_holds_the_library_and_the_weights_and_nothing_else(wheel):
    names = set(wheel.namelist())
    for needed in ("emotion/__init__.py", "emotion/hub.py", "emotion/weights/model.safetensors",
                   "emotion/weights/config.json", "emotion/weights/README.md"):
        assert needed in names
    assert wheel.read("emotion/weights/model.safetensors") == (WEIGHTS / "model.safetensors").read_bytes()
    assert all(n.startswith(("emotion/", "escuchando_emociones-")) for n in names), names
    assert not [n for n in names if "/run/" in n or "__pycache__" in n or n.startswith(("tests/", "train/", "examples/"))]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "emotion = emotion.__main__:main" in wheel.read(entry_points).decode()


def test_the_emotion_command_answers_outside_the_checkout(venv, tmp_path):
    from emotion import EmotionRecognizer

    clip = EXAMPLE_CLIPS[0]
    out = run([str(venv / "bin" / "emotion"), "predict", str(clip), "--json"], cwd=tmp_path, env=outside_env())
    (result,) = json.loads(out.stdout)
    expected = EmotionRecognizer.load(WEIGHTS).predict(str(clip)).probabilities
    assert result["probabilities"] == pytest.approx(expected, abs=1e-4)
    assert result["label"] == max(expected, key=expected.get)
    where = run([str(venv / "bin" / "python"), "-c", "import emotion; print(emotion.DEFAULT_WEIGHTS)"],
                cwd=tmp_path, env=outside_env()).stdout.strip()
    assert where.startswith(str(venv)) and where.endswith("emotion/weights")  # the packaged copy, not the checkout's


def test_the_model_cards_snippet_runs_in_the_fresh_venv(venv, tmp_path):
    """The card installed with the package, its Python block run as written, the repo it names in a Hub cache."""
    import soundfile as sf
    from emotion import HUB_REPO
    from train.reports.card import usage

    site_card = next(venv.rglob("emotion/weights/README.md")).read_text()
    assert usage(HUB_REPO) in site_card
    snippet = re.search(r"```python\n(.*?)```", site_card, flags=re.S).group(1)
    audio, rate = sf.read(EXAMPLE_CLIPS[0])
    sf.write(tmp_path / "clip.wav", audio, rate)  # the snippet's file name
    add_snapshot(tmp_path / "hub", HUB_REPO, weights_files(WEIGHTS))
    out = run([str(venv / "bin" / "python"), "-c", snippet], cwd=tmp_path, env=outside_env(HF_HUB_CACHE=str(tmp_path / "hub")))
    probabilities = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    assert len(probabilities) == 8 and sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)


def test_every_package_the_library_imports_is_a_dependency_of_the_wheel():
    """A library import missing from pyproject.toml works in this venv and fails after `pip install .`."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=\[ ;]", d, maxsplit=1)[0].lower().replace("-", "_")
                for d in project["dependencies"] + project["optional-dependencies"]["app"]
                + project["optional-dependencies"]["cluster"]}  # emotion.archive.cluster (--ray) imports ray, the [cluster] extra
    imported = set()
    for path in (ROOT / "emotion").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "emotion"}
    assert third_party and third_party <= declared, third_party - declared

"""The Space gets what it needs to run and nothing local."""

from __future__ import annotations

import re

from conftest import ROOT


def test_space_upload_holds_the_app_weights_and_examples_only():
    import importlib.util

    spec = importlib.util.spec_from_file_location("deploy_space", ROOT / "scripts" / "deploy_space.py")
    deploy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(deploy)
    files = deploy.space_files()
    for needed in ("app.py", "README.md", "requirements.txt", "packages.txt", "emotion/audio.py",
                   "weights/model.safetensors", "weights/config.json", "examples/README.md"):
        assert needed in files
    assert sum(f.startswith("examples/") and f.endswith(".flac") for f in files) == 8
    assert not [f for f in files if f.startswith(("tests/", "train/", ".venv/", ".cache/", "test-artifacts/", ".git/"))]


def test_readme_front_matter_configures_a_gradio_space_matching_requirements():
    readme = (ROOT / "README.md").read_text()
    front = readme.split("---")[1]
    fields = dict(re.findall(r"^(\w+):\s*(.+)$", front, flags=re.M))
    assert fields["sdk"] == "gradio" and fields["app_file"] == "app.py"
    pinned = re.search(r"^gradio==(\S+)$", (ROOT / "requirements.txt").read_text(), flags=re.M).group(1)
    assert fields["sdk_version"].strip('"') == pinned
    assert fields["python_version"].strip('"') in ("3.10", "3.12")  # what ZeroGPU accepts
    assert fields["license"] == "cc-by-nc-sa-4.0" and len(fields["short_description"].strip('"')) <= 60
    assert "ffmpeg" in (ROOT / "packages.txt").read_text().split()

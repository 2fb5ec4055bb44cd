"""The Space gets what it needs to run and nothing local."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT


def space_files() -> list[str]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("deploy_space", ROOT / "scripts" / "deploy_space.py")
    deploy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(deploy)
    return deploy.space_files()


def test_space_upload_holds_what_the_space_reads_and_nothing_else():
    files = space_files()
    for needed in ("app.py", "app_text.py", "README.md", "requirements.txt", "packages.txt", "emotion/audio.py", "emotion/card.py",
                   "weights/model.safetensors", "weights/config.json", "weights/run/confusion_test.png"):
        assert needed in files
    assert sum(f.startswith("examples/") and f.endswith(".flac") for f in files) == 8
    assert not [f for f in files if f.startswith(("tests/", "train/", "scripts/", "docs/", "experiments/", ".venv/",
                                                   ".cache/", "test-artifacts/", ".git/"))]
    assert not {"weights/README.md", "weights/run/log.jsonl", "examples/README.md"} & set(files)


@pytest.mark.slow
def test_the_app_starts_and_answers_from_the_uploaded_files_alone(tmp_path):
    """Copy exactly the upload list to an empty folder and build the page there: nothing is missing."""
    import shutil
    import subprocess
    import sys

    for f in space_files():
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / f, tmp_path / f)
    probe = (
        "import app, emotion; rec = emotion.EmotionRecognizer.load(app.ROOT / 'weights')\n"
        "demo = app.create_demo(rec); out = demo.handlers.predict(str(app.EXAMPLES[0]))\n"
        "assert len(out[0]) == 8 and 'Model ran on' in out[3], out[3]\n"
        "assert (app.ROOT / 'weights/run/confusion_test.png').exists() and str(app.ROOT) != " + repr(str(ROOT)) + "\n"
        "print('ok', len(app.EXAMPLES))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))})
    assert out.returncode == 0 and out.stdout.strip() == "ok 8", out.stderr[-3000:]


def test_readme_figures_are_the_recorded_ones():
    """The README's results tables copy recorded figures: they must be config.json's and the
    experiment records', so a retrain or a new record cannot leave the README behind."""
    import json

    from emotion.card import added_corpora
    from train.config import recipe_differences
    from train.reports.card import voices_verdict

    config = json.loads((ROOT / "weights" / "config.json").read_text())
    recipe = config["training"]["config"]
    metrics = config["metrics"]
    test = metrics["test"]
    experiments = ROOT / "experiments"
    records = json.loads((experiments / "model_card.json").read_text())
    readme = (ROOT / "README.md").read_text()
    assert f"| shipped: 3 × M5, logits averaged | **{test['accuracy']:.1%}** | {test['uar']:.1%} | {test['ece']:.1%} |" in readme
    # Every other corpus the weights know: its test speakers' UAR, as the run measured it.
    for key, facts in added_corpora(config):
        assert re.search(rf"\| {facts['name']}[^|]* \| {metrics[key + '_test']['uar']:.1%} \|", readme), key
    # The development folds of the shipped recipe, where a choice record holds them; "the same recipe" only then.
    candidates = [*records.get("choice", {}).get("recipes", []), *records.get("voices", {}).get("recipes", [])]
    same = [cv for cv in (json.loads((experiments / r["summary"]).read_text()) for r in candidates)
            if not recipe_differences(cv, recipe)]
    if same:
        cv = same[0]
        folds = "five folds" if len(cv["folds"]) == 5 else f"development folds {'–'.join(str(f['fold']) for f in cv['folds'][::len(cv['folds']) - 1])}"
        assert (f"| the same recipe as one M5, {folds} of actors 1–20 (mean ± sd) | {cv['accuracy_mean']:.1%} ± "
                f"{cv['accuracy_sd']:.1%} | {cv['uar_mean']:.1%} |") in readme
    else:
        # Weights whose recipe no development fold ran: the README names the recipe the choice
        # record chose instead, and the shipped split's check these weights passed.
        assert "| the same recipe as one M5, five folds" not in readme
        _, chosen = voices_verdict(records["voices"], experiments)
        cv = chosen["cv"]
        assert (f"| {chosen['name']} (" in readme and f") as one M5, development folds {cv['folds'][0]['fold']}–{cv['folds'][-1]['fold']} "
                f"of actors 1–20 (mean ± sd) | {cv['accuracy_mean']:.1%} ± {cv['accuracy_sd']:.1%} | {cv['uar_mean']:.1%} |") in readme
        check = json.loads((experiments / records["ship"]["check"]).read_text())
        assert check["candidate"]["weights_sha256"] == config["weights_sha256"] and check["verdict"]["ships"]
        assert f"({check['candidate']['voices']:.1%} against C4's {check['baseline']['voices']:.1%})" in readme
    emobox = json.loads((experiments / records["emobox"]["summary"]).read_text())
    assert emobox["layout"] == "emobox" and len(emobox["folds"]) == 6
    row = f"on EmoBox's six RAVDESS folds (WA ± sd; UA) | {emobox['accuracy_mean']:.1%} ± {emobox['accuracy_sd']:.1%} | {emobox['uar_mean']:.1%} |"
    assert row in readme
    # Labelled as the shipped recipe exactly when it is (an EmoBox run of an earlier recipe stays, named as such).
    same = not recipe_differences(emobox, recipe)
    assert (("| the same recipe as one M5 " + row) in readme) == same
    g = config["generalisation"]
    for name, label in (("telephone_g711", "telephone line"), ("laptop_mic", "laptop microphone"), ("room_hall", "a hall"),
                        ("babble_10dB", "babble of other voices at 10 dB")):
        assert re.search(rf"\| {label}[^|]* \| {g['channels'][name]['accuracy']:.1%} \|", readme), name
    nemo = g["corpora"]["nemo_test"]
    assert f"| nEMO test speakers {', '.join(nemo['speakers'])} (chance {nemo['chance']:.1%}) | {nemo['accuracy']:.1%} |" in readme


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


def test_readme_front_matter_links_the_space_to_its_model_and_data():
    """The Space lists the repo the project publishes its weights to, and the weights' data sets,
    as huggingface_hub reads the front matter, so the model page shows the Space and back."""
    import json

    from huggingface_hub import SpaceCard

    from emotion.hub import HUB_REPO
    from train.reports.card import card_metadata

    data = SpaceCard.load(ROOT / "README.md").data
    config = json.loads((ROOT / "weights" / "config.json").read_text())
    assert data.models == [HUB_REPO]
    assert data.datasets == card_metadata(config).datasets
    assert {"audio-classification", "speech-emotion-recognition"} <= set(data.tags)


ZEROGPU_STAND_IN = '''
"""A stand-in for Hugging Face's `spaces` package as ZeroGPU runs it: a GPU exists only
inside a request, so a decorated function called outside one fails, as it does there."""
IN_REQUEST = False
CALLS = []


def GPU(fn=None, duration=60):
    def decorate(f):
        def wrapper(*args, **kwargs):
            if not IN_REQUEST:
                raise RuntimeError(f"ZeroGPU: {f.__name__} called outside a request")
            CALLS.append((f.__name__, duration))
            return f(*args, **kwargs)
        return wrapper
    return decorate(fn) if callable(fn) else decorate
'''


@pytest.mark.slow
def test_on_zerogpu_start_up_calls_no_gpu_function_and_a_request_holds_it_briefly(tmp_path):
    """`python app.py` under `spaces`: main() loads, builds, warms up and launches without
    calling the @spaces.GPU function; a request then calls it, with a duration that fits."""
    (tmp_path / "spaces.py").write_text(ZEROGPU_STAND_IN)
    script = (
        "import gradio as gr, spaces, app\n"
        "gr.Blocks.launch = lambda self, **kw: setattr(app, 'LAUNCHED', (self, kw))\n"
        "app.main()  # load, build, queue, warm up, 'launch'\n"
        "assert spaces.CALLS == [], spaces.CALLS\n"
        "demo, kw = app.LAUNCHED\n"
        "assert kw['i18n'] is demo.i18n\n"
        "spaces.IN_REQUEST = True\n"
        "out = demo.handlers.predict(str(app.EXAMPLES[4]))\n"
        "assert out[0] and spaces.CALLS == [('model_answers', 10)], spaces.CALLS\n"
        "print('ok')\n"
    )
    # Prepended, not replaced: packages a user installed with --target (as on the GPU machine) stay visible.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), str(ROOT), os.environ.get("PYTHONPATH")])),
           "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_make_train_runs_the_recipe_of_the_shipped_weights():
    """README's `make train` reproduces the shipped weights: the command the Makefile runs
    (`make -n`, nothing executed) parses to the recipe recorded in weights/config.json."""
    import json
    import shlex
    from dataclasses import asdict

    from train.config import parse_args, recipe_differences

    out = subprocess.run(["make", "-n", "train", "RAVDESS=/r", "DATA=/d"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    # the members side by side (train.members), with python -m train's own flags after its '--'
    line = next(line for line in out.splitlines() if " -m train.members " in line)
    cfg = parse_args(shlex.split(line.split(" -- ", 1)[1]))
    config = json.loads((ROOT / "weights" / "config.json").read_text())
    assert not recipe_differences({"recipe": asdict(cfg)}, config["training"]["config"])
    assert cfg.data == "/r" and cfg.out == "weights" and cfg.ensemble == config["ensemble_size"]
    assert all(folder.startswith("/d/") for folder in cfg.corpus_folders().values() if folder != "/r")

"""The shape of the code: train/ and emotion/ are layered one way, and the library stands alone.

pyproject.toml's import-linter contracts say which module may import which;
these tests run them on the repository and show that they would catch a
cycle, so a future import against the arrows fails CI with both names.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"]


def lint(folder: Path) -> subprocess.CompletedProcess:
    # A subprocess in the folder: grimp finds `train` and `emotion` on the path, and an
    # already imported `train` in this process would point it at the repository instead.
    return subprocess.run([*LINT, "--no-cache"], cwd=folder, capture_output=True, text=True, timeout=120)


def test_the_import_contracts_hold():
    from importlinter.cli import lint_imports

    assert lint_imports(no_cache=True) == 0  # run from the repository root (pytest's rootdir)


def copy_of_the_code(tmp_path: Path) -> Path:
    for name in ("train", "emotion"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def plant(path: Path, line: str) -> None:
    text = path.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + "\n" + rest if sep else line + "\n" + text)


@pytest.mark.slow  # subprocesses
@pytest.mark.parametrize("module, line, names", [
    ("train/data.py", "from .run import run  # noqa", ["train.data", "train.run"]),  # a layer importing upwards
    ("train/corpora/nemo.py", "from ..batches import TrainBatches  # noqa", ["train.corpora.nemo", "train.batches"]),
    ("train/batches.py", "from . import calibration  # noqa", ["train.batches", "train.calibration"]),  # independent siblings
    ("emotion/audio.py", "import app  # noqa", ["emotion.audio", "app"]),  # the library reaching for the app
    ("emotion/inference.py", "from train.config import TrainConfig  # noqa", ["emotion.inference", "train.config"]),
    ("emotion/batching.py", "from .inference import EmotionRecognizer  # noqa", ["emotion.batching", "emotion.inference"]),
    ("emotion/inference.py", "from .archive import label_archive  # noqa", ["emotion.inference", "emotion.archive"]),
    ("emotion/answers.py", "from .policy import Clip  # noqa", ["emotion.answers", "emotion.policy"]),  # siblings
    ("emotion/archive/results.py", "from .run import Summary  # noqa", ["emotion.archive.results", "emotion.archive.run"]),
    ("emotion/card.py", "from .live import LiveListener  # noqa", ["emotion.card", "emotion.live"]),
])
def test_a_planted_cycle_fails_and_names_both_modules(tmp_path, module, line, names):
    folder = copy_of_the_code(tmp_path)
    assert lint(folder).returncode == 0  # the copy passes as it is
    plant(folder / module, line)
    result = lint(folder)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout and all(name in result.stdout for name in names), result.stdout


@pytest.mark.slow  # a subprocess
def test_an_import_inside_a_function_counts(tmp_path):
    """A cycle cannot hide in a function body: import-linter reads those imports too."""
    folder = copy_of_the_code(tmp_path)
    path = folder / "emotion" / "batching.py"
    path.write_text(path.read_text() + "\n\ndef _late():\n    from .archive import run  # noqa\n")
    result = lint(folder)
    assert result.returncode != 0 and "emotion.batching" in result.stdout and "emotion.archive" in result.stdout, result.stdout


@pytest.mark.slow  # subprocesses
@pytest.mark.parametrize("stray, name", [
    ("train/stray.py", "train.stray"), ("emotion/stray.py", "emotion.stray"), ("emotion/archive/stray.py", "emotion.archive.stray"),
])
def test_a_new_module_must_be_given_a_layer(tmp_path, stray, name):
    folder = copy_of_the_code(tmp_path)
    (folder / stray).write_text('"""A module no layer names."""\n')
    result = lint(folder)
    assert result.returncode != 0 and name in result.stdout, result.stdout


def test_the_library_has_no_type_only_imports():
    """import-linter skips imports under `if TYPE_CHECKING:` (pyproject.toml), so emotion/ has
    none: a name imported only for a type still ties two files for whoever reads them."""
    found = [f"{path.relative_to(ROOT)}:{node.lineno}" for path in sorted((ROOT / "emotion").rglob("*.py"))
             for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)]
    assert not found, found


def test_no_module_of_the_library_imports_the_old_label_path():
    """emotion/label.py only keeps old names importable for users' code; the package itself
    imports from where things live now."""
    users = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "emotion").rglob("*.py"))
             if p.name != "label.py" and any(
                 isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[-1] == "label"
                 for n in ast.walk(ast.parse(p.read_text())))]
    assert not users, users


def function_local_imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, source, relative?) of every import inside a function body; the source of an
    import right under another is read with that one's (a group shares one reason)."""
    tree = ast.parse(path.read_text())
    lines = path.read_text().splitlines()
    found = []
    for func in ast.walk(tree):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(func):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    relative = isinstance(node, ast.ImportFrom) and node.level > 0
                    source = lines[node.lineno - 1].strip()
                    above = lines[node.lineno - 2].strip()
                    if above.startswith(("import ", "from ")) and "# deferred:" in above:
                        source += "  " + above[above.index("# deferred:"):]
                    found.append((node.lineno, source, relative))
    return found


def test_no_import_hides_inside_a_function_in_train():
    """A cycle cannot be dodged by importing inside a function: train/ has no function-local
    import of its own modules, and each deferred third-party import says why."""
    problems = []
    for path in sorted((ROOT / "train").rglob("*.py")):
        for lineno, source, relative in function_local_imports(path):
            if relative or "# deferred:" not in source:
                problems.append(f"{path.relative_to(ROOT)}:{lineno}: {source}")
    assert not problems, "\n".join(problems)

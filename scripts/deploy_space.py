"""Publish this repository as a Hugging Face Space.

    python scripts/deploy_space.py USER/SPACE_NAME [--private] [--dry-run]

Uses huggingface_hub (log in first with `hf auth login` or set HF_TOKEN).
It uploads exactly the files the Space reads -- app.py, the emotion library,
the weights and their config, the confusion matrix the About panel shows, the
example clips, requirements.txt, packages.txt and README.md (whose front
matter configures the Space) -- and nothing else (no tests, training code,
caches, model card or run logs; tests/test_deploy.py starts the app from
exactly this list). upload_folder stores the binary files (weights, clips,
PNGs) the way the Hub requires, which a plain `git push` without LFS would not.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPACE_FILES = [
    "app.py", "app_text.py", "README.md", "requirements.txt", "packages.txt",
    "emotion/*.py", "weights/model.safetensors", "weights/config.json", "weights/run/confusion_test.png",
    "examples/*.flac",
]


def _matches(path: str, pattern: str) -> bool:
    """'weights/*' matches files directly in weights/, not in its subfolders."""
    folder, _, name = pattern.rpartition("/")
    head, _, tail = path.rpartition("/")
    return head == folder and fnmatch.fnmatch(tail, name)


def space_files(root: Path = ROOT) -> list[str]:
    """Paths (relative, sorted) that belong in the Space."""
    files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".venv" not in p.parts]
    return sorted(f for f in files if any(_matches(f, pattern) for pattern in SPACE_FILES))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/deploy_space.py", description=__doc__.splitlines()[0])
    parser.add_argument("space", help="USER/SPACE_NAME")
    parser.add_argument("--private", action="store_true")
    parser.add_argument("--dry-run", action="store_true", help="list the files and stop")
    args = parser.parse_args(argv)

    files = space_files()
    print("\n".join(files))
    if args.dry_run:
        return 0
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(args.space, repo_type="space", space_sdk="gradio", private=args.private, exist_ok=True)
    api.upload_folder(repo_id=args.space, repo_type="space", folder_path=ROOT, allow_patterns=files,
                      commit_message="Deploy Escuchando Emociones")
    print(f"https://huggingface.co/spaces/{args.space}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

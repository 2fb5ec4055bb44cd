"""A Hugging Face Hub cache laid out on disk exactly as huggingface_hub lays it out, offline.

    models--USER--REPO/
        blobs/<sha256 of an LFS file | git blob sha1 of a small file>
        refs/main                       the commit hash (no newline); tags too: refs/v1
        snapshots/<commit>/<path>  ->   ../../blobs/<hash>  (relative symlinks)

Tests check the layout with huggingface_hub.scan_cache_dir, so a layout the
library would not recognise fails there first.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

LFS_SUFFIXES = (".safetensors", ".png")  # stored through LFS on the Hub: the blob is named by its SHA-256


def blob_name(data: bytes, lfs: bool) -> str:
    if lfs:
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git's object id


def add_snapshot(cache: Path, repo_id: str, files: dict[str, bytes], refs: tuple[str, ...] = ("main",)) -> str:
    """Put one commit of `repo_id` holding `files` (repo path -> content) into `cache`;
    point each ref at it. Returns the commit hash."""
    storage = cache / f"models--{repo_id.replace('/', '--')}"
    commit = hashlib.sha1(b"".join(name.encode() + data for name, data in sorted(files.items()))).hexdigest()
    for name, data in files.items():
        blob = storage / "blobs" / blob_name(data, name.endswith(LFS_SUFFIXES))
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = storage / "snapshots" / commit / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    for ref in refs:
        (storage / "refs" / ref).parent.mkdir(parents=True, exist_ok=True)
        (storage / "refs" / ref).write_text(commit)
    return commit


def weights_files(folder: Path) -> dict[str, bytes]:
    """What a published weights repo holds of a weights folder (the files emotion.hub fetches)."""
    from emotion.hub import HUB_FILES

    return {name: (folder / name).read_bytes() for name in HUB_FILES if (folder / name).exists()}

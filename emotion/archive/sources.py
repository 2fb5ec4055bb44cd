"""What an archive's SOURCEs name: folders, globs and manifests, expanded to files.

    from emotion.archive import expand_sources
    expand_sources(["study/", "more/*.wav", "list.txt"])   # the files, in a stable order, each once
"""

from __future__ import annotations

import csv
import glob
import os
from typing import Iterable

# What a folder is searched for (case does not matter). Globs and manifests take any file.
AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".webm", ".m4a", ".aac", ".mp4", ".aif", ".aiff"})
MANIFEST_EXTENSIONS = frozenset({".txt", ".csv", ".tsv"})  # a SOURCE with these is a list of paths
PATH_COLUMNS = ("path", "file", "filename", "filepath", "audio")  # a manifest's header names its path column so


class SourceError(ValueError):
    """A SOURCE names nothing to label: the command stops before it starts."""


def expand_sources(sources: Iterable[str | os.PathLike]) -> list[str]:
    """The files to label, in a stable order, each once.

    A folder gives its audio files (AUDIO_EXTENSIONS, recursively, sorted, hidden
    names skipped); a .txt, .csv or .tsv file is a manifest of paths (one per line,
    or the column named path/file/...; relative paths are relative to the
    manifest's folder); any other file is itself; a pattern with * ? or [ is a
    glob (** recursive). Raises SourceError for a path that does not exist or a
    glob that matches nothing.
    """
    seen: set[str] = set()
    out = []
    for source in sources:
        for path in _expand(os.fspath(source)):
            path = os.path.normpath(path)
            if path not in seen:
                seen.add(path)
                out.append(path)
    return out


def _expand(source: str) -> list[str]:
    if os.path.isdir(source):
        return _walk(source)
    if os.path.isfile(source):
        return read_manifest(source) if os.path.splitext(source)[1].lower() in MANIFEST_EXTENSIONS else [source]
    if any(c in source for c in "*?["):
        matches = sorted(p for p in glob.glob(source, recursive=True) if os.path.isfile(p))
        if not matches:
            raise SourceError(f"{source}: the pattern matches no file.")
        return matches
    raise SourceError(f"{source}: no such file or folder.")


def _walk(folder: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [
            os.path.join(root, f) for f in sorted(files)
            if not f.startswith(".") and os.path.splitext(f)[1].lower() in AUDIO_EXTENSIONS
        ]
    return found


def read_manifest(path: str) -> list[str]:
    """The paths a manifest lists: a text file of one path a line (blank lines and
    lines starting with # skipped), or a CSV/TSV whose header names a path column
    (PATH_COLUMNS; else its first column, with no header). Relative to its folder."""
    ext = os.path.splitext(path)[1].lower()
    with open(path, newline="", encoding="utf-8-sig") as f:
        if ext in (".csv", ".tsv"):
            records = [r for r in csv.reader(f, delimiter="\t" if ext == ".tsv" else ",") if r and any(c.strip() for c in r)]
            names = [c.strip().lower() for c in records[0]] if records else []
            column = next((names.index(n) for n in PATH_COLUMNS if n in names), None)
            entries = [r[column or 0] for r in (records[1:] if column is not None else records) if len(r) > (column or 0)]
        else:
            entries = [line for line in f.read().splitlines() if not line.lstrip().startswith("#")]
    base = os.path.dirname(path)
    return [os.path.join(base, e) for e in (e.strip() for e in entries) if e]  # join keeps an absolute path as it is

"""The results table of a labelled archive, and the files that hold it, resumably.

One row per clip -- its emotion, the probabilities of all eight, or the error
that refused it -- and, when asked for, one row per 3 s window before it (the
clip's own row has `start` and `end` empty). Each row also holds the file's
size and modification time (and, with content hashing, its SHA-256): a second
run over the same files skips those whose row still matches, and labels again
those that changed.

    results = open_results("labels.parquet", labels)     # .parquet, .csv or .jsonl
    todo = results.pending(paths)                        # what a run still has to label
    results.append(rows)                                 # one batch: all of it or none of it

Writing is atomic per batch, so a killed run leaves a readable file and loses
only the batch in flight:
- Parquet (pyarrow): RESULTS is a folder of part files (a Parquet dataset, as
  Ray Data writes; pandas.read_parquet, pyarrow, DuckDB and Polars read the
  folder as one table), one part per batch, written under a hidden name and
  renamed into place.
- CSV and JSON Lines: one file, each batch appended with one write() while
  Ctrl-C and SIGTERM wait. A SIGKILL or a power cut inside that write can
  still leave the batch's first lines and half a line: the next run cuts the
  half line away and labels again any clip whose own row is missing (rows_of
  writes it after its windows), so only whole clips are kept.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterable, Sequence

from ..answers import Labelled
from ..batching import file_key

FORMATS = {".parquet": "Parquet", ".csv": "CSV", ".jsonl": "JSON Lines", ".ndjson": "JSON Lines"}
# Columns of every table, before and after the model's labels (its probabilities).
KEY_COLUMNS = ("size", "mtime_ns", "sha256")  # how a second run tells an unchanged file
INT_COLUMNS = frozenset({"size", "mtime_ns"})
PART = re.compile(r"^part-(\d{8})\.parquet$")


class ResultsError(ValueError):
    """The results file cannot be written or resumed as asked: the command stops before labelling."""


def columns(labels: Sequence[str]) -> list[str]:
    """The table's columns, in order, for a model with these labels."""
    return ["file", "start", "end", "label", *labels, "seconds", "notes", "error", "reason", *KEY_COLUMNS]


def float_columns(labels: Sequence[str]) -> frozenset[str]:
    return frozenset({"start", "end", "seconds", *labels})


def arrow_schema(labels: Sequence[str]):
    """The table's pyarrow schema: times and probabilities float64, size and mtime int64, the rest strings."""
    import pyarrow as pa

    floats = float_columns(labels)
    return pa.schema(
        [(c, pa.float64() if c in floats else pa.int64() if c in INT_COLUMNS else pa.string()) for c in columns(labels)]
    )


def rows_of(done: Labelled, labels: Sequence[str], timeline: bool = False) -> list[dict]:
    """The rows of one labelled clip: (timeline) one per window, then the clip's own row.

    The clip's row comes last, like a total, so that a clip whose row is in the table
    has all its rows there: a write cut short can only leave windows of a clip without
    it, which the next run removes and labels again. Probabilities to 6 decimals,
    times to the millisecond, as `predict --json` prints them."""
    keys = {"size": done.size, "mtime_ns": done.mtime_ns, "sha256": done.sha256}
    empty = dict.fromkeys(columns(labels))
    pred = done.prediction
    if pred is None:
        return [{**empty, "file": done.path, "error": done.error, "reason": done.reason, **keys}]
    rows = [
        {
            **empty, "file": done.path, "start": round(seg.start, 3), "end": round(seg.end, 3), "label": seg.label,
            **{k: round(p, 6) for k, p in seg.probabilities.items()}, **keys,
        }
        for seg in ((pred.timeline or []) if timeline else [])
    ]
    rows.append({
        **empty, "file": done.path, "label": pred.label, **{k: round(p, 6) for k, p in pred.probabilities.items()},
        "seconds": round(pred.duration, 3), "notes": " ".join(pred.notes) or None, **keys,
    })
    return rows


def is_clip_row(row: dict) -> bool:
    return row.get("start") is None


@contextmanager
def uninterrupted():
    """Ctrl-C and SIGTERM wait until the block is done (in the main thread; elsewhere
    signals never reach Python code), then interrupt as they would have."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for s in caught[:1]:
            handler = previous[s]
            if callable(handler):
                handler(s, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(s)


def open_results(path: str | os.PathLike, labels: Sequence[str]) -> "Results":
    """The results at `path`, by its extension: .parquet (a folder), .csv, .jsonl (or .ndjson)."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise ResultsError(f"{path}: results are written as .parquet, .csv or .jsonl (JSON Lines), by the name's extension.")
    if ext == ".parquet":
        return ParquetResults(path, labels)
    return CsvResults(path, labels) if ext == ".csv" else JsonlResults(path, labels)


class Results:
    """A results table on disk: what it holds already, and batches appended atomically."""

    def __init__(self, path: str, labels: Sequence[str]):
        self.path, self.labels = path, list(labels)
        self.columns = columns(labels)
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise ResultsError(f"{path}: the folder {parent} does not exist.")

    # -- what is there -------------------------------------------------------
    def rows(self) -> Iterable[dict]:  # every row, in order, typed as written
        raise NotImplementedError

    def read(self) -> list[dict]:
        return list(self.rows())

    def pending(self, paths: Sequence[str], content_hash: bool = False, timeline: bool = False) -> list[str]:
        """Of `paths`, those to label: not in the table, or changed since (size and mtime,
        or the content's SHA-256). Rows of the changed ones are removed first, so the
        table never holds two answers for one file; rows of files not in `paths` stay."""
        done: dict[str, tuple] = {}
        present: set[str] = set()  # files with any row: a clip's windows may be there without it
        windows = answered = False
        for row in self.rows():
            present.add(row["file"])
            if not is_clip_row(row):
                windows = True
                continue
            answered = answered or row.get("error") is None
            if row["size"] is not None:  # a file that could not be found is tried again
                done[row["file"]] = (row["size"], row["mtime_ns"], row["sha256"])
        if answered and windows != timeline:
            raise ResultsError(
                f"{self.path} was written {'with' if windows else 'without'} --timeline: run with the same options, "
                "or write to another file."
            )
        wanted = [p for p in paths if p in done]
        with ThreadPoolExecutor(8) as pool:  # stat (and hash) in threads: a network disk answers slowly
            keys = dict(zip(wanted, pool.map(lambda p: file_key(p, content_hash), wanted)))

        def unchanged(p: str) -> bool:
            size, mtime_ns, sha = keys[p]
            old_size, old_mtime, old_sha = done[p]
            if content_hash:
                return sha is not None and (size, sha) == (old_size, old_sha)
            return (size, mtime_ns) == (old_size, old_mtime)

        todo = [p for p in paths if p not in keys or not unchanged(p)]
        stale = {p for p in todo if p in present}
        if stale:
            self.drop(stale)
        return todo

    # -- writing -------------------------------------------------------------
    def append(self, rows: list[dict]) -> None:
        """Add a batch of rows: after a crash the table holds all of them or none."""
        if rows:
            with uninterrupted():
                self._append(rows)

    def _append(self, rows: list[dict]) -> None:
        raise NotImplementedError

    def drop(self, files: set[str]) -> None:
        """Remove every row of these files (atomically per file on disk)."""
        raise NotImplementedError


class _LineResults(Results):
    """CSV or JSON Lines: one file, a batch appended as one write."""

    header = b""

    def __init__(self, path: str, labels: Sequence[str]):
        super().__init__(path, labels)
        self.floats = float_columns(labels)
        if os.path.isdir(path):
            raise ResultsError(f"{path} is a folder; results in {FORMATS[os.path.splitext(path)[1].lower()]} are one file.")
        self._repair()
        self._check_columns()

    def _repair(self) -> None:
        """Cut a last line that a killed write left short (it never got its newline)."""
        if not os.path.exists(self.path):
            return
        with open(self.path, "rb+") as f:
            size = f.seek(0, os.SEEK_END)
            if size == 0:
                return
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return
            end = size
            while end > 0:  # back to the last newline, a block at a time
                start = max(0, end - (1 << 16))
                f.seek(start)
                cut = f.read(end - start).rfind(b"\n")
                if cut >= 0:
                    f.truncate(start + cut + 1)
                    return
                end = start
            f.truncate(0)

    def _check_columns(self) -> None:
        found = self._first_columns()
        if found is not None and found != self.columns:
            raise ResultsError(
                f"{self.path} has other columns than this model writes ({', '.join(found)}); write to another file."
            )

    def _first_columns(self) -> list[str] | None:
        raise NotImplementedError

    def _encode(self, rows: list[dict]) -> bytes:
        raise NotImplementedError

    def _append(self, rows: list[dict]) -> None:
        data = self._encode(rows)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size == 0:
                data = self.header + data
            view = memoryview(data)
            while view:  # one write() for a batch; the loop only where a disk was full
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)

    def drop(self, files: set[str]) -> None:
        kept = [row for row in self.rows() if row["file"] not in files]
        tmp = self.path + ".tmp"
        with uninterrupted():
            with open(tmp, "wb") as f:
                f.write(self.header + (self._encode(kept) if kept else b""))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)


class CsvResults(_LineResults):
    def __init__(self, path: str, labels: Sequence[str]):
        self.header = self._csv([columns(labels)])
        super().__init__(path, labels)

    @staticmethod
    def _csv(records: list[list]) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(records)
        return out.getvalue().encode("utf-8")

    def _encode(self, rows: list[dict]) -> bytes:
        return self._csv([["" if row[c] is None else row[c] for c in self.columns] for row in rows])

    def _first_columns(self) -> list[str] | None:
        if not os.path.exists(self.path) or os.path.getsize(self.path) == 0:
            return None
        with open(self.path, newline="", encoding="utf-8") as f:
            return next(csv.reader(f), None)

    def rows(self) -> Iterable[dict]:
        if not os.path.exists(self.path):
            return
        with open(self.path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader, None)
            for record in reader:
                yield {c: self._value(c, v) for c, v in zip(self.columns, record)}

    def _value(self, column: str, text: str):
        if text == "":
            return None
        if column in self.floats:
            return float(text)
        return int(text) if column in INT_COLUMNS else text


class JsonlResults(_LineResults):
    def _encode(self, rows: list[dict]) -> bytes:
        return "".join(json.dumps({c: row[c] for c in self.columns}, ensure_ascii=False) + "\n" for row in rows).encode()

    def _first_columns(self) -> list[str] | None:
        for row in self.rows():
            return list(row)
        return None

    def rows(self) -> Iterable[dict]:
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


class ParquetResults(Results):
    """A folder of Parquet parts, part-00000000.parquet, part-00000001.parquet, ...: one per batch."""

    def __init__(self, path: str, labels: Sequence[str]):
        super().__init__(path, labels)
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ResultsError(
                "Parquet needs pyarrow (pip install pyarrow, or pip install escuchando-emociones, which brings it); "
                "or write .csv or .jsonl."
            ) from None
        self.pa, self.pq = pa, pq
        self.schema = arrow_schema(labels)
        if os.path.isfile(path):
            raise ResultsError(f"{path} is a file; Parquet results are a folder of parts (a Parquet dataset).")
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            if name.startswith(".") and name.endswith(".tmp"):  # a part a killed run did not finish
                os.remove(os.path.join(path, name))
        numbers = [int(m.group(1)) for n in os.listdir(path) if (m := PART.match(n))]
        self.next_part = max(numbers, default=-1) + 1
        for part in self.parts()[:1]:
            found = pq.read_schema(part).names
            if found != self.columns:
                raise ResultsError(f"{path} has other columns than this model writes ({', '.join(found)}); write to another folder.")

    def parts(self) -> list[str]:
        """The finished parts, in the order they were written (which is the rows' order)."""
        return [os.path.join(self.path, n) for n in sorted(os.listdir(self.path)) if n.endswith(".parquet") and not n.startswith(".")]

    def rows(self) -> Iterable[dict]:
        for part in self.parts():
            yield from self.pq.read_table(part).to_pylist()

    def table(self):
        """All rows as one pyarrow Table."""
        tables = [self.pq.read_table(p) for p in self.parts()]
        return self.pa.concat_tables(tables) if tables else self.schema.empty_table()

    def _write_part(self, table, name: str) -> None:
        tmp = os.path.join(self.path, f".{name}.tmp")
        self.pq.write_table(table, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(self.path, name))

    def _append(self, rows: list[dict]) -> None:
        table = self.pa.Table.from_pylist([{c: r[c] for c in self.columns} for r in rows], schema=self.schema)
        self._write_part(table, f"part-{self.next_part:08d}.parquet")
        self.next_part += 1

    def drop(self, files: set[str]) -> None:
        import pyarrow.compute as pc

        for part in self.parts():
            table = self.pq.read_table(part)
            keep = pc.invert(pc.is_in(table["file"], value_set=self.pa.array(sorted(files), self.pa.string())))
            if pc.all(keep).as_py():
                continue
            with uninterrupted():
                if pc.any(keep).as_py():
                    self._write_part(table.filter(keep), os.path.basename(part))
                else:
                    os.remove(part)

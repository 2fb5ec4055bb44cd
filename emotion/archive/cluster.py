"""Label an archive on a Ray cluster: the answers one machine gives, from many.

    pip install ".[cluster]"                 # ray[data], on this machine and on the cluster's nodes
    python -m emotion label /shared/study --out study.parquet --ray auto

Ray Data does the scheduling; nothing here schedules. The paths become a
dataset; CPU tasks read, resample and check each clip (emotion.batching.read_clip,
the clip policy predict applies); actors that load the weights once each
answer batches of clips (EmotionRecognizer.predictions, on a GPU where the
cluster has them); the rows stream back to this process, which writes them
with the same resumable writer as a run on one machine (emotion.archive.results), so
resuming, the file formats and the progress bar are the same. A row is a few
hundred bytes; the audio never leaves the workers. With GPUs the readers are
CPU tasks that keep the GPU actors fed; on CPUs alone Ray fuses the two stages
(same resources), and each actor reads and answers clips of its own.

The nodes must see the clips at the paths given (a shared file system) and
have this package's dependencies; the weights travel with the job.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..answers import Labelled
from ..batching import Decoded, answer, read_clip
from ..checkpoint import CONFIG_FILE, WEIGHTS_FILE
from ..inference import EmotionRecognizer
from ..policy import Clip
from .results import arrow_schema, rows_of

INSTALL_HINT = 'Ray is not installed: pip install ".[cluster]" (or pip install "ray[data]") to label on a cluster.'


class ClusterError(RuntimeError):
    """Labelling on Ray cannot start (Ray is not installed): the command stops before labelling."""


def decode_row(row: dict, sample_rate: int, max_seconds: float, content_hash: bool) -> dict:
    """A Ray Data `map`: one path in, its checked clip (float32 bytes) or its refusal out."""
    d = read_clip(row["path"], sample_rate, max_seconds, content_hash)
    return {
        "path": d.path,
        "audio": d.clip.audio.tobytes() if d.clip is not None else None,
        "notes": json.dumps(list(d.clip.notes) if d.clip is not None else []),
        "error": d.error,
        "reason": d.reason,
        "size": d.size,
        "mtime_ns": d.mtime_ns,
        "sha256": d.sha256,
    }


class ClipLabeller:
    """A Ray Data actor: the weights loaded once, then batches of decoded clips -> result rows."""

    def __init__(self, weights: dict[str, bytes], device: str, timeline: bool):
        with tempfile.TemporaryDirectory() as folder:  # checked against its SHA-256 as every load is
            for name, data in weights.items():
                Path(folder, name).write_bytes(data)
            self.recognizer = EmotionRecognizer.load(folder, device=device)
        self.timeline = timeline

    def __call__(self, batch):
        """batch: a pyarrow Table of decode_row's rows -> a Table of result rows (emotion.archive.results' schema)."""
        import pyarrow as pa

        decoded = []
        for row in batch.to_pylist():
            d = Decoded(row["path"], row["size"], row["mtime_ns"], row["sha256"], error=row["error"], reason=row["reason"])
            if row["audio"] is not None:
                d.clip = Clip(np.frombuffer(row["audio"], dtype=np.float32).copy(), json.loads(row["notes"]))
            decoded.append(d)
        answers = answer(self.recognizer, [d for d in decoded if d.clip is not None], self.timeline)
        labels = self.recognizer.labels
        rows = [
            row
            for d in decoded
            for row in rows_of(Labelled(d.path, answers.get(id(d)), d.error, d.reason, d.size, d.mtime_ns, d.sha256),
                               labels, self.timeline)
        ]
        return pa.Table.from_pylist(rows, schema=arrow_schema(labels))


def import_ray():
    """The ray module, with Ray Data; ClusterError with the way to install it where it is missing."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None
    return ray


def label_on_ray(
    recognizer: EmotionRecognizer,
    paths: Sequence[str],
    *,
    address: str | None = None,
    timeline: bool = False,
    replicas: int | None = None,
    batch_size: int = 32,
    content_hash: bool = False,
    device: str | None = None,
) -> Iterator[list[dict]]:
    """Rows of results (emotion.archive.results.rows_of), a block at a time, in no fixed order.

    address: Ray's (None: RAY_ADDRESS, or a local instance; "auto": the cluster this
    node belongs to; "ray://HEAD:10001": Ray Client). If Ray is already initialised
    in this process, that cluster is used. replicas: model actors (default: from one
    up to as many as Ray finds room for). device: the actors' ("cuda" takes a GPU
    each; default: cuda when the cluster has GPUs). `recognizer` gives the weights.
    """
    ray = import_ray()
    if not ray.is_initialized():
        # This package travels with the job, so the workers run this code whatever the nodes have
        # installed. (A caller that starts Ray itself does the same, or installs the package there.)
        ray.init(address=address, logging_level=logging.WARNING, include_dashboard=False,
                 runtime_env={"py_modules": [str(Path(__file__).resolve().parent.parent)]})  # the emotion package
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # ours is the one that counts clips
    if device is None:
        device = "cuda" if ray.cluster_resources().get("GPU", 0) > 0 else "cpu"
    folder = recognizer.folder
    weights = {name: (folder / name).read_bytes() for name in (WEIGHTS_FILE, CONFIG_FILE)}
    on_gpu = device.startswith("cuda")
    pool = ray.data.ActorPoolStrategy(size=replicas) if replicas else ray.data.ActorPoolStrategy(min_size=1, max_size=None)
    ds = (
        ray.data.from_items([{"path": p} for p in paths])
        .map(decode_row, fn_kwargs={"sample_rate": recognizer.sample_rate, "max_seconds": recognizer.max_seconds,
                                    "content_hash": content_hash})
        .map_batches(
            ClipLabeller, fn_constructor_kwargs={"weights": weights, "device": device, "timeline": timeline},
            batch_size=batch_size, batch_format="pyarrow", compute=pool, num_gpus=1 if on_gpu else 0, num_cpus=1,
        )
    )
    for table in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
        yield table.to_pylist()

"""A member's training state, saved after every epoch so a stopped run goes on where it stopped.

    save_state(path, state)            # atomically: the old file or the new one, never half of one
    state = load_state(path)           # None when there is none
    state["rng"] = rng_states(gen)     # every random stream training draws from ...
    restore_rng(state["rng"], gen)     # ... put back exactly

`python -m train --resume` reads OUT/run/state-member-K.pt: the model, the
optimiser and the scheduler, every random stream (Python's, NumPy's global
one, torch's CPU and CUDA generators, and the generator the batches and
their augmentation draw from), the epoch, the best epoch so far and its
weights, and the per-epoch log. Restored, the run draws exactly the numbers
the uninterrupted run would have drawn, so its weights are the same bit for
bit (on the same device and thread count; tests/test_training.py kills a run
and checks).

The file is torch.save's, read back with `weights_only=True`: the optimiser's
state is a nested dict that safetensors cannot hold, and the restricted
unpickler loads tensors and plain Python values only, never code.
"""

from __future__ import annotations

import os
import platform
import random
from pathlib import Path

import numpy as np
import torch

STATE_VERSION = 1


def state_path(run_dir: str | os.PathLike, member: int) -> Path:
    return Path(run_dir) / f"state-member-{member}.pt"


def rng_states(generator: np.random.Generator) -> dict:
    """Every random stream a training epoch draws from, as plain values and tensors."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    states = {
        "python": random.getstate(),
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
        "torch": torch.get_rng_state(),
        "batches": generator.bit_generator.state,
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng(states: dict, generator: np.random.Generator) -> None:
    random.setstate(states["python"])
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(states["torch"])
    generator.bit_generator.state = states["batches"]
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save_state(path: str | os.PathLike, state: dict) -> None:
    """Write to a temporary file beside `path`, then rename over it: a kill mid-write leaves
    the previous epoch's state whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    torch.save({**state, "version": STATE_VERSION}, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    tmp.replace(path)


def load_state(path: str | os.PathLike) -> dict | None:
    path = Path(path)
    if not path.exists():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("version") != STATE_VERSION:
        raise ValueError(f"{path} was saved by another version of the training code; start the run afresh "
                         "(without --resume) or remove it.")
    return state


def cpu_model() -> str:
    """The processor's name ('AMD EPYC 9R14', 'Intel(R) Xeon(R) Processor'): a run's speed, and
    on a CPU its bf16 path, depend on it."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def where(device: torch.device | str) -> dict:
    """Which machine trains: the device, the processor, the GPU's name when there is one."""
    device = torch.device(device)
    out = {"device": device.type, "cpu": cpu_model(), "threads": torch.get_num_threads(), "torch": str(torch.__version__)}
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(device)
    return out

"""A checkpoint that describes itself: `model.safetensors` + `config.json`.

config.json holds everything needed to rebuild and use the weights -- the M5
architecture, the label order, the sample rate and preprocessing, the training
split and command, the metrics -- and the SHA-256 of the weights file, which is
checked on every load. Nothing is unpickled, so a checkpoint cannot run code.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .labels import EMOTIONS
from .model import M5, M5Config, M5Ensemble

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
FORMAT = "escuchando-emociones/m5"
FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """The weights folder is missing, incomplete, or does not match its config."""


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_checkpoint(model: M5 | M5Ensemble, directory: str | os.PathLike, metadata: dict) -> Path:
    """Write model.safetensors and config.json into `directory`.

    metadata: the rest of config.json (preprocessing, training, metrics, ...);
    the architecture, labels, format and checksum are filled in here.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / WEIGHTS_FILE
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, weights, metadata={"format": FORMAT})
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": "M5",
        "model": asdict(model.config),
        "ensemble_size": len(model.members) if isinstance(model, M5Ensemble) else 1,
        "labels": list(EMOTIONS),
        **metadata,
        "weights_file": WEIGHTS_FILE,
        "weights_sha256": sha256_file(weights),
    }
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    return directory


def read_config(directory: str | os.PathLike) -> dict:
    path = Path(directory) / CONFIG_FILE
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"No {CONFIG_FILE} in '{directory}': not a weights folder.") from None
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{path} is not valid JSON: {e}.") from None
    if config.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an {FORMAT} checkpoint.")
    version = config.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{path} has no valid format_version ({version!r}): not a checkpoint this library wrote.")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} is checkpoint format version {version}, written by a newer Escuchando Emociones; "
            f"this library reads up to version {FORMAT_VERSION}. Upgrade the library to load it."
        )
    return config


def load_checkpoint(directory: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[M5 | M5Ensemble, dict]:
    """Rebuild the model from `directory`; returns (model in eval mode on `device`, config).

    Raises CheckpointError if a file is missing or the weights' SHA-256 differs
    from the one in config.json (a truncated download, a tampered file).
    """
    config = read_config(directory)
    weights = Path(directory) / config.get("weights_file", WEIGHTS_FILE)
    if not weights.exists():
        raise CheckpointError(f"Weights file {weights} is missing.")
    digest = sha256_file(weights)
    if digest != config.get("weights_sha256"):
        raise CheckpointError(
            f"{weights} does not match config.json (SHA-256 {digest[:12]}..., expected "
            f"{str(config.get('weights_sha256'))[:12]}...): the file is damaged or was replaced."
        )
    if list(config.get("labels", [])) != list(EMOTIONS):
        raise CheckpointError(f"Label order in {directory} differs from this library's: {config.get('labels')}.")
    n_members = int(config.get("ensemble_size", 1))
    model = M5(M5Config(**config["model"])) if n_members == 1 else M5Ensemble(M5Config(**config["model"]), n_members)
    try:
        state = load_file(weights)
        model.load_state_dict(state)
    except (SafetensorError, RuntimeError) as e:
        raise CheckpointError(f"Could not load {weights}: {e}") from None
    return model.to(device).eval(), config


def update_config(directory: str | os.PathLike, **fields) -> dict:
    """Add or replace top-level fields of config.json (metrics after evaluation)."""
    config = read_config(directory)
    config.update(fields)
    (Path(directory) / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    return config

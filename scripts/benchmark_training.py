"""How long does a training epoch take on this machine? The shipped recipe's epoch, timed.

    python scripts/benchmark_training.py [--device cpu|cuda] [--clips 960] [--epochs 3] [--threads N]
                                         [--arch m5|m11] [--n-channel C] [--bf16] [--loader-workers N]

Runs the shipped weights' own training config (weights/config.json: crop,
batch size, speed perturbation, noise, optimiser, schedule) through
train.batches' own `train_batches` and train.fit's `train_one_epoch` on an M5 of the
shipped width, and reports seconds per epoch split into making the batches
(augmentation, on the CPU whatever the device) and the rest (the model's
forward and backward, the optimiser). It needs no data set: the training
clips are the repository's example clips repeated to `--clips` clips (960
is RAVDESS actors 1-16, the shipped training set), so the audio lengths are
realistic and the numbers are the epoch's cost, not its accuracy. The full
run costs about `epochs x ensemble` of these (plus validation), e.g.
100 x 3 for the shipped weights. `--arch`, `--n-channel` and `--bf16` time the
capacity candidates and bfloat16 autocast (train --bf16) on the same epoch;
`--loader-workers N` makes the batches in N processes (train --loader-workers),
which is what a GPU needs: there "batches" is then the time the model waited.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class TimedBatches:
    """Wraps the batches to time how long making each one takes."""

    def __init__(self, batches):
        self.batches, self.seconds = batches, 0.0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        it = iter(self.batches)
        while True:
            start = time.perf_counter()
            try:
                batch = next(it)
            except StopIteration:
                return
            self.seconds += time.perf_counter() - start
            yield batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu, cuda (default: cuda when available)")
    parser.add_argument("--clips", type=int, default=960, help="training clips per epoch (960 = RAVDESS actors 1-16)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs timed after one warm-up epoch")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--arch", default=None, help="m5 or m11 (default: the shipped weights')")
    parser.add_argument("--n-channel", type=int, default=0, help="network width (default: the shipped weights')")
    parser.add_argument("--bf16", action="store_true", help="the forward pass under bfloat16 autocast, as train --bf16")
    parser.add_argument("--loader-workers", type=int, default=0, help="processes making the batches, as train --loader-workers")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from emotion import load_audio
    from emotion.model import M5, M5Config
    from train.batches import loader, train_batches
    from train.config import TrainConfig
    from train.fit import train_one_epoch

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    saved = json.loads((ROOT / "weights" / "config.json").read_text())["training"]["config"]
    cfg = TrainConfig(**{k: v for k, v in saved.items() if k in TrainConfig.__dataclass_fields__})
    examples = sorted((ROOT / "examples").glob("*.flac"))
    pieces = [load_audio(p, cfg.sample_rate) for p in examples]
    audio = [pieces[i % len(pieces)] for i in range(args.clips)]
    labels = [i % 8 for i in range(args.clips)]

    torch.manual_seed(cfg.seed)
    arch, width = args.arch or cfg.arch, args.n_channel or cfg.n_channel
    model = M5(M5Config(n_channel=width, dropout=cfg.dropout, sample_rate=cfg.sample_rate, arch=arch)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    batches = loader(train_batches(cfg, audio, labels, np.random.default_rng(cfg.seed)), args.loader_workers, cfg.seed,
                     pin_memory=device.type == "cuda")
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=len(batches) * (args.epochs + 1))

    def epoch() -> tuple[float, float]:
        timed = TimedBatches(batches)
        start = time.perf_counter()
        train_one_epoch(model, timed, optimizer, scheduler, device, cfg.label_smoothing, bf16=args.bf16)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start, timed.seconds

    epoch()  # warm-up: allocator, cuDNN's algorithm search, first-call costs
    totals, making = zip(*(epoch() for _ in range(args.epochs)))
    total, make = float(np.median(totals)), float(np.median(making))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} torch threads"
    print(f"device {device} ({name}), {args.clips} clips, batches of {cfg.batch_size}, {len(batches)} steps per epoch, "
          f"torch {torch.__version__}, {os.cpu_count()} CPUs; {arch.upper()} width {width}, "
          f"{'bfloat16 autocast' if args.bf16 else 'float32'}, batches made "
          f"{f'in {args.loader_workers} worker processes' if args.loader_workers else 'in this process'}"
          + (f", CPU capability {torch.backends.cpu.get_cpu_capability()}" if device.type == "cpu" else ""))
    print(f"  epoch       {total:7.2f} s   (median of {args.epochs})")
    print(f"    batches   {make:7.2f} s   (crops, speed perturbation, noise: CPU)")
    print(f"    model     {total - make:7.2f} s   (forward, backward, optimiser)")
    runs = cfg.epochs * cfg.ensemble
    print(f"  the shipped recipe ({cfg.epochs} epochs x {cfg.ensemble} members): about {total * runs / 60:.0f} min of epochs "
          f"(validation passes extra)")


if __name__ == "__main__":
    main()

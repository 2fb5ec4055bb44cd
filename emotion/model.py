"""M5: the raw-waveform CNN of Dai et al. (2017), as in the torchaudio
speech-commands tutorial, with its width, rate and input length recorded in a
config so a checkpoint can rebuild it.

    conv(k=80, stride=16) -> [BN, ReLU, maxpool 4]      (B, C, T/64)
    conv(k=3) x3, widths C, 2C, 2C -> [BN, ReLU, maxpool 4] each
    global average pool over time -> dropout -> linear -> logits (B, n_classes)

`arch="m11"` builds the deeper member of the same family (M11 of Dai et al.
2017): the same first layer, then groups of 2, 2, 3 and 2 convolutions
(k=3, padded) of widths C, 2C, 4C, 8C, a max pool after each group but the
last, then the same head.

Two changes from the tutorial, both so that serving matches training:
`forward` returns logits (softmax is applied once, at inference), and each
input is standardised to zero mean and unit variance first, so the
prediction does not depend on the microphone's gain.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn


def standardise(x: torch.Tensor, std_floor: float = 1e-3) -> torch.Tensor:
    """Each signal (last dimension) to zero mean and unit variance; signals
    quieter than `std_floor` RMS are not amplified. M5 does this to every input
    window; training's mixup does it before mixing two crops."""
    return (x - x.mean(dim=-1, keepdim=True)) / x.std(dim=-1, keepdim=True).clamp_min(std_floor)


@dataclass
class M5Config:
    n_classes: int = 8  # the RAVDESS emotions
    n_channel: int = 64  # width of blocks 1-2; blocks 3-4 use twice this
    first_kernel: int = 80  # samples in the first filter: 5 ms at 16 kHz
    first_stride: int = 16  # hop of the first filter: 1 ms at 16 kHz
    sample_rate: int = 16000  # Hz the filters were learnt at
    dropout: float = 0.0  # before the classifier; 0 is the tutorial's M5
    std_floor: float = 1e-3  # inputs quieter than this RMS (-60 dBFS) are not amplified
    arch: str = "m5"  # "m5" (4 conv layers) or "m11" (10: Dai et al.'s deeper member; 1.5x M5's training step on a CPU)


ARCHS = ("m5", "m11")


def layer_plan(config: M5Config) -> list[tuple[int, int, int, int, int, int]]:
    """(in, out, kernel, stride, padding, pool) of each conv layer, first to last."""
    c = config.n_channel
    first = (1, c, config.first_kernel, config.first_stride, 0, 4)
    if config.arch == "m5":  # the tutorial's: unpadded, a pool after every layer
        return [first, (c, c, 3, 1, 0, 4), (c, 2 * c, 3, 1, 0, 4), (2 * c, 2 * c, 3, 1, 0, 4)]
    if config.arch == "m11":  # Dai et al.'s table 1: [3, C] x2, [3, 2C] x2, [3, 4C] x3, [3, 8C] x2
        plan, cin = [first], c
        for depth, width, pool in ((2, c, 4), (2, 2 * c, 4), (3, 4 * c, 4), (2, 8 * c, 1)):
            for i in range(depth):
                plan.append((cin, width, 3, 1, 1, pool if i == depth - 1 else 1))
                cin = width
        return plan
    raise ValueError(f"Unknown architecture '{config.arch}': one of {', '.join(ARCHS)}.")


class M5(nn.Module):
    """The raw-waveform CNN (M5, or M11 with config.arch="m11"): waveform in, logits out."""

    def __init__(self, config: M5Config):
        super().__init__()
        self.config = config
        plan = layer_plan(config)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Conv1d(cin, cout, kernel_size=k, stride=s, padding=pad),
                nn.BatchNorm1d(cout),
                nn.ReLU(),
                nn.MaxPool1d(pool) if pool > 1 else nn.Identity(),
            )
            for cin, cout, k, s, pad, pool in plan
        )
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(plan[-1][1], config.n_classes)

    @property
    def min_samples(self) -> int:
        """Shortest input that still leaves one frame after the last layer."""
        n = 1
        for block in reversed(self.blocks):
            conv, pool = block[0], block[3]
            n = (n * (pool.kernel_size if isinstance(pool, nn.MaxPool1d) else 1) - 1) * conv.stride[0] \
                + conv.kernel_size[0] - 2 * conv.padding[0]
        return n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, N) or (B, 1, N) waveform at config.sample_rate -> logits (B, n_classes)."""
        if x.ndim == 2:
            x = x.unsqueeze(1)  # (B, 1, N)
        x = standardise(x, self.config.std_floor)
        for block in self.blocks:
            x = block(x)  # (B, C', N')
        x = x.mean(dim=-1)  # (B, C_last)
        return self.classifier(self.dropout(x))  # (B, n_classes)


class M5Ensemble(nn.Module):
    """Several M5s of one architecture, trained from different seeds.

    forward returns the mean of the members' logits (B, n_classes): one model to
    the rest of the library, which never needs to know it is an ensemble.
    """

    def __init__(self, config: M5Config, n_members: int):
        super().__init__()
        self.config = config
        self.members = nn.ModuleList(M5(config) for _ in range(n_members))

    @property
    def min_samples(self) -> int:
        return self.members[0].min_samples

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in self.members]).mean(dim=0)  # (B, n_classes)

"""Figures for a training run: learning curves and the test confusion matrix."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_curves(logs: list[list[dict]], path) -> None:
    """Loss and accuracy per epoch; one set of lines per ensemble member."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for i, log in enumerate(logs):
        tag = f" (member {i})" if len(logs) > 1 else ""
        epochs = [r["epoch"] for r in log]
        ax1.plot(epochs, [r["train_loss"] for r in log], color="C0", alpha=1 - 0.2 * i, label="train" + tag)
        ax1.plot(epochs, [r["val_loss"] for r in log], color="C1", alpha=1 - 0.2 * i, label="validation" + tag)
        ax2.plot(epochs, [r["train_acc"] for r in log], color="C0", alpha=1 - 0.2 * i, label="train (augmented crops)" + tag)
        ax2.plot(epochs, [r["val_acc"] for r in log], color="C1", alpha=1 - 0.2 * i, label="validation accuracy" + tag)
        ax2.plot(epochs, [r["val_uar"] for r in log], color="C2", alpha=0.7 - 0.15 * i, label="validation UAR" + tag)
    ax1.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
    ax2.set(xlabel="epoch", ylabel="fraction", title="Accuracy", ylim=(0, 1))
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion(confusion, labels, path, title: str) -> None:
    cm = np.asarray(confusion, dtype=float)
    rates = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, int(cm[i, j]), ha="center", va="center", color="white" if rates[i, j] > 0.5 else "black", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

"""Figures for people: the waveform before and after silence trimming.

    fig = trim_figure(audio, sr, span=(start, end))   # span from trim_silence

Matplotlib only (the object-oriented API with the Agg canvas, never pyplot),
so it runs in any server thread, leaks no global figure, and needs no UI
library. A clip has tens of thousands of samples but the figure is about a
thousand pixels wide, so each panel draws a min/max envelope of at most
`ENVELOPE_POINTS` columns: it looks the same as plotting every sample (every
peak survives) at a fraction of the cost.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

ENVELOPE_POINTS = 1000  # columns per panel; about one per pixel at the figure's width
FIGSIZE = (8.0, 3.6)  # inches; wide and short, like the waveform it shows
DPI = 110  # ~880 px wide: sharp in a browser column, cheap to encode
ORIGINAL_COLOR = "#4a5568"
KEPT_COLOR = "#f6ad55"  # shading of the kept span on the original
TRIMMED_COLOR = "#dd6b20"
PNG_COMPRESS_LEVEL = 1  # zlib level for PNG: 1 is ~3x faster to encode than PIL's 6, ~10% more bytes


class _FastPngCanvas(FigureCanvasAgg):
    """Agg canvas whose PNG encoding favours speed: the figure is made per request
    and saved once (Gradio's Plot calls savefig), so encoding time is latency."""

    def print_png(self, filename_or_obj, *, metadata=None, pil_kwargs=None, **_other_renderers_options):
        # print_figure passes dpi, facecolor, ... to methods outside matplotlib; Agg reads them from the figure.
        pil_kwargs = {"compress_level": PNG_COMPRESS_LEVEL, **(pil_kwargs or {})}
        return super().print_png(filename_or_obj, metadata=metadata, pil_kwargs=pil_kwargs)


def envelope(audio: np.ndarray, sr: int, points: int = ENVELOPE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Min/max envelope of `audio` (N,) as one zig-zag line: (times in s, values).

    Each of at most `points` columns contributes its minimum and its maximum,
    so the line covers exactly the range the full signal covers. Signals
    shorter than 2 * points come back sample for sample.
    """
    n = audio.shape[0]
    if n <= 2 * points:
        return np.arange(n) / sr, audio
    edges = np.linspace(0, n, points + 1).astype(int)
    lo = np.minimum.reduceat(audio, edges[:-1])  # (points,)
    hi = np.maximum.reduceat(audio, edges[:-1])
    centres = (edges[:-1] + edges[1:]) / 2 / sr
    times = np.repeat(centres, 2)  # (2 * points,)
    values = np.empty(2 * points, dtype=audio.dtype)
    values[0::2], values[1::2] = lo, hi
    return times, values


def trim_figure(audio: np.ndarray, sr: int, span: tuple[int, int] | None) -> Figure:
    """The clip before and after trimming, in one figure with two panels.

    audio: (N,) float32 at `sr` Hz. span: the kept samples (start, end) from
    trim_silence, or None when trimming is off. Top panel: the original with
    the kept span shaded (gid "kept"); bottom panel: the kept samples from 0 s,
    on the same time scale, so what was cut shows as empty space at the right.
    Each panel has one line (gid "waveform").
    """
    n = audio.shape[0]
    total = n / sr
    start, end = span if span is not None else (0, n)
    kept = audio[start:end]
    removed = total - kept.shape[0] / sr

    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    _FastPngCanvas(fig)
    # Fixed margins: a layout engine would re-measure every label on each draw (~40% of the cost).
    fig.subplots_adjust(left=0.07, right=0.985, bottom=0.16, top=0.9, hspace=0.12)
    top, bottom = fig.subplots(2, 1, sharex=True, sharey=True)
    peak = max(float(np.abs(audio).max()) if n else 0.0, 1e-3) * 1.05
    xmax = max(total, 1 / sr)
    # Matplotlib's tick machinery (locators, formatters, per-tick artists on four
    # axes) was most of a figure's cost, so the axes are off and the few time
    # ticks are drawn by hand: one gridline collection and one label per tick.
    ticks = MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]).tick_values(0, xmax)
    ticks = ticks[(ticks >= 0) & (ticks <= xmax * 1.0001)]

    top.axvspan(start / sr, end / sr, color=KEPT_COLOR, alpha=0.35, lw=0, gid="kept", label="kept")
    top.plot(*envelope(audio, sr), color=ORIGINAL_COLOR, lw=0.6, gid="waveform")
    bottom.plot(*envelope(kept, sr), color=TRIMMED_COLOR, lw=0.6, gid="waveform")
    bottom.set_xlim(0, xmax)
    bottom.set_ylim(-peak, peak)
    for ax, name in ((top, "original"), (bottom, "trimmed")):
        ax.set_axis_off()
        ax.vlines(ticks, -peak, peak, colors="#e2e2e2", lw=0.6, zorder=0)
        ax.plot([0, xmax], [-peak, -peak], color="#444444", lw=0.8)  # the time axis line
        ax.text(-0.012, 0.5, name, transform=ax.transAxes, rotation=90, ha="right", va="center", fontsize=9)
    below = bottom.get_xaxis_transform()  # x in seconds, y in axes fractions
    for t in ticks:
        bottom.text(t, -0.04, f"{t:g}", transform=below, ha="center", va="top", fontsize=8, gid="tick")
    bottom.text(xmax / 2, -0.17, "time (s)", transform=below, ha="center", va="top", fontsize=9, gid="xlabel")

    # Short: text is the dearest thing Agg draws, and the title is read first.
    if span is None:
        title = f"Trimming off: all {total:.2f} s shown"
    else:
        share = removed / total if total else 0.0
        title = f"Trimming removed {removed:.2f} s of silence ({share:.0%}): {total:.2f} s \u2192 {total - removed:.2f} s"
    fig.suptitle(title, fontsize=10)
    return fig

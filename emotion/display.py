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
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D

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


def panel(fig: Figure, gid: str) -> dict[str, list]:
    """The artists of one panel ("original" or "trimmed") by role, for tests and
    callers that want the data back: {"waveform": [...], "kept": [...], ...}."""
    found: dict[str, list] = {}
    for artist in [*fig.artists, *fig.texts]:
        g = artist.get_gid() or ""
        if g.startswith(gid + ":"):
            found.setdefault(g.split(":", 1)[1], []).append(artist)
    return found


def trim_figure(audio: np.ndarray, sr: int, span: tuple[int, int] | None) -> Figure:
    """The clip before and after trimming, in one figure with two panels.

    audio: (N,) float32 at `sr` Hz. span: the kept samples (start, end) from
    trim_silence, or None when trimming is off. Top panel ("original"): the
    clip with the kept span shaded; bottom panel ("trimmed"): the kept samples
    from 0 s, on the same time scale, so what was cut shows as empty space at
    the right. Artists carry gids "<panel>:<role>" (see `panel`); their data
    are in seconds and full-scale amplitude.

    No Axes: creating two Axes (with their tick machinery, even when hidden)
    and drawing them was most of a figure's cost, and latency is what a
    visitor feels. Each panel is a transform from (seconds, amplitude) to
    figure coordinates, and the few artists are placed with it.
    """
    n = audio.shape[0]
    total = n / sr
    start, end = span if span is not None else (0, n)
    kept = audio[start:end]
    removed = total - kept.shape[0] / sr
    peak = max(float(np.abs(audio).max()) if n else 0.0, 1e-3) * 1.05
    xmax = max(total, 1 / sr)

    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    _FastPngCanvas(fig)
    left, right, height = 0.07, 0.985, 0.34  # panel geometry, figure fractions
    panels = {"original": 0.72, "trimmed": 0.33}  # vertical centre of each panel
    ticks = MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]).tick_values(0, xmax)
    ticks = ticks[(ticks >= 0) & (ticks <= xmax * 1.0001)]

    def to_figure(centre: float) -> Affine2D:
        """(seconds, amplitude) -> figure coordinates for the panel centred at `centre`."""
        return Affine2D().scale((right - left) / xmax, height / (2 * peak)).translate(left, centre) + fig.transFigure

    def add(artist, gid):
        artist.set_gid(gid)
        fig.add_artist(artist)

    for name, centre in panels.items():
        data = to_figure(centre)
        add(LineCollection([[(t, -peak), (t, peak)] for t in ticks], colors="#e2e2e2", lw=0.6, transform=data), f"{name}:grid")
        add(Line2D([0, xmax], [-peak, -peak], color="#444444", lw=0.8, transform=data), f"{name}:baseline")
        fig.text(left - 0.012, centre, name, rotation=90, ha="right", va="center", fontsize=9, gid=f"{name}:label")
    top = to_figure(panels["original"])
    add(Rectangle((start / sr, -peak), (end - start) / sr, 2 * peak, color=KEPT_COLOR, alpha=0.35, lw=0, transform=top),
        "original:kept")
    add(Line2D(*envelope(audio, sr), color=ORIGINAL_COLOR, lw=0.6, transform=top), "original:waveform")
    add(Line2D(*envelope(kept, sr), color=TRIMMED_COLOR, lw=0.6, transform=to_figure(panels["trimmed"])),
        "trimmed:waveform")
    axis_y = panels["trimmed"] - height / 2
    for t in ticks:
        fig.text(left + (right - left) * t / xmax, axis_y - 0.02, f"{t:g}", ha="center", va="top", fontsize=8, gid="trimmed:tick")
    fig.text((left + right) / 2, axis_y - 0.085, "time (s)", ha="center", va="top", fontsize=9, gid="trimmed:xlabel")

    # Short: text is the dearest thing Agg draws, and the title is read first.
    if span is None:
        title = f"Trimming off: all {total:.2f} s shown"
    else:
        share = removed / total if total else 0.0
        title = f"Trimming removed {removed:.2f} s of silence ({share:.0%}): {total:.2f} s \u2192 {total - removed:.2f} s"
    fig.suptitle(title, fontsize=10)
    return fig

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


# The figure's words in the page's languages (emotion names come from the caller).
WORDS = {
    "en": {
        "original": "original", "trimmed": "trimmed", "timeline": "emotion", "time": "time (s)",
        "off": "Trimming off: all {total:.2f} s shown",
        "removed": "Trimming removed {removed:.2f} s of silence ({share:.0%}): {total:.2f} s \u2192 {kept:.2f} s",
        "no_speech": "grey: no speech",
    },
    "es": {
        "original": "original", "trimmed": "recortado", "timeline": "emoción", "time": "tiempo (s)",
        "off": "Sin recorte: se muestran los {total:.2f} s",
        "removed": "El recorte quitó {removed:.2f} s de silencio ({share:.0%}): {total:.2f} s \u2192 {kept:.2f} s",
        "no_speech": "gris: sin voz",
    },
}
TIMELINE_COLORS = ("#c53030", "#2b6cb0", "#2f855a")  # the leading emotions' lines, most probable first
TIMELINE_EMOTIONS = 3  # lines drawn: the emotions that lead somewhere, at most this many


def timeline_emotions(timeline: list, k: int = TIMELINE_EMOTIONS) -> list[str]:
    """The emotions worth a line: each window's leader first (by how many windows it leads),
    then the highest peaks, k in all."""
    leads: dict[str, int] = {}
    for seg in timeline:
        leads[seg.label] = leads.get(seg.label, 0) + 1
    chosen = sorted(leads, key=lambda e: -leads[e])[:k]
    peaks = sorted(timeline[0].probabilities, key=lambda e: -max(seg.probabilities[e] for seg in timeline))
    chosen += [e for e in peaks if e not in chosen][: k - len(chosen)]
    return chosen


def trim_figure(
    audio: np.ndarray,
    sr: int,
    span: tuple[int, int] | None,
    timeline: list | None = None,
    speech: list[tuple[float, float]] | None = None,
    language: str = "en",
    names: dict[str, str] | None = None,
) -> Figure:
    """The clip before and after trimming, in one figure with two panels, and its
    emotion over time in a third when a timeline of more than one window is given.

    audio: (N,) float32 at `sr` Hz. span: the kept samples (start, end) from
    trim_silence, or None when trimming is off. Top panel ("original"): the
    clip with the kept span shaded; middle panel ("trimmed"): the kept samples
    from 0 s, on the same time scale, so what was cut shows as empty space at
    the right. timeline: emotion.Segment list; its panel ("timeline") draws the
    leading emotions' probabilities at each window's centre, on the original's
    time axis, and greys the stretches outside `speech` (spans in seconds from
    the voice-activity detector). names: emotion -> the name to print.
    Artists carry gids "<panel>:<role>" (see `panel`); their data are in
    seconds and full-scale amplitude (probability for the timeline).

    No Axes: creating Axes (with their tick machinery, even when hidden)
    and drawing them was most of a figure's cost, and latency is what a
    visitor feels. Each panel is a transform from (seconds, amplitude) to
    figure coordinates, and the few artists are placed with it.
    """
    words = WORDS.get(language, WORDS["en"])
    names = names or {}
    n = audio.shape[0]
    total = n / sr
    start, end = span if span is not None else (0, n)
    kept = audio[start:end]
    removed = total - kept.shape[0] / sr
    peak = max(float(np.abs(audio).max()) if n else 0.0, 1e-3) * 1.05
    xmax = max(total, 1 / sr)
    with_timeline = timeline is not None and len(timeline) > 1

    # Panel geometry in figure fractions; a timeline adds a third panel and height, so the
    # waveform panels keep their size in inches.
    fig_height = FIGSIZE[1] * (1.55 if with_timeline else 1.0)
    scale = FIGSIZE[1] / fig_height
    fig = Figure(figsize=(FIGSIZE[0], fig_height), dpi=DPI)
    _FastPngCanvas(fig)
    left, right, height = 0.07, 0.985, 0.34 * scale
    if with_timeline:
        panels = {"original": 1 - 0.28 * scale, "trimmed": 1 - 0.67 * scale}
        timeline_bottom, timeline_height = 0.13, 0.25
        axis_y = timeline_bottom
    else:
        panels = {"original": 0.72, "trimmed": 0.33}
        axis_y = panels["trimmed"] - height / 2
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
        fig.text(left - 0.012, centre, words[name], rotation=90, ha="right", va="center", fontsize=9, gid=f"{name}:label")
    top = to_figure(panels["original"])
    add(Rectangle((start / sr, -peak), (end - start) / sr, 2 * peak, color=KEPT_COLOR, alpha=0.35, lw=0, transform=top),
        "original:kept")
    add(Line2D(*envelope(audio, sr), color=ORIGINAL_COLOR, lw=0.6, transform=top), "original:waveform")
    add(Line2D(*envelope(kept, sr), color=TRIMMED_COLOR, lw=0.6, transform=to_figure(panels["trimmed"])),
        "trimmed:waveform")

    if with_timeline:
        data = (
            Affine2D().scale((right - left) / xmax, timeline_height).translate(left, timeline_bottom) + fig.transFigure
        )  # (seconds, probability 0..1) -> figure
        silent = _complement(speech, xmax) if speech is not None else []
        for a, b in silent:
            add(Rectangle((a, 0), b - a, 1, color="#cbd5e0", alpha=0.6, lw=0, transform=data), "timeline:no_speech")
        add(LineCollection([[(t, 0), (t, 1)] for t in ticks], colors="#e2e2e2", lw=0.6, transform=data), "timeline:grid")
        add(Line2D([0, xmax], [0, 0], color="#444444", lw=0.8, transform=data), "timeline:baseline")
        add(Line2D([0, xmax], [1, 1], color="#e2e2e2", lw=0.6, transform=data), "timeline:top")
        fig.text(left - 0.012, timeline_bottom + timeline_height / 2, words["timeline"], rotation=90, ha="right",
                 va="center", fontsize=9, gid="timeline:label")
        centres = [(seg.start + seg.end) / 2 for seg in timeline]
        x = left
        for emotion, color in zip(timeline_emotions(timeline), TIMELINE_COLORS):
            add(Line2D(centres, [seg.probabilities[emotion] for seg in timeline], color=color, lw=1.4, marker="o",
                       markersize=2.5, transform=data), f"timeline:{emotion}")
            fig.text(x, timeline_bottom + timeline_height + 0.012, names.get(emotion, emotion), color=color,
                              fontsize=8.5, fontweight="bold", va="bottom", gid="timeline:legend")
            x += 0.012 * (len(names.get(emotion, emotion)) + 2)
        if silent:
            fig.text(right, timeline_bottom + timeline_height + 0.012, words["no_speech"], color="#718096", fontsize=8,
                     ha="right", va="bottom", gid="timeline:legend")

    for t in ticks:
        fig.text(left + (right - left) * t / xmax, axis_y - 0.02 * scale, f"{t:g}", ha="center", va="top", fontsize=8,
                 gid="time:tick")
    fig.text((left + right) / 2, axis_y - 0.085 * scale, words["time"], ha="center", va="top", fontsize=9, gid="time:xlabel")

    # Short: text is the dearest thing Agg draws, and the title is read first.
    if span is None:
        title = words["off"].format(total=total)
    else:
        share = removed / total if total else 0.0
        title = words["removed"].format(removed=removed, share=share, total=total, kept=total - removed)
    fig.suptitle(title, fontsize=10)
    return fig


def _complement(spans: list[tuple[float, float]], total: float) -> list[tuple[float, float]]:
    """The stretches of [0, total] outside `spans` (sorted, non-overlapping, in seconds)."""
    gaps, at = [], 0.0
    for a, b in sorted(spans):
        if a > at:
            gaps.append((at, a))
        at = max(at, b)
    if at < total:
        gaps.append((at, total))
    return gaps

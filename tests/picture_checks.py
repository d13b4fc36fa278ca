"""Checks on a drawn matplotlib figure shared by the picture tests: is every text big enough to
read on a projector, and does a legend cover anything it explains?"""
from __future__ import annotations

import matplotlib.text


def texts(fig) -> list:
    """Every piece of text a viewer sees: tick labels, titles, axis labels, legends, notes."""
    fig.canvas.draw()
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()
            and (t.axes is None or t.get_window_extent().overlaps(t.figure.bbox))]


def overlap(a, b) -> bool:
    """Two display-space boxes share an area (touching edges do not count)."""
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5


def covered_by_legend(fig) -> list[str]:
    """What a legend of ``fig`` covers: any axes area, bar, data point or text in the axes."""
    fig.canvas.draw()
    found = []
    for holder in fig.axes:
        legend = holder.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent()
        for ax in fig.axes:
            if overlap(box, ax.get_window_extent()):
                found.append(f"the axes of {ax.get_title()!r}")
            for patch in ax.patches:
                if overlap(box, patch.get_window_extent()):
                    found.append(f"bar/patch {patch}")
            for line in ax.lines:
                points = line.get_transform().transform(line.get_xydata()) if len(line.get_xdata()) else []
                inside = [p for p in points if box.contains(*p)]
                if inside:
                    found.append(f"{len(inside)} point(s) of {line.get_label()!r}")
            for text in ax.texts:
                if text.get_text().strip() and overlap(box, text.get_window_extent()):
                    found.append(f"text {text.get_text()!r}")
    return found


def small_texts(fig, points: float) -> list[tuple[str, float]]:
    """(text, size) of every visible text of ``fig`` smaller than ``points``."""
    return [(t.get_text()[:30], t.get_fontsize()) for t in texts(fig) if t.get_fontsize() < points]

"""The one setup call every notebook starts with: ``now = desklib.setup()``.

It fixes what would otherwise differ between machines and runs — pandas display
options, matplotlib's look and its file metadata — and hands back the lesson's
fixed "now", so every learner's SLA clock reads the same.
"""
from __future__ import annotations

from datetime import datetime

from .data import LESSON_NOW


def setup(quiet: bool = False) -> datetime:
    """Configure pandas and matplotlib for the lesson; return the lesson's fixed ``now``."""
    import matplotlib
    import pandas as pd

    pd.set_option("display.max_rows", 60)
    pd.set_option("display.max_columns", 20)
    pd.set_option("display.width", 120)
    pd.set_option("display.max_colwidth", 60)
    pd.set_option("display.precision", 3)
    matplotlib.rcParams.update({
        "figure.figsize": (8, 4),
        "figure.dpi": 80,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "desklib",          # stable ids in SVG output
    })
    if not quiet:
        from . import __version__
        print(f"desklib {__version__} ready; the lesson's now is {LESSON_NOW:%Y-%m-%d %H:%M} UTC")
    return LESSON_NOW

"""The house style: one theme, one palette, CJK-capable fonts set once.

Fonts come from :mod:`playbook.plots.fonts`; the backend is chosen here, before
pyplot is first imported, so headless runs and tests draw off-screen.
"""

from __future__ import annotations

import matplotlib

if "inline" not in matplotlib.get_backend().lower():
    matplotlib.use("Agg")  # headless runs and tests draw off-screen

import matplotlib.pyplot as plt  # noqa: E402

from playbook.plots.fonts import configure_matplotlib  # noqa: E402

PALETTE = ["#2459a8", "#e07b39", "#3a9d5d", "#b83b5e", "#7d5ba6", "#8c8c8c", "#d4a72c"]
HIGHLIGHT, MUTED, BAD = "#2459a8", "#b8c2cc", "#c0392b"
#: Dark text, error bars and reference lines; GREY for secondary text.
INK, GREY = "#1f2933", "#52606d"
_themed = False


def theme() -> None:
    """Apply the house style once: fonts with CJK fallback, light grid, palette."""
    global _themed
    if _themed:
        return
    import seaborn as sns

    sns.set_theme(style="whitegrid", palette=PALETTE)
    configure_matplotlib()  # after seaborn, which resets font settings
    plt.rcParams.update({"figure.dpi": 100, "axes.titleweight": "bold", "axes.titlesize": 12})
    _themed = True

"""The house style and the intake figures; shared drawing helpers.

One theme, one palette, CJK-capable fonts set once (see :mod:`playbook.fonts`).
Every function creates a fresh figure unless given ``ax``, so headless runs never
draw on a stale one.
"""

from __future__ import annotations

import matplotlib

if "inline" not in matplotlib.get_backend().lower():
    matplotlib.use("Agg")  # headless runs and tests draw off-screen

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from playbook.fonts import configure_matplotlib  # noqa: E402

PALETTE = ["#2459a8", "#e07b39", "#3a9d5d", "#b83b5e", "#7d5ba6", "#8c8c8c", "#d4a72c"]
HIGHLIGHT, MUTED, BAD = "#2459a8", "#b8c2cc", "#c0392b"
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


def _axes(ax=None, *, figsize=(8, 4.5)):
    theme()
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def interval_errors(
    data: pd.DataFrame, value: str = "rate", low: str = "ci_low", high: str = "ci_high"
) -> list[pd.Series]:
    """Error-bar lengths below and above ``value`` for its interval (never negative)."""
    return [
        (data[value] - data[low]).clip(lower=0).fillna(0),
        (data[high] - data[value]).clip(lower=0).fillna(0),
    ]


def completeness_by_rep(
    per_rep: pd.DataFrame,
    *,
    title: str = "",
    label_rep: str = "rep",
    label_value: str = "completeness",
    ax=None,
):
    """Horizontal bars of record completeness per rep with Wilson intervals.

    Parameters
    ----------
    per_rep : frame with owner_id, completeness, ci_low, ci_high (and optional
        team_completeness, drawn as a tick where shown).
    """
    data = per_rep.sort_values("completeness")
    height = max(3.0, 0.22 * len(data) + 1)
    fig, ax = _axes(ax, figsize=(8, height))
    y = range(len(data))
    ax.barh(list(y), data["completeness"], color=HIGHLIGHT, alpha=0.85)
    ax.errorbar(
        data["completeness"],
        list(y),
        xerr=interval_errors(data, "completeness", "ci_low", "ci_high"),
        fmt="none",
        ecolor="#1f2933",
        elinewidth=0.8,
        capsize=2,
    )
    if "team_completeness" in data:
        ax.scatter(data["team_completeness"], list(y), marker="|", s=120, color=BAD, zorder=3)
    ax.set_yticks(list(y))
    ax.set_yticklabels(data["owner_id"].astype(str), fontsize=7)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(label_value)
    ax.set_ylabel(label_rep)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig

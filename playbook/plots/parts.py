"""The pieces every figure shares: its axes, percent axes, row labels, interval bars
and the way a figure ends (what an empty one says is in :mod:`playbook.plots.empty`).

Figure functions keep what is particular to them and call these for the rest, so
all figures of the report look alike.
"""

from __future__ import annotations

import math

import matplotlib
import pandas as pd

from playbook.plots.style import INK, theme
from playbook.plots.words import Words

# pyplot is imported where a figure is made, after the style module chose the backend.


def figure_axes(ax=None, *, figsize=(8, 4.5)):
    """A new themed figure of ``figsize`` inches and its axes, or ``ax`` and its figure."""
    theme()
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def panel_grid(count: int, ncols: int, panel: tuple[float, float], **subplots):
    """A figure of ``count`` small panels, at most ``ncols`` a row, each ``panel`` inches.

    Returns the figure and its 2-D array of axes (one panel even when ``count`` is 0,
    so the figure can say it is empty).
    """
    import matplotlib.pyplot as plt

    theme()
    count = max(count, 1)
    cols = min(ncols, count)
    rows = math.ceil(count / cols)
    width, height = panel
    return plt.subplots(
        rows, cols, figsize=(width * cols, height * rows + 0.6), squeeze=False, **subplots
    )


def percent_axis(ax, which: str = "y", *, limits=None, decimals: int | None = 0) -> None:
    """Show the ``which`` axis ("x" or "y") of shares as percentages, within ``limits``."""
    if limits is not None:
        (ax.set_xlim if which == "x" else ax.set_ylim)(*limits)
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=decimals))


def row_labels(ax, y, names, **text) -> None:
    """Name the rows of a horizontal chart: tick ``y[i]`` reads ``names[i]``."""
    ax.set_yticks(y)
    ax.set_yticklabels(names, **text)


def finish(fig, ax, words: Words, *, legend=None, **title_style):
    """How a one-panel figure ends: the axis labels of ``words`` (where not ``None``), a
    small frameless legend, the title if there is one, a tight layout. ``legend`` holds
    the legend's placement (``{}`` for the default); ``None`` draws none. Returns ``fig``."""
    if words.xlabel is not None:
        ax.set_xlabel(words.xlabel)
    if words.ylabel is not None:
        ax.set_ylabel(words.ylabel)
    if legend is not None:
        ax.legend(fontsize=8, frameon=False, **legend)
    if words.title:
        ax.set_title(words.title, **title_style)
    fig.tight_layout()
    return fig


def finish_panels(fig, words: Words, **layout):
    """How a figure of several panels ends: the title of ``words`` over them all, a tight
    layout."""
    if words.title:
        fig.suptitle(words.title, fontweight="bold")
    fig.tight_layout(**layout)
    return fig


def interval_errors(
    data: pd.DataFrame, value: str = "rate", low: str = "ci_low", high: str = "ci_high"
) -> list[pd.Series]:
    """Error-bar lengths below and above ``value`` for its interval (never negative)."""
    return [
        (data[value] - data[low]).clip(lower=0).fillna(0),
        (data[high] - data[value]).clip(lower=0).fillna(0),
    ]


def interval_bars(
    ax,
    at,
    data: pd.DataFrame,
    value: str = "rate",
    low: str = "ci_low",
    high: str = "ci_high",
    *,
    horizontal: bool = True,
    **style,
):
    """Dark error bars of the interval [``low``, ``high``] around ``value``.

    ``at`` places the rows: y positions of horizontal bars, x positions of vertical
    ones. ``style`` overrides the house look (no marker, ink colour, caps of 3).
    """
    errors = interval_errors(data, value, low, high)
    style = {"fmt": "none", "ecolor": INK, "capsize": 3, **style}
    if horizontal:
        return ax.errorbar(data[value], at, xerr=errors, **style)
    return ax.errorbar(at, data[value], yerr=errors, **style)


def annotated_heatmap(ax, table: pd.DataFrame, fmt: str, cmap: str, limits, **extra) -> None:
    """``table`` as a heatmap in the house look: each cell's value written small (``fmt``),
    thin lines between cells, colours ``cmap`` spanning ``limits``, no colour bar."""
    import seaborn as sns

    low, high = limits
    sns.heatmap(
        table,
        annot=True,
        fmt=fmt,
        cmap=cmap,
        vmin=low,
        vmax=high,
        cbar=False,
        ax=ax,
        linewidths=0.5,
        annot_kws={"fontsize": 8},
        **extra,
    )


def frame_cell(ax, corner: tuple[float, float], lw: float) -> None:
    """Outline one cell of a grid in ink, its lower-left ``corner`` at (column, row)."""
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle(corner, 1, 1, fill=False, edgecolor=INK, lw=lw))

"""Figures of the lead-scoring step: calibration, gains, feature importance, lead quality."""

from __future__ import annotations

import pandas as pd

from playbook.plots.base import readable_labels
from playbook.plots.empty import empty_figure
from playbook.plots.parts import figure_axes, finish, interval_bars, percent_axis, row_labels
from playbook.plots.style import HIGHLIGHT, INK, MUTED, PALETTE


@readable_labels
def calibration_curve(
    calibration: pd.DataFrame,
    *,
    title: str = "",
    xlabel: str = "predicted",
    ylabel: str = "observed",
    perfect_label: str = "perfect calibration",
    empty_text: str = "",
    ax=None,
):
    """Observed win rate (95% interval) against mean predicted probability per score bin.

    Parameters
    ----------
    calibration : frame with predicted, observed, ci_low, ci_high, n (one row per bin).
    """
    fig, ax = figure_axes(ax, figsize=(5.5, 5))
    if calibration.empty:
        return empty_figure(fig, ax, empty_text)
    data = calibration
    top = float(max(data["ci_high"].max(), data["predicted"].max())) * 1.1
    ax.plot([0, top], [0, top], ls="--", color=MUTED, label=perfect_label)
    interval_bars(
        ax, data["predicted"], data, "observed", horizontal=False, fmt="o", color=HIGHLIGHT
    )
    _percent_square(ax, top)
    legend = {"loc": "upper left"}
    return finish(fig, ax, title, xlabel=xlabel, ylabel=ylabel, legend=legend, fontsize=10)


def _percent_square(ax, top: float) -> None:
    """Both axes in percent from 0 to ``top``: predicted against observed shares."""
    percent_axis(ax, "x", limits=(0, top))
    percent_axis(ax, "y", limits=(0, top))


@readable_labels
def gains_chart(
    lift: pd.DataFrame,
    *,
    title: str = "",
    xlabel: str = "share of leads",
    ylabel: str = "share of wins",
    random_label: str = "random order",
    empty_text: str = "",
    ax=None,
):
    """Cumulative share of wins captured when leads are worked highest score first.

    Parameters
    ----------
    lift : frame with scorer, decile, cum_share_random, cum_share_won (one row per
        scorer and decile).
    """
    fig, ax = figure_axes(ax, figsize=(6, 5))
    if lift.empty:
        return empty_figure(fig, ax, empty_text)
    ax.plot([0, 1], [0, 1], ls="--", color=MUTED, label=random_label)
    for i, (name, group) in enumerate(lift.groupby("scorer", sort=False)):
        ax.plot(
            [0, *group["cum_share_random"]],
            [0, *group["cum_share_won"]],
            marker="o",
            ms=3,
            color=PALETTE[i % len(PALETTE)],
            label=str(name),
        )
    _percent_square(ax, 1)
    legend = {"loc": "lower right"}
    return finish(fig, ax, title, xlabel=xlabel, ylabel=ylabel, legend=legend, fontsize=10)


@readable_labels
def feature_importance(
    importance: pd.DataFrame,
    *,
    title: str = "",
    xlabel: str = "AUC drop",
    empty_text: str = "",
    ax=None,
):
    """Permutation importance per feature as bars with one standard deviation.

    Parameters
    ----------
    importance : frame with feature, importance, std (most important first).
    """
    height = max(3.0, 0.35 * len(importance) + 1.2)
    fig, ax = figure_axes(ax, figsize=(7, height))
    if importance.empty:
        return empty_figure(fig, ax, empty_text)
    data = importance.iloc[::-1]
    y = list(range(len(data)))
    ax.barh(y, data["importance"], xerr=data["std"], color=HIGHLIGHT, alpha=0.85, capsize=2)
    ax.axvline(0, color=INK, lw=0.8)
    row_labels(ax, y, data["feature"].astype(str))
    return finish(fig, ax, title, xlabel=xlabel, fontsize=10)


@readable_labels
def lead_quality_chart(
    quality: pd.DataFrame,
    *,
    dimension: str = "source",
    title: str = "",
    xlabel: str = "win rate",
    count_label: str = "n={n} · {open} open",
    empty_text: str = "",
    ax=None,
):
    """Win rate per source (or campaign) with 95% intervals, labelled with n and open leads.

    Parameters
    ----------
    quality : lead_quality frame (dimension, value, win_rate, ci_low, ci_high, leads,
        open_leads); the rows of ``dimension`` are drawn in their order.
    count_label : bar label with ``{n}`` (mature leads) and ``{open}`` (open leads).
    """
    data = quality[quality["dimension"] == dimension].iloc[::-1] if len(quality) else quality
    fig, ax = figure_axes(ax, figsize=(7, max(3.0, 0.45 * len(data) + 1.2)))
    if data.empty:
        return empty_figure(fig, ax, empty_text)
    y = list(range(len(data)))
    ax.barh(y, data["win_rate"], color=HIGHLIGHT, alpha=0.85)
    interval_bars(ax, y, data, "win_rate")
    for yi, row in zip(y, data.itertuples(index=False), strict=True):
        if pd.notna(row.ci_high):
            ax.text(
                row.ci_high + 0.005,
                yi,
                count_label.format(n=f"{row.leads:,}", open=f"{row.open_leads:,}"),
                va="center",
                fontsize=8,
            )
    row_labels(ax, y, data["value"].astype(str))
    # room on the right for the count labels
    right = float(data["ci_high"].max()) * 1.45 if data["ci_high"].notna().any() else 1
    percent_axis(ax, "x", limits=(0, right), decimals=None)
    return finish(fig, ax, title, xlabel=xlabel, fontsize=10)

"""Figures of the lead-scoring step: calibration, gains, feature importance, lead quality."""

from __future__ import annotations

import pandas as pd

from playbook.plots.base import readable_labels
from playbook.plots.empty import empty_figure
from playbook.plots.parts import figure_axes, finish, interval_bars, percent_axis, row_labels
from playbook.plots.style import HIGHLIGHT, INK, MUTED, PALETTE
from playbook.plots.words import Words, default_words


@readable_labels
@default_words(
    Words(xlabel="predicted", ylabel="observed", marks={"perfect": "perfect calibration"})
)
def calibration_curve(calibration: pd.DataFrame, *, words: Words, ax=None):
    """Observed win rate (95% interval) against mean predicted probability per score bin.

    ``calibration`` has predicted, observed, ci_low, ci_high, n (one row per bin);
    ``words.marks["perfect"]`` names the diagonal.
    """
    fig, ax = figure_axes(ax, figsize=(5.5, 5))
    if calibration.empty:
        return empty_figure(fig, ax, words.empty)
    data = calibration
    top = float(max(data["ci_high"].max(), data["predicted"].max())) * 1.1
    ax.plot([0, top], [0, top], ls="--", color=MUTED, label=words.marks["perfect"])
    interval_bars(
        ax, data["predicted"], data, "observed", horizontal=False, fmt="o", color=HIGHLIGHT
    )
    _percent_square(ax, top)
    return finish(fig, ax, words, legend={"loc": "upper left"}, fontsize=10)


def _percent_square(ax, top: float) -> None:
    """Both axes in percent from 0 to ``top``: predicted against observed shares."""
    percent_axis(ax, "x", limits=(0, top))
    percent_axis(ax, "y", limits=(0, top))


@readable_labels
@default_words(
    Words(xlabel="share of leads", ylabel="share of wins", marks={"random": "random order"})
)
def gains_chart(lift: pd.DataFrame, *, words: Words, ax=None):
    """Cumulative share of wins captured when leads are worked highest score first.

    ``lift`` has scorer, decile, cum_share_random, cum_share_won (one row per scorer and
    decile); ``words.marks["random"]`` names the diagonal of a random order.
    """
    fig, ax = figure_axes(ax, figsize=(6, 5))
    if lift.empty:
        return empty_figure(fig, ax, words.empty)
    ax.plot([0, 1], [0, 1], ls="--", color=MUTED, label=words.marks["random"])
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
    return finish(fig, ax, words, legend={"loc": "lower right"}, fontsize=10)


@readable_labels
@default_words(Words(xlabel="AUC drop"))
def feature_importance(importance: pd.DataFrame, *, words: Words, ax=None):
    """Permutation importance per feature (``importance`` has feature, importance, std,
    most important first) as bars with one standard deviation."""
    height = max(3.0, 0.35 * len(importance) + 1.2)
    fig, ax = figure_axes(ax, figsize=(7, height))
    if importance.empty:
        return empty_figure(fig, ax, words.empty)
    data = importance.iloc[::-1]
    y = list(range(len(data)))
    ax.barh(y, data["importance"], xerr=data["std"], color=HIGHLIGHT, alpha=0.85, capsize=2)
    ax.axvline(0, color=INK, lw=0.8)
    row_labels(ax, y, data["feature"].astype(str))
    return finish(fig, ax, words, fontsize=10)


@readable_labels
@default_words(Words(xlabel="win rate", marks={"count": "n={n} · {open} open"}))
def lead_quality_chart(quality: pd.DataFrame, *, dimension: str = "source", words: Words, ax=None):
    """Win rate per source (or campaign) with 95% intervals, labelled with n and open leads.

    ``quality`` is a lead_quality frame (dimension, value, win_rate, ci_low, ci_high, leads,
    open_leads); the rows of ``dimension`` are drawn in their order. ``words.marks["count"]``
    labels each bar with ``{n}`` (mature leads) and ``{open}`` (open leads).
    """
    data = quality[quality["dimension"] == dimension].iloc[::-1] if len(quality) else quality
    fig, ax = figure_axes(ax, figsize=(7, max(3.0, 0.45 * len(data) + 1.2)))
    if data.empty:
        return empty_figure(fig, ax, words.empty)
    y = list(range(len(data)))
    ax.barh(y, data["win_rate"], color=HIGHLIGHT, alpha=0.85)
    interval_bars(ax, y, data, "win_rate")
    for yi, row in zip(y, data.itertuples(index=False), strict=True):
        if pd.notna(row.ci_high):
            ax.text(
                row.ci_high + 0.005,
                yi,
                words.marks["count"].format(n=f"{row.leads:,}", open=f"{row.open_leads:,}"),
                va="center",
                fontsize=8,
            )
    row_labels(ax, y, data["value"].astype(str))
    # room on the right for the count labels
    right = float(data["ci_high"].max()) * 1.45 if data["ci_high"].notna().any() else 1
    percent_axis(ax, "x", limits=(0, right), decimals=None)
    return finish(fig, ax, words, fontsize=10)

"""Figures of the pilot step: lift per stage, monthly trend of both groups, power by length."""

from __future__ import annotations

import pandas as pd

from playbook.plots.base import readable_labels
from playbook.plots.empty import empty_figure
from playbook.plots.parts import figure_axes, finish, interval_bars, percent_axis, row_labels
from playbook.plots.style import BAD, GREY, HIGHLIGHT, INK, MUTED, PALETTE
from playbook.plots.words import Words, default_words
from playbook.stats import format_probability


def _zero_line(ax) -> None:
    """The vertical line of no difference."""
    ax.axvline(0, color=INK, lw=0.8)


@readable_labels
@default_words(Words(xlabel="lift"))
def pilot_effects(
    effects: pd.DataFrame,
    *,
    labels: dict[str, str] | None = None,
    expected: float | None = None,
    words: Words,
    ax=None,
):
    """Forest plot: the pilot's lift per stage (and end to end) with 95% intervals.

    Parameters
    ----------
    effects : pilot effects frame (from, to, effect, effect_low, effect_high, p_raw,
        prob_positive), one row per transition; the x axis is in percentage points.
    labels : stage id -> display label.
    expected : the lift the pilot was meant to reach (dashed line).
    """
    labels = labels or {}
    fig, ax = figure_axes(ax, figsize=(8, 0.6 * len(effects) + 1.8))
    if effects.empty:
        return empty_figure(fig, ax, words.empty)
    data = effects.reset_index(drop=True)
    names = [
        f"{labels.get(str(f), f)} → {labels.get(str(t), t)}"
        for f, t in zip(data["from"], data["to"], strict=True)
    ]
    y = list(range(len(data)))[::-1]
    significant = data["effect_low"].gt(0) | data["effect_high"].lt(0)
    colors = [HIGHLIGHT if s else MUTED for s in significant]
    interval_bars(ax, y, data, "effect", "effect_low", "effect_high")
    ax.scatter(data["effect"], y, color=colors, s=50, zorder=3)
    _zero_line(ax)
    if expected is not None:
        ax.axvline(expected, color=PALETTE[2], ls="--", lw=1)
    for yi, row in zip(y, data.itertuples(index=False), strict=True):
        if pd.notna(row.effect_high):
            ax.text(
                row.effect,
                yi + 0.25,
                f"p={row.p_raw:.3f} · P>0 {format_probability(row.prob_positive)}",
                fontsize=8,
                ha="center",
                color=GREY,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
            )
    row_labels(ax, y, names)
    ax.set_ylim(-0.7, len(data) - 0.3)
    percent_axis(ax, "x")
    return finish(fig, ax, words, fontsize=10)


@readable_labels
@default_words(Words(ylabel=""))
def pilot_trend(
    trend: pd.DataFrame,
    *,
    start=None,
    group_labels: dict[str, str] | None = None,
    words: Words,
    ax=None,
):
    """Monthly rate of one stage for the pilot and control groups, with 95% bands.

    Parameters
    ----------
    trend : frame with group, cohort, rate, ci_low, ci_high, immature_cohort.
    start : the pilot start (vertical line).
    group_labels : group value -> display label (legend).
    """
    group_labels = group_labels or {}
    fig, ax = figure_axes(ax, figsize=(8, 4.2))
    if trend.empty:
        return empty_figure(fig, ax, words.empty)
    for i, (group, data) in enumerate(trend.groupby("group", sort=True)):
        color = [HIGHLIGHT, PALETTE[1]][i % 2]
        x = pd.to_datetime(data["cohort"])
        ax.fill_between(x, data["ci_low"], data["ci_high"], color=color, alpha=0.15, lw=0)
        ax.plot(x, data["rate"], color=color, lw=1.5, label=group_labels.get(group, str(group)))
        mature = ~data["immature_cohort"].astype(bool)
        ax.scatter(x[mature], data["rate"][mature], color=color, s=18, zorder=3)
        ax.scatter(
            x[~mature], data["rate"][~mature], facecolors="white", edgecolors=color, s=18, zorder=3
        )
    if start is not None:
        ax.axvline(pd.Timestamp(start), color=BAD, lw=1, ls="--")
    percent_axis(ax, "y", limits=(0, 1))
    fig.autofmt_xdate()
    return finish(fig, ax, words, legend={}, fontsize=10)


_POWER_MARKS = {"lift": "lift {lift} points", "target": "wanted power"}


@readable_labels
@default_words(Words(xlabel="weeks", ylabel="power", marks=_POWER_MARKS))
def pilot_power(curve: pd.DataFrame, *, target: float = 0.8, words: Words, ax=None):
    """Power to detect each lift by pilot length, with the wanted power as a line.

    ``curve`` is a power_curve frame (lift, weeks, power) for one stage. Marks: ``lift``,
    a legend entry with a ``{lift}`` placeholder (points, e.g. 10); ``target``, the line.
    """
    fig, ax = figure_axes(ax, figsize=(7, 4.2))
    if curve.empty:
        return empty_figure(fig, ax, words.empty)
    for i, (lift, data) in enumerate(curve.groupby("lift", sort=True)):
        ax.plot(
            data["weeks"],
            data["power"],
            color=PALETTE[i % len(PALETTE)],
            label=words.marks["lift"].format(lift=f"{lift * 100:.0f}"),
        )
    ax.axhline(target, color=BAD, ls="--", lw=1, label=words.marks["target"])
    percent_axis(ax, "y", limits=(0, 1))
    return finish(fig, ax, words, legend={"loc": "lower right"}, fontsize=10)


_BALANCE_MARKS = {"after": "after the start", "before": "before the start"}


@default_words(Words(xlabel="standardised difference", marks=_BALANCE_MARKS))
def pilot_balance(
    balance: pd.DataFrame, *, limit: float = 0.1, words: Words, max_rows: int = 30, ax=None
):
    """Balance of the pilot and control groups: standardised difference per category.

    Parameters
    ----------
    balance : :func:`playbook.steps.pilot.arms.arm_balance` frame (dimension, value, std_diff, and
        std_diff_pre with a pre-period), one row per category; the largest ``max_rows``
        differences are drawn.
    limit : the usual "alike" band (dotted lines at +-limit).
    words : marks ``after`` and ``before`` name the differences after and before the start.
    """
    data = balance.dropna(subset=["std_diff"]).reset_index(drop=True) if len(balance) else balance
    fig, ax = figure_axes(ax, figsize=(8, 0.28 * min(len(data), max_rows) + 1.8))
    if data.empty:
        return empty_figure(fig, ax, words.empty)
    shown = data.loc[data["std_diff"].abs().sort_values(ascending=False).index[:max_rows]]
    shown = shown.sort_index()
    # differences of categories one arm does not have at all are infinite: draw at the edge
    edge = max(3.0, float(shown["std_diff"].abs().replace(float("inf"), 0).max()) * 1.1)
    after = shown["std_diff"].clip(-edge, edge)
    y = list(range(len(shown)))[::-1]
    ax.scatter(after, y, color=HIGHLIGHT, s=30, zorder=3, label=words.marks["after"])
    if "std_diff_pre" in shown:
        before = shown["std_diff_pre"].clip(-edge, edge)
        ax.scatter(
            before,
            y,
            facecolors="white",
            edgecolors=PALETTE[1],
            s=30,
            zorder=3,
            label=words.marks["before"],
        )
        ax.legend(fontsize=8, frameon=False, loc="lower right")
    for x in (-limit, limit):
        ax.axvline(x, color=MUTED, ls=":", lw=1)
    _zero_line(ax)
    row_labels(
        ax, y, [f"{d} = {v}" for d, v in zip(shown["dimension"], shown["value"], strict=True)]
    )
    ax.set_ylim(-0.7, len(shown) - 0.3)
    return finish(fig, ax, words, fontsize=10)

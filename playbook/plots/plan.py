"""Figures of the development-plan step: module demand, incentive distributions, SLA curves.

Every function takes a frame from :mod:`playbook.steps.plan` or :mod:`playbook.steps.plan.kpi`,
draws
it, and returns the Figure; nothing is computed here beyond placing and formatting.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from playbook.plots.base import readable_labels
from playbook.plots.empty import no_data, no_data_figure
from playbook.plots.parts import (
    figure_axes,
    finish,
    finish_panels,
    panel_grid,
    percent_axis,
    row_labels,
)
from playbook.plots.style import BAD, HIGHLIGHT, MUTED, theme
from playbook.plots.words import Words, default_words

__all__ = ["module_demand", "metric_distributions", "sla_curves"]


@readable_labels
@default_words(Words(xlabel="", empty="—"))
def module_demand(demand: pd.DataFrame, *, words: Words, ax=None):
    """Horizontal bars: how many reps each learning module is recommended to.

    Parameters
    ----------
    demand : DataFrame
        :func:`playbook.steps.plan.module_demand` (module, reps, priority); priority 1 bars
        are drawn in the highlight colour.
    """
    data = demand.reset_index(drop=True)
    fig, ax = figure_axes(ax, figsize=(8, 0.38 * max(len(data), 3) + 1.4))
    if not len(data):
        return no_data_figure(fig, ax, words.empty, words.title)
    y = np.arange(len(data))[::-1]
    colors = [HIGHLIGHT if p == 1 else MUTED for p in data["priority"]]
    ax.barh(y, data["reps"], color=colors)
    for yi, n in zip(y, data["reps"], strict=True):
        ax.text(n + 0.1, yi, f"{n}", va="center", fontsize=8)
    row_labels(ax, y, data["module"], fontsize=8)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    return finish(fig, ax, words)


@readable_labels
@default_words(Words(ylabel="", empty="—"))
def metric_distributions(
    values: pd.DataFrame, candidates: pd.DataFrame, *, words: Words, ncols: int = 3
):
    """Small multiples: each candidate metric's distribution across reps, with p25,
    median and p75 marked (threshold sizing for incentives).

    Parameters
    ----------
    values : DataFrame
        :func:`playbook.steps.plan.kpi.incentive_values` (metric, label, unit, value).
    candidates : DataFrame
        :func:`playbook.steps.plan.kpi.incentive_candidates` (metric, p25, median, p75,
        suppressed); suppressed metrics are not drawn.
    """
    shown = candidates[~candidates["suppressed"].astype(bool)]
    metrics = [m for m in shown["metric"] if m in set(values["metric"])]
    fig, axes = panel_grid(len(metrics), ncols, (3.6, 2.7))
    quant = shown.set_index("metric")
    for i, axis in enumerate(axes.ravel()):
        if i >= len(metrics):
            if not metrics and i == 0:
                no_data(axis, words.empty)
            else:
                axis.set_axis_off()
            continue
        _metric_histogram(axis, values[values["metric"] == metrics[i]], quant.loc[metrics[i]])
        if i % axes.shape[1] == 0:
            axis.set_ylabel(words.ylabel, fontsize=8)
    return finish_panels(fig, words)


def _metric_histogram(axis, data: pd.DataFrame, quantiles: pd.Series) -> None:
    """One metric's panel: its values across reps, p25 / median / p75 as red lines."""
    v = data["value"].to_numpy(dtype=float)
    axis.hist(v, bins=min(20, max(5, len(v) // 2)), color=HIGHLIGHT, alpha=0.75)
    for q, style in (("p25", ":"), ("median", "-"), ("p75", ":")):
        axis.axvline(quantiles[q], color=BAD, ls=style, lw=1.2)
    unit = data["unit"].iloc[0]
    if unit == "share":
        percent_axis(axis, "x")
    elif unit == "currency":
        axis.xaxis.set_major_formatter(matplotlib.ticker.EngFormatter(sep=""))
    axis.set_title(str(data["label"].iloc[0]), fontsize=9)
    axis.tick_params(labelsize=7)


@readable_labels
@default_words(Words(xlabel="", ylabel="", empty="—"))
def sla_curves(sla: pd.DataFrame, *, labels: dict[str, str] | None = None, words: Words):
    """One panel per SLA: compliance against the threshold with its 95% band; the
    configured threshold is the large dot.

    Parameters
    ----------
    sla : DataFrame
        :func:`playbook.steps.plan.kpi.sla_proposal` (sla, threshold, unit, current, compliance,
        ci_low, ci_high).
    labels : dict
        SLA name -> panel title.
    """
    theme()
    labels = labels or {}
    names = list(dict.fromkeys(sla["sla"])) if len(sla) else []
    n = max(len(names), 1)
    fig, axes = plt.subplots(1, n, figsize=(4.6 * n, 3.6), squeeze=False)
    for axis, name in zip(axes.ravel(), names or [None], strict=True):
        if name is None:
            no_data(axis, words.empty)
            continue
        data = sla[sla["sla"] == name].sort_values("threshold")
        x = data["threshold"].to_numpy(dtype=float)
        axis.fill_between(x, data["ci_low"], data["ci_high"], color=HIGHLIGHT, alpha=0.18, lw=0)
        axis.plot(x, data["compliance"], color=HIGHLIGHT, marker="o", ms=4)
        cur = data[data["current"].astype(bool)]
        axis.scatter(cur["threshold"], cur["compliance"], s=110, color=BAD, zorder=3)
        for xi, yi in zip(data["threshold"], data["compliance"], strict=True):
            if pd.notna(yi):
                axis.annotate(
                    f"{yi:.0%}",
                    (xi, yi),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize=7,
                )
        axis.set_xscale("log")
        axis.set_xticks(x)
        axis.set_xticklabels([f"{v:g}" for v in x], fontsize=8)
        axis.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        percent_axis(axis, "y", limits=(0, 1.08))
        axis.set_title(labels.get(name, name), fontsize=10)
        axis.set_xlabel(words.xlabel)
        axis.set_ylabel(words.ylabel)
    return finish_panels(fig, words)

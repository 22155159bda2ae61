"""Figures of the development-plan step: module demand, incentive distributions, SLA curves.

Every function takes a frame from :mod:`playbook.steps.plan` or :mod:`playbook.steps.plan.kpi`,
draws
it, and returns the Figure; nothing is computed here beyond placing and formatting.
"""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from playbook.plots.base import BAD, HIGHLIGHT, MUTED, _axes, readable_labels, theme

__all__ = ["module_demand", "metric_distributions", "sla_curves"]

_INK = "#1f2933"


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=_INK)
    ax.set_xticks([])
    ax.set_yticks([])


@readable_labels
def module_demand(
    demand: pd.DataFrame,
    *,
    title: str = "",
    xlabel: str = "",
    empty_label: str = "—",
    ax=None,
):
    """Horizontal bars: how many reps each learning module is recommended to.

    Parameters
    ----------
    demand : DataFrame
        :func:`playbook.steps.plan.module_demand` (module, reps, priority); priority 1 bars
        are drawn in the highlight colour.
    """
    data = demand.reset_index(drop=True)
    fig, ax = _axes(ax, figsize=(8, 0.38 * max(len(data), 3) + 1.4))
    if not len(data):
        _empty(ax, empty_label)
        if title:
            ax.set_title(title)
        return fig
    y = np.arange(len(data))[::-1]
    colors = [HIGHLIGHT if p == 1 else MUTED for p in data["priority"]]
    ax.barh(y, data["reps"], color=colors)
    for yi, n in zip(y, data["reps"], strict=True):
        ax.text(n + 0.1, yi, f"{n}", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(data["module"], fontsize=8)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


@readable_labels
def metric_distributions(
    values: pd.DataFrame,
    candidates: pd.DataFrame,
    *,
    title: str = "",
    ylabel: str = "",
    ncols: int = 3,
    empty_label: str = "—",
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
    theme()
    shown = candidates[~candidates["suppressed"].astype(bool)]
    metrics = [m for m in shown["metric"] if m in set(values["metric"])]
    n = max(len(metrics), 1)
    cols = min(ncols, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.7 * rows + 0.6), squeeze=False)
    quant = shown.set_index("metric")
    for i, axis in enumerate(axes.ravel()):
        if i >= len(metrics):
            if not metrics and i == 0:
                _empty(axis, empty_label)
            else:
                axis.set_axis_off()
            continue
        m = metrics[i]
        data = values[values["metric"] == m]
        v = data["value"].to_numpy(dtype=float)
        axis.hist(v, bins=min(20, max(5, len(v) // 2)), color=HIGHLIGHT, alpha=0.75)
        for q, style in (("p25", ":"), ("median", "-"), ("p75", ":")):
            axis.axvline(quant.at[m, q], color=BAD, ls=style, lw=1.2)
        unit = data["unit"].iloc[0]
        if unit == "share":
            axis.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        elif unit == "currency":
            axis.xaxis.set_major_formatter(matplotlib.ticker.EngFormatter(sep=""))
        axis.set_title(str(data["label"].iloc[0]), fontsize=9)
        axis.tick_params(labelsize=7)
        if i % cols == 0:
            axis.set_ylabel(ylabel, fontsize=8)
    if title:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


@readable_labels
def sla_curves(
    sla: pd.DataFrame,
    *,
    labels: dict[str, str] | None = None,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    empty_label: str = "—",
):
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
            _empty(axis, empty_label)
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
        axis.set_ylim(0, 1.08)
        axis.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        axis.set_title(labels.get(name, name), fontsize=10)
        axis.set_xlabel(xlabel)
        axis.set_ylabel(ylabel)
    if title:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig

"""Figures of the handoff step: response times, what slowness costs, SLA compliance, sources.

Each takes a frame from :mod:`playbook.steps.handoff`, draws, and returns the Figure; an
empty frame (a table was missing) gives a figure that says so instead of failing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.plots.base import readable_labels
from playbook.plots.parts import (
    figure_axes,
    finish,
    finish_panels,
    interval_bars,
    interval_errors,
    percent_axis,
    row_labels,
)
from playbook.plots.style import BAD, GREY, HIGHLIGHT, INK, MUTED, PALETTE, theme
from playbook.plots.words import Words, default_words


def _empty(fig, ax, words: Words):
    """The figure of a missing table: says ``words.empty`` where the data would be."""
    ax.text(0.5, 0.5, words.empty, ha="center", va="center", fontsize=11, color=GREY)
    ax.set_axis_off()
    if words.title:
        ax.set_title(words.title)
    return fig


@readable_labels
@default_words(Words(xlabel="", ylabel="", empty="", marks={"sla": "SLA"}))
def response_time_curves(
    curves: pd.DataFrame,
    *,
    highlight: Sequence[str] = (),
    sla_hours: float | None = None,
    words: Words,
    ax=None,
):
    """Share of leads contacted within t business hours, one line per group.

    Parameters
    ----------
    curves : :func:`playbook.steps.handoff.contact_curves` frame (group, leads, hours, share).
    highlight : groups drawn bold in the alarm colour (e.g. a slow team); others muted
        when any is highlighted.
    sla_hours : draws the SLA as a dashed vertical line, named by ``words.marks["sla"]``.
    """
    fig, ax = figure_axes(ax, figsize=(8, 4.5))
    if not len(curves):
        return _empty(fig, ax, words)
    highlight = set(map(str, highlight))
    groups = list(dict.fromkeys(curves["group"].astype(str)))
    for i, group in enumerate(groups):
        data = curves[curves["group"].astype(str) == group]
        hot = group in highlight
        colour = BAD if hot else (MUTED if highlight else PALETTE[i % len(PALETTE)])
        ax.step(
            data["hours"],
            data["share"],
            where="post",
            color=colour,
            linewidth=2.6 if hot else 1.6,
            label=f"{group} (n={int(data['leads'].iloc[0]):,})",
            zorder=3 if hot else 2,
        )
    if sla_hours is not None:
        ax.axvline(sla_hours, color=INK, linestyle="--", linewidth=1)
        ax.text(sla_hours, 1.0, f" {words.marks['sla']}", fontsize=9, va="top")
    ax.set_xlim(0, float(curves["hours"].max()))
    percent_axis(ax, "y", limits=(0, 1.02))
    beside = {"loc": "center left", "bbox_to_anchor": (1.01, 0.5)}
    return finish(fig, ax, words, legend=beside)


@readable_labels
@default_words(Words(xlabel="", ylabel="", empty="", marks={"reference": ""}))
def response_conversion(
    conversion: pd.DataFrame,
    *,
    bucket_labels: dict[str, str] | None = None,
    reference: float | None = None,
    words: Words,
    ax=None,
):
    """Lead conversion by time-to-first-contact bucket: rates with 95% intervals and n.

    Parameters
    ----------
    conversion : :func:`playbook.steps.handoff.conversion_by_response` frame (bucket, n, rate,
        ci_low, ci_high).
    bucket_labels : display label per bucket (e.g. for ``none``).
    reference : a rate drawn as a dashed line (e.g. leads contacted within the SLA), named
        by ``words.marks["reference"]``.
    """
    fig, ax = figure_axes(ax, figsize=(8, 4.5))
    data = conversion[conversion["n"] > 0].reset_index(drop=True) if len(conversion) else conversion
    if not len(data):
        return _empty(fig, ax, words)
    bucket_labels = bucket_labels or {}
    x = np.arange(len(data))
    names = [bucket_labels.get(str(b), str(b)) for b in data["bucket"]]
    colours = [MUTED if str(b) == "none" else HIGHLIGHT for b in data["bucket"]]
    ax.bar(x, data["rate"], color=colours, alpha=0.85, width=0.6)
    interval_bars(ax, x, data, horizontal=False)
    for xi, row in zip(x, data.itertuples(index=False), strict=True):
        ax.text(xi, min(row.ci_high + 0.02, 0.97), f"n={row.n:,}", ha="center", fontsize=8)
    if reference is not None and np.isfinite(reference):
        ax.axhline(reference, color=BAD, linestyle="--", linewidth=1)
        ax.text(
            len(data) - 0.5,
            reference + 0.01,
            words.marks["reference"],
            ha="right",
            fontsize=8,
            color=BAD,
        )
    ax.set_xticks(x)
    ax.set_xticklabels(names)
    percent_axis(ax, "y", limits=(0, 1))
    return finish(fig, ax, words)


@readable_labels
@default_words(Words(xlabel="", empty=""))
def sla_by_team(
    compliance: pd.DataFrame,
    *,
    sla_labels: dict[str, str] | None = None,
    target: float = 0.8,
    words: Words,
):
    """SLA compliance per team: one panel per SLA (so no ``ax``), bars with 95% intervals.

    Parameters
    ----------
    compliance : :func:`playbook.steps.handoff.sla_compliance` frame by team (sla, team, n,
        compliance, ci_low, ci_high).
    sla_labels : SLA id -> display label.
    target : compliance below which a bar is drawn in the alarm colour.
    """
    data = compliance[compliance["n"] > 0] if len(compliance) else compliance
    if not len(data):
        fig, ax = figure_axes(None)
        return _empty(fig, ax, words)
    import matplotlib.pyplot as plt

    theme()
    sla_labels = sla_labels or {}
    slas = list(dict.fromkeys(data["sla"].astype(str)))
    teams = sorted(data["team"].astype(str).unique())
    fig, axes = plt.subplots(
        1, len(slas), figsize=(4.2 * len(slas) + 1.5, 0.45 * len(teams) + 1.8), sharey=True
    )
    for ax_i, sla in zip(np.atleast_1d(axes), slas, strict=True):
        part = data[data["sla"].astype(str) == sla]
        _team_compliance(ax_i, part.set_index(part["team"].astype(str)).reindex(teams), target)
        ax_i.set_title(sla_labels.get(sla, sla), fontsize=10)
        ax_i.set_xlabel(words.xlabel)
        ax_i.invert_yaxis()
    return finish_panels(fig, words)


def _team_compliance(ax, part: pd.DataFrame, target: float) -> None:
    """One SLA's panel: a bar per team (rows of ``part``, missing teams empty), the
    bars under ``target`` in the alarm colour, each labelled with its rate and n."""
    y = np.arange(len(part))
    colours = [BAD if r < target else HIGHLIGHT for r in part["compliance"].fillna(1)]
    ax.barh(y, part["compliance"].fillna(0), color=colours, alpha=0.85)
    filled = part.fillna({"compliance": 0, "ci_low": 0, "ci_high": 0})
    interval_bars(ax, y, filled, "compliance", capsize=2)
    for yi, row in enumerate(part.itertuples(index=False)):
        if pd.notna(row.compliance):
            # beside a short bar; on a long one the label goes inside it, in white
            beside = row.ci_high < 0.7
            ax.text(
                min(row.ci_high + 0.02, 0.72) if beside else 0.03,
                yi,
                f"{row.compliance:.0%} n={int(row.n):,}",
                va="center",
                fontsize=8,
                color=INK if beside else "white",
            )
    row_labels(ax, y, list(part.index))
    percent_axis(ax, "x", limits=(0, 1))


@readable_labels
@default_words(Words(ylabel="", empty=""))
def source_reach(
    sources: pd.DataFrame,
    *,
    labels: dict[str, str] | None = None,
    by: str = "source",
    words: Words,
    ax=None,
):
    """How far each source's leads get: share reaching each stage, with 95% intervals.

    Parameters
    ----------
    sources : :func:`playbook.steps.handoff.source_reach` frame (<by>, stage, share, ci_low,
    ci_high).
    labels : stage id -> display label.
    """
    fig, ax = figure_axes(ax, figsize=(8, 4.5))
    if not len(sources):
        return _empty(fig, ax, words)
    labels = labels or {}
    stages = [s for s in sources["stage"].cat.categories if s in set(sources["stage"].astype(str))]
    x = np.arange(len(stages))
    groups = list(dict.fromkeys(sources[by].astype(str)))
    width = 0.8 / max(len(groups), 1)
    for i, group in enumerate(groups):
        part = sources[sources[by].astype(str) == group]
        part = part.set_index(part["stage"].astype(str)).reindex(stages)
        xi = x - 0.4 + width * (i + 0.5)
        ax.errorbar(
            xi,
            part["share"],
            yerr=interval_errors(part, "share"),
            fmt="o-",
            color=PALETTE[i % len(PALETTE)],
            markersize=4,
            capsize=2,
            linewidth=1.2,
            label=f"{group} (n={int(part['leads'].max()):,})",
        )
    ax.set_xticks(x)
    ax.set_xticklabels([labels.get(s, s) for s in stages])
    percent_axis(ax, "y", limits=(0, None))
    return finish(fig, ax, words, legend={})

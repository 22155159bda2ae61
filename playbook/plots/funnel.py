"""Figures of the journey and stage-rate steps."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import pandas as pd

from playbook.plots.base import readable_labels
from playbook.plots.parts import (
    annotated_heatmap,
    figure_axes,
    finish,
    frame_cell,
    interval_bars,
    percent_axis,
    row_labels,
)
from playbook.plots.style import BAD, GREY, HIGHLIGHT, MUTED, PALETTE
from playbook.plots.words import Words, default_words


def _transition_names(frm, to, labels: dict[str, str], arrow: str = " → ") -> list[str]:
    """Display names of stage transitions, "Qualified → Proposal"."""
    return [f"{labels.get(f, f)}{arrow}{labels.get(t, t)}" for f, t in zip(frm, to, strict=False)]


@readable_labels
@default_words(Words(xlabel=""))
def funnel(rates: pd.DataFrame, *, labels: dict[str, str] | None = None, words: Words, ax=None):
    """Stage → next-stage rates as bars with 95% intervals and their n.

    Parameters
    ----------
    rates : frame with from, to, rate, ci_low, ci_high, mature_n (one row per transition).
    labels : stage id -> display label.
    """
    labels = labels or {}
    data = rates.reset_index(drop=True)
    names = _transition_names(data["from"], data["to"], labels)
    fig, ax = figure_axes(ax, figsize=(8, 0.6 * len(data) + 1.5))
    y = list(range(len(data)))[::-1]
    ax.barh(y, data["rate"], color=HIGHLIGHT, alpha=0.85)
    interval_bars(ax, y, data)
    for yi, row in zip(y, data.itertuples(index=False), strict=False):
        if pd.notna(row.rate):
            ax.text(
                min(row.ci_high + 0.02, 0.98),
                yi,
                f"{row.rate:.0%}  n={row.mature_n:,}",
                va="center",
                fontsize=9,
            )
    row_labels(ax, y, names)
    percent_axis(ax, "x", limits=(0, 1))
    return finish(fig, ax, words)


_OUTCOMES = ("entered", "lost", "open", "skip", "regress")


@readable_labels
@default_words(Words(marks={"dwell": "median {days} d", **{k: k for k in _OUTCOMES}}))
def journey_map(
    monitor: pd.DataFrame,
    moves: pd.DataFrame,
    *,
    labels: dict[str, str] | None = None,
    words: Words,
):
    """Layered flow of deals through the funnel: volumes, drop-offs, skips, regressions, dwell.

    Parameters
    ----------
    monitor : stage_monitor frame (stage, entered, lost, open, median_dwell_days).
    moves : flows frame (source, target, kind, deals).
    labels : stage id -> display label.
    words : marks name the legend's entered, lost, open, skip and regress, and ``dwell``
        (with a ``{days}`` placeholder) the median dwell under each stage.
    """
    from matplotlib.patches import Rectangle

    labels = labels or {}
    layout = _JourneyLayout.of(monitor)
    stages = layout.stages
    fig, ax = figure_axes(None, figsize=(max(8, 2.2 * len(stages)), 5.2))
    _stage_columns(ax, monitor, layout, labels, words.marks["dwell"])
    _move_arrows(ax, moves, layout)
    handles = [
        Rectangle((0, 0), 1, 1, color=c) for c in (HIGHLIGHT, BAD, MUTED, PALETTE[1], PALETTE[3])
    ]
    names = [words.marks[k] for k in _OUTCOMES]
    ax.legend(handles, names, loc="upper right", fontsize=8, frameon=False, ncol=5)
    ax.set_xlim(-1, layout.x[stages[-1]] + 1)
    ax.set_ylim(-1.2, 4.4)
    ax.axis("off")
    if words.title:
        ax.set_title(words.title)
    return fig


@dataclass(frozen=True)
class _JourneyLayout:
    """Where the journey map puts each of its ``stages``: its column's centre ``x`` (2 apart)
    and the ``height`` of its bar (3 for the stage most deals entered, ``top`` of them)."""

    stages: list[str]
    x: dict[str, float]
    height: dict[str, float]
    top: float

    @classmethod
    def of(cls, monitor: pd.DataFrame) -> _JourneyLayout:
        stages = list(monitor["stage"].astype(str))
        top = float(monitor["entered"].max()) or 1.0
        entered = zip(stages, monitor["entered"], strict=False)
        return cls(
            stages=stages,
            x={s: i * 2.0 for i, s in enumerate(stages)},
            height={s: 3.0 * float(e) / top for s, e in entered},
            top=top,
        )

    def scaled(self, deals) -> float:
        return 3.0 * float(deals) / self.top


def _stage_columns(ax, monitor: pd.DataFrame, layout: _JourneyLayout, labels, dwell_label):
    """Per stage: the deals that entered (a bar, named and counted), beside it the lost
    (counted) and the still open, under it the median dwell (not for the last stage)."""
    from matplotlib.patches import Rectangle

    last = layout.stages[-1]
    for row in monitor.itertuples(index=False):
        s = str(row.stage)
        x, h = layout.x[s], max(layout.height[s], 0.02)
        ax.add_patch(Rectangle((x - 0.35, 0), 0.7, h, color=HIGHLIGHT, alpha=0.85))
        ax.text(
            x,
            h + 0.08,
            f"{labels.get(s, s)}\n{int(row.entered):,}",
            ha="center",
            va="bottom",
            fontsize=10,
            fontweight="bold",
        )
        lost_h = layout.scaled(row.lost)
        ax.add_patch(Rectangle((x + 0.38, 0), 0.18, lost_h, color=BAD, alpha=0.8))
        if row.lost:
            ax.text(x + 0.6, lost_h + 0.04, f"−{int(row.lost):,}", ha="left", fontsize=8, color=BAD)
        ax.add_patch(Rectangle((x + 0.58, 0), 0.12, layout.scaled(row.open), color=MUTED))
        if pd.notna(row.median_dwell_days) and s != last:
            ax.text(
                x,
                -0.18,
                dwell_label.format(days=f"{row.median_dwell_days:.0f}"),
                ha="center",
                va="top",
                fontsize=8,
                color=GREY,
            )


def _move_arrows(ax, moves: pd.DataFrame, layout: _JourneyLayout) -> None:
    """An arrow per kind of move between stages, as wide as its deals: advances through
    the bars, skips arching over them, regressions arching under them."""
    from matplotlib.patches import FancyArrowPatch

    x, height = layout.x, layout.height
    deals_max = float(moves["deals"].max()) if len(moves) else 1.0
    for move in moves.itertuples(index=False):
        if (
            move.source not in x
            or move.target not in x
            or move.kind not in ("advance", "skip", "regress")
        ):
            continue
        x0, x1 = x[move.source], x[move.target]
        width = 1.0 + 8 * float(move.deals) / deals_max
        if move.kind == "advance":
            y0 = y1 = min(height[move.source], height[move.target]) / 2
            style, color, rad = "-|>", HIGHLIGHT, 0.0
        elif move.kind == "skip":
            y0, y1 = height[move.source] + 0.55, height[move.target] + 0.55
            style, color, rad = "-|>", PALETTE[1], -0.35
        else:
            y0 = y1 = -0.45
            style, color, rad = "-|>", PALETTE[3], -0.35
        ax.add_patch(
            FancyArrowPatch(
                (x0 + (0.35 if x1 > x0 else -0.35), y0),
                (x1 - (0.35 if x1 > x0 else -0.35), y1),
                connectionstyle=f"arc3,rad={rad}",
                arrowstyle=style,
                mutation_scale=12,
                lw=width if move.kind == "advance" else width / 2,
                color=color,
                alpha=0.6,
            )
        )


@readable_labels
@default_words(Words(xlabel="", ylabel="days"))
def dwell_distributions(
    tracks: pd.DataFrame,
    *,
    labels: dict[str, str] | None = None,
    words: Words,
    order: list[str] | None = None,
):
    """Dwell-time distribution per stage (completed visits), log scale.

    Parameters
    ----------
    tracks : build_tracks frame (stage, dwell_days, censored).
    """
    import seaborn as sns

    labels = labels or {}
    data = tracks.loc[~tracks["censored"] & (tracks["dwell_days"] > 0), ["stage", "dwell_days"]]
    data = data.assign(stage=data["stage"].astype(str).map(lambda s: labels.get(s, s)))
    present = set(data["stage"])
    order_labels = [labels.get(s, s) for s in (order or []) if labels.get(s, s) in present] or None
    fig, ax = figure_axes(None, figsize=(8, 4.2))
    sns.boxplot(
        data=data,
        x="stage",
        y="dwell_days",
        order=order_labels,
        ax=ax,
        color=MUTED,
        fliersize=1.5,
        linewidth=0.8,
    )
    ax.set_yscale("log")
    return finish(fig, ax, words)


@readable_labels
@default_words(Words(xlabel="days", ylabel=""))
def advance_curves(curves: pd.DataFrame, *, labels: dict[str, str] | None = None, words: Words):
    """Cumulative share advanced within t days of entering each stage (open deals censored).

    Parameters
    ----------
    curves : time_to_advance frame (stage, days, cum_advanced).
    """
    labels = labels or {}
    fig, ax = figure_axes(None, figsize=(8, 4.2))
    for i, (stage, group) in enumerate(curves.groupby("stage", observed=True, sort=False)):
        ax.step(
            group["days"],
            group["cum_advanced"],
            where="post",
            label=labels.get(str(stage), str(stage)),
            color=PALETTE[i % len(PALETTE)],
        )
    percent_axis(ax, "y", limits=(0, 1))
    return finish(fig, ax, words, legend={})


@readable_labels
@default_words(Words(xlabel=""))
def rate_heatmap(
    rates: pd.DataFrame,
    dimension: str,
    *,
    labels: dict[str, str] | None = None,
    flagged: set[tuple[str, str]] | None = None,
    words: Words,
):
    """Slice × transition heatmap of rates; flagged cells (value, from) are outlined.

    Parameters
    ----------
    rates : stage_rates frame by ``dimension`` (dimension, from, to, rate, mature_n).
    flagged : (slice value, from-stage) pairs found to be credible bottlenecks.
    """
    labels = labels or {}
    flagged = flagged or set()
    data = rates.assign(transition=_transition_names(rates["from"], rates["to"], labels, "→"))
    order = list(dict.fromkeys(data["transition"]))
    table = data.pivot_table(index=dimension, columns="transition", values="rate", observed=True)[
        order
    ]
    fig, ax = figure_axes(None, figsize=(1.6 * len(order) + 2.5, 0.45 * len(table) + 1.8))
    annotated_heatmap(ax, table, ".0%", "RdYlGn", (0, 1))
    froms = list(dict.fromkeys(data["from"]))
    rows = [str(v) for v in table.index]
    for value, stage in flagged:
        if str(value) in rows and stage in froms:
            frame_cell(ax, (froms.index(stage), rows.index(str(value))), lw=2.5)
    ax.tick_params(axis="x", labelrotation=0, labelsize=8)
    return finish(fig, ax, words.over(Words(ylabel=dimension)))


@readable_labels
@default_words(Words(ylabel=""))
def waterfall(
    contributions: pd.DataFrame,
    *,
    start_label: str,
    end_label: str,
    start: float,
    end: float,
    words: Words,
):
    """Waterfall from one period's revenue to the next through each factor's contribution.

    Parameters
    ----------
    contributions : frame with label and contribution (in revenue units), in display order.
    start, end : revenue of the earlier and later period.
    """
    fig, ax = figure_axes(None, figsize=(max(7, 1.1 * (len(contributions) + 2)), 4.2))
    ax.bar([0], [start], color=MUTED)
    level = start
    for i, row in enumerate(contributions.itertuples(index=False), start=1):
        value = float(row.contribution) if pd.notna(row.contribution) else 0.0
        ax.bar([i], [value], bottom=[level], color=PALETTE[2] if value >= 0 else BAD)
        level += value
    ax.bar([len(contributions) + 1], [end], color=HIGHLIGHT)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xticks(range(len(contributions) + 2))
    ax.set_xticklabels(
        [start_label, *contributions["label"].astype(str), end_label],
        rotation=30,
        ha="right",
        fontsize=8,
    )
    return finish(fig, ax, words)


@readable_labels
@default_words(Words(ylabel=""))
def trend_lines(cohorts: pd.DataFrame, *, labels: dict[str, str] | None = None, words: Words):
    """Stage rate by creation month, one line per transition; provisional months hollow.

    Parameters
    ----------
    cohorts : cohort_rates frame (cohort, from, to, rate, immature_cohort).
    """
    labels = labels or {}
    fig, ax = figure_axes(None, figsize=(8, 4.2))
    if cohorts.empty:
        ax.axis("off")
        if words.title:
            ax.set_title(words.title)
        return fig
    pairs = list(dict.fromkeys(zip(cohorts["from"], cohorts["to"], strict=True)))
    for i, (frm, to) in enumerate(pairs):
        rows = cohorts[(cohorts["from"] == frm) & (cohorts["to"] == to)].sort_values("cohort")
        color = PALETTE[i % len(PALETTE)]
        (name,) = _transition_names([frm], [to], labels)
        ax.plot(rows["cohort"], rows["rate"], color=color, label=name, lw=1.6)
        mature = ~rows["immature_cohort"].astype(bool)
        ax.scatter(rows.loc[mature, "cohort"], rows.loc[mature, "rate"], color=color, s=18)
        ax.scatter(
            rows.loc[~mature, "cohort"],
            rows.loc[~mature, "rate"],
            facecolors="white",
            edgecolors=color,
            s=22,
            zorder=3,
        )
    percent_axis(ax, "y", limits=(0, 1))
    fig.autofmt_xdate()
    return finish(fig, ax, words, legend={"ncol": 2})

"""Figures of the capability step: consistency grid, radars, gap forest, link heatmap.

Every function takes a frame from :mod:`playbook.steps.capability`, draws it, and returns
the Figure; nothing is computed here beyond placing and formatting. Suppressed
group values (NaN with ``suppressed`` True) are never drawn: the figure says
"suppressed" instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from playbook.plots.base import readable_labels
from playbook.plots.empty import no_data, no_data_figure
from playbook.plots.parts import (
    annotated_heatmap,
    figure_axes,
    finish,
    finish_panels,
    frame_cell,
    panel_grid,
    row_labels,
)
from playbook.plots.style import BAD, HIGHLIGHT, INK, PALETTE, theme
from playbook.plots.words import Words, default_words

__all__ = [
    "consistency_grid",
    "capability_radar",
    "rep_radars",
    "gap_forest",
    "link_heatmap",
    "team_heatmap",
]


@readable_labels
@default_words(Words(xlabel="", empty="no data"))
def consistency_grid(
    ranking: pd.DataFrame, consistency: pd.DataFrame, *, words: Words, max_reps: int = 40
):
    """Rep × period grid of ranks: framed cells are the period's top group, ★ marks
    consistent strong converters.

    Parameters
    ----------
    ranking : DataFrame
        :func:`playbook.steps.capability.rank_periods` (owner_id, period, rank, ranked, top).
    consistency : DataFrame
        :func:`playbook.steps.capability.consistent_converters` (owner_id, consistent), whose
        row order is kept; the first ``max_reps`` rows are drawn.
    """
    reps = [str(r) for r in consistency["owner_id"].head(max_reps)]
    height = 0.26 * max(len(reps), 4) + 1.6
    periods = sorted(ranking["period"].astype(str).unique()) if len(ranking) else []
    fig, ax = figure_axes(None, figsize=(1.1 * max(len(periods), 3) + 2.8, height))
    if not reps or not periods:
        return no_data_figure(fig, ax, words.empty, words.title)
    data = ranking.assign(owner_id=ranking["owner_id"].astype(str), period=ranking["period"])
    data = data[data["owner_id"].isin(reps)]
    share = (data["rank"] / data["ranked"]).to_numpy(dtype=float)
    grid = pd.DataFrame({"owner_id": data["owner_id"], "period": data["period"], "v": share})
    table = grid.pivot_table(index="owner_id", columns="period", values="v", aggfunc="first")
    table = table.reindex(index=reps, columns=periods)
    ranks = data.pivot_table(index="owner_id", columns="period", values="rank", aggfunc="first")
    ranks = ranks.reindex(index=reps, columns=periods)
    cmap = matplotlib.colormaps["RdYlGn_r"].with_extremes(bad="#eef1f4")
    ax.imshow(
        np.ma.masked_invalid(table.to_numpy(dtype=float)), cmap=cmap, vmin=0, vmax=1, aspect="auto"
    )
    tops = data[data["top"]]
    for owner, period in zip(tops["owner_id"], tops["period"], strict=True):
        # imshow centres cell (j, i) on the point (j, i): its corner is half a cell away
        frame_cell(ax, (periods.index(period) - 0.5, reps.index(owner) - 0.5), lw=2)
    for i in range(len(reps)):
        for j in range(len(periods)):
            value = ranks.iat[i, j]
            if pd.notna(value):
                ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=7, color=INK)
    consistent = set(consistency.loc[consistency["consistent"], "owner_id"].astype(str))
    row_labels(ax, range(len(reps)), [f"★ {r}" if r in consistent else r for r in reps], fontsize=7)
    for label, rep in zip(ax.get_yticklabels(), reps, strict=True):
        if rep in consistent:
            label.set_fontweight("bold")
    ax.set_xticks(range(len(periods)))
    ax.set_xticklabels(periods, fontsize=8)
    ax.grid(False)
    return finish(fig, ax, words)


_PHI = np.linspace(0, 2 * np.pi, 721)


def _outline(radii: np.ndarray) -> np.ndarray:
    """Radius along :data:`_PHI` of the straight-edged polygon through ``radii`` (one per
    evenly spaced axis), so lines and fills in polar axes have straight edges."""
    r = np.asarray(radii, dtype=float)
    n = len(r)
    step = 2 * np.pi / n
    k = np.minimum((_PHI // step).astype(int), n - 1)
    a, b = r[k], r[(k + 1) % n]
    lo = k * step
    with np.errstate(invalid="ignore", divide="ignore"):
        out = a * b * np.sin(step) / (a * np.sin(_PHI - lo) + b * np.sin(lo + step - _PHI))
    return np.where((a == 0) | (b == 0), 0.0, np.nan_to_num(out))


def _radar_axes(ax, labels: list[str], scale: tuple[float, float]):
    n = len(labels)
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    span = scale[1] - scale[0]
    ticks = np.linspace(0, span, 5)
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"{scale[0] + v:g}" for v in ticks], fontsize=7, color="#6b7785")
    ax.set_xticks(angles)
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_rlabel_position(90 / max(n, 1))
    return angles


def _finish_radar(ax, scale: tuple[float, float]) -> None:
    ax.set_thetamin(0)
    ax.set_thetamax(360)
    ax.set_ylim(0, scale[1] - scale[0])


def _radii(values, scale: tuple[float, float]) -> np.ndarray:
    return np.clip(np.asarray(values, dtype=float) - scale[0], 0, scale[1] - scale[0])


_RADAR_MARKS = {"benchmark": "benchmark", "rest": "rest of the team", "team": "team", "gap": "gap"}


@readable_labels
@default_words(Words(suppressed="suppressed", marks=_RADAR_MARKS))
def capability_radar(
    gaps: pd.DataFrame,
    *,
    dimension_labels: dict[str, str] | None = None,
    scale: tuple[float, float] = (1.0, 5.0),
    words: Words,
    ax=None,
):
    """Radar of the benchmark group's mean scores against the rest of the team.

    The area between the two polygons is shaded (blue where the benchmark is ahead,
    red where behind). When the group comparison is suppressed, only the team mean
    is drawn (if shown) and the figure says ``words.suppressed``. The marks name the
    legend's ``benchmark``, ``rest``, ``team`` and ``gap``.

    Parameters
    ----------
    gaps : DataFrame
        :func:`playbook.steps.capability.capability_gaps` (dimension, benchmark_mean,
        rest_mean, team_mean, suppressed); drawn in the order of ``dimension_labels``
        when given.
    scale : (min, max)
        The assessment scale (``config.capability.scale_min``/``scale_max``).
    """
    theme()
    labels = dimension_labels or {}
    order = [d for d in labels if d in set(gaps["dimension"])] or list(gaps["dimension"])
    data = gaps.set_index("dimension").reindex(order)
    if ax is None:
        fig = plt.figure(figsize=(7.2, 6.2))
        ax = fig.add_subplot(projection="polar")
    else:
        fig = ax.figure
    if len(order) < 3:
        no_data(ax, words.suppressed if len(order) else "—")
        return fig
    angles = _radar_axes(ax, [labels.get(d, d) for d in order], scale)
    bench = data["benchmark_mean"].to_numpy(dtype=float)
    rest = data["rest_mean"].to_numpy(dtype=float)
    team = data["team_mean"].to_numpy(dtype=float)
    suppressed = bool(data["suppressed"].fillna(False).astype(bool).any()) or np.isnan(bench).all()
    if not suppressed and not np.isnan(bench).any() and not np.isnan(rest).any():
        rb = _outline(_radii(bench, scale))
        rr = _outline(_radii(rest, scale))
        ax.fill_between(
            _PHI,
            rr,
            rb,
            where=rb >= rr,
            interpolate=True,
            color=HIGHLIGHT,
            alpha=0.28,
            lw=0,
            label=words.marks["gap"],
        )
        ax.fill_between(_PHI, rr, rb, where=rb < rr, interpolate=True, color=BAD, alpha=0.22, lw=0)
        ax.plot(_PHI, rr, color="#6b7785", lw=1.8, ls="--", label=words.marks["rest"])
        ax.plot(_PHI, rb, color=HIGHLIGHT, lw=2.2, label=words.marks["benchmark"])
        ax.scatter(angles, _radii(bench, scale), color=HIGHLIGHT, s=18, zorder=3)
        ax.scatter(angles, _radii(rest, scale), color="#6b7785", s=14, zorder=3)
    else:
        if not np.isnan(team).all():
            rt = _outline(_radii(np.nan_to_num(team, nan=scale[0]), scale))
            ax.plot(_PHI, rt, color="#6b7785", lw=1.8, label=words.marks["team"])
        ax.text(
            0.5,
            0.5,
            words.suppressed,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=11,
            color=BAD,
            fontweight="bold",
        )
    _finish_radar(ax, scale)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, fontsize=8, frameon=False
        )
    if words.title:
        ax.set_title(words.title, pad=28)
    fig.tight_layout()
    return fig


@readable_labels
@default_words(Words(empty="—", marks={"benchmark": "benchmark", "rep": "{rep}"}))
def rep_radars(
    rep_gaps: pd.DataFrame,
    reps: Sequence[str],
    *,
    dimension_labels: dict[str, str] | None = None,
    scale: tuple[float, float] = (1.0, 5.0),
    words: Words,
    ncols: int = 4,
):
    """Small multiples: each rep's scores (filled) against the benchmark mean (dashed).

    Parameters
    ----------
    rep_gaps : DataFrame
        :func:`playbook.steps.capability.rep_gaps` (rep_id, dimension, score, benchmark).
    reps : sequence of str
        Which reps to draw, in order.
    words : Words
        ``marks["rep"]`` is the panel title, formatted with ``rep``; ``marks["benchmark"]``
        names the dashed line.
    """
    labels = dimension_labels or {}
    reps = [str(r) for r in reps]
    fig, axes = panel_grid(len(reps), ncols, (3.4, 3.9), subplot_kw={"projection": "polar"})
    dims = [d for d in labels if d in set(rep_gaps["dimension"])] or list(
        dict.fromkeys(rep_gaps["dimension"])
    )
    short = [labels.get(d, d) for d in dims]
    short = [s if len(s) <= 14 else s[:13] + "…" for s in short]
    for i, axis in enumerate(axes.ravel()):
        if i >= len(reps) or len(dims) < 3:
            axis.set_axis_off()
            if i == 0 and not reps:
                fig.text(0.5, 0.5, words.empty, ha="center")
            continue
        rep = reps[i]
        data = rep_gaps[rep_gaps["rep_id"].astype(str) == rep].set_index("dimension").reindex(dims)
        _radar_axes(axis, short, scale)
        axis.tick_params(axis="x", labelsize=6)
        axis.tick_params(axis="y", labelsize=5)
        rs = _outline(_radii(data["score"].fillna(scale[0]), scale))
        axis.fill(_PHI, rs, color=PALETTE[1], alpha=0.3)
        axis.plot(_PHI, rs, color=PALETTE[1], lw=1.5)
        bench = data["benchmark"].to_numpy(dtype=float)
        if not np.isnan(bench).any():
            axis.plot(_PHI, _outline(_radii(bench, scale)), color=HIGHLIGHT, lw=1.2, ls="--")
        _finish_radar(axis, scale)
        axis.set_title(words.marks["rep"].format(rep=rep), fontsize=9, pad=12)
    handles = [
        matplotlib.lines.Line2D([], [], color=HIGHLIGHT, ls="--", label=words.marks["benchmark"]),
    ]
    fig.legend(handles=handles, loc="lower center", frameon=False, fontsize=8)
    return finish_panels(fig, words, rect=(0, 0.04, 1, 1))


@readable_labels
@default_words(Words(xlabel="", suppressed="suppressed"))
def gap_forest(
    gaps: pd.DataFrame,
    *,
    dimension_labels: dict[str, str] | None = None,
    words: Words,
    alpha: float = 0.05,
    ax=None,
):
    """Competency gaps (benchmark minus rest) with 95% intervals, largest first.

    Filled markers: adjusted p < ``alpha``; hollow: not credible; suppressed rows are
    labelled instead of drawn.

    Parameters
    ----------
    gaps : DataFrame
        :func:`playbook.steps.capability.capability_gaps` (dimension, gap, ci_low, ci_high,
        p_adj, suppressed), in the order drawn top to bottom.
    """
    labels = dimension_labels or {}
    data = gaps.reset_index(drop=True)
    fig, ax = figure_axes(ax, figsize=(7.5, 0.5 * max(len(data), 2) + 1.4))
    y = np.arange(len(data))[::-1]
    ax.axvline(0, color="#6b7785", lw=1)
    for yi, row in zip(y, data.itertuples(index=False), strict=True):
        if bool(row.suppressed) or pd.isna(row.gap):
            ax.text(
                0,
                yi,
                words.suppressed if bool(row.suppressed) else "—",
                ha="center",
                va="center",
                fontsize=8,
                color=BAD,
            )
            continue
        credible = pd.notna(row.p_adj) and row.p_adj < alpha
        color = HIGHLIGHT if row.gap >= 0 else BAD
        ax.plot([row.ci_low, row.ci_high], [yi, yi], color=color, lw=2)
        ax.scatter(
            [row.gap],
            [yi],
            s=50,
            zorder=3,
            color=color if credible else "white",
            edgecolor=color,
            lw=1.5,
        )
        ax.text(row.ci_high, yi + 0.18, f"{row.gap:+.2f}", fontsize=8, ha="left", color=INK)
    row_labels(ax, y, [labels.get(d, d) for d in data["dimension"]], fontsize=9)
    return finish(fig, ax, words)


@readable_labels
@default_words(Words(xlabel="", ylabel="", empty="—"))
def link_heatmap(
    links: pd.DataFrame,
    *,
    stage_labels: dict[str, str] | None = None,
    dimension_labels: dict[str, str] | None = None,
    words: Words,
    alpha: float = 0.05,
    ax=None,
):
    """Stage × competency heatmap of correlations across reps; credible cells framed.

    Parameters
    ----------
    links : DataFrame
        :func:`playbook.steps.capability.stage_competency_links` (stage, dimension, r, p_adj).
    """
    stage_labels = stage_labels or {}
    labels = dimension_labels or {}
    stages = list(dict.fromkeys(links["stage"])) if len(links) else []
    dims = [d for d in labels if d in set(links["dimension"])] if len(links) else []
    dims = dims or (list(dict.fromkeys(links["dimension"])) if len(links) else [])
    fig, ax = figure_axes(
        ax, figsize=(1.3 * max(len(dims), 3) + 2.5, 0.6 * max(len(stages), 2) + 1.8)
    )
    if not stages or not dims:
        return no_data_figure(fig, ax, words.empty, words.title)
    r = links.pivot_table(index="stage", columns="dimension", values="r", aggfunc="first")
    r = r.reindex(index=stages, columns=dims)
    p = links.pivot_table(index="stage", columns="dimension", values="p_adj", aggfunc="first")
    p = p.reindex(index=stages, columns=dims)
    annotated_heatmap(ax, r, ".2f", "RdBu_r", (-1, 1), center=0)
    for i in range(len(stages)):
        for j in range(len(dims)):
            if pd.notna(p.iat[i, j]) and p.iat[i, j] < alpha:
                frame_cell(ax, (j, i), lw=2.2)
    ax.set_yticklabels([stage_labels.get(s, s) for s in stages], rotation=0, fontsize=8)
    _dimension_columns(ax, [labels.get(d, d) for d in dims])
    return finish(fig, ax, words)


def _dimension_columns(ax, names: list[str], ticks=None) -> None:
    """Competency names under the columns of a heatmap, slanted to fit."""
    if ticks is not None:
        ax.set_xticks(ticks)
    ax.set_xticklabels(names, rotation=25, ha="right", fontsize=8)


@readable_labels
@default_words(Words(suppressed="suppressed", empty="—"))
def team_heatmap(
    team_scores: pd.DataFrame,
    *,
    dimension_labels: dict[str, str] | None = None,
    scale: tuple[float, float] = (1.0, 5.0),
    words: Words,
    ax=None,
):
    """Team × competency mean scores; suppressed cells say so.

    Parameters
    ----------
    team_scores : DataFrame
        :func:`playbook.steps.capability.team_capability` (team, reps, dimension, mean,
        suppressed).
    """
    labels = dimension_labels or {}
    teams = list(dict.fromkeys(team_scores["team"])) if len(team_scores) else []
    dims = [d for d in labels if d in set(team_scores["dimension"])] if teams else []
    dims = dims or (list(dict.fromkeys(team_scores["dimension"])) if teams else [])
    fig, ax = figure_axes(
        ax, figsize=(1.3 * max(len(dims), 3) + 2.5, 0.5 * max(len(teams), 2) + 1.8)
    )
    if not teams:
        return no_data_figure(fig, ax, words.empty, words.title)
    table = team_scores.pivot_table(
        index="team", columns="dimension", values="mean", aggfunc="first", dropna=False
    )
    table = table.reindex(index=teams, columns=dims)
    sup = team_scores.pivot_table(
        index="team", columns="dimension", values="suppressed", aggfunc="first", dropna=False
    ).reindex(index=teams, columns=dims)
    reps = team_scores.drop_duplicates("team").set_index("team")["reps"].reindex(teams)
    cmap = matplotlib.colormaps["Blues"].with_extremes(bad="#eef1f4")
    ax.imshow(
        np.ma.masked_invalid(table.to_numpy(dtype=float)),
        cmap=cmap,
        vmin=scale[0],
        vmax=scale[1],
        aspect="auto",
    )
    for i in range(len(teams)):
        for j in range(len(dims)):
            v = table.iat[i, j]
            hidden = bool(sup.iat[i, j]) if pd.notna(sup.iat[i, j]) else False
            text = words.suppressed if hidden else ("" if pd.isna(v) else f"{v:.1f}")
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color=BAD if hidden else INK)
    names = [f"{t} (n={n})" for t, n in zip(teams, reps, strict=True)]
    row_labels(ax, range(len(teams)), names, fontsize=8)
    _dimension_columns(ax, [labels.get(d, d) for d in dims], range(len(dims)))
    ax.grid(False)
    return finish(fig, ax, words)

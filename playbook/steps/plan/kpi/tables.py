"""The KPI tables of step 5: every metric per rep, per department and for the company.

:func:`_aggregate` computes one tidy frame per grouping; :func:`kpi_by_rep` is the
individual level, :func:`kpi_table` the three levels with privacy applied and
:func:`kpi_matrix` the one-page view of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.stats import wilson_interval
from playbook.steps.plan.kpi.intervals import _mean_interval, median_interval
from playbook.steps.plan.kpi.metrics import (
    KPI_COLUMNS,
    LEVELS,
    METRICS,
    Metric,
    _chosen,
    _describe,
    _format,
)
from playbook.workspace.privacy import people_groups, pool_small_groups

# --- aggregation -------------------------------------------------------------------------------


def _rate(groups, m: Metric, confidence: float) -> pd.DataFrame:
    """Successes over trials with the Wilson interval, shifted by the reference's rate."""
    sums = {"s": (m.column, "sum"), "n": (m.denominator, "sum")}
    if m.reference:
        sums["r"] = (m.reference, "sum")
    agg = groups.agg(**sums)
    low, high = wilson_interval(agg["s"].to_numpy(), agg["n"].to_numpy(), confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(agg["n"] > 0, agg["s"] / agg["n"], np.nan)
        if m.reference:
            shift = np.where(agg["n"] > 0, agg["r"] / agg["n"], np.nan)
            value, low, high = value - shift, low - shift, high - shift
    return pd.DataFrame(
        {"value": value, "n": agg["n"].to_numpy(), "ci_low": low, "ci_high": high},
        index=agg.index,
    )


def _mean(groups, m: Metric, confidence: float) -> pd.DataFrame:
    agg = groups[m.column].agg(["mean", "std", "count"])
    low, high = _mean_interval(
        agg["mean"].to_numpy(), agg["std"].to_numpy(), agg["count"].to_numpy(), confidence
    )
    frame = pd.DataFrame(
        {"value": agg["mean"].to_numpy(), "n": agg["count"].to_numpy()},
        index=agg.index,
    )
    frame["ci_low"], frame["ci_high"] = low, high
    return frame


def _median(groups, m: Metric, confidence: float) -> pd.DataFrame:
    rows = {
        g: (*median_interval(v.to_numpy(), confidence), int(v.notna().sum()))
        for g, v in groups[m.column]
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=["value", "ci_low", "ci_high", "n"])


def _sum(groups, m: Metric, confidence: float) -> pd.DataFrame:
    """A total, without interval; n counts the denominator's cases (else the known values)."""
    agg = groups.agg(value=(m.column, "sum"), n=(m.denominator or m.column, "count"))
    if m.denominator:
        agg["n"] = groups[m.denominator].sum()
    frame = agg[["value", "n"]].copy()
    frame["ci_low"] = np.nan
    frame["ci_high"] = np.nan
    return frame


_BY_KIND = {"rate": _rate, "mean": _mean, "median": _median, "sum": _sum}


def _supported(facts: pd.DataFrame, m: Metric) -> bool:
    """Whether the facts hold every column the metric needs, with at least one value."""

    def known(column: str | None) -> bool:
        return column in facts and not facts[column].isna().all()

    if not known(m.column):
        return False
    if m.kind == "rate":
        return known(m.denominator) and (not m.reference or known(m.reference))
    return True


def _aggregate(
    facts: pd.DataFrame, key: pd.Series, metrics: Sequence[Metric], confidence: float
) -> pd.DataFrame:
    """Each metric per value of ``key``: value, n, ci_low, ci_high (tidy)."""
    frames = []
    groups = facts.groupby(key.to_numpy(), sort=True)
    for m in metrics:
        if not _supported(facts, m):
            continue
        frame = _BY_KIND.get(m.kind, _sum)(groups, m, confidence)
        frame = frame.rename_axis("scope").reset_index()
        frame.insert(1, "metric", m.name)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["scope", "metric", "value", "n", "ci_low", "ci_high"])
    out = pd.concat(frames, ignore_index=True)
    out["n"] = out["n"].fillna(0).astype(np.int64)
    return out


# --- the three levels --------------------------------------------------------------------------


def kpi_by_rep(
    facts: pd.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
    language: str = "en",
    min_group_size: int = 1,
    other: str = "other teams",
) -> pd.DataFrame:
    """Every KPI per rep (the individual level), with its n and interval.

    Parameters
    ----------
    facts : DataFrame
        :func:`deal_facts`.
    metrics : list of str, optional
        Names from :data:`METRICS`; default all that the data support.
    min_group_size, other : int, str
        The ``team`` column names a team only when :func:`kpi_table` may show it:
        smaller teams read ``other`` (or nothing when even the pool is too small), so
        averaging a team's rows cannot give a hidden team figure.

    Returns
    -------
    DataFrame
        ``owner_id | team | role | dimension | metric | label | metric_type | value | n |
        ci_low | ci_high | unit``.
    """
    chosen = _chosen(metrics)
    out = _aggregate(facts, facts["owner_id"], chosen, confidence).rename(
        columns={"scope": "owner_id"}
    )
    attrs = facts.drop_duplicates("owner_id").set_index("owner_id")[["team", "role"]]
    shown = people_groups(attrs["team"], attrs.index.to_series(), min_group_size, other)
    attrs = attrs.assign(team=shown.to_numpy())
    out = out.join(attrs, on="owner_id")
    out = _describe(out, language)
    return out[
        [
            "owner_id",
            "team",
            "role",
            "dimension",
            "metric",
            "label",
            "metric_type",
            "value",
            "n",
            "ci_low",
            "ci_high",
            "unit",
        ]
    ]


def _department_level(
    facts: pd.DataFrame,
    chosen: Sequence[Metric],
    confidence: float,
    min_group_size: int,
    other: str,
) -> pd.DataFrame:
    """Each team's deals pooled; small teams merged into ``other``, a pool still too small
    suppressed."""
    sizes = facts.groupby("team")["owner_id"].nunique()
    mapping = pool_small_groups(sizes, min_group_size, other)
    team = facts["team"].map(mapping)
    dept = _aggregate(facts, team, chosen, confidence)
    pooled_sizes = facts.groupby(team)["owner_id"].nunique()
    small = dept["scope"].map(pooled_sizes) < min_group_size
    dept["suppressed"] = small.to_numpy()
    dept.loc[small, ["value", "ci_low", "ci_high"]] = np.nan
    dept["level"] = "department"
    return dept


def _typical_rep(
    facts: pd.DataFrame, chosen: Sequence[Metric], confidence: float, min_group_size: int
) -> pd.DataFrame:
    """The median rep of each metric, its interval and the reps' interquartile range."""
    per_rep = _aggregate(facts, facts["owner_id"], chosen, confidence)
    per_rep = per_rep[per_rep["n"] > 0]
    rows = []
    for name, values in per_rep.groupby("metric", sort=False)["value"]:
        v = values.dropna().to_numpy()
        med, lo, hi = median_interval(v, confidence)
        suppressed = len(v) < min_group_size
        q1, q3 = np.quantile(v, [0.25, 0.75]) if len(v) else (np.nan, np.nan)
        rows.append(
            {
                "scope": "median rep",
                "metric": name,
                "value": np.nan if suppressed else med,
                "n": len(v),
                "ci_low": np.nan if suppressed else lo,
                "ci_high": np.nan if suppressed else hi,
                "spread_low": np.nan if suppressed else q1,
                "spread_high": np.nan if suppressed else q3,
                "suppressed": suppressed,
            }
        )
    individual = pd.DataFrame(rows)
    individual["level"] = "individual"
    return individual


def kpi_table(
    facts: pd.DataFrame,
    *,
    min_group_size: int = 5,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
    language: str = "en",
    other: str = "other teams",
) -> pd.DataFrame:
    """The KPI system: revenue / activity / customer × company / department / individual.

    Company rows pool every deal. Department rows pool the deals of each sales team
    (``facts.team``); teams with fewer than ``min_group_size`` reps are merged into
    ``other`` with complementary suppression (:func:`playbook.workspace.privacy.pool_small_groups`),
    and a pool still too small is shown as suppressed. The individual level is the
    typical rep: the median of the reps' own values (reps with at least one
    observation), its order-statistic interval, and the interquartile range across
    reps in ``spread_low``/``spread_high``.

    Parameters
    ----------
    facts : DataFrame
        :func:`deal_facts`.
    min_group_size : int
        Fewest reps a department or the individual-level summary may describe.
    metrics : list of str, optional
        Names from :data:`METRICS`; default all the data support.
    confidence : float
        Interval coverage.
    language : {"en", "zh"}
        Language of the ``label`` column.
    other : str
        Name of the pooled department.

    Returns
    -------
    DataFrame
        ``dimension | level | scope | metric | label | metric_type | current_value | n |
        ci_low | ci_high | spread_low | spread_high | unit | suppressed``, in the order of
        :data:`METRICS`, then level. ``n`` is the metric's denominator (deals,
        renewals due, …) except at the individual level, where it counts reps.
    """
    chosen = _chosen(metrics)
    company = _aggregate(facts, pd.Series("company", index=facts.index), chosen, confidence)
    company["level"] = "company"
    frames = [
        company,
        _department_level(facts, chosen, confidence, min_group_size, other),
        _typical_rep(facts, chosen, confidence, min_group_size),
    ]
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    for column in ("spread_low", "spread_high"):
        if column not in out:
            out[column] = np.nan
    if "suppressed" not in out:
        out["suppressed"] = False
    out["suppressed"] = out["suppressed"].astype("boolean").fillna(False).astype(bool)
    out = _describe(out, language).rename(columns={"value": "current_value"})
    order = {m.name: i for i, m in enumerate(METRICS)}
    out["_m"] = out["metric"].map(order)
    out["_l"] = out["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    out = out.sort_values(["_m", "_l", "scope"], kind="stable").drop(columns=["_m", "_l"])
    return out[KPI_COLUMNS].reset_index(drop=True)


# --- the steering committee's view -------------------------------------------------------------


def kpi_matrix(table: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """The KPI system as the one-page table a steering committee reads.

    One row per KPI; a column for the company, one per department, and one for the
    typical rep. Cells read ``value (95% interval)``, the typical rep's
    ``median (p25–p75 of reps)``; suppressed cells read as suppressed.

    Parameters
    ----------
    table : DataFrame
        :func:`kpi_table`.

    Returns
    -------
    DataFrame
        ``dimension | metric_type | label | <company> | <each department> | <median
        rep>``, values as text in the report language.
    """
    from playbook.i18n import t

    if not len(table):
        return pd.DataFrame(columns=["dimension", "metric_type", "label"])
    hidden = t("cap_suppressed", language)
    company = t("kpi_level_company", language)
    typical = t("kpi_median_rep", language)

    def cell(r) -> str:
        if bool(r.suppressed):
            return hidden
        v = _format(r.current_value, r.unit)
        if r.level == "individual":
            lo, hi = _format(r.spread_low, r.unit), _format(r.spread_high, r.unit)
        else:
            lo, hi = _format(r.ci_low, r.unit), _format(r.ci_high, r.unit)
        return f"{v} ({lo}–{hi})" if lo and hi else v

    data = table.assign(
        cell=[cell(r) for r in table.itertuples(index=False)],
        column=np.where(
            table["level"] == "company",
            company,
            np.where(table["level"] == "individual", typical, table["scope"].astype(str)),
        ),
    )
    departments = list(dict.fromkeys(table.loc[table["level"] == "department", "scope"]))
    wide = data.pivot_table(
        index="metric", columns="column", values="cell", aggfunc="first", sort=False
    )
    wide = wide.reindex(columns=[company, *map(str, departments), typical]).fillna("")
    meta = table.drop_duplicates("metric").set_index("metric")
    out = pd.DataFrame(
        {
            "dimension": [
                t(f"kpi_dimension_{meta.at[m, 'dimension']}", language) for m in wide.index
            ],
            "metric_type": [
                t(f"kpi_type_{meta.at[m, 'metric_type']}", language) for m in wide.index
            ],
            "label": [meta.at[m, "label"] for m in wide.index],
        }
    )
    for column in wide.columns:
        out[column] = wide[column].to_numpy()
    return out

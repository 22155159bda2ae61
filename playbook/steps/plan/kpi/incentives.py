"""Step 5's incentive candidates: behaviour and process KPIs, their spread across reps and
how they go with results, so HR can size thresholds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.steps.plan.kpi.intervals import correlation_interval
from playbook.steps.plan.kpi.metrics import METRICS, _format

#: Columns of :func:`incentive_candidates`.
INCENTIVE_COLUMNS = [
    "metric",
    "label",
    "metric_type",
    "dimension",
    "better",
    "reps",
    "mean",
    "p10",
    "p25",
    "median",
    "p75",
    "p90",
    "r_outcome",
    "r_ci_low",
    "r_ci_high",
    "r_p_value",
    "unit",
    "suppressed",
]
#: The quantiles of the reps' values shown for sizing thresholds.
_QUANTILES = {"p10": 0.1, "p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}


def incentive_candidates(
    by_rep: pd.DataFrame,
    *,
    metric_types: Sequence[str] = ("behaviour", "process"),
    outcome: str = "win_rate",
    min_reps: int = 5,
    min_n: int = 10,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Behaviour and process metrics that could enter an incentive scheme, with their spread.

    For each metric: the distribution of the reps' values (reps with at least
    ``min_n`` observations), so thresholds can be sized (a threshold at the p75 pays
    a quarter of the reps), and its correlation with ``outcome`` across reps (Fisher-z
    interval): a metric unrelated to results rewards activity, not selling.

    Parameters
    ----------
    by_rep : DataFrame
        :func:`kpi_by_rep`.
    metric_types : sequence of str
        Which metric types are candidates.
    outcome : str
        The result metric to correlate with.
    min_reps : int
        Fewer reps than this: the distribution is suppressed (privacy).
    min_n : int
        A rep's value counts when it rests on at least this many observations.

    Returns
    -------
    DataFrame
        ``metric | label | metric_type | dimension | better | reps | mean | p10 | p25 |
        median | p75 | p90 | r_outcome | r_ci_low | r_ci_high | r_p_value | unit |
        suppressed``.
    """
    usable = by_rep[by_rep["n"] >= min_n]
    result = usable[usable["metric"] == outcome].set_index("owner_id")["value"]
    rows = []
    for m in METRICS:
        if m.metric_type not in metric_types:
            continue
        sub = usable[usable["metric"] == m.name]
        values = sub["value"].dropna()
        if not len(values):
            continue
        suppressed = len(values) < min_reps
        paired = sub.set_index("owner_id")["value"]
        r, lo, hi, p, _ = correlation_interval(
            paired.to_numpy(), result.reindex(paired.index).to_numpy(), confidence
        )
        row = {
            "metric": m.name,
            "label": sub["label"].iloc[0],
            "metric_type": m.metric_type,
            "dimension": m.dimension,
            "better": m.better,
            "reps": int(len(values)),
            **_spread(values, suppressed),
            "r_outcome": r,
            "r_ci_low": lo,
            "r_ci_high": hi,
            "r_p_value": p,
            "unit": m.unit,
            "suppressed": suppressed,
        }
        rows.append(row)
    return pd.DataFrame(rows, columns=INCENTIVE_COLUMNS)


def _spread(values: pd.Series, suppressed: bool) -> dict[str, float]:
    """Mean and quantiles of the reps' values (NaN when too few reps to show them)."""
    if suppressed:
        return dict.fromkeys(("mean", *_QUANTILES), np.nan)
    q = np.quantile(values, list(_QUANTILES.values()))
    return {"mean": float(values.mean()), **dict(zip(_QUANTILES, q, strict=True))}


def incentive_view(candidates: pd.DataFrame) -> pd.DataFrame:
    """:func:`incentive_candidates` for display: the distribution in each metric's unit.

    Returns
    -------
    DataFrame
        ``label | metric_type | better | reps | p10 | p25 | median | p75 | p90 | r_outcome |
        r_ci_low | r_ci_high``; quantiles as text (percentages for shares), ``better``
        as an arrow (↑ higher is better, ↓ lower is better).
    """
    out = candidates.copy()
    for column in _QUANTILES:
        out[column] = [
            _format(v, u) for v, u in zip(candidates[column], candidates["unit"], strict=True)
        ]
    out["better"] = np.where(candidates["better"] == "lower", "↓", "↑")
    columns = ["label", "metric_type", "better", "reps", "p10", "p25", "median", "p75", "p90"]
    return out[[*columns, "r_outcome", "r_ci_low", "r_ci_high"]].reset_index(drop=True)


def incentive_values(
    by_rep: pd.DataFrame,
    candidates: pd.DataFrame,
    *,
    min_n: int = 10,
) -> pd.DataFrame:
    """The per-rep values behind :func:`incentive_candidates` (for distribution plots).

    Returns
    -------
    DataFrame
        ``metric | label | unit | value`` for every candidate metric that is not
        suppressed; one row per rep (no rep id: the figure shows a distribution).
    """
    shown = candidates.loc[~candidates["suppressed"], "metric"]
    sub = by_rep[(by_rep["n"] >= min_n) & by_rep["metric"].isin(shown)]
    return sub[["metric", "label", "unit", "value"]].dropna().reset_index(drop=True)

"""Observed against expected: per group and stage, the difference in points with its interval
and O/E (see :mod:`playbook.steps.adjust`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.stats import wilson_interval

OE_COLUMNS = [
    "stage",
    "n",
    "observed",
    "expected",
    "rate",
    "expected_rate",
    "o_minus_e",
    "ci_low",
    "ci_high",
    "o_e",
    "o_e_low",
    "o_e_high",
    "z",
]


def observed_vs_expected(
    frame: pd.DataFrame,
    by: str | Sequence[str],
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per group (and stage): observed advances against the sum of the expected chances.

    Parameters
    ----------
    frame : DataFrame
        One row per resolved deal (and stage): the ``by`` columns, ``advanced`` (0/1),
        ``expected`` (chance from the mix), optionally ``stage`` — e.g.
        :meth:`MixModel.frame` or :func:`expected_conversion`, with a team column joined.
    by : str or list of str
        Grouping column(s), e.g. ``"owner_id"`` or ``"team"``.
    confidence : float
        Interval coverage.

    Returns
    -------
    DataFrame
        ``[by...] | stage | n | observed | expected | rate | expected_rate | o_minus_e |
        ci_low | ci_high | o_e | o_e_low | o_e_high | z``. ``rate`` = observed / n and
        ``expected_rate`` = expected / n (what the company converts on these deals);
        ``o_minus_e`` = rate − expected_rate (a share: ×100 for points) with the Wilson
        interval of ``rate`` minus ``expected_rate`` (the expected is fitted on the whole
        company and taken as known); ``o_e`` = observed / expected with the same interval
        divided by ``expected_rate``; ``z`` = (observed − expected) / sqrt(sum p(1 − p)),
        the standard score under "converts as expected".
    """
    keys = [by] if isinstance(by, str) else list(by)
    if "stage" in frame.columns and "stage" not in keys:
        keys = [*keys, "stage"]
    f = frame.assign(
        _var=frame["expected"] * (1 - frame["expected"]), advanced=frame["advanced"].astype(float)
    )
    g = (
        f.groupby(keys, observed=True, sort=True)
        .agg(
            n=("advanced", "size"),
            observed=("advanced", "sum"),
            expected=("expected", "sum"),
            _var=("_var", "sum"),
        )
        .reset_index()
    )
    out = oe_table(
        g[keys],
        g["n"].to_numpy(dtype=float),
        g["observed"].to_numpy(dtype=float),
        g["expected"].to_numpy(dtype=float),
        g["_var"].to_numpy(dtype=float),
        confidence,
    )
    return out


def oe_table(
    keys: pd.DataFrame,
    n: np.ndarray,
    o: np.ndarray,
    e: np.ndarray,
    var: np.ndarray,
    confidence: float,
) -> pd.DataFrame:
    """The columns of :func:`observed_vs_expected` from the per-group sums."""
    low, high = wilson_interval(o, n, confidence)
    out = keys.reset_index(drop=True).copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = o / n
        exp_rate = e / n
        out["n"] = n.astype(np.int64)
        out["observed"] = o.astype(np.int64)
        out["expected"] = e
        out["rate"] = rate
        out["expected_rate"] = exp_rate
        out["o_minus_e"] = rate - exp_rate
        out["ci_low"] = low - exp_rate
        out["ci_high"] = high - exp_rate
        out["o_e"] = o / e
        out["o_e_low"] = low / exp_rate
        out["o_e_high"] = high / exp_rate
        out["z"] = np.where(var > 0, (o - e) / np.sqrt(var), np.nan)
    first = [c for c in keys.columns if c != "stage"]
    return out[first + [c for c in OE_COLUMNS if c in out.columns]]


def compared_stage_rate(stage_performance: pd.DataFrame) -> pd.Series:
    """The per-rep stage rate people are compared on: the shrunk rate adjusted for the deal
    mix (``adjusted_shrunk`` of :func:`playbook.steps.capability.rep_stage_performance`) where
    there is one, else the shrunk rate."""
    sp = stage_performance
    if "adjusted_shrunk" in sp.columns:
        return sp["adjusted_shrunk"].fillna(sp["shrunk"]).astype(float)
    return sp["shrunk"].astype(float)

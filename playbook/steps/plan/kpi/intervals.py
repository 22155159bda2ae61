"""Intervals of the KPIs: medians (order statistics), means (t) and correlations (Fisher z)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _st


def median_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Median with its distribution-free (binomial order-statistic) interval.

    Returns
    -------
    (median, low, high)
        NaN when there are no values; the interval is NaN below 3 values.
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    med = float(np.median(x))
    if n < 3:
        return med, math.nan, math.nan
    alpha = 1 - confidence
    lo = int(_st.binom.ppf(alpha / 2, n, 0.5))
    hi = int(_st.binom.isf(alpha / 2, n, 0.5))
    lo = max(lo - 1, 0)
    hi = min(hi, n - 1)
    return med, float(x[lo]), float(x[hi])


def correlation_interval(x, y, confidence: float = 0.95) -> tuple[float, float, float, float, int]:
    """Pearson correlation with its Fisher-z interval and two-sided p-value.

    Pairs with a missing value are left out.

    Returns
    -------
    (r, low, high, p_value, n)
        NaN where fewer than 4 pairs remain or a variable is constant.
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    n = int(len(a))
    if n < 4 or np.std(a) == 0 or np.std(b) == 0:
        return math.nan, math.nan, math.nan, math.nan, n
    r = float(np.corrcoef(a, b)[0, 1])
    r = min(max(r, -0.999999), 0.999999)
    z = math.atanh(r)
    half = float(_st.norm.ppf(0.5 + confidence / 2)) / math.sqrt(n - 3)
    t = r * math.sqrt((n - 2) / (1 - r * r))
    p = float(2 * _st.t.sf(abs(t), n - 2))
    return r, math.tanh(z - half), math.tanh(z + half), p, n


def _mean_interval(mean, sd, n, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        crit = _st.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
        half = crit * np.asarray(sd, dtype=float) / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return mean - half, mean + half

"""Random draws the sample company makes everywhere: categories by weight, times spread over a
stay, and the logit scale conversion chances are shifted on."""

from __future__ import annotations

import numpy as np

from playbook.sample.clock import N_CAL_DAYS, Calendar


def logit(p):
    return np.log(p) - np.log1p(-p)


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def cdf(weights) -> np.ndarray:
    """The cumulative distribution of (unnormalised) weights, ending at exactly 1."""
    w = np.asarray(weights, dtype=float)
    out = np.cumsum(w / w.sum())
    out[-1] = 1.0
    return out


def pick(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """Category codes drawn with the given (unnormalised) weights."""
    return np.searchsorted(cdf(weights), rng.random(size), side="right").astype(np.int64)


def spread(rng, deal, start, end, counts, cal: Calendar | None = None):
    """``counts[i]`` uniform times in [start[i], end[i]] for each deal i.

    With a calendar, times are moved into office hours where that keeps them in range.
    """
    counts = np.asarray(counts, dtype=np.int64)
    idx = np.repeat(np.arange(len(deal)), counts)
    u = rng.random(idx.size)
    t = start[idx] + u * (end[idx] - start[idx])
    if cal is not None:
        day = np.clip(np.floor(t).astype(np.int64), 0, N_CAL_DAYS - 1)
        after = rng.random(t.shape) < 0.5  # a day off moves to the working day before or after
        day = np.where(after, cal.next_work[day], cal.prev_work[day])
        day = np.clip(day, 0, N_CAL_DAYS - 1)
        office = day + rng.uniform(9.0, 18.0, t.shape) / 24.0
        t = np.where((office >= start[idx]) & (office <= end[idx]), office, t)
    return deal[idx], t, idx

"""The source baseline: each lead source's historical win rate, shrunk towards the overall rate.

Every model is compared with it, and scores come from it when no model is better."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.stats import fit_beta_prior, shrink_rates


def baseline_table(source: pd.Series, y: np.ndarray) -> pd.DataFrame:
    """Win rate by source, shrunk towards the overall rate (empirical Bayes)."""
    keys = source.to_numpy(dtype=object)
    codes, uniques = pd.factorize(keys)
    n = np.bincount(codes, minlength=len(uniques)).astype(float)
    won = np.bincount(codes, weights=y.astype(float), minlength=len(uniques))
    rate = shrink_rates(won, n, fit_beta_prior(won, n))
    rate = np.where(np.isnan(rate), won.sum() / max(n.sum(), 1), rate)
    return pd.DataFrame({"source": uniques, "n": n.astype(np.int64), "rate": rate})


def baseline_scores(table: pd.DataFrame, overall: float, source: pd.Series | None) -> np.ndarray:
    """Each lead's source win rate from ``table`` (``overall`` for unknown sources)."""
    if source is None or table.empty:
        return np.full(0 if source is None else len(source), overall)
    mapping = dict(zip(table["source"], table["rate"], strict=True))
    return source.astype(object).map(mapping).fillna(overall).to_numpy(dtype=float)

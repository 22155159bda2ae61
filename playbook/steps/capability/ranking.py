"""Ranking reps period by period: lead-to-won conversion as the product of the shrunk stage
rates (with a posterior interval), the top group of each period, and the same ranking on the
raw rates beside an adjusted one. Part of step 4 (:mod:`playbook.steps.capability`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.steps.capability.consistency_rates import is_adjusted, measure

RANK_COLUMNS = [
    "owner_id",
    "period",
    "deals",
    "conversion",
    "ci_low",
    "ci_high",
    "raw_conversion",
    "team_conversion",
    "lift",
    "rank",
    "ranked",
    "eligible",
    "top",
    "unadjusted_conversion",
    "unadjusted_rank",
    "unadjusted_top",
    "expected_conversion",
]


def _posterior_product(
    rates: pd.DataFrame, unit: np.ndarray, n_units: int, n_draws: int, seed: int, q: float
) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of the product of stage rates under each row's beta posterior."""
    rng = np.random.default_rng(seed)
    adv = rates["advanced"].to_numpy(dtype=float)
    n = rates["mature_n"].to_numpy(dtype=float)
    a = rates["prior_alpha"].to_numpy(dtype=float)
    b = rates["prior_beta"].to_numpy(dtype=float)
    flat = (a + b) <= 0
    a = np.where(flat, 0.5, a)  # no prior fitted: Jeffreys
    b = np.where(flat, 0.5, b)
    strength = a + b
    cap = 1e6  # "no variation between reps": a very strong but finite prior
    a = np.where(strength > cap, a / strength * cap, a)
    b = np.where(strength > cap, b / strength * cap, b)
    product = np.ones((n_units, n_draws))
    draws = rng.beta((adv + a)[:, None], (n - adv + b)[:, None], size=(len(adv), n_draws))
    np.multiply.at(product, unit, draws)
    low = np.quantile(product, (1 - q) / 2, axis=1)
    high = np.quantile(product, (1 + q) / 2, axis=1)
    return low, high


def rank_periods(
    rates: pd.DataFrame,
    *,
    top_share: float = 0.25,
    min_deals: int = 15,
    n_draws: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    adjusted: bool | None = None,
) -> pd.DataFrame:
    """Per rep and period: shrunk lead-to-won conversion, rank and top-group membership.

    ``conversion`` is the product of the shrunk stage rates of
    :func:`rep_period_rates` — adjusted for the deal mix when ``rates`` carry the adjusted
    measure — (the team's in ``team_conversion``); its interval comes from ``n_draws``
    draws of each stage's beta posterior (seeded). Reps with at least ``min_deals`` deals
    created in the period are ``eligible`` and ranked (1 = best); the top group is the
    best ``ceil(top_share × ranked)`` of them whose conversion is above the team's.

    Parameters
    ----------
    adjusted : bool, optional
        Rank on the adjusted measure (default: when ``rates`` carry it).

    Returns
    -------
    DataFrame
        ``owner_id | period | deals | conversion | ci_low | ci_high | raw_conversion |
        team_conversion | lift | rank | ranked | eligible | top | unadjusted_conversion |
        unadjusted_rank | unadjusted_top | expected_conversion``; ``rank`` is NaN for
        reps that are not eligible; ``lift`` = conversion / team_conversion;
        ``raw_conversion`` multiplies the observed (unshrunk, unadjusted) rates. When
        ranked on the adjusted measure, ``unadjusted_*`` hold the same ranking on the raw
        shrunk rates and ``expected_conversion`` multiplies the expected rates of the rep's
        own deals (what the company converts on their mix); otherwise they are NaN.
    """
    use = is_adjusted(rates) if adjusted is None else bool(adjusted) and is_adjusted(rates)
    settings = {"top_share": top_share, "min_deals": min_deals, "seed": seed}
    out = _rank(measure(rates, use), n_draws=n_draws, confidence=confidence, **settings)
    for column in RANK_COLUMNS[RANK_COLUMNS.index("unadjusted_conversion") :]:
        out[column] = np.nan
    if not use or not len(out):
        return out[RANK_COLUMNS]
    # the same ranking on the raw shrunk rates (eligibility and the team do not depend on it)
    keys = rates["owner_id"].astype(str) + "\x1f" + rates["period"].astype(str)
    unit, uniques = pd.factorize(keys)
    row = pd.Index(uniques).get_indexer(out["owner_id"].astype(str) + "\x1f" + out["period"])
    log_raw = np.log(np.clip(rates["shrunk"].to_numpy(dtype=float), 1e-12, None))
    rate = rates["expected_rate"].fillna(rates["team_rate"]).to_numpy(dtype=float)
    log_expected = np.log(np.clip(rate, 1e-12, None))
    out["unadjusted_conversion"] = np.exp(np.bincount(unit, weights=log_raw))[row]
    out["expected_conversion"] = np.exp(np.bincount(unit, weights=log_expected))[row]
    out["unadjusted_rank"] = (
        out["unadjusted_conversion"]
        .where(out["eligible"])
        .groupby(out["period"])
        .rank(ascending=False, method="min")
    )
    n_top = np.maximum(1, np.ceil(float(top_share) * out["ranked"]))
    out["unadjusted_top"] = (
        out["eligible"]
        & (out["unadjusted_rank"] <= n_top)
        & (out["unadjusted_conversion"] > out["team_conversion"])
    )
    return out[RANK_COLUMNS]


def _rank(
    rates: pd.DataFrame,
    *,
    top_share: float,
    min_deals: int,
    n_draws: int,
    seed: int,
    confidence: float,
) -> pd.DataFrame:
    """:func:`rank_periods` on one measure (``n_draws=0``: no interval)."""
    if not len(rates):
        return pd.DataFrame(columns=RANK_COLUMNS[: RANK_COLUMNS.index("unadjusted_conversion")])
    first = rates["from"].cat.categories[0]
    keys = rates[["owner_id", "period"]].astype(str)
    unit, uniques = pd.factorize(keys["owner_id"] + "\x1f" + keys["period"])
    U = len(uniques)
    log_shrunk = np.log(np.clip(rates["shrunk"].to_numpy(dtype=float), 1e-12, None))
    log_team = np.log(np.clip(rates["team_rate"].to_numpy(dtype=float), 1e-12, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = rates["rate"].to_numpy(dtype=float)
    conversion = np.exp(np.bincount(unit, weights=log_shrunk, minlength=U))
    team = np.exp(np.bincount(unit, weights=log_team, minlength=U))
    raw_conv = pd.Series(raw).groupby(unit).prod(min_count=1).reindex(range(U)).to_numpy()
    is_first = (rates["from"] == first).to_numpy()
    deals = np.bincount(unit[is_first], weights=rates["entered"].to_numpy()[is_first], minlength=U)
    if n_draws:
        low, high = _posterior_product(rates, unit, U, n_draws, seed, confidence)
    else:
        low = high = np.full(U, np.nan)
    parts = pd.Series(uniques).str.split("\x1f", expand=True)
    out = pd.DataFrame(
        {
            "owner_id": parts[0].to_numpy(),
            "period": parts[1].to_numpy(),
            "deals": deals.astype(np.int64),
            "conversion": conversion,
            "ci_low": low,
            "ci_high": high,
            "raw_conversion": raw_conv,
            "team_conversion": team,
        }
    )
    out["lift"] = out["conversion"] / out["team_conversion"]
    out["eligible"] = out["deals"] >= int(min_deals)
    out["rank"] = (
        out["conversion"]
        .where(out["eligible"])
        .groupby(out["period"])
        .rank(ascending=False, method="min")
    )
    out["ranked"] = out.groupby("period")["eligible"].transform("sum").astype(np.int64)
    n_top = np.maximum(1, np.ceil(float(top_share) * out["ranked"]))
    out["top"] = (
        out["eligible"] & (out["rank"] <= n_top) & (out["conversion"] > out["team_conversion"])
    )
    out = out.sort_values(["period", "rank", "owner_id"], kind="stable", na_position="last")
    return out.reset_index(drop=True)

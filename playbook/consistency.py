"""Who converts well consistently: per rep and period, stage rates shrunk toward the team
(empirical Bayes) multiplied into lead → won conversion; "consistent" means the top group in K
of the last N periods with enough volume, and still above the team with the best period left
out — one lucky quarter qualifies nobody. Part of step 4 (:mod:`playbook.capability`)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from playbook.config import PilotConfig
from playbook.journey import JourneyData, resolve
from playbook.stages import cohort_rates
from playbook.stats import (
    fit_beta_prior,
)

logger = logging.getLogger(__name__)

STATUSES = ("consistent", "unconfirmed", "one_off", "occasional", "not_top", "low_volume")
RATE_COLUMNS = [
    "owner_id",
    "period",
    "from",
    "to",
    "entered",
    "advanced",
    "mature_n",
    "rate",
    "shrunk",
    "team_rate",
    "prior_alpha",
    "prior_beta",
]
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
]
CONSISTENCY_COLUMNS = [
    "owner_id",
    "periods",
    "eligible_periods",
    "top_periods",
    "required",
    "consistent",
    "status",
    "top_in",
    "best_rank",
    "median_rank",
    "conversion",
    "team_conversion",
    "conversion_without_best",
    "prob_above_team",
    "reason",
]


# --- consistent strong converters --------------------------------------------------------------


def _period_label(starts: pd.Series, freq: str) -> pd.Series:
    return pd.to_datetime(starts).dt.to_period(freq).astype(str)


def rep_period_rates(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    *,
    freq: str = "Q",
    periods: int | None = 4,
    as_of=None,
    journey: JourneyData | None = None,
) -> pd.DataFrame:
    """Per rep, creation period and stage: the stage rate, shrunk toward the team.

    Deals are grouped by the period they were created in (cohorts); a stage's rate is
    censoring-aware (:func:`playbook.stages.cohort_rates`). For each period and
    stage, a beta prior is fitted across reps (method of moments) and every rep's
    rate is shrunk toward the team's: ``shrunk = (advanced + alpha) / (mature_n +
    alpha + beta)``. Only complete periods (ended by ``as_of``) are kept, the last
    ``periods`` of them.

    Parameters
    ----------
    deals, stage_events : DataFrame
        Canonical tables.
    config : PilotConfig
    freq : str
        Period length, a pandas period alias ("Q" quarter, "M" month, "2Q" …).
    periods : int, optional
        Keep the last this many complete periods (all when None).
    as_of : datetime-like, optional
        Analysis date (default the latest timestamp in the data).
    journey : JourneyData, optional
        A :func:`playbook.journey.prepare` result for the same inputs.

    Returns
    -------
    DataFrame
        ``owner_id | period | from | to | entered | advanced | mature_n | rate | shrunk |
        team_rate | prior_alpha | prior_beta``; ``period`` is a label such as
        ``2026Q1``; ``team_rate`` pools every rep of the period.
    """
    j = resolve(deals, stage_events, config, as_of, journey)
    cr = cohort_rates(j.deals, stage_events, config, freq=freq, by="owner_id", journey=j)
    ends = pd.to_datetime(cr["cohort"]).dt.to_period(freq).dt.end_time
    cr = cr[(ends <= j.as_of).to_numpy()]
    starts = np.sort(cr["cohort"].unique())
    if periods is not None:
        starts = starts[-int(periods) :]
    cr = cr[cr["cohort"].isin(starts)].copy()
    if not len(cr):
        logger.info("no complete %s period in the data as of %s", freq, j.as_of)
        return pd.DataFrame(columns=RATE_COLUMNS)
    cr["owner_id"] = cr["owner_id"].astype(str)
    cr = cr.sort_values(["cohort", "from", "owner_id"], kind="stable").reset_index(drop=True)
    key = cr["cohort"].astype("int64").to_numpy() * 1000 + cr["from"].cat.codes.to_numpy()
    codes, _ = pd.factorize(key)
    adv = cr["advanced"].to_numpy(dtype=float)
    n = cr["mature_n"].to_numpy(dtype=float)
    alpha = np.zeros(len(cr))
    beta = np.zeros(len(cr))
    for g in range(codes.max() + 1):
        sel = codes == g
        alpha[sel], beta[sel] = fit_beta_prior(adv[sel], n[sel])
    team_adv = np.bincount(codes, weights=adv)
    team_n = np.bincount(codes, weights=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        team = (team_adv / team_n)[codes]
        shrunk = np.where(alpha + beta > 0, (adv + alpha) / (n + alpha + beta), adv / n)
    shrunk = np.where(np.isnan(shrunk), team, shrunk)
    out = pd.DataFrame(
        {
            "owner_id": cr["owner_id"].to_numpy(),
            "period": _period_label(cr["cohort"], freq).to_numpy(),
            "from": cr["from"].to_numpy(),
            "to": cr["to"].to_numpy(),
            "entered": cr["entered"].to_numpy(),
            "advanced": cr["advanced"].to_numpy(),
            "mature_n": cr["mature_n"].to_numpy(),
            "rate": cr["rate"].to_numpy(),
            "shrunk": shrunk,
            "team_rate": team,
            "prior_alpha": alpha,
            "prior_beta": beta,
        }
    )
    out["from"] = pd.Categorical(out["from"], categories=list(j.stage_ids))
    out["to"] = pd.Categorical(out["to"], categories=list(j.stage_ids))
    return out


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
) -> pd.DataFrame:
    """Per rep and period: shrunk lead-to-won conversion, rank and top-group membership.

    ``conversion`` is the product of the shrunk stage rates of
    :func:`rep_period_rates` (the team's in ``team_conversion``); its interval comes
    from ``n_draws`` draws of each stage's beta posterior (seeded). Reps with at
    least ``min_deals`` deals created in the period are ``eligible`` and ranked (1 =
    best); the top group is the best ``ceil(top_share × ranked)`` of them whose
    conversion is above the team's.

    Returns
    -------
    DataFrame
        ``owner_id | period | deals | conversion | ci_low | ci_high | raw_conversion |
        team_conversion | lift | rank | ranked | eligible | top``; ``rank`` is NaN for
        reps that are not eligible; ``lift`` = conversion / team_conversion.
    """
    if not len(rates):
        return pd.DataFrame(columns=RANK_COLUMNS)
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
    low, high = _posterior_product(rates, unit, U, n_draws, seed, confidence)
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
    return out[RANK_COLUMNS].reset_index(drop=True)


def leave_best_out(
    rates: pd.DataFrame,
    ranking: pd.DataFrame,
    *,
    n_draws: int = 4000,
    seed: int = 0,
) -> pd.DataFrame:
    """Each rep's conversion without their best period, and how sure it beats the team.

    The rep's stage counts are pooled over every period except the one with their
    highest conversion, shrunk toward the team (beta prior fitted per stage across
    reps), multiplied into lead-to-won conversion, and compared with the team's
    pooled conversion over all periods by ``n_draws`` posterior draws (seeded). A rep
    whose excellence is one big period drops to the team level here.

    Returns
    -------
    DataFrame
        ``owner_id | best_period | conversion_without_best | team_conversion |
        prob_above_team``.
    """
    columns = [
        "owner_id",
        "best_period",
        "conversion_without_best",
        "team_conversion",
        "prob_above_team",
    ]
    if not len(rates) or not len(ranking):
        return pd.DataFrame(columns=columns)
    pool = ranking[ranking["eligible"]] if ranking["eligible"].any() else ranking
    best = (
        pool.sort_values(["conversion", "period"], kind="stable")
        .drop_duplicates("owner_id", keep="last")
        .set_index("owner_id")["period"]
    )
    r = rates[rates["period"].astype(str) != rates["owner_id"].map(best).astype(str)]
    reps = sorted(rates["owner_id"].astype(str).unique())
    stage_ids = (
        list(rates["from"].cat.categories)
        if hasattr(rates["from"], "cat")
        else sorted(rates["from"].unique())
    )
    counts = (
        r.groupby(["owner_id", "from"], observed=False)[["advanced", "mature_n"]]
        .sum()
        .reindex(pd.MultiIndex.from_product([reps, stage_ids], names=["owner_id", "from"]))
        .fillna(0.0)
    )
    present = rates["from"].astype(str).unique()
    rng = np.random.default_rng(seed)
    product = np.ones((len(reps), n_draws))
    point = np.ones(len(reps))
    team = 1.0
    for stage in stage_ids:
        if stage not in present:
            continue
        c = counts.xs(stage, level="from")
        adv = c["advanced"].to_numpy(dtype=float)
        n = c["mature_n"].to_numpy(dtype=float)
        a, b = fit_beta_prior(adv, n)
        if a + b <= 0:
            a = b = 0.5
        if a + b > 1e6:
            a, b = a / (a + b) * 1e6, b / (a + b) * 1e6
        team *= adv.sum() / n.sum() if n.sum() else 1.0
        point *= (adv + a) / (n + a + b)
        product *= rng.beta((adv + a)[:, None], (n - adv + b)[:, None], size=(len(reps), n_draws))
    return pd.DataFrame(
        {
            "owner_id": reps,
            "best_period": best.reindex(reps).to_numpy(),
            "conversion_without_best": point,
            "team_conversion": team,
            "prob_above_team": (product > team).mean(axis=1),
        }
    )[columns]


def consistent_converters(
    ranking: pd.DataFrame,
    *,
    rates: pd.DataFrame | None = None,
    top_k_of_n: int = 3,
    min_probability: float = 0.95,
    periods: int | None = None,
    top_share: float | None = None,
    min_deals: int | None = None,
    seed: int = 0,
    language: str = "en",
) -> pd.DataFrame:
    """Who is a consistent strong converter, and why (or why not) each rep qualifies.

    A rep qualifies when in the top group in at least ``top_k_of_n`` periods and —
    when ``rates`` are given — when their conversion without their best period is
    still above the team's with posterior probability ``min_probability`` or more
    (:func:`leave_best_out`). Both rules reject a single big period.

    Parameters
    ----------
    ranking : DataFrame
        :func:`rank_periods`.
    rates : DataFrame, optional
        :func:`rep_period_rates`, for the leave-best-out check.
    top_k_of_n : int
        Periods in the top group needed (``K`` of the last ``N``).
    min_probability : float
        Posterior probability needed that conversion without the best period beats
        the team's.
    periods : int, optional
        ``N``: the number of periods considered (default: those in ``ranking``).
    top_share, min_deals : optional
        Only used to word the ``reason``.
    seed : int
        Seed of the posterior draws.
    language : {"en", "zh"}
        Language of ``reason``.

    Returns
    -------
    DataFrame
        ``owner_id | periods | eligible_periods | top_periods | required | consistent |
        status | top_in | best_rank | median_rank | conversion | team_conversion |
        conversion_without_best | prob_above_team | reason``; ``status`` is consistent,
        unconfirmed (enough top periods, but not credibly above the team without the
        best one), one_off (top in exactly one period), occasional (top in fewer than
        required), not_top or low_volume (fewer eligible periods than required);
        ``conversion`` is the mean over eligible periods. Consistent reps first.
    """
    from playbook.i18n import t

    if not len(ranking):
        return pd.DataFrame(columns=CONSISTENCY_COLUMNS)
    n_periods = int(periods) if periods is not None else int(ranking["period"].nunique())
    k = int(top_k_of_n)
    elig = ranking[ranking["eligible"]]
    g = ranking.groupby("owner_id", sort=True)
    out = pd.DataFrame({"periods": g["period"].nunique()})
    out["eligible_periods"] = g["eligible"].sum().astype(np.int64)
    out["top_periods"] = g["top"].sum().astype(np.int64)
    out["required"] = k
    tops = ranking[ranking["top"]].sort_values("period")
    out["top_in"] = tops.groupby("owner_id")["period"].agg(", ".join).reindex(out.index)
    out["top_in"] = out["top_in"].fillna("")
    ge = elig.groupby("owner_id")
    out["best_rank"] = ge["rank"].min().reindex(out.index)
    out["median_rank"] = ge["rank"].median().reindex(out.index)
    out["conversion"] = ge["conversion"].mean().reindex(out.index)
    out["team_conversion"] = ge["team_conversion"].mean().reindex(out.index)
    if rates is not None and len(rates):
        lbo = leave_best_out(rates, ranking, seed=seed).set_index("owner_id")
        out["conversion_without_best"] = lbo["conversion_without_best"].reindex(out.index)
        out["prob_above_team"] = lbo["prob_above_team"].reindex(out.index)
        credible = out["prob_above_team"].fillna(0.0) >= float(min_probability)
    else:
        out["conversion_without_best"] = np.nan
        out["prob_above_team"] = np.nan
        credible = pd.Series(True, index=out.index)
    enough = out["top_periods"] >= k
    out["consistent"] = enough & credible
    status = np.select(
        [
            out["consistent"],
            enough,
            out["top_periods"] == 1,
            out["top_periods"] >= 2,
            out["eligible_periods"] < k,
        ],
        ["consistent", "unconfirmed", "one_off", "occasional", "low_volume"],
        default="not_top",
    )
    out["status"] = status
    share = f"{100 * top_share:.0f}%" if top_share is not None else "?"
    out["reason"] = [
        t(
            f"cap_reason_{s}",
            language,
            top=int(r.top_periods),
            k=k,
            n=n_periods,
            share=share,
            periods=r.top_in or "—",
            eligible=int(r.eligible_periods),
            min_deals=min_deals if min_deals is not None else "?",
            prob=f"{r.prob_above_team:.2f}" if pd.notna(r.prob_above_team) else "—",
            need=f"{float(min_probability):.2f}",
        )
        for s, r in zip(status, out.itertuples(), strict=True)
    ]
    out = out.reset_index().rename(columns={"index": "owner_id"})
    out["_o"] = pd.Series(status).map({s: i for i, s in enumerate(STATUSES)}).to_numpy()
    out = out.sort_values(
        ["_o", "top_periods", "median_rank", "owner_id"],
        ascending=[True, False, True, True],
        kind="stable",
        na_position="last",
    )
    return out[CONSISTENCY_COLUMNS].reset_index(drop=True)

"""Who converts well consistently: per rep and period, stage rates shrunk toward the team
(empirical Bayes) multiplied into lead → won conversion; "consistent" means the top group in K
of the last N periods with enough volume, and still above the team with the best period left
out — one lucky quarter qualifies nobody. Reps are ranked (:mod:`playbook.steps.capability.ranking`)
on their rates on like deals where
:func:`rep_period_rates` has them (:mod:`playbook.steps.capability.consistency_rates`), the raw
ranking beside.
Part of step 4 (:mod:`playbook.steps.capability`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from playbook.stats import fit_beta_prior
from playbook.steps.capability.consistency_rates import (
    RATE_COLUMNS,
    is_adjusted,
    measure,
    rep_period_rates,
)
from playbook.steps.capability.ranking import RANK_COLUMNS, rank_periods

__all__ = [
    "CONSISTENCY_COLUMNS",
    "RANK_COLUMNS",
    "RATE_COLUMNS",
    "STATUSES",
    "consistent_converters",
    "is_adjusted",
    "leave_best_out",
    "measure",
    "rank_periods",
    "rep_period_rates",
]

STATUSES = ("consistent", "unconfirmed", "one_off", "occasional", "not_top", "low_volume")
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
    "adjusted_rank",
    "unadjusted_rank",
    "ranked_reps",
    "unadjusted_status",
    "unadjusted_top_periods",
    "unadjusted_conversion",
    "expected_conversion",
    "o_e",
]


def leave_best_out(
    rates: pd.DataFrame,
    ranking: pd.DataFrame,
    *,
    n_draws: int = 4000,
    seed: int = 0,
    owners: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each rep's conversion without their best period, and how sure it beats the team.

    The rep's stage counts are pooled over every period except the one with their
    highest conversion, shrunk toward the team (beta prior fitted per stage across
    reps), multiplied into lead-to-won conversion, and compared with the team's
    pooled conversion over all periods by ``n_draws`` posterior draws (seeded). A rep
    whose excellence is one big period drops to the team level here.

    Parameters
    ----------
    owners : sequence of str, optional
        Draw only for these reps (the prior still comes from every rep); the others get
        no ``prob_above_team``.

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
    reps, stage_ids, adv_all, n_all = _counts_without_best(rates, best)
    present = set(rates["from"].astype(str).unique())
    rng = np.random.default_rng(seed)
    drawn = np.isin(reps, list(owners)) if owners is not None else np.ones(len(reps), bool)
    product = np.ones((int(drawn.sum()), n_draws))
    point = np.ones(len(reps))
    team = 1.0
    for i, stage in enumerate(stage_ids):
        if stage not in present:
            continue
        adv = adv_all[:, i]
        n = n_all[:, i]
        a, b = fit_beta_prior(adv, n)
        if a + b <= 0:
            a = b = 0.5
        if a + b > 1e6:
            a, b = a / (a + b) * 1e6, b / (a + b) * 1e6
        team *= adv.sum() / n.sum() if n.sum() else 1.0
        point *= (adv + a) / (n + a + b)
        product *= rng.beta(
            (adv + a)[drawn, None], (n - adv + b)[drawn, None], size=(len(product), n_draws)
        )
    prob = np.full(len(reps), np.nan)
    prob[drawn] = (product > team).mean(axis=1)
    return pd.DataFrame(
        {
            "owner_id": reps.astype(object),
            "best_period": best.reindex(reps).to_numpy(),
            "conversion_without_best": point,
            "team_conversion": team,
            "prob_above_team": prob,
        }
    )[columns]


def _counts_without_best(
    rates: pd.DataFrame, best: pd.Series
) -> tuple[np.ndarray, list, np.ndarray, np.ndarray]:
    """Advanced and mature counts per rep x stage, pooled over every period but the rep's
    ``best`` one: ``reps | stage ids | advanced (reps, stages) | mature_n (reps, stages)``."""
    owner = rates["owner_id"].astype(str).to_numpy()
    best_of_owner = pd.Series(owner).map(best).astype(str).to_numpy()
    keep = rates["period"].astype(str).to_numpy() != best_of_owner
    reps, rep_code = np.unique(owner, return_inverse=True)
    stage_ids = (
        list(rates["from"].cat.categories)
        if hasattr(rates["from"], "cat")
        else sorted(rates["from"].unique())
    )
    stage_code = pd.Index(stage_ids).get_indexer(rates["from"].astype(str))
    cell = (rep_code * len(stage_ids) + stage_code)[keep]
    size = len(reps) * len(stage_ids)
    shape = (len(reps), len(stage_ids))
    adv_all = np.bincount(
        cell, weights=rates["advanced"].to_numpy(dtype=float)[keep], minlength=size
    ).reshape(shape)
    n_all = np.bincount(
        cell, weights=rates["mature_n"].to_numpy(dtype=float)[keep], minlength=size
    ).reshape(shape)
    return reps, stage_ids, adv_all, n_all


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
    mix_reasons: Mapping[str, str] | Callable[[list[str]], Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Who is a consistent strong converter, and why (or why not) each rep qualifies.

    A rep qualifies when in the top group in at least ``top_k_of_n`` periods and —
    when ``rates`` are given — when their conversion without their best period is
    still above the team's with posterior probability ``min_probability`` or more
    (:func:`leave_best_out`). Both rules reject a single big period. When ``ranking`` was
    made on the adjusted measure (:func:`rank_periods`), the rule is applied to it, and
    the same rule on the raw measure is shown beside it (``unadjusted_*``).

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
    mix_reasons : mapping or callable, optional
        Rep id -> what in their deal mix moves their expected conversion
        (:func:`playbook.steps.adjust.mix_reasons`), quoted in ``reason`` where the adjustment
        moved the rep materially; a callable is given the list of those reps.

    Returns
    -------
    DataFrame
        ``owner_id | periods | eligible_periods | top_periods | required | consistent |
        status | top_in | best_rank | median_rank | conversion | team_conversion |
        conversion_without_best | prob_above_team | reason | adjusted_rank |
        unadjusted_rank | ranked_reps | unadjusted_status | unadjusted_top_periods |
        unadjusted_conversion | expected_conversion | o_e``; ``status`` is consistent,
        unconfirmed (enough top periods, but not credibly above the team without the
        best one), one_off (top in exactly one period), occasional (top in fewer than
        required), not_top or low_volume (fewer eligible periods than required);
        ``conversion`` is the mean over eligible periods. ``adjusted_rank`` /
        ``unadjusted_rank`` rank the reps' mean conversion, adjusted and raw, among the
        ``ranked_reps`` with an eligible period; ``expected_conversion`` is the mean
        conversion the company would achieve on the rep's deals and ``o_e`` =
        unadjusted / expected conversion. Without adjustment these are empty. Consistent
        reps first.
    """
    if not len(ranking):
        return pd.DataFrame(columns=CONSISTENCY_COLUMNS)
    adjusted = "unadjusted_rank" in ranking.columns and bool(
        ranking["unadjusted_rank"].notna().any()
    )
    rule = {
        "top_k_of_n": top_k_of_n,
        "min_probability": min_probability,
        "periods": periods,
        "top_share": top_share,
        "min_deals": min_deals,
        "seed": seed,
        "language": language,
    }
    lbo_rates = measure(rates, adjusted) if rates is not None and adjusted else rates
    out = _qualify(ranking, lbo_rates, **rule)
    for column in CONSISTENCY_COLUMNS[CONSISTENCY_COLUMNS.index("adjusted_rank") :]:
        out[column] = np.nan
    out["unadjusted_status"] = ""
    if adjusted:
        raw = _unadjusted(
            ranking, rates, k=int(top_k_of_n), min_probability=float(min_probability), seed=seed
        ).reindex(out["owner_id"])
        _add_raw_beside(out, raw, rates)
        out["reason"] = _with_ranks(out, mix_reasons, language)
    return out[CONSISTENCY_COLUMNS]


def _add_raw_beside(out: pd.DataFrame, raw: pd.DataFrame, rates: pd.DataFrame | None) -> None:
    """The rule on the raw measure (``raw``: :func:`_unadjusted` per rep of ``out``), the
    reps' expected conversion and O/E, and both ranks, beside an adjusted table, in place."""
    out["unadjusted_status"] = raw["status"].to_numpy()
    out["unadjusted_top_periods"] = raw["top_periods"].to_numpy()
    out["unadjusted_conversion"] = raw["conversion"].to_numpy()
    if rates is not None and len(rates):
        pooled = _pooled_o_e(rates).reindex(out["owner_id"])
        out["expected_conversion"] = pooled["expected_conversion"].to_numpy()
        out["o_e"] = pooled["o_e"].to_numpy()
    out["adjusted_rank"] = out["conversion"].rank(ascending=False, method="min")
    out["unadjusted_rank"] = out["unadjusted_conversion"].rank(ascending=False, method="min")
    out["ranked_reps"] = int(out["conversion"].notna().sum())


def _pooled_o_e(rates: pd.DataFrame) -> pd.DataFrame:
    """Per rep over every period: the lead-to-won conversion the company achieves on their
    deals (product of the pooled expected stage rates) and observed / expected conversion
    (product of the stages' pooled advanced / expected)."""
    owner, owners = pd.factorize(rates["owner_id"].astype(str))
    stage, _ = pd.factorize(rates["from"].astype(str))
    cell = owner * (stage.max() + 1) + stage
    size = len(owners) * (stage.max() + 1)
    sums = {
        c: np.bincount(cell, weights=rates[c].to_numpy(dtype=float), minlength=size)
        for c in ("advanced", "expected", "mature_n")
    }
    present = np.bincount(cell, minlength=size) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        log_exp = np.where(present, np.log(sums["expected"] / sums["mature_n"]), 0.0)
        log_oe = np.where(present, np.log(sums["advanced"] / sums["expected"]), 0.0)
    rep = np.repeat(np.arange(len(owners)), stage.max() + 1)
    return pd.DataFrame(
        {
            "expected_conversion": np.exp(np.bincount(rep, weights=log_exp)),
            "o_e": np.exp(np.bincount(rep, weights=log_oe)),
        },
        index=pd.Index(owners, name="owner_id"),
    )


def _with_ranks(
    out: pd.DataFrame,
    reasons: Mapping[str, str] | Callable[[list[str]], Mapping[str, str]] | None,
    language: str,
) -> list[str]:
    """Each ``reason`` followed by the raw and adjusted ranks and, where the adjustment moved
    the rep materially (by at least 3 places or a tenth of the ranked reps, or in or out of
    the consistent group), what in their deal mix did it."""
    from playbook.i18n import t

    ranked = int(out["ranked_reps"].iloc[0]) if len(out) else 0
    material = max(3, int(np.ceil(0.1 * ranked)))
    ranks_known = out["adjusted_rank"].notna() & out["unadjusted_rank"].notna()
    moved = ranks_known & (
        ((out["adjusted_rank"] - out["unadjusted_rank"]).abs() >= material)
        | (out["consistent"] != out["unadjusted_status"].eq("consistent"))
    )
    who = out.loc[moved, "owner_id"].astype(str).tolist()
    found = (reasons(who) if callable(reasons) else reasons) if who and reasons else {}
    sep = "；" if language == "zh" else "; "
    texts = []
    for r, is_moved, known in zip(out.itertuples(index=False), moved, ranks_known, strict=True):
        if not known:
            texts.append(r.reason)
            continue
        why = found.get(str(r.owner_id)) if is_moved else None
        values = {"raw": int(r.unadjusted_rank), "n": ranked, "adjusted": int(r.adjusted_rank)}
        clause = (
            t("adj_reason_ranks_why", language, why=why, **values)
            if why
            else t("adj_reason_ranks", language, **values)
        )
        texts.append(f"{r.reason}{sep}{clause}")
    return texts


def _status(top: pd.Series, eligible: pd.Series, credible: pd.Series, k: int) -> np.ndarray:
    """The status of each rep (see :func:`consistent_converters`)."""
    enough = top >= k
    return np.select(
        [enough & credible, enough, top == 1, top >= 2, eligible < k],
        ["consistent", "unconfirmed", "one_off", "occasional", "low_volume"],
        default="not_top",
    )


def _unadjusted(
    ranking: pd.DataFrame,
    rates: pd.DataFrame | None,
    *,
    k: int,
    min_probability: float,
    seed: int,
) -> pd.DataFrame:
    """The consistency rule on the raw measure beside an adjusted ranking: ``status |
    top_periods | conversion`` per rep (the leave-best-out draws only for reps with enough
    top periods, the only ones they can change)."""
    raw = ranking.drop(columns=["conversion", "rank", "top"]).rename(
        columns={"unadjusted_conversion": "conversion", "unadjusted_rank": "rank"}
    )
    raw["top"] = ranking["unadjusted_top"].astype(bool)
    g = raw.groupby("owner_id", sort=True)
    out = pd.DataFrame({"top_periods": g["top"].sum().astype(np.int64)})
    eligible = g["eligible"].sum()
    out["conversion"] = raw[raw["eligible"]].groupby("owner_id")["conversion"].mean()
    credible = pd.Series(True, index=out.index)
    candidates = out.index[out["top_periods"] >= k]
    if rates is not None and len(rates) and len(candidates):
        lbo = leave_best_out(rates, raw, seed=seed, owners=candidates).set_index("owner_id")
        credible = lbo["prob_above_team"].reindex(out.index).fillna(0.0) >= min_probability
    out["status"] = _status(out["top_periods"], eligible, credible, k)
    return out


def _qualify(
    ranking: pd.DataFrame,
    rates: pd.DataFrame | None,
    *,
    top_k_of_n: int,
    min_probability: float,
    periods: int | None,
    top_share: float | None,
    min_deals: int | None,
    seed: int,
    language: str,
) -> pd.DataFrame:
    """:func:`consistent_converters` on one measure (columns up to ``reason``)."""
    from playbook.i18n import t

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
    out["consistent"] = (out["top_periods"] >= k) & credible
    status = _status(out["top_periods"], out["eligible_periods"], credible, k)
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
    return out[CONSISTENCY_COLUMNS[: CONSISTENCY_COLUMNS.index("reason") + 1]].reset_index(
        drop=True
    )

"""Sleeping leads: deals handed over and never touched within the SLA, and the teams or reps
with credibly more of them (``sleeping_leads`` findings)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.findings import Finding, is_material, rank
from playbook.stats import (
    benjamini_hochberg,
    shrink_rates,
    slice_vs_rest_test,
    wilson_interval,
)
from playbook.steps.handoff.base import (
    PEOPLE_DIMENSIONS,
    SLEEP_DIMENSIONS,
    _codes,
    _deal_rows,
    _dimension_label,
    _dt,
    _language,
    _last,
    _num,
    _pct,
    _require,
    _t,
)
from playbook.steps.handoff.contacts import deal_frame
from playbook.steps.journey import OPEN, JourneyData, resolve
from playbook.steps.prepared import takes_pilot
from playbook.workspace.calendar import DAY_NS, NAT, to_ns
from playbook.workspace.config import PilotConfig

SLEEPING_COLUMNS = [
    "deal_id",
    "owner_id",
    "team",
    "stage",
    "amount",
    "created_at",
    "last_touch_at",
    "idle_days",
    "sleeping",
]


@takes_pilot
def sleeping_leads(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    activities: pd.DataFrame,
    config: PilotConfig,
    reps: pd.DataFrame | None = None,
    *,
    as_of=None,
    journey: JourneyData | None = None,
    other_label: str = "other teams",
) -> pd.DataFrame:
    """Open deals and how long each has been idle as of the analysis date.

    A deal's last touch is its latest activity (any type, any team), stage change or
    creation; it is *sleeping* when idle for more than ``config.sleeping_lead_days``.

    Returns
    -------
    DataFrame
        One row per open deal: ``deal_id | owner_id | team | stage (current stage id) |
        amount | created_at | last_touch_at | idle_days | sleeping``.
    """
    _require(activities, ["deal_id", "at"], "activities")
    j = resolve(deals, stage_events, config, as_of, journey)
    base = deal_frame(j.deals, config, reps, other_label=other_label)
    D = j.n_deals
    as_of_ns = j.as_of.value
    idx = _deal_rows(base["deal_id"], activities["deal_id"])
    at = to_ns(activities["at"])
    ok = (idx >= 0) & (at != NAT) & (at <= as_of_ns)
    last = np.maximum(_last(idx[ok], at[ok], D), to_ns(base["created_at"]))
    last = np.maximum(last, _last(j.v_deal, j.v_enter, D))
    rows = np.flatnonzero(j.status == OPEN)
    idle = (as_of_ns - last[rows]) / DAY_NS
    stage = j.end_stage[rows]
    out = base.iloc[rows][["deal_id", "owner_id", "team", "amount", "created_at"]]
    out = out.reset_index(drop=True)
    out.insert(3, "stage", pd.Categorical.from_codes(stage, categories=list(j.stage_ids)))
    out["last_touch_at"] = _dt(last[rows])
    out["idle_days"] = idle
    out["sleeping"] = idle > config.sleeping_lead_days
    return out


def sleeping_rates(sleeping: pd.DataFrame, by: str = "team") -> pd.DataFrame:
    """Share of open deals that are sleeping, per slice, with Wilson intervals.

    Returns
    -------
    DataFrame
        ``<by> | open | sleeping | share | ci_low | ci_high | sleeping_amount``, highest
        share first; ``sleeping_amount`` is NaN when the data has no amounts.
    """
    columns = [by, "open", "sleeping", "share", "ci_low", "ci_high", "sleeping_amount"]
    if not len(sleeping) or by not in sleeping or sleeping[by].isna().all():
        return pd.DataFrame(columns=columns)
    out = (
        sleeping.assign(sleeping_amount=sleeping["amount"].where(sleeping["sleeping"], 0.0))
        .groupby(by, observed=True, sort=True)
        .agg(
            open=("deal_id", "size"),
            sleeping=("sleeping", "sum"),
            sleeping_amount=("sleeping_amount", "sum"),
        )
        .reset_index()
    )
    if not sleeping["amount"].notna().any():
        out["sleeping_amount"] = np.nan  # no amounts in the data: unknown, not zero
    out["share"] = out["sleeping"] / out["open"]
    low, high = wilson_interval(out["sleeping"].to_numpy(), out["open"].to_numpy())
    out["ci_low"], out["ci_high"] = low, high
    out = out.sort_values(["share", by], ascending=[False, True], kind="stable")
    return out[columns].reset_index(drop=True)


def sleeping_list(sleeping: pd.DataFrame) -> pd.DataFrame:
    """The sleeping deals, largest amount first (unknown amounts last), then longest idle."""
    out = sleeping[sleeping["sleeping"]].drop(columns="sleeping")
    return out.sort_values(
        ["amount", "idle_days"], ascending=[False, False], na_position="last", kind="stable"
    ).reset_index(drop=True)


def _sleeping_slices(sleeping: pd.DataFrame, dimensions: Sequence[str], min_n: int) -> pd.DataFrame:
    """Each slice with enough open deals (and enough in the rest): open and sleeping deals
    of the slice and of the rest, and the slice's shrunk sleeping share."""
    flag = sleeping["sleeping"].to_numpy()
    rows = []
    for dim in dimensions:
        if dim not in sleeping.columns or sleeping[dim].isna().all():
            continue
        codes, uniques = _codes(sleeping[dim])
        keep = codes >= 0
        G = len(uniques)
        if G < 2:
            continue
        g = codes[keep]
        n = np.bincount(g, minlength=G).astype(float)
        s = np.bincount(g, weights=flag[keep], minlength=G)
        shrunk = shrink_rates(s, n)
        for k in range(G):
            if n[k] < min_n or n.sum() - n[k] < min_n:
                continue
            rows.append(
                {
                    "dimension": dim,
                    "value": str(uniques[k]),
                    "n": n[k],
                    "s": s[k],
                    "rest_n": n.sum() - n[k],
                    "rest_s": s.sum() - s[k],
                    "shrunk": shrunk[k],
                }
            )
    return pd.DataFrame(rows)


def _sleeping_tests(t: pd.DataFrame) -> pd.DataFrame:
    """The slices' one-sided tests against the rest, adjusted across all slices, with each
    slice's sleeping share and its Wilson interval."""
    t["p_raw"] = slice_vs_rest_test(
        t["s"], t["n"], t["s"] + t["rest_s"], t["n"] + t["rest_n"], alternative="greater"
    )
    t["p_adj"] = benjamini_hochberg(t["p_raw"])
    t["rate"] = t["s"] / t["n"]
    t["ci_low"], t["ci_high"] = wilson_interval(t["s"], t["n"])
    t["rest_rate"] = t["rest_s"] / t["rest_n"]
    t["gap"] = t["shrunk"] - t["rest_rate"]
    return t


def _sleeping_finding(
    r, config: PilotConfig, language: str, alpha: float, min_gap: float, avg: float, pipeline: float
) -> Finding:
    """The finding of one slice with credibly more sleeping deals (a row of the tests)."""
    impact = max(r.rate - r.rest_rate, 0.0) * r.n * avg
    strong = r.gap >= 2 * min_gap and r.p_adj < alpha / 10
    big = is_material(impact, pipeline)
    return Finding(
        kind="sleeping_leads",
        severity=3 if strong and big else 2 if strong else 1,
        # people compared on idle open deals, not on conversion: not adjusted
        adjusted_for=[] if r.dimension in PEOPLE_DIMENSIONS else None,
        dimension=r.dimension,
        value=r.value,
        metric="sleeping_share",
        observed=float(r.rate),
        baseline=float(r.rest_rate),
        ci_low=float(r.ci_low),
        ci_high=float(r.ci_high),
        n=int(r.n),
        p_value=float(r.p_adj),
        impact=float(impact),
        evidence=_t(
            "handoff_evidence_sleeping",
            language,
            dimension=_dimension_label(r.dimension, language),
            value=r.value,
            sleeping=f"{int(r.s):,}",
            n=f"{int(r.n):,}",
            rate=_pct(r.rate),
            low=_pct(r.ci_low),
            high=_pct(r.ci_high),
            days=_num(config.sleeping_lead_days),
            rest_rate=_pct(r.rest_rate),
        ),
        extra={"shrunk_rate": float(r.shrunk), "p_raw": float(r.p_raw)},
    )


def find_sleeping_leads(
    sleeping: pd.DataFrame,
    config: PilotConfig,
    *,
    dimensions: Sequence[str] = SLEEP_DIMENSIONS,
    alpha: float = 0.05,
    min_n: int = 20,
    min_gap: float = 0.05,
    language: str | None = None,
) -> list[Finding]:
    """Teams or reps with credibly more sleeping deals than the rest of the company.

    Each slice's sleeping share of open deals is compared with the rest by a one-sided
    Fisher exact test, adjusted by Benjamini–Hochberg across all slices compared; shares
    are shrunk towards the company by an empirical-Bayes beta prior per dimension. A slice
    is reported when the adjusted p < ``alpha`` and the shrunk share exceeds the rest's by
    ``min_gap``. Severity: 2 when the shrunk excess is at least ``2 * min_gap`` and the
    adjusted p < ``alpha / 10``; 3 when moreover the excess sleeping amount is at least 5%
    of the open pipeline; else 1.

    Returns
    -------
    list of Finding
        kind ``sleeping_leads``; ``metric`` ``sleeping_share``, ``observed`` / ``baseline``
        the slice's and the rest's share, Wilson interval, ``n`` open deals; teams and reps
        carry ``adjusted_for=[]``: people compared on how many of their open deals sit idle,
        not adjusted for the deal mix.
    """
    language = _language(language, config)
    if not len(sleeping):
        return []
    amount = sleeping["amount"].to_numpy(dtype=float)
    known = ~np.isnan(amount)
    avg = float(amount[known].mean()) if known.any() else 1.0
    pipeline = float(amount[known].sum()) if known.any() else float(len(amount))
    t = _sleeping_slices(sleeping, dimensions, min_n)
    if not len(t):
        return []
    t = _sleeping_tests(t)
    found = t[(t["p_adj"] < alpha) & (t["gap"] >= min_gap)]
    return rank(
        [
            _sleeping_finding(r, config, language, alpha, min_gap, avg, pipeline)
            for r in found.itertuples(index=False)
        ]
    )

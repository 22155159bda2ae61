"""What speed is worth: conversion by response time, the cost of late contact, reach by source."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.stats import (
    wilson_interval,
)
from playbook.steps.handoff.base import (
    _aligned,
    _codes,
    _downstream,
)
from playbook.steps.journey import OPEN, WON, JourneyData
from playbook.workspace.calendar import DAY_NS, BusinessClock
from playbook.workspace.config import PilotConfig


def _inferred(contacts: pd.DataFrame) -> np.ndarray:
    if "contact_inferred" in contacts:
        return contacts["contact_inferred"].to_numpy(dtype=bool)
    return np.zeros(len(contacts), dtype=bool)


def _bucket_labels(edges: np.ndarray) -> list[str]:
    def f(x: float) -> str:
        return f"{x:g}"

    labels = [f"<{f(edges[1])}"]
    labels += [f"{f(a)}–{f(b)}" for a, b in zip(edges[1:-1], edges[2:], strict=True)]
    return [*labels, f"≥{f(edges[-1])}", "none"]


def conversion_by_response(
    contacts: pd.DataFrame,
    journey: JourneyData,
    config: PilotConfig,
    *,
    edges: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Lead conversion by business hours to first contact, with Wilson intervals.

    Conversion is censoring-aware: ``rate`` = advanced past the first stage / deals whose
    outcome there is known (advanced, lost, or open longer than the stage's
    ``window_days``); ``win_rate`` = won / resolved (won or lost) deals. Leads whose contact
    time is inferred (``contact_inferred``: they moved on before any logged contact) are
    left out: their real response time is unknown and they advanced by definition.

    Parameters
    ----------
    edges : bucket edges in business hours; default 0, 1, 4 hours, 1, 3, 5 business days.

    Returns
    -------
    DataFrame
        ``bucket | lo_hours | hi_hours | leads | n | advanced | rate | ci_low | ci_high |
        resolved | won | win_rate | win_ci_low | win_ci_high``; the last bucket, ``none``,
        holds leads without any recorded sales contact.
    """
    _aligned(contacts, journey)
    j = journey
    if edges is None:
        hpd = BusinessClock.from_config(config.calendar).hours_per_day
        edges = (0.0, 1.0, 4.0, hpd, 3 * hpd, 5 * hpd)
    e = np.asarray(edges, dtype=float)
    B = len(e)
    contacted = contacts["contacted"].to_numpy()
    time = contacts["business_hours"].to_numpy()
    code = np.where(contacted, np.searchsorted(e[1:], time, side="right"), B)
    keep = ~_inferred(contacts)
    code = code[keep]
    adv = j.advanced[keep, 0]
    mat = j.mature[keep, 0]
    won = j.status[keep] == WON
    resolved = j.status[keep] != OPEN

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(code, weights=mask.astype(float), minlength=B + 1).astype(np.int64)

    n, a, r, w = count(mat), count(adv & mat), count(resolved), count(won)
    low, high = wilson_interval(a, n)
    wlow, whigh = wilson_interval(w, r)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "bucket": pd.Categorical(_bucket_labels(e), categories=_bucket_labels(e)),
                "lo_hours": np.r_[e, np.nan],
                "hi_hours": np.r_[e[1:], np.inf, np.nan],
                "leads": np.bincount(code, minlength=B + 1),
                "n": n,
                "advanced": a,
                "rate": np.where(n > 0, a / n, np.nan),
                "ci_low": low,
                "ci_high": high,
                "resolved": r,
                "won": w,
                "win_rate": np.where(r > 0, w / r, np.nan),
                "win_ci_low": wlow,
                "win_ci_high": whigh,
            }
        )
    return out


def late_contact_cost(
    contacts: pd.DataFrame, journey: JourneyData, config: PilotConfig
) -> dict[str, float]:
    """Leads (and revenue) lost because first contact came after the SLA.

    Compares the lead conversion of leads contacted within ``sla.first_contact_hours``
    business hours with that of leads contacted later or not yet after that long; the
    shortfall times the late leads is the number of leads lost, valued at the company's
    conversion from the next stage to won times the average won amount. Descriptive: slow
    and fast leads may differ in other ways too. Inferred contacts are left out.

    Returns
    -------
    dict
        ``within_n, within_rate, late_n, late_rate, lost_leads, lost_won, lost_amount,
        downstream, avg_amount`` (NaN where a group is empty; ``lost_amount`` NaN when the
        data has no amounts, ``lost_won`` the won deals the lost leads stand for).
    """
    _aligned(contacts, journey)
    j = journey
    sla = config.sla.first_contact_hours
    time = contacts["business_hours"].to_numpy()
    contacted = contacts["contacted"].to_numpy()
    mat = j.mature[:, 0] & ~_inferred(contacts)
    adv = j.advanced[:, 0] & mat
    within = contacted & (time <= sla) & mat
    late = (time > sla) & mat
    wn, ln = int(within.sum()), int(late.sum())
    wr = adv[within].sum() / wn if wn else np.nan
    lr = adv[late].sum() / ln if ln else np.nan
    down, avg = _downstream(j)
    lost = max(wr - lr, 0.0) * ln if wn and ln else np.nan
    amounts = (
        j.deals["amount"][j.status == WON] if "amount" in j.deals else pd.Series([], dtype=float)
    )
    value = avg if amounts.notna().any() else np.nan  # no amount known: not worth "1" each
    return {
        "within_n": wn,
        "within_rate": float(wr),
        "late_n": ln,
        "late_rate": float(lr),
        "lost_leads": float(lost),
        "lost_won": float(lost * down),
        "lost_amount": float(lost * down * value),
        "downstream": down,
        "avg_amount": avg,
    }


def source_reach(journey: JourneyData, by: str = "source") -> pd.DataFrame:
    """How far each source's leads get: share reaching each later stage, with intervals.

    Censoring-aware by windows: for stage k a lead counts when it reached k, is closed, or
    is older than the sum of ``window_days`` of the stages before k (time enough to get
    there); younger open leads are left out of that stage's denominator.

    Returns
    -------
    DataFrame
        ``<by> | stage | leads | n | reached | share | ci_low | ci_high``, stages after the
        first; ``stage`` is the stage id.
    """
    j = journey
    columns = [by, "stage", "leads", "n", "reached", "share", "ci_low", "ci_high"]
    if by not in j.deals.columns or j.deals[by].isna().all():
        return pd.DataFrame(columns=columns)
    codes, uniques = _codes(j.deals[by])
    keep = codes >= 0
    G, K = len(uniques), j.n_stages
    age = (j.as_of.value - j.start_ns) / DAY_NS
    need = np.r_[0.0, np.cumsum(j.windows)[:-1]]
    frames = []
    for k in range(1, K):
        reached = j.entered[:, k] & keep
        eligible = (reached | (j.status != OPEN) | (age >= need[k])) & keep
        n = np.bincount(codes[keep], weights=eligible[keep], minlength=G).astype(np.int64)
        r = np.bincount(codes[keep], weights=reached[keep], minlength=G).astype(np.int64)
        low, high = wilson_interval(r, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(n > 0, r / n, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    by: uniques.astype(str),
                    "stage": j.stage_ids[k],
                    "leads": np.bincount(codes[keep], minlength=G),
                    "n": n,
                    "reached": r,
                    "share": rate,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["stage"] = pd.Categorical(out["stage"], categories=list(j.stage_ids))
    return out[columns]

"""Customer-success handoff: time from won to kick-off and go-live, customer success
before signature, delays, complaints, renewals and first upsell, by segment and product.
Part of step 3 (:mod:`playbook.steps.handoff`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.stats import (
    km_quantiles,
    wilson_interval,
)
from playbook.steps.handoff.base import (
    _BIG,
    CS_METRICS,
    KICKOFF_TYPES,
    _codes,
    _deal_rows,
    _first,
    _num,
    _pct,
    _require,
    _status,
    _t,
    _type_in,
    analysis_date,
)
from playbook.steps.journey import WON
from playbook.workspace.calendar import DAY_NS, NAT, to_ns
from playbook.workspace.config import PilotConfig

# --- customer-success handoff ----------------------------------------------------------------

CS_COLUMNS = [
    "dimension",
    "value",
    "metric",
    "unit",
    "n",
    "events",
    "estimate",
    "ci_low",
    "ci_high",
]


def cs_handoff(
    deals: pd.DataFrame,
    config: PilotConfig,
    activities: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    *,
    by: Sequence[str] = ("segment", "product"),
    as_of=None,
    kickoff_types: Sequence[str] = KICKOFF_TYPES,
) -> pd.DataFrame:
    """Sales → customer-success handoff of won deals, overall and per slice.

    Metrics (those whose table is missing are left out):

    * ``days_to_kickoff`` — won → first kick-off activity (Kaplan–Meier median; deals
      without one censored at ``as_of``; a kick-off before the signature counts as 0).
      Without any kick-off typed activity, the first customer-success activity after
      the signature is used;
    * ``days_to_go_live`` — won → ``outcomes.go_live_at`` (Kaplan–Meier median);
    * ``cs_before_signature`` — share of won deals with a customer-success activity before
      the signature;
    * ``delay_rate``, ``complaint_rate`` (live deals with a complaint), ``renewal_rate``
      (renewals decided), ``upsell_rate`` (won deals with an upsell so far);
    * ``days_to_first_upsell`` — median days from won to the first upsell, upsold deals.

    Returns
    -------
    DataFrame
        ``dimension | value | metric | unit | n | events | estimate | ci_low | ci_high``;
        ``dimension`` ``all`` (value ``all``) first, then each of ``by``; ``unit`` is
        ``days`` or ``share``; shares carry Wilson intervals, medians none.
    """
    _require(deals, ["deal_id", "status", "closed_at"], "deals")
    status = _status(deals)
    closed_all = to_ns(deals["closed_at"])
    won_rows = np.flatnonzero((status == WON) & (closed_all != NAT))
    W = len(won_rows)
    if as_of is None:
        as_of = analysis_date(deals, deals.assign(entered_at=deals["created_at"]), activities)
    as_of_ns = pd.Timestamp(as_of).value
    closed = closed_all[won_rows]
    won_ids = deals["deal_id"].to_numpy()[won_rows]
    per: dict[str, tuple] = {}  # metric -> (kind, values, observed/valid)
    if activities is not None and len(activities) and W:  # no won deal: nothing to hand off
        idx = _deal_rows(pd.Series(won_ids), activities["deal_id"])
        at = to_ns(activities["at"])
        ok = (idx >= 0) & (at != NAT) & (at <= as_of_ns)
        kick = ok & _type_in(activities["type"], kickoff_types)
        has_team = "team" in activities.columns
        cs = ok & _type_in(activities["team"], ["customer_success"]) if has_team else None
        if not kick.any() and cs is not None:
            kick = cs & (at >= closed[np.maximum(idx, 0)])
        first = _first(idx[kick], at[kick], W)
        seen = first != _BIG
        stop = np.where(seen, np.maximum(first, closed), as_of_ns)
        per["days_to_kickoff"] = ("km", (stop - closed) / DAY_NS, seen)
        if cs is not None:
            before = cs & (at < closed[np.maximum(idx, 0)])
            flag = np.zeros(W, dtype=bool)
            flag[idx[before]] = True
            per["cs_before_signature"] = ("share", flag, np.ones(W, dtype=bool))
    if outcomes is not None and len(outcomes):
        o = outcomes.drop_duplicates("deal_id")
        pos = _deal_rows(o["deal_id"], pd.Series(won_ids))
        has = pos >= 0
        p = np.maximum(pos, 0)

        def col(name: str, kind: str = "ns"):
            if name not in o.columns:
                return None
            if kind == "ns":
                v = to_ns(o[name])[p]
                return np.where(has, v, NAT)
            s = o[name]
            valid = s.notna().to_numpy()[p] & has
            vals = s.astype("Float64").fillna(0).to_numpy(dtype=float)[p]
            return vals, valid

        live = col("go_live_at")
        if live is not None:
            seen = live != NAT
            stop = np.where(seen, np.maximum(live, closed), as_of_ns)
            per["days_to_go_live"] = ("km", (stop - closed) / DAY_NS, seen)
        delayed = col("delayed", "value")
        if delayed is not None:
            per["delay_rate"] = ("share", delayed[0] > 0, delayed[1])
        complaints = col("complaints", "value")
        if complaints is not None:
            valid = complaints[1] & (live != NAT) if live is not None else complaints[1]
            per["complaint_rate"] = ("share", complaints[0] > 0, valid)
        renewed = col("renewed", "value")
        if renewed is not None:
            per["renewal_rate"] = ("share", renewed[0] > 0, renewed[1])
        upsell = col("upsell_at")
        if upsell is not None:
            upsold = upsell != NAT
            per["upsell_rate"] = ("share", upsold, np.ones(W, dtype=bool))
            days = np.where(upsold, (upsell - closed) / DAY_NS, np.nan)
            per["days_to_first_upsell"] = ("median", days, upsold)
    if not per or not W:
        return pd.DataFrame(columns=CS_COLUMNS)

    groups = [("all", np.zeros(W, dtype=np.int64), pd.Index(["all"]))]
    for dim in by:
        if dim in deals.columns and deals[dim].notna().any():
            codes, uniques = _codes(deals[dim].iloc[won_rows])
            groups.append((dim, codes, uniques))
    frames = []
    for dim, codes, uniques in groups:
        G = len(uniques)
        keep = codes >= 0
        g = codes[keep]
        for metric in CS_METRICS:
            if metric not in per:
                continue
            kind, values, flag = per[metric]
            v, f = values[keep], flag[keep]
            if kind == "share":
                n = np.bincount(g, weights=f, minlength=G).astype(np.int64)
                ev = np.bincount(g, weights=f & v, minlength=G).astype(np.int64)
                low, high = wilson_interval(ev, n)
                with np.errstate(invalid="ignore", divide="ignore"):
                    est = np.where(n > 0, ev / n, np.nan)
                unit = "share"
            else:
                n = (
                    np.bincount(g, minlength=G)
                    if kind == "km"
                    else np.bincount(g, weights=f, minlength=G).astype(np.int64)
                )
                ev = np.bincount(g, weights=f, minlength=G).astype(np.int64)
                if kind == "km":
                    est = km_quantiles(v, f, g, G, (0.5,))[:, 0]
                else:
                    est = pd.Series(v[f]).groupby(g[f]).median().reindex(range(G)).to_numpy()
                low = high = np.full(G, np.nan)
                unit = "days"
            frames.append(
                pd.DataFrame(
                    {
                        "dimension": dim,
                        "value": uniques.astype(str),
                        "metric": metric,
                        "unit": unit,
                        "n": n,
                        "events": ev,
                        "estimate": est,
                        "ci_low": low,
                        "ci_high": high,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)[CS_COLUMNS]


def cs_view(cs: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """The customer-success table for reading: one row per slice, one column per metric.

    Cells are text: ``62% (55–68%) n=120`` for shares, ``34 d (n=120)`` for medians.

    Returns
    -------
    DataFrame
        ``dimension | value | <metric>...`` (metric ids as column names).
    """
    if not len(cs):
        return pd.DataFrame(columns=["dimension", "value"])
    day = _t("handoff_days_short", language)

    def cell(r) -> str:
        if r.unit == "share":
            if not r.n:
                return "–"
            return f"{_pct(r.estimate)} ({_pct(r.ci_low)}–{_pct(r.ci_high)}) n={r.n:,}"
        return f"{_num(r.estimate)} {day} (n={r.n:,})"

    text = [cell(r) for r in cs.itertuples(index=False)]
    wide = cs.assign(text=text).pivot_table(
        index=["dimension", "value"], columns="metric", values="text", aggfunc="first", sort=False
    )
    metrics = [m for m in CS_METRICS if m in wide.columns]
    return wide[metrics].reset_index().rename_axis(columns=None)

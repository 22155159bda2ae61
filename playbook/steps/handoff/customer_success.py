"""Customer-success handoff: time from won to kick-off and go-live, customer success
before signature, delays, complaints, renewals and first upsell, by segment and product.
Part of step 3 (:mod:`playbook.steps.handoff`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
from playbook.steps.prepared import takes_pilot
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


@dataclass(frozen=True)
class _WonDeals:
    """The won deals with a closing time, the population of the customer-success metrics."""

    ids: np.ndarray
    closed: np.ndarray  # signature time, int64 ns
    as_of_ns: int

    def __len__(self) -> int:
        return len(self.ids)


# metric -> (kind, values, observed / valid); kind is "km", "share" or "median"
_Metrics = dict[str, tuple[str, np.ndarray, np.ndarray]]


def _activity_metrics(
    won: _WonDeals, activities: pd.DataFrame, kickoff_types: Sequence[str]
) -> _Metrics:
    """Days to kick-off, and (with a team column) customer success before the signature."""
    W, closed = len(won), won.closed
    idx = _deal_rows(pd.Series(won.ids), activities["deal_id"])
    at = to_ns(activities["at"])
    ok = (idx >= 0) & (at != NAT) & (at <= won.as_of_ns)
    kick = ok & _type_in(activities["type"], kickoff_types)
    has_team = "team" in activities.columns
    cs = ok & _type_in(activities["team"], ["customer_success"]) if has_team else None
    if not kick.any() and cs is not None:
        kick = cs & (at >= closed[np.maximum(idx, 0)])
    first = _first(idx[kick], at[kick], W)
    seen = first != _BIG
    stop = np.where(seen, np.maximum(first, closed), won.as_of_ns)
    per: _Metrics = {"days_to_kickoff": ("km", (stop - closed) / DAY_NS, seen)}
    if cs is not None:
        before = cs & (at < closed[np.maximum(idx, 0)])
        flag = np.zeros(W, dtype=bool)
        flag[idx[before]] = True
        per["cs_before_signature"] = ("share", flag, np.ones(W, dtype=bool))
    return per


class _OutcomeColumns:
    """The columns of ``outcomes`` aligned with the won deals (one outcome row per deal)."""

    def __init__(self, outcomes: pd.DataFrame, won: _WonDeals) -> None:
        self.o = outcomes.drop_duplicates("deal_id")
        pos = _deal_rows(self.o["deal_id"], pd.Series(won.ids))
        self.has = pos >= 0
        self.p = np.maximum(pos, 0)

    def times(self, name: str) -> np.ndarray | None:
        """A timestamp column as int64 ns (NaT for deals without outcome); None when absent."""
        if name not in self.o.columns:
            return None
        return np.where(self.has, to_ns(self.o[name])[self.p], NAT)

    def values(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A numeric column (0 where empty) and where it is filled; None when absent."""
        if name not in self.o.columns:
            return None
        s = self.o[name]
        valid = s.notna().to_numpy()[self.p] & self.has
        return s.astype("Float64").fillna(0).to_numpy(dtype=float)[self.p], valid


def _outcome_metrics(won: _WonDeals, outcomes: pd.DataFrame) -> _Metrics:
    """Go-live, delays, complaints, renewals and upsells of the won deals."""
    W, closed = len(won), won.closed
    cols = _OutcomeColumns(outcomes, won)
    per: _Metrics = {}
    live = cols.times("go_live_at")
    if live is not None:
        seen = live != NAT
        stop = np.where(seen, np.maximum(live, closed), won.as_of_ns)
        per["days_to_go_live"] = ("km", (stop - closed) / DAY_NS, seen)
    delayed = cols.values("delayed")
    if delayed is not None:
        per["delay_rate"] = ("share", delayed[0] > 0, delayed[1])
    complaints = cols.values("complaints")
    if complaints is not None:
        valid = complaints[1] & (live != NAT) if live is not None else complaints[1]
        per["complaint_rate"] = ("share", complaints[0] > 0, valid)
    renewed = cols.values("renewed")
    if renewed is not None:
        per["renewal_rate"] = ("share", renewed[0] > 0, renewed[1])
    upsell = cols.times("upsell_at")
    if upsell is not None:
        upsold = upsell != NAT
        per["upsell_rate"] = ("share", upsold, np.ones(W, dtype=bool))
        days = np.where(upsold, (upsell - closed) / DAY_NS, np.nan)
        per["days_to_first_upsell"] = ("median", days, upsold)
    return per


def _metric_by_group(kind: str, v: np.ndarray, f: np.ndarray, g: np.ndarray, G: int) -> dict:
    """``unit | n | events | estimate | ci_low | ci_high`` of one metric per group code."""
    if kind == "share":
        n = np.bincount(g, weights=f, minlength=G).astype(np.int64)
        ev = np.bincount(g, weights=f & v, minlength=G).astype(np.int64)
        low, high = wilson_interval(ev, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = np.where(n > 0, ev / n, np.nan)
        return {
            "unit": "share",
            "n": n,
            "events": ev,
            "estimate": est,
            "ci_low": low,
            "ci_high": high,
        }
    ev = np.bincount(g, weights=f, minlength=G).astype(np.int64)
    if kind == "km":
        n = np.bincount(g, minlength=G)
        est = km_quantiles(v, f, g, G, (0.5,))[:, 0]
    else:
        n = ev
        est = pd.Series(v[f]).groupby(g[f]).median().reindex(range(G)).to_numpy()
    nan = np.full(G, np.nan)
    return {"unit": "days", "n": n, "events": ev, "estimate": est, "ci_low": nan, "ci_high": nan}


@takes_pilot
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
    if as_of is None:
        as_of = analysis_date(deals, None, activities)
    won = _WonDeals(
        ids=deals["deal_id"].to_numpy()[won_rows],
        closed=closed_all[won_rows],
        as_of_ns=pd.Timestamp(as_of).value,
    )
    W = len(won)
    per: _Metrics = {}
    if activities is not None and len(activities) and W:  # no won deal: nothing to hand off
        per.update(_activity_metrics(won, activities, kickoff_types))
    if outcomes is not None and len(outcomes):
        per.update(_outcome_metrics(won, outcomes))
    if not per or not W:
        return pd.DataFrame(columns=CS_COLUMNS)

    groups = [("all", np.zeros(W, dtype=np.int64), pd.Index(["all"]))]
    for dim in by:
        if dim in deals.columns and deals[dim].notna().any():
            codes, uniques = _codes(deals[dim].iloc[won_rows])
            groups.append((dim, codes, uniques))
    frames = []
    for dim, codes, uniques in groups:
        keep = codes >= 0
        for metric in (m for m in CS_METRICS if m in per):
            kind, values, flag = per[metric]
            stats = _metric_by_group(kind, values[keep], flag[keep], codes[keep], len(uniques))
            head = {"dimension": dim, "value": uniques.astype(str), "metric": metric}
            frames.append(pd.DataFrame({**head, **stats}))
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

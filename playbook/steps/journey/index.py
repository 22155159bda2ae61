"""The prepared journey index: every deal's stage visits as integer codes, built once and
shared by the steps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.stats import km_quantiles
from playbook.steps.journey.events import (
    DAY_NS,
    LOST,
    NAT,
    OPEN,
    WON,
    _add_inferred_visits,
    _as_of_ns,
    _clean_events,
    _merge_runs,
    _ns,
    _require,
    _status_as_of,
    _Visits,
)
from playbook.workspace.config import PilotConfig

EXITS = ("advance", "skip", "regress", "won", "lost", "open")


@dataclass(frozen=True)
class JourneyData:
    """Per-visit, per-deal and per-deal-stage arrays that every journey metric reads.

    Built by :func:`prepare`. Times are int64 nanoseconds (naive local time);
    ``D`` deals (rows of ``deals``, in its order), ``K`` stages, ``V`` visits
    sorted by deal, then time, then funnel order.
    """

    stage_ids: tuple[str, ...]
    windows: np.ndarray  # (K,) window_days per stage
    skip_counts_as_passed: bool
    as_of: pd.Timestamp
    deals: pd.DataFrame  # the deals analysed (created by as_of), input order
    # visits (V,)
    v_deal: np.ndarray
    v_stage: np.ndarray
    v_enter: np.ndarray
    v_leave: np.ndarray
    v_inferred: np.ndarray
    v_censored: np.ndarray
    # deals (D,)
    status: np.ndarray  # 0 open, 1 won, 2 lost
    furthest: np.ndarray  # -1 when the deal has no visit
    end_stage: np.ndarray
    first_visit: np.ndarray
    n_visits: np.ndarray
    start_ns: np.ndarray  # min(created_at, first event)
    end_ns: np.ndarray  # closing time (closed deals) or as_of (open deals)
    # deal x stage (D, K)
    visits: np.ndarray
    first_enter: np.ndarray
    dwell: np.ndarray  # total days in the stage (0 when not visited)
    dwell_censored: np.ndarray
    entered: np.ndarray
    advanced: np.ndarray
    lost: np.ndarray
    open: np.ndarray
    days: np.ndarray  # days from first entry to advance / loss / as_of; NaN when not visited
    mature: np.ndarray

    @property
    def n_stages(self) -> int:
        return len(self.stage_ids)

    @property
    def n_deals(self) -> int:
        return len(self.status)


def _next_higher(v_deal: np.ndarray, v_stage: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each visit index in ``rows``: the next visit of the same deal at a higher stage.

    Returns ``len(v_deal)`` where there is none. Iterates only over the rare visits
    not followed directly by a higher stage (regressions, repeats).
    """
    V = len(v_deal)
    out = np.full(len(rows), V, dtype=np.int64)
    if not V or not len(rows):
        return out
    # the common case, read off shifted arrays: the very next visit is higher; a deal's
    # last visit has none, so only visits followed by a lower or equal one are searched
    same_deal = np.zeros(V, dtype=bool)
    same_deal[:-1] = v_deal[1:] == v_deal[:-1]
    direct = same_deal.copy()
    direct[:-1] &= v_stage[1:] > v_stage[:-1]
    hit0 = direct[rows]
    del direct
    out[hit0] = rows[hit0] + 1
    pending = np.flatnonzero(~hit0 & same_deal[rows])
    del hit0, same_deal
    base = rows[pending]
    base_stage = v_stage[base]
    base_deal = v_deal[base]
    cand = base + 1
    live = np.arange(len(pending))
    while len(live):
        c = cand[live]
        ok = c < V
        c_ok = np.minimum(c, V - 1)
        ok &= v_deal[c_ok] == base_deal[live]
        hit = ok & (v_stage[c_ok] > base_stage[live])
        out[pending[live[hit]]] = c[hit]
        live = live[ok & ~hit]
        cand[live] += 1
    return out


@dataclass(frozen=True)
class _DealTracks:
    """Per-deal summaries of the visits, and each visit's end."""

    furthest: np.ndarray
    end_stage: np.ndarray
    first_visit: np.ndarray
    n_visits: np.ndarray
    start_ns: np.ndarray
    end_ns: np.ndarray
    v_leave: np.ndarray
    v_censored: np.ndarray


@dataclass(frozen=True)
class _StageGrid:
    """Deal x stage arrays read off the visits."""

    visits: np.ndarray
    dwell: np.ndarray
    dwell_censored: np.ndarray
    visited: np.ndarray  # visits > 0
    first_idx: np.ndarray  # index of the first visit (V when not visited)
    first_enter: np.ndarray


def _deal_tracks(
    v: _Visits, created: np.ndarray, closed: np.ndarray, status: np.ndarray, as_of_ns: int
) -> _DealTracks:
    """Where each deal's track starts, ends and how far it got; when each visit ends."""
    D, V = len(status), len(v.deal)
    first = np.r_[True, v.deal[1:] != v.deal[:-1]] if V else np.zeros(0, bool)
    last = np.r_[first[1:], True] if V else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    del first
    start_deal = v.deal[starts]

    last_enter = np.full(D, NAT, dtype=np.int64)
    last_enter[v.deal[last]] = v.enter[last]
    closed_end = np.where(closed != NAT, np.maximum(closed, last_enter), last_enter)
    end_ns = np.where(status == OPEN, as_of_ns, closed_end)
    v_leave = np.empty(V, dtype=np.int64)
    if V:
        v_leave[:-1] = v.enter[1:]
        v_leave[last] = end_ns[v.deal[last]]

    furthest = np.full(D, -1, dtype=np.int64)
    end_stage = np.full(D, -1, dtype=np.int64)
    first_visit = np.full(D, -1, dtype=np.int64)
    n_visits = np.zeros(D, dtype=np.int64)
    if V:
        furthest[start_deal] = np.maximum.reduceat(v.stage, starts)
        end_stage[v.deal[last]] = v.stage[last]
        first_visit[start_deal] = starts
        n_visits[start_deal] = np.diff(np.r_[starts, V])
    first_enter = np.full(D, NAT, dtype=np.int64)
    first_enter[start_deal] = v.enter[starts]
    start_ns = np.where(
        created == NAT,
        first_enter,
        np.where(first_enter == NAT, created, np.minimum(created, first_enter)),
    )
    return _DealTracks(
        furthest=furthest,
        end_stage=end_stage,
        first_visit=first_visit,
        n_visits=n_visits,
        start_ns=start_ns,
        end_ns=end_ns,
        v_leave=v_leave,
        v_censored=last & (status[v.deal] == OPEN),
    )


def _stage_grid(v: _Visits, tracks: _DealTracks, D: int, K: int) -> _StageGrid:
    """Visits, total dwell (censored or not) and the first visit of each deal at each stage."""
    V = len(v.deal)
    key = v.deal * K  # int64
    key += v.stage
    visits = np.bincount(key, minlength=D * K).astype(np.int32).reshape(D, K)
    v_dwell = (tracks.v_leave - v.enter) / DAY_NS
    dwell = np.bincount(key, weights=v_dwell, minlength=D * K).reshape(D, K)
    del v_dwell
    dwell_censored = np.zeros(D * K, dtype=bool)
    dwell_censored[key[tracks.v_censored]] = True
    idx_type = np.int32 if V < 2**31 - 1 else np.int64
    first_idx = np.full(D * K, V, dtype=idx_type)
    np.minimum.at(first_idx, key, np.arange(V, dtype=idx_type))
    first_idx = first_idx.reshape(D, K)
    # a deal's visits are in time order, so its first visit to a stage is the earliest:
    # a running minimum over the log reads it without gathering through first_idx
    first_enter = np.full(D * K, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_enter, key, v.enter)
    del key
    first_enter = first_enter.reshape(D, K)
    visited = visits > 0
    first_enter[~visited] = NAT
    return _StageGrid(
        visits=visits,
        dwell=dwell,
        dwell_censored=dwell_censored.reshape(D, K),
        visited=visited,
        first_idx=first_idx,
        first_enter=first_enter,
    )


def _stage_outcomes(
    visited: np.ndarray, furthest: np.ndarray, status: np.ndarray, skip_counts_as_passed: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Deal x stage: entered, advanced, lost and open (the rules in the package docstring)."""
    K = visited.shape[1]
    stage = np.arange(K)[None, :]
    entered = stage <= furthest[:, None] if skip_counts_as_passed else visited
    won = (status == WON)[:, None]
    advanced = entered & ((furthest[:, None] > stage) | ((stage == K - 1) & won))
    rest = entered & ~advanced
    return entered, advanced, rest & (status == LOST)[:, None], rest & (status == OPEN)[:, None]


def _days_to_outcome(
    v: _Visits,
    grid: _StageGrid,
    advanced: np.ndarray,
    lost: np.ndarray,
    open_: np.ndarray,
    end_ns: np.ndarray,
    as_of_ns: int,
) -> np.ndarray:
    """Days from first entry to the outcome at each visited stage: to the first later visit
    to a higher stage (advanced), to the closing (lost, won at the last stage), to as_of
    (open); NaN where the deal did not visit."""
    D, K = grid.visits.shape
    V = len(v.deal)
    days = np.full((D, K), np.nan)
    sel = grid.first_idx[:, : K - 1] < V
    r = grid.first_idx[:, : K - 1][sel]
    nxt = _next_higher(v.deal, v.stage, r)
    t_adv = v.enter.take(nxt, mode="clip")
    t_adv -= v.enter[r]
    t_adv[nxt == V] = 0  # no higher visit follows: no time to advance
    del nxt, r
    days[:, : K - 1][sel] = t_adv / DAY_NS
    del t_adv, sel
    stage = np.arange(K)[None, :]
    ends = lost | (advanced & (stage == K - 1))
    rows, cols = np.nonzero(ends & grid.visited)
    days[rows, cols] = (end_ns[rows] - grid.first_enter[rows, cols]) / DAY_NS
    rows, cols = np.nonzero(open_)
    days[rows, cols] = (as_of_ns - grid.first_enter[rows, cols]) / DAY_NS
    np.maximum(days, 0, out=days)
    return days


def prepare(
    deals: pd.DataFrame, stage_events: pd.DataFrame, config: PilotConfig, as_of=None
) -> JourneyData:
    """Order, clean and index the event log once; every journey metric starts here.

    Parameters
    ----------
    deals : DataFrame
        Canonical deals (deal_id, created_at, status, closed_at, ...).
    stage_events : DataFrame
        Canonical stage events (deal_id, stage as a funnel stage id, entered_at).
    config : PilotConfig
        Supplies the funnel order, ``window_days`` and ``skip_counts_as_passed``.
    as_of : datetime-like, optional
        Analysis date; default the latest timestamp in the data. With an earlier
        date the data are read as they stood then (later events and deals left
        out, deals closed later are open).

    Returns
    -------
    JourneyData

    Raises
    ------
    ValueError
        When a required column is missing, deal ids repeat, a status is not
        open/won/lost, or no event matches any deal.
    """
    _require(deals, ["deal_id", "created_at", "status"], "deals")
    _require(stage_events, ["deal_id", "stage", "entered_at"], "stage_events")
    ids = tuple(config.funnel.ids)
    windows = np.array([s.window_days for s in config.funnel.stages], dtype=float)

    created = _ns(deals["created_at"])
    closed = _ns(deals["closed_at"]) if "closed_at" in deals else np.full(len(deals), NAT)
    ev_t = _ns(stage_events["entered_at"])
    as_of_ns = _as_of_ns(as_of, created, closed, ev_t)
    explicit = as_of is not None
    if explicit and (created > as_of_ns).any():
        keep = created <= as_of_ns  # NaT (int64 min) is kept
        deals = deals.loc[keep]
        created, closed = created[keep], closed[keep]
    D = len(deals)
    status, closed = _status_as_of(deals["status"], closed, as_of_ns, explicit)

    v = _clean_events(deals, stage_events, ev_t, ids, as_of_ns)
    del ev_t
    _add_inferred_visits(v, created, closed, status, len(ids))
    _merge_runs(v)
    tracks = _deal_tracks(v, created, closed, status, as_of_ns)
    grid = _stage_grid(v, tracks, D, len(ids))
    entered, advanced, lost, open_ = _stage_outcomes(
        grid.visited, tracks.furthest, status, config.funnel.skip_counts_as_passed
    )
    days = _days_to_outcome(v, grid, advanced, lost, open_, tracks.end_ns, as_of_ns)
    mature = advanced | lost | (open_ & (days > windows[None, :]))

    return JourneyData(
        stage_ids=ids,
        windows=windows,
        skip_counts_as_passed=config.funnel.skip_counts_as_passed,
        as_of=pd.Timestamp(as_of_ns),
        deals=deals,
        v_deal=v.deal.astype(np.int32) if D < 2**31 else v.deal,
        v_stage=v.stage.astype(np.int8),
        v_enter=v.enter,
        v_leave=tracks.v_leave,
        v_inferred=v.inferred,
        v_censored=tracks.v_censored,
        status=status,
        furthest=tracks.furthest,
        end_stage=tracks.end_stage,
        first_visit=tracks.first_visit,
        n_visits=tracks.n_visits,
        start_ns=tracks.start_ns,
        end_ns=tracks.end_ns,
        visits=grid.visits,
        first_enter=grid.first_enter,
        dwell=grid.dwell,
        dwell_censored=grid.dwell_censored,
        entered=entered,
        advanced=advanced,
        lost=lost,
        open=open_,
        days=days,
        mature=mature,
    )


def resolve(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    as_of=None,
    journey: JourneyData | None = None,
) -> JourneyData:
    """``journey`` when given (checked against ``config``), else :func:`prepare` of the frames.

    Raises
    ------
    ValueError
        When ``journey`` was prepared with another funnel or skip rule.
    """
    if journey is None:
        return prepare(deals, stage_events, config, as_of)
    if (
        tuple(config.funnel.ids) != journey.stage_ids
        or config.funnel.skip_counts_as_passed != journey.skip_counts_as_passed
    ):
        raise ValueError(
            "journey was prepared with another funnel (stage ids or skip rule) than "
            "config; prepare it again with this config"
        )
    if as_of is not None and pd.Timestamp(as_of) != journey.as_of:
        raise ValueError(
            f"journey was prepared as of {journey.as_of}, not {pd.Timestamp(as_of)}; "
            "prepare it again or drop as_of"
        )
    return journey


def _cell_codes(j: JourneyData, visited: np.ndarray) -> np.ndarray:
    """Per deal and stage, one code 0..19: outcome x 4 + 2 x skipped + repeated.

    Outcome 0 advanced, 1 lost, 2 open and mature, 3 open within the window, 4 not
    entered (advanced, lost and open exclude one another). Small unsigned integers:
    one byte per deal and stage.
    """
    K = j.n_stages
    as_byte = np.uint8
    code = np.full(j.advanced.shape, 4, dtype=as_byte)
    code -= j.advanced.view(as_byte) * as_byte(4)
    code -= j.lost.view(as_byte) * as_byte(3)
    code -= j.open.view(as_byte)
    code -= (j.open & j.mature).view(as_byte)
    code *= as_byte(4)
    skipped = ~visited & (j.furthest[:, None] > np.arange(K)[None, :])
    code += skipped.view(as_byte) * as_byte(2)
    code += (j.visits > 1).view(as_byte)
    return code


def aggregate(
    journey: JourneyData, group: np.ndarray | None = None, n_groups: int = 1, dwell: bool = True
) -> pd.DataFrame:
    """Per (group, stage) counts and dwell quantiles from prepared data.

    Parameters
    ----------
    journey : JourneyData
    group : ndarray of int, optional
        Group code (0..n_groups-1) of each deal; deals with a negative code are left out.
    n_groups : int
    dwell : bool
        Estimate the dwell quantiles (NaN columns when False; counts only, faster).

    Returns
    -------
    DataFrame
        Columns ``group | stage (int code) | entered | advanced | lost | open | mature_n |
        immature | skipped | repeated | median_dwell_days | p90_dwell_days``, one row
        per group and stage, groups then stages in order.
    """
    j = journey
    D, K = j.n_deals, j.n_stages
    g = np.zeros(D, dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    inc = g >= 0
    size = n_groups * K
    visited = j.visits > 0
    code = _cell_codes(j, visited)
    if not inc.all():
        code = code[inc]
    # counted stage by stage: the (group, code) keys of one stage column at a time are
    # far smaller than one key per deal and stage
    g20 = (g if inc.all() else g[inc]) * 20
    counts = np.empty((n_groups, K, 20), dtype=np.int64)
    for k in range(K):
        cells = np.bincount(g20 + code[:, k], minlength=n_groups * 20)
        counts[:, k, :] = cells.reshape(n_groups, 20)
    del g20, code
    counts = counts.reshape(size, 5, 4)
    by_outcome = counts.sum(axis=2)
    out = pd.DataFrame(
        {
            "group": np.repeat(np.arange(n_groups), K),
            "stage": np.tile(np.arange(K), n_groups),
            "entered": by_outcome[:, :4].sum(axis=1),
            "advanced": by_outcome[:, 0],
            "lost": by_outcome[:, 1],
            "open": by_outcome[:, 2] + by_outcome[:, 3],
            "mature_n": by_outcome[:, :3].sum(axis=1),
            "immature": by_outcome[:, 3],
            "skipped": counts[:, :, 2:].sum(axis=(1, 2)),
            "repeated": counts[:, :, [1, 3]].sum(axis=(1, 2)),
        }
    )
    q = np.full((size, 2), np.nan)
    if dwell:
        m = visited & inc[:, None]
        # the cell (group x K + stage) of each selected deal and stage, read off broadcast
        # views rather than a (D, K) array of cells
        cell = np.broadcast_to(np.arange(K), (D, K))[m]
        if n_groups > 1:
            cell += np.broadcast_to(g[:, None] * K, (D, K))[m]
        q = km_quantiles(
            j.dwell[m], ~j.dwell_censored[m], cell, size, (0.5, 0.9), resolution=1 / 24
        )
    out["median_dwell_days"] = q[:, 0]
    out["p90_dwell_days"] = q[:, 1]
    return out

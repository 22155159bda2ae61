"""Reading the event log: timestamps and ids as integer codes, events matched to deals,
checked and sorted, the visits the rules infer added, runs at one stage merged into visits.

The first half of :func:`playbook.steps.journey.index.prepare`; everything here works on
whole columns (no per-row Python), since the log can hold 10 million events.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

DAY_NS = 86_400 * 10**9


NAT = np.iinfo(np.int64).min


STATUSES = ("open", "won", "lost")


OPEN, WON, LOST = 0, 1, 2


def _ns(values: pd.Series) -> np.ndarray:
    """Datetime-like values as int64 nanoseconds (NaT -> int64 min)."""
    s = pd.to_datetime(values, errors="coerce")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return s.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _require(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} is missing column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, frame.columns))}"
        )


def _to_datetime(ns: np.ndarray) -> np.ndarray:
    return ns.view("datetime64[ns]")


def _codes(values: pd.Series, categories) -> np.ndarray:
    """Position of each value in ``categories`` (-1 when absent), fast for categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        codes = values.cat.codes.to_numpy().astype(np.int64)
        if cats.equals(pd.Index(categories)):
            return codes
        pos = pd.Index(categories).get_indexer(cats)
        return np.where(codes >= 0, pos[codes], -1)
    return pd.Categorical(values, categories=categories).codes.astype(np.int64)


def _deal_rows(deal_ids: pd.Series, event_ids: pd.Series) -> np.ndarray:
    """Row of ``deals`` each event belongs to (-1 when none), checking ids are unique.

    When both columns are categoricals over the same categories, no string is hashed.
    """
    if (
        isinstance(deal_ids.dtype, pd.CategoricalDtype)
        and isinstance(event_ids.dtype, pd.CategoricalDtype)
        and not deal_ids.isna().any()
        and event_ids.cat.categories.equals(deal_ids.cat.categories)
    ):
        dc = deal_ids.cat.codes.to_numpy()
        ec = event_ids.cat.codes.to_numpy().astype(np.int64)
        if len(dc) == len(deal_ids.cat.categories) and np.array_equal(dc, np.arange(len(dc))):
            return ec  # deal i holds category i (as a cache reads back): codes are rows
        dc = dc.astype(np.int64)
        counts = np.bincount(dc, minlength=len(deal_ids.cat.categories))
        if len(dc) and counts.max() > 1:
            dup = deal_ids.cat.categories[np.flatnonzero(counts > 1)[:5]]
            raise ValueError(f"deals.deal_id must be unique; repeated: {', '.join(map(str, dup))}")
        row_of = np.full(len(counts), -1, dtype=np.int64)
        row_of[dc] = np.arange(len(dc))
        return np.where(ec >= 0, row_of[ec], -1)
    index = pd.Index(
        deal_ids.to_numpy(dtype=object)
        if isinstance(deal_ids.dtype, pd.CategoricalDtype)
        else deal_ids
    )
    if not index.is_unique:
        dup = index[index.duplicated()].unique()[:5]
        raise ValueError(f"deals.deal_id must be unique; repeated: {', '.join(map(str, dup))}")
    return _codes(event_ids, index)


def _sort_events(
    d: np.ndarray, t: np.ndarray, c: np.ndarray, n_deals: int, n_stages: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events sorted by deal, time, then funnel order.

    One int64 key sort when deal, time (at the coarsest unit that loses nothing) and
    stage fit in 63 bits; a three-key lexsort otherwise. The key packs the three into
    bit fields, so that reading them back takes shifts and masks, not divisions
    (integer division of ten million keys costs more than sorting them).
    """
    if not len(t):
        return d, t, c
    tmin = int(t.min())
    span = int(t.max()) - tmin
    offset = t - tmin
    for unit in (10**9, 10**6, 10**3, 1):
        if unit == 1 or not np.any(offset % unit):
            break
    stage_bits = max(n_stages - 1, 1).bit_length()
    deal_bits = max(n_deals - 1, 1).bit_length()
    time_bits = (span // unit + 1).bit_length()
    if deal_bits + time_bits + stage_bits <= 63:
        if unit != 1:
            offset //= unit
        key = _packed_key(d, offset, c, time_bits, stage_bits)
        del offset
        if np.any(key[1:] < key[:-1]):
            key.sort()
        d, offset, c = _unpack_key(key, time_bits, stage_bits)
        if unit != 1:
            offset *= unit
        offset += tmin
        return d, offset, c
    del offset
    times, rank = np.unique(t, return_inverse=True)
    time_bits = len(times).bit_length()
    if deal_bits + time_bits + stage_bits > 63:
        order = np.lexsort((c, t, d))
        return d[order], t[order], c[order]
    key = _packed_key(d, rank.ravel(), c, time_bits, stage_bits)
    del rank
    key.sort()
    d, rank, c = _unpack_key(key, time_bits, stage_bits)
    return d, times[rank], c


def _packed_key(
    d: np.ndarray, offset: np.ndarray, c: np.ndarray, time_bits: int, stage_bits: int
) -> np.ndarray:
    """``d | offset | c`` as bit fields of one int64 (all three non-negative and fitting).

    ``offset`` (an int64 temporary of the caller) is shifted in place, so that the log is
    not copied once more.
    """
    key = d.astype(np.int64)
    key <<= time_bits + stage_bits
    offset <<= stage_bits
    key |= offset
    key |= c
    return key


def _unpack_key(
    key: np.ndarray, time_bits: int, stage_bits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three fields of :func:`_packed_key` (``key`` is reused for the deal)."""
    c = key & ((1 << stage_bits) - 1)
    offset = key >> stage_bits
    offset &= (1 << time_bits) - 1
    key >>= time_bits + stage_bits
    return key, offset, c


@dataclass
class _Visits:
    """The cleaned event log as parallel arrays, sorted by deal, time, then funnel order.

    Each step below replaces the arrays in place, so that only one copy of the log is
    alive at a time (the log is the biggest thing ``prepare`` holds: 10M events in the
    benchmark).
    """

    deal: np.ndarray
    enter: np.ndarray
    stage: np.ndarray
    inferred: np.ndarray


def _max_ns(a: np.ndarray) -> int:
    return int(a.max()) if len(a) else NAT  # NaT is int64 min: never the maximum


def _as_of_ns(as_of, created: np.ndarray, closed: np.ndarray, ev_t: np.ndarray) -> int:
    """``as_of`` in nanoseconds; when None, the latest timestamp in the data."""
    if as_of is not None:
        return pd.Timestamp(as_of).value
    as_of_ns = max(_max_ns(created), _max_ns(closed), _max_ns(ev_t))
    if as_of_ns == NAT:
        raise ValueError("as_of cannot be inferred: the data hold no timestamp; pass as_of")
    return as_of_ns


def _status_as_of(
    values: pd.Series, closed: np.ndarray, as_of_ns: int, explicit: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Status codes (deals closed after an explicit ``as_of`` are open) and closing times
    (NaT for open deals)."""
    status = _codes(values, list(STATUSES))
    if (status < 0).any():
        bad = sorted({str(v) for v in pd.Series(values).to_numpy()[status < 0]})[:5]
        raise ValueError(f"deals.status must be open, won or lost; found {', '.join(bad)}")
    status = status.astype(np.int8)
    if explicit:
        reopened = (status != OPEN) & (closed > as_of_ns)
        status[reopened] = OPEN
    return status, np.where(status == OPEN, NAT, closed)


def _clean_events(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    ev_t: np.ndarray,
    ids: tuple[str, ...],
    as_of_ns: int,
) -> _Visits:
    """The events of known deals at known stages, with a time by ``as_of``, sorted; the
    others are left out and logged."""
    ev_deal = _deal_rows(deals["deal_id"], stage_events["deal_id"])
    ev_stage = _codes(stage_events["stage"], list(ids))
    n_events = len(stage_events)
    if n_events and (ev_deal >= 0).sum() == 0 and len(deals):
        raise ValueError(
            "no stage_events.deal_id matches a deals.deal_id (e.g. "
            f"{stage_events['deal_id'].iloc[0]!r} vs {deals['deal_id'].iloc[0]!r}); "
            "check both columns hold the same ids with the same type"
        )
    valid = (ev_deal >= 0) & (ev_stage >= 0) & (ev_t != NAT) & (ev_t <= as_of_ns)
    if not valid.all():
        logger.info(
            "left out %d of %d stage events (unknown deal %d, unknown stage %d, no time %d, "
            "after as_of %d)",
            int((~valid).sum()),
            n_events,
            int((ev_deal < 0).sum()),
            int((ev_stage < 0).sum()),
            int((ev_t == NAT).sum()),
            int(((ev_t > as_of_ns) & (ev_t != NAT)).sum()),
        )
    if not valid.all():
        ev_deal, ev_t, ev_stage = ev_deal[valid], ev_t[valid], ev_stage[valid]
    del valid
    d, t, c = _sort_events(ev_deal, ev_t, ev_stage, len(deals), len(ids))
    return _Visits(deal=d, enter=t, stage=c, inferred=np.zeros(len(d), dtype=bool))


def _add_inferred_visits(
    log: _Visits, created: np.ndarray, closed: np.ndarray, status: np.ndarray, K: int
) -> None:
    """Insert the visits the rules infer: the first stage at created_at for deals without
    events, the last stage at closing for won deals whose track does not end there."""
    d, t, c = log.deal, log.enter, log.stage
    D = len(status)
    has = np.zeros(D, dtype=bool)
    has[d] = True
    last_code = np.full(D, -1, dtype=np.int64)
    last_t = np.full(D, NAT, dtype=np.int64)
    if len(d):
        ends = np.flatnonzero(np.r_[d[1:] != d[:-1], True])
        last_code[d[ends]] = c[ends]
        last_t[d[ends]] = t[ends]
    need_lead = ~has & (created != NAT)
    base_t = np.where(has, last_t, np.where(created != NAT, created, NAT))
    sign_t = np.where(closed != NAT, np.maximum(closed, base_t), base_t)
    need_sign = (status == WON) & (last_code != K - 1) & (sign_t != NAT)
    new_d = np.r_[np.flatnonzero(need_lead), np.flatnonzero(need_sign)]
    if not len(new_d):
        return
    new_t = np.r_[created[need_lead], sign_t[need_sign]]
    new_c = np.r_[
        np.zeros(need_lead.sum(), dtype=np.int64), np.full(need_sign.sum(), K - 1, dtype=np.int64)
    ]
    o = np.lexsort((new_c, new_d))
    new_d, new_t, new_c = new_d[o], new_t[o], new_c[o]
    pos = np.searchsorted(d, new_d, side="right")
    del d, t, c  # the log's arrays are replaced one at a time
    log.deal = np.insert(log.deal, pos, new_d)
    log.enter = np.insert(log.enter, pos, new_t)
    log.stage = np.insert(log.stage, pos, new_c)
    log.inferred = np.insert(log.inferred, pos, True)
    logger.info(
        "inferred %d first-stage and %d last-stage visits",
        int(need_lead.sum()),
        int(need_sign.sum()),
    )


def _merge_runs(log: _Visits) -> None:
    """One visit per run of events at the same stage (its first event's time)."""
    d, c = log.deal, log.stage
    keep = np.r_[True, (d[1:] != d[:-1]) | (c[1:] != c[:-1])] if len(d) else np.zeros(0, bool)
    del d, c
    if keep.all():
        return
    log.deal = log.deal[keep]
    log.stage = log.stage[keep]
    log.enter = log.enter[keep]
    log.inferred = log.inferred[keep]

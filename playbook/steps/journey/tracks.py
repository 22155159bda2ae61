"""Each deal's path through the funnel: tracks, path keys, paths and the stages each deal
reached."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from playbook.steps.journey.events import DAY_NS, LOST, NAT, OPEN, STATUSES, WON, _to_datetime
from playbook.steps.journey.index import EXITS, JourneyData
from playbook.steps.journey.tables import over_journey
from playbook.steps.prepared import takes_pilot


def _stage_cat(codes: np.ndarray, ids) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(ids))


def _take_ids(j: JourneyData, rows: np.ndarray) -> pd.Series:
    return pd.Series(j.deals["deal_id"].array.take(rows), name="deal_id")


@takes_pilot
@over_journey
def build_tracks(j: JourneyData) -> pd.DataFrame:
    """One row per visit of a deal to a stage, in time order.

    Returns
    -------
    DataFrame
        ``deal_id | visit (1-based) | stage | entered_at | left_at | dwell_days | censored |
        next_stage | exit | is_skip | is_regression | is_repeat | inferred``. ``left_at`` is
        the next visit's entry, the closing time for the last visit of a closed deal, NaT
        for an open deal still there (``dwell_days`` then runs to ``as_of`` and
        ``censored`` is True). ``exit`` is advance / skip / regress (to ``next_stage``)
        or won / lost / open for the last visit. ``is_repeat`` marks a re-entry of a
        stage the deal visited before; ``inferred`` a visit added by the rules
        (won without a last-stage event, deal without events).
    """
    V = len(j.v_deal)
    ids = j.stage_ids
    last = np.r_[j.v_deal[1:] != j.v_deal[:-1], True] if V else np.zeros(0, bool)
    cur = j.v_stage
    nxt = np.r_[cur[1:], -1].astype(np.int8) if V else np.zeros(0, np.int8)
    nxt[last] = -1
    is_skip = ~last & (nxt > cur + 1)
    is_reg = ~last & (nxt < cur)
    exit_code = is_skip.astype(np.int8)
    exit_code[is_reg] = 2
    exit_code[last] = 3 + np.array([2, 0, 1], dtype=np.int8)[j.status[j.v_deal[last]]]
    # a visit is a repeat when the deal entered that stage earlier (visits of one stage
    # never share a timestamp: same-stage events at one time are one visit)
    is_repeat = j.v_enter > j.first_enter[j.v_deal, cur]
    left = np.where(j.v_censored, NAT, j.v_leave)
    dwell_to = np.where(j.v_censored, j.as_of.value, j.v_leave)
    visit = (np.arange(V) - j.first_visit[j.v_deal] + 1).astype(np.int32)
    # copy=False: the frame keeps these fresh arrays as its columns instead of copying
    # them into one block per dtype (a second copy of every column of a 10M-row log);
    # the journey's own arrays are copied so that the frame shares none of them
    return pd.DataFrame(
        {
            "deal_id": _take_ids(j, j.v_deal),
            "visit": visit,
            "stage": _stage_cat(cur, ids),
            "entered_at": _to_datetime(j.v_enter.copy()),
            "left_at": _to_datetime(left),
            "dwell_days": (dwell_to - j.v_enter) / DAY_NS,
            "censored": j.v_censored.copy(),
            "next_stage": _stage_cat(nxt, ids),
            "exit": pd.Categorical.from_codes(exit_code, categories=list(EXITS)),
            "is_skip": is_skip,
            "is_regression": is_reg,
            "is_repeat": is_repeat,
            "inferred": j.v_inferred.copy(),
        },
        copy=False,
    )


def _path_keys(j: JourneyData) -> tuple[np.ndarray, list[str]]:
    """Per deal: code of its stage path, and the path text of each code.

    Paths are encoded from integer stage codes (base K+2, one digit per visit);
    only the distinct paths are turned into text. Paths longer than the int64
    key allows end with '…'.
    """
    K = j.n_stages
    base = K + 2
    max_len = max(2, int(62 / math.log2(base)))
    V = len(j.v_deal)
    keys = np.zeros(j.n_deals, dtype=np.int64)
    if V:
        pos = np.arange(V) - j.first_visit[j.v_deal]
        digit = j.v_stage.astype(np.int64) + 1
        trunc = j.n_visits[j.v_deal] > max_len
        digit = np.where(pos >= max_len, 0, digit)
        digit = np.where(trunc & (pos == max_len - 1), K + 1, digit)
        powers = base ** np.arange(max_len, dtype=np.int64)
        contrib = digit * powers[np.minimum(pos, max_len - 1)]
        starts = np.flatnonzero(np.r_[True, j.v_deal[1:] != j.v_deal[:-1]])
        keys[j.v_deal[starts]] = np.add.reduceat(contrib, starts)
    uniq, inverse = np.unique(keys, return_inverse=True)
    names = list(j.stage_ids) + ["…"]
    texts = []
    for k in uniq.tolist():
        parts = []
        while k:
            k, dgt = divmod(k, base)
            parts.append(names[dgt - 1])
        texts.append(" → ".join(parts))
    return inverse.ravel(), texts


def _outcome(j: JourneyData) -> pd.Categorical:
    K = j.n_stages
    ids = j.stage_ids
    code = np.where(
        j.status == WON, 0, np.where(j.status == LOST, 1 + j.end_stage, 1 + K + j.end_stage)
    )
    code = np.where(j.end_stage < 0, -1, code)
    cats = ["won"] + [f"lost_at_{s}" for s in ids] + [f"open_at_{s}" for s in ids]
    return pd.Categorical.from_codes(code, categories=cats)


@takes_pilot
@over_journey
def deal_paths(j: JourneyData) -> pd.DataFrame:
    """One row per deal: its path through the funnel and how it ended.

    Returns
    -------
    DataFrame
        ``deal_id | path | n_visits | first_stage | furthest_stage | end_stage | status |
        outcome | skips | regressions | repeats | started_at | ended_at | cycle_days |
        censored``, in the order of ``deals``. ``path`` is the visited stage ids joined
        by " → " (categorical). ``end_stage`` is the stage the deal was in at the end;
        ``outcome`` is won, lost_at_<end_stage> or open_at_<end_stage>. ``cycle_days``
        runs from the earlier of created_at and the first event to the close, or to
        ``as_of`` for open deals (``censored``).
    """
    ids = j.stage_ids
    D = j.n_deals
    inverse, texts = _path_keys(j)
    V = len(j.v_deal)
    last = np.r_[j.v_deal[1:] != j.v_deal[:-1], True] if V else np.zeros(0, bool)
    jump = np.r_[np.diff(j.v_stage.astype(np.int64)), 0] if V else np.zeros(0, np.int64)
    skips = np.bincount(j.v_deal[~last & (jump > 1)], minlength=D)
    regs = np.bincount(j.v_deal[~last & (jump < 0)], minlength=D)
    repeats = j.n_visits - (j.visits > 0).sum(axis=1)
    first_stage = np.where(j.first_visit >= 0, np.r_[j.v_stage, -1][j.first_visit], -1)
    ended = np.where(j.status == OPEN, NAT, j.end_ns)
    cycle = np.where(j.start_ns == NAT, np.nan, (j.end_ns - j.start_ns.astype(float)) / DAY_NS)
    return pd.DataFrame(
        {
            "deal_id": _take_ids(j, np.arange(D)),
            "path": pd.Categorical.from_codes(inverse, categories=pd.Index(texts)),
            "n_visits": j.n_visits,
            "first_stage": _stage_cat(first_stage, ids),
            "furthest_stage": _stage_cat(j.furthest, ids),
            "end_stage": _stage_cat(j.end_stage, ids),
            "status": pd.Categorical.from_codes(
                j.status.astype(np.int64), categories=list(STATUSES)
            ),
            "outcome": _outcome(j),
            "skips": skips,
            "regressions": regs,
            "repeats": repeats,
            "started_at": _to_datetime(j.start_ns.copy()),
            "ended_at": _to_datetime(ended),
            "cycle_days": cycle,
            "censored": j.status == OPEN,
        }
    )


@takes_pilot
@over_journey
def deal_stages(j: JourneyData) -> pd.DataFrame:
    """One row per deal and stage it entered (by the skip rule): its outcome there.

    Returns
    -------
    DataFrame
        ``deal_id | stage | visited | visits | first_entered_at | dwell_days |
        dwell_censored | outcome | days_to_outcome | mature``. ``outcome`` is advanced,
        lost or open; ``days_to_outcome`` runs from the first entry to advancing, to
        the loss, or to ``as_of`` (open), NaN for a stage passed without a visit;
        ``mature`` is False for open deals still within the stage's ``window_days``.
        Dwell is summed over visits; it is censored for an open deal still there.
    """
    rows, cols = np.nonzero(j.entered)
    outcome = np.where(j.advanced[rows, cols], 0, np.where(j.lost[rows, cols], 1, 2))
    fe = j.first_enter[rows, cols]
    return pd.DataFrame(
        {
            "deal_id": _take_ids(j, rows),
            "stage": _stage_cat(cols, j.stage_ids),
            "visited": j.visits[rows, cols] > 0,
            "visits": j.visits[rows, cols],
            "first_entered_at": _to_datetime(fe.copy()),
            "dwell_days": np.where(j.visits[rows, cols] > 0, j.dwell[rows, cols], np.nan),
            "dwell_censored": j.dwell_censored[rows, cols],
            "outcome": pd.Categorical.from_codes(outcome, categories=["advanced", "lost", "open"]),
            "days_to_outcome": j.days[rows, cols],
            "mature": j.mature[rows, cols],
        }
    )

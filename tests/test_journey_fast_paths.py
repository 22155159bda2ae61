"""The journey index's array shortcuts against plain computations on constructed logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.steps.journey.events import _sort_events

DAY = 86_400 * 10**9
NAT = np.iinfo(np.int64).min


def _reference_sort(d, t, c):
    order = np.lexsort((c, t, d))
    return d[order], t[order], c[order]


def _log(rng: np.random.Generator, n: int, n_deals: int, times: np.ndarray):
    """Events with repeated deals, equal times and several stages at one time."""
    d = rng.integers(0, n_deals, n)
    t = rng.choice(times, n)
    c = rng.integers(0, 5, n)
    return d.astype(np.int64), t.astype(np.int64), c.astype(np.int64)


@pytest.mark.parametrize(
    ("unit", "span_units"),
    [
        (10**9, 50),  # whole seconds: packed at one-second steps
        (10**6, 7),  # milliseconds
        (10**3, 1000),
        (1, 3),  # nanoseconds
    ],
)
def test_sort_events_matches_a_lexsort(unit: int, span_units: int) -> None:
    rng = np.random.default_rng(unit + span_units)
    base = 1_700_000_000 * 10**9 + 17 * unit  # not a multiple of a coarser unit
    times = base + unit * np.arange(span_units)
    d, t, c = _log(rng, 2_000, 40, times)
    got = _sort_events(d.copy(), t.copy(), c.copy(), 40, 5)
    want = _reference_sort(d, t, c)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.int64


def test_sort_events_keeps_an_already_sorted_log_and_empty_logs() -> None:
    d = np.array([0, 0, 0, 1, 1, 2], dtype=np.int64)
    t = np.array([5, 5, 9, 1, 1, 0], dtype=np.int64) * DAY
    c = np.array([0, 3, 1, 2, 4, 0], dtype=np.int64)
    for a, b in zip(_sort_events(d, t, c, 3, 5), (d, t, c), strict=True):
        np.testing.assert_array_equal(a, b)
    empty = np.zeros(0, dtype=np.int64)
    assert all(len(a) == 0 for a in _sort_events(empty, empty, empty, 0, 5))


def test_sort_events_over_two_centuries_of_nanoseconds() -> None:
    # the span does not fit beside the deal and stage bits: times are ranked first
    rng = np.random.default_rng(3)
    times = np.array([-(2**62), -5, 0, 1, 2**62 + 3], dtype=np.int64)
    d, t, c = _log(rng, 500, 30, times)
    got = _sort_events(d, t, c, 30, 5)
    for a, b in zip(got, _reference_sort(d, t, c), strict=True):
        np.testing.assert_array_equal(a, b)


def test_sort_events_with_too_many_deals_for_one_key() -> None:
    # so many deals that even ranked times do not fit: the three-key lexsort
    rng = np.random.default_rng(4)
    d, t, c = _log(rng, 500, 30, np.arange(7, dtype=np.int64) * DAY)
    got = _sort_events(d, t, c, 2**61, 5)
    for a, b in zip(got, _reference_sort(d, t, c), strict=True):
        np.testing.assert_array_equal(a, b)


def _visits(seed: int, n_deals: int = 60, n_events: int = 400):
    """A merged, sorted visit log with regressions, repeats, equal times and deals
    without visits, plus each deal's status (open, won, lost)."""
    from playbook.steps.journey.events import _merge_runs, _Visits

    rng = np.random.default_rng(seed)
    d, t, c = _log(rng, n_events, n_deals - 5, np.arange(30, dtype=np.int64) * DAY)
    d, t, c = _reference_sort(d, t, c)
    log = _Visits(deal=d, enter=t, stage=c, inferred=rng.random(len(d)) < 0.1)
    _merge_runs(log)
    status = rng.integers(0, 3, n_deals).astype(np.int8)
    created = rng.integers(-5, 5, n_deals).astype(np.int64) * DAY
    closed = np.where(status == 0, NAT, (35 + rng.integers(0, 5, n_deals)) * DAY)
    return log, status, created, closed


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stage_grid_first_entries_match_the_first_visits(seed: int) -> None:
    from playbook.steps.journey.index import _deal_tracks, _stage_grid

    log, status, created, closed = _visits(seed)
    D, K = len(status), 5
    tracks = _deal_tracks(log, created, closed, status, 40 * DAY)
    grid = _stage_grid(log, tracks, D, K)
    first = np.full((D, K), len(log.deal))
    for i in range(len(log.deal) - 1, -1, -1):  # walk back: the first visit wins
        first[log.deal[i], log.stage[i]] = i
    np.testing.assert_array_equal(grid.first_idx, first)
    visited = first < len(log.deal)
    want = np.where(visited, np.r_[log.enter, NAT][first], NAT)
    np.testing.assert_array_equal(grid.first_enter, want)
    assert (grid.visits > 1).any() and (~visited).any()  # repeats and unvisited stages


def test_tracks_share_no_array_with_the_prepared_journey() -> None:
    # the frame keeps its columns without copying them: none may be the journey's own
    from playbook.steps.journey import build_tracks, prepare
    from playbook.workspace.config import default_config

    day0 = pd.Timestamp("2024-01-01")
    deals = pd.DataFrame(
        {
            "deal_id": ["a", "b", "c"],
            "created_at": [day0] * 3,
            "status": ["won", "open", "lost"],
            "closed_at": [day0 + pd.Timedelta(days=9), pd.NaT, day0 + pd.Timedelta(days=4)],
        }
    )
    events = pd.DataFrame(
        {
            "deal_id": ["a", "a", "b", "b", "c"],
            "stage": ["lead", "proposal", "lead", "intent", "lead"],
            "entered_at": [day0 + pd.Timedelta(days=n) for n in (0, 2, 1, 3, 0)],
        }
    )
    config = default_config()
    j = prepare(deals, events, config)
    tracks = build_tracks(deals, events, config, journey=j)
    own = [a for a in vars(j).values() if isinstance(a, np.ndarray)]
    for column in tracks.columns:
        values = tracks[column].array
        backing = getattr(values, "_ndarray", getattr(values, "codes", None))
        backing = np.asarray(values if backing is None else backing)
        assert not any(np.shares_memory(backing, a) for a in own), column
    before = [a.copy() for a in (j.v_enter, j.v_censored, j.v_inferred)]
    tracks.loc[:, "entered_at"] = pd.Timestamp("2030-01-01")
    tracks.loc[:, ["censored", "inferred"]] = ~tracks[["censored", "inferred"]]
    for a, b in zip((j.v_enter, j.v_censored, j.v_inferred), before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [2, 0, 3, 1], [0, 1, 2]])
def test_deal_rows_of_shared_categoricals_match_matching_the_texts(order) -> None:
    # deals in category order (as a cache reads back), shuffled, or fewer than categories
    from playbook.steps.journey.events import _deal_rows

    ids = pd.CategoricalDtype(["d0", "d1", "d2", "d3"])
    deal_ids = pd.Series(pd.Categorical.from_codes(order, dtype=ids))
    events = ["d3", "d1", None, "d0", "d3", "d2"]
    event_ids = pd.Series(pd.Categorical(events, dtype=ids))
    texts = deal_ids.astype(str).tolist()
    want = [texts.index(e) if e in texts else -1 for e in events]
    got = _deal_rows(deal_ids, event_ids)
    assert got.tolist() == want
    assert got.dtype == np.int64


def _random_frames(seed: int, n_deals: int = 80, n_events: int = 500):
    """Deals (open, won, lost; two segments) and an event log with equal times,
    regressions, repeats, deals without events and won deals without the last stage."""
    from playbook.workspace.config import default_config

    rng = np.random.default_rng(seed)
    ids = list(default_config().funnel.ids)
    day0 = pd.Timestamp("2024-01-01")
    status = rng.choice(["open", "won", "lost"], n_deals)
    deals = pd.DataFrame(
        {
            "deal_id": [f"d{i}" for i in range(n_deals)],
            "created_at": day0 + pd.to_timedelta(rng.integers(0, 5, n_deals), unit="D"),
            "status": status,
            "closed_at": [
                pd.NaT if s == "open" else day0 + pd.Timedelta(days=int(x))
                for s, x in zip(status, rng.integers(20, 90, n_deals), strict=True)
            ],
            "segment": rng.choice(["smb", "enterprise"], n_deals),
        }
    )
    events = pd.DataFrame(
        {
            "deal_id": [f"d{i}" for i in rng.integers(0, n_deals - 6, n_events)],
            "stage": rng.choice(ids, n_events),
            "entered_at": day0 + pd.to_timedelta(rng.integers(0, 40, n_events), unit="D"),
        }
    )
    return deals, events


@pytest.mark.parametrize("seed", [0, 1])
def test_aggregate_matches_counting_each_group_and_stage(seed: int) -> None:
    from playbook.steps.journey import prepare
    from playbook.steps.journey.index import aggregate
    from playbook.workspace.config import default_config

    deals, events = _random_frames(seed)
    j = prepare(deals, events, default_config())
    K = j.n_stages
    group = (j.deals["segment"] == "smb").to_numpy().astype(np.int64)
    group[::9] = -1  # left out
    got = aggregate(j, group.copy(), 2, dwell=False)
    visited = j.visits > 0
    skipped = ~visited & (j.furthest[:, None] > np.arange(K))
    open_mature = j.open & j.mature
    rows = []
    for g in range(2):
        deal = group == g
        for k in range(K):
            rows.append(
                {
                    "entered": j.entered[deal, k].sum(),
                    "advanced": j.advanced[deal, k].sum(),
                    "lost": j.lost[deal, k].sum(),
                    "open": j.open[deal, k].sum(),
                    "mature_n": (j.advanced | j.lost | open_mature)[deal, k].sum(),
                    "immature": (j.open & ~j.mature)[deal, k].sum(),
                    "skipped": skipped[deal, k].sum(),
                    "repeated": (j.visits > 1)[deal, k].sum(),
                }
            )
    want = pd.DataFrame(rows)
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)
    assert got["group"].tolist() == [0] * K + [1] * K
    assert (want["repeated"] > 0).any() and (want["skipped"] > 0).any()
    assert (want["immature"] > 0).any() and (want["lost"] > 0).any()
    overall = aggregate(j, dwell=False)
    assert overall["entered"].tolist() == j.entered.sum(axis=0).tolist()


def test_aggregate_dwell_quantiles_per_group_and_stage() -> None:
    from playbook.stats import km_quantiles
    from playbook.steps.journey import prepare
    from playbook.steps.journey.index import aggregate
    from playbook.workspace.config import default_config

    deals, events = _random_frames(5, n_deals=300, n_events=2_000)
    j = prepare(deals, events, default_config())
    K = j.n_stages
    group = (j.deals["segment"] == "smb").to_numpy().astype(np.int64)
    group[::7] = -1
    got = aggregate(j, group, 2)
    cell = np.where(group >= 0, group, 0)[:, None] * K + np.arange(K)
    m = (j.visits > 0) & (group >= 0)[:, None]
    want = km_quantiles(j.dwell[m], ~j.dwell_censored[m], cell[m], 2 * K, resolution=1 / 24)
    np.testing.assert_array_equal(got[["median_dwell_days", "p90_dwell_days"]].to_numpy(), want)
    assert np.isfinite(want).sum() > K


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_next_higher_matches_a_scan_of_each_deal(seed: int) -> None:
    from playbook.steps.journey.index import _next_higher

    log, _, _, _ = _visits(seed)
    V = len(log.deal)
    want = []
    for i in range(V):
        j = i + 1
        while j < V and log.deal[j] == log.deal[i] and log.stage[j] <= log.stage[i]:
            j += 1
        want.append(j if j < V and log.deal[j] == log.deal[i] else V)
    rows = np.arange(V)
    np.testing.assert_array_equal(_next_higher(log.deal, log.stage, rows), want)
    some = rows[::3]
    np.testing.assert_array_equal(_next_higher(log.deal, log.stage, some), np.asarray(want)[some])
    want = np.asarray(want)
    assert ((want != rows + 1) & (want < V)).any()  # some searched past a lower visit


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_inferred_visits_match_applying_the_rules_deal_by_deal(seed: int) -> None:
    from playbook.steps.journey.events import _add_inferred_visits, _Visits

    log, status, created, closed = _visits(seed)
    log.inferred[:] = False
    D, K = len(status), 5
    created[::11] = NAT  # deals without a creation time (and maybe without events)
    got = _Visits(log.deal.copy(), log.enter.copy(), log.stage.copy(), log.inferred.copy())
    _add_inferred_visits(got, created, closed, status, K)
    # the reference: one visit per rule, inserted after each deal's own visits
    new = []
    for deal in range(D):
        own = np.flatnonzero(log.deal == deal)
        if not len(own) and created[deal] != NAT:
            new.append((deal, 0, created[deal]))
        base = log.enter[own[-1]] if len(own) else created[deal]
        sign = max(closed[deal], base) if closed[deal] != NAT else base
        last = log.stage[own[-1]] if len(own) else -1
        if status[deal] == 1 and last != K - 1 and sign != NAT:
            new.append((deal, K - 1, sign))
    pos = np.searchsorted(log.deal, [n[0] for n in new], side="right")
    want = [
        np.insert(log.deal, pos, [n[0] for n in new]),
        np.insert(log.enter, pos, [n[2] for n in new]),
        np.insert(log.stage, pos, [n[1] for n in new]),
        np.insert(log.inferred, pos, True),
    ]
    for a, b in zip((got.deal, got.enter, got.stage, got.inferred), want, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    assert got.inferred.sum() == len(new) > 2
    assert any(n[1] == 0 for n in new) and any(n[1] == K - 1 for n in new)

"""The sample company's clock: days since the simulation's origin, its working days, and times
written as text.

Every time in the generator is a float number of days since :data:`ORIGIN` (2025-10-01 00:00,
local time); :func:`fmt_times` turns them into the CSV's ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

import numpy as np

ORIGIN = np.datetime64("2025-10-01T00:00:00", "s")  # time zero of the simulation (days)
PERIOD_START = "2025-11-01"
PERIOD_END = "2026-10-31"
ASSESSED = "2026-09-07"
CONTENT_CREATED = "2025-10-15"


def day(iso: str) -> int:
    """Days from the origin to the date ``iso``."""
    return int((np.datetime64(iso, "D") - ORIGIN.astype("datetime64[D]")).astype(int))


START = day(PERIOD_START)  # first creation day
END = day(PERIOD_END) + 1  # exclusive end of the export, in days since origin
N_CAL_DAYS = END + 800  # calendar horizon (outcomes run past the export)

#: The company's holiday calendar (close to, not guaranteed to be, the official one).
HOLIDAYS = (
    [f"2025-10-0{d}" for d in range(1, 9)]
    + ["2026-01-01", "2026-01-02"]
    + [f"2026-02-{d}" for d in range(15, 24)]
    + ["2026-04-04", "2026-04-05", "2026-04-06"]
    + [f"2026-05-0{d}" for d in range(1, 6)]
    + ["2026-06-19", "2026-06-20", "2026-06-21"]
    + ["2026-09-25", "2026-09-26", "2026-09-27"]
    + [f"2026-10-0{d}" for d in range(1, 8)]
)
EXTRA_WORKDAYS = ["2025-10-11", "2026-01-04", "2026-02-14", "2026-02-28", "2026-10-10"]


class Calendar:
    """Working days (weekends, company holidays, make-up days) as day-indexed arrays."""

    def __init__(self) -> None:
        days = np.arange(N_CAL_DAYS)
        dates = ORIGIN.astype("datetime64[D]") + days
        weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        work = weekday < 5
        idx = {str(d): i for i, d in enumerate(dates)}
        for h in HOLIDAYS:
            if h in idx:
                work[idx[h]] = False
        for x in EXTRA_WORKDAYS:
            if x in idx:
                work[idx[x]] = True
        nxt = np.empty(N_CAL_DAYS + 1, dtype=np.int64)
        nxt[-1] = N_CAL_DAYS
        for d in range(N_CAL_DAYS - 1, -1, -1):
            nxt[d] = d if work[d] else nxt[d + 1]
        prev = np.empty(N_CAL_DAYS, dtype=np.int64)
        last = 0
        for d in range(N_CAL_DAYS):
            last = d if work[d] else last
            prev[d] = last
        self.work = work
        self.next_work = nxt
        self.prev_work = prev

    def shift(self, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Move times outside 09:00-18:00 on working days to the next working morning."""
        t = np.asarray(t, dtype=float)
        jitter = rng.uniform(0.0, 2.5, t.shape) / 24.0
        day = np.clip(np.floor(t).astype(np.int64), 0, N_CAL_DAYS - 1)
        hour = (t - day) * 24.0
        working = self.work[day]
        early = working & (hour < 9)
        late = ~working | (hour >= 18)
        out = t.copy()
        out[early] = day[early] + 9 / 24 + jitter[early]
        nd = self.next_work[np.minimum(day[late] + 1, N_CAL_DAYS)]
        nd = np.minimum(nd, N_CAL_DAYS - 1)
        out[late] = nd + 9 / 24 + jitter[late]
        return out

    def office_time(self, start: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A time of day in office hours on ``t``'s working day, never before ``start``.

        Used for CRM stage changes: the day comes from the dwell time, the clock time
        from the working day (moved to the next working day when ``t`` falls on a day off).
        """
        t = np.asarray(t, dtype=float)
        tod = rng.uniform(9.0, 18.0, t.shape) / 24.0
        later = rng.uniform(5.0, 120.0, t.shape) / 1440.0
        finite = np.isfinite(t)
        day = np.where(finite, np.floor(np.where(finite, t, 0.0)), 0).astype(np.int64)
        day = np.clip(day, 0, N_CAL_DAYS - 1)
        day = np.minimum(self.next_work[day], N_CAL_DAYS - 1)
        out = np.maximum(day + tod, start + later)
        return np.where(finite, out, t)


def fmt_times(t: np.ndarray) -> np.ndarray:
    """Days since origin -> 'YYYY-MM-DD HH:MM:SS' (floored to the second); NaN -> ''."""
    t = np.asarray(t, dtype=float)
    out = np.full(t.shape, "", dtype=object)
    ok = np.isfinite(t)
    if ok.any():
        secs = np.floor(t[ok] * 86400.0).astype(np.int64)
        text = np.datetime_as_string(ORIGIN + secs.astype("timedelta64[s]"), unit="s")
        text = text.astype("U19")
        view = text.view("U1").reshape(-1, 19)
        view[:, 10] = " "
        out[ok] = text
    return out


def secs(t: np.ndarray) -> np.ndarray:
    """Days since origin -> whole seconds (how the CSV orders rows written at the same second)."""
    return np.floor(np.asarray(t, dtype=float) * 86400.0).astype(np.int64)


def quarter(t: np.ndarray) -> np.ndarray:
    """Calendar quarter labels ('2026Q2') of times in days since origin."""
    months = (
        (ORIGIN.astype("datetime64[D]") + np.floor(t).astype(np.int64))
        .astype("datetime64[M]")
        .astype(np.int64)
    )
    year = 1970 + months // 12
    q = (months % 12) // 3 + 1
    return np.char.add(np.char.add(year.astype(str), "Q"), q.astype(str))

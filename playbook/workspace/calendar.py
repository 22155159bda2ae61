"""A business-hours clock: working week, office hours, public holidays and make-up days.

SLAs are measured on the company's working time, not on the wall clock: a lead
created on Friday at 17:00 and called on Monday at 10:00 waited two business
hours, not 65 clock hours. The clock follows ``pilot.yml``'s ``calendar``:

* ``workdays`` — the working week (Monday = 0);
* ``start_hour``, ``end_hour`` — office hours, the same on every working day;
* ``holidays`` — dates off work (only those falling on a working weekday matter);
* ``extra_workdays`` — make-up working days (调休), e.g. a Saturday worked to
  bridge a holiday, which generic holiday lists miss.

Everything is vectorised: ``B(t)``, the business time elapsed from 1970-01-01 to
``t``, is computed in closed form (whole weeks, a weekday prefix table, and a
binary search in the sorted holiday and make-up lists), so the business time
between two arrays of a million timestamps costs a few array passes. Times are
naive local times; tz-aware input is converted to ``timezone`` first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.workspace.config import WorkingCalendar

__all__ = ["BusinessClock", "to_ns", "NAT"]

#: int64 nanoseconds of NaT.
NAT = np.iinfo(np.int64).min
DAY_NS = 86_400 * 10**9
HOUR_NS = 3_600 * 10**9
_MONDAY_OFFSET = 3  # 1970-01-01 was a Thursday: day d is weekday (d + 3) % 7


def to_ns(values, timezone: str | None = None) -> np.ndarray:
    """Datetime-likes as int64 nanoseconds of naive local time (NaT -> :data:`NAT`).

    Parameters
    ----------
    values : scalar, array-like, Series or DatetimeIndex of datetime-likes
    timezone : str, optional
        IANA zone that tz-aware values are converted to before the zone is dropped
        (default: keep their own wall time).

    Returns
    -------
    ndarray of int64
    """
    s = pd.to_datetime(pd.Series(np.atleast_1d(values) if np.ndim(values) == 0 else values))
    if getattr(s.dt, "tz", None) is not None:
        if timezone:
            s = s.dt.tz_convert(timezone)
        s = s.dt.tz_localize(None)
    return s.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _day_numbers(dates: list[str], setting: str) -> np.ndarray:
    out = []
    for value in dates:
        try:
            out.append(np.datetime64(str(value).strip(), "D").astype(np.int64))
        except ValueError:
            raise ValueError(
                f"calendar.{setting}: {value!r} is not a date; write it as YYYY-MM-DD"
            ) from None
    return np.unique(np.asarray(out, dtype=np.int64))


def _member(sorted_values: np.ndarray, x: np.ndarray) -> np.ndarray:
    if not len(sorted_values):
        return np.zeros(x.shape, dtype=bool)
    i = np.searchsorted(sorted_values, x)
    return sorted_values[np.minimum(i, len(sorted_values) - 1)] == x


@dataclass(frozen=True)
class BusinessClock:
    """Working time between timestamps, on a configurable working calendar.

    Build it with :meth:`from_config`. All methods take scalars or arrays of
    datetime-likes (or int64 nanoseconds) and return float arrays, NaN where an
    input is missing.

    Attributes
    ----------
    pattern : bool array (7,), Monday first: the regular working week.
    start_ns, length_ns : office hours of a working day (start and length).
    off : sorted day numbers (days since 1970-01-01) of holidays on regular workdays.
    extra : sorted day numbers of make-up working days outside the regular week.
    timezone : zone tz-aware input is converted to.
    """

    pattern: np.ndarray
    start_ns: int
    length_ns: int
    off: np.ndarray
    extra: np.ndarray
    timezone: str | None = None

    @classmethod
    def from_config(cls, calendar: WorkingCalendar, timezone: str | None = None) -> BusinessClock:
        """The clock of ``pilot.yml``'s ``calendar`` section.

        Raises
        ------
        ValueError
            When office hours end before they start, a date is invalid, a date is
            both a holiday and a make-up day, or the calendar has no working day.
        """
        if calendar.end_hour <= calendar.start_hour:
            raise ValueError(
                f"calendar.end_hour ({calendar.end_hour}) must be after calendar.start_hour "
                f"({calendar.start_hour}); overnight office hours are not supported"
            )
        bad = [d for d in calendar.workdays if not 0 <= int(d) <= 6]
        if bad:
            raise ValueError(f"calendar.workdays must be 0 (Monday) .. 6 (Sunday); got {bad}")
        pattern = np.zeros(7, dtype=bool)
        pattern[list(calendar.workdays)] = True
        holidays = _day_numbers(calendar.holidays, "holidays")
        extra = _day_numbers(calendar.extra_workdays, "extra_workdays")
        both = np.intersect1d(holidays, extra)
        if len(both):
            shown = ", ".join(str(np.datetime64(int(d), "D")) for d in both[:3])
            raise ValueError(
                f"calendar: {shown} is listed both in holidays and in extra_workdays; "
                "keep it in one of them"
            )
        weekday = (holidays + _MONDAY_OFFSET) % 7
        off = holidays[pattern[weekday]]
        extra = extra[~pattern[(extra + _MONDAY_OFFSET) % 7]]
        if not pattern.any() and not len(extra):
            raise ValueError("calendar.workdays is empty and there are no extra_workdays")
        return cls(
            pattern=pattern,
            start_ns=calendar.start_hour * HOUR_NS,
            length_ns=(calendar.end_hour - calendar.start_hour) * HOUR_NS,
            off=off,
            extra=extra,
            timezone=timezone,
        )

    @property
    def hours_per_day(self) -> float:
        """Office hours of one working day."""
        return self.length_ns / HOUR_NS

    # -- core ------------------------------------------------------------------------------
    def _ns(self, values) -> np.ndarray:
        arr = np.asarray(values)
        if arr.dtype == np.int64:
            return arr.reshape(-1) if arr.ndim == 0 else arr
        return to_ns(values, self.timezone)

    def _workdays_before(self, day: np.ndarray) -> np.ndarray:
        """Number of working days in [day 0, day): may be negative before 1970."""
        m = day + _MONDAY_OFFSET
        prefix = np.r_[0, np.cumsum(self.pattern)]
        count = (m // 7) * int(self.pattern.sum()) + prefix[m % 7]
        count -= np.searchsorted(self.off, day, side="left")
        count += np.searchsorted(self.extra, day, side="left")
        return count

    def is_workday(self, values) -> np.ndarray:
        """True for timestamps on a working day (any time of that day)."""
        day = self._ns(values) // DAY_NS
        work = self.pattern[(day + _MONDAY_OFFSET) % 7]
        return (work & ~_member(self.off, day)) | _member(self.extra, day)

    def _business_ns(self, ns: np.ndarray) -> np.ndarray:
        """B(t): business nanoseconds from 1970-01-01 to t (float; NaN at NaT)."""
        missing = ns == NAT
        t = np.where(missing, 0, ns)
        day = t // DAY_NS
        into = t - day * DAY_NS
        work = self.pattern[(day + _MONDAY_OFFSET) % 7]
        work = (work & ~_member(self.off, day)) | _member(self.extra, day)
        today = np.where(work, np.clip(into - self.start_ns, 0, self.length_ns), 0)
        out = (self._workdays_before(day) * self.length_ns + today).astype(float)
        out[missing] = np.nan
        return out

    # -- public ----------------------------------------------------------------------------
    def hours_between(self, start, end) -> np.ndarray:
        """Business hours from ``start`` to ``end`` (negative when end is earlier)."""
        return (self._business_ns(self._ns(end)) - self._business_ns(self._ns(start))) / HOUR_NS

    def days_between(self, start, end) -> np.ndarray:
        """Business days from ``start`` to ``end``: business hours / office hours per day."""
        return self.hours_between(start, end) / self.hours_per_day

    def add_hours(self, start, hours) -> np.ndarray:
        """The moment ``hours`` business hours after ``start`` (a deadline), as datetime64[ns].

        A deadline that falls exactly at the end of a working day is that day's
        closing time, not the next morning. NaT where ``start`` or ``hours`` is missing.
        """
        s = self._ns(start)
        h = np.broadcast_to(np.asarray(hours, dtype=float), s.shape)
        missing = (s == NAT) | np.isnan(h)
        target = self._business_ns(np.where(missing, 0, s)) + np.where(missing, 0, h) * HOUR_NS
        L = self.length_ns
        k = np.ceil(target / L).astype(np.int64) - 1  # index of the working day reached
        rest = target - k * L  # in (0, L]
        # the k-th working day: smallest day d with workdays_before(d + 1) > k (bisection)
        per_week = max(int(self.pattern.sum()), 1)
        lo = (k - len(self.extra)) // per_week * 7 - 14
        hi = (k + len(self.off) + 1) // per_week * 7 + 14 + 7 * len(self.extra)
        while True:
            todo = lo < hi
            if not todo.any():
                break
            mid = (lo + hi) // 2
            ok = self._workdays_before(mid + 1) > k
            hi = np.where(todo & ok, mid, hi)
            lo = np.where(todo & ~ok, mid + 1, lo)
        out = lo * DAY_NS + self.start_ns + np.round(rest).astype(np.int64)
        out = np.where(missing, NAT, out)
        return out.view("datetime64[ns]")

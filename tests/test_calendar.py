"""The business-hours clock: weekends, holidays, make-up days (调休), office hours, time zones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.workspace.calendar import BusinessClock
from playbook.workspace.config import WorkingCalendar

# March 2026: Mon 2, Tue 3, Wed 4 (holiday), Thu 5, Fri 6, Sat 7 (make-up working day), Sun 8.
CAL = WorkingCalendar(holidays=["2026-03-04"], extra_workdays=["2026-03-07"])


@pytest.fixture
def clock() -> BusinessClock:
    return BusinessClock.from_config(CAL)


def _ts(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), format="mixed"))


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-02-27 17:00", "2026-03-02 10:00", 2.0),  # Fri 17:00 -> Mon 10:00, weekend skipped
        ("2026-03-03 17:30", "2026-03-05 09:30", 1.0),  # Tue -> Thu across the Wed holiday
        ("2026-03-06 17:00", "2026-03-09 10:00", 11.0),  # Fri -> Mon with Saturday worked (调休)
        ("2026-03-08 12:00", "2026-03-08 15:00", 0.0),  # inside a Sunday
        ("2026-03-02 20:00", "2026-03-03 08:00", 0.0),  # overnight, outside office hours
        ("2026-03-02 20:00", "2026-03-03 09:30", 0.5),
        ("2026-03-02 09:00", "2026-03-02 18:00", 9.0),  # one full working day
        ("2026-03-05 10:00", "2026-03-03 10:00", -9.0),  # end before start: negative
    ],
)
def test_hours_between_by_hand(clock, start, end, hours) -> None:
    assert clock.hours_between(_ts(start), _ts(end))[0] == pytest.approx(hours)


def test_days_and_missing_values(clock) -> None:
    start = _ts("2026-03-02 09:00", "2026-03-02 09:00")
    end = pd.Series([pd.Timestamp("2026-03-05 18:00"), pd.NaT])
    days = clock.days_between(start, end)
    assert days[0] == pytest.approx(3.0)  # Mon, Tue, Thu (Wed is a holiday)
    assert np.isnan(days[1])
    assert clock.hours_per_day == 9


def test_is_workday(clock) -> None:
    flags = clock.is_workday(_ts("2026-03-04", "2026-03-05", "2026-03-07", "2026-03-08"))
    assert flags.tolist() == [False, True, True, False]


def test_deadlines_walk_the_calendar(clock) -> None:
    start = _ts("2026-03-06 17:00", "2026-03-02 09:00", "2026-03-03 17:00", "2026-03-03 17:00")
    due = clock.add_hours(start, [11.0, 9.0, 1.0, 2.0])
    assert list(pd.to_datetime(due)) == [
        pd.Timestamp("2026-03-09 10:00"),  # Fri 1 h + Saturday (调休) 9 h + Mon 1 h
        pd.Timestamp("2026-03-02 18:00"),  # exactly one day: that evening, not next morning
        pd.Timestamp("2026-03-03 18:00"),
        pd.Timestamp("2026-03-05 10:00"),  # over the Wednesday holiday
    ]


def test_time_zone_aware_input_is_read_in_local_time() -> None:
    clock = BusinessClock.from_config(CAL, timezone="Asia/Shanghai")
    start = pd.Series(pd.to_datetime(["2026-03-02T01:30:00Z"]))  # 09:30 in Shanghai
    end = pd.Series(pd.to_datetime(["2026-03-02 10:30"]))
    assert clock.hours_between(start, end)[0] == pytest.approx(1.0)


def test_matches_a_minute_by_minute_count() -> None:
    cal = WorkingCalendar(
        workdays=[0, 1, 2, 3, 4, 5],
        start_hour=8,
        end_hour=17,
        holidays=["2026-01-01", "2026-01-02", "2026-01-10"],
        extra_workdays=["2026-01-04", "2026-01-18"],
    )
    clock = BusinessClock.from_config(cal)
    rng = np.random.default_rng(3)
    base = pd.Timestamp("2025-12-28")
    starts = base + pd.to_timedelta(rng.integers(0, 20 * 1440, 25), unit="min")
    ends = starts + pd.to_timedelta(rng.integers(0, 6 * 1440, 25), unit="min")
    got = clock.hours_between(pd.Series(starts), pd.Series(ends))
    hol = {pd.Timestamp(d).date() for d in cal.holidays}
    extra = {pd.Timestamp(d).date() for d in cal.extra_workdays}
    for s, e, g in zip(starts, ends, got, strict=True):
        minutes = pd.date_range(s, e, freq="min", inclusive="left")
        day = minutes.date
        work = (minutes.weekday.isin(cal.workdays) & ~np.isin(day, list(hol))) | np.isin(
            day, list(extra)
        )
        inside = (minutes.hour >= cal.start_hour) & (minutes.hour < cal.end_hour)
        assert g * 60 == pytest.approx(float((work & inside).sum()))


def test_additive_over_a_split(clock) -> None:
    rng = np.random.default_rng(0)
    a = pd.Timestamp("2026-02-20") + pd.to_timedelta(rng.integers(0, 40 * 1440, 200), unit="min")
    b = a + pd.to_timedelta(rng.integers(0, 9 * 1440, 200), unit="min")
    c = b + pd.to_timedelta(rng.integers(0, 9 * 1440, 200), unit="min")
    a, b, c = pd.Series(a), pd.Series(b), pd.Series(c)
    total = clock.hours_between(a, c)
    np.testing.assert_allclose(clock.hours_between(a, b) + clock.hours_between(b, c), total)
    inside = clock.is_workday(c) & (c.dt.hour >= 9) & (c.dt.hour < 18)
    due = pd.to_datetime(clock.add_hours(a, total))
    assert (pd.Series(due)[inside.to_numpy()] == c[inside.to_numpy()]).all()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"start_hour": 18, "end_hour": 9}, "must be after calendar.start_hour"),
        ({"holidays": ["2026-03-07"], "extra_workdays": ["2026-03-07"]}, "both in holidays"),
        ({"holidays": ["2026-13-01"]}, "is not a date; write it as YYYY-MM-DD"),
        ({"workdays": []}, "workdays is empty"),
    ],
)
def test_bad_calendars_say_what_to_fix(settings, message) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessClock.from_config(WorkingCalendar(**settings))

"""Headline conversion on data without losses: the mature conversion, not won / won = 100%."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from playbook.i18n import t
from playbook.steps.intake.headline import (
    MIN_LOSSES,
    data_as_of,
    headline_kpis,
    headline_notes,
    index_notes,
    losses_too_few,
    mature_conversion,
)
from playbook.workspace.config import parse_config

DAY0 = pd.Timestamp("2026-01-01")
CONFIG = parse_config(
    {
        "funnel": {
            "stages": [
                {"id": "mql", "label_en": "MQL", "label_zh": "线索", "window_days": 30},
                {"id": "won", "label_en": "Won", "label_zh": "赢单"},
            ]
        }
    }
)


def funnel(lost: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """4 won, 6 open created on day 0 (old), 5 open created on days 95-99 (young), ``lost``
    lost; the latest timestamp is day 100 (a stage event)."""
    rows = []
    for i in range(4):
        rows.append((f"W{i}", DAY0 + pd.Timedelta(days=i), "won", DAY0 + pd.Timedelta(days=10)))
    for i in range(6):
        rows.append((f"O{i}", DAY0, "open", pd.NaT))
    for i in range(5):
        rows.append((f"Y{i}", DAY0 + pd.Timedelta(days=95 + i), "open", pd.NaT))
    for i in range(lost):
        rows.append((f"L{i}", DAY0, "lost", DAY0 + pd.Timedelta(days=5)))
    deals = pd.DataFrame(rows, columns=["deal_id", "created_at", "status", "closed_at"])
    deals["owner_id"] = "R1"
    events = pd.DataFrame(
        {
            "deal_id": list(deals["deal_id"]) + ["Y4"],
            "stage": ["mql"] * len(deals) + ["mql"],
            "entered_at": list(deals["created_at"]) + [DAY0 + pd.Timedelta(days=100)],
        }
    )
    return deals, events


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_without_losses_the_headline_is_the_mature_conversion() -> None:
    deals, events = funnel()
    kpis = headline_kpis(deals, events, CONFIG)
    # the naive figure: every resolved deal was won
    assert (deals["status"] == "won").sum() / deals["status"].isin(["won", "lost"]).sum() == 1.0
    assert "win_rate" not in kpis
    entry = kpis["mature_conversion"]
    # on paper: 4 won + 6 open older than the 30-day window are mature; the 5 young are out
    assert entry["n"] == 10
    assert entry["value"] == 0.4
    low, high = wilson(4, 10)
    assert math.isclose(entry["ci_low"], low, abs_tol=1e-4)
    assert math.isclose(entry["ci_high"], high, abs_tol=1e-4)
    assert list(kpis)[2] == "mature_conversion"  # in the win rate's place
    detail = mature_conversion(deals, CONFIG, events)
    assert detail["immature"] == 5 and detail["window_days"] == 30


def test_open_deals_are_censored_not_lost() -> None:
    deals, events = funnel()
    # counting every open deal as lost would say 4 / 15
    assert mature_conversion(deals, CONFIG, events)["value"] != 4 / 15


def test_with_enough_losses_the_win_rate_stays() -> None:
    deals, events = funnel(lost=MIN_LOSSES)
    assert not losses_too_few(deals)
    kpis = headline_kpis(deals, events, CONFIG)
    assert "mature_conversion" not in kpis
    assert kpis["win_rate"]["value"] == 4 / (4 + MIN_LOSSES)
    assert headline_notes(deals, events, CONFIG) == []


def test_a_handful_of_losses_is_too_few() -> None:
    deals, _ = funnel(lost=2)
    assert losses_too_few(deals)


def test_the_notes_say_why_in_both_languages() -> None:
    deals, events = funnel()
    (note,) = headline_notes(deals, events, CONFIG)
    assert "Only 0 lost deal(s) are recorded against 4 won" in note
    assert "30 days (10 deals)" in note and "5 open deals" in note
    assert "输单" in note.say("zh")
    summary = {"kpis": headline_kpis(deals, events, CONFIG)}
    assert index_notes(summary, "zh") == [t("index_mature_conversion", "zh")]
    assert index_notes({"kpis": {"win_rate": {}}}, "en") == []


def test_won_revenue_is_unknown_not_zero_without_amounts() -> None:
    deals, events = funnel()
    assert headline_kpis(deals, events, CONFIG)["won_revenue"]["value"] is None


def test_the_analysis_date_is_the_latest_timestamp_of_any_table_given():
    deals = pd.DataFrame(
        {
            "created_at": [DAY0, DAY0 + pd.Timedelta(days=3)],
            "closed_at": [DAY0 + pd.Timedelta(days=5), pd.NaT],
        }
    )
    events = pd.DataFrame({"entered_at": [DAY0 + pd.Timedelta(days=7)]})
    activities = pd.DataFrame({"at": [DAY0 + pd.Timedelta(days=9), pd.NaT]})
    assert data_as_of(deals) == DAY0 + pd.Timedelta(days=5)
    assert data_as_of(deals, events) == DAY0 + pd.Timedelta(days=7)
    assert data_as_of(deals, activities=activities) == DAY0 + pd.Timedelta(days=9)
    assert data_as_of(deals, events, activities.iloc[:0]) == DAY0 + pd.Timedelta(days=7)


def test_without_any_timestamp_the_analysis_date_must_be_given():
    empty = pd.DataFrame({"created_at": [pd.NaT], "closed_at": [pd.NaT]})
    with pytest.raises(ValueError, match="pass as_of"):
        data_as_of(empty)

"""A Dataset cut in time: the deals of the configured period, or what was known at a moment.

Both keep every table's rows that belong to the deals kept; the inputs are not changed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from playbook.workspace.dataset import Dataset


def apply_period(dataset: Dataset) -> Dataset:
    """Keep deals created within the config's period (and their rows in other tables)."""
    cfg = dataset.config
    if not cfg.period_start and not cfg.period_end:
        return dataset
    created = dataset.deals["created_at"]
    keep = np.ones(len(created), dtype=bool)
    if cfg.period_start:
        keep &= (created >= pd.Timestamp(cfg.period_start)).to_numpy()
    if cfg.period_end:
        keep &= (created < pd.Timestamp(cfg.period_end) + pd.Timedelta(days=1)).to_numpy()
    deals = dataset.deals[keep]
    ids = set(deals["deal_id"])
    subset = {}
    for table in ("stage_events", "activities", "outcomes"):
        frame = dataset.table(table)
        subset[table] = None if frame is None else frame[frame["deal_id"].isin(ids)]
    return dataclasses.replace(dataset, deals=deals, **subset)


def as_of(dataset: Dataset, moment: pd.Timestamp) -> Dataset:
    """The workspace as it stood at ``moment``: what a report for that date may know.

    Deals created later, and events, activities and outcomes after ``moment``, are
    left out; a deal closed after ``moment`` is open again (no close date, status,
    or lost reason yet). Pure: the input is not changed.
    """
    cut = pd.Timestamp(moment)
    deals = _deals_as_of(dataset.deals, cut)
    ids = deals["deal_id"]
    subset: dict[str, pd.DataFrame | None] = {}
    for table, column in (("stage_events", "entered_at"), ("activities", "at")):
        frame = dataset.table(table)
        subset[table] = (
            None
            if frame is None
            else frame[(frame[column] <= cut) & frame["deal_id"].isin(ids)].reset_index(drop=True)
        )
    return dataclasses.replace(
        dataset,
        deals=deals.reset_index(drop=True),
        outcomes=_outcomes_as_of(dataset.outcomes, deals, cut),
        **subset,
    )


def _deals_as_of(deals: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    """Deals created by ``cut``; those closed after it are open again."""
    deals = deals[deals["created_at"] <= cut].copy()
    if "closed_at" in deals.columns:
        later = deals["closed_at"] > cut
        if later.any():
            status = deals["status"].astype(object)
            status[later] = "open"
            deals["status"] = pd.Categorical(status, categories=["lost", "open", "won"])
            deals.loc[later, "closed_at"] = pd.NaT
            if "lost_reason" in deals.columns:
                deals["lost_reason"] = deals["lost_reason"].astype(object).where(~later)
    return deals


def _outcomes_as_of(
    outcomes: pd.DataFrame | None, deals: pd.DataFrame, cut: pd.Timestamp
) -> pd.DataFrame | None:
    """Outcomes of the deals won by ``cut``, without the dates that came after it."""
    if outcomes is None:
        return None
    won = deals.loc[deals["status"] == "won", "deal_id"]
    outcomes = outcomes[outcomes["deal_id"].isin(won)].copy()
    for column in ("go_live_at", "renewal_at", "upsell_at"):
        if column in outcomes.columns:
            outcomes.loc[outcomes[column] > cut, column] = pd.NaT
    if "renewal_at" in outcomes.columns and "renewed" in outcomes.columns:
        outcomes.loc[outcomes["renewal_at"].isna(), "renewed"] = pd.NA
    return outcomes.reset_index(drop=True)

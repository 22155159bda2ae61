"""The ``data_quality`` planting of the sample company (:mod:`playbook.sample`).

Two reps keep sloppy records: amount and source missing on :data:`MISSING` of their deals,
only :data:`LOGGED` of their sales activities logged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

NAME = "data_quality"
MISSING = 0.4
LOGGED = 0.5


def blank_records(
    rng: np.random.Generator, sloppy_deal_owner: np.ndarray, amount: np.ndarray, source: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Amounts and source names as the CRM holds them: empty on some of the sloppy reps' deals."""
    n = len(amount)
    blank = sloppy_deal_owner & (rng.random(n) < MISSING)
    return np.where(blank, np.nan, amount), np.where(blank, "", source)


def unlogged(rng: np.random.Generator, sloppy_sales_work: np.ndarray) -> np.ndarray:
    """Which activities were never logged: part of the sloppy reps' own sales work."""
    return sloppy_sales_work & (rng.random(sloppy_sales_work.size) >= LOGGED)


def truth(rep_ids: list[str], sloppy: list[int]) -> dict[str, Any]:
    """The planting's entry in ``truth.json``."""
    return {
        "reps": [rep_ids[i] for i in sloppy],
        "missing_columns": ["amount", "source"],
        "missing_share": MISSING,
        "activities_logged_share": LOGGED,
    }

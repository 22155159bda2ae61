"""Which deals the lead-scoring model learns from, the time split, and why history is too thin.

A deal is *scored* ``early_days`` after creation from what is known by then, so it can only
teach the model if it was still open at that moment and its outcome is known now:

* *mature*: created at least ``horizon_days`` before the data end;
* not *decided early*: not closed within ``early_days`` of creation (a campaign whose every
  contact is decided on the first call has no such deal unless ``early_days`` is 0).

The split is by time: the newest ``test_share`` of those deals (by creation) are held out.
When there are too few of them, :func:`thin_history` says which count is short and which
setting would help, instead of a bare "too little history".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from playbook.i18n import t

#: Least wins and losses in the held-out window for an AUC worth reporting.
MIN_HELD_OUT = 10


def data_end(deals: pd.DataFrame, stage_events: pd.DataFrame | None = None) -> pd.Timestamp:
    """The latest timestamp of deals and stage events (the journey's default ``as_of``)."""
    stamps = [pd.to_datetime(deals["created_at"]).max()]
    if "closed_at" in deals:
        stamps.append(pd.to_datetime(deals["closed_at"]).max())
    if stage_events is not None and "entered_at" in stage_events:
        stamps.append(pd.to_datetime(stage_events["entered_at"]).max())
    stamps = [s for s in stamps if pd.notna(s)]
    if not stamps:
        raise ValueError("deals hold no timestamp; pass as_of")
    return max(stamps)


@dataclass
class HistoryWindow:
    """The deals the model learns from (``population``) and the time split inside them.

    ``population`` is a mask over the deals' rows; ``y``, ``created`` and ``train`` are over
    the population's rows; ``counts`` holds every number a "too little history" message
    may need.
    """

    horizon_days: float
    population: np.ndarray
    y: np.ndarray
    created: pd.Series
    cut: pd.Timestamp | Any
    train: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)

    def train_mask(self) -> np.ndarray:
        """The training window as a mask over every deal row."""
        out = np.zeros(len(self.population), bool)
        out[np.flatnonzero(self.population)[self.train]] = True
        return out


def history_window(
    deals: pd.DataFrame,
    *,
    early_days: float,
    horizon_days: float | None,
    test_share: float,
    as_of: pd.Timestamp,
) -> HistoryWindow:
    """The learning population and the time split (see the module docstring).

    ``horizon_days`` None: the 90th percentile of won deals' cycle, clipped to 30–365
    days (180 with fewer than 20 wins).
    """
    created = pd.to_datetime(deals["created_at"]).reset_index(drop=True)
    closed = (
        pd.to_datetime(deals["closed_at"]).reset_index(drop=True)
        if "closed_at" in deals
        else pd.Series(pd.NaT, index=created.index)
    )
    status = deals["status"].astype(object).reset_index(drop=True)
    won_all = (status == "won").to_numpy()
    resolved = status.isin(["won", "lost"]).to_numpy()
    horizon = horizon_days
    if horizon is None:
        cycle = ((closed - created).dt.total_seconds() / 86400)[won_all].dropna()
        horizon = float(np.clip(cycle.quantile(0.9), 30, 365)) if len(cycle) >= 20 else 180.0
    snapshot = created + pd.Timedelta(days=early_days)
    mature = (created <= as_of - pd.Timedelta(days=horizon)).to_numpy()
    decided_early = (closed.notna() & (closed <= snapshot)).to_numpy()
    population = mature & ~decided_early
    y = won_all[population]
    c_pop = created[population].reset_index(drop=True)
    cut = c_pop.quantile(1 - test_share) if len(c_pop) else pd.NaT
    train = (c_pop < cut).to_numpy() if len(c_pop) else np.zeros(0, bool)
    counts = {
        "deals": len(deals),
        "resolved": int(resolved.sum()),
        "open": int((status == "open").sum()),
        "mature": int(mature.sum()),
        "young": int((~mature).sum()),
        "decided_early": int((mature & decided_early).sum()),
        "population": int(population.sum()),
        "won": int(y.sum()),
        "train_won": int(y[train].sum()),
        "train_lost": int((~y[train]).sum()),
        "test_won": int(y[~train].sum()),
        "test_lost": int((~y[~train]).sum()),
    }
    return HistoryWindow(float(horizon), population, y, c_pop, cut, train, counts)


def thin_history(
    window: HistoryWindow, *, min_resolved: int, min_won: int
) -> tuple[str, dict[str, Any]] | None:
    """Why no model can be fitted (i18n key and its values), or None when one can.

    Keys: ``decided_early`` (most mature deals were decided before they would be scored),
    ``young`` (too few deals old enough for their outcome to be known), ``held_out`` (the
    held-out window or the training window lacks wins or losses).
    """
    c = window.counts
    values: dict[str, Any] = {**c, "min_n": min_resolved, "min_won": min_won}
    if c["population"] < min_resolved or c["won"] < min_won:
        if c["decided_early"] and c["decided_early"] + c["population"] >= min_resolved:
            return "decided_early", values  # enough deals, had they been scored sooner
        return "young", values
    short = min(c["test_won"], c["test_lost"], c["train_won"])
    if short < MIN_HELD_OUT:
        return "held_out", {**values, "need": MIN_HELD_OUT}
    return None


def thin_message(
    key: str,
    values: dict[str, Any],
    *,
    early_days: float,
    horizon_days: float,
    as_of: pd.Timestamp | None,
    test_start: pd.Timestamp | Any,
    language: str,
) -> str:
    """The page's sentence for :func:`thin_history`'s answer, with the counts and the fix."""
    end = f"{as_of:%Y-%m-%d}" if as_of is not None and pd.notna(as_of) else "–"
    start = f"{test_start:%Y-%m-%d}" if test_start is not None and pd.notna(test_start) else "–"
    text = t(
        f"score_thin_{key}",
        language,
        **values,
        days=f"{early_days:g}",
        horizon=f"{horizon_days:.0f}",
        end=end,
        start=start,
    )
    space = "" if language == "zh" else " "
    if key != "decided_early" and values.get("decided_early") and early_days > 0:
        text += space + t("score_thin_also_early", language, **values, days=f"{early_days:g}")
    return text + space + t("score_thin_baseline", language)

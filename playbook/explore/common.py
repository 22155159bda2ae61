"""What every part of the explorer shares: filter names, the groups shown, the precomputed data.

A leaf module: the tabs, the controls and :mod:`playbook.explore.widgets` import it; it
imports no other module of the explorer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from playbook.i18n import t
from playbook.steps.journey import JourneyData

#: The value of a dropdown filter that keeps every deal.
ALL = "__all__"
#: Filter names, in display order. ``stage`` keeps deals that reached (entered) the stage.
FILTERS = ("period", "region", "team", "segment", "product", "rep", "stage")
#: The dropdown filters that select deals by a per-deal code (period and stage work otherwise).
CODED_FILTERS = ("region", "team", "segment", "product", "rep")
#: Deal columns behind the plain dropdown filters.
DIMENSIONS = {"region": "region", "segment": "segment", "product": "product"}
#: Comparison modes: none, the slice against every other deal of its period, two slices.
MODES = ("single", "rest", "two")
TABS = ("journey", "stages", "handoffs", "capability", "people")


@dataclass
class Slice:
    """One group shown by the explorer: its label, its deals and whether it is suppressed."""

    key: str  # "selection", "rest", "a" or "b"
    label: str
    mask: np.ndarray
    description: str
    reps: int
    suppressed: bool = False


@dataclass
class Panel:
    """What a tab shows when its module or table is missing."""

    available: bool
    reason: str = ""


def unavailable(language: str, what: str, why: str, **values: Any) -> Panel:
    """A panel saying that ``what`` (a tab title key) is missing, and why (a text key)."""
    reason = t("explore_not_available", language, what=t(what, language))
    return Panel(False, f"{reason} {t(why, language, **values)}")


@dataclass
class Precomputed:
    """Everything computed once per explorer (see :mod:`playbook.explore.widgets`)."""

    journey: JourneyData
    months: list[str]
    month_code: np.ndarray
    codes: dict[str, np.ndarray]
    options: dict[str, list[str]]
    owner: np.ndarray  # owner id per deal (str)
    rep_team: np.ndarray  # pooled team of each rep of options["rep"] ("" when unknown)
    contacts: pd.DataFrame | None = None
    sla: pd.DataFrame | None = None
    sla_rows: np.ndarray | None = None
    sleeping: pd.DataFrame | None = None
    sleeping_rows: np.ndarray | None = None
    study: Any = None
    #: each deal's expected chance to be won from its mix (None: no adjustment possible)
    expected_won: np.ndarray | None = None
    panels: dict[str, Panel] = field(default_factory=dict)
    modules: dict[str, Any] = field(default_factory=dict)  # the optional step modules found

    def available(self, tab: str) -> bool:
        """Whether ``tab``'s optional step module and tables were found."""
        return self.panels.get(tab, Panel(False)).available


def concat(frames: Sequence[pd.DataFrame], first: Sequence[str]) -> pd.DataFrame:
    """Frames stacked, ``group`` moved to the front; empty frame when there are none."""
    filled = [f for f in frames if len(f)]
    if not filled:
        return frames[0].iloc[:0] if frames else pd.DataFrame(columns=list(first))
    out = pd.concat(filled, ignore_index=True)
    if "group" in out.columns:
        out = out[["group", *[c for c in out.columns if c != "group"]]]
    return out

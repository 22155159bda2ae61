"""Which slices step 2 shows: the configured dimensions present, the cells flagged as
bottlenecks, and the strategic focus beside the rest of the company."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.findings import Finding
from playbook.steps.journey import JourneyData
from playbook.steps.prepared import takes_pilot
from playbook.steps.stages.growth import stage_sensitivity
from playbook.steps.stages.rates import stage_rates
from playbook.workspace.config import PilotConfig


def dimensions_present(deals: pd.DataFrame, config: PilotConfig) -> list[str]:
    """The configured slicing dimensions that exist in ``deals`` and have 2+ values."""
    return [
        d for d in config.dimensions if d in deals.columns and deals[d].nunique(dropna=True) > 1
    ]


def flagged_cells(findings: Sequence[Finding], dimension: str) -> set[tuple[str, str]]:
    """(slice value, from-stage) pairs of the bottleneck findings on ``dimension``."""
    return {
        (str(f.value), str(f.stage))
        for f in findings
        if f.kind == "bottleneck" and f.dimension == dimension
    }


@takes_pilot
def focus_rates(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    as_of=None,
    *,
    labels: tuple[str, str] = ("focus", "rest"),
    journey: JourneyData | None = None,
) -> pd.DataFrame:
    """Stage rates of the strategic focus (``config.focus``) beside the rest of the company.

    Returns
    -------
    DataFrame
        ``group | <stage_rates columns>`` with ``group`` = ``labels[0]`` for deals whose
        ``focus.dimension`` equals ``focus.value``, ``labels[1]`` for the others; empty
        when no focus value is set or the column is missing.
    """
    tagged = _focus_groups(deals, config, labels)
    if tagged is None:
        return pd.DataFrame(columns=["group"])
    return stage_rates(tagged, stage_events, config, by="group", as_of=as_of, min_n=0)


def _focus_groups(deals: pd.DataFrame, config: PilotConfig, labels: tuple[str, str]):
    """``deals`` with a ``group`` column: focus vs rest; None when no focus is set."""
    focus = config.focus
    if not focus.value or focus.dimension not in deals.columns:
        return None
    in_focus = deals[focus.dimension].astype(str) == str(focus.value)
    return deals.assign(group=np.where(in_focus, labels[0], labels[1]))


@takes_pilot
def focus_sensitivity(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    as_of=None,
    *,
    labels: tuple[str, str] = ("focus", "rest"),
) -> pd.DataFrame:
    """What each stage is worth (:func:`stage_sensitivity`) for the focus and for the rest.

    Returns
    -------
    DataFrame
        ``group | from | to | rate | revenue | gain_points | gain_relative`` (``won_deals``
        for ``revenue`` when no amount is known); empty when no focus value is set.
    """
    tagged = _focus_groups(deals, config, labels)
    if tagged is None:
        return pd.DataFrame(columns=["group"])
    return stage_sensitivity(tagged, stage_events, config, by="group", as_of=as_of)

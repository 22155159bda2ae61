"""Pilot settings (``pilot:`` in pilot.yml) and the unit a pilot is assigned by."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

import pandas as pd

from playbook.config import section_values

__all__ = ["PilotSettings", "settings", "unit_kind", "unit_of"]


@dataclass(frozen=True)
class PilotSettings:
    """Pilot settings (``pilot:`` in pilot.yml once the config has them).

    Attributes
    ----------
    group_column : deals column holding each deal's group.
    pilot_value, control_value : its values for the two groups.
    start, end : ISO dates; deals created from ``start`` (to ``end``) are the pilot period.
        Default start: the creation date of the first deal carrying a group value.
    reps, teams : the pilot's reps or teams (instead of the column); needs ``start``.
    control_reps, control_teams : the control group (default: every other rep).
    unit : "rep", "team" or "auto" (team when the pilot is given by teams, else rep).
    target_stage : the stage id the pilot means to move (its from-stage), named in advance;
        None: every stage is tested and p-values are adjusted for the number of stages.
    expected_lift : the lift (absolute, 0.10 = 10 points) the pilot should detect.
    alpha, power : test level and wanted power.
    pre_days : days before the start that form the pre-period (None: all history).
    min_weeks : a pilot shorter than this is reported as too short.
    """

    group_column: str = "pilot_group"
    pilot_value: str = "pilot"
    control_value: str = "control"
    start: str | None = None
    end: str | None = None
    reps: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    control_reps: tuple[str, ...] = ()
    control_teams: tuple[str, ...] = ()
    unit: Literal["auto", "rep", "team"] = "auto"
    target_stage: str | None = None
    expected_lift: float = 0.10
    alpha: float = 0.05
    power: float = 0.8
    pre_days: int | None = None
    min_weeks: float = 4.0


def settings(config: Any = None, **overrides: Any) -> PilotSettings:
    """The pilot settings of ``config`` (``config.pilot`` when it exists), with defaults.

    Works before and after the config model has a ``pilot`` section; ``overrides`` win.

    Raises
    ------
    ValueError
        Naming an unknown setting or a value out of range.
    """
    values = section_values(config, "pilot", {f.name for f in fields(PilotSettings)}, overrides)
    for key in ("reps", "teams", "control_reps", "control_teams"):
        if key in values:
            values[key] = tuple(str(v) for v in (values[key] or ()))
    for key in ("start", "end"):
        if values.get(key) is not None:
            values[key] = str(values[key])
    out = PilotSettings(**values)
    if out.unit not in ("auto", "rep", "team"):
        raise ValueError(f"pilot.unit must be 'auto', 'rep' or 'team'; got {out.unit!r}")
    if not 0 < out.expected_lift < 1:
        raise ValueError(
            f"pilot.expected_lift is an absolute lift between 0 and 1 (0.1 = 10 points); "
            f"got {out.expected_lift!r}"
        )
    if not 0 < out.alpha < 0.5 or not 0.5 <= out.power < 1:
        raise ValueError(
            f"pilot.alpha must be in (0, 0.5) and pilot.power in [0.5, 1); "
            f"got {out.alpha!r} and {out.power!r}"
        )
    return out


def unit_kind(pilot: PilotSettings) -> str:
    """``"team"`` when the pilot is assigned by team (``unit``, or teams listed), else ``"rep"``."""
    return "team" if pilot.unit == "team" or (pilot.unit == "auto" and pilot.teams) else "rep"


def unit_of(deals: pd.DataFrame, reps: pd.DataFrame | None, unit: str) -> pd.Series:
    """Each deal's unit: its owner, or the owner's team when ``unit`` is ``"team"``."""
    owner = deals["owner_id"].astype(object)
    if unit != "team" or reps is None or "team" not in reps:
        return owner
    team = dict(zip(reps["rep_id"].astype(object), reps["team"].astype(object), strict=True))
    return owner.map(lambda r: team.get(r) if pd.notna(team.get(r)) else r)

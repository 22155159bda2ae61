"""Pilot settings (``pilot:`` in pilot.yml), the unit a pilot is assigned by, and which
deals are in which group and period (:func:`assign`)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

from playbook.workspace.config import section_values

__all__ = ["PilotSettings", "settings", "unit_kind", "unit_of", "Assignment", "assign"]


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
    randomised : the units were assigned to pilot and control at random (e.g. with
        :func:`playbook.steps.pilot.recommend_split`); names the design ``randomised``.
    min_overlap : arms sharing less than this share of their deals on a dimension (e.g.
        pilot reps only in regions no control rep works) cannot be told apart from it.
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
    randomised: bool = False
    min_overlap: float = 0.2


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
    if not 0 <= out.min_overlap < 1:
        raise ValueError(f"pilot.min_overlap must be in [0, 1); got {out.min_overlap!r}")
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


@dataclass
class Assignment:
    """Which deals are in the pilot or control group, and in which period.

    ``frame``: ``deal_id | unit | group | period`` aligned with ``deals`` (group and
    period None for deals outside the evaluation). ``problem`` is an i18n key when the
    pilot cannot be evaluated.
    """

    frame: pd.DataFrame
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    unit: str
    membership: str
    dropped: int = 0
    problem: str | None = None


def assign(
    deals: pd.DataFrame,
    pilot: PilotSettings,
    reps: pd.DataFrame | None = None,
) -> Assignment:
    """Each deal's group (pilot/control) and period (pre/post), and its unit.

    Labels come from ``pilot.reps``/``pilot.teams`` when given (every deal of a listed
    rep; control: ``control_reps``/``control_teams`` or every other rep; needs
    ``pilot.start``), else from the ``group_column`` (start: the first labelled deal's
    day). A unit (rep or team) belongs to the group of the majority of its labelled
    deals, which also places its deals before the start in that group's pre-period.
    Labelled deals disagreeing with their unit's group, every deal of a unit labelled as
    often pilot as control, and unlabelled deals after the start are left out; the first
    two are counted in ``dropped``.
    """
    n = len(deals)
    owner = deals["owner_id"].astype(object).reset_index(drop=True)
    created = pd.to_datetime(deals["created_at"]).reset_index(drop=True)
    by_list = bool(pilot.reps or pilot.teams)
    kind = unit_kind(pilot)
    if kind == "team" and (reps is None or "team" not in reps):
        kind = "rep"
    unit = unit_of(deals.reset_index(drop=True), reps, kind)
    empty = pd.DataFrame(
        {"deal_id": deals["deal_id"].to_numpy(), "unit": unit, "group": None, "period": None}
    )
    label = pd.Series([None] * n, dtype=object)
    if by_list:
        membership = "list"
        team_of = (
            dict(zip(reps["rep_id"].astype(object), reps["team"].astype(object), strict=True))
            if reps is not None and "team" in reps
            else {}
        )
        if pilot.teams and not team_of:
            return Assignment(empty, None, None, kind, membership, problem="pilot_no_reps")
        if not pilot.start:
            return Assignment(empty, None, None, kind, membership, problem="pilot_no_start")
        team = owner.map(team_of)
        is_p = owner.isin(pilot.reps) | team.isin(pilot.teams)
        if pilot.control_reps or pilot.control_teams:
            is_c = (owner.isin(pilot.control_reps) | team.isin(pilot.control_teams)) & ~is_p
        else:
            is_c = ~is_p
        label[is_p.to_numpy()] = pilot.pilot_value
        label[is_c.to_numpy()] = pilot.control_value
        start = pd.Timestamp(pilot.start)
    else:
        membership = "column"
        if pilot.group_column not in deals.columns:
            return Assignment(empty, None, None, kind, membership, problem="pilot_none")
        raw = deals[pilot.group_column].astype(object).reset_index(drop=True)
        label = raw.where(raw.isin([pilot.pilot_value, pilot.control_value]), None)
        if label.isna().all():
            return Assignment(empty, None, None, kind, membership, problem="pilot_none")
        start = (
            pd.Timestamp(pilot.start) if pilot.start else created[label.notna()].min().normalize()
        )
    # every unit belongs to one group: the majority of its labelled deals (ties: none)
    labelled = label.notna()
    counts = pd.crosstab(unit[labelled], label[labelled])
    for col in (pilot.pilot_value, pilot.control_value):
        if col not in counts:
            counts[col] = 0
    n_p, n_c = counts[pilot.pilot_value], counts[pilot.control_value]
    major = pd.Series(
        np.where(n_p > n_c, pilot.pilot_value, np.where(n_c > n_p, pilot.control_value, None)),
        index=counts.index,
        dtype=object,
    )
    unit_group = unit.map(major)
    disagree = labelled & (unit_group.isna() | (label != unit_group))
    dropped = int(disagree.sum())
    unit_group = unit_group.where(~disagree & ~(~labelled & (created >= start)))
    end = pd.Timestamp(pilot.end) + pd.Timedelta(days=1) if pilot.end else None
    post = created >= start
    if end is not None:
        post &= created < end
    pre = created < start
    if pilot.pre_days is not None:
        pre &= created >= start - pd.Timedelta(days=pilot.pre_days)
    period = pd.Series(np.where(post, "post", np.where(pre, "pre", None)), dtype=object)
    group = unit_group.where(period.notna())
    frame = pd.DataFrame(
        {"deal_id": deals["deal_id"].to_numpy(), "unit": unit, "group": group, "period": period}
    )
    frame.loc[frame["group"].isna(), "period"] = None
    frame["group"] = frame["group"].astype(object).where(frame["group"].notna(), None)
    has_post = frame["period"].eq("post")
    groups_post = set(frame.loc[has_post, "group"].dropna())
    problem = None
    if pilot.pilot_value not in groups_post:
        problem = "pilot_none"
    elif pilot.control_value not in groups_post:
        problem = "pilot_no_control"
    return Assignment(frame, start, end, kind, membership, dropped, problem)

"""The step sections of pilot.yml: capability, adjustment, pilot, scoring, plan, monthly.

Each is a strict pydantic model (unknown keys are errors);
:class:`playbook.workspace.config.PilotConfig` holds one of each."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Focus(_Strict):
    """The strategic focus the steering committee cares about (e.g. one segment)."""

    dimension: str = "segment"
    value: str | None = None


class CapabilityDimension(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_en: str
    label_zh: str
    aliases: list[str] = Field(default_factory=list)


DEFAULT_CAPABILITIES = [
    CapabilityDimension(
        id="product_knowledge", label_en="Industry & product knowledge", label_zh="行业与产品知识"
    ),
    CapabilityDimension(id="needs_discovery", label_en="Needs discovery", label_zh="需求挖掘"),
    CapabilityDimension(
        id="value_proposition",
        label_en="Value proposition & presentation",
        label_zh="价值呈现与方案演示",
    ),
    CapabilityDimension(
        id="internal_coordination", label_en="Internal coordination", label_zh="内部协同"
    ),
    CapabilityDimension(
        id="digital_tools", label_en="Digital tool fluency", label_zh="数字化工具应用"
    ),
    CapabilityDimension(
        id="reflection", label_en="Reflection & self-development", label_zh="复盘与自我提升"
    ),
]


class Consistency(_Strict):
    """Who counts as a consistently strong converter (step 4)."""

    #: Period length as a pandas alias (Q quarter, M month).
    freq: str = "Q"
    #: Look at the last N complete periods …
    periods: int = Field(default=4, ge=1)
    #: … and require the top group in at least K of them …
    top_k_of_n: int = Field(default=3, ge=1)
    #: … where the top group is this share of reps with enough volume …
    top_share: float = Field(default=0.25, gt=0, lt=1)
    #: … and enough volume is this many deals in the period.
    min_deals: int = Field(default=15, ge=0)
    #: Leaving out the best period, conversion must still beat the team with this probability.
    min_probability: float = Field(default=0.95, ge=0, lt=1)

    @model_validator(mode="after")
    def _k(self) -> Consistency:
        if self.top_k_of_n > self.periods:
            raise ValueError("top_k_of_n must be between 1 and periods")
        return self


class CapabilityConfig(_Strict):
    consistency: Consistency = Field(default_factory=Consistency)
    #: Whose scores to use: "manager", "mean" (of all assessors) or an assessor's name.
    assessor: str = "manager"
    dimensions: list[CapabilityDimension] = Field(
        default_factory=lambda: [d.model_copy() for d in DEFAULT_CAPABILITIES]
    )
    scale_min: float = 1
    scale_max: float = 5

    @model_validator(mode="after")
    def _scale(self) -> CapabilityConfig:
        if self.scale_max <= self.scale_min:
            raise ValueError("scale_max must be greater than scale_min")
        return self


class Adjustment(_Strict):
    """Compare people and teams on like deals (:mod:`playbook.steps.adjust`)."""

    #: Compare reps and teams against what their deal mix would be expected to do.
    enabled: bool = True
    #: Further deal columns to adjust for besides ``dimensions`` (e.g. company_size).
    features: list[str] = Field(default_factory=list)
    #: Deal-size bands cut from amount at its quantiles (0: leave deal size out).
    amount_bands: int = Field(default=4, ge=0, le=10)


class PilotEvaluation(_Strict):
    """Who is in the pilot, from when, and what it should achieve (step 7)."""

    #: Deal column holding each deal's group; values pilot_value / control_value.
    group_column: str = "pilot_group"
    pilot_value: str = "pilot"
    control_value: str = "control"
    #: ISO date the pilot started (default: the first labelled deal's creation day).
    start: str | None = None
    end: str | None = None
    #: Alternatively, the reps or teams in the pilot (and optionally in the control).
    reps: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)
    control_reps: list[str] = Field(default_factory=list)
    control_teams: list[str] = Field(default_factory=list)
    #: The unit assignment happened at (inference is clustered by it).
    unit: Literal["auto", "rep", "team"] = "auto"
    #: The stage (from-stage id) the intervention targets, named in advance.
    target_stage: str | None = None
    expected_lift: float = Field(default=0.10, gt=0, lt=1)
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    power: float = Field(default=0.8, ge=0.5, lt=1)
    pre_days: int | None = None
    min_weeks: float = 4
    #: Units were assigned to pilot and control at random (names the design "randomised").
    randomised: bool = False
    #: Arms sharing less of their deals on a dimension cannot be told apart from it.
    min_overlap: float = Field(default=0.2, ge=0, lt=1)


class Scoring(_Strict):
    """Lead scoring and alerts (step 6)."""

    #: Activities within this many days of creation are known at scoring time.
    early_days: float = Field(default=3, ge=0)
    #: Days a deal may take to resolve (default: p90 of won cycles, 30–365).
    horizon_days: float | None = None
    #: auto: logistic regression unless gradient boosting is significantly better held out.
    model: Literal["auto", "logistic", "boosting"] = "auto"
    min_resolved: int = 300
    min_won: int = 30
    test_share: float = Field(default=0.25, gt=0, lt=1)
    #: Deal columns to use even when the audit leaves them out (the page warns).
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    high_share: float = 0.2
    stall_factor: float = 2.0
    dormant_days: float | None = None
    recent_days: float = 7
    renewal_days: float = 90


class LearningModule(_Strict):
    id: str
    label_en: str
    label_zh: str = ""


class LearningRule(_Strict):
    """A diagnosed weakness × role -> learning modules (step 5)."""

    id: str | None = None
    #: stage:<id>, competency:<id>, slow_first_contact or low_completeness; * wildcards ok.
    weakness: str
    #: new / experienced / key_account / unknown; empty = any role.
    roles: list[str] = Field(default_factory=list)
    modules: list[LearningModule]
    priority: int = Field(default=2, ge=1)


class PlanConfig(_Strict):
    """Development plans: learning-path rules and diagnosis thresholds (step 5)."""

    #: Empty: the default rule set shipped in :mod:`playbook.steps.plan`.
    rules: list[LearningRule] = Field(default_factory=list)
    stage_gap: float = 0.05
    min_stage_n: int = 10
    score_gap: float = 0.10
    team_score_gap: float = 0.15
    completeness_gap: float = 0.05
    max_mentees: int = 3
    max_coaches: int = 2


class MonthlyConfig(_Strict):
    """Unattended monthly runs (``playbook monthly``)."""

    #: Deal column that splits the workspace into business units.
    unit_column: str = "region"
    #: Pilot step notebooks to include in every unit's monthly report, e.g. [02_stage_rates].
    steps: list[str] = Field(default_factory=list)

"""The pilot configuration (``pilot.yml``): loaded safely, validated, with readable errors.

Everything a user may want to change about an analysis lives here: the funnel
and its raw CRM aliases, journey phases, SLAs, thresholds, the strategic focus,
capability dimensions, privacy and language. Unknown keys are errors (a typo
silently ignored is a setting silently not applied).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from playbook.exceptions import DataError, Problem
from playbook.workspace.intake_settings import IntakeSettings
from playbook.workspace.sections import (
    Adjustment,
    CapabilityConfig,
    Focus,
    MonthlyConfig,
    PilotEvaluation,
    PlanConfig,
    Scoring,
    _Strict,
)

CONFIG_FILE = "pilot.yml"


class Stage(_Strict):
    """One funnel stage: a stable id, labels in both languages, raw CRM aliases."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_en: str
    label_zh: str
    aliases: list[str] = Field(default_factory=list)
    #: Days a deal may take to leave this stage before its cohort counts as mature.
    window_days: int = Field(default=30, gt=0)

    def label(self, language: str) -> str:
        return self.label_zh if language == "zh" else self.label_en

    def all_names(self) -> list[str]:
        """Every raw name that maps to this stage (id, both labels, aliases)."""
        return [self.id, self.label_en, self.label_zh, *self.aliases]


#: The funnel when pilot.yml names none: (id, English, Chinese, CRM aliases, window days).
DEFAULT_STAGES = [
    Stage(id=id_, label_en=en, label_zh=zh, aliases=aliases, window_days=days)
    for id_, en, zh, aliases, days in (
        ("lead", "Lead", "线索", ["Prospecting", "New", "潜在客户"], 14),
        ("intent", "Intent", "意向", ["Qualification", "Qualified", "Engaging", "需求确认"], 30),
        ("proposal", "Proposal", "方案", ["Proposal/Price Quote", "Quote", "报价"], 30),
        ("negotiation", "Negotiation", "谈判", ["Negotiation/Review", "商务谈判"], 60),
        ("signed", "Signed", "签约", ["Closed Won", "Won", "赢单", "成交"], 30),
    )
]


class Funnel(_Strict):
    stages: list[Stage] = Field(default_factory=lambda: [s.model_copy() for s in DEFAULT_STAGES])
    #: When a deal jumps from lead straight to proposal, does it count as having
    #: passed (entered and advanced) intent? Most CRMs skip stages for fast deals.
    skip_counts_as_passed: bool = True

    @model_validator(mode="after")
    def _unique(self) -> Funnel:
        if len(self.stages) < 2:
            raise ValueError("the funnel needs at least two stages")
        ids = [s.id for s in self.stages]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"stage ids must be unique; repeated: {', '.join(dupes)}")
        seen: dict[str, str] = {}
        for stage in self.stages:
            for name in stage.all_names():
                key = normalise_stage_name(name)
                if key in seen and seen[key] != stage.id:
                    raise ValueError(
                        f"alias {name!r} is given for both '{seen[key]}' and '{stage.id}'"
                    )
                seen[key] = stage.id
        return self

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.stages]

    def alias_map(self) -> dict[str, str]:
        """Normalised raw name -> stage id."""
        return {normalise_stage_name(n): s.id for s in self.stages for n in s.all_names()}


def normalise_stage_name(name: str) -> str:
    """Case- and space-insensitive key for matching raw CRM stage names."""
    return " ".join(str(name).split()).casefold()


PHASES = ["awareness", "interest", "evaluation", "decision", "execution"]


class Phase(_Strict):
    stages: list[str] = Field(default_factory=list)
    activity_types: list[str] = Field(default_factory=list)


def _default_phases() -> dict[str, Phase]:
    return {
        "awareness": Phase(activity_types=["campaign", "webinar", "ad", "event"]),
        "interest": Phase(stages=["lead"], activity_types=["form", "download", "call"]),
        "evaluation": Phase(stages=["intent", "proposal"], activity_types=["meeting", "demo"]),
        "decision": Phase(stages=["negotiation"], activity_types=["review", "email"]),
        "execution": Phase(stages=["signed"], activity_types=["kickoff", "onboarding", "renewal"]),
    }


class CustomSla(_Strict):
    """A further SLA: from event A to event B within T hours."""

    name: str
    from_event: str
    to_event: str
    within_hours: float = Field(gt=0)


class Sla(_Strict):
    first_contact_hours: float = Field(default=24, gt=0)
    proposal_review_business_days: float = Field(default=3, gt=0)
    custom: list[CustomSla] = Field(default_factory=list)


class WorkingCalendar(_Strict):
    """Business-hours clock for SLAs: working week, hours, holidays and make-up days."""

    workdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])  # Monday = 0
    start_hour: int = Field(default=9, ge=0, le=23)
    end_hour: int = Field(default=18, ge=1, le=24)
    holidays: list[str] = Field(default_factory=list)  # ISO dates off work
    extra_workdays: list[str] = Field(default_factory=list)  # make-up days (调休)


class PilotConfig(_Strict):
    """The whole ``pilot.yml``. Every field has a default except the name."""

    name: str = "pilot"
    language: Literal["en", "zh"] = "en"
    timezone: str = "UTC"
    currency: str = ""
    #: Where the tables are (file names relative to the workspace); default: <table>.<ext>.
    tables: dict[str, str] = Field(default_factory=dict)
    #: A CRM export to adapt instead of canonical tables (Salesforce, HubSpot, generic
    #: long/wide tables, XES, SQL): validated by :mod:`playbook.workspace.adapters`.
    source: dict[str, Any] | None = None
    funnel: Funnel = Field(default_factory=Funnel)
    phases: dict[str, Phase] = Field(default_factory=_default_phases)
    sla: Sla = Field(default_factory=Sla)
    calendar: WorkingCalendar = Field(default_factory=WorkingCalendar)
    sleeping_lead_days: float = Field(default=14, gt=0)
    focus: Focus = Field(default_factory=Focus)
    #: Deal columns to slice stage rates by.
    dimensions: list[str] = Field(
        default_factory=lambda: ["segment", "region", "product", "source"]
    )
    capability: CapabilityConfig = Field(default_factory=CapabilityConfig)
    adjustment: Adjustment = Field(default_factory=Adjustment)
    min_group_size: int = Field(default=5, ge=1)
    monthly: MonthlyConfig = Field(default_factory=MonthlyConfig)
    pilot: PilotEvaluation = Field(default_factory=PilotEvaluation)
    plan: PlanConfig = Field(default_factory=PlanConfig)
    scoring: Scoring = Field(default_factory=Scoring)
    #: Rows that cannot be used: refuse the workspace, or set them aside (``--on-bad-rows``).
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    #: Analysed period; deals created outside it are left out (ISO dates, inclusive).
    period_start: str | None = None
    period_end: str | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'Asia/Shanghai' or 'UTC'"
            ) from exc
        return value

    @field_validator("tables")
    @classmethod
    def _tables(cls, value: dict[str, str]) -> dict[str, str]:
        from playbook.workspace.schema import TABLES

        unknown = sorted(set(value) - set(TABLES))
        if unknown:
            raise ValueError(
                f"unknown table name(s) {', '.join(unknown)}; known: {', '.join(TABLES)}"
            )
        return value

    @model_validator(mode="after")
    def _phases_known(self) -> PilotConfig:
        unknown = sorted(set(self.phases) - set(PHASES))
        if unknown:
            raise ValueError(
                f"unknown journey phase(s) {', '.join(unknown)}; phases are {', '.join(PHASES)}"
            )
        ids = set(self.funnel.ids)
        if "phases" not in self.model_fields_set:
            self._derive_phases()
        target = self.pilot.target_stage
        if target is not None and target not in self.funnel.ids[:-1]:
            raise ValueError(
                f"pilot.target_stage {target!r} must be a funnel stage id other than the last "
                f"({', '.join(self.funnel.ids[:-1])})"
            )
        for phase, spec in self.phases.items():
            bad = [s for s in spec.stages if s not in ids]
            if bad:
                raise ValueError(
                    f"phase '{phase}' names stage(s) {', '.join(bad)} that are not funnel stage "
                    f"ids ({', '.join(self.funnel.ids)})"
                )
        return self

    def _derive_phases(self) -> None:
        """Default phases name the default stages: with custom stages and no ``phases``
        given, spread the custom stages over the phases instead (see config_phases)."""
        from playbook.workspace.config_phases import phase_stages, stages_fit

        current = {name: spec.stages for name, spec in self.phases.items()}
        if stages_fit(current, self.funnel.ids):
            return
        derived = phase_stages(self.funnel.ids)
        for name, spec in self.phases.items():
            spec.stages = derived.get(name, [])

    def stage_label(self, stage_id: str, language: str | None = None) -> str:
        lang = language or self.language
        for stage in self.funnel.stages:
            if stage.id == stage_id:
                return stage.label(lang)
        return stage_id


def section_values(
    config: Any, name: str, known: set[str], overrides: dict[str, Any]
) -> dict[str, Any]:
    """One section of the config (e.g. ``pilot``) as a plain dict, ``overrides`` applied.

    Accepts a :class:`PilotConfig`, a bare mapping for the section, or None (defaults).

    Raises
    ------
    ValueError
        Naming the unknown settings and the known ones.
    """
    raw = getattr(config, name, None) if config is not None else None
    if raw is None:
        values: dict[str, Any] = {}
    elif isinstance(raw, dict):
        values = dict(raw)
    elif hasattr(raw, "model_dump"):
        values = raw.model_dump()
    else:
        values = dict(vars(raw))
    values.update(overrides)
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(
            f"unknown {name} setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return values


def default_config(**overrides: Any) -> PilotConfig:
    """A configuration with every default, optionally overridden."""
    return PilotConfig(**overrides)


def _location(loc: tuple) -> str:
    return ".".join(
        str(part) if not isinstance(part, int) else f"[{part}]" for part in loc
    ).replace(".[", "[")


def _problems_from_validation(exc: ValidationError, file: str) -> list[Problem]:
    known = set(PilotConfig.model_fields)
    problems = []
    for err in exc.errors():
        loc = _location(err["loc"])
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1])
            hint = ""
            if len(err["loc"]) == 1:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(
                Problem(
                    file=file,
                    column=loc,
                    message="unknown setting",
                    fix=f"{hint}remove it or fix its spelling",
                )
            )
            continue
        message = err["msg"].removeprefix("Value error, ")
        shown = None if isinstance(value, (dict, list)) else (None if value is None else str(value))
        problems.append(
            Problem(
                file=file,
                column=loc or None,
                message=message,
                value=shown,
                fix="see the config reference in README.md",
            )
        )
    return problems


def parse_config(data: Any, file: str = CONFIG_FILE) -> PilotConfig:
    """Validate an already-parsed YAML document.

    Raises
    ------
    DataError
        Listing every invalid or unknown setting at once.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DataError(
            [
                Problem(
                    file=file,
                    message="the config must be a mapping of settings",
                    value=type(data).__name__,
                    fix="start from the template written by 'playbook init'",
                )
            ]
        )
    try:
        return PilotConfig(**data)
    except ValidationError as exc:
        raise DataError(_problems_from_validation(exc, file)) from None


def load_config(workspace: str | Path) -> PilotConfig:
    """Read and validate ``<workspace>/pilot.yml`` (missing file -> all defaults).

    Raises
    ------
    DataError
        When the file is not valid YAML, holds invalid settings, or is a link to a
        file outside the workspace (never read).
    """
    path = Path(workspace) / CONFIG_FILE
    if not path.exists():
        return PilotConfig(name=Path(workspace).resolve().name)
    real = path.resolve()
    if not real.is_relative_to(Path(workspace).resolve()):
        raise DataError(
            [
                Problem(
                    file=CONFIG_FILE,
                    message=f"is a link to {real}, outside the workspace; it was not read",
                    fix="copy the configuration into the workspace folder",
                )
            ]
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(
            [Problem(file=CONFIG_FILE, message="not UTF-8 text", fix="save pilot.yml as UTF-8")]
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise DataError(
            [
                Problem(
                    file=CONFIG_FILE,
                    row=row,
                    message=f"not valid YAML: {getattr(exc, 'problem', exc)}",
                    fix="check indentation and quoting near that line",
                )
            ]
        ) from None
    config = parse_config(data)
    if config.name == "pilot" and isinstance(data, dict) and "name" not in data:
        config.name = Path(workspace).resolve().name
    return config


def dump_config(config: PilotConfig) -> str:
    """The configuration as YAML (UTF-8, Chinese kept readable)."""
    data = config.model_dump(mode="json")
    # Sections added after a workspace format was fixed are written only when set, so the
    # pilot.yml of an existing workspace (and of the seeded sample) keeps its bytes.
    for key, default in _LATER_SECTIONS.items():
        if data.get(key) == default().model_dump(mode="json"):
            data.pop(key, None)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


#: Sections :func:`dump_config` leaves out while they hold their defaults.
_LATER_SECTIONS = {"adjustment": Adjustment}

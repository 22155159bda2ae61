"""``truth.json``: what was planted in a sample workspace and what the data actually shows.

The reports never read it; tests and benchmarks check a report against it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from playbook.sample import (
    bottleneck,
    content,
    data_quality,
    pilot,
    slow_team,
    territory,
    top_performers,
)
from playbook.sample.activities import Activities
from playbook.sample.clock import PERIOD_END, PERIOD_START
from playbook.sample.company import Company
from playbook.sample.deals import Deals
from playbook.sample.funnel import Funnel
from playbook.sample.observed import Observed
from playbook.sample.options import OPTIONAL_PLANTINGS, Options
from playbook.sample.shape import (
    BASE_ADVANCE,
    DRIVERS,
    DWELL_MEAN_DAYS,
    RAW_STAGES,
    REGIONS,
    STAGES,
)
from playbook.sample.writer import Tables

TRUTH_FILE = "truth.json"
TRUTH_SCHEMA_VERSION = 1


@dataclass
class SampleTruth:
    """What was planted in a sample workspace (also written as ``truth.json``).

    Rates are probabilities of advancing past a stage; ``observed`` blocks hold
    what the generated data actually shows (advanced / (advanced + lost) among
    deals that left the stage by the export, medians in hours), so a report can
    be checked against both the planted parameter and the realised value.
    A planting that was switched off is ``None`` (``one_off_winners`` empty).
    """

    schema_version: int
    seed: int
    deals: int
    language: str
    period_start: str
    period_end: str
    pilot_start: str
    planted: list[str]
    focus: dict[str, Any]
    funnel: dict[str, Any]
    bottleneck: dict[str, Any] | None
    slow_team: dict[str, Any] | None
    top_performers: dict[str, Any] | None
    one_off_winners: list[dict[str, Any]]
    pilot: dict[str, Any]
    data_quality: dict[str, Any] | None
    drivers: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    #: optional plantings (:data:`OPTIONAL_PLANTINGS`): written to truth.json only when planted
    weak_territory: dict[str, Any] | None = None
    #: the content library (:mod:`playbook.sample.content`): planted items and what the data shows
    content: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in OPTIONAL_PLANTINGS:
            if out.get(name) is None:
                out.pop(name, None)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SampleTruth:
        return cls(**data)


def load_truth(directory: str | Path) -> SampleTruth:
    """Read ``truth.json`` from a sample workspace."""
    text = (Path(directory) / TRUTH_FILE).read_text(encoding="utf-8")
    return SampleTruth.from_dict(json.loads(text))


def save_truth(directory: str | Path, truth: SampleTruth) -> None:
    (Path(directory) / TRUTH_FILE).write_text(truth.to_json(), encoding="utf-8", newline="\n")


def build_truth(
    options: Options,
    company: Company,
    deals: Deals,
    funnel: Funnel,
    tables: Tables,
    activities: Activities,
) -> SampleTruth:
    """The truth of one generated sample: each planting's entry (None when off)."""
    on = options.on
    observed = Observed.of(funnel.entry, funnel.leave, funnel.lost_stage)
    rid = list(company.ids)
    strong = options.strong_reps
    return SampleTruth(
        schema_version=TRUTH_SCHEMA_VERSION,
        seed=options.seed,
        deals=len(deals),
        language=options.language,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        pilot_start=pilot.START,
        planted=options.planted(),
        focus={"dimension": "segment", "value": bottleneck.SEGMENT},
        funnel=_funnel(observed, options.language, len(deals)),
        bottleneck=bottleneck.truth(observed, deals.segment, options.zh)
        if on[bottleneck.NAME]
        else None,
        slow_team=slow_team.truth(
            observed,
            rid,
            company.team_of,
            company.team_of[deals.owner],
            funnel.first_contact,
            funnel.contact_hours,
        )
        if on[slow_team.NAME]
        else None,
        top_performers=top_performers.truth(
            rid, company.top, company.top_logit, company.is_top[deals.owner], funnel.status
        )
        if strong
        else None,
        one_off_winners=top_performers.one_off_truth(rid, company.lucky) if strong else [],
        pilot=pilot.truth(
            observed,
            on[pilot.NAME],
            options.variant,
            rid,
            company.team_of,
            deals.pilot_group,
            deals.region,
        ),
        data_quality=data_quality.truth(rid, company.sloppy) if on[data_quality.NAME] else None,
        drivers=DRIVERS,
        counts=_counts(funnel, tables),
        weak_territory=_weak_territory(observed, company, deals, strong)
        if options.weak_territory
        else None,
        content=content.truth(
            activities.table["content_id"].to_numpy(),
            activities.deal,
            activities.time,
            funnel.entry,
            funnel.lost_stage,
            options.content,
        ),
    )


def _funnel(observed: Observed, language: str, n: int) -> dict[str, Any]:
    return {
        "stages": list(STAGES),
        "baseline_advance": dict(zip(STAGES[:4], BASE_ADVANCE, strict=True)),
        "dwell_mean_days": dict(zip(STAGES[:4], DWELL_MEAN_DAYS, strict=True)),
        "raw_stage_names": {
            sid: list(names) for sid, names in zip(STAGES, RAW_STAGES[language], strict=True)
        },
        "observed_rate": {STAGES[s]: observed.rate(s, np.ones(n, bool)) for s in range(4)},
    }


def _counts(funnel: Funnel, tables: Tables) -> dict[str, int]:
    status = funnel.status
    return {
        "deals": len(status),
        "won": int((status == 1).sum()),
        "lost": int((status == 2).sum()),
        "open": int((status == 0).sum()),
        "stage_events": len(tables.stage_events),
        "activities": len(tables.activities),
        "reps": len(tables.reps),
        "assessments": len(tables.assessments),
        "outcomes": len(tables.outcomes),
    }


def _weak_territory(
    observed: Observed, company: Company, deals: Deals, strong: bool
) -> dict[str, Any]:
    s = territory.WEAK_STAGE
    weak = deals.region == REGIONS.index(territory.WEAK_REGION)
    return territory.truth(
        list(company.ids),
        company.top if strong else [],
        company.region,
        company.team_of,
        BASE_ADVANCE[s],
        {"rate": observed.rate(s, weak), "baseline": observed.rate(s, ~weak)},
    )

"""The thresholds of step 5 and the wording its evidence shares."""

from __future__ import annotations

from typing import Any

import pandas as pd

from playbook.workspace.config import PilotConfig

#: Default thresholds of :func:`diagnose` and :func:`coaching_pairs`.
DEFAULT_PLAN: dict[str, Any] = {
    "stage_gap": 0.05,  # shrunk stage rate at least 5 points below the team
    "min_stage_n": 10,  # resolved deals at the stage before judging a rep on it
    "score_gap": 0.10,  # share of the scale below the benchmark (0.4 points on 1-5)
    "team_score_gap": 0.15,  # share of the scale below the team mean (when no benchmark)
    "completeness_gap": 0.05,  # record completeness at least 5 points below the team
    "max_mentees": 3,  # per coach
    "max_coaches": 2,  # per mentee
}


def _section(config: PilotConfig | None) -> Any:
    return getattr(config, "plan", None)


def plan_settings(config: PilotConfig | None = None, **overrides: Any) -> dict[str, Any]:
    """Thresholds of the plan: :data:`DEFAULT_PLAN`, then ``config.plan``, then overrides."""
    out = dict(DEFAULT_PLAN)
    section = _section(config)
    if section is not None:
        data = section.model_dump() if hasattr(section, "model_dump") else dict(section)
        out.update({k: v for k, v in data.items() if k in out and v is not None})
    out.update({k: v for k, v in overrides.items() if k in out and v is not None})
    return out


# --- how the evidence reads ---------------------------------------------------------------------


def _pct(x: float) -> str:
    return "—" if pd.isna(x) else f"{100 * x:.0f}%"


def _dimension_labels(config: PilotConfig, language: str) -> dict[str, str]:
    """Competency id -> its label in ``language``."""
    return {
        d.id: (d.label_zh if language == "zh" else d.label_en) for d in config.capability.dimensions
    }


def _separator(language: str) -> str:
    """What joins several pieces of evidence in one cell."""
    return "；" if language == "zh" else "; "


def _transition(config: PilotConfig, stage: str, language: str) -> str:
    """``stage → next stage`` in ``language`` (the stage alone when it is the last)."""
    ids = config.funnel.ids
    if stage in ids and ids.index(stage) + 1 < len(ids):
        nxt = ids[ids.index(stage) + 1]
        return f"{config.stage_label(stage, language)} → {config.stage_label(nxt, language)}"
    return config.stage_label(stage, language)

"""Writing a sample workspace: ``pilot.yml``, the canonical tables as UTF-8 CSV with fixed
float formats and ``\\n`` line ends, and the content library's Markdown file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from playbook.sample import bottleneck, content, pilot
from playbook.sample.clock import CONTENT_CREATED, EXTRA_WORKDAYS, HOLIDAYS
from playbook.sample.options import Options
from playbook.workspace.config import default_config, dump_config


@dataclass(frozen=True)
class Tables:
    """The canonical tables of the sample workspace (``content.csv`` is fixed)."""

    deals: pd.DataFrame
    stage_events: pd.DataFrame
    activities: pd.DataFrame
    reps: pd.DataFrame
    assessments: pd.DataFrame
    outcomes: pd.DataFrame


def sample_config(language: str, variant: str | None) -> dict[str, Any]:
    """The sample's pilot.yml: its calendar, SLAs, focus and the pilot as the consultant set it."""
    return default_config(
        name="sample",
        language=language,
        timezone="Asia/Shanghai",
        currency="CNY",
        focus={"dimension": "segment", "value": bottleneck.SEGMENT},
        calendar={"holidays": HOLIDAYS, "extra_workdays": EXTRA_WORKDAYS},
        # The sample's proposals take ~2–3 weeks; a 10-business-day review SLA is
        # mostly kept, so its breaches stand out instead of flooding the alerts.
        sla={"first_contact_hours": 24, "proposal_review_business_days": 10},
        # The consultant names the pilot's start and target stage before looking at results.
        pilot=pilot.config(variant),
    )


def write_workspace(directory: str | Path, options: Options, tables: Tables) -> Path:
    """Write every file but ``truth.json`` into ``directory`` (created if missing)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    config = sample_config(options.language, options.variant)
    (out / "pilot.yml").write_text(dump_config(config), encoding="utf-8", newline="\n")
    _csv(tables.deals, out / "deals.csv", "%.2f")
    _csv(tables.stage_events, out / "stage_events.csv")
    _csv(tables.activities, out / "activities.csv")
    _csv(tables.reps, out / "reps.csv")
    _csv(tables.assessments, out / "assessments.csv", "%.1f")
    _csv(tables.outcomes, out / "outcomes.csv")
    _csv(content.content_table(CONTENT_CREATED), out / "content.csv")
    markdown = out / content.MARKDOWN_PATH
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(content.MARKDOWN_TEXT, encoding="utf-8", newline="\n")
    return out


def _csv(df: pd.DataFrame, path: Path, float_format: str | None = None) -> None:
    df.to_csv(path, index=False, lineterminator="\n", float_format=float_format, encoding="utf-8")

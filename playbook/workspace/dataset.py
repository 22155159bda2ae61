"""The validated workspace as the steps receive it: the canonical tables and the config."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from playbook.workspace.config import PilotConfig
from playbook.workspace.schema import (
    TABLES,
)


@dataclass
class Dataset:
    """The validated canonical tables of one workspace, plus its config.

    Missing optional tables are ``None``. ``files`` maps each table to the file
    it came from; ``notes`` holds non-blocking remarks (e.g. a detected title row).
    """

    config: PilotConfig
    deals: pd.DataFrame
    stage_events: pd.DataFrame
    activities: pd.DataFrame | None = None
    reps: pd.DataFrame | None = None
    assessments: pd.DataFrame | None = None
    outcomes: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    content: pd.DataFrame | None = None
    workspace: str = ""
    files: dict[str, str] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def table(self, name: str) -> pd.DataFrame | None:
        return getattr(self, name)

    def present(self) -> list[str]:
        return [t for t in TABLES if self.table(t) is not None]

    def inventory(self) -> pd.DataFrame:
        """One row per table: file, rows, columns, first and last timestamp."""
        rows = []
        time_col = {
            "deals": "created_at",
            "stage_events": "entered_at",
            "activities": "at",
            "assessments": "assessed_at",
            "outcomes": "go_live_at",
            "reps": "hired_at",
            "content": "created_at",
        }
        for name in TABLES:
            frame = self.table(name)
            if frame is None:
                rows.append(
                    {
                        "table": name,
                        "file": None,
                        "rows": 0,
                        "columns": 0,
                        "first": pd.NaT,
                        "last": pd.NaT,
                    }
                )
                continue
            col = time_col.get(name)
            series = frame[col] if col in frame else pd.Series(dtype="datetime64[ns]")
            rows.append(
                {
                    "table": name,
                    "file": self.files.get(name),
                    "rows": len(frame),
                    "columns": frame.shape[1],
                    "first": series.min(),
                    "last": series.max(),
                }
            )
        return pd.DataFrame(rows)

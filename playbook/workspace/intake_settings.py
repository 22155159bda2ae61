"""The ``intake:`` section of ``pilot.yml``: what to do with rows that cannot be used."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Values of ``--on-bad-rows`` and ``intake.on_bad_rows``.
BAD_ROW_POLICIES = ("fail", "quarantine")


class IntakeSettings(BaseModel):
    """``on_bad_rows``: ``fail`` refuses a workspace with any bad row (the default);
    ``quarantine`` sets bad rows aside, with everything that depends on them, as long
    as they are at most ``max_quarantined`` (a share of deals, and of every other
    table's rows)."""

    model_config = ConfigDict(extra="forbid")

    on_bad_rows: Literal["fail", "quarantine"] = "fail"
    max_quarantined: float = Field(default=0.01, ge=0, le=1)

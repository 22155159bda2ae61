"""Step 6's settings: when a lead is scored, which model, what makes an alert."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

from playbook.steps.scoring.models import candidate_kinds
from playbook.workspace.config import section_values


@dataclass(frozen=True)
class ScoringSettings:
    """Scoring settings (``scoring:`` in pilot.yml once the config has them).

    Attributes
    ----------
    early_days : days after creation at which a lead is scored (activity window).
    horizon_days : a cohort is mature (outcome known) this long after creation;
        None: the 90th percentile of won deals' cycle (30 to 365 days).
    model : "auto" (logistic regression unless gradient boosting is significantly better
        on the held-out deals), "logistic" (one-hot + L2 logistic regression) or "boosting".
    min_resolved, min_won : least mature deals and wins to fit a model at all.
    test_share : share of the newest mature deals held out for evaluation.
    include : deal columns to use even when the audit would leave them out (the page
        then warns and repeats the audit's evidence).
    exclude : deal columns never to use.
    high_share : share of leads (by training score) that counts as "high score".
    stall_factor : an open deal is stalled after ``stall_factor`` x the stage's p90 dwell.
    dormant_days : days without activity that make an open deal dormant
        (None: ``config.sleeping_lead_days``).
    recent_days : window in which renewed engagement is looked for.
    renewal_days : renewals due within this many days are checked for complaints.
    """

    early_days: float = 3.0
    horizon_days: float | None = None
    model: Literal["auto", "logistic", "boosting"] = "auto"
    min_resolved: int = 300
    min_won: int = 30
    test_share: float = 0.25
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    high_share: float = 0.2
    stall_factor: float = 2.0
    dormant_days: float | None = None
    recent_days: float = 7.0
    renewal_days: float = 90.0


def settings(config: Any = None, **overrides: Any) -> ScoringSettings:
    """The scoring settings of ``config`` (``config.scoring`` when it exists), with defaults.

    Works before and after the config has a ``scoring`` section: missing settings take
    the defaults of :class:`ScoringSettings`; ``overrides`` win over both.
    """
    values = section_values(config, "scoring", {f.name for f in fields(ScoringSettings)}, overrides)
    for key in ("include", "exclude"):
        if key in values:
            values[key] = tuple(values[key] or ())
    out = ScoringSettings(**values)
    candidate_kinds(out.model)  # raises on an unknown model
    if not 0 < out.test_share < 1:
        raise ValueError(f"scoring.test_share must be between 0 and 1; got {out.test_share!r}")
    if out.early_days < 0:
        raise ValueError(f"scoring.early_days must be 0 or more; got {out.early_days!r}")
    return out

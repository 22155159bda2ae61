"""The Finding record every step produces, their ranking, and ``summary.json``.

``summary.json`` is an interface other tools read (see DESIGN.md, output
contract). Bump :data:`SCHEMA_VERSION` on any incompatible change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from playbook.display import LABEL_CHARS, short_label

SCHEMA_VERSION = "1.2"

#: Severity levels: 1 worth a look, 2 material, 3 critical.
SEVERITIES = (1, 2, 3)
#: Revenue at stake is material (one condition of severity 3) from this share of its whole:
#: won revenue for conversion findings, the open pipeline for sleeping deals.
MATERIAL_SHARE = 0.05

KINDS = (
    "bottleneck",
    "slow_handoff",
    "sleeping_leads",
    "capability_gap",
    "top_performer_profile",
    "pilot_effect",
    "data_quality",
    "content_effect",
)


@dataclass
class Finding:
    """One claim the report makes, with the evidence behind it.

    Attributes
    ----------
    kind : one of :data:`KINDS`.
    severity : 1 (worth a look), 2 (material), 3 (critical).
    dimension : the deal column that defines the slice (e.g. ``"segment"``), or None.
    value : the slice's value as in the data (e.g. ``"Manufacturing"``), or None.
    stage : stage id(s) concerned, e.g. ``"proposal"``; never a display label.
    metric : what was measured, e.g. ``"advance_rate"``.
    observed, baseline : the slice's value and what it is compared with.
    ci_low, ci_high : 95% interval of ``observed``.
    evidence : one plain sentence in the report language.
    adjusted_for : for comparisons of people, teams or pilot arms, the deal-mix dimensions
        the comparison was adjusted for (empty when none was needed or possible).
    design : for pilot findings, the evaluation design: ``randomised``,
        ``difference_in_differences`` or ``post_only``.
    impact : the value at stake (e.g. revenue) used for ranking; not in summary.json.
    """

    kind: str
    severity: int
    evidence: str
    dimension: str | None = None
    value: str | None = None
    stage: str | None = None
    metric: str | None = None
    observed: float | None = None
    baseline: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    p_value: float | None = None
    adjusted_for: list[str] | None = None
    design: str | None = None
    impact: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be 1, 2 or 3; got {self.severity!r}")
        if isinstance(self.value, str) and len(self.value) > LABEL_CHARS:
            # the sentence names the slice; a 120,000-character value stays whole in ``value``
            self.evidence = self.evidence.replace(self.value, short_label(self.value))

    def to_summary(self) -> dict[str, Any]:
        """The record as written to ``summary.json`` (contract fields only, JSON-safe)."""
        keys = (
            "kind",
            "severity",
            "dimension",
            "value",
            "stage",
            "metric",
            "observed",
            "baseline",
            "ci_low",
            "ci_high",
            "n",
            "p_value",
            "evidence",
        )
        out = {k: _json_safe(getattr(self, k)) for k in keys}
        # Schema 1.1: written only where they apply, so older readers see the same records.
        if self.adjusted_for is not None:
            out["adjusted_for"] = list(self.adjusted_for)
        if self.design is not None:
            out["design"] = self.design
        return out


def _json_safe(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return round(value, 6)
    return value


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Most important first: severity, then value at stake, then a stable key.

    The stable tail key makes the order (and so ``summary.json``) identical on
    every re-run with the same inputs.
    """
    return sorted(
        findings,
        key=lambda f: (
            -f.severity,
            -(f.impact or 0.0),
            f.kind,
            str(f.dimension),
            str(f.value),
            str(f.stage),
            str(f.metric),
        ),
    )


def is_material(impact: float, whole: float) -> bool:
    """Whether revenue at stake is material: at least :data:`MATERIAL_SHARE` of a positive whole."""
    return whole > 0 and impact >= MATERIAL_SHARE * whole


def kpi(
    value: float | None,
    n: int | None = None,
    ci_low: float | None = None,
    ci_high: float | None = None,
    unit: str = "",
) -> dict[str, Any]:
    """A KPI entry of ``summary.json``: value, n, interval and unit."""
    return {
        "value": _json_safe(value),
        "n": _json_safe(n),
        "ci_low": _json_safe(ci_low),
        "ci_high": _json_safe(ci_high),
        "unit": unit,
    }


def findings_from_records(records: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Rebuild findings saved by a step (the inverse of ``asdict``)."""
    return [Finding(**dict(r)) for r in records]


def finding_record(finding: Finding) -> dict[str, Any]:
    """Everything in a finding, JSON-safe, for passing between steps."""
    return {
        k: _json_safe(v) if not isinstance(v, dict | list) else v
        for k, v in asdict(finding).items()
    }

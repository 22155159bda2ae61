"""Step 3's tables as a reader sees them, in the report language."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from playbook.findings import Finding


def findings_table(findings: Sequence[Finding]) -> pd.DataFrame:
    """Findings as a table for the report: ``severity | dimension | value | observed |
    baseline | n | p_value | evidence``."""
    columns = ["severity", "dimension", "value", "observed", "baseline", "n", "p_value", "evidence"]
    return pd.DataFrame([{c: getattr(f, c) for c in columns} for f in findings], columns=columns)


def localise_values(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """A copy for display in the report language.

    SLA ids, units, states, dimension names, customer-success metrics, alert kinds, the
    ``none`` bucket and the ``all`` slice become labels; the lead ``source`` column is
    renamed ``lead_source`` (so its header never reads as another table's ``source``).
    """
    from playbook.i18n import TEXT

    out = frame.copy()
    prefixes = {
        "sla": "handoff_sla_",
        "unit": "handoff_unit_",
        "state": "handoff_state_",
        "dimension": "handoff_dim_",
        "metric": "handoff_metric_",
        "bucket": "handoff_bucket_",
        "kind": "handoff_kind_",
        "value": "handoff_",
    }
    for col, prefix in prefixes.items():
        if col not in out.columns:
            continue
        values = out[col].astype(object)
        keys = {v: f"{prefix}{v}" for v in pd.unique(values.dropna())}
        if col == "value":
            keys = {v: k for v, k in keys.items() if v == "all"}
        labels = {v: TEXT[k][language] for v, k in keys.items() if k in TEXT}
        out[col] = values.map(labels).fillna(values) if labels else values
    return out.rename(columns={"source": "lead_source"})

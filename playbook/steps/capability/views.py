"""Step 4's tables as a reader sees them: consistency, profiles and findings, in the report
language."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from playbook.findings import Finding
from playbook.steps.capability.findings import _dim_label
from playbook.workspace.config import PilotConfig


def _pct_text(value: float) -> str:
    return "" if pd.isna(value) else f"{100 * value:.1f}%"


def consistency_view(consistency: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """The consistency table as shown in the report: status in words, rates as text, and
    — when reps were compared on like deals — the raw ranking beside the adjusted one.

    Returns
    -------
    DataFrame
        ``owner_id | status | top_periods | eligible_periods | conversion |
        conversion_without_best | team_conversion | prob_above_team | reason``; the
        conversions are percentages as text, ``prob_above_team`` two decimals. Adjusted:
        ``owner_id | status | unadjusted_status | adjusted_rank | unadjusted_rank |
        top_periods | eligible_periods | adjusted_conversion | unadjusted_conversion |
        expected_conversion | o_e | conversion_without_best | team_conversion |
        prob_above_team | reason`` (``adjusted_conversion`` is ``conversion``).
    """
    from playbook.i18n import t

    adjusted = "unadjusted_status" in consistency.columns and bool(
        consistency["unadjusted_status"].astype(str).ne("").any()
    )
    cols = ["owner_id", "status", "top_periods", "eligible_periods", "conversion"]
    cols += ["conversion_without_best", "team_conversion", "prob_above_team", "reason"]
    if adjusted:
        cols[2:2] = ["unadjusted_status", "adjusted_rank", "unadjusted_rank"]
        cols[cols.index("conversion") + 1 : cols.index("conversion") + 1] = [
            "unadjusted_conversion",
            "expected_conversion",
            "o_e",
        ]
    out = consistency[[c for c in cols if c in consistency.columns]].copy()
    for column in ("status", "unadjusted_status"):
        if column in out:
            out[column] = [t(f"cap_status_{s}", language) if s else "" for s in out[column]]
    for column in ("adjusted_rank", "unadjusted_rank"):
        if column in out:
            out[column] = out[column].astype("Int64")
    for column in (
        "conversion",
        "unadjusted_conversion",
        "expected_conversion",
        "conversion_without_best",
        "team_conversion",
    ):
        if column in out:
            out[column] = [_pct_text(v) for v in out[column]]
    for column in ("prob_above_team", "o_e"):
        if column in out:
            out[column] = ["" if pd.isna(v) else f"{v:.2f}" for v in out[column]]
    if adjusted:
        out = out.rename(columns={"conversion": "adjusted_conversion"})
    return out.reset_index(drop=True)


_PERCENT_METRICS = {"stage_rate", "conversion", "record_completeness", "renewal_rate"}


def _value_text(metric: str, value: float, *, signed: bool = False) -> str:
    if pd.isna(value):
        return ""
    if metric in _PERCENT_METRICS:
        return f"{100 * value:+.1f} pt" if signed else f"{100 * value:.1f}%"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def profile_view(
    comparison: pd.DataFrame, config: PilotConfig, language: str = "en"
) -> pd.DataFrame:
    """What consistent strong converters do differently, one readable row per metric.

    Values are text in each metric's unit (rates in %, gaps of rates in points);
    suppressed rows are empty and marked. Stage and conversion rows say "on like deals" when
    ``comparison.attrs["adjusted_for"]`` names the dimensions they were adjusted for (as
    :func:`analyse` sets it).

    Returns
    -------
    DataFrame
        ``label | benchmark_reps | rest_reps | benchmark_mean | rest_mean | gap | ci_low |
        ci_high | p_adj | suppressed`` — stages, conversion, behaviour, customers, then
        competencies.
    """
    from playbook.i18n import TEXT, t

    cols = [
        "label",
        "benchmark_reps",
        "rest_reps",
        "benchmark_mean",
        "rest_mean",
        "gap",
        "ci_low",
        "ci_high",
        "p_adj",
        "suppressed",
    ]
    if not len(comparison):
        return pd.DataFrame(columns=cols)

    like_deals = (
        t("cap_like_deals_suffix", language) if comparison.attrs.get("adjusted_for") else ""
    )

    def label(r) -> str:
        if r.family == "stage":
            ids = config.funnel.ids
            nxt = ids[ids.index(r.stage) + 1] if r.stage in ids[:-1] else r.stage
            stage = config.stage_label(r.stage, language)
            return f"{stage} → {config.stage_label(nxt, language)}{like_deals}"
        if r.family == "competency":
            return _dim_label(config, r.dimension, language)
        if r.metric == "conversion":
            return t("cap_conversion_label", language) + like_deals
        key = f"kpi_{r.metric}"
        return TEXT[key][language] if key in TEXT else str(r.metric)

    order = {"stage": 0, "result": 1, "behaviour": 2, "customer": 3, "competency": 4}
    dims = {d.id: i for i, d in enumerate(config.capability.dimensions)}
    src = comparison.assign(
        _o=comparison["family"].map(order),
        _d=comparison["dimension"].map(dims).fillna(-1),
    ).sort_values(["_o", "_d"], kind="stable")
    out = pd.DataFrame(
        {
            "label": [label(r) for r in src.itertuples(index=False)],
            "benchmark_reps": src["benchmark_reps"].to_numpy(),
            "rest_reps": src["rest_reps"].to_numpy(),
        }
    )
    metrics = src["metric"].to_numpy()
    for column, signed in (
        ("benchmark_mean", False),
        ("rest_mean", False),
        ("gap", True),
        ("ci_low", True),
        ("ci_high", True),
    ):
        out[column] = [
            _value_text(m, v, signed=signed)
            for m, v in zip(metrics, src[column].to_numpy(), strict=True)
        ]
    out["p_adj"] = src["p_adj"].to_numpy(dtype=float)
    out["suppressed"] = src["suppressed"].to_numpy(dtype=bool)
    return out[cols]


def findings_view(findings: Sequence[Finding]) -> pd.DataFrame:
    """Findings as a table: ``severity | kind | evidence``."""
    return pd.DataFrame(
        [{"severity": f.severity, "kind": f.kind, "evidence": f.evidence} for f in findings],
        columns=["severity", "kind", "evidence"],
    )

"""Figure functions: take a metrics frame, draw, return the Figure. No arithmetic.

One theme, one palette, CJK-capable fonts set once (see :mod:`playbook.plots.fonts`).
Every function creates a fresh figure unless given ``ax``, so headless runs never
draw on a stale one. One module per step; all are re-exported here, so notebooks
call ``plots.<function>``.
"""

from playbook.plots.base import BAD, HIGHLIGHT, MUTED, PALETTE, completeness_by_rep, theme
from playbook.plots.capability import (
    capability_radar,
    consistency_grid,
    gap_forest,
    link_heatmap,
    rep_radars,
    team_heatmap,
)
from playbook.plots.funnel import (
    advance_curves,
    dwell_distributions,
    funnel,
    journey_map,
    rate_heatmap,
    trend_lines,
    waterfall,
)
from playbook.plots.handoff import (
    response_conversion,
    response_time_curves,
    sla_by_team,
    source_reach,
)
from playbook.plots.pilot import pilot_balance, pilot_effects, pilot_power, pilot_trend
from playbook.plots.plan import metric_distributions, module_demand, sla_curves
from playbook.plots.scoring import (
    calibration_curve,
    feature_importance,
    gains_chart,
    lead_quality_chart,
)
from playbook.plots.words import Words

__all__ = [
    "BAD",
    "HIGHLIGHT",
    "MUTED",
    "PALETTE",
    "Words",
    "advance_curves",
    "calibration_curve",
    "capability_radar",
    "completeness_by_rep",
    "consistency_grid",
    "dwell_distributions",
    "feature_importance",
    "funnel",
    "gains_chart",
    "gap_forest",
    "journey_map",
    "lead_quality_chart",
    "link_heatmap",
    "metric_distributions",
    "pilot_balance",
    "module_demand",
    "pilot_effects",
    "pilot_power",
    "pilot_trend",
    "rate_heatmap",
    "rep_radars",
    "response_conversion",
    "response_time_curves",
    "sla_by_team",
    "sla_curves",
    "source_reach",
    "team_heatmap",
    "theme",
    "trend_lines",
    "waterfall",
]

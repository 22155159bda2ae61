"""Figure functions: take a metrics frame, draw, return the Figure. No arithmetic.

One theme, one palette, CJK-capable fonts set once (see :mod:`playbook.fonts`).
Every function creates a fresh figure unless given ``ax``, so headless runs never
draw on a stale one. One module per step; all are re-exported here, so notebooks
call ``plots.<function>``.
"""

from playbook.plots.base import BAD, HIGHLIGHT, MUTED, PALETTE, completeness_by_rep, theme
from playbook.plots.funnel import (
    advance_curves,
    dwell_distributions,
    funnel,
    journey_map,
    rate_heatmap,
    waterfall,
)
from playbook.plots.handoff import (
    response_conversion,
    response_time_curves,
    sla_by_team,
    source_reach,
)

__all__ = [
    "BAD",
    "HIGHLIGHT",
    "MUTED",
    "PALETTE",
    "advance_curves",
    "completeness_by_rep",
    "dwell_distributions",
    "funnel",
    "journey_map",
    "rate_heatmap",
    "response_conversion",
    "response_time_curves",
    "sla_by_team",
    "source_reach",
    "theme",
    "waterfall",
]

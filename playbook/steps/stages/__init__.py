"""Step 2, stage rates: which stage, in which slice, converts worse than it should.

Counting rules are those of :mod:`playbook.steps.journey` (furthest stage, skip rule,
open deals censored at ``as_of``). A stage's conversion ``rate`` is
censoring-aware: its denominator ``mature_n`` holds the deals whose outcome at
the stage is known (advanced or lost) plus open deals that have sat there longer
than the stage's ``window_days`` (counted as not advanced); open deals still
within the window (``immature``) are left out. Intervals are Wilson 95%.
Like the journey functions, each takes ``journey=`` (a
:func:`playbook.steps.journey.prepare` result for the same inputs) to skip preparation.

Where each part lives: ``rates`` (stage rates, time to advance, cohorts, lost deals),
``growth`` (the growth formula, what each stage is worth), ``bottlenecks`` (slices re-tested
with the others held fixed), ``slices`` (dimensions shown, the focus beside the rest) and
``groups`` (the slicing shared by all).
"""

from playbook.steps.stages.bottlenecks import bottleneck_tests, find_bottlenecks, retest_table
from playbook.steps.stages.growth import growth_decomposition, latest_change, stage_sensitivity
from playbook.steps.stages.rates import (
    RATE_COLUMNS,
    cohort_rates,
    lost_breakdown,
    stage_rates,
    time_to_advance,
)
from playbook.steps.stages.slices import (
    dimensions_present,
    flagged_cells,
    focus_rates,
    focus_sensitivity,
)

__all__ = [
    "stage_rates",
    "time_to_advance",
    "cohort_rates",
    "lost_breakdown",
    "find_bottlenecks",
    "bottleneck_tests",
    "retest_table",
    "growth_decomposition",
    "stage_sensitivity",
    "latest_change",
    "dimensions_present",
    "flagged_cells",
    "focus_rates",
    "focus_sensitivity",
    "RATE_COLUMNS",
]

"""Step 5, the KPI system: result, process and behaviour metrics at three levels.

Everything starts from one frame of per-deal facts (:func:`deal_facts`); each
metric of :data:`METRICS` is then aggregated for the company, per department
(sales team, never over fewer than ``min_group_size`` reps) and per rep, with
its denominator and a 95% interval:

* ``rate`` metrics (win rate, SLA compliance, record completeness, renewal rate)
  pool successes over trials, Wilson interval;
* ``mean`` metrics (activities per deal, NPS) average per deal, t interval;
* ``median`` metrics (first-contact hours) take the median with its
  distribution-free order-statistic interval;
* ``sum`` metrics (won revenue, open pipeline) are totals, without interval.

Response times run on the business-hours clock of ``config.calendar``
(working days, office hours, holidays and make-up days), as the SLAs of
``pilot.yml`` are meant. :func:`sla_proposal` shows current compliance and the
compliance the data would have at other thresholds, so an SLA can be set where
it bites; :func:`incentive_candidates` gives the spread of behaviour and process
metrics across reps, so HR can size incentive thresholds.

The modules: ``metrics`` (what each KPI is), ``facts`` (the per-deal facts and the
business clock), ``intervals``, ``tables`` (the three levels and the one-page view),
``incentives`` and ``sla``.
"""

from playbook.steps.plan.kpi.facts import business_hours, deal_facts
from playbook.steps.plan.kpi.incentives import (
    incentive_candidates,
    incentive_values,
    incentive_view,
)
from playbook.steps.plan.kpi.intervals import correlation_interval, median_interval
from playbook.steps.plan.kpi.metrics import (
    CONTACT_TYPES,
    KPI_COLUMNS,
    LEVELS,
    MEETING_TYPES,
    METRICS,
    Metric,
)
from playbook.steps.plan.kpi.sla import (
    FIRST_CONTACT_THRESHOLDS,
    PROPOSAL_REVIEW_THRESHOLDS,
    sla_proposal,
)
from playbook.steps.plan.kpi.tables import kpi_by_rep, kpi_matrix, kpi_table

__all__ = [
    "CONTACT_TYPES",
    "MEETING_TYPES",
    "METRICS",
    "Metric",
    "business_hours",
    "deal_facts",
    "kpi_by_rep",
    "kpi_table",
    "kpi_matrix",
    "incentive_candidates",
    "incentive_view",
    "incentive_values",
    "sla_proposal",
    "median_interval",
    "correlation_interval",
    "FIRST_CONTACT_THRESHOLDS",
    "PROPOSAL_REVIEW_THRESHOLDS",
    "KPI_COLUMNS",
    "LEVELS",
]

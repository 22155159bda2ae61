"""Expected conversion from the deal mix: compare people and teams on like deals.

A rep who works the territory with the weakest negotiation stage converts less there than a
rep in an easy territory, whatever their skill. For each stage this module models a deal's
chance to advance from what the rep does not choose — the slice dimensions of the workspace
(``config.dimensions``: segment, region, product, source), a deal-size band from ``amount``,
the quarter the deal was created in and any feature declared in ``adjustment.features`` —
and compares what a person (or team) achieved with the sum of their deals' expected chances:
observed − expected in points with its interval, and observed / expected (O/E).

**The model.** Per stage, a logistic regression on the categories (one coefficient per
category, with a weak ridge penalty so that a category seen on a handful of deals stays near
the average), fitted *with* a penalised term per rep, like a random effect. That term keeps a
rep's own skill out of the territory's coefficient — a region is judged by how every rep
does there against their own deals elsewhere, not by who happens to work it — and the
expected chance leaves it out: it is what the deal would do with an average rep. The
expected chances are then calibrated so that, over every resolved deal of the stage,
expected = observed: the company is its own reference, and O/E > 1 means better than the
company would do on the same deals. Where every rep of a territory works only that territory,
data cannot tell the territory from its reps, and the territory absorbs their average: those
reps are compared with each other.

**Thin stages.** Where a stage has too few resolved deals for a model, indirect
standardisation is used: the expected chance is the rate of the deal's category in the one
dimension that matters most (smallest likelihood-ratio p-value), computed *without the rep's
own deals* and shrunk toward the stage's rate (empirical Bayes). Fewer still: no adjustment.

**Censoring** follows the stage rates (:mod:`playbook.steps.stages`): a deal counts at a stage when
its outcome there is known (advanced or lost) or it has sat longer than the stage's
``window_days`` (not advanced); open deals still inside the window are left out.

Modules: :mod:`~playbook.steps.adjust.mix` (the categories of each deal, the settings),
:mod:`~playbook.steps.adjust.ridge` (the penalised logistic fit),
:mod:`~playbook.steps.adjust.model`
(:class:`MixModel`, :func:`fit_mix_model`), :mod:`~playbook.steps.adjust.compare` (observed vs
expected) and :mod:`~playbook.steps.adjust.explain` (the "why" sentences). Import from
``playbook.steps.adjust``.
"""

from playbook.steps.adjust.compare import OE_COLUMNS, compared_stage_rate, observed_vs_expected
from playbook.steps.adjust.explain import describe, mix_reasons
from playbook.steps.adjust.mix import (
    DEFAULT_ADJUSTMENT,
    MISSING,
    PERIOD_DIMENSION,
    SIZE_DIMENSION,
    adjustment_settings,
    deal_mix,
)
from playbook.steps.adjust.model import (
    MIN_INDIRECT_DEALS,
    MIN_INDIRECT_EVENTS,
    MIN_MODEL_DEALS,
    MIN_MODEL_EVENTS,
    MIX_PRIOR_SD,
    PERIOD_PRIOR_SD,
    REP_PRIOR_SD,
    MixModel,
    expected_conversion,
    expected_wins,
    fit_mix_model,
)
from playbook.steps.adjust.ridge import fit_ridge_logit

__all__ = [
    "DEFAULT_ADJUSTMENT",
    "MISSING",
    "MIN_INDIRECT_DEALS",
    "MIN_INDIRECT_EVENTS",
    "MIN_MODEL_DEALS",
    "MIN_MODEL_EVENTS",
    "MIX_PRIOR_SD",
    "OE_COLUMNS",
    "PERIOD_DIMENSION",
    "PERIOD_PRIOR_SD",
    "REP_PRIOR_SD",
    "SIZE_DIMENSION",
    "MixModel",
    "adjustment_settings",
    "compared_stage_rate",
    "deal_mix",
    "describe",
    "expected_conversion",
    "expected_wins",
    "fit_mix_model",
    "fit_ridge_logit",
    "mix_reasons",
    "observed_vs_expected",
]

"""Step 4, the capability radar: what do consistently strong converters do better?

The benchmark group is found from conversion, period by period, so that one lucky
quarter does not make a star:

1. :func:`rep_period_rates` — per rep, creation period (quarters by default) and
   stage, the censoring-aware stage rate of :func:`playbook.steps.stages.cohort_rates`,
   read against what the rep's own deals would be expected to do from their mix
   (:mod:`playbook.steps.adjust`: observed / expected × the period's mean expected rate, so a
   rep in a hard territory is compared on like deals), and shrunk toward the team's
   rate of that period and stage by an empirical-Bayes beta prior
   (:func:`playbook.stats.fit_beta_prior`), so a rep with few deals is not ranked on
   noise. Only complete periods count (ended by ``as_of``). The raw rates are kept and
   ranked the same way, side by side.
2. :func:`rank_periods` — per rep and period, lead-to-won conversion as the product
   of the shrunk stage rates (with a posterior interval), ranked among reps with at
   least ``min_deals`` deals; the top ``top_share`` (and above the team) is the top
   group of the period.
3. :func:`consistent_converters` — a rep is a *consistent strong converter* when in
   the top group in at least ``top_k_of_n`` of the last ``periods`` periods **and**,
   leaving out their best period, still converts above the team with posterior
   probability ``min_probability`` (:func:`leave_best_out`). A one-off big quarter is
   labelled ``one_off``; enough top periods without that support ``unconfirmed``. The
   ``reason`` column says why.

The profile joins the group with assessments (:func:`assessment_scores`: the
manager's score where there is one, else the mean of the assessors — the policy is
a parameter), stage-level performance, behaviour and customer retention
(:func:`rep_profile`); :func:`compare_groups` ranks the differences with Welch
intervals and Benjamini–Hochberg-adjusted p-values; :func:`stage_competency_links`
correlates stage performance with competency scores across reps.

Privacy: no group mean over fewer than ``min_group_size`` people is returned. Group
pairs that would let a hidden group be recovered by subtraction are suppressed
together (complementary suppression, :func:`playbook.workspace.privacy.pool_small_groups`);
suppressed rows say so in a ``suppressed`` column and carry no value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from playbook.findings import Finding
from playbook.i18n import t
from playbook.steps.adjust import MixModel, expected_wins, fit_mix_model, mix_reasons
from playbook.steps.capability.assessments import assessment_basis, assessment_scores
from playbook.steps.capability.consistency import (
    CONSISTENCY_COLUMNS,
    RANK_COLUMNS,
    RATE_COLUMNS,
    STATUSES,
    consistent_converters,
    leave_best_out,
    rank_periods,
    rep_period_rates,
)
from playbook.steps.capability.findings import (
    capability_findings,
)
from playbook.steps.capability.gaps import (
    capability_gaps,
    focus_reps,
    rep_gaps,
    stage_competency_links,
    team_capability,
)
from playbook.steps.capability.performance import (
    COMPARE_COLUMNS,
    _split_sizes,
    compare_groups,
    rep_profile,
    rep_stage_performance,
)
from playbook.steps.capability.settings import (
    DEFAULT_CONSISTENCY,
    MANAGER_NAMES,
    consistency_settings,
)
from playbook.steps.capability.views import (
    consistency_view,
    findings_view,
    profile_view,
)
from playbook.steps.journey import JourneyData
from playbook.steps.plan.kpi import deal_facts
from playbook.steps.prepared import journey_of
from playbook.workspace.config import PilotConfig

__all__ = [
    "CONSISTENCY_COLUMNS",
    "RANK_COLUMNS",
    "RATE_COLUMNS",
    "STATUSES",
    "DEFAULT_CONSISTENCY",
    "MANAGER_NAMES",
    "COMPARE_COLUMNS",
    "CapabilityStudy",
    "consistency_settings",
    "rep_period_rates",
    "rank_periods",
    "leave_best_out",
    "consistent_converters",
    "assessment_scores",
    "assessment_basis",
    "rep_stage_performance",
    "rep_profile",
    "compare_groups",
    "capability_gaps",
    "team_capability",
    "stage_competency_links",
    "rep_gaps",
    "focus_reps",
    "capability_findings",
    "consistency_view",
    "profile_view",
    "findings_view",
    "analyse",
]


# --- the whole step -----------------------------------------------------------------------------


@dataclass
class CapabilityStudy:
    """Everything step 4 shows (see :func:`analyse`)."""

    settings: dict[str, Any]
    rates: pd.DataFrame
    ranking: pd.DataFrame
    consistency: pd.DataFrame
    benchmark: list[str]
    benchmark_suppressed: bool
    scores: pd.DataFrame
    basis: str
    stage_performance: pd.DataFrame
    facts: pd.DataFrame | None
    profile: pd.DataFrame
    comparison: pd.DataFrame
    gaps: pd.DataFrame
    links: pd.DataFrame
    team_scores: pd.DataFrame
    rep_gaps: pd.DataFrame
    focus: list[str]
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    #: competency id -> label in the report language, in config order
    dimension_labels: dict[str, str] = field(default_factory=dict)
    #: the assessment scale (scale_min, scale_max)
    scale: tuple[float, float] = (1.0, 5.0)
    #: what a figure says where a group value is not shown
    suppressed_label: str = "suppressed"
    #: the deal-mix model reps are compared against (None: raw comparisons)
    model: MixModel | None = None
    #: per rep and stage: observed against expected from the deal mix
    #: (:func:`playbook.steps.adjust.observed_vs_expected`)
    rep_adjusted: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def adjusted_for(self) -> list[str]:
        """The deal-mix dimensions people were compared on (empty: raw comparisons)."""
        return self.model.adjusted_for if self.model is not None else []

    def kpis(self) -> dict[str, dict]:
        """Headline numbers for the report: the benchmark group's size."""
        ranked = (
            int(self.consistency["eligible_periods"].gt(0).sum()) if len(self.consistency) else 0
        )
        return {
            "strong_converters": {
                "value": len(self.benchmark),
                "n": ranked,
                "unit": "reps",
            }
        }


@dataclass(frozen=True)
class _StepInputs:
    """What every part of :func:`analyse` reads: the data, the settings, the prepared journey
    and the deal-mix model (None: raw comparisons)."""

    data: Any
    config: PilotConfig
    language: str
    settings: dict[str, Any]
    min_group_size: int
    journey: JourneyData
    model: MixModel | None
    seed: int

    @property
    def adjusted_for(self) -> list[str] | None:
        return self.model.adjusted_for if self.model is not None else None

    @classmethod
    def prepare(
        cls,
        data: Any,
        language: str | None,
        as_of: Any,
        min_group_size: int | None,
        seed: int,
        adjust: bool | None,
        consistency: dict[str, Any],
    ) -> _StepInputs:
        """Settings with their defaults, the prepared journey and the fitted deal-mix model."""
        config: PilotConfig = data.config
        language = language or config.language
        settings = consistency_settings(config, **consistency)
        mgs = int(min_group_size if min_group_size is not None else config.min_group_size)
        j = journey_of(data, as_of)
        model = fit_mix_model(j, config, enabled=adjust)
        return cls(
            data=data,
            config=config,
            language=language,
            settings=settings,
            min_group_size=mgs,
            journey=j,
            model=model if model.adjusted_for else None,
            seed=seed,
        )


def analyse(
    data: Any,
    *,
    language: str | None = None,
    as_of=None,
    assessor: str | None = None,
    min_group_size: int | None = None,
    seed: int = 0,
    adjust: bool | None = None,
    **consistency: Any,
) -> CapabilityStudy:
    """Run step 4 on a :class:`playbook.workspace.dataset.Dataset` (or any object with its tables).

    Parameters
    ----------
    data : Dataset
        ``config``, ``deals``, ``stage_events`` and optional ``activities``, ``reps``,
        ``assessments``, ``outcomes``.
    language : {"en", "zh"}, optional
        Report language (default ``config.language``).
    as_of : datetime-like, optional
        Analysis date.
    assessor : str, optional
        Assessment policy (see :func:`assessment_scores`).
    min_group_size : int, optional
        Default ``config.min_group_size``.
    seed : int
        Seed of the posterior draws behind conversion intervals.
    adjust : bool, optional
        Compare reps against their deal mix (:mod:`playbook.steps.adjust`); default
        ``adjustment.enabled`` of the config (on).
    **consistency
        Overrides of :data:`DEFAULT_CONSISTENCY` (freq, periods, top_k_of_n, top_share,
        min_deals, min_probability).

    Returns
    -------
    CapabilityStudy
    """
    run = _StepInputs.prepare(data, language, as_of, min_group_size, seed, adjust, consistency)
    config, language, settings, mgs = run.config, run.language, run.settings, run.min_group_size
    rates, ranking, consistency_table = _consistency(run)
    notes = _period_notes(run, ranking)
    benchmark = (
        consistency_table.loc[consistency_table["consistent"], "owner_id"].astype(str).tolist()
    )
    scores = assessment_scores(data.assessments, config, assessor=assessor)
    sp, facts, profile = _profile(run, scores)
    comparison = compare_groups(profile, benchmark, min_group_size=mgs)
    comparison.attrs["adjusted_for"] = run.adjusted_for or []
    suppressed = _benchmark_suppressed(benchmark, profile, mgs)
    notes.extend(_benchmark_notes(run, benchmark, suppressed))
    links = stage_competency_links(profile)
    gaps = capability_gaps(comparison, config)
    rg = rep_gaps(scores, comparison)
    team_scores = team_capability(
        scores, data.reps, min_group_size=mgs, other=t("other_teams", language)
    )
    findings = capability_findings(
        consistency_table,
        comparison,
        links,
        config,
        settings=settings,
        language=language,
        adjusted_for=run.adjusted_for,
    )
    return CapabilityStudy(
        settings=settings,
        rates=rates,
        ranking=ranking,
        consistency=consistency_table,
        benchmark=benchmark,
        benchmark_suppressed=suppressed,
        scores=scores,
        basis=assessment_basis(scores, language),
        stage_performance=sp,
        facts=facts,
        profile=profile,
        comparison=comparison,
        gaps=gaps,
        links=links,
        team_scores=team_scores,
        rep_gaps=rg,
        focus=focus_reps(rg, exclude=benchmark),
        findings=findings,
        notes=notes,
        **_display(run, benchmark),
        model=run.model,
        rep_adjusted=(run.model.by_owner() if run.model is not None else pd.DataFrame()),
    )


def _consistency(run: _StepInputs) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Rep period rates, their ranking and the consistent-converter table."""
    data, config, settings, model, language = (
        run.data,
        run.config,
        run.settings,
        run.model,
        run.language,
    )
    rates = rep_period_rates(
        data.deals,
        data.stage_events,
        config,
        freq=settings["freq"],
        periods=settings["periods"],
        journey=run.journey,
        model=model,
    )
    ranking = rank_periods(
        rates, top_share=settings["top_share"], min_deals=settings["min_deals"], seed=run.seed
    )
    consistency_table = consistent_converters(
        ranking,
        rates=rates,
        top_k_of_n=settings["top_k_of_n"],
        min_probability=settings["min_probability"],
        seed=run.seed,
        periods=settings["periods"],
        top_share=settings["top_share"],
        min_deals=settings["min_deals"],
        language=language,
        mix_reasons=(
            (lambda who: mix_reasons(model, config, language=language, owners=who))
            if model is not None
            else None
        ),
    )
    return rates, ranking, consistency_table


def _period_notes(run: _StepInputs, ranking: pd.DataFrame) -> list[str]:
    """The deal-mix model's notes, and one when fewer periods exist than the rule needs."""
    notes: list[str] = []
    if run.model is not None:
        notes.extend(run.model.notes)
    available = ranking["period"].nunique() if len(ranking) else 0
    k = run.settings["top_k_of_n"]
    if available < k:
        notes.append(t("cap_too_few_periods", run.language, available=available, k=k))
    return notes


def _profile(
    run: _StepInputs, scores: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stage performance, deal facts and the rep profile that joins them with ``scores``."""
    data, config, j, model = run.data, run.config, run.journey, run.model
    sp = rep_stage_performance(data.deals, data.stage_events, config, journey=j, model=model)
    facts = deal_facts(
        j.deals,
        config,
        stage_events=data.stage_events,
        activities=data.activities,
        outcomes=data.outcomes,
        reps=data.reps,
        as_of=j.as_of,
        expected_won=expected_wins(model, j.status, aligned=True) if model is not None else None,
    )
    return sp, facts, rep_profile(sp, scores=scores, facts=facts)


def _benchmark_suppressed(benchmark: list[str], profile: pd.DataFrame, mgs: int) -> bool:
    """Whether the benchmark group (or the rest) is too small to show."""
    reps_total = profile["owner_id"].nunique() if len(profile) else 0
    return bool(benchmark) and not _split_sizes(len(benchmark), reps_total - len(benchmark), mgs)[0]


def _benchmark_notes(run: _StepInputs, benchmark: list[str], suppressed: bool) -> list[str]:
    """Notes when the benchmark group is hidden or empty."""
    notes = []
    if suppressed:
        notes.append(
            t("cap_benchmark_suppressed", run.language, k=len(benchmark), min=run.min_group_size)
        )
    if not benchmark:
        notes.append(t("cap_no_benchmark", run.language))
    return notes


def _display(run: _StepInputs, benchmark: list[str]) -> dict[str, Any]:
    """Competency labels, the assessment scale and what a hidden group value says."""
    config, language = run.config, run.language
    return {
        "dimension_labels": {
            d.id: (d.label_zh if language == "zh" else d.label_en)
            for d in config.capability.dimensions
        },
        "scale": (float(config.capability.scale_min), float(config.capability.scale_max)),
        "suppressed_label": (
            t("cap_suppressed_note", language, min=run.min_group_size)
            if benchmark
            else t("cap_no_benchmark_short", language)
        ),
    }

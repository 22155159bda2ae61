"""Step 3, handoffs and SLAs: marketing → sales → customer success.

Conversion is often lost between teams: leads wait days for a first call, proposal
reviews stall, customer success arrives after the signature. This module measures
those handoffs. The rules, applied the same way everywhere:

* **Analysis date** (``as_of``): the latest timestamp in deals, stage events and
  activities, unless given. Open deals are censored there, never failures.
* **First real sales contact**: the earliest activity of a contact type (call,
  meeting, demo) by the sales team (``team == "sales"``; where the team is missing,
  an actor listed in ``reps``). A missed call (``call_attempt``) is not a contact:
  attempts are counted separately. A contact logged before the lead was created
  counts as immediate (0 hours) and is flagged ``contact_before_created``. A lead
  that moved past the first stage before any logged contact was worked, so it counts
  as contacted when it moved (``contact_inferred``; left out where its real response
  time matters). A lead without contact is censored at its close or at ``as_of``.
* **Clocks**: ``hours`` is wall-clock time; ``business_hours`` follows the working
  calendar of ``pilot.yml`` (:class:`playbook.workspace.calendar.BusinessClock`: working week,
  office hours, holidays, make-up days 调休). SLAs are measured in business time;
  a business day is one day of office hours.
* **SLA states**: *met* (the next step came within the limit), *breached* (it came
  late, or has not come and the limit has passed), *pending* (not yet, still within
  the limit) and *ended* (the deal closed within the limit without the step).
  Compliance = met / (met + breached), with a Wilson interval; pending and ended
  deals are left out. An *overdue* breach is one on an open deal still waiting:
  those become alerts.
* **Credible differences**: slices (team, source, rep) are compared with the rest
  of the company by one-sided tests with Benjamini–Hochberg adjustment across all
  slices compared, as for stage-rate bottlenecks (:mod:`playbook.steps.stages`). Time to
  first contact uses a log-rank test (censoring-aware) computed for every slice in
  one pass (:func:`logrank_vs_rest`).
* **Teams** come from ``reps``; teams with fewer than ``min_group_size`` reps are
  pooled, so no team figure describes fewer people than that.

Every function is pure (frames in, frames out). :func:`analyse` runs the whole step
once and returns a :class:`HandoffAnalysis` for the notebook.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook.findings import Finding, rank
from playbook.stats import km_quantiles, wilson_interval
from playbook.steps.adjust import fit_mix_model
from playbook.steps.handoff.alerts import alerts
from playbook.steps.handoff.base import (
    ATTEMPT_TYPES,
    CONTACT_TYPES,
    KICKOFF_TYPES,
    RESPONSE_DIMENSIONS,
    _language,
    _num,
    _pct,
    _t,
    analysis_date,
    deal_teams,
    safe_teams,
)
from playbook.steps.handoff.contacts import (
    contact_curves,
    deal_frame,
    first_contacts,
    response_times,
)
from playbook.steps.handoff.customer_success import cs_handoff, cs_view
from playbook.steps.handoff.findings import (
    SLICE_COLUMNS,
    find_slow_handoffs,
    logrank_vs_rest,
    slow_handoff_tests,
)
from playbook.steps.handoff.response import conversion_by_response, late_contact_cost, source_reach
from playbook.steps.handoff.sla import (
    breach_list,
    breaches_by_owner,
    sla_compliance,
    sla_events_known,
    sla_status,
)
from playbook.steps.handoff.sleeping import (
    SLEEPING_COLUMNS,
    find_sleeping_leads,
    sleeping_leads,
    sleeping_list,
    sleeping_rates,
)
from playbook.steps.handoff.views import findings_table, localise_values
from playbook.steps.journey import JourneyData
from playbook.steps.prepared import takes_pilot
from playbook.workspace.calendar import BusinessClock
from playbook.workspace.config import PilotConfig

logger = logging.getLogger(__name__)

__all__ = [
    "CONTACT_TYPES",
    "ATTEMPT_TYPES",
    "KICKOFF_TYPES",
    "HandoffAnalysis",
    "analysis_date",
    "deal_teams",
    "safe_teams",
    "deal_frame",
    "first_contacts",
    "response_times",
    "contact_curves",
    "sla_events_known",
    "sla_status",
    "sla_compliance",
    "breaches_by_owner",
    "breach_list",
    "sleeping_leads",
    "sleeping_rates",
    "sleeping_list",
    "conversion_by_response",
    "late_contact_cost",
    "source_reach",
    "cs_handoff",
    "cs_view",
    "logrank_vs_rest",
    "slow_handoff_tests",
    "find_slow_handoffs",
    "find_sleeping_leads",
    "alerts",
    "findings_table",
    "localise_values",
    "analyse",
]


# --- first contact ---------------------------------------------------------------------------


# --- sleeping leads --------------------------------------------------------------------------


# --- what slowness costs ---------------------------------------------------------------------


# --- lead quality back to marketing ----------------------------------------------------------


# --- alerts and display ----------------------------------------------------------------------


# --- the whole step --------------------------------------------------------------------------


@dataclass
class HandoffAnalysis:
    """Everything step 3 shows, computed once by :func:`analyse`.

    Frames are empty (with their columns) when the table they need is missing; ``notes``
    then says what could not be measured and why. ``measured`` tells which parts ran.
    """

    as_of: pd.Timestamp
    language: str
    measured: dict[str, bool]
    contacts: pd.DataFrame
    response: pd.DataFrame
    response_by_owner: pd.DataFrame
    curves: pd.DataFrame
    sla: pd.DataFrame
    compliance: pd.DataFrame
    compliance_by_team: pd.DataFrame
    breaches: pd.DataFrame
    owner_breaches: pd.DataFrame
    sleeping: pd.DataFrame
    sleeping_by_team: pd.DataFrame
    sleeping_by_owner: pd.DataFrame
    sleeping_top: pd.DataFrame
    conversion: pd.DataFrame
    cost: dict
    cost_text: str
    sources: pd.DataFrame
    cs: pd.DataFrame
    cs_table: pd.DataFrame
    slices: pd.DataFrame
    findings: list[Finding]
    findings_table: pd.DataFrame
    alerts: pd.DataFrame
    kpis: dict[str, dict]
    intro: str = ""
    notes: list[tuple[str, str]] = field(default_factory=list)
    sla_labels: dict[str, str] = field(default_factory=dict)
    highlight: list[str] = field(default_factory=list)


def _share_kpi(successes: float, n: float) -> dict:
    lo, hi = wilson_interval(successes, n) if n else (None, None)
    return {
        "value": successes / n if n else None,
        "n": int(n),
        "ci_low": lo,
        "ci_high": hi,
        "unit": "share",
    }


@dataclass(frozen=True)
class _StepInputs:
    """The tables and settings every part of step 3 reads, as :func:`analyse` resolved them
    (``activities`` is None when missing or empty)."""

    j: JourneyData
    config: PilotConfig
    stage_events: pd.DataFrame
    activities: pd.DataFrame | None
    reps: pd.DataFrame | None
    outcomes: pd.DataFrame | None
    as_of: object
    language: str
    other_label: str
    alpha: float

    @property
    def has_acts(self) -> bool:
        return self.activities is not None

    @property
    def has_reps(self) -> bool:
        reps = self.reps
        return reps is not None and "team" in reps.columns and reps["team"].notna().any()


def _missing_table_notes(inp: _StepInputs) -> list[tuple[str, str]]:
    """What the step cannot measure with the tables it was given, one sentence each."""
    language = inp.language
    notes: list[tuple[str, str]] = []
    if not inp.has_acts:
        notes.append(("warn", _t("handoff_no_activities", language)))
    if not inp.has_reps:
        notes.append(("warn", _t("handoff_no_reps", language)))
    if inp.outcomes is None or not len(inp.outcomes):
        notes.append(("warn", _t("handoff_no_outcomes", language)))
    if "proposal" not in inp.j.stage_ids:
        notes.append(("note", _t("handoff_no_proposal_stage", language)))
    for name, event, known in sla_events_known(inp.config, inp.activities):
        notes.append(
            ("warn", _t("handoff_sla_unknown_event", language, name=name, event=event, known=known))
        )
    return notes


def _contact_notes(
    contacts: pd.DataFrame,
    activities: pd.DataFrame,
    d: pd.DataFrame,
    contacted_any: bool,
    language: str,
) -> list[tuple[str, str]]:
    """What first contact rests on here: missing contact types, inferred or early contacts."""

    def share_note(key: str, n: int) -> tuple[str, str]:
        return ("note", _t(key, language, n=f"{n:,}", share=_pct(n / max(len(d), 1))))

    notes: list[tuple[str, str]] = []
    if not contacted_any:
        types = ", ".join(sorted({str(x) for x in pd.unique(activities["type"].dropna())}))
        notes.append(
            (
                "warn",
                _t(
                    "handoff_no_contacts",
                    language,
                    types=", ".join(CONTACT_TYPES),
                    found=types or "–",
                ),
            )
        )
    if "team" not in activities.columns:
        notes.append(("note", _t("handoff_no_team_column", language)))
    inferred = int(contacts["contact_inferred"].sum())
    if inferred:
        notes.append(share_note("handoff_contact_inferred", inferred))
    before = int(contacts["contact_before_created"].sum())
    if before:
        notes.append(("note", _t("handoff_contact_before_created", language, n=f"{before:,}")))
    silent = int(
        (~pd.Index(d["deal_id"]).isin(pd.Index(activities["deal_id"].astype(object)))).sum()
    )
    if silent:
        notes.append(share_note("handoff_deals_without_activity", silent))
    return notes


def _lead_contacts(inp: _StepInputs, notes: list[tuple[str, str]]) -> tuple[pd.DataFrame, bool]:
    """Each lead's first contact (its deal frame alone without activities), and whether any
    lead had a logged contact; what the contacts rest on is added to ``notes``."""
    d = inp.j.deals
    if not inp.has_acts:
        return deal_frame(d, inp.config, inp.reps, other_label=inp.other_label), False
    contacts = first_contacts(
        d,
        inp.activities,
        inp.config,
        inp.reps,
        as_of=inp.as_of,
        other_label=inp.other_label,
        journey=inp.j,
    )
    contacted_any = bool((contacts["contacted"] & ~contacts["contact_inferred"]).any())
    notes.extend(_contact_notes(contacts, inp.activities, d, contacted_any, inp.language))
    return contacts, contacted_any


def _sla_table(inp: _StepInputs, contacts: pd.DataFrame, contacted_any: bool) -> pd.DataFrame:
    """Every SLA's state per deal, team views pooled below the minimum group size."""
    sla_base = contacts if contacted_any else contacts.drop(columns="contacted", errors="ignore")
    # Each team view counts the people behind its own rows (open deals, an SLA's deals).
    return safe_teams(
        sla_status(sla_base, inp.config, inp.j, inp.activities),
        inp.config.min_group_size,
        inp.other_label,
        within="sla",
    )


def _speed_views(inp: _StepInputs, contacts: pd.DataFrame, contacted_any: bool):
    """Response times, contact curves, the value of speed and the slow-handoff findings."""
    j, config, alpha = inp.j, inp.config, inp.alpha
    if contacted_any:
        response = response_times(contacts, RESPONSE_DIMENSIONS)
        by_owner = response_times(contacts, ["owner_id"])
        curves = contact_curves(contacts, "team" if inp.has_reps else "source")
        conversion = conversion_by_response(contacts, j, config)
        cost = late_contact_cost(contacts, j, config)
        model = fit_mix_model(j, config, stages=j.stage_ids[:1])
        model = model if model.adjusted_for else None
        slices = slow_handoff_tests(contacts, j, config, alpha=alpha, model=model)
        slow = find_slow_handoffs(
            contacts, j, config, alpha=alpha, language=inp.language, tests=slices, model=model
        )
    else:
        empty = contacts.iloc[:0].assign(contacted=False, business_hours=0.0, hours=0.0, attempts=0)
        response = by_owner = response_times(empty, [])
        curves = contact_curves(empty)
        conversion = pd.DataFrame(columns=["bucket", "n", "rate", "ci_low", "ci_high"])
        cost, slices, slow = {}, pd.DataFrame(columns=SLICE_COLUMNS), []
    return response, by_owner, curves, conversion, cost, slices, slow


def _sleeping_views(inp: _StepInputs) -> tuple[pd.DataFrame, list[Finding]]:
    """Sleeping leads (team views pooled below the minimum group size) and their findings."""
    if not inp.has_acts:
        return pd.DataFrame(columns=SLEEPING_COLUMNS), []
    config = inp.config
    leads = sleeping_leads(
        inp.j.deals,
        inp.stage_events,
        inp.activities,
        config,
        inp.reps,
        journey=inp.j,
        other_label=inp.other_label,
    )
    sleeping = safe_teams(leads, config.min_group_size, inp.other_label)
    return sleeping, find_sleeping_leads(sleeping, config, alpha=inp.alpha, language=inp.language)


def _cost_text(cost: dict, config: PilotConfig, contacted_any: bool, language: str) -> str:
    """The sentence on what late first contact costs, in leads and money where amounts exist."""
    if not (cost and np.isfinite(cost.get("lost_leads", np.nan))):
        return _t("handoff_cost_unknown" if contacted_any else "handoff_no_data", language)
    rates = {
        "sla": _num(config.sla.first_contact_hours),
        "within": _pct(cost["within_rate"]),
        "within_n": f"{cost['within_n']:,}",
        "late": _pct(cost["late_rate"]),
        "late_n": f"{cost['late_n']:,}",
        "lost": f"{cost['lost_leads']:,.0f}",
    }
    if not np.isfinite(cost["lost_amount"]):
        return _t("handoff_cost_no_amounts", language, won=f"{cost['lost_won']:,.1f}", **rates)
    currency = f" {config.currency}" if config.currency else ""
    return _t("handoff_cost", language, amount=f"{cost['lost_amount']:,.0f}{currency}", **rates)


def _handoff_kpis(
    compliance, contacts, cost: dict, sleeping, contacted_any: bool, has_acts: bool
) -> dict[str, dict]:
    """Step 3's KPIs for summary.json: SLA compliance, median first contact, sleeping share."""
    kpis: dict[str, dict] = {}
    for name, key in (("first_contact", "first_contact_sla"), ("proposal_review", "proposal_sla")):
        row = compliance[compliance["sla"].astype(str) == name]
        if len(row) and row["n"].iloc[0] > 0:
            kpis[key] = _share_kpi(float(row["met"].iloc[0]), float(row["n"].iloc[0]))
    if contacted_any:
        med = km_quantiles(contacts["business_hours"], contacts["contacted"], q=(0.5,))[0, 0]
        kpis["first_contact_median_business_hours"] = {
            "value": None if np.isnan(med) else float(med),
            "n": int(len(contacts)),
            "unit": "hours",
        }
        if np.isfinite(cost.get("lost_leads", np.nan)):
            kpis["late_contact_lost_leads"] = {
                "value": cost["lost_leads"],
                "n": int(cost["late_n"]),
                "unit": "deals",
            }
    if has_acts and len(sleeping):
        kpis["sleeping_share"] = _share_kpi(float(sleeping["sleeping"].sum()), float(len(sleeping)))
    return kpis


def _sla_labels(sla: pd.DataFrame, language: str) -> dict[str, str]:
    """Display name of each SLA: the two built-in ones translated, custom ones as named."""
    return {
        str(s): _t(f"handoff_sla_{s}", language)
        if str(s) in ("first_contact", "proposal_review")
        else str(s)
        for s in (sla["sla"].cat.categories if len(sla) else [])
    }


def _intro(j: JourneyData, config: PilotConfig, language: str) -> str:
    return _t(
        "handoff_measured_as_of",
        language,
        as_of=f"{j.as_of:%Y-%m-%d %H:%M}",
        hours=_num(BusinessClock.from_config(config.calendar).hours_per_day),
    )


@takes_pilot
def analyse(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    activities: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    *,
    language: str | None = None,
    as_of=None,
    other_label: str = "other teams",
    alpha: float = 0.05,
) -> HandoffAnalysis:
    """Run step 3 on a dataset: first contact, SLAs, sleeping leads, cost, sources, CS.

    Missing optional tables never raise: ``activities`` missing leaves out first contact,
    the first-contact SLA, activity-based custom SLAs, sleeping leads and the response-time
    views; ``outcomes`` missing leaves out go-live, delay, complaint, renewal and upsell;
    ``reps`` missing leaves out the team views. Each gap is a sentence in ``notes``.

    Parameters
    ----------
    language : report language of notes, evidence and alerts; default ``config.language``.
    as_of : analysis date; default the latest timestamp in deals, stage events, activities.
    other_label : name of the pool of teams smaller than ``config.min_group_size``.
    alpha : false discovery rate of the findings.

    Returns
    -------
    HandoffAnalysis
    """
    from playbook.steps.journey import prepare

    language = _language(language, config)
    if activities is not None and not len(activities):
        activities = None
    if as_of is None:
        as_of = analysis_date(deals, stage_events, activities)
    j = prepare(deals, stage_events, config, as_of=as_of)
    inp = _StepInputs(
        j, config, stage_events, activities, reps, outcomes, as_of, language, other_label, alpha
    )
    notes = _missing_table_notes(inp)
    contacts, contacted_any = _lead_contacts(inp, notes)
    sla = _sla_table(inp, contacts, contacted_any)
    compliance = sla_compliance(sla)
    response, by_owner, curves, conversion, cost, slices, slow = _speed_views(
        inp, contacts, contacted_any
    )
    sleeping, sleep_findings = _sleeping_views(inp)
    findings = rank([*slow, *sleep_findings])
    cs = cs_handoff(j.deals, config, activities, outcomes, as_of=as_of)
    logger.info(
        "handoffs as of %s: %d leads, %d SLA rows, %d findings",
        j.as_of,
        len(contacts),
        len(sla),
        len(findings),
    )
    return HandoffAnalysis(
        as_of=j.as_of,
        language=language,
        measured={
            "first_contact": contacted_any,
            "sleeping": inp.has_acts,
            "teams": inp.has_reps,
            "outcomes": outcomes is not None and len(outcomes) > 0,
        },
        contacts=contacts,
        response=response,
        response_by_owner=by_owner,
        curves=curves,
        sla=sla,
        compliance=compliance,
        compliance_by_team=sla_compliance(sla, "team"),
        breaches=breach_list(sla),
        owner_breaches=breaches_by_owner(sla),
        sleeping=sleeping,
        sleeping_by_team=sleeping_rates(sleeping, "team"),
        sleeping_by_owner=sleeping_rates(sleeping, "owner_id"),
        sleeping_top=sleeping_list(sleeping) if len(sleeping) else sleeping,
        conversion=conversion,
        cost=cost,
        cost_text=_cost_text(cost, config, contacted_any, language),
        sources=source_reach(j, "source"),
        cs=cs,
        cs_table=cs_view(cs, language),
        slices=slices,
        findings=findings,
        findings_table=findings_table(findings),
        alerts=alerts(sla, sleeping, config, language),
        kpis=_handoff_kpis(compliance, contacts, cost, sleeping, contacted_any, inp.has_acts),
        intro=_intro(j, config, language),
        notes=notes,
        sla_labels=_sla_labels(sla, language),
        highlight=[f.value for f in slow if f.dimension == "team"],
    )

"""Alerts: what to act on now, each with its owner, deal, reason and suggested action.

High-score leads not contacted within the first-contact SLA, open deals stalled far beyond
their stage's typical dwell, engagement rising on a dormant deal, and won customers with
implementation complaints approaching renewal. Part of step 6 (:mod:`playbook.steps.scoring`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from playbook.i18n import t
from playbook.stats import format_probability
from playbook.steps.prepared import takes_pilot
from playbook.steps.scoring.features import CONTACT_TYPES
from playbook.steps.scoring.fitted import ScoringModel
from playbook.steps.scoring.options import ScoringSettings, settings

logger = logging.getLogger(__name__)

# --- alerts --------------------------------------------------------------------------------

ALERT_COLUMNS = ["kind", "severity", "owner_id", "deal_id", "reason", "action"]


@dataclass(frozen=True)
class AlertContext:
    """What every alert rule reads: the prepared journey, owners, settings and language.

    Attributes
    ----------
    deals, stage_events, config : the tables and config :func:`find_alerts` was given.
    journey : their :func:`playbook.steps.journey.prepare` result.
    settings : the scoring settings (stall factor, dormancy, renewal window).
    language : the language of the reasons and actions.
    journey_deals, owner : derived from ``journey`` on first use (see below).
    """

    deals: pd.DataFrame
    stage_events: pd.DataFrame
    config: Any
    journey: Any
    settings: ScoringSettings
    language: str

    @property
    def now(self) -> pd.Timestamp:
        return self.journey.as_of

    @cached_property
    def journey_deals(self) -> pd.DataFrame:
        """The journey's deals, every status (``deal_id``, ``status``, ``created_at``, ...),
        with a fresh index."""
        return self.journey.deals.reset_index(drop=True)

    @cached_property
    def owner(self) -> dict:
        """Deal id -> owner id (empty when deals have no ``owner_id``)."""
        d = self.journey_deals
        return dict(zip(d["deal_id"], d["owner_id"], strict=True)) if "owner_id" in d else {}


@takes_pilot
def find_alerts(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    activities: pd.DataFrame | None,
    outcomes: pd.DataFrame | None,
    config: Any,
    scores: pd.DataFrame | None = None,
    *,
    as_of: Any = None,
    language: str | None = None,
    scoring: ScoringSettings | None = None,
    journey: Any = None,
) -> pd.DataFrame:
    """Alerts that need someone to act now, each with owner, deal, reason and action.

    Kinds:

    ``uncontacted_lead``
        an open deal still at the first stage, older than ``sla.first_contact_hours``
        (clock hours), never contacted (:data:`CONTACT_TYPES` by sales), whose
        ``potential`` is high (needs ``scores``). Severity 3 when older than 3x the SLA.
    ``stalled_deal``
        an open deal in its current stage for longer than ``stall_factor`` x the stage's
        90th-percentile dwell (Kaplan–Meier, open deals censored; the stage's
        ``window_days`` when the curve does not reach 90%). Severity 3 from proposal on.
    ``engagement_rising``
        an open deal with no activity for ``dormant_days`` before the last
        ``recent_days``, and at least two activities within them. Severity 2.
    ``renewal_risk``
        a won customer with complaints (or a delayed go-live) whose renewal is due within
        ``renewal_days`` and not yet recorded. Severity 3 with two or more complaints.

    Parameters
    ----------
    scores : :func:`score_deals` result (needed for the uncontacted-lead alert).
    journey : a :func:`playbook.steps.journey.prepare` result for the same tables (saves time).

    Returns
    -------
    DataFrame
        ``kind | severity | owner_id | deal_id | reason | action``, most severe first.
    """
    from playbook.steps.journey import resolve

    ctx = AlertContext(
        deals=deals,
        stage_events=stage_events,
        config=config,
        journey=resolve(deals, stage_events, config, as_of, journey),
        settings=scoring or settings(config),
        language=language or config.language,
    )
    found = [
        _uncontacted_leads(ctx, scores, activities),
        _stalled_deals(ctx),
        _engagement_rising(ctx, activities),
        _renewal_risks(ctx, outcomes),
    ]
    frames = [f for f in found if f is not None]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ALERT_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(
        ["severity", "kind", "deal_id"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)


def _uncontacted_leads(
    ctx: AlertContext, scores: pd.DataFrame | None, activities: pd.DataFrame | None
) -> pd.DataFrame | None:
    """High-potential leads still at the first stage, never contacted within the SLA."""
    if scores is None or activities is None or not len(scores):
        return None
    d, lang = ctx.journey_deals, ctx.language
    sla = float(ctx.config.sla.first_contact_hours)
    s = scores.merge(d[["deal_id", "created_at"]], on="deal_id", how="left", suffixes=("", "_d"))
    first_stage = ctx.journey.end_stage[pd.Index(d["deal_id"]).get_indexer(s["deal_id"])] == 0
    age_h = (ctx.now - pd.to_datetime(s["created_at"])).dt.total_seconds() / 3600
    contacted = s["deal_id"].isin(_last_contact(d, activities).index)
    hit = s[first_stage & (age_h > sla).to_numpy() & ~contacted.to_numpy() & s["high"]]
    if not len(hit):
        return None
    hours = age_h[hit.index]
    reasons = [
        t(
            "alert_uncontacted",
            lang,
            score=format_probability(p),
            hours=f"{h:.0f}",
            sla=f"{sla:g}",
        )
        for p, h in zip(hit["potential"], hours, strict=True)
    ]
    severity = np.where(hours > 3 * sla, 3, 2)
    action = t("action_uncontacted", lang)
    return _alerts("uncontacted_lead", severity, hit["deal_id"], ctx.owner, reasons, action)


def _stalled_deals(ctx: AlertContext) -> pd.DataFrame | None:
    """Open deals in their stage for far longer than the stage's usual (p90) dwell."""
    from playbook.steps.journey import deal_stages, stage_monitor

    j, config, lang = ctx.journey, ctx.config, ctx.language
    monitor = stage_monitor(ctx.deals, ctx.stage_events, config, journey=j)
    p90 = monitor["p90_dwell_days"].to_numpy(dtype=float)
    p90 = np.where(np.isnan(p90), j.windows, p90)
    limit = ctx.settings.stall_factor * p90
    ds = deal_stages(ctx.deals, ctx.stage_events, config, journey=j)
    cur = ds[(ds["outcome"] == "open") & ds["visited"]]
    code = cur["stage"].cat.codes.to_numpy()
    dwell = cur["dwell_days"].to_numpy(dtype=float)
    stalled = dwell > limit[code]
    if not stalled.any():
        return None
    sc, sd = code[stalled], dwell[stalled]
    labels = [config.stage_label(j.stage_ids[k], lang) for k in sc]
    reasons = [
        t("alert_stalled", lang, stage=lab, days=f"{x:.0f}", p90=f"{p90[k]:.0f}")
        for lab, x, k in zip(labels, sd, sc, strict=True)
    ]
    severity = np.where(sc >= 2, 3, 2)
    action = t("action_stalled", lang)
    return _alerts("stalled_deal", severity, cur["deal_id"][stalled], ctx.owner, reasons, action)


def _engagement_rising(ctx: AlertContext, activities: pd.DataFrame | None) -> pd.DataFrame | None:
    """Open deals quiet for ``dormant_days`` that had two or more activities lately."""
    if activities is None or not len(activities):
        return None
    cfg, d, now = ctx.settings, ctx.journey_deals, ctx.now
    dormant = cfg.dormant_days or float(ctx.config.sleeping_lead_days)
    recent_start = now - pd.Timedelta(days=cfg.recent_days)
    quiet_start = recent_start - pd.Timedelta(days=dormant)
    is_open = d["status"].astype(object) == "open"
    a = activities[activities["deal_id"].isin(d.loc[is_open, "deal_id"])]
    at = pd.to_datetime(a["at"])
    key = a["deal_id"].astype(object)
    recent = (at > recent_start) & (at <= now)
    n_recent = recent.groupby(key.to_numpy()).sum()
    before = at <= recent_start
    last_before = at[before].groupby(key[before].to_numpy()).max()
    created = d.set_index("deal_id")["created_at"]
    cand = n_recent[n_recent >= 2].index
    lb = last_before.reindex(cand)
    start = pd.to_datetime(created.reindex(cand))
    quiet = lb.fillna(start) <= quiet_start
    quiet &= start <= quiet_start
    hit = cand[quiet.to_numpy()]
    if not len(hit):
        return None
    gap = (recent_start - lb.reindex(hit).fillna(start.reindex(hit))).dt.days
    reasons = [
        t(
            "alert_engagement",
            ctx.language,
            n=int(n_recent[h]),
            days=int(g),
            recent=f"{cfg.recent_days:g}",
        )
        for h, g in zip(hit, gap, strict=True)
    ]
    severity = np.full(len(hit), 2)
    action = t("action_engagement", ctx.language)
    return _alerts("engagement_rising", severity, pd.Series(hit), ctx.owner, reasons, action)


def _renewal_risks(ctx: AlertContext, outcomes: pd.DataFrame | None) -> pd.DataFrame | None:
    """Won customers with complaints or a delayed go-live whose renewal is due soon."""
    if outcomes is None or not len(outcomes) or "renewal_at" not in outcomes:
        return None
    o, now, lang = outcomes, ctx.now, ctx.language
    due = pd.to_datetime(o["renewal_at"])
    complaints = pd.to_numeric(o.get("complaints"), errors="coerce").fillna(0)
    delayed = o["delayed"].fillna(False).astype(bool) if "delayed" in o else False
    renewed = o["renewed"] if "renewed" in o else pd.Series(pd.NA, index=o.index)
    window = (due >= now) & (due <= now + pd.Timedelta(days=ctx.settings.renewal_days))
    hit = o[window & renewed.isna() & ((complaints > 0) | delayed)]
    if not len(hit):
        return None
    when = due[hit.index]
    late = delayed[hit.index] if isinstance(delayed, pd.Series) else [False] * len(hit)
    reasons = [
        t(
            "alert_renewal",
            lang,
            complaints=int(k),
            days=int((w - now).days),
            date=f"{w:%Y-%m-%d}",
            delayed=t("alert_delayed_yes" if dl else "alert_delayed_no", lang),
        )
        for k, w, dl in zip(complaints[hit.index], when, late, strict=True)
    ]
    severity = np.where(complaints[hit.index] >= 2, 3, 2)
    action = t("action_renewal", lang)
    return _alerts("renewal_risk", severity, hit["deal_id"], ctx.owner, reasons, action)


def _last_contact(deals: pd.DataFrame, activities: pd.DataFrame | None) -> pd.Series:
    """Deal id -> time of the last real sales contact (any time)."""
    if activities is None or not len(activities):
        return pd.Series(dtype="datetime64[ns]")
    real = activities["type"].astype(object).isin(CONTACT_TYPES)
    if "team" in activities:
        real &= activities["team"].astype(object) == "sales"
    a = activities[real]
    return pd.to_datetime(a["at"]).groupby(a["deal_id"].astype(object).to_numpy()).max()


def _alerts(kind, severity, deal_ids, owner, reasons, action) -> pd.DataFrame:
    ids = pd.Series(deal_ids).astype(object).to_numpy()
    return pd.DataFrame(
        {
            "kind": kind,
            "severity": np.asarray(severity, dtype=np.int64),
            "owner_id": [owner.get(i) for i in ids],
            "deal_id": ids,
            "reason": list(reasons),
            "action": action,
        }
    )


def priorities(
    scores: pd.DataFrame, alerts: pd.DataFrame | None = None, n: int = 25
) -> pd.DataFrame:
    """The open deals to work first: highest potential, stalled deals left out.

    Stalled deals (a ``stalled_deal`` alert) are listed among the alerts instead: their
    lead score says little about a deal that has sat in a stage for months.

    Returns
    -------
    DataFrame
        ``deal_id | owner_id | lead_source | stage | age_days | score_now | potential``, at
        most ``n``.
    """
    out = scores
    if alerts is not None and len(alerts):
        stalled = alerts.loc[alerts["kind"] == "stalled_deal", "deal_id"]
        out = out[~out["deal_id"].isin(stalled)]
    columns = ["deal_id", "owner_id", "lead_source", "stage", "age_days", "score_now", "potential"]
    return out[columns].head(n).reset_index(drop=True)


def alert_summary(alerts: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """Alerts per kind: how many, how many critical (severity 3).

    Returns
    -------
    DataFrame
        ``kind | alerts | critical``; ``kind`` is the alert's name in ``language``.
    """
    kinds = ["uncontacted_lead", "stalled_deal", "engagement_rising", "renewal_risk"]
    counts = alerts["kind"].value_counts() if len(alerts) else pd.Series(dtype=int)
    critical = alerts.loc[alerts["severity"] == 3, "kind"].value_counts() if len(alerts) else counts
    return pd.DataFrame(
        {
            "kind": [t(f"alert_kind_{k}", language) for k in kinds],
            "alerts": [int(counts.get(k, 0)) for k in kinds],
            "critical": [int(critical.get(k, 0)) for k in kinds],
        }
    )


def scoring_kpis(model: ScoringModel, scores: pd.DataFrame, alerts: pd.DataFrame) -> dict:
    """KPIs of the step: held-out AUC (when a model was evaluated), high-potential open leads.

    Returns
    -------
    dict
        name -> {value, n, ci_low, ci_high, unit}, for ``StepReport.record_kpis``.
    """
    out: dict[str, dict] = {}
    if model.auc_:
        out["scoring_auc"] = {
            "value": model.auc_["model"],
            "n": model.auc_["n_test"],
            "ci_low": model.auc_["model_low"],
            "ci_high": model.auc_["model_high"],
            "unit": "auc",
        }
    out["open_high_potential"] = {
        "value": int(scores["high"].sum()) if len(scores) else 0,
        "n": len(scores),
        "unit": "deals",
    }
    out["scoring_alerts"] = {"value": len(alerts), "n": len(alerts), "unit": "alerts"}
    return out

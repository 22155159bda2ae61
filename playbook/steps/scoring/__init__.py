"""Step 6, lead scoring and alerts: which open leads to work first, what needs attention now.

The model answers one question: *will this deal be won?*, asked ``early_days`` after
the deal was created, from what was known by then and nothing later:

* deal attributes fixed at creation (:data:`ATTRIBUTES` and extra deal columns, numbers
  read as numbers, that pass the leakage checks of :func:`feature_audit`);
* activity counts up to the snapshot (:data:`ACTIVITY_FEATURES`): marketing touches
  before creation, sales touches, meetings, whether and how fast a real contact
  happened in the first ``early_days``.

Never used: status, closed_at, lost_reason, stages, activities after the snapshot,
outcomes, and any column that behaves like them (filled mostly once a deal closes,
named as measured after contact, or separating won from lost far better than anything
else). :func:`feature_audit` (:mod:`playbook.steps.scoring.audit`) lists every column with the
reason it is used or not.

Training deals are those of *mature* cohorts still open at their snapshot
(:mod:`playbook.steps.scoring.window`); the label is "won". The split is by time (older deals
train, newer deals test). Logistic regression and gradient boosting are compared on the
held-out deals (:mod:`playbook.steps.scoring.models`); the chosen one is compared with a
baseline, the source's historical win rate, by AUC with DeLong intervals; when it is not
significantly better, or when the history is too thin to fit it, scores come from the
baseline and the report says why.

:func:`save_model` / :func:`load_model` are the only I/O here; :func:`score_workspace`
is what ``playbook score WS --model PATH`` calls.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from playbook.i18n import t
from playbook.stats import fit_beta_prior, shrink_rates, wilson_interval
from playbook.steps.scoring.audit import ATTRIBUTES, NEVER, feature_audit, include_warnings
from playbook.steps.scoring.features import (
    ACTIVITY_FEATURES,
    CONTACT_TYPES,
    MISSING,
    build_features,
)
from playbook.steps.scoring.models import (
    CandidateFit,
    calibration,
    candidate_kinds,
    delong,
    fit_candidates,
    importance,
    lift,
    paired_test,
    pick,
)
from playbook.steps.scoring.window import data_end, history_window, thin_history, thin_message
from playbook.workspace.config import section_values

logger = logging.getLogger(__name__)

__all__ = [
    "ATTRIBUTES",
    "ACTIVITY_FEATURES",
    "AFTER_CREATION",
    "CONTACT_TYPES",
    "NEVER",
    "ScoringSettings",
    "ScoringModel",
    "settings",
    "feature_audit",
    "include_warnings",
    "build_features",
    "delong",
    "fit_scoring",
    "score_deals",
    "score_notes",
    "verdict",
    "lead_quality",
    "save_model",
    "load_model",
    "score_workspace",
]

#: Activity features that depend on how the lead is worked after creation (``potential``
#: replaces them with a typically worked lead's values).
AFTER_CREATION = ("sales_touches", "meetings", "contacted", "hours_to_contact")
MODEL_FILE = "lead_scoring.joblib"
#: Where :func:`save_model` puts the model, relative to the report folder.
MODEL_PATH = f"models/{MODEL_FILE}"


# --- settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringSettings:
    """Scoring settings (``scoring:`` in pilot.yml once the config has them).

    Attributes
    ----------
    early_days : days after creation at which a lead is scored (activity window).
    horizon_days : a cohort is mature (outcome known) this long after creation;
        None: the 90th percentile of won deals' cycle (30 to 365 days).
    model : "auto" (logistic regression unless gradient boosting is significantly better
        on the held-out deals), "logistic" (one-hot + L2 logistic regression) or "boosting".
    min_resolved, min_won : least mature deals and wins to fit a model at all.
    test_share : share of the newest mature deals held out for evaluation.
    include : deal columns to use even when the audit would leave them out (the page
        then warns and repeats the audit's evidence).
    exclude : deal columns never to use.
    high_share : share of leads (by training score) that counts as "high score".
    stall_factor : an open deal is stalled after ``stall_factor`` x the stage's p90 dwell.
    dormant_days : days without activity that make an open deal dormant
        (None: ``config.sleeping_lead_days``).
    recent_days : window in which renewed engagement is looked for.
    renewal_days : renewals due within this many days are checked for complaints.
    """

    early_days: float = 3.0
    horizon_days: float | None = None
    model: Literal["auto", "logistic", "boosting"] = "auto"
    min_resolved: int = 300
    min_won: int = 30
    test_share: float = 0.25
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    high_share: float = 0.2
    stall_factor: float = 2.0
    dormant_days: float | None = None
    recent_days: float = 7.0
    renewal_days: float = 90.0


def settings(config: Any = None, **overrides: Any) -> ScoringSettings:
    """The scoring settings of ``config`` (``config.scoring`` when it exists), with defaults.

    Works before and after the config has a ``scoring`` section: missing settings take
    the defaults of :class:`ScoringSettings`; ``overrides`` win over both.
    """
    values = section_values(config, "scoring", {f.name for f in fields(ScoringSettings)}, overrides)
    for key in ("include", "exclude"):
        if key in values:
            values[key] = tuple(values[key] or ())
    out = ScoringSettings(**values)
    candidate_kinds(out.model)  # raises on an unknown model
    if not 0 < out.test_share < 1:
        raise ValueError(f"scoring.test_share must be between 0 and 1; got {out.test_share!r}")
    if out.early_days < 0:
        raise ValueError(f"scoring.early_days must be 0 or more; got {out.early_days!r}")
    return out


# --- the source baseline ---------------------------------------------------------------


def _baseline_table(source: pd.Series, y: np.ndarray) -> pd.DataFrame:
    """Win rate by source, shrunk towards the overall rate (empirical Bayes)."""
    keys = source.to_numpy(dtype=object)
    codes, uniques = pd.factorize(keys)
    n = np.bincount(codes, minlength=len(uniques)).astype(float)
    won = np.bincount(codes, weights=y.astype(float), minlength=len(uniques))
    rate = shrink_rates(won, n, fit_beta_prior(won, n))
    rate = np.where(np.isnan(rate), won.sum() / max(n.sum(), 1), rate)
    return pd.DataFrame({"source": uniques, "n": n.astype(np.int64), "rate": rate})


def _baseline_scores(table: pd.DataFrame, overall: float, source: pd.Series | None) -> np.ndarray:
    if source is None or table.empty:
        return np.full(0 if source is None else len(source), overall)
    mapping = dict(zip(table["source"], table["rate"], strict=True))
    return source.astype(object).map(mapping).fillna(overall).to_numpy(dtype=float)


# --- the model -----------------------------------------------------------------------------


@dataclass
class ScoringModel:
    """A fitted lead-scoring model, its evaluation and everything needed to score again.

    Attributes ending in ``_`` are results of :func:`fit_scoring`.
    """

    settings: ScoringSettings
    language: str = "en"
    columns_: tuple[str, ...] = ()
    activity_: bool = False
    pipeline_: Any = None
    chosen_: Literal["model", "baseline"] = "baseline"
    reason_: str = ""
    baseline_: pd.DataFrame = field(default_factory=pd.DataFrame)
    overall_rate_: float = float("nan")
    typical_: dict[str, float] = field(default_factory=dict)
    high_threshold_: float = float("nan")
    as_of_: pd.Timestamp | None = None
    horizon_days_: float = float("nan")
    test_start_: pd.Timestamp | None = None
    n_population_: int = 0
    n_won_: int = 0
    audit_: pd.DataFrame = field(default_factory=pd.DataFrame)
    metrics_: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration_: pd.DataFrame = field(default_factory=pd.DataFrame)
    lift_: pd.DataFrame = field(default_factory=pd.DataFrame)
    importance_: pd.DataFrame = field(default_factory=pd.DataFrame)
    auc_: dict[str, float] = field(default_factory=dict)
    versions_: dict[str, str] = field(default_factory=dict)
    #: Deal columns read as numbers (so a fresh export is typed as the training data was).
    numeric_: tuple[str, ...] = ()
    #: "logistic" or "boosting": the candidate picked on the held-out deals ("" before).
    kind_: str = ""
    #: Why no model was fitted (:func:`playbook.steps.scoring.window.thin_history`), or None.
    thin_: tuple[str, dict[str, Any]] | None = None

    @property
    def features_(self) -> list[str]:
        """Every input the model reads, in order."""
        return [*self.columns_, *(ACTIVITY_FEATURES if self.activity_ else ())]


def _versions() -> dict[str, str]:
    import sklearn

    from playbook import __version__

    return {"playbook": __version__, "scikit-learn": sklearn.__version__}


def fit_scoring(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame | None,
    activities: pd.DataFrame | None,
    config: Any = None,
    *,
    as_of: Any = None,
    language: str | None = None,
    scoring: ScoringSettings | None = None,
    seed: int = 0,
) -> ScoringModel:
    """Fit the candidates, pick one, evaluate it against the source baseline, and refit it.

    Parameters
    ----------
    deals, stage_events, activities : canonical tables (stage_events only set the data
        end; activities may be None).
    config : PilotConfig, optional; read for ``scoring`` settings and the language.
    as_of : datetime-like, optional; default the latest timestamp of deals and events.
    scoring : ScoringSettings, optional; default :func:`settings` of ``config``.

    Returns
    -------
    ScoringModel
        ``metrics_``: ``scorer | n | won | auc | auc_low | auc_high | p_delong | chosen``,
        one row per candidate (logistic regression, gradient boosting; the boosting row's
        ``p_delong`` tests it against logistic regression), then the source baseline and
        the difference chosen model − baseline, on the held-out period; ``calibration_``:
        ``bin | n | won | predicted | observed | ci_low | ci_high``; ``lift_``: ``scorer |
        decile | n | won | rate | lift_vs_random | cum_share_won | cum_share_random``;
        ``importance_``: ``feature | importance | std`` (drop in held-out AUC when the
        feature is shuffled); ``audit_``: see :func:`feature_audit`. ``chosen_`` is "model"
        only when the picked candidate's held-out AUC is significantly higher than the
        baseline's (one-sided DeLong p < 0.05); ``thin_`` says why no model was fitted.
    """
    cfg = scoring or settings(config)
    language = language or getattr(config, "language", "en")
    as_of = pd.Timestamp(as_of) if as_of is not None else data_end(deals, stage_events)
    model = ScoringModel(settings=cfg, language=language, as_of_=as_of, versions_=_versions())
    has_activity = activities is not None and len(activities) > 0
    window = history_window(
        deals,
        early_days=cfg.early_days,
        horizon_days=cfg.horizon_days,
        test_share=cfg.test_share,
        as_of=as_of,
    )
    model.horizon_days_ = window.horizon_days
    model.n_population_, model.n_won_ = window.counts["population"], window.counts["won"]
    train_rows = window.train_mask()
    model.audit_ = audit = feature_audit(
        deals,
        include=cfg.include,
        exclude=cfg.exclude,
        activities=has_activity,
        early_days=cfg.early_days,
        language=language,
        train=train_rows if train_rows.sum() >= 20 else None,
    )
    used = audit[audit["used"] & (audit["kind"] != "activity")]
    model.columns_ = tuple(used["feature"])
    model.numeric_ = tuple(used.loc[used["value_type"] == "numeric", "feature"])
    model.activity_ = has_activity
    X_all = build_features(
        deals,
        activities if has_activity else None,
        model.columns_,
        early_days=cfg.early_days,
        as_of=as_of,
        numeric=model.numeric_,
    )
    X = X_all[window.population].reset_index(drop=True)
    y = window.y
    source = X["source"] if "source" in X else None
    model.overall_rate_ = float(y.mean()) if len(y) else float("nan")
    if source is not None:
        model.baseline_ = _baseline_table(source, y)
    model.thin_ = thin_history(window, min_resolved=cfg.min_resolved, min_won=cfg.min_won)
    if model.thin_ is None and not model.columns_ and not has_activity:
        model.thin_ = ("no_features", {})
    if pd.notna(window.cut):
        model.test_start_ = pd.Timestamp(window.cut)
    if model.thin_ is not None:
        model.chosen_, model.reason_ = "baseline", "too_little"
        _set_threshold(model, X, source)
        logger.info("scoring: no model (%s); source baseline only", model.thin_[0])
        return model
    _evaluate(model, X, y, window.train, source, seed)
    _set_threshold(model, X, source)
    return model


def _evaluate(
    model: ScoringModel,
    X: pd.DataFrame,
    y: np.ndarray,
    train: np.ndarray,
    source: pd.Series | None,
    seed: int,
) -> None:
    """Fit the candidates on the training window, pick one, test it against the baseline."""
    cfg, language = model.settings, model.language
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    test = ~train
    fits = fit_candidates(X, y, train, candidate_kinds(cfg.model), numeric, seed)
    best = pick(fits)
    model.kind_ = best.kind
    base_train = _baseline_table(source[train], y[train]) if source is not None else None
    p_base = (
        _baseline_scores(base_train, float(y[train].mean()), source[test])
        if base_train is not None
        else np.full(test.sum(), float(y[train].mean()))
    )
    y_test = y[test]
    diff, p_diff = paired_test(y_test, best.held_out, p_base)
    model.metrics_ = _metrics_table(fits, best, y_test, p_base, p_diff, language)
    auc_base = float(model.metrics_["auc"].iloc[-2])
    model.auc_ = {
        "model": best.auc,
        "model_low": best.auc_low,
        "model_high": best.auc_high,
        "baseline": auc_base,
        "difference": diff,
        "p_value": p_diff,
        "n_test": int(test.sum()),
        "won_test": int(y_test.sum()),
    }
    model.calibration_ = calibration(y_test, best.held_out)
    model.lift_ = lift(
        y_test,
        {t("scorer_model", language): best.held_out, t("scorer_baseline", language): p_base},
        seed,
    )
    model.importance_ = importance(best.pipeline, X[test], y_test, seed)
    better = diff > 0 and p_diff < 0.05
    model.chosen_, model.reason_ = ("model", "better") if better else ("baseline", "not_better")
    if better:
        from sklearn.base import clone

        model.pipeline_ = clone(best.pipeline).fit(X, y)  # refit on every mature deal
        worked = X[X["contacted"] > 0] if "contacted" in X and (X["contacted"] > 0).any() else X
        model.typical_ = {c: float(worked[c].median()) for c in AFTER_CREATION if c in X}
    logger.info(
        "scoring: %s AUC %.3f vs baseline %.3f on %d held-out deals (p=%.3g); using %s",
        best.kind,
        best.auc,
        auc_base,
        int(test.sum()),
        p_diff,
        model.chosen_,
    )


def _metrics_table(
    fits: list[CandidateFit],
    best: CandidateFit,
    y_test: np.ndarray,
    p_base: np.ndarray,
    p_diff: float,
    language: str,
) -> pd.DataFrame:
    """One row per candidate, then the baseline and the chosen candidate − baseline."""
    from scipy import stats as _st

    z = _st.norm.ppf(0.975)
    auc, cov = delong(y_test, np.vstack([best.held_out, p_base]))
    se_base = float(np.sqrt(max(cov[1, 1], 0.0)))
    diff = float(auc[0] - auc[1])
    se_diff = float(np.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)))
    rows = [
        {
            "scorer": t(f"scorer_{fit.kind}", language),
            "auc": fit.auc,
            "auc_low": fit.auc_low,
            "auc_high": fit.auc_high,
            "p_delong": fit.p_vs_simpler,
            "chosen": fit is best,
        }
        for fit in fits
    ]
    a = float(auc[1])
    rows.append(
        {
            "scorer": t("scorer_baseline", language),
            "auc": a,
            "auc_low": max(a - z * se_base, 0.0),
            "auc_high": min(a + z * se_base, 1.0),
            "p_delong": np.nan,
            "chosen": False,
        }
    )
    rows.append(
        {
            "scorer": t("scorer_difference", language),
            "auc": diff,
            "auc_low": diff - z * se_diff,
            "auc_high": diff + z * se_diff,
            "p_delong": p_diff,
            "chosen": False,
        }
    )
    out = pd.DataFrame(rows)
    out.insert(1, "n", len(y_test))
    out.insert(2, "won", int(np.sum(y_test)))
    return out[["scorer", "n", "won", "auc", "auc_low", "auc_high", "p_delong", "chosen"]]


def _set_threshold(model: ScoringModel, X: pd.DataFrame, source: pd.Series | None) -> None:
    scores = _predict(model, X, potential=True)
    if len(scores):
        model.high_threshold_ = float(np.quantile(scores, 1 - model.settings.high_share))


def _predict(model: ScoringModel, X: pd.DataFrame, *, potential: bool) -> np.ndarray:
    if len(X) == 0:  # a historical export: nothing open to score
        return np.zeros(0)
    if model.chosen_ == "model" and model.pipeline_ is not None:
        if potential and model.typical_:
            X = X.assign(**model.typical_)
        return model.pipeline_.predict_proba(X[model.features_])[:, 1]
    source = X["source"] if "source" in X else None
    if source is None:
        return np.full(len(X), model.overall_rate_)
    return _baseline_scores(model.baseline_, model.overall_rate_, source)


def score_deals(
    model: ScoringModel,
    deals: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    stage_events: pd.DataFrame | None = None,
    config: Any = None,
    as_of: Any = None,
    journey: Any = None,
) -> pd.DataFrame:
    """Score every open deal with a fitted model.

    ``score_now`` is the win probability from what is known at the deal's snapshot (its
    first ``early_days``, or now when younger); ``potential`` the same for a typically
    worked lead (contact, meetings as in a typical contacted lead): the value of working
    it. With the baseline, both are the source's historical win rate.

    Parameters
    ----------
    stage_events, config : optional; with both, the deal's current stage is added.
    journey : a :func:`playbook.steps.journey.prepare` result for the same tables (saves time).

    Returns
    -------
    DataFrame
        ``deal_id | owner_id | lead_source | stage | created_at | age_days | score_now |
        potential | high | scorer``, open deals only, highest potential first; ``high``
        marks potential at or above the training population's top ``high_share``.
    """
    as_of = pd.Timestamp(as_of) if as_of is not None else data_end(deals, stage_events)
    use_acts = activities if model.activity_ else None
    if model.activity_ and activities is None:
        use_acts = activities = pd.DataFrame(
            {
                "deal_id": pd.Series(dtype=object),
                "at": pd.Series(dtype="datetime64[ns]"),
                "type": pd.Series(dtype=object),
            }
        )
    missing = [c for c in model.columns_ if c not in deals.columns]
    frame = deals.assign(**{c: pd.NA for c in missing}) if missing else deals
    is_open = (frame["status"].astype(object) == "open").to_numpy()
    open_deals = frame[is_open].reset_index(drop=True)
    X = build_features(
        open_deals,
        use_acts,
        model.columns_,
        early_days=model.settings.early_days,
        as_of=as_of,
        numeric=model.numeric_ if model.kind_ else None,  # models saved before typing: infer
    )
    score = _predict(model, X, potential=False)
    potential = _predict(model, X, potential=True)
    created = pd.to_datetime(open_deals["created_at"])
    out = pd.DataFrame(
        {
            "deal_id": open_deals["deal_id"].to_numpy(),
            "owner_id": open_deals["owner_id"].to_numpy() if "owner_id" in open_deals else None,
            "lead_source": open_deals["source"].to_numpy() if "source" in open_deals else None,
            "stage": None,
            "created_at": created.to_numpy(),
            "age_days": ((as_of - created).dt.total_seconds() / 86400).to_numpy(),
            "score_now": score,
            "potential": potential,
            "high": potential >= model.high_threshold_,
            "scorer": model.chosen_,
        }
    )
    if stage_events is not None and config is not None and len(open_deals):
        from playbook.steps.journey import deal_paths

        paths = deal_paths(frame, stage_events, config, journey=journey)
        stage = pd.Series(paths["end_stage"].astype(object).to_numpy()[is_open])
        out["stage"] = stage.to_numpy()
    order = np.lexsort((out["deal_id"].astype(str).to_numpy(), -out["potential"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def score_notes(scores: pd.DataFrame, language: str = "en") -> list[str]:
    """Notes for the open-leads section: a historical export has nothing to score."""
    if len(scores):
        return []
    return [t("score_nothing_open", language, path=MODEL_PATH)]


def verdict(model: ScoringModel, language: str | None = None) -> dict[str, str]:
    """The sentence saying which scorer is used and why, and how to show it.

    Returns
    -------
    dict
        ``text`` (a sentence in ``language``) and ``kind`` ("p" or "warn"), ready for
        ``StepReport.say(**verdict(model))``.
    """
    lang = language or model.language
    cfg = model.settings
    if model.reason_ == "too_little" and model.thin_ is None:  # a model saved before reasons
        counts = {"n": model.n_population_, "won": model.n_won_}
        text = t("score_fallback", lang, **counts, min_n=cfg.min_resolved, min_won=cfg.min_won)
        return {"text": text, "kind": "warn"}
    if model.reason_ == "too_little":
        key, counts = model.thin_
        if key == "no_features":
            space = "" if lang == "zh" else " "
            text = t("score_thin_no_features", lang) + space + t("score_thin_baseline", lang)
        else:
            text = thin_message(
                key,
                counts,
                early_days=cfg.early_days,
                horizon_days=model.horizon_days_,
                as_of=model.as_of_,
                test_start=model.test_start_,
                language=lang,
            )
        return {"text": text, "kind": "warn"}
    a = model.auc_
    values = {
        "auc": f"{a['model']:.2f}",
        "low": f"{a['model_low']:.2f}",
        "high": f"{a['model_high']:.2f}",
        "base": f"{a['baseline']:.2f}",
        "p": _fmt_p(a["p_value"]),
        "start": f"{model.test_start_:%Y-%m-%d}",
        "n": a["n_test"],
    }
    picked = _candidates_sentence(model, lang)
    if model.chosen_ == "model":
        return {"text": t("score_better", lang, **values) + picked, "kind": "p"}
    return {"text": t("score_not_better", lang, **values) + picked, "kind": "warn"}


def _candidates_sentence(model: ScoringModel, lang: str) -> str:
    """Which candidate was picked on the held-out deals and why ("" with a single one)."""
    rows = model.metrics_.iloc[:-2] if len(model.metrics_) > 3 else None
    if rows is None or not model.kind_:
        return ""
    aucs = {r.scorer: r.auc for r in rows.itertuples()}
    logistic, boosting = t("scorer_logistic", lang), t("scorer_boosting", lang)
    text = t(
        f"score_picked_{model.kind_}",
        lang,
        logistic=f"{aucs.get(logistic, float('nan')):.2f}",
        boosting=f"{aucs.get(boosting, float('nan')):.2f}",
        p=_fmt_p(float(rows["p_delong"].iloc[-1])),
    )
    return ("" if lang == "zh" else " ") + text


def _fmt_p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def lead_quality(
    model: ScoringModel,
    deals: pd.DataFrame,
    scores: pd.DataFrame,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Lead quality for marketing: historical win rate and open pipeline per source/campaign.

    The win rate is over mature cohorts (created at least ``horizon_days`` before the data
    end, so their outcome is known), with a Wilson interval; the open columns summarise
    the scores of current open deals.

    Parameters
    ----------
    by : deal columns; default ``source`` and ``campaign`` where present.

    Returns
    -------
    DataFrame
        ``dimension | value | leads | won | win_rate | ci_low | ci_high | open_leads |
        mean_potential | expected_won``; ``expected_won`` is the sum of open deals' potential.
    """
    by = [c for c in (by or ("source", "campaign")) if c in deals.columns]
    created = pd.to_datetime(deals["created_at"])
    as_of = model.as_of_ if model.as_of_ is not None else data_end(deals)
    mature = created <= as_of - pd.Timedelta(days=model.horizon_days_)
    won = deals["status"].astype(object) == "won"
    pot = deals[["deal_id"]].merge(scores[["deal_id", "potential"]], on="deal_id", how="left")
    pot = pot["potential"].to_numpy()
    frames = []
    for column in by:
        value = deals[column].astype(object).where(deals[column].notna(), MISSING).to_numpy()
        frame = pd.DataFrame(
            {
                "value": value,
                "mature": mature.to_numpy(),
                "won": (won & mature).to_numpy(),
                "open": ~np.isnan(pot),
                "potential": np.nan_to_num(pot),
            }
        )
        g = frame.groupby("value", sort=True).agg(
            leads=("mature", "sum"),
            won=("won", "sum"),
            open_leads=("open", "sum"),
            expected_won=("potential", "sum"),
        )
        g = g.reset_index()
        g.insert(0, "dimension", column)
        g["win_rate"] = np.where(
            g["leads"] > 0, g["won"] / g["leads"].where(g["leads"] > 0), np.nan
        )
        g["ci_low"], g["ci_high"] = wilson_interval(g["won"].to_numpy(), g["leads"].to_numpy())
        g["mean_potential"] = g["expected_won"] / g["open_leads"].where(g["open_leads"] > 0)
        frames.append(g)
    columns = [
        "dimension",
        "value",
        "leads",
        "won",
        "win_rate",
        "ci_low",
        "ci_high",
        "open_leads",
        "mean_potential",
        "expected_won",
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    for c in ("leads", "won", "open_leads"):
        out[c] = out[c].astype(np.int64)
    return out.sort_values(["dimension", "win_rate"], ascending=[True, False], kind="stable")


# --- persistence (the only I/O of this module) -------------------------------------------


def save_model(model: ScoringModel, output_dir: str | Path, workspace: str | Path = "") -> Path:
    """Write the model to ``<output_dir>/models/lead_scoring.joblib`` and return the path.

    With ``workspace``, the model is signed for it (``lead_scoring.joblib.sig.json``,
    see :mod:`playbook.workspace.signing`): only a signed model can be loaded again.
    """
    import joblib

    from playbook.workspace.signing import sign_file, signature_path

    folder = Path(output_dir) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MODEL_FILE
    tmp = path.with_suffix(".tmp")
    joblib.dump(model, tmp)
    tmp.replace(path)
    signature_path(path).unlink(missing_ok=True)
    if workspace:
        sign_file(path, workspace)
    return path


def load_model(path: str | Path, workspace: str | Path) -> ScoringModel:
    """Read a model :func:`save_model` wrote and signed for ``workspace``.

    The signature is checked before anything is unpickled (a joblib file can run
    code when it is read), and exactly the checked bytes are loaded.

    Raises
    ------
    UntrustedFile
        When the model is unsigned, signed for another workspace or machine, or changed.
    ValueError
        When the (signed) file does not hold a lead-scoring model.
    """
    import io

    import joblib

    from playbook.workspace.signing import read_signed

    model = joblib.load(io.BytesIO(read_signed(path, workspace)))
    if not isinstance(model, ScoringModel):
        raise ValueError(
            f"{path} does not hold a lead-scoring model (found {type(model).__name__}); "
            f"use the {MODEL_FILE} written by a 'playbook run' (in models/ of the report)"
        )
    now = _versions()
    if model.versions_.get("scikit-learn") != now["scikit-learn"]:
        logger.warning(
            "model fitted with scikit-learn %s, now %s: refit with a new run if scores look odd",
            model.versions_.get("scikit-learn"),
            now["scikit-learn"],
        )
    return model


def score_workspace(
    dataset: Any, model_path: str | Path, workspace: str | Path | None = None
) -> pd.DataFrame:
    """Score every open deal of a workspace with a saved model (``playbook score``).

    Parameters
    ----------
    dataset : Dataset
        A loaded workspace (``playbook.workspace.load.open_dataset``).
    model_path : path to a ``lead_scoring.joblib`` signed for the workspace.
    workspace : the workspace folder (default ``dataset.workspace``); its secret
        checks the model's signature before the model is read.

    Returns
    -------
    DataFrame
        As :func:`score_deals`.
    """
    model = load_model(model_path, workspace or dataset.workspace)
    return score_deals(
        model,
        dataset.deals,
        dataset.activities,
        stage_events=dataset.stage_events,
        config=dataset.config,
    )

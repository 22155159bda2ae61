"""Fitting step 6's model: the candidates on the older mature deals, the pick, the test
against the source baseline on the newer ones, and the refit on every mature deal."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from playbook.i18n import t
from playbook.steps.prepared import takes_pilot
from playbook.steps.scoring.audit import feature_audit
from playbook.steps.scoring.baseline import baseline_scores, baseline_table
from playbook.steps.scoring.features import build_features
from playbook.steps.scoring.fitted import AFTER_CREATION, ScoringModel, predict, versions
from playbook.steps.scoring.models import (
    CandidateFit,
    calibration,
    candidate_kinds,
    delong,
    fit_candidates,
    importance,
    lift,
    one_thread,
    paired_test,
    pick,
)
from playbook.steps.scoring.options import ScoringSettings, settings
from playbook.steps.scoring.window import data_end, history_window, thin_history

logger = logging.getLogger(__name__)


@takes_pilot
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
    model = ScoringModel(settings=cfg, language=language, as_of_=as_of, versions_=versions())
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
        model.baseline_ = baseline_table(source, y)
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
    with one_thread():
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
    base_train = baseline_table(source[train], y[train]) if source is not None else None
    p_base = (
        baseline_scores(base_train, float(y[train].mean()), source[test])
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
    scores = predict(model, X, potential=True)
    if len(scores):
        model.high_threshold_ = float(np.quantile(scores, 1 - model.settings.high_share))

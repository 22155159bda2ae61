"""The sentence that says which scorer step 6 uses and why."""

from __future__ import annotations

import math

from playbook.i18n import t
from playbook.steps.scoring.fitted import ScoringModel
from playbook.steps.scoring.window import thin_message


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

"""Lead scoring rules on small constructed data: column types, the post-outcome audit and its
override, the choice between logistic regression and gradient boosting, thin-history reasons."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from playbook.report import StepReport
from playbook.steps import scoring
from playbook.steps.scoring.features import column_type
from playbook.steps.scoring.models import CandidateFit, pick
from playbook.workspace.config import default_config

DAY0 = pd.Timestamp("2026-01-01 09:00")


def deals_over_a_year(n: int, seed: int, logit) -> pd.DataFrame:
    """Deals created over a year, decided 10-60 days later, won with chance ``logit(rng)``."""
    rng = np.random.default_rng(seed)
    created = np.sort(rng.uniform(0, 365, n))
    frame = pd.DataFrame(
        {
            "deal_id": [f"D{i:05d}" for i in range(n)],
            "created_at": DAY0 + pd.to_timedelta(created, unit="D"),
            "owner_id": rng.choice(["R1", "R2"], n),
            "source": rng.choice(["web", "event", "referral"], n),
            "segment": rng.choice(["SMB", "Enterprise"], n),
            "region": rng.choice(["East", "West"], n),
        }
    )
    won = rng.random(n) < 1 / (1 + np.exp(-logit(frame, rng)))
    closed = created + rng.uniform(10, 60, n)
    still_open = closed > 390
    frame["status"] = np.where(still_open, "open", np.where(won, "won", "lost"))
    frame["closed_at"] = (DAY0 + pd.to_timedelta(closed, unit="D")).where(~still_open)
    return frame


def fit(deals: pd.DataFrame, **scoring_settings):
    config = default_config(scoring=scoring_settings)
    with threadpool_limits(1):
        return scoring.fit_scoring(deals, None, None, config)


def test_numbers_written_as_text_are_numeric() -> None:
    assert column_type(pd.Series(["1,234.5", "¥300", "-36.4", None, "N/A"])) == "numeric"
    assert column_type(pd.Series(["12", "twelve", "13"])) == "category"
    assert column_type(pd.Series([None, "", "n/a"], dtype=object)) == "empty"
    assert column_type(pd.Series(pd.to_datetime(["2026-01-01"]))) == "date"


def test_identifiers_by_uniqueness_and_name_not_by_distinct_count() -> None:
    n = 400
    rng = np.random.default_rng(0)
    deals = deals_over_a_year(n, 1, lambda f, r: np.zeros(len(f))).assign(
        age=rng.integers(18, 90, n).astype(str),  # ~70 values, text
        rate=rng.normal(3, 1, n).round(3).astype(str),  # ~all distinct, text
        lead_number=(np.arange(n) + 660000).astype(str),  # one per deal, named as an id
        time_on_site=rng.exponential(500, n).round(2).astype(str),  # one per deal, a measure
        prospect=[f"p-{i:x}-{i * 7919 % 1000}" for i in range(n)],  # one per deal, text
        city=rng.choice([f"city {i}" for i in range(80)], n),  # 80 repeated values
    )
    audit = scoring.feature_audit(deals, activities=False).set_index("feature")
    for column in ("age", "rate", "time_on_site"):
        assert audit.loc[column, "used"] and audit.loc[column, "value_type"] == "numeric", column
        assert "continuous" in audit.loc[column, "reason"]
    for column in ("lead_number", "prospect"):
        assert not audit.loc[column, "used"]
        assert audit.loc[column, "reason"].startswith("an identifier: "), column
    levels = deals["city"].nunique()
    assert levels > 50 and not audit.loc["city", "used"]
    assert f"{levels} distinct values" in audit.loc["city", "reason"]
    assert audit.loc["segment", "used"] and audit.loc["segment", "value_type"] == "category"


def outcome_shadow(deals: pd.DataFrame, seed: int) -> pd.Series:
    """A neutral-named column recorded with the outcome: whole minutes, longer when won."""
    rng = np.random.default_rng(seed)
    won = (deals["status"] == "won").to_numpy()
    seconds = rng.gamma(2.0, 90, len(deals)) + np.where(won, 240, 0)
    return pd.Series((seconds // 60).astype(int).astype(str), index=deals.index)


def test_a_column_far_better_than_the_rest_is_left_out_with_its_evidence() -> None:
    deals = deals_over_a_year(2000, 2, lambda f, r: np.where(f["source"] == "referral", 0.6, -1))
    deals["band"] = outcome_shadow(deals, 3)
    audit = scoring.feature_audit(deals, activities=False).set_index("feature")
    closed = deals["status"] != "open"
    won = deals.loc[closed, "status"] == "won"
    alone = roc_auc_score(won, deals.loc[closed, "band"].astype(int))
    source_alone = roc_auc_score(won, deals.loc[closed, "source"] == "referral")
    assert alone > 0.8 and alone - source_alone > 0.15  # the construction does what it says
    assert not audit.loc["band", "used"]
    assert audit.loc["band", "auc_alone"] == pytest.approx(alone)
    assert f"AUC {alone:.2f}" in audit.loc["band", "reason"]
    assert audit.loc["source", "used"]
    # an honest strong column among several of similar strength is not singled out
    deals["tier"] = np.where(deals["source"] == "referral", "gold", "silver")
    deals = deals.drop(columns="band")
    assert scoring.feature_audit(deals, activities=False).set_index("feature").loc["tier", "used"]


def test_scoring_include_overrides_the_audit_with_a_warning() -> None:
    deals = deals_over_a_year(2000, 2, lambda f, r: np.where(f["source"] == "referral", 0.6, -1))
    deals["call_duration"] = outcome_shadow(deals, 3)
    deals["band"] = deals["call_duration"]
    audit = scoring.feature_audit(
        deals, include=["call_duration", "band"], activities=False, language="zh"
    ).set_index("feature")
    for column in ("call_duration", "band"):
        assert audit.loc[column, "used"] and audit.loc[column, "overridden"], column
    warnings = scoring.include_warnings(audit.reset_index(), "zh")
    assert len(warnings) == 2 and all("scoring.include" in w for w in warnings)
    assert "'duration'" in warnings[0]
    plain = scoring.feature_audit(deals, activities=False)
    assert scoring.include_warnings(plain) == []


def test_auto_picks_boosting_only_when_it_is_significantly_better() -> None:
    # the outcome is an interaction a main-effects logistic regression cannot express
    def interaction(f, r):
        return np.where((f["segment"] == "SMB") == (f["region"] == "East"), 1.2, -1.8)

    deals = deals_over_a_year(2500, 5, interaction)
    model = fit(deals, early_days=0)
    quality = model.metrics_.set_index("scorer")
    logistic, boosting = quality.loc["logistic regression"], quality.loc["gradient boosting"]
    assert boosting["auc"] > logistic["auc"] + 0.1 and boosting["p_delong"] < 0.05
    assert model.kind_ == "boosting" and bool(boosting["chosen"])
    assert "gradient boosting (AUC" in scoring.verdict(model)["text"]
    # main effects only: boosting is no better, the simpler model stays
    additive = deals_over_a_year(2500, 6, lambda f, r: np.where(f["segment"] == "SMB", 0.8, -1.2))
    simple = fit(additive, early_days=0)
    assert simple.kind_ == "logistic"
    chosen = simple.metrics_.loc[simple.metrics_["chosen"], "scorer"].tolist()
    assert chosen == ["logistic regression"]


def test_pick_prefers_the_simpler_candidate_without_significance() -> None:
    def candidate(kind: str, auc: float, p: float) -> CandidateFit:
        return CandidateFit(kind, None, np.zeros(1), auc, auc - 0.02, auc + 0.02, p)

    logistic = candidate("logistic", 0.70, np.nan)
    assert pick([logistic, candidate("boosting", 0.72, 0.20)]) is logistic
    better = candidate("boosting", 0.78, 0.001)
    assert pick([logistic, better]) is better
    assert pick([logistic, candidate("boosting", 0.65, 0.001)]) is logistic


def test_too_little_history_says_which_count_is_short_and_what_helps() -> None:
    young = deals_over_a_year(250, 7, lambda f, r: np.zeros(len(f)))
    model = fit(young)
    assert model.thin_[0] == "young"
    text = scoring.verdict(model, "en")["text"]
    assert f"{model.n_population_} deals ({model.n_won_} won)" in text
    assert "scoring.horizon_days" in text and "at least 300 and 30 won" in text
    assert "scoring.horizon_days" in scoring.verdict(model, "zh")["text"]
    # every deal decided on the day it was created: nothing is open at day 3
    same_day = young.assign(closed_at=young["created_at"] + pd.Timedelta(hours=5))
    bigger = pd.concat([same_day] * 2, ignore_index=True)
    bigger["deal_id"] = [f"E{i:05d}" for i in range(len(bigger))]
    model = fit(
        bigger.assign(status=np.where(bigger["status"] == "open", "lost", bigger["status"]))
    )
    assert model.thin_[0] == "decided_early"
    text = scoring.verdict(model, "en")["text"]
    assert "scoring.early_days: 0" in text and "within 3 days" in text
    assert "scoring.early_days: 0" in scoring.verdict(model, "zh")["text"]


def test_a_held_out_window_without_wins_is_explained() -> None:
    deals = deals_over_a_year(1500, 8, lambda f, r: np.zeros(len(f)))
    newest = deals["created_at"] > DAY0 + pd.Timedelta(days=200)
    deals.loc[newest & (deals["status"] == "won"), "status"] = "lost"
    model = fit(deals)
    assert model.thin_[0] == "held_out" and model.pipeline_ is None
    text = scoring.verdict(model)["text"]
    assert "hold 0 won" in text and "scoring.test_share" in text


def test_scoring_model_setting() -> None:
    assert scoring.ScoringSettings().model == "auto"
    assert default_config().scoring.model == "auto"
    with pytest.raises(ValueError, match="auto, logistic or boosting"):
        scoring.settings(SimpleNamespace(scoring={"model": "forest"}))


def test_nothing_usable_to_learn_from_is_said() -> None:
    deals = deals_over_a_year(1500, 9, lambda f, r: np.zeros(len(f)))
    core = deals[["deal_id", "created_at", "owner_id", "status", "closed_at"]]
    model = fit(core)
    assert model.thin_ == ("no_features", {}) and model.pipeline_ is None
    assert scoring.verdict(model)["text"].startswith("No model was fitted: no deal column")


def test_feature_table_reads_in_chinese(tmp_path) -> None:
    deals = deals_over_a_year(300, 10, lambda f, r: np.zeros(len(f)))
    deals["age"] = np.random.default_rng(1).integers(18, 90, len(deals)).astype(str)
    audit = scoring.feature_audit(deals, language="zh")
    shown = StepReport(tmp_path, "06_lead_scoring", "zh").localise(audit)
    row = shown.set_index("特征").loc["age"]
    assert row["取值类型"] == "数值" and row["类型"] == "额外字段"
    assert set(shown["类型"]) == {"属性", "额外字段", "活动"}
    assert "连续特征" in row["原因"]

"""Lead scoring: leakage-free features, honest evaluation, fallback, alerts, persistence."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from playbook import plots
from playbook.steps import scoring
from playbook.steps.scoring import alerting
from playbook.workspace.config import default_config
from playbook.workspace.signing import UntrustedFile, sign_file, signature_path

DAY0 = pd.Timestamp("2026-01-01 09:00")


def day(x: float) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=x)


def synthetic(n: int = 3000, seed: int = 0, *, size_effect: float = 1.2) -> dict:
    """Deals over a year whose win chance depends on source and company size only."""
    rng = np.random.default_rng(seed)
    created = np.sort(rng.uniform(0, 365, n))
    source = rng.choice(["web", "event", "referral"], n)
    size = rng.choice(["small", "large"], n)
    logit = (
        -2.0 + np.where(source == "referral", 0.8, 0.0) + np.where(size == "large", size_effect, 0)
    )
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    cycle = rng.uniform(10, 60, n)
    closed = created + cycle
    still_open = closed > 400
    deals = pd.DataFrame(
        {
            "deal_id": [f"D{i:05d}" for i in range(n)],
            "created_at": [day(x) for x in created],
            "owner_id": rng.choice(["R1", "R2", "R3"], n),
            "status": np.where(still_open, "open", np.where(won, "won", "lost")),
            "closed_at": [pd.NaT if o else day(c) for o, c in zip(still_open, closed, strict=True)],
            "source": source,
            "company_size": size,
            "region": rng.choice(["East", "West"], n),
        }
    )
    events = pd.DataFrame(
        {"deal_id": deals["deal_id"], "stage": "lead", "entered_at": deals["created_at"]}
    )
    return {"deals": deals, "events": events}


# --- features ---------------------------------------------------------------------------


def test_feature_list_is_explicit_and_excludes_outcome_columns() -> None:
    data = synthetic(600)
    deals = data["deals"].assign(
        amount=100.0,
        lost_reason=np.where(data["deals"]["status"] == "lost", "price", None),
        pilot_group="pilot",
        account_id=[f"A{i}" for i in range(600)],
    )
    audit = scoring.feature_audit(deals)
    used = set(audit.loc[audit["used"], "feature"])
    assert used == {
        "source",
        "company_size",
        "region",
        *scoring.ACTIVITY_FEATURES,
    }
    reason = audit.set_index("feature")["reason"]
    assert reason["status"] == "recorded with or after the outcome"
    assert reason["closed_at"] == "recorded with or after the outcome"
    assert reason["lost_reason"] == "recorded with or after the outcome"
    assert reason["owner_id"].startswith("who works the lead")
    assert reason["amount"].startswith("often filled or revised")
    assert reason["account_id"] == "an identifier, not a property of the lead"


def test_leaky_columns_are_caught_by_behaviour_not_only_by_name() -> None:
    data = synthetic(1500, seed=1)
    d = data["deals"]
    closed = d["status"] != "open"
    rng = np.random.default_rng(2)
    deals = d.assign(
        # a copy of the outcome under an innocent name (random for open deals)
        flag_a=np.where(closed, (d["status"] == "won").astype(int), rng.integers(0, 2, len(d))),
        # a text filled only once the deal has closed
        note_b=np.where(closed, "handed over", None),
        # a legitimate extra attribute
        tier=rng.choice(["gold", "silver"], len(d)),
        crm_stage="x",
        first_meeting_at=d["created_at"],
    )
    audit = scoring.feature_audit(deals, include=["flag_a"]).set_index("feature")
    assert not audit.loc["flag_a", "used"]
    assert audit.loc["flag_a", "reason"].startswith("separates won from lost almost perfectly")
    assert not audit.loc["note_b", "used"]
    assert audit.loc["note_b", "reason"].startswith("filled on 100% of closed deals but only 0%")
    assert not audit.loc["crm_stage", "used"]
    assert not audit.loc["first_meeting_at", "used"]
    assert audit.loc["tier", "used"]
    model = scoring.fit_scoring(deals, data["events"], None, default_config(), as_of=day(400))
    assert set(model.features_) == {"source", "company_size", "region", "tier"}
    assert model.pipeline_ is not None
    assert set(model.pipeline_.feature_names_in_) == set(model.features_)


def _activity_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["deal_id", "at", "type", "team"])


def test_build_features_counts_only_up_to_the_snapshot() -> None:
    deals = pd.DataFrame(
        {"deal_id": ["D1", "D2"], "created_at": [day(0), day(0)], "source": ["web", None]}
    )
    acts = _activity_frame(
        [
            ("D1", day(-2), "campaign", "marketing"),  # before creation
            ("D1", day(0) + pd.Timedelta(hours=5), "call", "sales"),  # first contact, 5 h
            ("D1", day(1), "meeting", "sales"),
            ("D1", day(2.5), "email", "sales"),
            ("D1", day(4), "demo", "sales"),  # after the 3-day snapshot
            ("D2", day(1), "call_attempt", "sales"),  # an attempt is not a contact
        ]
    )
    f = scoring.build_features(deals, acts, ["source"], early_days=3, as_of=day(30))
    assert f["source"].tolist() == ["web", "(missing)"]
    assert f.loc[0, ["touches_before", "sales_touches", "meetings", "contacted"]].tolist() == [
        1,
        3,
        1,
        1,
    ]
    assert f.loc[0, "hours_to_contact"] == pytest.approx(5.0)
    assert f.loc[1, ["sales_touches", "contacted", "hours_to_contact"]].tolist() == [1, 0, 72]
    # anything after the snapshot (won-deal kickoffs, late meetings) changes nothing
    later = pd.concat(
        [
            acts,
            _activity_frame(
                [
                    ("D1", day(40), "kickoff", "customer_success"),
                    ("D2", day(3.5), "meeting", "sales"),
                ]
            ),
        ]
    )
    pd.testing.assert_frame_equal(
        f, scoring.build_features(deals, later, ["source"], early_days=3, as_of=day(30))
    )


def test_delong_on_paper_and_against_sklearn() -> None:
    y = np.array([1, 1, 0, 0], bool)
    auc, cov = scoring.delong(y, np.array([0.9, 0.4, 0.5, 0.1]))
    assert auc[0] == pytest.approx(0.75)
    # structural components: positives [1, 0.5], negatives [0.5, 1]; var = 0.125/2 + 0.125/2
    assert cov[0, 0] == pytest.approx(0.125)
    rng = np.random.default_rng(0)
    y = rng.random(500) < 0.3
    s = np.vstack([y + rng.normal(0, 1, 500), rng.normal(0, 1, 500)])
    auc, cov = scoring.delong(y, s)
    assert auc == pytest.approx([roc_auc_score(y, s[0]), roc_auc_score(y, s[1])])
    assert cov.shape == (2, 2) and np.all(np.diag(cov) > 0)
    with pytest.raises(ValueError, match="both classes"):
        scoring.delong(np.ones(3, bool), np.arange(3.0))


# --- model, baseline and fallback ------------------------------------------------------


def test_too_little_history_falls_back_to_the_source_baseline() -> None:
    data = synthetic(250, seed=3)
    model = scoring.fit_scoring(data["deals"], data["events"], None, default_config())
    assert model.chosen_ == "baseline" and model.reason_ == "too_little"
    assert model.pipeline_ is None
    said = scoring.verdict(model)
    assert said["kind"] == "warn"
    assert said["text"].startswith("Too little history to fit a model:")
    scores = scoring.score_deals(model, data["deals"], None)
    rates = model.baseline_.set_index("source")["rate"]
    assert np.allclose(scores["score_now"], scores["lead_source"].map(rates))


def test_a_model_that_is_not_better_is_not_used() -> None:
    data = synthetic(4000, seed=4, size_effect=0.0)  # only the source matters
    model = scoring.fit_scoring(data["deals"], data["events"], None, default_config())
    assert model.reason_ == "not_better" and model.chosen_ == "baseline"
    assert (
        "is not reliably better than the source's historical win rate"
        in (scoring.verdict(model)["text"])
    )


def test_settings_accessor_works_with_and_without_a_scoring_section() -> None:
    assert scoring.settings(default_config()) == scoring.ScoringSettings()
    cfg = SimpleNamespace(scoring={"early_days": 7, "exclude": ["tier"]})
    assert scoring.settings(cfg).early_days == 7
    assert scoring.settings(cfg).exclude == ("tier",)
    with pytest.raises(ValueError, match="unknown scoring setting"):
        scoring.settings(SimpleNamespace(scoring={"early_dayz": 7}))


# --- the generated sample -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_data(tmp_path_factory):
    from playbook.sample import generate
    from playbook.workspace.load import open_dataset

    folder = tmp_path_factory.mktemp("scoring") / "acme"
    generate(folder, seed=3, deals=12000)
    (folder / "assessments.csv").unlink()
    return open_dataset(folder)


@pytest.fixture(scope="module")
def fitted(sample_data):
    d = sample_data
    return scoring.fit_scoring(d.deals, d.stage_events, d.activities, d.config)


def test_model_beats_the_source_baseline_on_the_held_out_period(fitted) -> None:
    m = fitted
    assert m.chosen_ == "model", m.metrics_
    assert m.auc_["model"] > m.auc_["baseline"] and m.auc_["p_value"] < 0.05
    assert m.test_start_ is not None
    # held out = the newest mature deals; lift in the top decile beats random
    top = m.lift_[(m.lift_["scorer"] == "model") & (m.lift_["decile"] == 1)]
    assert float(top["lift_vs_random"].iloc[0]) > 1.2
    assert set(m.importance_["feature"]) == set(m.features_)
    assert m.calibration_["n"].sum() == m.auc_["n_test"]
    # no post-outcome input, whatever the data held
    assert not {"status", "closed_at", "lost_reason", "amount", "owner_id"} & set(m.features_)


def test_scores_alerts_and_lead_quality_on_the_sample(sample_data, fitted, tmp_path) -> None:
    d = sample_data
    scores = scoring.score_deals(
        fitted, d.deals, d.activities, stage_events=d.stage_events, config=d.config
    )
    assert len(scores) == int((d.deals["status"] == "open").sum())
    assert scores["potential"].is_monotonic_decreasing
    assert scores["score_now"].between(0, 1).all()
    assert (scores["high"] == (scores["potential"] >= fitted.high_threshold_)).all()
    assert scores["stage"].notna().all()
    alerts = alerting.find_alerts(
        d.deals, d.stage_events, d.activities, d.outcomes, d.config, scores
    )
    assert list(alerts.columns) == alerting.ALERT_COLUMNS
    assert {"stalled_deal", "renewal_risk"} <= set(alerts["kind"])
    assert alerts["owner_id"].notna().all() and alerts["reason"].str.len().gt(10).all()
    assert (
        not alerting.priorities(scores, alerts)["deal_id"]
        .isin(alerts.loc[alerts["kind"] == "stalled_deal", "deal_id"])
        .any()
    )
    quality = scoring.lead_quality(fitted, d.deals, scores)
    assert set(quality["dimension"]) == {"source"}
    assert quality["open_leads"].sum() == len(scores)
    assert (quality["ci_low"] <= quality["win_rate"]).all()
    kpis = alerting.scoring_kpis(fitted, scores, alerts)
    assert kpis["scoring_auc"]["value"] == pytest.approx(fitted.auc_["model"])

    # the saved model scores a fresh export the same way (the `playbook score` path)
    path = scoring.save_model(fitted, tmp_path, d.workspace)
    assert path == tmp_path / scoring.MODEL_PATH
    assert signature_path(path).is_file()  # signed for the workspace it was fitted on
    again = scoring.score_workspace(d, path)
    pd.testing.assert_frame_equal(again, scores)


def test_load_model_refuses_other_files(tmp_path) -> None:
    import joblib

    ws = tmp_path / "ws"
    ws.mkdir()
    joblib.dump({"not": "a model"}, tmp_path / "x.joblib")
    with pytest.raises(UntrustedFile, match="no signature"):  # checked before it is read
        scoring.load_model(tmp_path / "x.joblib", ws)
    sign_file(tmp_path / "x.joblib", ws)
    with pytest.raises(ValueError, match="does not hold a lead-scoring model"):
        scoring.load_model(tmp_path / "x.joblib", ws)


# --- alerts on a hand-made workspace ------------------------------------------------------


def test_each_alert_kind_on_paper() -> None:
    cfg = default_config()
    now = day(200)
    rows = [
        # id, created, status, events [(stage, day)]
        ("NEW", 200 - 30 / 24, "open", [("lead", 200 - 30 / 24)]),  # 30 h, never contacted
        ("CALLED", 200 - 30 / 24, "open", [("lead", 200 - 30 / 24)]),  # 30 h, contacted
        ("STUCK", 50, "open", [("lead", 50), ("intent", 52), ("proposal", 60)]),  # 140 d
        ("WAKING", 100, "open", [("lead", 100), ("intent", 199)]),
    ]
    # twenty deals that leave proposal within 10 days give the stage its usual dwell
    for i in range(20):
        rows.append(
            (f"OK{i}", 10 + i, "lost", [("lead", 10 + i), ("intent", 11 + i), ("proposal", 12 + i)])
        )
    deals = pd.DataFrame(
        {
            "deal_id": [r[0] for r in rows],
            "created_at": [day(r[1]) for r in rows],
            "owner_id": "R1",
            "status": [r[2] for r in rows],
            "closed_at": [pd.NaT if r[2] == "open" else day(r[1] + 8) for r in rows],
        }
    )
    deals.loc[deals["deal_id"] == "WAKING", "owner_id"] = "R2"
    events = pd.DataFrame(
        [(r[0], s, day(x)) for r in rows for s, x in r[3]],
        columns=["deal_id", "stage", "entered_at"],
    )
    events = pd.concat(
        [events, pd.DataFrame([("OK0", "signed", now)], columns=events.columns)]
    )  # sets as_of to day 200
    acts = _activity_frame(
        [
            ("CALLED", now - pd.Timedelta(hours=2), "call", "sales"),
            ("WAKING", day(120), "email", "sales"),  # then 73 quiet days
            ("WAKING", day(196), "download", "marketing"),
            ("WAKING", day(198), "email", "sales"),
        ]
    )
    outcomes = pd.DataFrame(
        {
            "deal_id": ["OK0", "OK1", "OK2"],
            "complaints": [2.0, 0.0, 1.0],
            "delayed": pd.array([False, False, True], dtype="boolean"),
            "renewed": pd.array([pd.NA, pd.NA, True], dtype="boolean"),
            "renewal_at": [now + pd.Timedelta(days=30)] * 3,
        }
    )
    scores = pd.DataFrame(
        {"deal_id": ["NEW", "CALLED"], "potential": [0.4, 0.4], "high": [True, True]}
    )
    alerts = alerting.find_alerts(deals, events, acts, outcomes, cfg, scores)
    got = {(r.kind, r.deal_id): r for r in alerts.itertuples(index=False)}
    assert set(got) == {
        ("uncontacted_lead", "NEW"),
        ("stalled_deal", "STUCK"),
        ("engagement_rising", "WAKING"),
        ("renewal_risk", "OK0"),
    }
    assert got[("uncontacted_lead", "NEW")].severity == 2
    assert got[("uncontacted_lead", "NEW")].reason == (
        "High-potential lead (40% win chance if worked) created 30 h ago and not contacted yet "
        "(SLA 24 h)."
    )
    assert got[("stalled_deal", "STUCK")].severity == 3  # from proposal on
    assert got[("stalled_deal", "STUCK")].reason.startswith("In Proposal for 140 days;")
    assert got[("engagement_rising", "WAKING")].owner_id == "R2"
    assert got[("engagement_rising", "WAKING")].reason == (
        "2 activities in the last 7 days after 73 quiet days."
    )
    assert got[("renewal_risk", "OK0")].severity == 3
    zh = alerting.find_alerts(deals, events, acts, outcomes, cfg, scores, language="zh")
    assert zh["reason"].str.contains("[\u4e00-\u9fff]").all()
    assert (
        zh.loc[zh["kind"] == "stalled_deal", "reason"].iloc[0].startswith("已在方案阶段停留 140 天")
    )
    summary = alerting.alert_summary(alerts)
    assert summary["alerts"].tolist() == [1, 1, 1, 1]
    assert summary["critical"].tolist() == [0, 1, 0, 1]


# --- figures ------------------------------------------------------------------------------


def test_scoring_figures_draw_in_chinese_without_missing_glyphs(fitted, sample_data) -> None:
    d = sample_data
    scores = scoring.score_deals(fitted, d.deals, d.activities)
    quality = scoring.lead_quality(fitted, d.deals, scores)
    draws = [
        lambda: plots.calibration_curve(
            fitted.calibration_, words=plots.Words(title="校准", xlabel="预测赢单率")
        ),
        lambda: plots.gains_chart(
            fitted.lift_, words=plots.Words(title="累计增益", marks={"random": "随机顺序"})
        ),
        lambda: plots.feature_importance(
            fitted.importance_, words=plots.Words(title="特征", xlabel="AUC 下降")
        ),
        lambda: plots.lead_quality_chart(
            quality, words=plots.Words(title="各来源赢单率", marks={"count": "n={n} · 在途 {open}"})
        ),
        lambda: plots.calibration_curve(pd.DataFrame(), words=plots.Words(empty="未评估模型")),
    ]
    for draw in draws:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = draw()
            fig.canvas.draw()
        assert not [w for w in caught if "missing from font" in str(w.message)]
    bars = plots.lead_quality_chart(quality).axes[0].patches
    assert len(bars) == int((quality["dimension"] == "source").sum())


def test_module_does_no_io_outside_save_and_load() -> None:
    source = Path(scoring.__file__).read_text(encoding="utf-8")
    assert source.count("joblib.dump(") == 1 and source.count("joblib.load(") == 1
    assert "read_csv" not in source and "open(" not in source


# --- speed paths give the old answers -----------------------------------------------------


def _column_type_row_by_row(values: pd.Series) -> str:
    """column_type as it was: every row parsed."""
    from playbook.workspace.schema import is_missing, parse_numbers

    text = values.astype(object)
    filled = ~is_missing(text)
    if not filled.any():
        return "empty"
    return "category" if parse_numbers(text[filled])[1].any() else "numeric"


def test_column_type_and_distinct_counts_from_distinct_values_match_every_row() -> None:
    from playbook.steps.scoring.features import PARSE_FIRST, column_type, count_distinct

    many = [f"{i:,}" for i in range(PARSE_FIRST + 500)]
    columns = {
        "numbers as text": pd.Series(["1,234.5", "¥300", "N/A", None, "-36.4"] * 50, dtype=object),
        "text past the first values": pd.Series([*many, "abc", *many], dtype=object),
        "numbers past the first values": pd.Series([*many, "", *many], dtype=object),
        "categories": pd.Series(["web", "event", np.nan, "web"] * 30, dtype=object),
        "only missing tokens": pd.Series(["N/A", "", None] * 10, dtype=object),
        "mixed objects": pd.Series([1, True, "1", 1.0, "x"] * 10, dtype=object),
        "mixed numbers": pd.Series([1, True, 2.5] * 10, dtype=object),
    }
    for name, values in columns.items():
        assert column_type(values) == _column_type_row_by_row(values), name
        filled = values.dropna()
        assert count_distinct(filled) == filled.astype(str).nunique(), name
    assert column_type(columns["text past the first values"]) == "category"
    assert column_type(columns["numbers past the first values"]) == "numeric"


def test_gradient_boosting_scores_on_one_thread_as_on_two() -> None:
    from threadpoolctl import threadpool_info, threadpool_limits

    from playbook.steps.scoring.models import one_thread, pipeline

    rng = np.random.default_rng(3)
    n = 4000
    X = pd.DataFrame(
        {
            "source": rng.choice(["web", "event", "referral", "partner"], n),
            "sales_touches": rng.poisson(2, n).astype(float),
            "hours_to_contact": rng.exponential(30, n),
        }
    )
    y = rng.random(n) < 1 / (1 + np.exp(-(X["sales_touches"] - 2 + (X["source"] == "web"))))
    numeric = ["sales_touches", "hours_to_contact"]

    def fitted_scores() -> np.ndarray:
        model = pipeline(list(X.columns), numeric, "boosting", seed=0).fit(X[:3000], y[:3000])
        return model.predict_proba(X[3000:])[:, 1]

    with threadpool_limits(limits=2, user_api="openmp"):
        two = fitted_scores()
    with one_thread():
        openmp = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"]
        assert openmp and set(openmp) == {1}
        one = fitted_scores()
    np.testing.assert_array_equal(one, two)

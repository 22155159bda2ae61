"""Lead scoring on real, labelled public data, held against plain scikit-learn on the same split.

Two public data sets (``../shared/data``, read in place, never copied) are mapped into
workspaces as a new user would: one deal per contact or lead, the extra columns as text in
``deals.csv``, the outcome as won/lost, the newest deals left open.

* UCI Bank Marketing (Moro et al.): time-ordered telemarketing contacts. ``duration`` is
  known only once the call is over (the data set's own note), and a copy bucketed into
  whole minutes under a neutral name (``call_band``) is added as a trap.
* X Education leads: ``Tags`` and ``Lead Quality`` are filled after contact.

Each workspace is loaded and fitted once (module fixtures); the tests call the scoring
functions directly. The bank set is subsampled deterministically (every 4th contact, time
order kept) so that the whole module runs in seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from playbook.report.runner import run_pilot
from playbook.steps import scoring
from playbook.steps.scoring import alerting
from playbook.workspace.config import default_config
from playbook.workspace.load import load_workspace

ROOT = Path(__file__).resolve().parent.parent
#: The shared public data: ``../shared/data`` of the repository (or of its parent folder,
#: for a git worktree kept next to the main checkout).
DATA = next(
    (p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data",
)
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
OPEN_NEWEST = 300


def shared(relative: str) -> Path:
    """A file of the shared public data; fail (not skip) when it is missing."""
    path = DATA / relative
    if not path.exists():
        pytest.fail(f"public test data not found: {path} (see ../shared/data/README.md)")
    return path


def write_workspace(folder: Path, deals: pd.DataFrame) -> Path:
    """deals.csv (every value as text, as an export would be) and one stage event per deal."""
    folder.mkdir(parents=True)
    deals.to_csv(folder / "deals.csv", index=False)
    events = pd.DataFrame(
        {"deal_id": deals["deal_id"], "stage": "lead", "entered_at": deals["created_at"]}
    )
    events.to_csv(folder / "stage_events.csv", index=False)
    return folder


def as_deals(frame: pd.DataFrame, won: pd.Series, created: pd.Series, days: float, prefix: str):
    """Deals from a time-ordered frame: won/lost closed ``days`` after creation, newest open."""
    n = len(frame)
    status = np.where(won.to_numpy(), "won", "lost").astype(object)
    status[n - OPEN_NEWEST :] = "open"
    closed = (created + pd.Timedelta(days=days)).dt.strftime("%Y-%m-%d %H:%M")
    deals = pd.DataFrame(
        {
            "deal_id": [f"{prefix}{i:05d}" for i in range(n)],
            "created_at": created.dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
            "owner_id": "R1",
            "status": status,
            "closed_at": np.where(status == "open", "", closed.to_numpy()),
        }
    )
    return pd.concat([deals, frame.reset_index(drop=True)], axis=1)


def held_out_split(model: scoring.ScoringModel, deals: pd.DataFrame):
    """The model's learning population, labels and time split, rebuilt from its window.

    Deals old enough for their outcome to be known (``horizon_days_`` before the data end)
    and not decided before they are scored; an old deal still open counts as not won.
    """
    created = pd.to_datetime(deals["created_at"])
    mature = created <= model.as_of_ - pd.Timedelta(days=model.horizon_days_)
    early = deals["closed_at"] <= created + pd.Timedelta(days=model.settings.early_days)
    population = (mature & ~early).to_numpy()
    train = population & (created < model.test_start_).to_numpy()
    test = population & ~train
    return train, test, (deals["status"] == "won").to_numpy()


def plain_aucs(frame: pd.DataFrame, y: np.ndarray, train: np.ndarray, test: np.ndarray):
    """Held-out AUC of a plain logistic regression and HistGradientBoosting (defaults)."""
    categorical = [c for c in frame.columns if frame[c].dtype == object]
    numeric = [c for c in frame.columns if c not in categorical]
    text = frame.assign(**{c: frame[c].fillna("NA") for c in categorical})
    numbers = text.assign(**{c: text[c].fillna(text.loc[train, c].median()) for c in numeric})
    out = {}
    for name, encode, model in (
        ("logistic", OneHotEncoder(handle_unknown="ignore"), LogisticRegression(max_iter=2000)),
        (
            "boosting",
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            HistGradientBoostingClassifier(random_state=0),
        ),
    ):
        prepare = ColumnTransformer([("c", encode, categorical), ("n", StandardScaler(), numeric)])
        pipe = make_pipeline(prepare, model).fit(numbers[train], y[train])
        out[name] = roc_auc_score(y[test], pipe.predict_proba(numbers[test])[:, 1])
    return out


# --- UCI Bank Marketing ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bank_raw() -> pd.DataFrame:
    """Every 4th contact in time order, dated from its month (the year rolls over when the
    month goes back), with the bucketed-duration trap added."""
    raw = pd.read_csv(shared("uci_bank_marketing/bank-additional-full.csv.gz"), sep=";")
    month = raw["month"].map({m: i for i, m in enumerate(MONTHS, 1)})
    year = 2008 + (month.diff().fillna(0) < 0).cumsum()
    key = year * 100 + month
    within = raw.groupby(key).cumcount() / key.map(key.value_counts())
    start = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}))
    raw["created"] = start + pd.to_timedelta(within * 27, unit="D")
    raw["call_band"] = raw["duration"] // 60  # whole minutes: about 40 levels
    return raw.iloc[::4].reset_index(drop=True)


def bank_deals(raw: pd.DataFrame) -> pd.DataFrame:
    extra = raw.drop(columns=["y", "created"]).rename(
        columns={"contact": "source", "campaign": "contacts_in_campaign"}
    )
    return as_deals(extra, raw["y"] == "yes", raw["created"], 1, "B")


@pytest.fixture(scope="module")
def bank(bank_raw, tmp_path_factory):
    folder = write_workspace(tmp_path_factory.mktemp("bank") / "ws", bank_deals(bank_raw))
    config = default_config(scoring={"early_days": 0})
    data = load_workspace(folder, config)
    with threadpool_limits(1):
        model = scoring.fit_scoring(data.deals, data.stage_events, None, config)
        scores = scoring.score_deals(model, data.deals, None)
    return data, model, scores


def test_bank_columns_typed_as_numbers_and_the_duration_left_out(bank_raw, bank) -> None:
    data, model, _ = bank
    audit = model.audit_.set_index("feature")
    assert data.deals["euribor3m"].dtype == object  # the loader keeps extra columns as text
    for column in ("age", "euribor3m", "cons.price.idx", "nr.employed", "pdays"):
        assert audit.loc[column, "value_type"] == "numeric", column
        assert audit.loc[column, "used"], audit.loc[column, "reason"]
        assert "continuous" in audit.loc[column, "reason"]
    assert bank_raw["age"].nunique() > 50 and bank_raw["euribor3m"].nunique() > 200
    assert audit.loc["job", "used"] and audit.loc["job", "value_type"] == "category"
    assert {"age", "euribor3m"} <= set(model.columns_)
    # duration: by its name; the bucketed copy under a neutral name: by its evidence
    assert not audit.loc["duration", "used"]
    assert "'duration'" in audit.loc["duration", "reason"]
    assert not audit.loc["call_band", "used"]
    assert 30 <= bank_raw["call_band"].nunique() <= 60
    assert "far better than any other column" in audit.loc["call_band", "reason"]
    assert {"duration", "call_band"}.isdisjoint(model.columns_)


def test_bank_bucketed_duration_evidence_is_its_real_training_auc(bank_raw, bank) -> None:
    data, model, _ = bank
    train, _, y = held_out_split(model, data.deals)
    alone = roc_auc_score(y[train], bank_raw["call_band"].to_numpy()[train])
    assert model.audit_.set_index("feature").loc["call_band", "auc_alone"] == pytest.approx(alone)
    others = [
        roc_auc_score(y[train], bank_raw[c].to_numpy()[train])
        for c in ("age", "euribor3m", "pdays", "nr.employed", "cons.conf.idx")
    ]
    assert alone > 0.85 and alone - max(max(a, 1 - a) for a in others) > 0.15


def test_bank_model_holds_its_own_against_plain_scikit_learn(bank_raw, bank) -> None:
    data, model, scores = bank
    train, test, y = held_out_split(model, data.deals)
    assert model.auc_["n_test"] == test.sum() and model.auc_["won_test"] == y[test].sum() > 100
    plain = bank_raw.drop(columns=["y", "created", "duration", "call_band"])
    with threadpool_limits(1):
        best = max(plain_aucs(plain, y, train, test).values())
        with_trap = plain_aucs(plain.assign(call_band=bank_raw["call_band"]), y, train, test)
    assert model.auc_["model"] >= best - 0.01
    # the trap is real: it would have lifted a plain model far above an honest one
    assert with_trap["logistic"] > best + 0.05
    quality = model.metrics_
    names = list(quality["scorer"])
    assert names[:2] == ["logistic regression", "gradient boosting"]
    assert quality["chosen"].sum() == 1
    assert quality.loc[quality["chosen"], "auc"].item() == pytest.approx(model.auc_["model"])
    assert model.chosen_ == "model" and model.auc_["model"] > model.auc_["baseline"]
    assert len(scores) == OPEN_NEWEST and scores["score_now"].between(0, 1).all()
    text = scoring.verdict(model)["text"]
    assert "logistic regression (AUC" in text and "gradient boosting (AUC" in text


def test_bank_model_saved_signed_and_scored_again(bank, tmp_path) -> None:
    data, model, scores = bank
    path = scoring.save_model(model, tmp_path, data.workspace)
    again = scoring.score_workspace(data, path)
    same = ["deal_id", "score_now", "potential", "high", "scorer"]
    assert again["stage"].eq("lead").all()  # the saved-model path also reads the stages
    pd.testing.assert_frame_equal(again[same], scores[same])


@pytest.fixture(scope="module")
def bank_history(bank_raw, tmp_path_factory):
    """The same contacts, every one resolved (a historical export)."""
    deals = bank_deals(bank_raw).assign(
        status=np.where(bank_raw["y"] == "yes", "won", "lost"),
        closed_at=(bank_raw["created"] + pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d %H:%M"),
    )
    folder = write_workspace(tmp_path_factory.mktemp("history") / "ws", deals)
    return load_workspace(folder, default_config())


def test_historical_export_with_default_early_days_explains_why(bank_history) -> None:
    data = bank_history
    model = scoring.fit_scoring(data.deals, data.stage_events, None, data.config)
    assert model.chosen_ == "baseline" and model.thin_[0] == "decided_early"
    resolved = len(data.deals)
    mature = int(
        (data.deals["created_at"] <= model.as_of_ - pd.Timedelta(days=model.horizon_days_)).sum()
    )
    for language in ("en", "zh"):
        text = scoring.verdict(model, language)["text"]
        assert f"{mature}" in text and "scoring.early_days: 0" in text
        assert str(data.config.scoring.early_days).rstrip("0").rstrip(".") in text
    assert 0 < mature < resolved
    scores = scoring.score_deals(model, data.deals, None)
    assert scores.empty and list(scores.columns)[:2] == ["deal_id", "owner_id"]
    alerts = alerting.find_alerts(
        data.deals, data.stage_events, None, None, data.config, scores, language="en"
    )
    assert alerts.empty
    assert alerting.priorities(scores, alerts, n=25).empty
    quality = scoring.lead_quality(model, data.deals, scores)
    assert (quality["open_leads"] == 0).all() and quality["leads"].sum() == mature


def test_historical_export_with_early_days_zero_is_fitted_with_nothing_to_score(
    bank_history,
) -> None:
    data = bank_history
    config = default_config(scoring={"early_days": 0, "model": "logistic"})
    with threadpool_limits(1):
        model = scoring.fit_scoring(data.deals, data.stage_events, None, config)
    assert model.thin_ is None and model.pipeline_ is not None
    assert list(model.metrics_["scorer"])[0] == "logistic regression"
    assert len(model.metrics_) == 3  # one candidate, the baseline, the difference
    scores = scoring.score_deals(model, data.deals, None)
    assert scores.empty


# --- X Education leads ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def leads_raw() -> pd.DataFrame:
    raw = pd.read_csv(shared("xeducation_leads/Leads.csv"))
    raw = raw.sort_values("Lead Number", kind="stable").reset_index(drop=True)
    minutes = (raw["Lead Number"] - raw["Lead Number"].min()) * 10
    raw["created"] = pd.Timestamp("2019-01-01") + pd.to_timedelta(minutes, unit="min")
    return raw


@pytest.fixture(scope="module")
def leads(leads_raw, tmp_path_factory):
    extra = leads_raw.drop(columns=["Converted", "created"]).rename(
        columns={"Lead Source": "source"}
    )
    deals = as_deals(extra, leads_raw["Converted"] == 1, leads_raw["created"], 7, "L")
    folder = write_workspace(tmp_path_factory.mktemp("leads") / "ws", deals)
    config = default_config(scoring={"early_days": 0})
    data = load_workspace(folder, config)
    with threadpool_limits(1):
        model = scoring.fit_scoring(data.deals, data.stage_events, None, config)
    return data, model


def test_leads_identifiers_and_after_contact_columns_left_out(leads) -> None:
    _, model = leads
    audit = model.audit_.set_index("feature")
    for column in ("prospect_id", "lead_number"):
        assert not audit.loc[column, "used"]
        assert "identifier" in audit.loc[column, "reason"], column
    assert audit.loc["lead_number", "value_type"] == "numeric"
    for column, word in (("tags", "tags"), ("lead_quality", "quality")):
        assert not audit.loc[column, "used"]
        assert f"'{word}'" in audit.loc[column, "reason"]
    for column in ("totalvisits", "total_time_spent_on_website", "page_views_per_visit"):
        assert audit.loc[column, "used"] and audit.loc[column, "value_type"] == "numeric", column


def test_leads_model_holds_its_own_against_plain_scikit_learn(leads_raw, leads) -> None:
    data, model = leads
    train, test, y = held_out_split(model, data.deals)
    leaky = ["Tags", "Lead Quality", "Last Activity", "Last Notable Activity"]
    plain = leads_raw.drop(columns=["Converted", "created", "Prospect ID", "Lead Number", *leaky])
    with threadpool_limits(1):
        best = max(plain_aucs(plain, y, train, test).values())
    assert model.auc_["model"] >= best - 0.01
    assert model.chosen_ == "model"
    assert model.kind_ == "boosting"  # here the flexible candidate earns its place
    boosting = model.metrics_.set_index("scorer").loc["gradient boosting"]
    assert boosting["chosen"] and boosting["p_delong"] < 0.05


def test_historical_export_runs_step_6_and_the_page_says_why(bank_history, tmp_path) -> None:
    result = run_pilot(bank_history.workspace, out=tmp_path, only=["06"], jobs=1)
    assert result.ok and set(result.summary["steps"].values()) == {"ok"}
    page = (result.report_dir / "06_lead_scoring.html").read_text(encoding="utf-8")
    assert "Too little history to fit a model" in page and "scoring.early_days: 0" in page
    assert "Nothing to score" in page
    alerts = pd.read_csv(result.report_dir / "alerts.csv")
    assert alerts.empty


def test_leads_boosting_model_saved_signed_and_scored_again(leads, tmp_path) -> None:
    data, model = leads
    scores = scoring.score_deals(model, data.deals, None)
    path = scoring.save_model(model, tmp_path, data.workspace)
    loaded = scoring.load_model(path, data.workspace)
    assert loaded.kind_ == model.kind_ and loaded.numeric_ == model.numeric_
    again = scoring.score_workspace(data, path)
    same = ["deal_id", "score_now", "potential", "high", "scorer"]
    pd.testing.assert_frame_equal(again[same], scores[same])
    assert len(scores) == OPEN_NEWEST and (scores["scorer"] == "model").all()

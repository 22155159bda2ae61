"""Step 4: consistent strong converters, assessments, privacy-safe comparisons, pseudonyms."""

from __future__ import annotations

import re
from types import SimpleNamespace

import matplotlib.figure
import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from playbook import plots, sample
from playbook.steps import capability
from playbook.workspace import load, privacy
from playbook.workspace.config import default_config

# --- consistency rule on hand-made rankings ----------------------------------------------------


def _ranking(rows: list[tuple[str, str, bool, bool]]) -> pd.DataFrame:
    """(rep, period, eligible, top) -> a rank_periods-like frame."""
    frame = pd.DataFrame(rows, columns=["owner_id", "period", "eligible", "top"])
    frame["rank"] = np.where(frame["eligible"], np.where(frame["top"], 1.0, 9.0), np.nan)
    frame["conversion"] = np.where(frame["top"], 0.3, 0.1)
    frame["team_conversion"] = 0.12
    return frame


def test_k_of_n_rule_and_statuses() -> None:
    periods = ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    rows = []
    for p in periods:
        rows.append(("steady", p, True, True))  # top 4 of 4
        rows.append(("lucky", p, True, p == "2026Q2"))  # one big quarter
        rows.append(("twice", p, True, p in ("2026Q1", "2026Q3")))
        rows.append(("never", p, True, False))
        rows.append(("thin", p, p == "2026Q4", p == "2026Q4"))  # 1 eligible period
    out = capability.consistent_converters(_ranking(rows), top_k_of_n=3, language="en")
    status = out.set_index("owner_id")["status"].to_dict()
    assert status == {
        "steady": "consistent",
        "lucky": "one_off",
        "twice": "occasional",
        "never": "not_top",
        "thin": "one_off",
    }
    assert out.iloc[0]["owner_id"] == "steady"
    reason = out.set_index("owner_id").loc["lucky", "reason"]
    assert "2026Q2" in reason and "needs 3" in reason
    zh = capability.consistent_converters(_ranking(rows), top_k_of_n=3, language="zh")
    assert "需要 3" in zh.set_index("owner_id").loc["lucky", "reason"]


def _rates(counts: dict[str, dict[str, tuple[int, int]]]) -> pd.DataFrame:
    """rep -> period -> (advanced, n) at one stage -> a rep_period_rates-like frame."""
    rows = [
        (rep, period, a, n)
        for rep, by_period in counts.items()
        for period, (a, n) in by_period.items()
    ]
    frame = pd.DataFrame(rows, columns=["owner_id", "period", "advanced", "mature_n"])
    frame["from"] = pd.Categorical(["lead"] * len(frame), categories=["lead", "won"])
    frame["entered"] = frame["mature_n"]
    frame["rate"] = frame["advanced"] / frame["mature_n"]
    frame["prior_alpha"] = 0.0
    frame["prior_beta"] = 0.0
    frame["shrunk"] = frame["rate"]
    frame["team_rate"] = frame.groupby("period")["advanced"].transform("sum") / frame.groupby(
        "period"
    )["mature_n"].transform("sum")
    return frame


def test_leave_best_out_rejects_one_big_period() -> None:
    periods = ["P1", "P2", "P3", "P4"]
    counts = {f"R{i}": {p: (30, 100) for p in periods} for i in range(8)}
    counts["star"] = {p: (55, 100) for p in periods}
    counts["lucky"] = {p: (30, 100) for p in periods} | {"P2": (90, 100)}
    rates = _rates(counts)
    ranking = capability.rank_periods(rates, top_share=0.25, min_deals=10)
    lbo = capability.leave_best_out(rates, ranking).set_index("owner_id")
    assert lbo.at["star", "prob_above_team"] > 0.99
    assert lbo.at["lucky", "prob_above_team"] < 0.6
    assert lbo.at["lucky", "best_period"] == "P2"
    # even when luck also put it in the top group three times, the check rejects it
    rigged = ranking.copy()
    rigged.loc[rigged["owner_id"] == "lucky", "top"] = [True, True, True, False]
    out = capability.consistent_converters(rigged, rates=rates, top_k_of_n=3)
    status = out.set_index("owner_id")["status"]
    assert status["star"] == "consistent"
    assert status["lucky"] == "unconfirmed"


def test_rank_periods_needs_volume_and_beats_team() -> None:
    counts = {
        "big": {"P1": (40, 100)},
        "small": {"P1": (9, 10)},  # best raw rate but below min_deals
        "avg": {"P1": (30, 100)},
        "low": {"P1": (10, 100)},
    }
    ranking = capability.rank_periods(_rates(counts), top_share=0.25, min_deals=20)
    by = ranking.set_index("owner_id")
    assert not by.at["small", "eligible"] and np.isnan(by.at["small", "rank"])
    assert by.at["big", "rank"] == 1 and by.at["big", "top"]
    assert by["top"].sum() == 1  # ceil(0.25 * 3 ranked) = 1
    assert by.at["big", "ci_low"] < by.at["big", "conversion"] < by.at["big", "ci_high"]


def test_settings_fall_back_and_validate() -> None:
    assert capability.consistency_settings(default_config()) == capability.DEFAULT_CONSISTENCY
    cfg = SimpleNamespace(capability=SimpleNamespace(consistency={"periods": 6, "top_k_of_n": 4}))
    got = capability.consistency_settings(cfg)
    assert (got["periods"], got["top_k_of_n"], got["top_share"]) == (6, 4, 0.25)
    with pytest.raises(ValueError, match="top_k_of_n must be between 1 and periods"):
        capability.consistency_settings(None, periods=2, top_k_of_n=3)
    with pytest.raises(ValueError, match="top_share must be between 0 and 1"):
        capability.consistency_settings(None, top_share=25)


# --- assessments ---------------------------------------------------------------------------------


def _assessments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rep_id": ["R1", "R1", "R1", "R2", "R2", "R1", "R3"],
            "dimension": [
                "needs_discovery",
                "needs_discovery",
                "needs_discovery",
                "needs_discovery",
                "needs_discovery",
                "made_up",
                "needs_discovery",
            ],
            "score": [2.0, 4.0, 3.0, 3.0, 5.0, 1.0, 4.5],
            "assessed_at": pd.to_datetime(
                [
                    "2026-01-01",
                    "2026-06-01",
                    "2026-06-01",
                    "2026-06-01",
                    "2026-06-01",
                    "2026-06-01",
                    "2026-06-01",
                ]
            ),
            "assessor": ["Manager", "manager", "self", "self", "peer", "manager", "经理"],
        }
    )


def test_assessment_policy_manager_then_mean() -> None:
    scores = capability.assessment_scores(_assessments(), default_config()).set_index("rep_id")
    assert scores.at["R1", "score"] == 4.0  # the latest manager score, not 2.0
    assert scores.at["R1", "assessor_basis"] == "manager"
    assert scores.at["R1", "assessors"] == 2
    assert scores.at["R2", "score"] == 4.0 and scores.at["R2", "assessor_basis"] == "mean"
    assert scores.at["R3", "assessor_basis"] == "manager"  # 经理 counts as the manager
    assert "made_up" not in set(scores["dimension"])
    mean = capability.assessment_scores(_assessments(), default_config(), assessor="mean")
    assert mean.set_index("rep_id").at["R1", "score"] == 3.5
    self_only = capability.assessment_scores(_assessments(), default_config(), assessor="self")
    assert set(self_only["rep_id"]) == {"R1", "R2"}
    with pytest.raises(ValueError, match="assessor 'coach' gave no score"):
        capability.assessment_scores(_assessments(), default_config(), assessor="coach")
    basis = capability.assessment_basis(
        capability.assessment_scores(_assessments(), default_config()), "en"
    )
    assert "(2 reps)" in basis and "(1 reps)" in basis


# --- privacy-safe comparisons --------------------------------------------------------------------


def _profile(values: dict[str, float], family: str = "competency") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "owner_id": list(values),
            "family": family,
            "metric": "score",
            "stage": None,
            "dimension": "needs_discovery" if family == "competency" else None,
            "value": list(values.values()),
            "n": 1,
        }
    )


def test_welch_gap_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    bench = rng.normal(4, 0.5, 7)
    rest = rng.normal(3, 0.4, 20)
    values = {f"B{i}": v for i, v in enumerate(bench)} | {f"R{i}": v for i, v in enumerate(rest)}
    out = capability.compare_groups(
        _profile(values), [f"B{i}" for i in range(7)], min_group_size=5
    ).iloc[0]
    ref = st.ttest_ind(bench, rest, equal_var=False)
    ci = ref.confidence_interval()
    assert out["gap"] == pytest.approx(bench.mean() - rest.mean())
    assert out["p_raw"] == pytest.approx(ref.pvalue)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert out["team_mean"] == pytest.approx(np.r_[bench, rest].mean())
    assert not out["suppressed"]


@pytest.mark.parametrize(
    ("n_bench", "n_rest", "split_shown", "team_shown"),
    [
        (3, 10, False, True),  # benchmark too small
        (6, 3, False, True),  # rest too small: benchmark = team - rest would leak it
        (2, 2, False, False),  # whole team too small
        (5, 5, True, True),
    ],
)
def test_group_means_are_suppressed_below_min_group_size(
    n_bench: int, n_rest: int, split_shown: bool, team_shown: bool
) -> None:
    values = {f"B{i}": 4.0 + i / 10 for i in range(n_bench)}
    values |= {f"R{i}": 3.0 + i / 10 for i in range(n_rest)}
    out = capability.compare_groups(
        _profile(values), [f"B{i}" for i in range(n_bench)], min_group_size=5
    ).iloc[0]
    assert out["suppressed"] == (not split_shown)
    for column in ("benchmark_mean", "rest_mean", "gap", "ci_low", "ci_high", "p_raw"):
        assert pd.isna(out[column]) == (not split_shown), column
    assert pd.isna(out["team_mean"]) == (not team_shown)
    gaps = capability.capability_gaps(
        capability.compare_groups(
            _profile(values), [f"B{i}" for i in range(n_bench)], min_group_size=5
        )
    )
    fig = plots.capability_radar(
        gaps, words=plots.Words(suppressed="suppressed: fewer than 5 people")
    )
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    if not split_shown:
        assert any("suppressed" in t for t in texts) or len(gaps) < 3


def test_team_means_use_complementary_suppression() -> None:
    reps = pd.DataFrame(
        {
            "rep_id": [f"R{i}" for i in range(13)],
            "team": ["A"] * 6 + ["B"] * 5 + ["C"] * 2,
        }
    )
    scores = pd.DataFrame(
        {
            "rep_id": reps["rep_id"],
            "dimension": "needs_discovery",
            "score": np.arange(13, dtype=float),
            "assessor_basis": "manager",
            "assessors": 1,
        }
    )
    out = capability.team_capability(scores, reps, min_group_size=5, other="other")
    # C (2) is too small; pooled alone it is still under 5, so B (the smallest shown team)
    # joins it: C can never be recovered as total - A - B.
    assert set(out["team"]) == {"A", "other"}
    assert out.set_index("team").at["other", "reps"] == 7
    assert not out["suppressed"].any()
    tiny = capability.team_capability(scores.head(4), reps, min_group_size=5, other="other")
    assert tiny["suppressed"].all() and tiny["mean"].isna().all()
    fig = plots.team_heatmap(tiny, words=plots.Words(suppressed="suppressed"))
    assert any(t.get_text() == "suppressed" for t in fig.axes[0].texts)


def test_stage_competency_links_find_a_planted_link() -> None:
    rng = np.random.default_rng(0)
    skill = rng.normal(3, 0.5, 30)
    rate = 0.4 + 0.1 * (skill - 3) + rng.normal(0, 0.01, 30)
    reps = [f"R{i}" for i in range(30)]
    profile = pd.concat(
        [
            pd.DataFrame(
                {
                    "owner_id": reps,
                    "family": "stage",
                    "metric": "stage_rate",
                    "stage": "proposal",
                    "dimension": None,
                    "value": rate,
                    "n": 50,
                }
            ),
            pd.DataFrame(
                {
                    "owner_id": reps,
                    "family": "competency",
                    "metric": "score",
                    "stage": None,
                    "dimension": "value_proposition",
                    "value": skill,
                    "n": 1,
                }
            ),
            pd.DataFrame(
                {
                    "owner_id": reps,
                    "family": "competency",
                    "metric": "score",
                    "stage": None,
                    "dimension": "digital_tools",
                    "value": rng.normal(3, 0.5, 30),
                    "n": 1,
                }
            ),
        ],
        ignore_index=True,
    )
    links = capability.stage_competency_links(profile).set_index("dimension")
    assert links.at["value_proposition", "r"] > 0.9
    assert links.at["value_proposition", "p_adj"] < 0.001
    assert links.at["value_proposition", "ci_low"] > 0.8
    assert links.at["digital_tools", "p_adj"] > 0.05


# --- the planted truth over several seeds --------------------------------------------------------


@pytest.fixture(scope="module")
def studies(tmp_path_factory) -> list[tuple[sample.SampleTruth, capability.CapabilityStudy]]:
    """Three generated companies. Activities and outcomes are dropped to keep loading fast:
    the benchmark is found from stage events alone, and a missing table must not matter."""
    out = []
    for seed in (1, 2, 3):
        folder = tmp_path_factory.mktemp(f"cap{seed}") / "ws"
        truth = sample.generate(folder, seed=seed, deals=12000)
        (folder / "activities.csv").unlink()
        (folder / "outcomes.csv").unlink()
        out.append((truth, capability.analyse(load.open_dataset(folder))))
    return out


def test_planted_strong_converters_are_recovered(studies) -> None:
    for truth, study in studies:
        planted = set(truth.top_performers["reps"])
        lucky = {w["rep_id"] for w in truth.one_off_winners}
        found = set(study.benchmark)
        assert len(found & planted) >= 5, (truth.seed, sorted(found), sorted(planted))
        assert len(found - planted) <= 1, (truth.seed, sorted(found - planted))
        assert not found & lucky, (truth.seed, sorted(found & lucky))


def test_one_off_winners_are_not_consistent(studies) -> None:
    for truth, study in studies:
        table = study.consistency.set_index("owner_id")
        for winner in truth.one_off_winners:
            row = table.loc[winner["rep_id"]]
            assert not row["consistent"]
            assert row["status"] in ("one_off", "occasional", "unconfirmed", "not_top")


def test_planted_competency_gaps_are_recovered(studies) -> None:
    for truth, study in studies:
        gaps = study.gaps
        assert set(gaps["dimension"].head(2)) == set(truth.top_performers["competencies"])
        top = gaps.head(2)
        assert (top["p_adj"] < 0.05).all(), (truth.seed, top[["dimension", "p_adj"]])
        assert (top["ci_low"] > 0).all()
        assert (gaps["p_adj"].iloc[2:] > 0.05).all()
        kinds = {f.kind for f in study.findings}
        assert kinds == {"capability_gap", "top_performer_profile"}
        gap_values = {f.value for f in study.findings if f.kind == "capability_gap"}
        assert gap_values == set(truth.top_performers["competencies"])
        for finding in study.findings:
            record = finding.to_summary()
            assert record["evidence"] and record["severity"] in (1, 2, 3)


# --- strong reps who share a territory with the worst stage ---------------------------------------


@pytest.fixture(scope="module")
def territory_studies(tmp_path_factory):
    """Three companies (seeds not used while building the adjustment) whose nine strong reps
    are spread over the regions, four of them in the region with a weak negotiation stage
    (``weak_territory``): the capability step with and without comparing on like deals."""
    out = []
    for seed in (11, 12, 13):
        folder = tmp_path_factory.mktemp(f"territory{seed}") / "ws"
        truth = sample.generate(
            folder, seed=seed, deals=12000, plant=(*sample.PLANTINGS, "weak_territory")
        )
        (folder / "activities.csv").unlink()
        (folder / "outcomes.csv").unlink()
        data = load.open_dataset(folder)
        out.append((truth, capability.analyse(data), capability.analyse(data, adjust=False)))
    return out


def test_strong_reps_in_the_weak_territory_are_found(territory_studies) -> None:
    for truth, study, naive in territory_studies:
        planted = set(truth.top_performers["reps"])
        assert len(planted) == 9
        found = set(study.benchmark)
        assert len(found & planted) >= 8, (truth.seed, sorted(found), sorted(planted))
        assert len(found - planted) <= 1, (truth.seed, sorted(found - planted))
        # the raw ranking misses strong reps of the weak territory: the planting bites
        in_region = set(truth.weak_territory["strong_reps_in_region"])
        naive_found = set(naive.benchmark)
        assert len(naive_found & planted) < len(found & planted), (truth.seed, naive_found)
        assert in_region - naive_found, (truth.seed, sorted(naive_found))
        # the why column says what the adjustment changed for them
        table = study.consistency.set_index("owner_id")
        for rep in in_region & found - naive_found:
            reason = table.at[rep, "reason"]
            assert "raw rank" in reason and "adjusted rank" in reason, reason
            assert f"region {truth.weak_territory['value']}" in reason, reason
        findings = [
            f for f in study.findings if f.kind in ("capability_gap", "top_performer_profile")
        ]
        assert findings and all(f.adjusted_for for f in findings)
        assert all("region" in f.to_summary()["adjusted_for"] for f in findings)


def test_planted_competency_gaps_lead_when_strong_reps_share_the_weak_territory(
    territory_studies,
) -> None:
    for truth, study, _ in territory_studies:
        gaps = study.gaps
        top = gaps.head(2)
        assert set(top["dimension"]) == set(truth.top_performers["competencies"]), (
            truth.seed,
            gaps[["dimension", "gap", "p_adj"]],
        )
        assert (top["p_adj"] < 0.05).all() and (top["ci_low"] > 0).all()


def test_on_the_sample_nothing_gets_worse(tmp_path) -> None:
    """The default sample (``playbook sample``: seed 42, 20,000 deals). The raw ranking
    (``adjust=False``) is the capability step as it was before the adjustment: its
    consistency table equals the one main computes (checked with ``capability.analyse``
    on ``make sample`` before and after the change, identical CSV)."""
    truth = sample.generate(tmp_path / "sample", seed=42, deals=20000)
    data = load.open_dataset(tmp_path / "sample")
    study = capability.analyse(data)
    naive = capability.analyse(data, adjust=False)
    planted = set(truth.top_performers["reps"])
    lucky = {w["rep_id"] for w in truth.one_off_winners}
    found, naive_found = set(study.benchmark), set(naive.benchmark)
    assert len(found & planted) >= len(naive_found & planted), (found, naive_found)
    assert len(found - planted) <= len(naive_found - planted), (found, naive_found)
    assert not found & lucky
    assert set(study.gaps["dimension"].head(2)) == set(truth.top_performers["competencies"])
    gap_values = {f.value for f in study.findings if f.kind == "capability_gap"}
    naive_values = {f.value for f in naive.findings if f.kind == "capability_gap"}
    assert gap_values >= set(truth.top_performers["competencies"])
    assert gap_values - naive_values <= set(truth.top_performers["competencies"])
    # side by side: the raw columns of the adjusted table are the naive table's
    table = study.consistency.set_index("owner_id")
    raw = naive.consistency.set_index("owner_id")
    assert (table["unadjusted_status"] == raw["status"].reindex(table.index)).all()


def test_study_tables_and_figures(small_sample) -> None:
    data = load.open_dataset(small_sample)
    study = capability.analyse(data, periods=2, top_k_of_n=1)
    assert list(study.consistency.columns) == capability.CONSISTENCY_COLUMNS
    assert list(study.comparison.columns) == capability.COMPARE_COLUMNS
    assert set(study.profile["family"]) == {
        "stage",
        "result",
        "behaviour",
        "customer",
        "competency",
    }
    view = capability.consistency_view(study.consistency, "zh")
    assert set(view["status"]) <= {"稳定", "未确认", "偶然", "间歇", "未入前列", "商机太少"}
    shown = capability.profile_view(study.comparison, data.config, "en")
    assert len(shown) == len(study.comparison) and shown["label"].str.len().gt(0).all()
    figures = [
        plots.consistency_grid(study.ranking, study.consistency),
        plots.capability_radar(study.gaps, dimension_labels=study.dimension_labels),
        plots.rep_radars(study.rep_gaps, study.focus, dimension_labels=study.dimension_labels),
        plots.gap_forest(study.gaps),
        plots.link_heatmap(study.links),
        plots.team_heatmap(study.team_scores),
    ]
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figures)
    assert study.kpis()["strong_converters"]["value"] == len(study.benchmark)


def test_missing_assessments_still_run(small_sample) -> None:
    data = load.open_dataset(small_sample)
    data.assessments = None
    study = capability.analyse(data, periods=2, top_k_of_n=1)
    assert study.scores.empty and study.gaps["gap"].isna().all()
    assert "No capability assessments" in study.basis
    assert not [f for f in study.findings if f.kind == "capability_gap"]
    assert isinstance(plots.capability_radar(study.gaps), matplotlib.figure.Figure)


# --- pseudonyms (playbook/workspace/privacy.py) ---------------------------------------------------


def test_pseudonyms_are_stable_keyed_and_shaped() -> None:
    a = privacy.pseudonym("R001", "workspace-secret")
    assert re.fullmatch(r"Rep-[0-9a-f]{6}", a)
    assert a == privacy.pseudonym("R001", "workspace-secret")
    assert a != privacy.pseudonym("R001", "another-secret")
    assert a != privacy.pseudonym("R002", "workspace-secret")
    with pytest.raises(ValueError, match="key must not be empty"):
        privacy.pseudonym("R001", "")


def test_pseudonymise_keeps_missing_and_categoricals() -> None:
    frame = pd.DataFrame({"owner_id": ["R1", "R2", None, "R1"], "x": [1, 2, 3, 4]})
    out = privacy.pseudonymise(frame, ["owner_id"], "k")
    assert out["owner_id"].iloc[0] == out["owner_id"].iloc[3] != out["owner_id"].iloc[1]
    assert pd.isna(out["owner_id"].iloc[2])
    assert frame["owner_id"].iloc[0] == "R1"  # input untouched
    cat = privacy.pseudonymise(frame.astype({"owner_id": "category"}), ["owner_id"], "k")
    assert isinstance(cat["owner_id"].dtype, pd.CategoricalDtype)
    assert cat["owner_id"].astype(object).tolist()[:2] == out["owner_id"].tolist()[:2]
    with pytest.raises(KeyError, match="columns rep not in the frame"):
        privacy.pseudonymise(frame, ["rep"], "k")


def test_pseudonym_map_lengthens_on_collision(monkeypatch) -> None:
    import hashlib

    monkeypatch.setattr(
        privacy, "_digest", lambda v, k: "abcdef" + hashlib.sha256(v.encode()).hexdigest()
    )
    mapping = privacy.pseudonym_map(["R1", "R2", "R3"], "k")
    assert len(set(mapping.values())) == 3
    assert all(len(p) > len("Rep-abcdef") for p in mapping.values())


def test_anonymise_tables_leaves_no_id_or_name(small_sample) -> None:
    data = load.open_dataset(small_sample)
    tables = {t: data.table(t) for t in data.present()}
    out = privacy.anonymise_tables(tables, "secret")
    ids = set(data.reps["rep_id"]) | set(data.reps["name"]) | set(data.deals["owner_id"])
    ids |= set(data.deals["deal_id"]) | set(data.deals["account_id"].dropna())
    pattern = re.compile("|".join(rf"\b{re.escape(str(i))}\b" for i in sorted(ids)))
    for name, frame in out.items():
        leaked = pattern.search(frame.astype(str).to_csv(index=False))
        assert leaked is None, (name, leaked and leaked.group(0))
    reps = out["reps"].set_index("rep_id")
    assert (reps.index == reps["name"]).all()
    deal = out["deals"]["deal_id"].iloc[0]
    events = out["stage_events"]
    same_deal = events.loc[events["deal_id"] == deal, "owner_id"].astype(str)
    assert len(same_deal) and (same_deal == str(out["deals"]["owner_id"].iloc[0])).all()
    assert str(out["deals"]["owner_id"].iloc[0]).startswith("Rep-")
    staff = out["activities"]["actor_id"].astype(str)
    assert staff.str.startswith(("Rep-", "Staff-")).all()
    assert set(out["assessments"]["assessor"]) == {"manager", "self"}  # roles, not people


def test_assessors_who_are_people_get_pseudonyms() -> None:
    tables = {
        "reps": pd.DataFrame({"rep_id": ["R1"], "name": ["Wang Wei"]}),
        "assessments": pd.DataFrame(
            {
                "rep_id": ["R1", "R1"],
                "dimension": ["x", "x"],
                "score": [3, 4],
                "assessor": ["Li Na", "self"],
            }
        ),
    }
    out = privacy.anonymise_tables(tables, "k")
    assessors = out["assessments"]["assessor"].tolist()
    assert assessors[1] == "self" and assessors[0].startswith("Staff-")
    assert out["reps"]["name"].iloc[0] == out["reps"]["rep_id"].iloc[0] != "Wang Wei"
    assert tables["assessments"]["assessor"].iloc[0] == "Li Na"  # input untouched


def test_team_capability_counts_the_reps_scored_on_each_competency() -> None:
    # A has 6 reps, but only 3 were scored on needs discovery: that mean would describe 3
    # people, so A is pooled there with the smallest other team (B); on product knowledge
    # all 6 were scored and A is shown. C (7 reps) is always shown.
    sizes = {"A": 6, "B": 6, "C": 7}
    reps = pd.DataFrame(
        [(f"{team}{i}", team) for team, n in sizes.items() for i in range(n)],
        columns=["rep_id", "team"],
    )
    rows = [(r, "product_knowledge", 3.0) for r in reps["rep_id"]]
    rows += [(r, "needs_discovery", 4.0) for r in reps["rep_id"] if r not in ("A3", "A4", "A5")]
    scores = pd.DataFrame(rows, columns=["rep_id", "dimension", "score"])
    out = capability.team_capability(scores, reps, min_group_size=5, other="pool")
    shown = out.set_index(["dimension", "team"])["reps"].to_dict()
    assert shown == {
        ("needs_discovery", "C"): 7,
        ("needs_discovery", "pool"): 9,
        ("product_knowledge", "A"): 6,
        ("product_knowledge", "B"): 6,
        ("product_knowledge", "C"): 7,
    }
    assert not out["suppressed"].any()
    few = capability.team_capability(scores[scores["rep_id"].isin(["A0", "B0"])], reps)
    assert few["suppressed"].all() and few["mean"].isna().all()

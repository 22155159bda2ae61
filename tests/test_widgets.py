"""The explorer: set a widget in Python, check what it shows against the playbook functions."""

from __future__ import annotations

import dataclasses
import json
import sys
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from playbook import stats
from playbook.explore.widgets import ALL, Explorer, open_explorer, subset_journey
from playbook.steps import capability, journey, stages
from playbook.workspace import load, privacy

KEY = "test-session-key"


@pytest.fixture(scope="module")
def dataset(small_sample) -> load.Dataset:
    return load.open_dataset(small_sample)


@pytest.fixture(scope="module")
def explorer(dataset) -> Explorer:
    return Explorer(dataset, key=KEY, lazy=False)


@pytest.fixture(autouse=True)
def _reset(request) -> None:
    """Every test starts from 'all deals, no comparison, pseudonymised'."""
    if "explorer" not in request.fixturenames:
        return
    ex = request.getfixturevalue("explorer")
    with ex.hold():
        ex.mode.value = "single"
        ex.pseudonymise.value = True
        for filters in (ex.filters, ex.filters_b):
            for name, widget in filters.items():
                widget.value = (ex.data.months[0], ex.data.months[-1]) if name == "period" else ALL


def _filtered(ds: load.Dataset, mask: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The deals selected by ``mask`` and their stage events, as plain frames."""
    deals = ds.deals[mask]
    events = ds.stage_events[ds.stage_events["deal_id"].isin(set(deals["deal_id"]))]
    return deals, events


def _rates(ds, deals, events, as_of) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.SmallSampleWarning)
        return stages.stage_rates(deals, events, ds.config, as_of=as_of)


def _group(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    return frame[frame["group"] == label].drop(columns="group").reset_index(drop=True)


# --- slicing the prepared journey -------------------------------------------------------------


@pytest.mark.parametrize("which", ["segment", "none", "all"])
def test_subset_journey_equals_prepare_on_the_filtered_frames(dataset, which) -> None:
    j = journey.prepare(dataset.deals, dataset.stage_events, dataset.config)
    if which == "segment":
        mask = (dataset.deals["segment"] == dataset.deals["segment"].iloc[0]).to_numpy()
    else:
        mask = np.full(len(dataset.deals), which == "all")
    deals, events = _filtered(dataset, mask)
    sub = subset_journey(j, mask)
    ref = journey.prepare(deals, events, dataset.config, as_of=j.as_of)
    for field in dataclasses.fields(ref):
        got, want = getattr(sub, field.name), getattr(ref, field.name)
        if isinstance(want, pd.DataFrame):
            pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
        elif isinstance(want, np.ndarray):
            np.testing.assert_array_equal(got, want, err_msg=field.name)
        else:
            assert got == want, field.name
    for metric in (journey.stage_monitor, journey.flows):
        pd.testing.assert_frame_equal(
            metric(deals, events, dataset.config, journey=sub),
            metric(deals, events, dataset.config, as_of=j.as_of),
        )


def test_subset_journey_names_a_wrong_mask(dataset) -> None:
    j = journey.prepare(dataset.deals, dataset.stage_events, dataset.config)
    with pytest.raises(ValueError, match=r"one entry per deal \(1500\); got \(3,\)"):
        subset_journey(j, np.ones(3, dtype=bool))


# --- filters change what is shown ---------------------------------------------------------------


def test_segment_filter_updates_tables_and_figures(explorer, dataset) -> None:
    ex = explorer
    before_rates = ex.figure_data["stage_rates"].copy()
    before_png = ex.images["journey"].children[0].value
    segment = ex.data.options["segment"][1]
    ex.filters["segment"].value = segment

    mask = (dataset.deals["segment"] == segment).to_numpy()
    deals, events = _filtered(dataset, mask)
    as_of = ex.data.journey.as_of
    summary = ex.tables["summary"].iloc[0]
    assert summary["deals"] == mask.sum()
    assert summary["open"] == (deals["status"] == "open").sum()
    won, lost = (deals["status"] == "won").sum(), (deals["status"] == "lost").sum()
    assert summary["win_rate"] == pytest.approx(won / (won + lost))
    assert f"{mask.sum():,}" in ex._summary.value

    expected = _rates(dataset, deals, events, as_of)
    shown = ex.tables["stage_matrix"]
    assert (shown["group"] == "selection").all()
    pd.testing.assert_frame_equal(
        shown.drop(columns="group").reset_index(drop=True),
        expected[shown.columns.drop("group")],
    )
    assert not np.allclose(before_rates["rate"], shown["rate"])
    pd.testing.assert_frame_equal(ex.figure_data["stage_rates"], shown)
    monitor = journey.stage_monitor(deals, events, dataset.config, as_of=as_of)
    pd.testing.assert_frame_equal(_group(ex.figure_data["journey_monitor"], "selection"), monitor)
    flows = journey.flows(deals, events, dataset.config, as_of=as_of)
    pd.testing.assert_frame_equal(_group(ex.figure_data["journey_flows"], "selection"), flows)
    assert ex.images["journey"].children[0].value != before_png
    first = expected.iloc[0]
    assert f"{first['rate']:.1%}" in ex._html["stage_matrix"].value


def test_period_and_stage_filters(explorer, dataset) -> None:
    ex = explorer
    months = ex.data.months
    with ex.hold():
        ex.filters["period"].value = (months[3], months[8])
        ex.filters["stage"].value = "proposal"
    created = dataset.deals["created_at"].dt.to_period("M").astype(str)
    in_period = created.between(months[3], months[8]).to_numpy()
    passed = journey.deal_stages(dataset.deals, dataset.stage_events, dataset.config)
    reached = set(passed.loc[passed["stage"] == "proposal", "deal_id"])
    mask = in_period & dataset.deals["deal_id"].isin(reached).to_numpy()
    assert ex.tables["summary"].iloc[0]["deals"] == mask.sum()
    rates = ex.tables["stage_matrix"].set_index("from")
    assert rates.loc["lead", "entered"] == mask.sum()
    assert rates.loc["proposal", "entered"] == mask.sum()
    assert f"{months[3]} – {months[8]}" in ex.tables["summary"].iloc[0]["filters"]


def test_hold_updates_once(explorer, monkeypatch) -> None:
    ex = explorer
    calls = []
    make = ex._make_slices
    monkeypatch.setattr(ex, "_make_slices", lambda: (calls.append(1), make())[1])
    with ex.hold():
        ex.filters["segment"].value = ex.data.options["segment"][0]
        ex.filters["region"].value = ex.data.options["region"][0]
    assert len(calls) == 1


# --- comparison modes ----------------------------------------------------------------------------


def test_slice_against_the_rest(explorer, dataset) -> None:
    ex = explorer
    region = ex.data.options["region"][0]
    with ex.hold():
        ex.mode.value = "rest"
        ex.filters["region"].value = region
    mask = (dataset.deals["region"] == region).to_numpy()
    as_of = ex.data.journey.as_of
    summary = ex.tables["summary"].set_index("group")
    assert summary.loc["selection", "deals"] == mask.sum()
    assert summary.loc["rest", "deals"] == (~mask).sum()
    a = _rates(dataset, *_filtered(dataset, mask), as_of)
    b = _rates(dataset, *_filtered(dataset, ~mask), as_of)
    comparison = ex.tables["comparison"]
    np.testing.assert_allclose(comparison["rate_a"], a["rate"])
    np.testing.assert_allclose(comparison["rate_b"], b["rate"])
    np.testing.assert_allclose(comparison["difference"], a["rate"] - b["rate"])
    raw = stats.slice_vs_rest_test(
        a["advanced"],
        a["mature_n"],
        a["advanced"] + b["advanced"],
        a["mature_n"] + b["mature_n"],
        alternative="two-sided",
    )
    np.testing.assert_allclose(comparison["p_value"], stats.benjamini_hochberg(raw))
    assert len(ex.images["journey"].children) == 2
    assert "rate selection" in ex._html["comparison"].value
    assert f"{comparison['rate_a'].iloc[0]:.1%}" in ex._html["comparison"].value
    assert "{group}" not in "".join(h.value for h in ex._html.values())


def test_two_slices_side_by_side(explorer, dataset) -> None:
    ex = explorer
    segment, region = ex.data.options["segment"][0], ex.data.options["region"][0]
    with ex.hold():
        ex.mode.value = "two"
        ex.filters["segment"].value = segment
        ex.filters_b["region"].value = region
    assert ex._box_b.layout.display == ""
    summary = ex.tables["summary"].set_index("group")
    assert summary.loc["A", "deals"] == (dataset.deals["segment"] == segment).sum()
    assert summary.loc["B", "deals"] == (dataset.deals["region"] == region).sum()
    overlap = ((dataset.deals["segment"] == segment) & (dataset.deals["region"] == region)).sum()
    assert ex.tables["comparison"]["p_value"].isna().all()
    assert any(f"share {overlap:,} deals" in note for note in ex.notes)
    ex.mode.value = "single"
    assert ex._box_b.layout.display == "none"
    assert list(ex.tables["summary"]["group"]) == ["selection"]


# --- people views -------------------------------------------------------------------------------


def _rep_names(ds: load.Dataset) -> list[str]:
    return [str(n) for n in ds.reps["name"].dropna()]


def test_pseudonymised_by_default_and_switchable(explorer, dataset) -> None:
    ex = explorer
    ids = ex.data.options["rep"]
    expected = privacy.pseudonym_map(ids, KEY)
    labels = [label for label, value in ex.filters["rep"].options if value != ALL]
    assert sorted(labels) == sorted(expected.values())
    shown = ex.tables["reps"]["owner_id"]
    assert set(shown) <= set(expected.values())
    people = ex._html["reps"].value + ex._html["teams"].value + ex._summary.value
    assert not [rep for rep in ids if f">{rep}<" in people]
    assert not [name for name in _rep_names(dataset) if name in people]

    rep = ids[0]
    ex.filters["rep"].value = rep
    summary = ex.tables["summary"].iloc[0]
    assert summary["deals"] == (dataset.deals["owner_id"] == rep).sum()
    assert expected[rep] in summary["filters"] and rep not in summary["filters"]

    ex.pseudonymise.value = False
    assert ex.filters["rep"].value == rep  # the selection survives the switch
    assert rep in ex.tables["summary"].iloc[0]["filters"]
    assert set(ex.tables["reps"]["owner_id"]) == {rep}
    assert not [name for name in _rep_names(dataset) if name in ex._html["reps"].value]


def test_each_session_gets_its_own_pseudonyms(dataset) -> None:
    one = Explorer(dataset, lazy=True)
    two = Explorer(dataset, lazy=True)
    assert set(one.tables["reps"]["owner_id"]).isdisjoint(two.tables["reps"]["owner_id"])


def test_team_view_pools_and_suppresses_small_groups(dataset) -> None:
    k = 7  # the sample has a team of 5 reps: pooled, with the smallest other team
    ex = Explorer(dataset, key=KEY, min_group_size=k, lazy=False)
    teams = ex.tables["teams"]
    reps = dataset.reps.groupby("team", observed=True)["rep_id"].nunique()
    small = reps[reps < k].index
    assert not set(small) & set(teams["team"])
    assert "other teams" in set(teams["team"])
    assert (teams["reps"] >= k).all() and not teams["suppressed"].any()
    options = [value for _, value in ex.filters["team"].options]
    assert not set(small) & set(options) and "other teams" in options

    # a slice with fewer than k reps in all: even pooled, the group is too small to show
    segment, region = ex.data.options["segment"][0], ex.data.options["region"][0]
    chosen = (dataset.deals["segment"] == segment) & (dataset.deals["region"] == region)
    month_of = dataset.deals["created_at"].dt.to_period("M").astype(str)
    counts = dataset.deals[chosen].groupby(month_of[chosen])["owner_id"].nunique()
    month, n = next((m, n) for m, n in counts.items() if 0 < n < k)
    with ex.hold():
        ex.filters["segment"].value = segment
        ex.filters["region"].value = region
        ex.filters["period"].value = (month, month)
    row = ex.tables["teams"].iloc[0]
    assert len(ex.tables["teams"]) == 1 and row["team"] == "other teams"
    assert row["suppressed"] and row["reps"] == n
    assert np.isnan(row["win_rate"]) and np.isnan(row["deals"])
    assert "suppressed" in ex._html["teams"].value


def test_reps_without_a_team_cannot_be_recovered_from_the_team_rows(dataset) -> None:
    # Two reps have no team: all deals minus the team rows would be their figure, so they
    # are pooled into "other teams" and the team rows add up to every deal.
    reps = dataset.reps.astype({"team": object})
    reps.loc[reps["rep_id"].isin(reps["rep_id"].iloc[:2]), "team"] = None
    ex = Explorer(replace(dataset, reps=reps), key=KEY, min_group_size=5, lazy=False)
    teams = ex.tables["teams"]
    assert teams["deals"].sum() == len(dataset.deals)
    assert (teams["reps"] >= 5).all() and "other teams" in set(teams["team"])


def test_team_slice_with_too_few_reps_is_suppressed_with_its_rest(dataset) -> None:
    k = 5
    ex = Explorer(dataset, key=KEY, min_group_size=k, lazy=False)
    deals = dataset.deals.assign(team=dataset.deals["owner_id"].map(ex.teams_by_rep))
    month_of = deals["created_at"].dt.to_period("M").astype(str)
    for team in ex.data.options["team"]:
        for month in ex.data.months:
            n = deals.loc[(deals["team"] == team) & (month_of == month), "owner_id"].nunique()
            if 0 < n < k:
                with ex.hold():
                    ex.mode.value = "rest"
                    ex.filters["team"].value = team
                    ex.filters["period"].value = (month, month)
                summary = ex.tables["summary"].set_index("group")
                assert summary["note"].tolist() == ["suppressed", "suppressed"]
                assert summary["deals"].isna().all()
                assert ex.tables["stage_matrix"].empty and ex.tables["reps"].empty
                assert any(f"covers {n} reps" in note for note in ex.notes)
                # one rep chosen explicitly is an individual view, not a group average
                rep = deals.loc[(deals["team"] == team) & (month_of == month), "owner_id"].iloc[0]
                ex.filters["rep"].value = rep
                assert ex.tables["summary"].iloc[0]["note"] == ""
                return
    pytest.fail("no team-month with fewer than k reps found in the sample")


# --- capability and handoffs ----------------------------------------------------------------------


def test_capability_radar_reads_the_slice_reps(explorer, dataset) -> None:
    ex = explorer
    region = ex.data.options["region"][0]
    ex.filters["region"].value = region
    reps = set(dataset.deals.loc[dataset.deals["region"] == region, "owner_id"].astype(str))
    study = ex.data.study
    profile = study.profile[study.profile["owner_id"].isin(reps)]
    comparison = capability.compare_groups(
        profile[profile["family"] == "competency"],
        [r for r in study.benchmark if r in reps],
        min_group_size=ex.min_group_size,
    )
    expected = capability.capability_gaps(comparison, dataset.config)
    shown = _group(ex.figure_data["capability"], "selection")
    np.testing.assert_allclose(shown["team_mean"], expected["team_mean"])
    assert list(shown["dimension"]) == list(expected["dimension"])
    assert shown["suppressed"].tolist() == expected["suppressed"].astype(bool).tolist()
    assert ex.images["radar"].children and ex.images["radar"].children[0].value


def test_handoff_tables_follow_the_filter(explorer, dataset) -> None:
    from playbook.steps import handoff

    ex = explorer
    segment = ex.data.options["segment"][2]
    ex.filters["segment"].value = segment
    j = ex.data.journey
    contacts = handoff.first_contacts(
        j.deals, dataset.activities, dataset.config, dataset.reps, as_of=j.as_of, journey=j
    )
    sla = handoff.sla_status(contacts, dataset.config, j, dataset.activities)
    chosen = set(dataset.deals.loc[dataset.deals["segment"] == segment, "deal_id"])
    expected = handoff.sla_compliance(sla[sla["deal_id"].isin(chosen)])
    shown = _group(ex.tables["sla"], "selection")
    np.testing.assert_array_equal(shown["n"], expected["n"])
    np.testing.assert_allclose(shown["compliance"], expected["compliance"])
    assert ex.tables["response"]["leads"].iloc[0] == len(chosen)


def test_missing_tables_and_modules_say_what_is_not_available(dataset, monkeypatch) -> None:
    bare = dataclasses.replace(dataset, activities=None, assessments=None, reps=None)
    ex = Explorer(bare, lazy=False)
    assert "no activities table" in ex._html["handoffs"].value
    assert not ex.tables["sla"].empty  # the proposal review SLA needs stage events only
    assert "Capability not available" in ex._html["capability"].value
    assert "no assessments table" in ex._html["capability"].value
    assert "team" not in ex.filters and ex.tables["teams"].empty

    monkeypatch.setitem(sys.modules, "playbook.steps.handoff", None)
    monkeypatch.setitem(sys.modules, "playbook.steps.capability", None)
    ex = Explorer(dataset, lazy=False)
    assert "playbook.steps.handoff module is not part" in ex._html["handoffs"].value
    assert "playbook.steps.capability module is not part" in ex._html["capability"].value
    ex.filters["segment"].value = ex.data.options["segment"][0]
    assert ex.tables["stage_matrix"]["entered"].iloc[0] == ex.tables["summary"]["deals"].iloc[0]


# --- display ------------------------------------------------------------------------------------


def test_client_data_is_escaped(dataset) -> None:
    deals = dataset.deals.copy()
    deals["segment"] = deals["segment"].cat.rename_categories(
        {deals["segment"].cat.categories[0]: "<script>alert(1)</script>"}
    )
    ex = Explorer(dataclasses.replace(dataset, deals=deals), lazy=False)
    ex.filters["segment"].value = "<script>alert(1)</script>"
    assert "<script>" not in ex._summary.value
    assert "&lt;script&gt;" in ex._summary.value


def test_lazy_explorer_draws_only_the_visible_tab(dataset) -> None:
    ex = Explorer(dataset, lazy=True)
    assert ex.images["journey"].children and not ex.images["stages"].children
    assert not ex._html["reps"].value
    ex.tabs.selected_index = 1
    assert ex.images["stages"].children and ex._html["stage_matrix"].value
    ex.tabs.selected_index = 4
    assert ex._html["reps"].value


def test_empty_selection_says_so(explorer) -> None:
    ex = explorer
    rep = ex.data.options["rep"][0]
    other_team = next(t for t in ex.data.options["team"] if t != ex.teams_by_rep[rep])
    with ex.hold():
        ex.filters["rep"].value = rep
        ex.filters["team"].value = other_team
    assert ex.tables["summary"].iloc[0]["deals"] == 0
    assert any("no deal matches" in note for note in ex.notes)
    assert ex.tables["stage_matrix"]["entered"].eq(0).all()


def test_open_explorer_prefers_the_server_environment(small_sample, tmp_path, monkeypatch) -> None:
    cache = load.save_cache(load.open_dataset(small_sample), tmp_path / "cache")
    monkeypatch.setenv("PLAYBOOK_CACHE_DIR", str(cache))
    monkeypatch.setenv("PLAYBOOK_LANGUAGE", "zh")
    ex = open_explorer("/nonexistent/workspace")
    assert ex.language == "zh" and ex.tables["summary"]["deals"].iloc[0] == 1500
    assert "客户旅程" in ex.tabs.titles


@pytest.mark.notebooks
def test_explore_notebook_displays_the_explorer(small_sample, tmp_path, monkeypatch) -> None:
    import nbformat
    import papermill
    from conftest import ROOT

    for name in ("PLAYBOOK_WORKSPACE", "PLAYBOOK_CACHE_DIR", "PLAYBOOK_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "explore.ipynb"),
        str(out),
        parameters={"workspace": str(small_sample), "language": "zh"},
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
        shutdown_kernel="immediate",
    )
    nb = nbformat.read(out, as_version=4)
    outputs = nb.cells[-1].outputs
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1
    state = json.dumps(nb.metadata["widgets"], ensure_ascii=False)
    assert "转化探索 — " in state and "<td>1,500</td>" in state


def test_people_views_read_win_rates_against_like_deals(dataset) -> None:
    """Every rep's and team's win rate beside what the company wins on the same deals; over
    the whole company the expected wins are the wins (the company is its own reference)."""
    ex = Explorer(dataset, key=KEY, min_group_size=5, lazy=False)
    reps = ex.tables["reps"]
    resolved = reps["won"] + reps["lost"]
    expected_wins = reps["expected_win_rate"] * resolved
    assert reps["expected_win_rate"].between(0, 1).all()
    assert expected_wins.sum() == pytest.approx(reps["won"].sum(), rel=1e-6)
    np.testing.assert_allclose(
        reps["win_rate_vs_expected"], reps["win_rate"] - reps["expected_win_rate"]
    )
    teams = ex.tables["teams"].set_index("team")
    assert {"expected_win_rate", "win_rate_vs_expected"} <= set(teams.columns)
    assert (teams["expected_win_rate"] * (teams["won"] + teams["lost"])).sum() == pytest.approx(
        teams["won"].sum(), rel=1e-6
    )
    assert "win rate vs expected" in ex._html["reps"].value

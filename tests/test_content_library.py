"""The content library on the sample company: planted items found, the page, the plan, the tab."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from playbook.sample import PLANTINGS, generate
from playbook.steps import content as content_library
from playbook.workspace.load import load_workspace


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("content") / "planted"
    truth = generate(folder, seed=5, deals=3000)
    return folder, truth, load_workspace(folder)


@pytest.fixture(scope="module")
def study(planted):
    return content_library.analyse(planted[2])


def _claims(study) -> dict[str, str]:
    effects = study.effects[study.effects["verdict"].isin(["winner", "problem"])]
    return dict(zip(effects["content_id"], effects["verdict"], strict=True))


def test_the_sample_plants_a_winner_and_a_problem_that_are_found(planted, study):
    _, truth, _ = planted
    winner, problem = truth.content["winner"], truth.content["problem"]
    claims = _claims(study)
    assert claims.get(winner["content_id"]) == "winner"
    assert claims.get(problem["content_id"]) == "problem"
    assert len(set(claims) - {winner["content_id"], problem["content_id"]}) <= 1, claims
    stages = {f.value: f.stage for f in study.findings}
    assert stages[winner["content_id"]] == winner["stage"] == "proposal"
    assert stages[problem["content_id"]] == problem["stage"] == "intent"
    # the truth's raw rates, measured on the generator's own arrays, agree in direction
    observed = truth.content["observed"][winner["content_id"]]
    assert observed["rate"] > observed["other_items_rate"]


def test_without_the_planting_content_makes_no_difference(tmp_path):
    folder = tmp_path / "null"
    generate(folder, seed=5, deals=3000, plant=tuple(p for p in PLANTINGS if p != "content"))
    null = content_library.analyse(load_workspace(folder))
    assert null.findings == [] and _claims(null) == {}
    assert (null.effects["verdict"] != "too_few").sum() >= 10  # judged, not just too small


def test_the_planting_changes_no_deal_and_no_event(planted, tmp_path):
    folder = tmp_path / "off"
    generate(folder, seed=5, deals=3000, plant=tuple(p for p in PLANTINGS if p != "content"))
    for name in ("deals.csv", "stage_events.csv", "reps.csv", "outcomes.csv", "content.csv"):
        assert (folder / name).read_bytes() == (planted[0] / name).read_bytes(), name
    on = pd.read_csv(planted[0] / "activities.csv", dtype=str)
    off = pd.read_csv(folder / "activities.csv", dtype=str)
    same = ["deal_id", "at", "type", "actor_id", "team"]
    assert on[same].equals(off[same])
    assert on["content_id"].notna().equals(off["content_id"].notna())  # same uses, other items


def test_library_lists_every_item_by_type_and_hides_small_user_groups(planted, study):
    library = study.library
    content = planted[2].content
    assert sorted(library["content_id"]) == sorted(content["content_id"])
    assert library["type"].is_monotonic_increasing
    used = library.set_index("content_id")
    acts = planted[2].activities
    assert used.loc["CT-09", "uses"] == (acts["content_id"] == "CT-09").sum()
    assert re.fullmatch(r"R\d{3} \(\d+\)(, R\d{3} \(\d+\)){2}", used.loc["CT-09", "top_users"])
    strict = content_library.library_table(
        content, study.uses, study.effects, acts, min_group_size=1000
    )
    assert strict["top_users"].str.startswith("fewer than 1000 users").all()
    assert "Proposal: winner" in used.loc["CT-09", "effects"]


def test_learning_materials_link_weak_stages_to_their_winning_items(planted, study):
    weaknesses = pd.DataFrame(
        {
            "owner_id": ["R001", "R002", "R003"],
            "weakness": ["stage:proposal", "stage:lead", "competency:needs_discovery"],
            "area": ["proposal", "lead", "needs_discovery"],
        }
    )
    materials = content_library.learning_materials(weaknesses, study.effects, planted[2].content)
    assert materials[["owner_id", "stage", "content_id"]].values.tolist() == [
        ["R001", "proposal", "CT-09"]
    ]
    assert materials.loc[0, "observed"] > materials.loc[0, "baseline"]
    assert content_library.materials_for(planted[2], weaknesses).equals(materials)


def test_explorer_tab_searches_the_library(planted):
    from playbook.explore.widgets import Explorer

    explorer = Explorer(planted[2], language="zh")
    assert explorer.tabs.titles[-1] == "内容库"
    explorer.tabs.selected_index = len(explorer.tabs.children) - 1
    assert "CT-09" in explorer.content_tab._library.value
    explorer.content_tab.query.value = "安全"
    assert explorer.content_tab.results["content_id"].tolist()[0] == "CT-12"
    assert "安全评审会议议程" in explorer.content_tab._results.value


@pytest.mark.notebooks
def test_anonymised_page_shows_the_library_and_names_no_person(planted, tmp_path):
    from playbook.report.runner import run_pilot

    folder = planted[0]
    result = run_pilot(folder, out=tmp_path / "reports", only=["08"], anonymize=True, jobs=1)
    report = result.report_dir
    page = (report / "08_content_library.html").read_text(encoding="utf-8")
    assert "CT-09" in page and "安全评审会议议程" in page and "Rep-" in page
    reps = pd.read_csv(folder / "reps.csv", dtype=str)
    texts = [page] + [p.read_text(encoding="utf-8-sig") for p in (report / "tables").glob("*")]
    for text in texts:
        assert not re.search(r"(?<![\w-])R\d{3}(?!\w)", text)
        assert not any(name in text for name in reps["name"])
    summary = (report / "summary.json").read_text(encoding="utf-8")
    assert '"kind": "content_effect"' in summary
    assert (report / "tables" / "08_content_effects.csv").exists()
    assert (report / "tables" / "08_content_library.csv").exists()


def test_a_workspace_without_content_or_without_uses_says_so(tiny_workspace, tmp_path):
    from conftest import DEALS_CSV, EVENTS_CSV, write_workspace

    bare = content_library.analyse(load_workspace(tiny_workspace), language="zh")
    assert not bare.present and bare.summary_kind == "warn"
    assert "没有内容表" in bare.summary()
    assert bare.effects_view().empty and bare.claimed_texts().empty and bare.library.empty
    unused = write_workspace(
        tmp_path / "unused",
        {
            "deals.csv": DEALS_CSV,
            "stage_events.csv": EVENTS_CSV,
            "content.csv": "content_id,type,title,body\nC1,script,Opening,Hello\n",
        },
    )
    study = content_library.analyse(load_workspace(unused))
    assert study.present and study.summary_kind == "warn" and "no activity" in study.summary()
    assert study.library[["content_id", "uses", "effects"]].values.tolist() == [
        ["C1", 0, "not used"]
    ]
    assert study.search("open")["content_id"].tolist() == ["C1"]

"""Privacy: pseudonyms for every identifier, the named assessor, small-group suppression."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from playbook.steps import capability
from playbook.workspace import privacy
from playbook.workspace.config import default_config

KEY = "workspace-secret"


def _tables() -> dict[str, pd.DataFrame]:
    deals = pd.DataFrame(
        {
            "deal_id": ["D-1001", "D-1002", "D-1003"],
            "owner_id": ["R-7", "R-8", "R-7"],
            "account_id": ["ACC-55", "ACC-55", "ACC-56"],
            "segment": ["Retail", "Energy", "Retail"],
            "contact_name": ["Liu Yang", "Sun Li", None],
            "pilot_group": ["pilot", "control", "pilot"],
        }
    )
    events = pd.DataFrame(
        {"deal_id": ["D-1001", "D-1001", "D-1002", "D-1003"], "owner_id": ["R-7"] * 4}
    )
    activities = pd.DataFrame(
        {"deal_id": ["D-1002", "D-1003"], "actor_id": ["R-8", "MKT-3"], "campaign_id": ["c1", "c2"]}
    )
    outcomes = pd.DataFrame({"deal_id": ["D-1001"], "nps": [9.0]})
    reps = pd.DataFrame(
        {"rep_id": ["R-7", "R-8"], "name": ["Wang Wei", "Zhou Min"], "team": ["T1", "T1"]}
    )
    assessments = pd.DataFrame(
        {
            "rep_id": ["R-7", "R-7", "R-8", "R-8", "R-8"],
            "dimension": ["needs_discovery"] * 5,
            "score": [2.0, 4.0, 3.0, 5.0, 1.0],
            "assessor": ["Chen  Jing", "self", "chen jing", "manager", "R-7"],
        }
    )
    targets = pd.DataFrame(
        {
            "period": ["2026-10"] * 3,
            "level": ["company", "department", "individual"],
            "unit": ["all", "T1", "R-8"],
            "metric": ["won_revenue"] * 3,
            "target": [1.0, 2.0, 3.0],
        }
    )
    return {
        "deals": deals,
        "stage_events": events,
        "activities": activities,
        "outcomes": outcomes,
        "reps": reps,
        "assessments": assessments,
        "targets": targets,
    }


def _leaks(tables: dict[str, pd.DataFrame]) -> list[str]:
    ids = ["D-1001", "D-1002", "D-1003", "R-7", "R-8", "ACC-55", "ACC-56", "MKT-3"]
    names = ["Liu Yang", "Sun Li", "Wang Wei", "Zhou Min", "Chen  Jing", "chen jing"]
    text = "\n".join(f.astype(str).to_csv(index=False) for f in tables.values())
    return [s for s in ids + names if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text)]


def test_anonymise_tables_replaces_every_identifier_and_keeps_joins() -> None:
    tables = _tables()
    assert len(_leaks(tables)) == 14  # the scan sees every id and name of the input
    out = privacy.anonymise_tables(tables, KEY)
    assert _leaks(out) == []
    deals, events = out["deals"], out["stage_events"]
    assert deals["deal_id"].str.fullmatch(r"Deal-[0-9a-f]{12}").all()
    assert deals["account_id"].str.fullmatch(r"Acct-[0-9a-f]{12}").all()
    # joins survive: the first deal's events, activity and outcome follow it
    first, second = deals["deal_id"].iloc[0], deals["deal_id"].iloc[1]
    assert (events["deal_id"] == first).sum() == 2
    assert out["outcomes"]["deal_id"].tolist() == [first]
    assert out["activities"]["deal_id"].iloc[0] == second
    assert deals["account_id"].iloc[0] == deals["account_id"].iloc[1] != deals["account_id"].iloc[2]
    # people: owners, actors, names, individual targets
    rep7 = deals["owner_id"].iloc[0]
    assert rep7.startswith("Rep-") and set(events["owner_id"]) == {rep7}
    assert out["activities"]["actor_id"].iloc[0] == deals["owner_id"].iloc[1]  # R-8 as actor
    assert out["activities"]["actor_id"].iloc[1].startswith("Staff-")
    assert (out["reps"]["name"] == out["reps"]["rep_id"]).all()
    targets = out["targets"].set_index("level")["unit"]
    assert targets["company"] == "all" and targets["department"] == "T1"
    assert targets["individual"] == deals["owner_id"].iloc[1]
    # extra columns named like an identifier are pseudonymised; others are kept
    assert deals["contact_name"].iloc[:2].str.startswith("Id-").all()
    assert pd.isna(deals["contact_name"].iloc[2])
    assert deals["pilot_group"].tolist() == ["pilot", "control", "pilot"]
    assert out["activities"]["campaign_id"].str.startswith("Id-").all()
    assert privacy.anonymise_tables(
        {"activities": tables["activities"].assign(content_id=["C1", "C2"])}, KEY
    )["activities"]["content_id"].tolist() == ["C1", "C2"]  # a template id names no one
    assert deals["segment"].tolist() == ["Retail", "Energy", "Retail"]
    # stable for a key, unrelated under another; the input is untouched
    again = privacy.anonymise_tables(_tables(), KEY)
    assert again["deals"]["deal_id"].tolist() == deals["deal_id"].tolist()
    other = privacy.anonymise_tables(_tables(), "another-secret")
    assert not set(other["deals"]["deal_id"]) & set(deals["deal_id"])
    assert tables["deals"]["deal_id"].iloc[0] == "D-1001"


def test_named_assessor_is_one_pseudonym_and_the_config_follows_it() -> None:
    tables = _tables()
    out = privacy.anonymise_tables(tables, KEY)
    who = out["assessments"]["assessor"].tolist()
    # "Chen  Jing" and "chen jing" are one person; roles stay; a rep id as assessor is the rep
    assert who[0] == who[2] and who[0].startswith("Staff-")
    assert who[1] == "self" and who[3] == "manager"
    assert who[4] == out["deals"]["owner_id"].iloc[0]
    config = default_config().model_copy(deep=True)
    config.capability.assessor = "Chen Jing"
    config.pilot.reps = ["R-7"]
    people = privacy.people_map(tables, KEY)
    anon = privacy.anonymise_config(config, people, KEY)
    assert anon.capability.assessor == who[0]
    assert anon.pilot.reps == [out["deals"]["owner_id"].iloc[0]]
    assert config.capability.assessor == "Chen Jing"  # the original config is untouched
    # the capability step picks the same person's scores in both worlds
    raw = capability.assessment_scores(tables["assessments"], config)
    masked = capability.assessment_scores(out["assessments"], anon)
    by_rep = dict(zip(masked["rep_id"], masked["score"], strict=True))
    assert raw.set_index("rep_id")["score"].to_dict() == {"R-7": 2.0, "R-8": 3.0}
    assert by_rep == {out["deals"]["owner_id"].iloc[0]: 2.0, out["deals"]["owner_id"].iloc[1]: 3.0}
    assert set(masked["assessor_basis"]) == {who[0]}
    for setting in ("manager", "mean", "Self"):
        config.capability.assessor = setting
        assert privacy.anonymise_config(config, people, KEY).capability.assessor == setting
    config.capability.assessor = "Nobody Known"  # gave no score: still no name in the error
    unknown = privacy.anonymise_config(config, people, KEY).capability.assessor
    assert unknown.startswith("Staff-")
    with pytest.raises(ValueError) as info:
        capability.assessment_scores(
            out["assessments"], privacy.anonymise_config(config, people, KEY)
        )
    assert "Nobody" not in str(info.value) and "Chen" not in str(info.value)


def test_lookup_table_maps_every_pseudonym_back() -> None:
    tables = _tables()
    out = privacy.anonymise_tables(tables, KEY)
    lookup = privacy.lookup_table(tables, KEY)
    back = dict(zip(lookup["pseudonym"], lookup["id"], strict=True))
    assert back[out["deals"]["deal_id"].iloc[1]] == "D-1002"
    assert back[out["deals"]["account_id"].iloc[2]] == "ACC-56"
    assert back[out["deals"]["owner_id"].iloc[1]] == "R-8"
    assert back[out["activities"]["actor_id"].iloc[1]] == "MKT-3"
    assert back[out["assessments"]["assessor"].iloc[0]] == "chen jing"
    assert set(lookup["kind"]) == {"deal", "account", "person"}


def _groups(spec: dict[str | None, int], rows_each: int = 3) -> tuple[pd.Series, pd.Series]:
    """Rows for groups of so many distinct people, each person on several rows."""
    groups, people = [], []
    for group, n in spec.items():
        for i in range(n):
            groups += [group] * rows_each
            people += [f"{group}-{i}"] * rows_each
    return pd.Series(groups, dtype=object), pd.Series(people, dtype=object)


def test_people_groups_count_people_not_rows() -> None:
    # A has 3 people on 9 rows: pooled; the pool (3) is too small, so the smallest shown
    # group (B, 6) joins it (complementary suppression): other = 9 people; C stays.
    groups, people = _groups({"A": 3, "B": 6, "C": 7})
    shown = privacy.people_groups(groups, people, 5, "other")
    assert dict(zip(groups, shown, strict=True)) == {"A": "other", "B": "other", "C": "C"}


def test_people_groups_suppress_a_pool_that_stays_too_small() -> None:
    groups, people = _groups({"A": 2, "B": 2})
    assert privacy.people_groups(groups, people, 5, "other").isna().all()
    assert privacy.people_groups(groups, people, 1, "other").tolist() == groups.tolist()


def test_people_groups_treat_rows_without_group_as_a_hidden_group() -> None:
    # Rows of 2 people without a team: total minus the shown teams would isolate them, so
    # they are pooled with the smallest team (A) into "other" (2 + 6 people).
    groups, people = _groups({"A": 6, "B": 7, None: 2})
    shown = privacy.people_groups(groups, people, 5, "other")
    assert set(shown[groups.isna()]) == {"other"}
    assert set(shown[groups == "A"]) == {"other"} and set(shown[groups == "B"]) == {"B"}
    # enough people without a team: they stay out of every group, and A stays itself
    groups, people = _groups({"A": 6, "B": 7, None: 5})
    shown = privacy.people_groups(groups, people, 5, "other")
    assert shown[groups.isna()].isna().all() and set(shown[groups == "A"]) == {"A"}


def test_people_groups_count_within_each_stratum() -> None:
    big, big_people = _groups({"A": 6, "B": 6})
    small, small_people = _groups({"A": 3, "B": 6})
    groups = pd.concat([big, small], ignore_index=True)
    people = pd.concat([big_people, small_people], ignore_index=True)
    within = pd.Series(["s1"] * len(big) + ["s2"] * len(small))
    shown = privacy.people_groups(groups, people, 5, "other", within=within)
    assert set(shown[within == "s1"]) == {"A", "B"}
    assert set(shown[within == "s2"]) == {"other"}  # A has 3 people there: A and B pooled


def test_deal_pseudonyms_are_one_to_one() -> None:
    ids = np.char.add("D", np.arange(200_000).astype(str)).astype(object)
    mapping = privacy.pseudonym_map(ids, KEY, prefix="Deal", length=privacy.RECORD_LENGTH)
    assert len(set(mapping.values())) == len(ids)

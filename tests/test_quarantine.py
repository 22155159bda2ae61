"""--on-bad-rows quarantine: bad rows set aside with their deal, within a limit."""

from __future__ import annotations

import pandas as pd
import pytest

from playbook.exceptions import DataError
from playbook.workspace.load import load_workspace
from playbook.workspace.quarantine import FOLLOWS_DEAL, anonymised_rows, load_quarantining

N_DEALS = 300


def workspace_files(n: int = N_DEALS) -> dict[str, pd.DataFrame]:
    """``n`` deals (D1..Dn), two stage events and one activity each, three reps with scores."""
    ids = [f"D{i}" for i in range(1, n + 1)]
    deals = pd.DataFrame(
        {
            "deal_id": ids,
            "created_at": "2026-03-01",
            "owner_id": [f"R{i % 3 + 1}" for i in range(n)],
            "status": "open",
            "amount": "100",
        }
    )
    events = pd.DataFrame(
        {
            "deal_id": [d for d in ids for _ in range(2)],
            "stage": ["Lead", "Intent"] * n,
            "entered_at": ["2026-03-01", "2026-03-04"] * n,
        }
    )
    activities = pd.DataFrame({"deal_id": ids, "at": "2026-03-02", "type": "call"})
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "hired_at": "2024-01-01"})
    assessments = pd.DataFrame(
        {"rep_id": ["R1", "R2", "R3"], "dimension": "needs_discovery", "score": "3"}
    )
    return {
        "deals": deals,
        "stage_events": events,
        "activities": activities,
        "reps": reps,
        "assessments": assessments,
    }


def write(folder, tables: dict[str, pd.DataFrame], pilot: str = "") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "pilot.yml").write_text(pilot or "name: q\n", encoding="utf-8")
    return str(folder)


def spoil(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """One problem of each row-level kind, each in a different deal (file row = index + 2)."""
    deals, events, activities = tables["deals"], tables["stage_events"], tables["activities"]
    deals.loc[4, "created_at"] = "someday"  # D5: unreadable date
    events.loc[events["deal_id"] == "D7", "stage"] = ["Lead", "Qualifikation"]  # D7: unknown stage
    activities.loc[8, "at"] = "31/31/2026"  # D9: unreadable date in an activity
    events.loc[events["deal_id"] == "D11", "entered_at"] = ["2026-02-01", "2026-03-04"]  # D11
    orphan = pd.DataFrame(
        {"deal_id": ["D999", "D999"], "stage": ["Lead", "Intent"], "entered_at": "2026-03-01"}
    )
    tables["stage_events"] = pd.concat([events, orphan], ignore_index=True)
    return tables


SPOILT = {"D5", "D7", "D9", "D11"}


def test_by_default_bad_rows_refuse_the_workspace(tmp_path) -> None:
    ws = write(tmp_path / "ws", spoil(workspace_files()))
    with pytest.raises(DataError) as caught:
        load_quarantining(ws)
    text = str(caught.value)
    assert "deals.csv row 6, column 'created_at': not a date I can read (found 'someday')" in text
    assert "stage 'Qualifikation' matches no stage in pilot.yml" in text
    assert "deal_id not found in deals (found 'D999')" in text


def test_quarantine_sets_the_deals_aside_with_everything_that_depends_on_them(tmp_path) -> None:
    tables = spoil(workspace_files())
    pilot = "name: q\nintake: {on_bad_rows: quarantine, max_quarantined: 0.02}\n"
    ws = write(tmp_path / "ws", tables, pilot)
    dataset, aside = load_quarantining(ws)
    assert set(dataset.deals["deal_id"]) == {f"D{i}" for i in range(1, N_DEALS + 1)} - SPOILT
    assert SPOILT.isdisjoint(dataset.stage_events["deal_id"].astype(str))
    assert SPOILT.isdisjoint(dataset.activities["deal_id"].astype(str))
    assert "D999" not in set(dataset.stage_events["deal_id"].astype(str))
    # everything else is kept: 2 events and 1 activity per remaining deal
    assert len(dataset.stage_events) == 2 * (N_DEALS - len(SPOILT))
    assert len(dataset.activities) == N_DEALS - len(SPOILT)
    rows = aside.rows
    own = rows[rows["reason"] != FOLLOWS_DEAL]
    assert set(own["deal_id"]) == SPOILT | {"D999"}
    by_deal = own.set_index("deal_id")
    assert by_deal.loc["D5", "file"] == "deals.csv" and by_deal.loc["D5", "row"] == 6
    assert by_deal.loc["D5", "value"] == "someday"
    assert by_deal.loc["D9", ["file", "column", "value"]].tolist() == [
        "activities.csv",
        "at",
        "31/31/2026",
    ]
    assert (rows["deal_id"] == "D999").sum() == 2  # both rows of the unknown deal
    # 4 deal rows + their 8 events + 4 activities + 2 orphan events, each listed once
    assert len(rows) == 4 + 8 + 4 + 2
    assert aside.deals == 4 and aside.total_deals == N_DEALS
    record = aside.record()
    assert record["rows"] == 18 and record["deals"] == 4
    assert sum(record["by_reason"].values()) == 18
    assert dataset.notes[0].startswith("18 row(s) were set aside")
    assert "(1.33%)" in dataset.notes[0]


def test_the_flag_overrides_pilot_yml_and_fail_still_refuses(tmp_path) -> None:
    pilot = "name: q\nintake: {max_quarantined: 0.02}\n"
    ws = write(tmp_path / "ws", spoil(workspace_files()), pilot)
    dataset, _ = load_quarantining(ws, policy="quarantine")
    assert len(dataset.deals) == N_DEALS - len(SPOILT)
    quarantine_yml = "name: q\nintake: {on_bad_rows: quarantine, max_quarantined: 0.02}\n"
    ws2 = write(tmp_path / "ws2", spoil(workspace_files()), quarantine_yml)
    with pytest.raises(DataError):
        load_quarantining(ws2, policy="fail")


def test_above_the_limit_the_workspace_is_refused_with_every_problem(tmp_path) -> None:
    ws = write(tmp_path / "ws", spoil(workspace_files()))  # 4 of 300 deals: above 1%
    with pytest.raises(DataError) as caught:
        load_quarantining(ws, policy="quarantine")
    problems = caught.value.problems
    assert problems[0].column == "intake.max_quarantined"
    assert "1.33% of deals have problems, more than the 1.00%" in problems[0].message
    assert "not a date I can read" in str(caught.value)
    assert caught.value.count == 6  # the heading line, then the 5 problems as without quarantine


def test_a_problem_with_a_whole_file_still_stops(tmp_path) -> None:
    tables = spoil(workspace_files())
    tables["activities"] = tables["activities"].drop(columns="at")
    pilot = "name: q\nintake: {on_bad_rows: quarantine, max_quarantined: 0.5}\n"
    ws = write(tmp_path / "ws", tables, pilot)
    with pytest.raises(DataError, match="column 'at': required column is missing") as caught:
        load_quarantining(ws)
    with pytest.raises(DataError) as plain:
        load_workspace(ws)
    assert str(caught.value) == str(plain.value)  # the usual list, nothing set aside


def test_rows_beyond_the_listed_twenty_are_set_aside_too(tmp_path) -> None:
    tables = workspace_files()
    tables["deals"].loc[10:34, "amount"] = "lots"  # 25 deals; the problem list shows 20
    pilot = "name: q\nintake: {on_bad_rows: quarantine, max_quarantined: 0.1}\n"
    ws = write(tmp_path / "ws", tables, pilot)
    with pytest.raises(DataError) as caught:
        load_workspace(ws)
    assert "… and 5 more rows with the same problem" in str(caught.value)
    dataset, aside = load_quarantining(ws)
    assert aside.deals == 25
    assert set(dataset.deals["deal_id"]).isdisjoint({f"D{i}" for i in range(11, 36)})
    assert aside.by_reason()["not a number"] == 25


def test_a_bad_rep_takes_its_orphaned_scores_along(tmp_path) -> None:
    tables = workspace_files()
    tables["reps"].loc[1, "hired_at"] = "yesterday"
    pilot = "name: q\nintake: {on_bad_rows: quarantine, max_quarantined: 0.5}\n"
    dataset, aside = load_quarantining(write(tmp_path / "ws", tables, pilot))
    assert list(dataset.reps["rep_id"]) == ["R1", "R3"]
    assert list(dataset.assessments["rep_id"]) == ["R1", "R3"]
    assert set(aside.rows["table"]) == {"reps", "assessments"}
    assert len(dataset.deals) == N_DEALS  # deals owned by that rep are not bad rows


def test_a_clean_workspace_sets_nothing_aside(tmp_path) -> None:
    dataset, aside = load_quarantining(
        write(tmp_path / "ws", workspace_files()), policy="quarantine"
    )
    assert aside.rows.empty and aside.deals == 0 and aside.notes() == []
    assert aside.record()["rows"] == 0
    assert len(dataset.deals) == N_DEALS


def test_anonymised_rows_name_no_deal_or_person() -> None:
    rows = pd.DataFrame(
        [
            ("deals.csv", 6, "created_at", "someday", "not a date I can read", "D5", "deals"),
            ("deals.csv", 7, "owner_id", "Ann Lee", "'owner_id' is empty", "D6", "deals"),
            (
                "stage_events.csv",
                9,
                "deal_id",
                "D999",
                "deal_id not found in deals",
                "D999",
                "stage_events",
            ),
        ],
        columns=["file", "row", "column", "value", "reason", "deal_id", "table"],
    )
    out = anonymised_rows(rows, "k" * 32)
    assert out.loc[0, "value"] == "someday"  # a date names nobody
    assert out.loc[1, "value"] is None  # a person's name is not written
    assert out.loc[2, "value"] == out.loc[2, "deal_id"]
    assert all(str(d).startswith("Deal-") for d in out["deal_id"])
    assert not {"D5", "D6", "D999", "Ann Lee"} & set(map(str, out.to_numpy().ravel()))

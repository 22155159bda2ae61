"""Leads + closed deals (two_table), on a sample of the public Olist marketing funnel.

The export as it comes: 8,000 leads, 842 closed deals joined on ``mql_id``, no loss
recorded, and one deal won two days before its lead's first contact.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from playbook.cli import main
from playbook.exceptions import DataError
from playbook.workspace.load import load_workspace

# The shared public data beside the checkout (found from a git worktree too).
DATA = next(
    (p / "shared" / "data" for p in Path(__file__).resolve().parents if (p / "shared").is_dir()),
    Path(__file__).resolve().parents[2] / "shared" / "data",
)
OLIST = DATA / "olist_marketing_funnel"
IMPOSSIBLE = "b91cf8812365f50ff4bda4bcd6206b05"  # won 2018-03-06, first contact 2018-03-08
HOSTILE_OWNER = '=HYPERLINK("http://evil.example","click")'
N_WON, N_OPEN = 120, 180

PILOT = """\
name: olist
timezone: America/Sao_Paulo
source:
  type: two_table
  file: leads.csv
  columns: {deal_id: mql_id, created_at: first_contact_date, source: origin}
  closed:
    file: closed.csv
    columns: {deal_id: mql_id, closed_at: won_date, owner_id: sr_id, segment: business_segment}
funnel:
  stages:
    - {id: mql, label_en: Marketing qualified lead, label_zh: 市场合格线索, window_days: 60}
    - {id: won, label_en: Won, label_zh: 赢单}
dimensions: [segment, source]
"""


def olist(name: str) -> pd.DataFrame:
    path = OLIST / name
    if not path.exists():
        pytest.fail(f"public test data not found: {path} (see {DATA}/README.md)")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> dict:
    """A workspace holding a sample of the export as it comes: the impossible deal, 120 other
    won leads, 180 leads never closed; one owner id hostile to spreadsheets."""
    leads = olist("olist_marketing_qualified_leads_dataset.csv")
    closed = olist("olist_closed_deals_dataset.csv")
    won = closed[closed["mql_id"] != IMPOSSIBLE].head(N_WON)
    picked = pd.concat([closed[closed["mql_id"] == IMPOSSIBLE], won])
    never = leads[~leads["mql_id"].isin(closed["mql_id"])].head(N_OPEN)
    sample = pd.concat([leads[leads["mql_id"].isin(picked["mql_id"])], never])
    picked = picked.copy()
    picked.loc[picked.index[5], "sr_id"] = HOSTILE_OWNER
    ws = tmp_path_factory.mktemp("two_table") / "olist"
    ws.mkdir()
    sample.to_csv(ws / "leads.csv", index=False)
    picked.to_csv(ws / "closed.csv", index=False)
    (ws / "pilot.yml").write_text(PILOT, encoding="utf-8")
    row = (
        int(sample.reset_index(drop=True).index[sample["mql_id"].eq(IMPOSSIBLE).to_numpy()][0]) + 2
    )
    return {"ws": ws, "row": row, "leads": len(sample), "won": len(picked) - 1}


def test_validate_refuses_the_impossible_row_and_names_it(export, capsys) -> None:
    assert main(["validate", str(export["ws"])]) == 2
    err = capsys.readouterr().err
    assert (
        f"leads.csv row {export['row']}, column 'closed_at': closed before it was created "
        "(found '2018-03-06 19:38:55')" in err
    )
    assert "Traceback" not in err


def test_validate_with_quarantine_counts_the_rows_set_aside(export, capsys) -> None:
    code = main(["validate", str(export["ws"]), "--on-bad-rows", "quarantine", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is True
    q = out["quarantined"]
    assert (q["deals"], q["total_deals"]) == (1, export["leads"])
    # the deal's row, its won event (entered before creation) and its lead event
    assert q["rows"] == 3


def test_leads_join_closed_deals_and_the_rest_are_open(export) -> None:
    data = load_workspace(export["ws"], _without_impossible(export))
    deals = data.deals.set_index("deal_id")
    assert len(deals) == export["leads"] - 1
    assert (deals["status"] == "won").sum() == export["won"]
    assert (deals["status"] == "open").sum() == N_OPEN
    assert deals.loc[deals["status"] == "open", "closed_at"].isna().all()
    assert set(deals.loc[deals["status"] == "open", "owner_id"].astype(str)) == {"unassigned"}
    events = data.stage_events
    assert (events["stage"] == "mql").sum() == len(deals)
    assert (events["stage"] == "won").sum() == export["won"]
    assert any("joined with" in note for note in data.notes)


def _without_impossible(export):
    """The config of the export, reading a copy of the leads without the impossible lead."""
    from playbook.workspace.config import load_config

    ws = export["ws"]
    leads = pd.read_csv(ws / "leads.csv", dtype=str, keep_default_na=False)
    leads[leads["mql_id"] != IMPOSSIBLE].to_csv(ws / "leads_clean.csv", index=False)
    config = load_config(ws)
    source = dict(config.source)
    source["file"] = "leads_clean.csv"
    return config.model_copy(update={"source": source})


@pytest.fixture(scope="module")
def quarantined_run(export, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    argv = ["-q", "run", str(export["ws"]), "--on-bad-rows", "quarantine", "--only", "00"]
    code = main([*argv, "--out", str(out)])
    (report,) = [p for p in (out / "olist").iterdir() if p.is_dir() and p.name[0].isdigit()]
    return code, report


def test_run_with_quarantine_leaves_the_deal_out_and_says_so(export, quarantined_run) -> None:
    code, report = quarantined_run
    assert code == 0
    rows = pd.read_csv(report / "quarantine.csv", dtype=str, encoding="utf-8-sig")
    assert set(rows["deal_id"]) == {IMPOSSIBLE}
    assert set(rows["row"]) == {str(export["row"])}
    own = rows[rows["column"].notna()]
    assert sorted(own["reason"]) == [
        "closed before it was created",
        "stage entered before the deal was created",
    ]
    summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    assert summary["schema_version"] == "1.2"
    assert summary["quarantine"]["deals"] == 1 and summary["quarantine"]["rows"] == 3
    assert summary["kpis"]["deals"]["value"] == export["leads"] - 1
    index = (report / "index.html").read_text(encoding="utf-8")
    assert f"3 row(s), 1 of {export['leads']} deals" in index
    intake = (report / "00_data_intake.html").read_text(encoding="utf-8")
    assert "3 row(s) were set aside" in intake
    assert "closed before it was created — 1 row(s)" in intake


def test_without_losses_the_headline_is_the_mature_conversion(export, quarantined_run) -> None:
    _, report = quarantined_run
    summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    assert "win_rate" not in summary["kpis"]
    entry = summary["kpis"]["mature_conversion"]
    # every lead is older than the 60-day window at the data's end (won dates reach 2018-11)
    assert entry["n"] == export["leads"] - 1
    assert entry["value"] == pytest.approx(export["won"] / (export["leads"] - 1), abs=1e-6)
    index = (report / "index.html").read_text(encoding="utf-8")
    assert "Conversion of mature deals" in index and "Win rate (resolved deals)" not in index


def test_tables_people_open_are_safe(quarantined_run) -> None:
    _, report = quarantined_run
    owners = pd.read_csv(report / "tables" / "00_completeness_rep.csv", dtype=str)["owner_id"]
    assert f"'{HOSTILE_OWNER}" in set(owners)
    assert not owners.str.startswith("=").any()


def test_above_the_limit_the_run_is_refused(export, tmp_path, capsys) -> None:
    strict = tmp_path / "strict"
    strict.mkdir()
    for name in ("leads.csv", "closed.csv"):
        (strict / name).write_bytes((export["ws"] / name).read_bytes())
    (strict / "pilot.yml").write_text(
        PILOT + "intake: {on_bad_rows: quarantine, max_quarantined: 0.001}\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    assert main(["run", str(strict), "--out", str(out), "--only", "00"]) == 2
    err = capsys.readouterr().err
    assert "more than the 0.10% that may be set aside" in err
    assert "closed before it was created" in err
    assert not (out / "strict").exists() or not any((out / "strict").iterdir())


def test_two_table_settings_are_checked(tmp_path) -> None:
    (tmp_path / "pilot.yml").write_text(
        "source: {type: two_table, file: leads.csv, columns: {deal_id: id}, "
        "closed: {file: c.csv}}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        load_workspace(tmp_path)
    text = str(caught.value)
    assert "column 'source.columns.created_at': required for a two_table source" in text
    assert "column 'source.closed.columns.deal_id': required for a two_table source" in text
    assert "column 'source.closed.columns.closed_at': required for a two_table source" in text


def test_a_status_column_and_unmatched_closed_deals(tmp_path) -> None:
    (tmp_path / "leads.csv").write_text(
        "lead,first,channel\nL1,2026-01-01,web\nL2,2026-01-02,ad\nL3,2026-01-03,web\n",
        encoding="utf-8",
    )
    (tmp_path / "closed.csv").write_text(
        "lead,closed,outcome,rep\nL1,2026-02-01,Closed Won,R1\nL2,2026-02-02,Closed Lost,R2\n"
        "L9,2026-02-03,Closed Won,R3\n",
        encoding="utf-8",
    )
    (tmp_path / "pilot.yml").write_text(
        "source:\n  type: two_table\n  file: leads.csv\n"
        "  columns: {deal_id: lead, created_at: first}\n"
        "  closed: {file: closed.csv, columns: {deal_id: lead, closed_at: closed, "
        "status: outcome, owner_id: rep}}\n  default_owner: nobody\n",
        encoding="utf-8",
    )
    data = load_workspace(tmp_path)
    deals = data.deals.set_index("deal_id")
    assert deals["status"].astype(str).to_dict() == {"L1": "won", "L2": "lost", "L3": "open"}
    assert deals["owner_id"].astype(str).to_dict() == {"L1": "R1", "L2": "R2", "L3": "nobody"}
    assert deals.loc["L1", "channel"] == "web"  # unmapped lead columns are kept
    events = data.stage_events
    pairs = zip(events["deal_id"].astype(str), events["stage"].astype(str), strict=True)
    assert sorted(pairs) == [
        ("L1", "lead"),
        ("L1", "signed"),
        ("L2", "lead"),
        ("L3", "lead"),
    ]
    assert any("1 closed deal(s) in closed.csv match no lead" in n for n in data.notes)

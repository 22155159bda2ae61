"""The trust boundary: a workspace someone sends you cannot run code, read or write
outside its folder, or make `playbook score` unpickle a file this installation did not sign.

Every hole is reproduced through the command line (`playbook.cli.main`): exit code 2,
the message naming the file and setting, and the harm (a file written or read, a
marker created by code) checked not to have happened.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import joblib
import pytest
import yaml
from conftest import DEALS_CSV, EVENTS_CSV, write_workspace

from playbook.cli import main
from playbook.workspace.adapters.sql import duckdb_statement_problem, server_statement_problem
from playbook.workspace.signing import sign_file, signature_path

SECRET_LINE = "TOP-SECRET-FIRST-LINE,do-not-print"


def workspace(folder: Path, config: dict | None = None, **files: str) -> Path:
    tables = {"deals.csv": DEALS_CSV, "stage_events.csv": EVENTS_CSV}
    ws = write_workspace(folder, {**tables, **files})
    if config is not None:
        (ws / "pilot.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return ws


def run(capsys, *argv: str | Path) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside any workspace whose first line must never be printed."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    path = folder / "private.csv"
    path.write_text(SECRET_LINE + "\n1,2\n", encoding="utf-8")
    return path


# --- notebooks named in pilot.yml -------------------------------------------------------------


def test_monthly_steps_cannot_name_a_notebook_path(tmp_path, capsys) -> None:
    marker = tmp_path / "ran.txt"
    evil = tmp_path / "evil.ipynb"
    body = (
        '{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null,'
        f' "source": "open({str(marker)!r}, \'w\').write(\'x\')"}}], "metadata": {{}}, '
        '"nbformat": 4, "nbformat_minor": 5}'
    )
    evil.write_text(body, encoding="utf-8")
    ws = workspace(tmp_path / "ws", {"monthly": {"steps": [str(evil), "02_stage_rate"]}})

    code, out = run(capsys, "validate", ws)
    assert code == 2
    assert "pilot.yml, column 'monthly.steps[0]': a path, not a step name" in out
    assert "pilot.yml, column 'monthly.steps[1]': not a step of the playbook" in out
    assert "did you mean '02_stage_rates'?" in out
    code, out = run(capsys, "monthly", ws, "--month", "2026-03", "--out", tmp_path / "out")
    assert code == 2 and "a path, not a step name" in out
    assert (
        not marker.exists() and evil.read_text(encoding="utf-8") == body
    )  # not run, not rewritten


# --- table files ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["relative", "absolute", "symlink", "default-name symlink"])
def test_table_paths_outside_the_workspace_are_refused_unread(tmp_path, capsys, outside, how):
    ws = tmp_path / "ws"
    if how == "relative":
        ws = workspace(ws, {"tables": {"reps": "../elsewhere/private.csv"}})
    elif how == "absolute":
        ws = workspace(ws, {"tables": {"reps": str(outside)}})
    elif how == "symlink":
        ws = workspace(ws, {"tables": {"reps": "team.csv"}})
        (ws / "team.csv").symlink_to(outside)
    else:
        ws = workspace(ws, {})
        (ws / "reps.csv").symlink_to(outside)
    code, out = run(capsys, "validate", ws)
    assert code == 2
    assert SECRET_LINE.split(",")[0] not in out
    expected = "reps.csv" if how == "default-name symlink" else "pilot.yml, column 'tables.reps'"
    assert expected in out and "outside the workspace; it was not read" in out
    assert "--allow-path DIR" in out
    # the person running the command may allow the folder (never pilot.yml)
    code, out = run(capsys, "validate", ws, "--allow-path", outside.parent)
    assert code == 2 and "outside the workspace" not in out  # read now: its header is wrong
    assert "required column is missing" in out


def test_an_allowed_folder_is_read(tmp_path, capsys) -> None:
    exports = write_workspace(tmp_path / "exports", {"deals.csv": DEALS_CSV})
    ws = workspace(tmp_path / "ws", {"tables": {"deals": "../exports/deals.csv"}})
    (ws / "deals.csv").unlink()
    assert run(capsys, "validate", ws)[0] == 2
    code, out = run(capsys, "validate", ws, "--allow-path", exports)
    assert code == 0 and "valid" in out
    code, out = run(capsys, "validate", ws, "--allow-path", tmp_path / "nowhere")
    assert code == 2 and "--allow-path" in out and "no such file or folder" in out


def test_a_linked_pilot_yml_outside_the_workspace_is_not_read(tmp_path, capsys) -> None:
    elsewhere = tmp_path / "elsewhere.yml"
    elsewhere.write_text("timezone: hunter2-secret-value\n", encoding="utf-8")
    ws = workspace(tmp_path / "ws")
    (ws / "pilot.yml").symlink_to(elsewhere)
    code, out = run(capsys, "validate", ws)
    assert code == 2 and "pilot.yml: is a link to" in out and "hunter2" not in out


def test_the_workspace_secret_is_never_read_as_a_table(tmp_path, capsys) -> None:
    ws = workspace(tmp_path / "ws", {"tables": {"reps": ".playbook/secret"}})
    (ws / ".playbook").mkdir()
    (ws / ".playbook" / "secret").write_text("s3cr3t-value\n", encoding="utf-8")
    code, out = run(capsys, "validate", ws)
    assert code == 2 and "private .playbook folder" in out and "s3cr3t" not in out


def test_source_files_and_folders_outside_are_refused(tmp_path, capsys, outside) -> None:
    events = "case,activity,ts\nC1,Lead,2026-03-01\n"
    write_workspace(outside.parent, {"events.csv": events})
    long = {"type": "long", "columns": {"deal_id": "case", "stage": "activity", "entered_at": "ts"}}
    cases = {
        "path": {**long, "path": str(outside.parent), "file": "events.csv"},
        "file": {**long, "file": str(outside.parent / "events.csv")},
        "tables.reps": {**long, "file": "e.csv", "tables": {"reps": str(outside)}},
    }
    for setting, source in cases.items():
        ws = write_workspace(tmp_path / setting, {"e.csv": events})
        (ws / "pilot.yml").write_text(yaml.safe_dump({"source": source}), encoding="utf-8")
        code, out = run(capsys, "validate", ws)
        assert code == 2, setting
        assert f"column 'source.{setting}'" in out and "outside the workspace" in out
        assert SECRET_LINE.split(",")[0] not in out


def test_export_detection_skips_links_to_files_outside(tmp_path, capsys) -> None:
    export = tmp_path / "Opportunities.csv"
    export.write_text(
        "Opportunity ID,Stage,Close Date,Created Date,Opportunity Owner\n"
        f"{SECRET_LINE.split(',')[0]},Closed Won,3/20/2026,3/1/2026,Ann\n",
        encoding="utf-8",
    )
    ws = write_workspace(tmp_path / "ws", {})
    (ws / "Opportunities.csv").symlink_to(export)
    code, out = run(capsys, "validate", ws)
    assert code == 2 and "required table 'deals' not found" in out
    assert SECRET_LINE.split(",")[0] not in out
    code, out = run(capsys, "validate", ws, "--allow-path", tmp_path)
    assert code == 2 and "column 'source.history': no stage history export found" in out
    # allowed: detected as a Salesforce export (which lacks its history report)


# --- SQL sources ------------------------------------------------------------------------------


def duckdb_workspace(folder: Path, queries: dict[str, str]) -> Path:
    import duckdb

    ws = write_workspace(folder, {})
    (ws / "pilot.yml").write_text(
        yaml.safe_dump(
            {"source": {"type": "sql", "url": "duckdb:///crm.duckdb", "queries": queries}}
        ),
        encoding="utf-8",
    )
    con = duckdb.connect(str(ws / "crm.duckdb"))
    con.execute("create table deals as select * from (values ('D1', '2026-03-01', 'r1', 'open'))")
    con.close()
    return ws


GOOD_EVENTS = "select 'D1' as deal_id, 'Lead' as stage, '2026-03-01' as entered_at"


def test_duckdb_copy_to_writes_nothing(tmp_path, capsys) -> None:
    target = tmp_path / "written.csv"
    ws = duckdb_workspace(
        tmp_path / "ws",
        {"deals": f"COPY (select 1 as x) TO '{target}'", "stage_events": GOOD_EVENTS},
    )
    code, out = run(capsys, "validate", ws)
    assert code == 2 and not target.exists()
    assert "column 'source.queries.deals'" in out
    assert "only one read-only SELECT (or WITH … SELECT) per table may run" in out
    assert "COPY" in out


def test_duckdb_cannot_read_files_outside_the_workspace(tmp_path, capsys, outside) -> None:
    ws = duckdb_workspace(
        tmp_path / "ws",
        {
            "deals": f"select * from read_csv('{outside}', header=false)",
            "stage_events": "select * from read_csv('/etc/passwd', header=false)",
        },
    )
    code, out = run(capsys, "validate", ws)
    assert code == 2
    assert "sql:deals: query failed: Permission Error" in out
    assert "sql:stage_events: query failed: Permission Error" in out
    assert SECRET_LINE.split(",")[0] not in out and "root:" not in out


def test_duckdb_statements_other_than_one_select_are_refused(tmp_path, capsys) -> None:
    ws = duckdb_workspace(
        tmp_path / "ws",
        {"deals": "INSTALL httpfs", "stage_events": f"{GOOD_EVENTS}; DROP TABLE deals"},
    )
    code, out = run(capsys, "validate", ws)
    assert code == 2
    assert "it is a LOAD statement" in out and "it holds 2 statements" in out
    for query in (
        "ATTACH 'x.db'",
        "LOAD httpfs",
        "PRAGMA version",
        "SET enable_external_access = true",
        "CALL pragma_version()",
    ):
        assert duckdb_statement_problem(query), query
    for query in ("select 1", "with a as (select 1 as x) select x from a", "from deals"):
        assert duckdb_statement_problem(query) is None, query


def sqlite_workspace(folder: Path, queries: dict[str, str], url: str = "sqlite:///crm.db"):
    ws = write_workspace(folder, {})
    (ws / "pilot.yml").write_text(
        yaml.safe_dump({"source": {"type": "sql", "url": url, "queries": queries}}),
        encoding="utf-8",
    )
    con = sqlite3.connect(ws / "crm.db")
    con.execute("create table crm (id text, created text, rep text, state text)")
    con.execute("insert into crm values ('D1', '2026-03-01', 'r1', 'open')")
    con.commit()
    con.close()
    return ws


def test_sqlite_attach_and_writes_are_refused(tmp_path, capsys) -> None:
    attached = tmp_path / "attached.db"
    ws = sqlite_workspace(
        tmp_path / "ws",
        {
            "deals": f"ATTACH DATABASE '{attached}' AS x",
            "stage_events": "with d as (select 1) insert into crm select * from crm",
            "reps": "PRAGMA table_info(crm)",
        },
    )
    before = (ws / "crm.db").read_bytes()
    code, out = run(capsys, "validate", ws)
    assert code == 2 and not attached.exists()
    assert "column 'source.queries.deals'" in out and "it would ATTACH" in out
    assert "it would INSERT" in out and "it would PRAGMA" in out
    assert (ws / "crm.db").read_bytes() == before
    multiple = sqlite_workspace(
        tmp_path / "multi",
        {"deals": "select 1; select 2", "stage_events": "select 1 as deal_id"},
    )
    code, out = run(capsys, "validate", multiple)
    assert code == 2 and "it holds more than one statement" in out


def test_sqlite_database_outside_the_workspace_is_refused(tmp_path, capsys) -> None:
    queries = {"deals": "select * from crm", "stage_events": "select 1 as deal_id"}
    other = sqlite_workspace(tmp_path / "other", queries)
    url = f"sqlite:///{other / 'crm.db'}"
    ws = sqlite_workspace(tmp_path / "ws", queries, url=url)
    code, out = run(capsys, "validate", ws)
    assert code == 2 and "column 'source.url'" in out and "outside the workspace" in out
    ws = sqlite_workspace(tmp_path / "uri", queries, url="sqlite:///file:x.db")
    code, out = run(capsys, "validate", ws)
    assert code == 2 and "a file: URI is not accepted" in out


def test_server_queries_must_be_one_read_only_select() -> None:
    ok = [
        "select id as deal_id from deals",
        "with d as (select 1 as x) select x from d",
        "select 1 union all select 2",
        "select a::int, $$x;y$$ as s from t",
    ]
    for query in ok:
        assert server_statement_problem(query, "postgresql") is None, query
    refused = {
        "select 1; select 2": "2 statements",
        # a backslash-escaped quote: a naive tokeniser would see one string, Postgres two statements
        "SELECT E'\\''; DELETE FROM t; --'": "2 statements",
        "with x as (delete from t returning *) select * from x": "DELETE",
        "select * into copy_of_t from t": "INTO",
        "copy t to '/tmp/x.csv'": "COPY",
        "update t set a = 1": "UPDATE",
    }
    for query, why in refused.items():
        problem = server_statement_problem(query, "postgresql")
        assert problem and why in problem, (query, problem)


# --- model files ------------------------------------------------------------------------------


class _Planted:
    """Unpickling this creates a file: what a crafted model would do with a shell."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_score_refuses_a_model_it_did_not_sign(tmp_path, capsys) -> None:
    ws = workspace(tmp_path / "ws", {})
    marker = tmp_path / "pwned"
    model = tmp_path / "model.joblib"
    joblib.dump(_Planted(marker), model)
    code, out = run(capsys, "score", ws, "--model", model, "--out", tmp_path / "s.csv")
    assert code == 2 and not marker.exists()
    assert "no signature (model.joblib.sig.json is missing)" in out
    assert "a model file can run code when it is loaded" in out


def test_score_refuses_a_changed_or_foreign_model(tmp_path, capsys, monkeypatch) -> None:
    ws = workspace(tmp_path / "ws", {})
    other = workspace(tmp_path / "other", {})
    marker = tmp_path / "pwned"
    model = tmp_path / "model.joblib"
    args = ("score", ws, "--model", model, "--out", tmp_path / "s.csv")

    # signed for another workspace, before this one ever saved a model
    joblib.dump(_Planted(marker), model)
    assert sign_file(model, other) is not None
    code, out = run(capsys, *args)
    assert code == 2 and not marker.exists()
    assert "this workspace has no signing secret yet" in out
    # ... and after
    sign_file(model, ws)  # creates this workspace's secret
    sign_file(model, other)
    code, out = run(capsys, *args)
    assert code == 2 and not marker.exists()
    assert "signed for another workspace or on another machine" in out

    # signed for this workspace, then replaced
    joblib.dump({"harmless": True}, model)
    sign_file(model, ws)
    joblib.dump(_Planted(marker), model)
    code, out = run(capsys, *args)
    assert code == 2 and not marker.exists() and "the file was changed after it was signed" in out

    # the manifest rewritten to vouch for the new file
    import hashlib
    import json

    sig = signature_path(model)
    manifest = json.loads(sig.read_text(encoding="utf-8"))
    manifest["sha256"] = hashlib.sha256(model.read_bytes()).hexdigest()
    sig.write_text(json.dumps(manifest), encoding="utf-8")
    code, out = run(capsys, *args)
    assert code == 2 and not marker.exists() and "its signature does not match" in out

    # a workspace that ships its own secret, and a model signed with it elsewhere
    monkeypatch.setenv("PLAYBOOK_HOME", str(tmp_path / "attacker-home"))
    sign_file(model, ws)
    monkeypatch.undo()
    assert os.environ["PLAYBOOK_HOME"] != str(tmp_path / "attacker-home")
    code, out = run(capsys, *args)
    assert code == 2 and not marker.exists()
    assert "signed for another workspace or on another machine" in out


def test_score_help_says_models_are_checked(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "signature" in text and "checked before the model is loaded" in text

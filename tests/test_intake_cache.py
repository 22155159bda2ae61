"""The validated dataset is kept between runs and read again only when an input changed."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from playbook.workspace import quarantine
from playbook.workspace.cache import load_cache
from playbook.workspace.intake_cache import cache_root, link_tables, saved_copy
from playbook.workspace.quarantine import load_quarantining
from playbook.workspace.schema import TABLES

DEALS = """deal_id,created_at,owner_id,status,closed_at,amount
D1,2026-03-01,R1,won,2026-03-20,1200
D2,2026-03-02 10:00,R1,lost,2026-03-10,800
D3,2026-03-03,R2,open,,300
D4,2026-03-04,R2,open,,not-a-number
"""
EVENTS = """deal_id,stage,entered_at
D1,Lead,2026-03-01
D1,Signed,2026-03-20
D2,Lead,2026-03-02 10:00
D3,Lead,2026-03-03
D4,Lead,2026-03-04
"""


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYBOOK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PLAYBOOK_CACHE", raising=False)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "deals.csv").write_text(DEALS, encoding="utf-8")
    (ws / "stage_events.csv").write_text(EVENTS, encoding="utf-8")
    (ws / "pilot.yml").write_text(
        "name: c\nintake: {on_bad_rows: quarantine, max_quarantined: 0.5}\n", encoding="utf-8"
    )
    return ws


@pytest.fixture
def checks(monkeypatch) -> list[int]:
    """Counts the times the workspace is parsed and checked."""
    calls: list[int] = []
    real = quarantine.check_workspace

    def counting(raw_ws):
        calls.append(1)
        return real(raw_ws)

    monkeypatch.setattr(quarantine, "check_workspace", counting)
    return calls


def same(a, b) -> None:
    for table in TABLES:
        if a.table(table) is None:
            assert b.table(table) is None
        else:
            pd.testing.assert_frame_equal(a.table(table), b.table(table))
    assert [str(n) for n in a.notes] == [str(n) for n in b.notes]
    assert a.config == b.config


def test_a_second_validate_reuses_the_first(workspace, checks) -> None:
    first, aside = load_quarantining(workspace)
    parsed = len(checks)
    assert parsed >= 1
    assert len(list(cache_root().iterdir())) == 1
    second, aside_again = load_quarantining(workspace)
    assert len(checks) == parsed  # nothing parsed or checked again
    same(first, second)
    pd.testing.assert_frame_equal(aside.rows, aside_again.rows)
    assert aside_again.record() == aside.record()
    assert aside.record()["deals"] == 1  # D4's amount set aside, from the cache too


def test_a_changed_file_is_read_again(workspace, checks) -> None:
    load_quarantining(workspace)
    parsed = len(checks)
    (workspace / "deals.csv").write_text(DEALS.replace("not-a-number", "450"), encoding="utf-8")
    data, aside = load_quarantining(workspace)
    assert len(checks) > parsed
    assert aside.rows.empty and len(data.deals) == 4
    assert len(list(cache_root().iterdir())) == 2


def test_another_policy_or_config_is_another_entry(workspace, checks) -> None:
    load_quarantining(workspace)
    parsed = len(checks)
    with pytest.raises(Exception, match="not a number"):
        load_quarantining(workspace, policy="fail")
    assert len(checks) > parsed


def test_the_cache_can_be_switched_off(workspace, checks, monkeypatch) -> None:
    monkeypatch.setenv("PLAYBOOK_CACHE", "off")
    assert cache_root() is None
    load_quarantining(workspace)
    once = len(checks)
    load_quarantining(workspace)
    assert once >= 1 and len(checks) == 2 * once


def test_a_run_links_the_tables_it_validated_instead_of_writing_them(workspace, tmp_path) -> None:
    for attempt in ("written", "read back"):
        data, _ = load_quarantining(workspace)
        entry = saved_copy(data)
        assert entry is not None and entry.parent == cache_root(), attempt
        steps_copy = link_tables(entry, tmp_path / attempt)
        same(load_cache(steps_copy), data)
        for path in steps_copy.iterdir():  # the same files, not copies
            assert path.stat().st_ino == (entry / path.name).stat().st_ino
        assert not (steps_copy / "quarantine.json").exists()
    # tables changed after the intake (a period, pseudonyms) are not the saved ones
    assert saved_copy(dataclasses.replace(data, deals=data.deals.head(2))) is None


def test_without_the_cache_a_run_writes_its_tables(workspace, monkeypatch) -> None:
    monkeypatch.setenv("PLAYBOOK_CACHE", "off")
    data, _ = load_quarantining(workspace)
    assert saved_copy(data) is None


def test_a_process_that_read_the_cache_collects_its_garbage_before_pyarrow_exits(
    workspace,
) -> None:
    """Arrow tables left in reference cycles are freed at exit while pyarrow still stands:
    freed during Python's own finalization instead, a process that read a workspace and
    then its cached copy aborted now and then after all its work was done (exit code 134)."""
    import subprocess
    import sys

    script = f"""
import atexit, gc
import pyarrow.fs  # registers pyarrow's exit handler
atexit.register(lambda: print("pyarrow exits next", flush=True))  # runs just before it
ended = []
gc.callbacks.append(
    lambda phase, info: ended and phase == "start" and info["generation"] == 2
    and print("collected", flush=True)
)
from playbook.workspace.quarantine import load_quarantining
first = load_quarantining({str(workspace)!r})
again = load_quarantining({str(workspace)!r})
ended.append(True)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert "collected" in lines and "pyarrow exits next" in lines, out.stdout
    assert lines.index("collected") < lines.index("pyarrow exits next"), out.stdout

"""The order the runner starts the steps in: longest first, every step exactly once."""

from __future__ import annotations

import json
from pathlib import Path

from playbook.report.publish import last_step_seconds
from playbook.report.runner import SLOWEST_STEPS, run_order

STEPS = [
    "00_data_intake",
    "01_journey_map",
    "02_stage_rates",
    "03_handoffs",
    "04_capability_radar",
    "05_development_plan",
    "06_lead_scoring",
    "07_pilot_evaluation",
    "08_content_library",
]


def test_without_a_last_run_the_known_slowest_steps_start_first() -> None:
    order = run_order(STEPS)
    assert sorted(order) == STEPS
    assert order[: len(SLOWEST_STEPS)] == list(SLOWEST_STEPS)
    assert order[len(SLOWEST_STEPS) :] == [s for s in STEPS if s not in SLOWEST_STEPS]


def test_the_last_run_s_times_decide_when_every_step_has_one() -> None:
    last = {step: float(n) for n, step in enumerate(STEPS)}  # 08 took longest
    assert run_order(STEPS, last) == STEPS[::-1]
    tied = dict.fromkeys(STEPS, 1.0)
    assert run_order(STEPS, tied) == STEPS  # ties keep the step order
    del last["02_stage_rates"]  # a step new since the last run: its time is unknown
    assert run_order(STEPS, last) == run_order(STEPS)


def test_a_subset_keeps_only_its_own_steps() -> None:
    subset = ["07_pilot_evaluation", "06_lead_scoring", "00_data_intake"]
    assert run_order(subset) == ["06_lead_scoring", "00_data_intake", "07_pilot_evaluation"]


def test_last_step_seconds_read_from_the_latest_manifest(tmp_path: Path) -> None:
    assert last_step_seconds(tmp_path) == {}  # no report yet
    run = tmp_path / "20260101-000000"
    run.mkdir()
    (tmp_path / "LATEST").write_text(run.name + "\n", encoding="utf-8")
    assert last_step_seconds(tmp_path) == {}  # no manifest
    steps = [{"step": "06_lead_scoring", "ok": True, "seconds": 12.5, "error": ""}]
    (run / "manifest.json").write_text(json.dumps({"steps": steps}), encoding="utf-8")
    assert last_step_seconds(tmp_path) == {"06_lead_scoring": 12.5}
    (run / "manifest.json").write_text("{not json", encoding="utf-8")
    assert last_step_seconds(tmp_path) == {}

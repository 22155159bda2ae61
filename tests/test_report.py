"""What a step notebook records and shows: safe names, escaping, number formats, the marker."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from playbook.findings import Finding
from playbook.report import StepReport, format_kpi, inside, safe_name, table_html


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd", "etc_passwd"),
        ("..", "unnamed"),
        ("a/b\\c", "a_b_c"),
        ("制造业 华东", "制造业_华东"),
        (".hidden", "hidden"),
        ("", "unnamed"),
    ],
)
def test_safe_name_never_leaves_the_folder(raw: str, expected: str) -> None:
    assert safe_name(raw) == expected


def test_inside_keeps_paths_in_the_folder(tmp_path: Path) -> None:
    path = inside(tmp_path, "../../outside.csv")
    assert path.parent == tmp_path.resolve()
    assert path.name == "outside.csv"


def test_table_html_escapes_and_formats() -> None:
    frame = pd.DataFrame(
        {
            "segment": ["<script>x</script>"],
            "rate": [0.1234],
            "entered": [12345],
            "p_value": [0.00001],
        }
    )
    html = table_html(frame)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "12.3%" in html and "12,345" in html and "&lt;0.001" in html


def test_format_kpi() -> None:
    assert format_kpi({"value": 0.25, "ci_low": 0.2, "ci_high": 0.3, "unit": "share"}) == (
        "25.0% (95% CI 20.0%–30.0%)"
    )
    assert format_kpi({"value": 1234567.8, "unit": "currency"}) == "1,234,568"
    assert format_kpi({"value": None}) == "–"
    certain = {"value": 0.9996, "unit": "share"}
    assert format_kpi(certain, "pilot_probability") == "> 99%"
    assert format_kpi(certain) == "100.0%"  # an observed share may be 100%; a belief may not


def test_tables_never_print_a_probability_as_certain() -> None:
    frame = pd.DataFrame(
        {
            "prob_positive": [0.9996, 0.003],
            "score_now": [0.99991, 0.5],
            "raw_effect": [0.1234, -0.02],
        }
    )
    html = table_html(frame)  # escaped: "> 99%" reads "&gt; 99%"
    assert "&gt; 99%" in html and "&lt; 1%" in html and "&gt; 99.9%" in html and "50.0%" in html
    assert "100" not in html
    assert "+0.123" in html and "-0.020" in html


def test_step_report_writes_its_part_and_marker(tmp_path: Path, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(StepReport, "_display_html", lambda self, markup: shown.append(markup))
    step = StepReport(tmp_path, "09_demo", "zh")
    step.table(pd.DataFrame({"stage": ["lead"], "rate": [0.5]}), "../evil name")
    step.kpi("win_rate", 0.5, n=10, ci_low=0.2, ci_high=0.8, unit="share")
    step.add_findings(
        [Finding(kind="bottleneck", severity=2, evidence="e", stage="lead", impact=5.0)]
    )
    step.add_alerts(
        pd.DataFrame(
            {
                "kind": ["k"],
                "deal_id": ["D1"],
                "owner_id": ["R"],
                "reason": ["r"],
                "action": ["a"],
                "severity": [1],
            }
        )
    )
    step.done()
    assert [p.name for p in (tmp_path / "tables").iterdir()] == ["09__evil_name.csv"]
    assert "阶段" in shown[0] and "转化率" in shown[0]  # headers in the report language
    part = json.loads((tmp_path / "parts" / "09_demo.json").read_text(encoding="utf-8"))
    assert part["complete"] is True
    assert part["kpis"]["win_rate"]["n"] == 10
    assert part["findings"][0]["kind"] == "bottleneck"
    assert part["alerts"][0]["step"] == "09_demo"

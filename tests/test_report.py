"""What a step notebook records and shows: safe names, escaping, number formats, the marker."""

from __future__ import annotations

import json
import re
import warnings
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


def test_table_html_shows_missing_values_as_empty_cells_and_yes_no_in_the_language() -> None:
    frame = pd.DataFrame(
        {
            "file": ["deals.csv", None],
            "first": pd.to_datetime(["2026-03-01", None]),
            "rows": pd.array([12, None], dtype="Int64"),
            "share": [0.5, float("nan")],
            "consistent": [True, False],
            "flag": pd.array([True, None], dtype="boolean"),
        }
    )
    en, zh = table_html(frame), table_html(frame, language="zh")
    for html in (en, zh):
        cells = re.findall(r"<td>(.*?)</td>", html)
        assert not {"None", "NaT", "nan", "NaN", "<NA>", "&lt;NA&gt;"} & set(cells), cells
        assert "2026-03-01" in cells and "12" in cells and "50.0%" in cells
        assert cells.count("") == 5  # file, first, rows, share and flag of the second row
    assert "<td>yes</td>" in en and "<td>no</td>" in en
    assert "<td>是</td>" in zh and "<td>否</td>" in zh and "True" not in zh


def test_long_values_are_shortened_on_the_page_and_whole_in_the_csv(
    tmp_path: Path, monkeypatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(StepReport, "_display_html", lambda self, markup: shown.append(markup))
    huge = "Manufacturing-" + "x" * 120_000
    sentence = "Proposal → negotiation in this segment is slow. " * 10
    frame = pd.DataFrame({"segment": [huge, "Retail"], "evidence": [sentence, "short"]})
    StepReport(tmp_path, "02_demo", "en").table(frame, "slices")
    cells = re.findall(r"<td>(.*?)</td>", shown[0])
    assert len(shown[0]) < 2_000
    assert cells[0].startswith("Manufacturing-x") and "…" in cells[0] and len(cells[0]) == 60
    assert cells[1] == sentence[:299] + "…"  # a sentence column keeps more
    assert cells[2:] == ["Retail", "short"]
    saved = pd.read_csv(tmp_path / "tables" / "02_slices.csv", encoding="utf-8-sig")
    assert saved["segment"].iloc[0] == huge and saved["evidence"].iloc[0] == sentence


def test_more_rows_note_is_in_the_report_language() -> None:
    frame = pd.DataFrame({"n": range(60)})
    assert "10 more rows in the CSV." in table_html(frame)
    assert "另有 10 行见 CSV 文件。" in table_html(frame, language="zh")


def test_a_finding_names_a_long_slice_shortened_and_keeps_it_whole(tmp_path: Path) -> None:
    huge = "Energy-" + "y" * 120_000
    finding = Finding(kind="bottleneck", severity=2, evidence=f"{huge}: 21% vs 60%", value=huge)
    assert finding.value == huge
    assert len(finding.evidence) < 100 and finding.evidence.endswith(": 21% vs 60%")


def test_small_sample_warnings_become_notes_in_the_report_language(
    tmp_path: Path, monkeypatch
) -> None:
    from playbook.stats import SmallSampleWarning
    from playbook.workspace.config import PilotConfig

    shown: list[str] = []
    monkeypatch.setattr(StepReport, "_display_html", lambda self, markup: shown.append(markup))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        step = StepReport(tmp_path, "02_demo", "zh", PilotConfig())
        warnings.warn(
            SmallSampleWarning(
                "'proposal → negotiation' in Energy rests on 12 deals",
                stages=("proposal", "negotiation"),
                where=["Energy"],
                n=12,
                more=2,
            ),
            stacklevel=1,
        )
        warnings.warn("a library notice", FutureWarning, stacklevel=1)
    assert shown == [
        "<p class='pb-note'>样本较少：方案 → 谈判（Energy）仅基于 12 个已结案商机"
        "（另有 2 个切片样本同样过少）。请结合置信区间解读，或扩大时间范围、合并切片。</p>"
    ]
    assert [w.category for w in caught] == [SmallSampleWarning, FutureWarning]  # still logged
    assert step.language == "zh"


def test_pages_leave_out_what_cells_wrote_to_stderr(tmp_path: Path) -> None:
    import nbformat

    from playbook.report.pages import export_html

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text="/home/me/.venv/lib/site-packages/pandas/core.py:1: FutureWarning: soon\n",
        ),
        nbformat.v4.new_output("display_data", data={"text/html": "<p>the result</p>"}),
    ]
    nb.cells = [cell]
    executed = tmp_path / "step.ipynb"
    nbformat.write(nb, executed)
    export_html(executed, tmp_path / "step.html", title="t", language="en")
    page = (tmp_path / "step.html").read_text(encoding="utf-8")
    assert "the result" in page
    assert "FutureWarning" not in page and "site-packages" not in page
    assert "FutureWarning" in executed.read_text(encoding="utf-8")  # kept for audit


def test_one_exporter_per_language_serves_every_page(tmp_path: Path) -> None:
    """The exporter is built once per language and reused: each page still drops only
    the other language's cells, whatever was exported before it."""
    import nbformat

    from playbook.report.pages import export_html

    nb = nbformat.v4.new_notebook()
    english, chinese = (
        nbformat.v4.new_markdown_cell("in English"),
        nbformat.v4.new_markdown_cell("中文"),
    )
    english.metadata["tags"], chinese.metadata["tags"] = ["lang-en"], ["lang-zh"]
    nb.cells = [english, chinese]
    executed = tmp_path / "step.ipynb"
    nbformat.write(nb, executed)
    pages = {}
    for n, language in enumerate(["en", "zh", "en", "zh"]):
        export_html(executed, tmp_path / f"{n}.html", title="t", language=language)
        pages[n] = (tmp_path / f"{n}.html").read_text(encoding="utf-8")
    assert "in English" in pages[0] and "中文" not in pages[0]
    assert "中文" in pages[1] and "in English" not in pages[1]
    assert pages[2] == pages[0] and pages[3] == pages[1]

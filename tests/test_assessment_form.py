"""The capability assessment form: written by ``playbook init``, filled by a manager
(here with openpyxl), validated, and read by the capability step exactly like the
same scores given as ``assessments.csv``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from playbook.cli import main
from playbook.exceptions import DataError
from playbook.steps import capability
from playbook.workspace.assessment_form import FORM_NAME, LISTS_SHEET
from playbook.workspace.load import load_workspace

DATA_TABLES = ("deals", "stage_events", "activities", "outcomes", "content")


@pytest.fixture(scope="module")
def form_workspace(small_sample: Path, tmp_path_factory) -> Path:
    """A workspace made by ``playbook init`` in a folder that already had the reps."""
    ws = tmp_path_factory.mktemp("form") / "acme"
    ws.mkdir()
    shutil.copy(small_sample / "reps.csv", ws / "reps.csv")
    assert main(["init", str(ws)]) == 0
    for table in DATA_TABLES:  # the export arrives after init, over the templates
        shutil.copy(small_sample / f"{table}.csv", ws / f"{table}.csv")
    shutil.copytree(small_sample / "content", ws / "content")  # files the content table names
    shutil.copy(small_sample / "pilot.yml", ws / "pilot.yml")
    return ws


def _manager_scores(sample: Path) -> pd.DataFrame:
    scores = pd.read_csv(sample / "assessments.csv", dtype=str)
    return scores[scores["assessor"] == "manager"]


def _fill(form: Path, scores: pd.DataFrame, target: Path, labels: dict[str, str]) -> int:
    """Fill every pre-filled row of the form with the manager's score; returns the count."""
    by_label = {v: k for k, v in labels.items()}
    lookup = {(r.rep_id, r.dimension): r for r in scores.itertuples(index=False)}
    book = load_workbook(form)
    filled = 0
    for sheet in book.worksheets[2:]:
        for row in sheet.iter_rows(min_row=2):
            rep, label = row[0].value, row[2].value
            record = lookup.get((rep, by_label.get(label)))
            if record is None:
                continue
            row[3].value = float(record.score)
            row[4].value = pd.Timestamp(record.assessed_at).to_pydatetime()
            row[5].value = "manager"
            filled += 1
    book.save(target)
    return filled


def test_init_writes_the_week_guide_and_a_sheet_per_team(form_workspace: Path) -> None:
    guide = (form_workspace / "FIVE_DAYS.md").read_text(encoding="utf-8")
    assert "Day 4" in guide and "第 4 天" in guide and "assessment_form.xlsx" in guide
    book = load_workbook(form_workspace / FORM_NAME)
    reps = pd.read_csv(form_workspace / "reps.csv", dtype=str)
    assert book.sheetnames[2:] == sorted(reps["team"].unique())
    assert book[LISTS_SHEET].sheet_state == "hidden"
    team = book.sheetnames[2]
    sheet = book[team]
    members = set(reps.loc[reps["team"] == team, "rep_id"])
    assert {c.value for c in sheet["A"][1:]} == members
    assert len(sheet["A"]) - 1 == 6 * len(members)  # every rep x the six competencies
    checks = {str(v.sqref)[0]: v for v in sheet.data_validations.dataValidation}
    assert checks["C"].type == "list" and LISTS_SHEET in checks["C"].formula1
    assert checks["D"].type == "list"  # the scale 1-5
    scale = [c.value for c in book[LISTS_SHEET]["B"] if c.value is not None]
    assert scale == [1, 2, 3, 4, 5]


def test_filled_form_gives_the_capability_step_the_same_scores(
    form_workspace: Path, small_sample: Path, tmp_path: Path
) -> None:
    ws = tmp_path / "filled"
    shutil.copytree(form_workspace, ws)
    from_csv = load_workspace(small_sample)
    labels = {d.id: d.label_en for d in from_csv.config.capability.dimensions}
    manager = _manager_scores(small_sample)
    filled = _fill(ws / FORM_NAME, manager, ws / FORM_NAME, labels)
    assert filled == len(manager)
    assert (ws / "assessments.csv").read_text().count("\n") == 1  # init's template stays empty
    assert main(["validate", str(ws)]) == 0
    data = load_workspace(ws)
    got = data.assessments.sort_values(["rep_id", "dimension"]).reset_index(drop=True)
    want = from_csv.assessments[from_csv.assessments["assessor"] == "manager"]
    want = want.sort_values(["rep_id", "dimension"]).reset_index(drop=True)
    pd.testing.assert_series_equal(got["dimension"].astype(str), want["dimension"].astype(str))
    assert got["score"].tolist() == pytest.approx(want["score"].tolist())
    study_form = capability.analyse(data, language="en")
    study_csv = capability.analyse(from_csv, language="en")  # assessor: manager
    # the csv also holds self-assessments (two assessors per rep), the form the manager's
    same = [c for c in study_csv.scores.columns if c != "assessors"]
    pd.testing.assert_frame_equal(
        study_form.scores[same].reset_index(drop=True),
        study_csv.scores[same].reset_index(drop=True),
    )
    assert study_csv.scores["assessors"].eq(2).all() and study_form.scores["assessors"].eq(1).all()
    assert len(study_form.scores)


def test_form_problems_name_sheet_row_column_and_value(
    form_workspace: Path, tmp_path: Path, capsys
) -> None:
    ws = tmp_path / "bad"
    shutil.copytree(form_workspace, ws)
    book = load_workbook(ws / FORM_NAME)
    sheet = book.worksheets[2]
    sheet["D2"] = 9  # off the 1-5 scale
    sheet["C3"] = "Charisma"  # no such competency
    sheet["D3"] = 3
    sheet["A4"] = None  # a score without a rep
    sheet["D4"] = 2
    book.save(ws / FORM_NAME)
    with pytest.raises(DataError) as caught:
        load_workspace(ws)
    where = f"{FORM_NAME}, sheet '{sheet.title}'"
    found = {(p.file, p.row, p.column, p.value) for p in caught.value.problems}
    assert (where, 2, "score", "9") in found
    assert (where, 3, "dimension", "Charisma") in found
    assert (where, 4, "rep_id", "2") in found
    assert main(["validate", str(ws)]) == 2
    err = capsys.readouterr().err
    assert f"{where} row 2, column 'score'" in err and "Traceback" not in err

"""The capability assessment form managers fill in, and reading it back.

``playbook init`` writes ``assessment_form.xlsx``: an instructions sheet, one sheet per
team (its reps x the workspace's competencies, pre-filled when a reps table is there)
and a hidden ``_lists`` sheet that the competency and score drop-downs (Excel data
validation) read from. ``playbook validate`` and ``run`` read a filled form as the
``assessments`` table: each sheet's rows become ``rep_id, dimension, score,
assessed_at, assessor`` records, and every problem names the sheet, row, column and
value, like any other table's.

Only openpyxl is used (it is already a dependency), for writing and for reading.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from playbook.exceptions import Problem
from playbook.i18n import t
from playbook.workspace.config import PilotConfig, normalise_stage_name

FORM_NAME = "assessment_form.xlsx"
LISTS_SHEET = "_lists"
HEADER = ("rep_id", "name", "dimension", "score", "assessed_at", "assessor")
READ_COLUMNS = ("rep_id", "dimension", "score", "assessed_at", "assessor")
BLANK_ROWS = 60  # rows with drop-downs on a sheet without pre-filled reps
MAX_LISTED_STEPS = 20  # a scale with more steps gets a number check instead of a list


def scale_values(config: PilotConfig) -> list[float]:
    """The scores the drop-down offers: whole steps from scale_min to scale_max."""
    low, high = config.capability.scale_min, config.capability.scale_max
    steps = int(high - low)
    if steps > MAX_LISTED_STEPS or low != int(low) or high != int(high):
        return []
    return [low + i for i in range(steps + 1)]


def competency_choices(config: PilotConfig, language: str) -> list[str]:
    """The competency names the drop-down offers (labels in the workspace's language)."""
    return [_label(d, language) for d in config.capability.dimensions]


def _label(dimension, language: str) -> str:
    return dimension.label_zh if language == "zh" else dimension.label_en


def _team_sheets(reps: pd.DataFrame | None) -> dict[str, list[tuple[str, str]]]:
    """team -> [(rep_id, name)]; one template sheet when no team is known."""
    if reps is None or "team" not in reps or "rep_id" not in reps or not len(reps):
        return {"Team 1": []}
    names = reps["name"] if "name" in reps else pd.Series("", index=reps.index)
    sheets: dict[str, list[tuple[str, str]]] = {}
    for rep, team, name in zip(reps["rep_id"], reps["team"], names, strict=True):
        team_name = "?" if pd.isna(team) else str(team)
        sheets.setdefault(team_name, []).append((str(rep), "" if pd.isna(name) else str(name)))
    return dict(sorted(sheets.items()))


def _sheet_title(team: str, used: set[str]) -> str:
    """An Excel-safe sheet title (31 characters, no []:*?/\\), unique in the workbook."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in team)[:31] or "Team"
    title, n = clean, 2
    while title.casefold() in used:
        suffix = f" ({n})"
        title, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.casefold())
    return title


def write_form(path: str | Path, config: PilotConfig, reps: pd.DataFrame | None = None) -> Path:
    """Write the assessment form (see the module docstring) to ``path``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    language = config.language
    book = Workbook()
    intro = book.active
    intro.title = t("form_instructions", language)[:31]
    low, high = config.capability.scale_min, config.capability.scale_max
    intro["A1"] = t("form_help", language, low=f"{low:g}", high=f"{high:g}")
    intro["A3"] = t("form_competencies", language)
    intro["A3"].font = Font(bold=True)
    for i, d in enumerate(config.capability.dimensions, start=4):
        intro.cell(row=i, column=1, value=_label(d, language))
        intro.cell(row=i, column=2, value=d.id)
    intro.column_dimensions["A"].width = 60

    lists = book.create_sheet(LISTS_SHEET)
    choices = competency_choices(config, language)
    scores = scale_values(config)
    for i, choice in enumerate(choices, start=1):
        lists.cell(row=i, column=1, value=choice)
    for i, score in enumerate(scores, start=1):
        lists.cell(row=i, column=2, value=score)
    lists.sheet_state = "hidden"

    used = {intro.title.casefold(), LISTS_SHEET}
    for team, members in _team_sheets(reps).items():
        sheet = book.create_sheet(_sheet_title(team, used))
        sheet.append(list(HEADER))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for rep, name in members:
            for choice in choices:
                sheet.append([rep, name, choice, None, None, None])
        last = max(sheet.max_row, 1) + (BLANK_ROWS if not members else 0)
        dimension = DataValidation(
            type="list", formula1=f"={LISTS_SHEET}!$A$1:$A${len(choices)}", allow_blank=True
        )
        dimension.error = t("form_competencies", language)
        dimension.add(f"C2:C{last}")
        if scores:
            score = DataValidation(
                type="list", formula1=f"={LISTS_SHEET}!$B$1:$B${len(scores)}", allow_blank=True
            )
        else:
            score = DataValidation(
                type="decimal", operator="between", formula1=str(low), formula2=str(high)
            )
        score.add(f"D2:D{last}")
        date = DataValidation(type="date", operator="greaterThan", formula1="1")
        date.add(f"E2:E{last}")
        for validation in (dimension, score, date):
            validation.showErrorMessage = True
            sheet.add_data_validation(validation)
        for column, width in zip("ABCDEF", (14, 18, 34, 8, 14, 16), strict=True):
            sheet.column_dimensions[column].width = width
        sheet.freeze_panes = "A2"
    path = Path(path)
    book.save(path)
    return path


def is_form(path: Path) -> bool:
    """Whether ``path`` is an assessment form (an .xlsx with the hidden lists sheet)."""
    if path.suffix.lower() != ".xlsx" or not path.is_file():
        return False
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True)
    except (OSError, ValueError, KeyError):
        return False
    try:
        return LISTS_SHEET in book.sheetnames
    finally:
        book.close()


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    text = str(value).strip()
    return text or None


def read_form(path: Path, config: PilotConfig) -> tuple[pd.DataFrame, pd.Series, list[Problem]]:
    """A filled form as the ``assessments`` table's text rows.

    Rows without a score are skipped (that competency was not assessed yet). A score
    without a rep or a competency, an unknown competency, a score that is not a number
    or is off the scale, and a sheet without the form's header are problems naming
    ``assessment_form.xlsx, sheet '<team>'``, the row, the column and the value.

    Returns
    -------
    raw : ``rep_id | dimension | score | assessed_at | assessor`` as text
    row_numbers : each record's row on its sheet
    problems : everything wrong, all at once
    """
    from openpyxl import load_workbook

    known = {}
    for d in config.capability.dimensions:
        for name in (d.id, d.label_en, d.label_zh, *d.aliases):
            known[normalise_stage_name(name)] = d.id
    low, high = config.capability.scale_min, config.capability.scale_max
    book = load_workbook(path, read_only=True, data_only=True)
    records, rows, problems = [], [], []
    try:
        for sheet in book.worksheets:
            if sheet.title == LISTS_SHEET or sheet.title == t("form_instructions", "en")[:31]:
                continue
            if sheet.title == t("form_instructions", "zh")[:31]:
                continue
            where = f"{path.name}, sheet '{sheet.title}'"
            values = list(sheet.iter_rows(values_only=True))
            if not values:
                continue
            header = [str(v).strip().lower() if v is not None else "" for v in values[0]]
            missing = [c for c in ("rep_id", "dimension", "score") if c not in header]
            if missing:
                problems.append(
                    Problem(
                        file=where,
                        row=1,
                        column=missing[0],
                        message="the form's header row is changed: required column is missing",
                        value=", ".join(h for h in header if h)[:200],
                        fix="keep the header row as written by 'playbook init' "
                        f"({', '.join(HEADER)})",
                    )
                )
                continue
            at = {c: header.index(c) for c in READ_COLUMNS if c in header}
            for number, row in enumerate(values[1:], start=2):
                cells = {c: _text(row[i]) if i < len(row) else None for c, i in at.items()}
                if cells["score"] is None:
                    continue
                problems.extend(_row_problems(cells, where, number, known, low, high))
                records.append({c: cells.get(c) for c in READ_COLUMNS})
                rows.append(number)
    finally:
        book.close()
    raw = pd.DataFrame(records, columns=list(READ_COLUMNS)).astype(object)
    return raw, pd.Series(rows, index=raw.index, dtype="int64"), problems


def _row_problems(cells, where, number, known, low, high) -> list[Problem]:
    out = []
    if cells["rep_id"] is None:
        out.append(
            Problem(
                file=where,
                row=number,
                column="rep_id",
                message="a score without a rep",
                value=cells["score"],
                fix="fill in the rep_id of the rep assessed, or clear the score",
            )
        )
    dimension = cells["dimension"]
    if dimension is None or normalise_stage_name(dimension) not in known:
        out.append(
            Problem(
                file=where,
                row=number,
                column="dimension",
                message="unknown competency" if dimension else "a score without a competency",
                value=dimension,
                fix="pick the competency from the drop-down (the list is the workspace's "
                "capability.dimensions)",
            )
        )
    try:
        score = float(cells["score"])
    except ValueError:
        score = None
    if score is None or not low <= score <= high:
        out.append(
            Problem(
                file=where,
                row=number,
                column="score",
                message=f"score is not a number on the scale {low:g}–{high:g}",
                value=cells["score"],
                fix="pick the score from the drop-down",
            )
        )
    return out

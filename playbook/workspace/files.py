"""Reading one table file as the user wrote it: where it is, its encoding, its header, its cells.

Adapters and the loader both read files through here; nothing here knows about the other tables."""

from __future__ import annotations

import difflib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.exceptions import (
    Note,
    Problem,
)
from playbook.workspace.assessment_form import FORM_NAME
from playbook.workspace.config import PilotConfig
from playbook.workspace.intake_fast import csv_grid
from playbook.workspace.schema import (
    TABLES,
)

EXTENSIONS = (".csv", ".xlsx", ".xlsm", ".xls", ".parquet")


def find_table_file(workspace: Path, table: str, config: PilotConfig) -> Path | None:
    """The file holding ``table``: as named in ``pilot.yml`` or ``<table>.<ext>``."""
    if table in config.tables:
        return workspace / config.tables[table]
    for ext in EXTENSIONS:
        path = workspace / f"{table}{ext}"
        if path.exists():
            return path
    return None


def assessments_file(workspace: Path, config: PilotConfig, found: Path | None) -> Path | None:
    """Where the assessments are: a file named in pilot.yml, an ``assessments`` table
    with rows, else the assessment form at its fixed name (``assessment_form.xlsx``).

    The header-only ``assessments.csv`` that ``playbook init`` writes yields to a form.
    """
    form = workspace / FORM_NAME
    if "assessments" in config.tables or not form.is_file():
        return found
    if found is None or found.suffix.lower() != ".csv":
        return found or form
    with found.open("rb") as handle:
        lines = [line for line in handle.read(65536).splitlines() if line.strip()]
    return found if len(lines) > 1 else form


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (with or without BOM) or GB18030.

    Returns the text and the encoding name. Raises ``UnicodeDecodeError`` when
    neither fits (e.g. a Latin-1 or UTF-16 file).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnicodeDecodeError("utf-16", data[:2], 0, 2, "UTF-16 is not supported")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("gb18030")  # raises when not GB18030 either
    # GB18030 maps almost any byte sequence; a Latin-1 file ("Müller") decodes to
    # rare characters. Real Chinese text is almost all within GB2312's common set.
    non_ascii = [c for c in text if ord(c) > 127]
    if non_ascii:
        common = sum(1 for c in non_ascii if _in_gb2312(c))
        if common / len(non_ascii) < 0.8:
            raise UnicodeDecodeError("gb18030", data[:1], 0, 1, "does not look like Chinese text")
    return text, "gb18030"


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _normalise_header(name: object) -> str:
    text = str(name).replace("\ufeff", "").strip()
    return "_".join(text.lower().split())


def _locate_header(frame: pd.DataFrame, required: list[str]) -> int | None:
    """Index of the first of the top rows that holds every required column name."""
    for i in range(min(10, len(frame))):
        names = {_normalise_header(v) for v in frame.iloc[i].tolist() if pd.notna(v)}
        if set(required) <= names:
            return i
    return None


class _Unreadable(Exception):
    """A file that cannot be read at all: its one problem (message and what to do)."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


NO_HEADER = ("the file has no header row", "export the table again with its header row")


def _read_csv_grid(path: Path, arrow: bool = False) -> tuple[pd.DataFrame, str]:
    """Every cell of a CSV as text (no header applied yet), and the encoding found;
    ``arrow``: Arrow-backed text where pyarrow reads the file (see :func:`csv_grid`)."""
    data = path.read_bytes()
    try:
        text, encoding = decode_csv_bytes(data)
    except UnicodeDecodeError:
        raise _Unreadable(
            "the file is neither UTF-8 nor GB18030 text",
            "re-save it as 'CSV UTF-8' (Excel: Save As > CSV UTF-8; WPS: 另存为 > CSV, 编码 UTF-8)",
        ) from None
    utf8 = None
    if encoding in ("utf-8", "utf-8-sig"):
        utf8 = memoryview(data)[3:] if encoding == "utf-8-sig" else data
    grid = csv_grid(text, utf8, arrow=arrow)  # columnar; None when the file needs the Python engine
    if grid is None:
        grid = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            header=None,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=True,
            sep=None,
            engine="python",
        )
    return grid, encoding


def _read_grid(path: Path, arrow: bool = False) -> tuple[pd.DataFrame, str]:
    """Every cell of a table file (CSV, Excel or Parquet), header row included, and the
    CSV encoding; :class:`_Unreadable` when the file cannot be read."""
    if not path.exists():
        raise _Unreadable("file not found", "")
    if path.stat().st_size == 0:
        raise _Unreadable("the file is empty (0 bytes)", NO_HEADER[1])
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            grid, encoding = _read_csv_grid(path, arrow)
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            grid, encoding = pd.read_excel(path, dtype=str, header=None), ""
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
            grid = pd.concat(
                [frame.columns.to_frame().T, frame.astype("string").astype(object)],
                ignore_index=True,
            )
            grid.columns = range(grid.shape[1])
            encoding = ""
        else:
            raise _Unreadable(
                f"unsupported file type '{suffix}'", "save the table as .csv, .xlsx or .parquet"
            )
    except (pd.errors.ParserError, ValueError, OSError, ImportError) as exc:
        raise _Unreadable(
            f"cannot be read: {exc}", "open it in a spreadsheet program and re-save it"
        ) from None
    except pd.errors.EmptyDataError:
        raise _Unreadable(*NO_HEADER) from None
    if grid.empty:
        raise _Unreadable(*NO_HEADER)
    return grid, encoding


def _header_problems(
    raw: pd.DataFrame, header_row: int, required: list[str], name: str, table: str
) -> list[Problem]:
    """Columns named twice, and required columns missing (with a did-you-mean)."""
    duplicated = sorted({c for c in raw.columns if list(raw.columns).count(c) > 1})
    problems = [
        Problem(
            file=name,
            row=header_row,
            column=c,
            message="the column appears more than once in the header",
            fix="rename or delete one of them",
        )
        for c in duplicated
    ]
    for column in (c for c in required if c not in raw.columns):
        close = difflib.get_close_matches(column, [str(c) for c in raw.columns], n=1, cutoff=0.6)
        hint = (
            f"did you mean '{close[0]}'? rename it to '{column}'"
            if close
            else (f"add a '{column}' column ({TABLES[table][column].hint or 'see README'})")
        )
        problems.append(
            Problem(
                file=name,
                row=header_row,
                column=column,
                message="required column is missing",
                value=", ".join(map(str, raw.columns))[:200],
                fix=hint,
            )
        )
    return problems


def read_raw(
    path: Path, table: str, *, arrow: bool = False
) -> tuple[pd.DataFrame, pd.Series, str, list[Problem], list[str]]:
    """Read a table file as text.

    ``arrow``: a CSV that pyarrow reads keeps its cells as Arrow-backed text
    (``string[pyarrow]``, missing ``pd.NA``) rather than Python objects; the checks of
    :mod:`~playbook.workspace.table_checks` read either.

    Returns
    -------
    raw : all values as strings (NaN for empty cells), columns normalised
    row_numbers : index -> row number as the user sees it in the file
    encoding : detected encoding ("" for non-CSV)
    problems : anything that stops this file being read
    notes : non-blocking remarks
    """
    name = path.name
    required = [c.name for c in TABLES[table].values() if c.required]
    try:
        grid, encoding = _read_grid(path, arrow)
    except _Unreadable as err:
        fix = err.fix or f"check 'tables.{table}' in pilot.yml"
        problem = Problem(file=name, message=err.message, fix=fix)
        return pd.DataFrame(), pd.Series(dtype="int64"), "", [problem], []
    notes: list[str] = []
    header_at = _locate_header(grid, required)
    if header_at is None:
        header_at = 0
    elif header_at > 0:
        notes.append(Note("note_title_rows", file=name, row=header_at + 1, n=header_at))
    # an empty header cell reads as NaN from every reader (Arrow's pd.NA too): named "nan"
    header = [_normalise_header(np.nan if pd.isna(v) else v) for v in grid.iloc[header_at]]
    raw = grid.iloc[header_at + 1 :].copy()
    raw.columns = header
    raw = raw.loc[:, [c for c in raw.columns if c and not c.startswith("unnamed")]]
    raw = raw.dropna(how="all")
    # Rows as the user sees them: 1-based, counting the header line (CSV blank
    # lines are skipped by the reader, so the CSV count is the data line order).
    row_numbers = pd.Series(raw.index.to_numpy() + 1, index=raw.index)
    if path.suffix.lower() != ".csv":  # CSV cells are text already; Excel, Parquet become text
        raw = raw.map(lambda v: v if pd.isna(v) else str(v))
    problems = _header_problems(raw, header_at + 1, required, name, table)
    return raw, row_numbers, encoding, problems, notes

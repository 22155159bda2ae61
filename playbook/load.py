"""Workspace -> validated :class:`Dataset` (and the Parquet cache the steps share).

A workspace is a folder with ``pilot.yml`` and tables as ``.csv`` (UTF-8, UTF-8
with BOM or GB18030), ``.xlsx`` or ``.parquet``. Every problem found — in any
file, row or column — is collected and raised together as one
:class:`~playbook.exceptions.DataError`.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from playbook import content_table
from playbook.config import PilotConfig, load_config, normalise_stage_name, parse_config
from playbook.display import shorten
from playbook.exceptions import (
    MAX_PROBLEMS_PER_KIND,
    MAX_VALUE_CHARS,
    DataError,
    Note,
    Problem,
    more_problems,
    note_from_record,
)
from playbook.schema import (
    REQUIRED_TABLES,
    TABLES,
    clean_text,
    parse_bools,
    parse_datetimes,
    parse_numbers,
    parse_status,
    rule_problems,
)
from playbook.trust import Boundary, available_steps, step_problems

logger = logging.getLogger(__name__)

EXTENSIONS = (".csv", ".xlsx", ".xlsm", ".xls", ".parquet")
#: Columns to keep as pandas categoricals (memory and speed on large exports).
CATEGORICAL = {
    "owner_id",
    "status",
    "segment",
    "region",
    "product",
    "source",
    "lost_reason",
    "stage_raw",
    "type",
    "actor_id",
    "team",
    "role",
    "dimension",
    "company_size",
    "pilot_group",
    "content_id",
}


@dataclass
class Dataset:
    """The validated canonical tables of one workspace, plus its config.

    Missing optional tables are ``None``. ``files`` maps each table to the file
    it came from; ``notes`` holds non-blocking remarks (e.g. a detected title row).
    """

    config: PilotConfig
    deals: pd.DataFrame
    stage_events: pd.DataFrame
    activities: pd.DataFrame | None = None
    reps: pd.DataFrame | None = None
    assessments: pd.DataFrame | None = None
    outcomes: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    content: pd.DataFrame | None = None
    workspace: str = ""
    files: dict[str, str] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def table(self, name: str) -> pd.DataFrame | None:
        return getattr(self, name)

    def present(self) -> list[str]:
        return [t for t in TABLES if self.table(t) is not None]

    def inventory(self) -> pd.DataFrame:
        """One row per table: file, rows, columns, first and last timestamp."""
        rows = []
        time_col = {
            "deals": "created_at",
            "stage_events": "entered_at",
            "activities": "at",
            "assessments": "assessed_at",
            "outcomes": "go_live_at",
            "reps": "hired_at",
            "content": "created_at",
        }
        for name in TABLES:
            frame = self.table(name)
            if frame is None:
                rows.append(
                    {
                        "table": name,
                        "file": None,
                        "rows": 0,
                        "columns": 0,
                        "first": pd.NaT,
                        "last": pd.NaT,
                    }
                )
                continue
            col = time_col.get(name)
            series = frame[col] if col in frame else pd.Series(dtype="datetime64[ns]")
            rows.append(
                {
                    "table": name,
                    "file": self.files.get(name),
                    "rows": len(frame),
                    "columns": frame.shape[1],
                    "first": series.min(),
                    "last": series.max(),
                }
            )
        return pd.DataFrame(rows)


# --- reading raw files ------------------------------------------------------------------


def find_table_file(workspace: Path, table: str, config: PilotConfig) -> Path | None:
    """The file holding ``table``: as named in ``pilot.yml`` or ``<table>.<ext>``."""
    if table in config.tables:
        return workspace / config.tables[table]
    for ext in EXTENSIONS:
        path = workspace / f"{table}{ext}"
        if path.exists():
            return path
    return None


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


def read_raw(
    path: Path, table: str
) -> tuple[pd.DataFrame, pd.Series, str, list[Problem], list[str]]:
    """Read a table file as text.

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
    empty = pd.DataFrame(), pd.Series(dtype="int64"), ""
    if not path.exists():
        return (
            *empty,
            [
                Problem(
                    file=name, message="file not found", fix=f"check 'tables.{table}' in pilot.yml"
                )
            ],
            [],
        )
    if path.stat().st_size == 0:
        return (
            *empty,
            [
                Problem(
                    file=name,
                    message="the file is empty (0 bytes)",
                    fix="export the table again with its header row",
                )
            ],
            [],
        )
    suffix = path.suffix.lower()
    encoding = ""
    notes: list[str] = []
    try:
        if suffix == ".csv":
            data = path.read_bytes()
            try:
                text, encoding = decode_csv_bytes(data)
            except UnicodeDecodeError:
                return (
                    *empty,
                    [
                        Problem(
                            file=name,
                            message="the file is neither UTF-8 nor GB18030 text",
                            fix="re-save it as 'CSV UTF-8' (Excel: Save As > CSV UTF-8; "
                            "WPS: 另存为 > CSV, 编码 UTF-8)",
                        )
                    ],
                    [],
                )
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
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            grid = pd.read_excel(path, dtype=str, header=None)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
            grid = pd.concat(
                [frame.columns.to_frame().T, frame.astype("string").astype(object)],
                ignore_index=True,
            )
            grid.columns = range(grid.shape[1])
        else:
            return (
                *empty,
                [
                    Problem(
                        file=name,
                        message=f"unsupported file type '{suffix}'",
                        fix="save the table as .csv, .xlsx or .parquet",
                    )
                ],
                [],
            )
    except (pd.errors.ParserError, ValueError, OSError, ImportError) as exc:
        return (
            *empty,
            [
                Problem(
                    file=name,
                    message=f"cannot be read: {exc}",
                    fix="open it in a spreadsheet program and re-save it",
                )
            ],
            [],
        )
    except pd.errors.EmptyDataError:
        return (
            *empty,
            [
                Problem(
                    file=name,
                    message="the file has no header row",
                    fix="export the table again with its header row",
                )
            ],
            [],
        )
    if grid.empty:
        return (
            *empty,
            [
                Problem(
                    file=name,
                    message="the file has no header row",
                    fix="export the table again with its header row",
                )
            ],
            [],
        )
    header_at = _locate_header(grid, required)
    if header_at is None:
        header_at = 0
    elif header_at > 0:
        notes.append(Note("note_title_rows", file=name, row=header_at + 1, n=header_at))
    header = [_normalise_header(v) for v in grid.iloc[header_at].tolist()]
    raw = grid.iloc[header_at + 1 :].copy()
    raw.columns = header
    raw = raw.loc[:, [c for c in raw.columns if c and not c.startswith("unnamed")]]
    raw = raw.dropna(how="all")
    # Rows as the user sees them: 1-based, counting the header line (CSV blank
    # lines are skipped by the reader, so the CSV count is the data line order).
    row_numbers = pd.Series(raw.index.to_numpy() + 1, index=raw.index)
    raw = raw.map(lambda v: v if pd.isna(v) else str(v))
    duplicated = sorted({c for c in raw.columns if list(raw.columns).count(c) > 1})
    problems = [
        Problem(
            file=name,
            row=header_at + 1,
            column=c,
            message="the column appears more than once in the header",
            fix="rename or delete one of them",
        )
        for c in duplicated
    ]
    missing = [c for c in required if c not in raw.columns]
    for column in missing:
        close = difflib.get_close_matches(column, [str(c) for c in raw.columns], n=1, cutoff=0.6)
        hint = (
            f"did you mean '{close[0]}'? rename it to '{column}'"
            if close
            else (f"add a '{column}' column ({TABLES[table][column].hint or 'see README'})")
        )
        problems.append(
            Problem(
                file=name,
                row=header_at + 1,
                column=column,
                message="required column is missing",
                value=", ".join(map(str, raw.columns))[:200],
                fix=hint,
            )
        )
    return raw, row_numbers, encoding, problems, notes


# --- parsing and per-table checks ----------------------------------------------------------


def _limit(
    problems: list[Problem],
    file: str,
    column: str,
    message: str,
    fix: str,
    rows: pd.Series,
    values: pd.Series,
    summary: str = "",
) -> None:
    """Append one problem per row, up to MAX_PROBLEMS_PER_KIND, then one line counting the rest."""
    count = len(rows)
    shown = min(count, MAX_PROBLEMS_PER_KIND)
    for row, value in zip(rows.iloc[:shown].tolist(), values.iloc[:shown].tolist(), strict=True):
        problems.append(
            Problem(
                file=file,
                row=int(row),
                column=column,
                value=None if pd.isna(value) else str(value),
                message=message,
                fix=fix,
            )
        )
    if count > shown:
        problems.append(
            more_problems(file, column, message, count - shown, count, fix=fix, detail=summary)
        )


def parse_table(
    table: str, raw: pd.DataFrame, row_numbers: pd.Series, file: str, config: PilotConfig
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse raw text columns into canonical types; collect unparseable values."""
    problems: list[Problem] = []
    out = pd.DataFrame(index=raw.index)
    for column in raw.columns:
        spec = TABLES[table].get(column)
        kind = spec.kind if spec else "text"
        values = raw[column]
        if kind == "datetime":
            parsed, bad, has_offset = parse_datetimes(values, config.timezone)
            if bad.any():
                _limit(
                    problems,
                    file,
                    column,
                    "not a date I can read",
                    "write dates as 2026-03-01, 2026/3/1 or 2026年3月1日, optionally with a "
                    "time such as 14:30",
                    row_numbers[bad],
                    values[bad],
                )
            present = values.notna() & ~bad
            if has_offset.any() and (present & ~has_offset).any():
                naive = present & ~has_offset
                _limit(
                    problems,
                    file,
                    column,
                    "mixes times with a UTC offset and times without one",
                    f"give every value an offset, or none (then times are read as "
                    f"{config.timezone})",
                    row_numbers[naive],
                    values[naive],
                )
            out[column] = parsed
        elif kind == "number":
            parsed, bad = parse_numbers(values)
            if bad.any():
                _limit(
                    problems,
                    file,
                    column,
                    "not a number",
                    "write plain numbers such as 1200 or 1,200.50",
                    row_numbers[bad],
                    values[bad],
                )
            out[column] = parsed
        elif kind == "bool":
            parsed, bad = parse_bools(values)
            if bad.any():
                _limit(
                    problems,
                    file,
                    column,
                    "not a yes/no value",
                    "use true/false, yes/no, 1/0 or 是/否",
                    row_numbers[bad],
                    values[bad],
                )
            out[column] = parsed
        elif kind == "status":
            parsed, bad = parse_status(values)
            if bad.any():
                _limit(
                    problems,
                    file,
                    column,
                    "unknown status",
                    "use open, won or lost (Closed Won / 赢单 / 输单 are understood too)",
                    row_numbers[bad],
                    values[bad],
                )
            out[column] = parsed.where(~bad, "invalid")
        else:
            out[column] = clean_text(values)
    return out, problems


def map_stages(
    events: pd.DataFrame, row_numbers: pd.Series, file: str, config: PilotConfig
) -> tuple[pd.DataFrame, list[Problem]]:
    """Map raw stage names to stage ids; unknown names get a did-you-mean."""
    alias = config.funnel.alias_map()
    raw = events["stage"]
    keys = raw.astype("string").map(lambda v: normalise_stage_name(v) if pd.notna(v) else v)
    ids = keys.map(alias)
    unknown = raw.notna() & ids.isna()
    problems: list[Problem] = []
    if unknown.any():
        names = {n: s.id for s in config.funnel.stages for n in s.all_names()}
        values = raw[unknown].astype(str)
        by_name = row_numbers[unknown].groupby(values, sort=False)
        first_rows, counts = by_name.first(), by_name.size()
        kind = "stage name that matches no stage in pilot.yml"
        for value in first_rows.index[:MAX_PROBLEMS_PER_KIND]:
            close = difflib.get_close_matches(value, list(names), n=1, cutoff=0.6)
            shown = shorten(value, MAX_VALUE_CHARS)
            if close:
                stage = names[close[0]]
                index = config.funnel.ids.index(stage)
                fix = (
                    f"did you mean '{close[0]}'? add '{shown}' to "
                    f"funnel.stages[{index}].aliases in pilot.yml"
                )
            else:
                fix = (
                    "add it to the aliases of the stage it belongs to in pilot.yml "
                    f"(stages: {', '.join(config.funnel.ids)})"
                )
            message = f"stage '{shown}' matches no stage in pilot.yml"
            if counts[value] > 1:
                message += f" ({counts[value]:,} rows, the first shown)"
            problems.append(
                Problem(
                    file=file,
                    row=int(first_rows[value]),
                    column="stage",
                    value=value,
                    message=message,
                    fix=fix,
                    kind=kind,
                )
            )
        rest = len(first_rows) - MAX_PROBLEMS_PER_KIND
        if rest > 0:
            problems.append(
                more_problems(
                    file,
                    "stage",
                    kind,
                    rest,
                    len(first_rows),
                    unit="stage names",
                    fix="map the stage names in funnel.stages[].aliases in pilot.yml",
                    detail=f"; {int(unknown.sum()):,} rows",
                )
            )
    events = events.copy()
    events["stage_raw"] = raw
    events["stage"] = pd.Categorical(ids, categories=config.funnel.ids, ordered=True)
    return events, problems


def cross_checks(
    tables: dict[str, pd.DataFrame],
    rows: dict[str, pd.Series],
    files: dict[str, str],
    config: PilotConfig,
) -> list[Problem]:
    """Checks that span tables or rows: unknown ids, impossible orders of events."""
    problems: list[Problem] = []
    deals = tables["deals"]
    f = files["deals"]
    closed = deals["status"].isin(["won", "lost"])
    if "closed_at" in deals:
        no_close = closed & deals["closed_at"].isna()
        before = deals["closed_at"] < deals["created_at"]
        _limit(
            problems,
            f,
            "closed_at",
            "won/lost deal without a close date",
            "fill in closed_at for every won or lost deal",
            rows["deals"][no_close],
            deals.loc[no_close, "status"],
        )
        _limit(
            problems,
            f,
            "closed_at",
            "closed before it was created",
            "check created_at and closed_at of this deal",
            rows["deals"][before],
            deals.loc[before, "closed_at"].astype(str),
        )
    elif closed.any():
        problems.append(
            Problem(
                file=f,
                column="closed_at",
                message=f"{int(closed.sum())} won/lost deals but no closed_at column",
                fix="add closed_at (the date each deal was won or lost)",
            )
        )
    deal_ids = pd.Index(deals["deal_id"].dropna().unique())
    created = deals.drop_duplicates("deal_id").set_index("deal_id")["created_at"]
    for table, time_col in (
        ("stage_events", "entered_at"),
        ("activities", None),
        ("outcomes", None),
    ):
        frame = tables.get(table)
        if frame is None or "deal_id" not in frame:
            continue
        unknown = frame["deal_id"].notna() & ~frame["deal_id"].isin(deal_ids)
        if unknown.any():
            ids = frame.loc[unknown, "deal_id"]
            first = ~ids.duplicated()
            n_ids = int(first.sum())
            summary = (
                f"; {int(unknown.sum())} rows refer to {n_ids} unknown deals — was the "
                "deals table exported with a row limit or a narrower filter?"
            )
            _limit(
                problems,
                files[table],
                "deal_id",
                "deal_id not found in deals",
                "export deals and this table for the same period and filter",
                rows[table][unknown][first],
                ids[first],
                summary=summary,
            )
        if time_col:
            when = frame[time_col]
            start = frame["deal_id"].map(created)
            early = when.notna() & start.notna() & (when < start)
            _limit(
                problems,
                files[table],
                time_col,
                "stage entered before the deal was created",
                "check the dates of this event and the deal's created_at",
                rows[table][early],
                when[early].astype(str),
            )
    if tables.get("outcomes") is not None:
        outcomes = tables["outcomes"]
        status = outcomes["deal_id"].map(
            deals.drop_duplicates("deal_id").set_index("deal_id")["status"]
        )
        not_won = status.notna() & (status != "won")
        _limit(
            problems,
            files["outcomes"],
            "deal_id",
            "outcome recorded for a deal that is not won",
            "outcomes are for won deals only",
            rows["outcomes"][not_won],
            outcomes.loc[not_won, "deal_id"],
        )
    assessments = tables.get("assessments")
    if assessments is not None:
        f = files["assessments"]
        dims = {d.id: d for d in config.capability.dimensions}
        names = {}
        for d in config.capability.dimensions:
            for n in (d.id, d.label_en, d.label_zh, *d.aliases):
                names[normalise_stage_name(n)] = d.id
        mapped = assessments["dimension"].map(
            lambda v: names.get(normalise_stage_name(v)) if pd.notna(v) else None
        )
        bad = assessments["dimension"].notna() & mapped.isna()
        for value, group in rows["assessments"][bad].groupby(assessments.loc[bad, "dimension"]):
            close = difflib.get_close_matches(str(value), list(dims), n=1, cutoff=0.5)
            fix = (f"did you mean '{close[0]}'? " if close else "") + (
                "use a capability dimension id from pilot.yml: " + ", ".join(dims)
            )
            _limit(
                problems,
                f,
                "dimension",
                "unknown capability dimension",
                fix,
                group,
                pd.Series([value] * len(group)),
            )
        lo, hi = config.capability.scale_min, config.capability.scale_max
        out = assessments["score"].notna() & ~assessments["score"].between(lo, hi)
        _limit(
            problems,
            f,
            "score",
            f"score outside the scale {lo:g}–{hi:g}",
            "correct the score or set capability.scale_min/scale_max in pilot.yml",
            rows["assessments"][out],
            assessments.loc[out, "score"],
        )
        if tables.get("reps") is not None:
            unknown = assessments["rep_id"].notna() & ~assessments["rep_id"].isin(
                tables["reps"]["rep_id"]
            )
            _limit(
                problems,
                f,
                "rep_id",
                "rep_id not found in reps",
                "add the rep to reps",
                rows["assessments"][unknown],
                assessments.loc[unknown, "rep_id"],
            )
        tables["assessments"] = assessments.assign(
            dimension=mapped.where(~bad, assessments["dimension"])
        )
    problems.extend(content_table.cross_problems(tables, rows, files))
    return problems


# --- the public entry points ----------------------------------------------------------------


@dataclass
class RawWorkspace:
    """Every table of a workspace as text, before parsing: what the loader validates.

    ``tables`` maps table -> (raw text frame, row numbers, label of its origin).
    ``problems`` are the problems found while reading (missing or unreadable files).
    """

    config: PilotConfig
    workspace: Path
    tables: dict[str, tuple[pd.DataFrame, pd.Series, str]]
    problems: list[Problem]
    files: dict[str, str]
    encodings: dict[str, str]
    notes: list[str]

    def units(self, column: str) -> list[str]:
        """The distinct values of deals' ``column`` (for splitting into units)."""
        deals = self.tables.get("deals")
        if deals is None or column not in deals[0].columns:
            return []
        return sorted(deals[0][column].dropna().astype(str).str.strip().unique())

    def restrict(self, column: str, values: set[str]) -> RawWorkspace:
        """Only the deals whose ``column`` is in ``values``, and the rows of other deal tables
        that belong to them (rows of unknown deals are dropped with the others)."""
        tables = dict(self.tables)
        raw, rows, label = tables["deals"]
        keep = raw[column].astype("string").str.strip().isin(values).fillna(False).to_numpy()
        tables["deals"] = (raw[keep], rows[keep], label)
        ids = set(raw.loc[keep, "deal_id"].dropna().astype(str).str.strip())
        for table in ("stage_events", "activities", "outcomes"):
            if table in tables and "deal_id" in tables[table][0].columns:
                t_raw, t_rows, t_label = tables[table]
                mask = t_raw["deal_id"].astype("string").str.strip().isin(ids).fillna(False)
                tables[table] = (t_raw[mask.to_numpy()], t_rows[mask.to_numpy()], t_label)
        return RawWorkspace(
            self.config,
            self.workspace,
            tables,
            list(self.problems),
            dict(self.files),
            dict(self.encodings),
            list(self.notes),
        )


def read_workspace(
    workspace: str | Path,
    config: PilotConfig | None = None,
    *,
    allowed: Sequence[str | Path] = (),
    notebooks: Path | None = None,
) -> RawWorkspace:
    """Read every table of a workspace as text (files, or the configured source).

    Parameters
    ----------
    allowed : folders outside the workspace that it may read (``--allow-path``);
        every other path it names, links followed, is a problem and is never opened.
    notebooks : the step notebooks ``monthly.steps`` may name (default: the shipped ones).

    Raises
    ------
    DataError
        When the workspace folder or its config cannot be read.
    UsageError
        When an allowed path does not exist.
    """
    ws = Path(workspace)
    if not ws.is_dir():
        raise DataError(
            [
                Problem(
                    file=str(ws),
                    message="workspace folder not found",
                    fix="give the folder that holds pilot.yml and the tables "
                    "(create one with 'playbook init DIR')",
                )
            ]
        )
    if config is None:
        config = load_config(ws)
    boundary = Boundary.of(ws, allowed)
    problems = step_problems(config.monthly.steps, available_steps(notebooks))
    tables: dict[str, tuple[pd.DataFrame, pd.Series, str]] = {}
    files: dict[str, str] = {}
    encodings: dict[str, str] = {}
    notes: list[str] = []
    adapted = _adapted_tables(ws, config, boundary)
    if adapted is not None:
        notes.extend(getattr(adapted, "notes", []))
    for table in TABLES:
        if adapted is not None:
            if table not in adapted:
                if table in REQUIRED_TABLES:
                    problems.append(
                        Problem(
                            file=str(config.source.get("type", "source")),
                            message=f"the source gives no '{table}' table",
                            fix="map it in the source section of pilot.yml",
                        )
                    )
                continue
            raw, row_numbers, label = adapted[table]
            files[table] = label
            if raw.empty:
                if table in REQUIRED_TABLES:
                    problems.append(
                        Problem(file=label, message="no rows", fix="check the export or the query")
                    )
                continue
            tables[table] = (raw, row_numbers, label)
            continue
        path = find_table_file(ws, table, config)
        if path is None:
            if table in REQUIRED_TABLES:
                problems.append(
                    Problem(
                        file=f"{table}.csv",
                        message=f"required table '{table}' not found",
                        fix=f"put {table}.csv (or .xlsx/.parquet) in {ws}, or name its file under "
                        f"'tables:' in pilot.yml",
                    )
                )
            continue
        files[table] = path.name
        named = config.tables.get(table)
        outside = boundary.problem(path, setting=named and f"tables.{table}", given=named)
        if outside is not None:
            problems.append(outside)
            continue
        raw, row_numbers, encoding, read_problems, read_notes = read_raw(path, table)
        notes.extend(read_notes)
        if read_problems:
            problems.extend(read_problems)
            continue
        if raw.empty:
            if table in REQUIRED_TABLES:
                problems.append(
                    Problem(
                        file=path.name,
                        message="the table has a header but no rows",
                        fix="export it again including its data rows",
                    )
                )
            else:
                notes.append(Note("note_header_only", file=path.name))
            continue
        encodings[table] = encoding
        tables[table] = (raw, row_numbers, path.name)
    if "content" in tables:  # the text of files the items name, read through the boundary
        raw, row_numbers, label, file_problems = content_table.attach_file_text(
            *tables["content"], boundary
        )
        tables["content"] = (raw, row_numbers, label)
        problems.extend(file_problems)
    return RawWorkspace(config, ws, tables, problems, files, encodings, notes)


def validate(raw_ws: RawWorkspace) -> Dataset:
    """Parse and validate the text tables of a :class:`RawWorkspace` into a Dataset.

    Raises
    ------
    DataError
        Listing every problem found in every table at once (reading problems included).
    """
    config = raw_ws.config
    problems = list(raw_ws.problems)
    tables: dict[str, pd.DataFrame] = {}
    rows: dict[str, pd.Series] = {}
    files = raw_ws.files
    for table, (raw, row_numbers, label) in raw_ws.tables.items():
        parsed, parse_problems = parse_table(table, raw, row_numbers, label, config)
        problems.extend(parse_problems)
        problems.extend(rule_problems(table, parsed, raw, label, row_numbers))
        if table == "stage_events":
            parsed, stage_problems = map_stages(parsed, row_numbers, label, config)
            problems.extend(stage_problems)
        tables[table], rows[table] = parsed, row_numbers
    if "deals" in tables and not problems_block_cross_checks(problems, files):
        problems.extend(cross_checks(tables, rows, files, config))
    if problems:
        raise DataError(sort_problems(problems, files))
    for table, frame in tables.items():
        tables[table] = _finalise(frame)
    if "content" in tables:
        tables["content"] = content_table.tidy(tables["content"])
    return Dataset(
        config=config,
        workspace=str(raw_ws.workspace),
        files=dict(files),
        encodings=dict(raw_ws.encodings),
        notes=list(raw_ws.notes),
        **{t: tables.get(t) for t in TABLES},
    )


def load_workspace(
    workspace: str | Path,
    config: PilotConfig | None = None,
    *,
    allowed: Sequence[str | Path] = (),
) -> Dataset:
    """Read, parse and validate every table of a workspace.

    Parameters
    ----------
    workspace : folder holding ``pilot.yml`` and the tables.
    config : use this config instead of the workspace's ``pilot.yml``.
    allowed : folders outside the workspace it may read (``--allow-path``); see
        :mod:`playbook.trust`.

    Returns
    -------
    Dataset
        Canonical tables: datetimes as naive local time in ``config.timezone``,
        ``stage_events.stage`` as ordered categorical of stage ids (raw name kept
        in ``stage_raw``), text dimensions as categoricals.

    Raises
    ------
    DataError
        Listing every problem found in every file at once.
    """
    return validate(read_workspace(workspace, config, allowed=allowed))


def sort_problems(problems: list[Problem], files: dict[str, str]) -> list[Problem]:
    """File by file in table order, then by row (file-level problems first)."""
    order = {name: i for i, name in enumerate(files.values())}

    def key(p: Problem) -> tuple:
        trailing = p.row is None and p.message.startswith("…")
        return (order.get(p.file, len(order)), float("inf") if trailing else (p.row or 0))

    return sorted(problems, key=key)


def _adapted_tables(ws: Path, config: PilotConfig, boundary: Boundary):
    """Canonical raw tables from a CRM export, or None for plain table files.

    Used when ``pilot.yml`` describes a ``source``, or when the workspace has no
    ``deals`` file but holds an export the adapters recognise (Salesforce, HubSpot,
    XES). The adapter returns, per table, a frame of text values with canonical
    column names, the row numbers to report problems at, and a label naming where
    the rows came from; parsing and validation then run as for files.
    """
    from playbook import adapters

    if not config.source:
        if find_table_file(ws, "deals", config) is not None:
            return None
        if adapters.detect_source(ws, config, boundary) is None:
            return None
    return adapters.read_source(ws, config, boundary=boundary)


def problems_block_cross_checks(problems: list[Problem], files: dict[str, str]) -> bool:
    """Cross-table checks need the key columns; skip them when those are missing."""
    return any(p.message == "required column is missing" for p in problems)


def _finalise(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        if column in CATEGORICAL and frame[column].dtype == object:
            frame[column] = frame[column].astype("category")
    return frame


# --- cache shared by the step notebooks ------------------------------------------------------

CACHE_CONFIG = "config.json"
#: Holds the distinct ``deal_id`` values once; the tables store int32 positions into it.
CACHE_DEAL_IDS = "deal_ids.parquet"
#: Tables whose ``deal_id`` column the cache stores as positions into ``CACHE_DEAL_IDS``.
DEAL_ID_TABLES = ("deals", "stage_events", "activities", "outcomes")


def _is_text(values: pd.Index | pd.Series) -> bool:
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def _deal_id_plan(dataset: Dataset) -> tuple[pd.Index | None, dict[str, str]]:
    """The shared ``deal_id`` values and, per table, how its column is stored.

    ``"category"``: every such table holds a categorical over the very same categories
    (rebuilt as one shared dtype on read); ``"object"``: text ids (rebuilt by taking
    from the shared values). Tables left out of the plan are written as they are.
    """
    columns = {
        t: dataset.table(t)["deal_id"]
        for t in DEAL_ID_TABLES
        if dataset.table(t) is not None and "deal_id" in dataset.table(t)
    }
    if "deals" not in columns:
        return None, {}
    kinds = {t: _deal_id_kind(c) for t, c in columns.items()}
    dtypes = [c.dtype for t, c in columns.items() if kinds[t] == "category"]
    if dtypes:
        first = dtypes[0]
        same = all(d == first and d.categories.equals(first.categories) for d in dtypes)
        if not same or not _is_text(first.categories):
            kinds = {t: k for t, k in kinds.items() if k != "category"}
            dtypes = []
    if dtypes:
        values = dtypes[0].categories
        extra: list[pd.Series] = []
    else:
        values = pd.Index([], dtype=object)
        extra = [columns["deals"]] if kinds.get("deals") == "object" else []
    extra += [c for t, c in columns.items() if kinds[t] == "object" and t != "deals"]
    if extra:
        more = pd.Index(pd.unique(pd.concat([s.dropna() for s in extra], ignore_index=True)))
        if not _is_text(more):
            kinds = {t: k for t, k in kinds.items() if k != "object"}
        else:
            values = values.append(more.difference(values, sort=False)) if len(values) else more
    return (values if kinds else None), kinds


def _deal_id_kind(column: pd.Series) -> str | None:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return "category"
    if column.dtype == object and _is_text(column):
        return "object"
    return None


def _as_ns(frame: pd.DataFrame) -> pd.DataFrame:
    """Naive datetime columns at another unit (e.g. from Parquet ``timestamp[us]``) as ns."""
    coarse = {
        c: frame[c].astype("datetime64[ns]")
        for c in frame.columns
        if pd.api.types.is_datetime64_dtype(frame[c].dtype) and frame[c].dtype != "datetime64[ns]"
    }
    return frame.assign(**coarse) if coarse else frame


def save_cache(dataset: Dataset, directory: str | Path) -> Path:
    """Write the validated tables as Parquet so every step loads them in milliseconds.

    ``deal_id`` is written once (``deal_ids.parquet``) and as int32 positions in each
    table, so that reading does not rebuild millions of id strings per table;
    :func:`load_cache` restores the same columns and dtypes. Timestamps are stored
    in nanoseconds (``datetime64[ns]``, as :func:`load_workspace` gives them).
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    values, kinds = _deal_id_plan(dataset)
    deal_ids = {}
    if values is not None:
        ordered = False
        for table, kind in kinds.items():
            if kind == "category":
                ordered = bool(dataset.table(table)["deal_id"].cat.ordered)
        pd.DataFrame({"deal_id": values.to_numpy(dtype=object)}).to_parquet(
            out / CACHE_DEAL_IDS, index=False
        )
        deal_ids = {"tables": kinds, "ordered": ordered}
    elif (out / CACHE_DEAL_IDS).exists():
        (out / CACHE_DEAL_IDS).unlink()
    for table in dataset.present():
        frame = dataset.table(table)
        kind = kinds.get(table)
        if kind is not None:
            column = frame["deal_id"]
            if kind == "category":
                codes = column.cat.codes.to_numpy()
            else:
                codes = values.get_indexer(column)
            frame = frame.assign(deal_id=codes.astype(np.int32))
        frame = _as_ns(frame)
        frame.to_parquet(out / f"{table}.parquet", index=False)
    meta = {
        "config": dataset.config.model_dump(mode="json"),
        "workspace": dataset.workspace,
        "files": dataset.files,
        "encodings": dataset.encodings,
        "notes": [n.record() if isinstance(n, Note) else n for n in dataset.notes],
        "deal_ids": deal_ids,
    }
    (out / CACHE_CONFIG).write_text(
        json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return out


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as pandas, handing Arrow's buffers back as they are converted."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    return frame


def load_cache(directory: str | Path) -> Dataset:
    """Read a cache written by :func:`save_cache`.

    The tables equal those saved, column by column and dtype by dtype; categorical
    ``deal_id`` columns of several tables share one dtype (no string is hashed to
    match events to deals).
    """
    import pyarrow as pa

    src = Path(directory)
    meta = json.loads((src / CACHE_CONFIG).read_text(encoding="utf-8"))
    plan = meta.get("deal_ids") or {}
    kinds = plan.get("tables", {})
    shared_dtype = values = None
    if kinds:
        values = pd.Index(_read_parquet(src / CACHE_DEAL_IDS)["deal_id"].to_numpy(), dtype=object)
        if "category" in kinds.values():
            shared_dtype = pd.CategoricalDtype(values, ordered=plan.get("ordered", False))
            values = shared_dtype.categories
        texts = values.to_numpy()
    tables = {}
    for table in TABLES:
        path = src / f"{table}.parquet"
        if not path.exists():
            tables[table] = None
            continue
        frame = _read_parquet(path)
        kind = kinds.get(table)
        if kind is not None:
            codes = frame["deal_id"].to_numpy()
            if kind == "category":
                frame["deal_id"] = pd.Categorical.from_codes(codes, dtype=shared_dtype)
            else:
                ids = texts.take(np.maximum(codes, 0)) if len(texts) else np.full(len(codes), None)
                if (codes < 0).any():
                    ids[codes < 0] = None
                frame["deal_id"] = pd.Series(ids, dtype=object, index=frame.index)
        tables[table] = frame
    pa.default_memory_pool().release_unused()
    return Dataset(
        config=parse_config(meta["config"]),
        workspace=meta["workspace"],
        files=meta["files"],
        encodings=meta.get("encodings", {}),
        notes=[note_from_record(n) for n in meta.get("notes", [])],
        **tables,
    )


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_files(
    workspace: str | Path, config: PilotConfig, allowed: Sequence[str | Path] = ()
) -> list[Path]:
    """pilot.yml and every input file read (table files or the export), for the manifest.

    Only files inside the workspace or the ``allowed`` folders are listed (or hashed).
    """
    ws = Path(workspace)
    boundary = Boundary.of(ws, allowed)
    paths = [ws / "pilot.yml"] if (ws / "pilot.yml").exists() else []
    if config.source or find_table_file(ws, "deals", config) is None:
        from playbook import adapters

        if config.source or adapters.detect_source(ws, config, boundary) is not None:
            found = adapters.source_files(ws, config, boundary=boundary)
            return paths + [p for p in found if p not in paths]
    for table in TABLES:
        path = find_table_file(ws, table, config)
        if path is not None and path.exists() and boundary.contains(path):
            paths.append(path)
    content = find_table_file(ws, "content", config)
    return paths + content_table.referenced_files(content, boundary)


def apply_period(dataset: Dataset) -> Dataset:
    """Keep deals created within the config's period (and their rows in other tables)."""
    cfg = dataset.config
    if not cfg.period_start and not cfg.period_end:
        return dataset
    created = dataset.deals["created_at"]
    keep = np.ones(len(created), dtype=bool)
    if cfg.period_start:
        keep &= (created >= pd.Timestamp(cfg.period_start)).to_numpy()
    if cfg.period_end:
        keep &= (created < pd.Timestamp(cfg.period_end) + pd.Timedelta(days=1)).to_numpy()
    deals = dataset.deals[keep]
    ids = set(deals["deal_id"])
    subset = {}
    for table in ("stage_events", "activities", "outcomes"):
        frame = dataset.table(table)
        subset[table] = None if frame is None else frame[frame["deal_id"].isin(ids)]
    return Dataset(
        config=cfg,
        deals=deals,
        reps=dataset.reps,
        assessments=dataset.assessments,
        targets=dataset.targets,
        content=dataset.content,
        workspace=dataset.workspace,
        files=dataset.files,
        encodings=dataset.encodings,
        notes=dataset.notes,
        **subset,
    )


def open_dataset(
    workspace: str | Path = "",
    cache_dir: str | Path = "",
    *,
    allowed: Sequence[str | Path] = (),
) -> Dataset:
    """What a step notebook calls: the runner's cache when given, else the workspace.

    Run headless, the runner passes ``cache_dir`` (validated once, shared by all
    steps); opened by hand in JupyterLab, the notebook reads ``workspace`` itself
    (within its own folder, or the ``allowed`` ones).
    """
    if cache_dir:
        return load_cache(cache_dir)
    if not workspace:
        raise ValueError("give workspace (a folder with pilot.yml) or cache_dir")
    return apply_period(load_workspace(workspace, allowed=allowed))


def as_of(dataset: Dataset, moment: pd.Timestamp) -> Dataset:
    """The workspace as it stood at ``moment``: what a report for that date may know.

    Deals created later, and events, activities and outcomes after ``moment``, are
    left out; a deal closed after ``moment`` is open again (no close date, status,
    or lost reason yet). Pure: the input is not changed.
    """
    cut = pd.Timestamp(moment)
    deals = dataset.deals[dataset.deals["created_at"] <= cut].copy()
    if "closed_at" in deals.columns:
        later = deals["closed_at"] > cut
        if later.any():
            status = deals["status"].astype(object)
            status[later] = "open"
            deals["status"] = pd.Categorical(status, categories=["lost", "open", "won"])
            deals.loc[later, "closed_at"] = pd.NaT
            if "lost_reason" in deals.columns:
                deals["lost_reason"] = deals["lost_reason"].astype(object).where(~later)
    ids = deals["deal_id"]
    subset: dict[str, pd.DataFrame | None] = {}
    for table, column in (("stage_events", "entered_at"), ("activities", "at")):
        frame = dataset.table(table)
        subset[table] = (
            None
            if frame is None
            else frame[(frame[column] <= cut) & frame["deal_id"].isin(ids)].reset_index(drop=True)
        )
    outcomes = dataset.outcomes
    if outcomes is not None:
        won = deals.loc[deals["status"] == "won", "deal_id"]
        outcomes = outcomes[outcomes["deal_id"].isin(won)].copy()
        for column in ("go_live_at", "renewal_at", "upsell_at"):
            if column in outcomes.columns:
                outcomes.loc[outcomes[column] > cut, column] = pd.NaT
        if "renewal_at" in outcomes.columns and "renewed" in outcomes.columns:
            outcomes.loc[outcomes["renewal_at"].isna(), "renewed"] = pd.NA
        outcomes = outcomes.reset_index(drop=True)
    return Dataset(
        config=dataset.config,
        deals=deals.reset_index(drop=True),
        reps=dataset.reps,
        assessments=dataset.assessments,
        outcomes=outcomes,
        targets=dataset.targets,
        content=dataset.content,
        workspace=dataset.workspace,
        files=dataset.files,
        encodings=dataset.encodings,
        notes=dataset.notes,
        **subset,
    )

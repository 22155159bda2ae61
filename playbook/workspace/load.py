"""Workspace -> validated :class:`Dataset` (and the Parquet cache the steps share).

A workspace is a folder with ``pilot.yml`` and tables as ``.csv`` (UTF-8, UTF-8
with BOM or GB18030), ``.xlsx`` or ``.parquet``. Every problem found — in any
file, row or column — is collected and raised together as one
:class:`~playbook.exceptions.DataError`.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.display import shorten
from playbook.exceptions import (
    MAX_PROBLEMS_PER_KIND,
    MAX_VALUE_CHARS,
    DataError,
    Note,
    Problem,
    more_problems,
)
from playbook.workspace import content_table
from playbook.workspace.assessment_form import is_form, read_form

# Re-exported (``as``): notebooks and tools reach the cache through the loader.
from playbook.workspace.cache import CACHE_CONFIG as CACHE_CONFIG
from playbook.workspace.cache import load_cache as load_cache
from playbook.workspace.cache import save_cache as save_cache
from playbook.workspace.config import PilotConfig, load_config, normalise_stage_name
from playbook.workspace.dataset import Dataset
from playbook.workspace.files import (
    assessments_file,
    find_table_file,
    read_raw,
)
from playbook.workspace.schema import (
    REQUIRED_TABLES,
    TABLES,
    clean_text,
    parse_bools,
    parse_datetimes,
    parse_numbers,
    parse_status,
    rule_problems,
)
from playbook.workspace.trust import Boundary, available_steps, step_problems

logger = logging.getLogger(__name__)

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


# --- reading raw files ------------------------------------------------------------------


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
        hidden = tuple(int(r) for r in rows.iloc[shown:].tolist())
        problems.append(
            more_problems(
                file, column, message, count - shown, count, fix=fix, detail=summary, rows=hidden
            )
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
    # normalised once per distinct name, not once per event
    names = pd.unique(raw.dropna().to_numpy(dtype=object))
    keys = raw.map({name: normalise_stage_name(name) for name in names})
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
                    rows=_rows_of(by_name, value) if counts[value] > 1 else (),
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
                    rows=tuple(
                        r
                        for value in first_rows.index[MAX_PROBLEMS_PER_KIND:]
                        for r in _rows_of(by_name, value)
                    ),
                )
            )
    events = events.copy()
    events["stage_raw"] = raw
    events["stage"] = pd.Categorical(ids, categories=config.funnel.ids, ordered=True)
    return events, problems


def _rows_of(by_name, value: str) -> tuple[int, ...]:
    """Every file row of one group of a row-number groupby."""
    return tuple(int(r) for r in by_name.get_group(value).tolist())


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
        if table == "assessments":
            path = assessments_file(ws, config, path)
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
        if table == "assessments" and is_form(path):
            raw, row_numbers, read_problems = read_form(path, config)
            encoding, read_notes = "", []
        else:
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
    tables, problems = check_workspace(raw_ws)
    if problems:
        raise DataError(sort_problems(problems, raw_ws.files))
    return dataset_of(raw_ws, tables)


def check_workspace(raw_ws: RawWorkspace) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Parse every text table and run every check: the parsed tables and every problem
    found, none left out (:class:`DataError` caps the list it shows, not this one)."""
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
    return tables, problems


def dataset_of(raw_ws: RawWorkspace, tables: dict[str, pd.DataFrame]) -> Dataset:
    """The Dataset of parsed tables that passed every check."""
    files = raw_ws.files
    for table, frame in tables.items():
        tables[table] = _finalise(frame)
    if "content" in tables:
        tables["content"] = content_table.tidy(tables["content"])
    return Dataset(
        config=raw_ws.config,
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
        :mod:`playbook.workspace.trust`.

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
    from playbook.workspace import adapters

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
        from playbook.workspace import adapters

        if config.source or adapters.detect_source(ws, config, boundary) is not None:
            found = adapters.source_files(ws, config, boundary=boundary)
            return paths + [p for p in found if p not in paths]
    for table in TABLES:
        path = find_table_file(ws, table, config)
        if table == "assessments":
            path = assessments_file(ws, config, path)
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

"""Reading a workspace: every table as text, from its files or from a CRM export.

Nothing is parsed here; what cannot be read at all (a missing required table, a file
outside the workspace, an unreadable file) is collected as problems on the
:class:`RawWorkspace` the loader then validates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from playbook.exceptions import DataError, Note, Problem
from playbook.workspace import content_table
from playbook.workspace.assessment_form import is_form, read_form
from playbook.workspace.config import PilotConfig, load_config
from playbook.workspace.files import assessments_file, find_table_file, read_raw
from playbook.workspace.schema import REQUIRED_TABLES, TABLES
from playbook.workspace.trust import Boundary, available_steps, step_problems

logger = logging.getLogger(__name__)

#: A table of at least this many rows gets a progress line as it is read and as it is
#: checked, so a long intake shows where it is (the ``playbook`` command prints them unless
#: ``--quiet``); a small workspace prints nothing more.
PROGRESS_ROWS = 200_000


def report_progress(done: str, label: str, rows: int, started: float) -> None:
    """One progress line (``read deals.csv: 1,000,000 rows (4.2 s)``) for a large table."""
    if rows >= PROGRESS_ROWS:
        seconds = time.perf_counter() - started
        logger.info("  %s %s: %s rows (%.1f s)", done, label, f"{rows:,}", seconds)


#: Tables read as Arrow-backed text: the long ones, whose cells are mostly only checked and
#: parsed (dates, categories), so most never need to become Python strings.
ARROW_TABLES = ("deals", "stage_events", "activities", "outcomes")


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
    raw_ws = RawWorkspace(config, ws, {}, problems, {}, {}, [])
    adapted = _adapted_tables(ws, config, boundary)
    if adapted is not None:
        raw_ws.notes.extend(getattr(adapted, "notes", []))
    for table in TABLES:
        started = time.perf_counter()
        if adapted is not None:
            _take_adapted(raw_ws, table, adapted)
        else:
            _read_table_file(raw_ws, table, boundary)
        if table in raw_ws.tables:
            raw, _, label = raw_ws.tables[table]
            report_progress("read", label, len(raw), started)
    if "content" in raw_ws.tables:  # the text of files the items name, read through the boundary
        raw, row_numbers, label, file_problems = content_table.attach_file_text(
            *raw_ws.tables["content"], boundary
        )
        raw_ws.tables["content"] = (raw, row_numbers, label)
        raw_ws.problems.extend(file_problems)
    return raw_ws


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


def _take_adapted(raw_ws: RawWorkspace, table: str, adapted) -> None:
    """One table of the export, or the problem of a required table the export lacks."""
    if table not in adapted:
        if table in REQUIRED_TABLES:
            raw_ws.problems.append(
                Problem(
                    file=str(raw_ws.config.source.get("type", "source")),
                    message=f"the source gives no '{table}' table",
                    fix="map it in the source section of pilot.yml",
                )
            )
        return
    raw, row_numbers, label = adapted[table]
    raw_ws.files[table] = label
    if raw.empty:
        if table in REQUIRED_TABLES:
            raw_ws.problems.append(
                Problem(file=label, message="no rows", fix="check the export or the query")
            )
        return
    raw_ws.tables[table] = (raw, row_numbers, label)


def _read_table_file(raw_ws: RawWorkspace, table: str, boundary: Boundary) -> None:
    """One table from its file: found, inside the boundary, readable and not empty."""
    ws, config = raw_ws.workspace, raw_ws.config
    path = find_table_file(ws, table, config)
    if table == "assessments":
        path = assessments_file(ws, config, path)
    if path is None:
        if table in REQUIRED_TABLES:
            raw_ws.problems.append(
                Problem(
                    file=f"{table}.csv",
                    message=f"required table '{table}' not found",
                    fix=f"put {table}.csv (or .xlsx/.parquet) in {ws}, or name its file under "
                    f"'tables:' in pilot.yml",
                )
            )
        return
    raw_ws.files[table] = path.name
    named = config.tables.get(table)
    outside = boundary.problem(path, setting=named and f"tables.{table}", given=named)
    if outside is not None:
        raw_ws.problems.append(outside)
        return
    if table == "assessments" and is_form(path):
        raw, row_numbers, read_problems = read_form(path, config)
        encoding, read_notes = "", []
    else:
        arrow = table in ARROW_TABLES
        raw, row_numbers, encoding, read_problems, read_notes = read_raw(path, table, arrow=arrow)
    raw_ws.notes.extend(read_notes)
    if read_problems:
        raw_ws.problems.extend(read_problems)
        return
    if raw.empty:
        if table in REQUIRED_TABLES:
            raw_ws.problems.append(
                Problem(
                    file=path.name,
                    message="the table has a header but no rows",
                    fix="export it again including its data rows",
                )
            )
        else:
            raw_ws.notes.append(Note("note_header_only", file=path.name))
        return
    raw_ws.encodings[table] = encoding
    raw_ws.tables[table] = (raw, row_numbers, path.name)

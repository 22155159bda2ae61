"""Workspace -> validated :class:`Dataset` (and the Parquet cache the steps share).

A workspace is a folder with ``pilot.yml`` and tables as ``.csv`` (UTF-8, UTF-8
with BOM or GB18030), ``.xlsx`` or ``.parquet``. Every problem found — in any
file, row or column — is collected and raised together as one
:class:`~playbook.exceptions.DataError`.

The way there, one module per part: :mod:`~playbook.workspace.reading` reads every
table as text (:class:`RawWorkspace`), :mod:`~playbook.workspace.table_checks` parses
and checks each table, :mod:`~playbook.workspace.cross_checks` checks what spans
tables, and this module puts the checked tables together as a :class:`Dataset`.
:mod:`~playbook.workspace.quarantine` runs the same parts to set bad rows aside.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from playbook.exceptions import DataError, Problem
from playbook.workspace import content_table

# Re-exported (``as``): notebooks and tools reach the cache through the loader.
from playbook.workspace.cache import CACHE_CONFIG as CACHE_CONFIG
from playbook.workspace.cache import load_cache as load_cache
from playbook.workspace.cache import save_cache as save_cache
from playbook.workspace.config import PilotConfig
from playbook.workspace.cross_checks import cross_checks as cross_checks
from playbook.workspace.dataset import Dataset as Dataset
from playbook.workspace.inputs import file_sha256 as file_sha256
from playbook.workspace.inputs import input_files as input_files
from playbook.workspace.period import apply_period as apply_period
from playbook.workspace.period import as_of as as_of
from playbook.workspace.reading import RawWorkspace as RawWorkspace
from playbook.workspace.reading import read_workspace as read_workspace
from playbook.workspace.reading import report_progress
from playbook.workspace.schema import CATEGORICAL as CATEGORICAL
from playbook.workspace.schema import TABLES, rule_problems
from playbook.workspace.table_checks import map_stages as map_stages
from playbook.workspace.table_checks import parse_table as parse_table


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
        started = time.perf_counter()
        parsed, parse_problems = parse_table(table, raw, row_numbers, label, config)
        problems.extend(parse_problems)
        problems.extend(rule_problems(table, parsed, raw, label, row_numbers))
        if table == "stage_events":
            parsed, stage_problems = map_stages(parsed, row_numbers, label, config)
            problems.extend(stage_problems)
        tables[table], rows[table] = parsed, row_numbers
        report_progress("checked", label, len(raw), started)
    if "deals" in tables and not problems_block_cross_checks(problems, files):
        problems.extend(cross_checks(tables, rows, files, config))
    return tables, problems


def problems_block_cross_checks(problems: list[Problem], files: dict[str, str]) -> bool:
    """Cross-table checks need the key columns; skip them when those are missing."""
    return any(p.message == "required column is missing" for p in problems)


def sort_problems(problems: list[Problem], files: dict[str, str]) -> list[Problem]:
    """File by file in table order, then by row (file-level problems first)."""
    order = {name: i for i, name in enumerate(files.values())}

    def key(p: Problem) -> tuple:
        trailing = p.row is None and p.message.startswith("…")
        return (order.get(p.file, len(order)), float("inf") if trailing else (p.row or 0))

    return sorted(problems, key=key)


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


def _finalise(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        if column in CATEGORICAL and frame[column].dtype == object:
            frame[column] = frame[column].astype("category")
    return frame

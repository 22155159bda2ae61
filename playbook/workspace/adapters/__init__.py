"""CRM exports -> canonical tables: the ``source:`` section of ``pilot.yml``.

Instead of writing ``deals.csv`` and ``stage_events.csv`` by hand, a workspace may
describe the export it has; the adapter reshapes it into the canonical tables and
the loader then parses and validates them exactly as files (dates, numbers,
statuses, stage names mapped by ``funnel.stages[].aliases``), reporting problems
at the export's own file and row. Values stay text until the loader parses them.

Settings every type takes: ``path`` (folder of the files, relative to the
workspace or absolute; ``~`` and ``${VAR}`` expanded), ``encoding`` (CSV files
that are not UTF-8 / GB18030), ``date_format`` (strftime pattern for dates that
are not year-month-day, e.g. ``%d.%m.%Y``) and ``tables`` (further canonical
tables such as reps: a file with canonical headers, or ``{file, columns}``).
Canonical files of the other tables in the workspace (``reps.csv``, ...) are read
as usual. Problems name the export's own file and row (for XES the line of the
``<event>``; for SQL ``sql:<table>`` and the row of the query result).

Types
-----
``salesforce``
    ``file``: an Opportunities report or Data Loader export (Opportunity ID / Id,
    Created Date, Opportunity Owner / OwnerId, Stage / StageName, Close Date,
    Amount, Won / IsWon, Closed / IsClosed, Type -> segment, Lead Source -> source,
    Account Name -> account_id, Loss Reason -> lost_reason); ``history``: the
    Opportunity History report (Opportunity ID, From Stage, To Stage, Last
    Modified) or an OpportunityHistory / field history export (OpportunityId,
    StageName, CreatedDate). Status from the Won/Closed flags, else from the
    stage name (``won`` / ``lost``, default Closed Won / Closed Lost). Dates in
    ``date_format`` (default ``%m/%d/%Y``, with or without a time) are
    rewritten; ISO dates pass as they are. A report's title rows and copyright
    footer are skipped; 18-character ids in the history match 15-character ones.
``hubspot``
    ``file``: a deals export (Record ID, Deal Name, Deal Stage, Pipeline, Create
    Date, Close Date, Deal owner, Amount, ``Date entered "<stage> (<pipeline>)"``
    columns). Each filled "Date entered" cell is a stage event ("Date exited"
    columns are not needed: leaving a stage is entering the next). ``pipeline``
    keeps one pipeline.
``long``
    ``file``: one row per event; ``columns`` maps deal_id, stage, entered_at
    (required) and owner_id to its headers. Deals come from ``deals: {file,
    columns}`` when given (blank created_at, owner_id, status, closed_at taken
    from the log), else from the log alone: created at the first event, owned
    by the ``owner: first|last`` event's owner, won or lost at the last event
    named in ``won`` / ``lost`` (closed then), open otherwise; ``deals: {columns}``
    without a file takes further deal columns from the log (first value per deal).
    ``other_events: drop`` leaves out events that are no funnel stage (default:
    report them).
``wide``
    ``file``: one row per deal; ``columns`` maps deal columns (deal_id required),
    ``stages`` maps stage name -> date column (in funnel order). created_at is the
    earliest stage date unless mapped; status from ``columns.status``, or a
    ``status_column`` of stage names with ``won`` / ``lost`` lists, or a date in a
    won / lost stage column. ``drop_undated: true`` leaves out deals with no date.
``xes``
    ``file``: an XES event log (``.xes`` or ``.xes.gz``), streamed. Deal id =
    trace ``concept:name``; stage = event ``concept:name``; time =
    ``time:timestamp`` (offsets converted to ``timezone``); owner =
    ``org:resource``; only ``lifecycle`` transitions kept (default ``complete``).
    Then as ``long`` (``other_events`` defaults to ``drop``); ``deals: {columns}``
    maps deal columns to trace attributes (e.g. ``amount: AMOUNT_REQ``).
``two_table``
    ``file``: a lead table (``columns``: deal_id, created_at, …) and ``closed``: a
    table of closed deals (``{file, columns}``: deal_id, closed_at, status, …) joined
    on the key; leads without a match are open. See :mod:`playbook.workspace.adapters.two_table`.
``sql``
    ``url``: a SQLAlchemy URL (``duckdb:///crm.duckdb``, ``sqlite:///crm.db``, a
    server URL with an installed driver); ``queries``: one SELECT per table
    returning canonical columns (deals and stage_events required).
``auto``
    Detects a Salesforce, HubSpot or XES export among the files (of the workspace
    or ``path``) and says so in the notes; falls back to the canonical table files.
    :func:`detect_source` is the same test, for a workspace without ``deals.csv``.
``tables``
    The canonical table files (what a workspace without ``source`` reads).

:func:`read_source` returns an :class:`AdaptedTables` (a dict the loader reads,
plus ``notes`` and ``files``); :func:`source_files` lists the inputs to hash.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from playbook.exceptions import DataError, Note, Problem
from playbook.workspace.adapters.common import (
    TABULAR,
    Adapted,
    AdaptedTables,
    Context,
    as_table,
    key,
    mapped_columns,
)
from playbook.workspace.adapters.crm import read_hubspot, read_salesforce, read_wide
from playbook.workspace.adapters.log import read_long, read_xes
from playbook.workspace.adapters.settings import (
    AutoSource,
    HubSpotSource,
    LongSource,
    MappedFile,
    SalesforceSource,
    Source,
    SqlSource,
    TablesSource,
    TwoTableSource,
    WideSource,
    XesSource,
    parse_source,
    problem,
)
from playbook.workspace.adapters.sql import database_file, read_sql
from playbook.workspace.adapters.two_table import read_two_table
from playbook.workspace.config import PilotConfig
from playbook.workspace.files import decode_csv_bytes, find_table_file, read_raw
from playbook.workspace.schema import TABLES
from playbook.workspace.trust import Boundary

logger = logging.getLogger(__name__)

__all__ = ["read_source", "source_files", "detect_source", "Detection", "AdaptedTables"]


def read_source(
    workspace: str | Path, config: PilotConfig, *, boundary: Boundary | None = None
) -> AdaptedTables:
    """The canonical tables of a workspace whose ``pilot.yml`` describes a ``source``.

    Parameters
    ----------
    workspace : folder holding ``pilot.yml`` (relative paths start here).
    config : the validated pilot config; ``config.source`` is validated here
        (``None`` or ``{type: auto}`` detects the export).
    boundary : the folders the source may read (default: the workspace alone);
        a file outside it is a problem and is never opened.

    Returns
    -------
    AdaptedTables
        A dict ``table -> (raw, row_numbers, label)``: ``raw`` holds text values
        (str or NaN) under canonical column names, ``row_numbers`` maps its index
        to the row (line) to report problems at, ``label`` names the origin
        (``Opportunities.csv``, ``sql:deals``). ``.notes`` lists what was detected
        or left out; ``.files`` the input files read.

    Raises
    ------
    DataError
        Every invalid setting (file ``pilot.yml``, column ``source.<key>``), every
        missing or unreadable file, and every required column the export lacks.
    """
    ws = Path(workspace)
    source = parse_source(config.source)
    ctx = Context(workspace=ws, config=config, source=source, boundary=boundary)
    ctx.check_base()
    source = ctx.source = _complete(ctx, source)
    further = further_tables(ctx, _produced(source))
    tables = _READERS[type(source)](ctx, source)
    tables.update(further)
    for table, (raw, _, label) in tables.items():
        for spec in TABLES[table].values():
            if spec.required and spec.name not in raw.columns and not raw.empty:
                ctx.problems.append(
                    Problem(
                        file=label,
                        column=spec.name,
                        message="required column is missing",
                        fix=_mapping_fix(source, table, spec.name),
                    )
                )
    ctx.check()
    for note in ctx.notes:
        logger.info("%s", note)
    return AdaptedTables(tables, ctx.notes, ctx.files)


def source_files(
    workspace: str | Path, config: PilotConfig, *, boundary: Boundary | None = None
) -> list[Path]:
    """The input files a source reads (to hash in the run's manifest).

    Export files, the SQLite / DuckDB database file, further table files; files
    that do not exist or lie outside ``boundary`` are left out (the loader reports
    them). A server database has no file: its queries are part of the config, which
    the manifest records.

    Raises
    ------
    DataError
        When ``config.source`` is invalid.
    """
    ws = Path(workspace)
    source = parse_source(config.source)
    ctx = Context(workspace=ws, config=config, source=source, boundary=boundary)
    try:
        ctx.check_base()
        source = ctx.source = _complete(ctx, source)
    except DataError:
        return []
    names: list[tuple[str, str]] = []
    for attr in ("file", "history"):
        value = getattr(source, attr, None)
        if value and value.lower() != "none":
            names.append((value, attr))
    for attr in ("deals", "closed"):  # a log's deals file, a two-table source's closed deals
        mapped = getattr(source, attr, None)
        if mapped is not None and mapped.file:
            names.append((mapped.file, f"{attr}.file"))
    for table, spec in source.tables.items():
        value = spec if isinstance(spec, str) else spec.file
        if value:
            names.append((value, f"tables.{table}"))
    paths = [p for n, s in names if (p := ctx.locate(n, s)) is not None]
    if isinstance(source, SqlSource):
        _, db = database_file(ctx, source, report=False)
        paths += [db] if db is not None else []
    for table in TABLES:
        if table in source.tables or table in _produced(source):
            continue
        path = find_table_file(ws, table, config)
        if path is not None and path.exists() and ctx.boundary.contains(path):
            paths.append(path)
    return list(dict.fromkeys(paths))


def _produced(source: Source) -> set[str]:
    """The tables a source itself produces (the others come from further files)."""
    if isinstance(source, SqlSource):
        return set(source.queries)
    if isinstance(source, (AutoSource, TablesSource)):
        return set()
    return {"deals", "stage_events"}


def _mapping_fix(source: Source, table: str, column: str) -> str:
    if isinstance(source, SqlSource):
        return f"select it as {column} in source.queries.{table}"
    if table == "deals" and isinstance(source, (LongSource, XesSource)):
        if column == "owner_id":
            return (
                "map the events' owner in pilot.yml (source.columns.owner_id), or give it "
                "per deal (source.deals.columns.owner_id)"
            )
        return f"map it in pilot.yml: source.deals.columns.{column}"
    if table == "deals" and isinstance(source, TwoTableSource):
        return (
            f"map it in pilot.yml: source.columns.{column} (leads) or "
            f"source.closed.columns.{column} (closed deals)"
        )
    if table in ("deals", "stage_events"):
        return f"map it in pilot.yml: source.columns.{column}"
    return f"map it in pilot.yml: source.tables.{table}.columns.{column}"


# --- further canonical tables ---------------------------------------------------------------


def further_tables(ctx: Context, produced: Iterable[str]) -> dict[str, Adapted]:
    """Tables the source does not produce (reps, activities, ...): from ``source.tables``
    (plain or with a column mapping), else from the workspace's canonical files."""
    out: dict[str, Adapted] = {}
    for table in TABLES:
        if table in produced:
            continue
        spec = ctx.source.tables.get(table)
        if isinstance(spec, MappedFile):
            path = ctx.locate(spec.file or "", f"tables.{table}.file")
            export = ctx.read(path, needed=list(spec.columns.values()))
            if export is None:
                continue
            mapped = ctx.columns(export, {}, spec.columns, f"tables.{table}.columns")
            columns = mapped_columns(export, mapped)
            out[table] = as_table(columns, export.rows, export.label)
            continue
        if isinstance(spec, str):
            path = ctx.locate(spec, f"tables.{table}")
        else:
            path = find_table_file(ctx.workspace, table, ctx.config)
            if path is None or not path.exists():
                continue
            named = ctx.config.tables.get(table)
            outside = ctx.boundary.problem(path, setting=named and f"tables.{table}", given=named)
            if outside is not None:
                ctx.problems.append(outside)
                continue
            ctx.files.append(path)
        if path is None:
            continue
        raw, rows, _, problems, notes = read_raw(path, table)
        ctx.problems += problems
        ctx.notes += notes
        if not problems and not raw.empty:
            out[table] = (raw, rows, path.name)
    return out


# --- detection -------------------------------------------------------------------------------


@dataclass
class Detection:
    """What :func:`detect_source` found: a source type and its files."""

    type: str
    files: dict[str, Path] = field(default_factory=dict)

    def describe(self) -> Note:
        kind = self.type if self.type in ("salesforce", "hubspot") else "xes"
        parts = ", ".join(f"{role} '{p.name}'" for role, p in self.files.items())
        return Note(f"note_detected_{kind}", files=parts)

    def settings(self) -> dict[str, str]:
        """The ``source:`` settings that name the detected files explicitly."""
        return {"type": self.type, **{role: str(p) for role, p in self.files.items()}}


_HISTORY_ONLY = {"tostage", "fromstage"}
_OWNERISH = {"opportunityowner", "owner", "ownerid", "accountname", "accountid", "ownername"}


def _headers(path: Path) -> set[str]:
    """Header keys found in the first rows of a tabular file (empty when unreadable)."""
    try:
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return {key(n) for n in pq.read_schema(path).names}
        if suffix in (".xlsx", ".xlsm", ".xls"):
            head = pd.read_excel(path, header=None, nrows=10, dtype=str)
        else:
            with open(path, "rb") as handle:
                data = handle.read(1 << 16)
            try:
                content, _ = decode_csv_bytes(data)
            except UnicodeDecodeError:
                content = data.decode("latin-1")
            lines = content.splitlines()[:10]
            import csv

            head = pd.DataFrame(list(csv.reader(lines, delimiter=_delimiter(lines))))
    except (OSError, ValueError, ImportError, UnicodeDecodeError):
        return set()
    return {key(v) for v in head.to_numpy().ravel() if isinstance(v, str) and v.strip()}


def _delimiter(lines: list[str]) -> str:
    counts = {d: sum(line.count(d) for line in lines) for d in (",", ";", "\t", "|")}
    return max(counts, key=counts.get)


def _classify(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith((".xes", ".xes.gz")):
        return "xes"
    if path.suffix.lower() not in TABULAR:
        return None
    h = _headers(path)
    if any(k.startswith("dateentered") for k in h) and ({"dealstage", "stage"} & h):
        return "hubspot"
    stage = bool({"stage", "stagename", "tostage"} & h)
    if stage and (
        (_HISTORY_ONLY & h)
        or ("opportunityid" in h and not (_OWNERISH & h) and "history" in name)
        or ("opportunityid" in h and "stagename" in h and "id" in h and not (_OWNERISH & h))
    ):
        return "salesforce_history"
    if stage and "closedate" in h and ({"opportunityid", "id"} & h):
        return "salesforce"
    return None


def _scan(base: Path, boundary: Boundary) -> dict[str, list[Path]]:
    """Candidate export files in ``base`` by kind (canonical table files, and links to
    files outside ``boundary``, excluded: those are never opened)."""
    canonical = {f"{t}{ext}" for t in TABLES for ext in TABULAR}
    found: dict[str, list[Path]] = {}
    if not base.is_dir():
        return found
    for path in sorted(p for p in base.iterdir() if p.is_file()):
        if path.name.lower() in canonical or path.name.startswith((".", "~$")):
            continue
        if not boundary.contains(path):
            continue
        kind = _classify(path)
        if kind:
            found.setdefault(kind, []).append(path)
    return found


def _one(found: dict[str, list[Path]], kind: str, role: str) -> Path | None:
    paths = found.get(kind, [])
    if len(paths) > 1:
        raise DataError(
            [
                problem(
                    role,
                    f"several candidate files: {', '.join(p.name for p in paths)}",
                    f"name the one to use: source.{role}: <file>",
                )
            ]
        )
    return paths[0] if paths else None


def detect_source(
    workspace: str | Path,
    config: PilotConfig | None = None,
    boundary: Boundary | None = None,
) -> Detection | None:
    """Recognise a CRM export among a workspace's files (or ``source.path``'s).

    Salesforce: an Opportunities export (Stage, Close Date, Opportunity ID / Id)
    and a history export (From/To Stage, or OpportunityId + StageName); HubSpot:
    a deals export with "Date entered" columns; XES: a ``.xes`` / ``.xes.gz``
    file. Canonical table files (``deals.csv``, ...) and links to files outside
    ``boundary`` (default: the workspace) are not candidates.

    Returns
    -------
    Detection or None
        None when nothing is recognised.

    Raises
    ------
    DataError
        When the files are ambiguous (two candidates for one role, or two kinds).
    """
    boundary = boundary or Boundary.of(workspace)
    found = _scan(_base(workspace, config, boundary), boundary)
    types = {k.removesuffix("_history") for k in found}
    if not types:
        return None
    if len(types) > 1:
        listing = "; ".join(f"{k}: {', '.join(p.name for p in v)}" for k, v in found.items())
        raise DataError(
            [
                problem(
                    "type",
                    f"exports of several kinds found ({listing})",
                    "name the one to use: source: {type: ..., file: ...}",
                )
            ]
        )
    kind = types.pop()
    files = {}
    if (main := _one(found, kind, "file")) is not None:
        files["file"] = main
    if kind == "salesforce" and (history := _one(found, "salesforce_history", "history")):
        files["history"] = history
    return Detection(type=kind, files=files)


def _base(workspace: str | Path, config: PilotConfig | None, boundary: Boundary) -> Path:
    ws = Path(workspace)
    if config is None or not isinstance(config.source, dict) or not config.source.get("path"):
        return ws
    ctx = Context(
        workspace=ws, config=config, source=parse_source(config.source), boundary=boundary
    )
    ctx.check_base()
    return ctx.base


def _complete(ctx: Context, source: Source) -> Source:
    """Detect the type (``auto``) or the files a Salesforce / HubSpot / XES source lacks."""
    if isinstance(source, AutoSource):
        found = detect_source(ctx.workspace, ctx.config, ctx.boundary)
        if found is None:
            if find_table_file(ctx.workspace, "deals", ctx.config) is not None:
                ctx.notes.append(Note("note_no_export"))
                return source
            ctx.problems.append(
                Problem(
                    file=str(ctx.base),
                    message="no canonical deals table and no CRM export recognised (looked for "
                    "a Salesforce Opportunities export, a HubSpot deals export with 'Date "
                    "entered' columns, an .xes event log)",
                    fix="add deals.csv and stage_events.csv, or describe the export under "
                    "'source:' in pilot.yml (types: salesforce, hubspot, long, wide, xes, sql)",
                )
            )
            ctx.check()
        ctx.notes.append(found.describe())
        settings = source.model_dump(exclude={"type"}, exclude_none=True)
        settings = {k: v for k, v in settings.items() if v not in ({}, [])}
        return parse_source({**settings, **found.settings()})
    roles = []
    if isinstance(source, (SalesforceSource, HubSpotSource, XesSource)) and not source.file:
        roles.append(("file", source.type))
    if isinstance(source, SalesforceSource) and not source.history:
        roles.append(("history", "salesforce_history"))
    if not roles:
        return source
    found = _scan(ctx.base, ctx.boundary)
    update = {}
    for role, kind in roles:
        path = _one(found, kind, role)
        if path is not None:
            update[role] = str(path)
            ctx.notes.append(Note("note_detected_file", role=role, file=path.name))
    return source.model_copy(update=update)


def _read_xes(ctx: Context, src: XesSource) -> dict:
    if not src.file:
        ctx.problems.append(
            problem("file", "no .xes or .xes.gz file found", "name it: source.file: log.xes.gz")
        )
        ctx.check()
    path = ctx.locate(src.file, "file")
    ctx.check()
    return read_xes(ctx, src, path)


_READERS = {
    AutoSource: lambda ctx, src: {},
    TablesSource: lambda ctx, src: {},
    SalesforceSource: read_salesforce,
    HubSpotSource: read_hubspot,
    LongSource: read_long,
    WideSource: read_wide,
    TwoTableSource: read_two_table,
    XesSource: _read_xes,
    SqlSource: read_sql,
}

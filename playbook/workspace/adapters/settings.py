"""The ``source:`` section of ``pilot.yml``: one validated model per export type.

:func:`parse_source` turns the raw mapping into one of the models below and
reports every problem at once as a :class:`~playbook.exceptions.DataError` whose
problems name the setting (``column="source.columns.stage"``), what was found and
what to write instead. What each type reads is described in :mod:`playbook.workspace.adapters`.
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from playbook.exceptions import DataError, Problem
from playbook.workspace.schema import TABLES

CONFIG_FILE = "pilot.yml"

#: Source types, as written in ``source.type``.
TYPES = ("auto", "tables", "salesforce", "hubspot", "long", "wide", "two_table", "xes", "sql")
#: Canonical columns of a stage event a long log or an XES log can be mapped to.
EVENT_COLUMNS = ("deal_id", "stage", "entered_at", "owner_id")
DEAL_COLUMNS = tuple(TABLES["deals"])
#: Opportunity columns beyond the canonical deal columns (Salesforce, HubSpot).
CRM_EXTRA = ("stage", "won", "closed", "pipeline")
HISTORY_COLUMNS = ("deal_id", "stage", "from_stage", "entered_at", "field")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MappedFile(_Strict):
    """A further file: its name and ``canonical column: column in the file``."""

    file: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)


class _Source(_Strict):
    #: Folder the source's files are in: relative to the workspace, or absolute
    #: (``~`` and ``${VAR}`` are expanded). Default: the workspace.
    path: str | None = None
    #: Text encoding of CSV files when not UTF-8 / GB18030 (e.g. ``latin-1``).
    encoding: str | None = None
    #: strftime pattern for dates the playbook cannot read as year-month-day.
    date_format: str | None = None
    #: Further canonical tables (activities, reps, assessments, outcomes): a file
    #: with canonical headers, or ``{file, columns}`` with a column mapping.
    tables: dict[str, str | MappedFile] = Field(default_factory=dict)


class AutoSource(_Source):
    type: Literal["auto"] = "auto"


class TablesSource(_Source):
    """Canonical table files (the default without a source); ``tables`` adds mapped ones."""

    type: Literal["tables"] = "tables"


class SalesforceSource(_Source):
    type: Literal["salesforce"] = "salesforce"
    file: str | None = None
    #: Opportunity History / stage history report; ``none`` to use current stages only.
    history: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    history_columns: dict[str, str] = Field(default_factory=dict)
    won: list[str] = Field(default_factory=lambda: ["Closed Won"])
    lost: list[str] = Field(default_factory=lambda: ["Closed Lost"])
    date_format: str | None = "%m/%d/%Y"


class HubSpotSource(_Source):
    type: Literal["hubspot"] = "hubspot"
    file: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    #: Keep only deals of this pipeline (and its "Date entered" columns).
    pipeline: str | None = None
    won: list[str] = Field(default_factory=lambda: ["Closed Won"])
    lost: list[str] = Field(default_factory=lambda: ["Closed Lost"])
    date_format: str | None = "%m/%d/%Y"


class _Log(_Source):
    #: Event names meaning the deal was won / lost (besides Won, Closed Lost, 赢单, ...).
    won: list[str] = Field(default_factory=list)
    lost: list[str] = Field(default_factory=list)
    #: Deal owner derived from the log: the first or the last event's owner.
    owner: Literal["first", "last"] = "last"
    #: Events whose name is no funnel stage: reported as problems, or left out.
    other_events: Literal["error", "drop"] = "error"
    deals: MappedFile | None = None


class LongSource(_Log):
    type: Literal["long"] = "long"
    file: str
    columns: dict[str, str] = Field(default_factory=dict)


class XesSource(_Log):
    type: Literal["xes"] = "xes"
    file: str | None = None
    #: Event attributes per canonical column (defaults: concept:name, time:timestamp,
    #: org:resource); the deal id is the trace's concept:name.
    columns: dict[str, str] = Field(default_factory=dict)
    #: lifecycle:transition values kept (case-insensitive); empty keeps every event.
    lifecycle: list[str] = Field(default_factory=lambda: ["complete"])
    other_events: Literal["error", "drop"] = "drop"


class WideSource(_Source):
    type: Literal["wide"] = "wide"
    file: str
    columns: dict[str, str] = Field(default_factory=dict)
    #: Stage name -> column holding the date the deal entered it, in funnel order.
    stages: dict[str, str]
    #: Column whose value says won / lost / anything else (open), e.g. a deal stage.
    status_column: str | None = None
    won: list[str] = Field(default_factory=list)
    lost: list[str] = Field(default_factory=list)
    #: Leave out (with a note) deals without any date instead of reporting them.
    drop_undated: bool = False


class TwoTableSource(_Source):
    """A lead table and a table of closed deals, joined on a key (see adapters_two_table)."""

    type: Literal["two_table"] = "two_table"
    #: The lead table; ``columns`` maps deal_id (the key) and created_at (its date).
    file: str
    columns: dict[str, str] = Field(default_factory=dict)
    #: The closed deals: ``file`` and ``columns`` mapping deal_id (the same key) and
    #: closed_at (its date); status (default: every closed deal is won), owner_id, ...
    closed: MappedFile
    #: Stage names of a lead's first event and of a won deal's last (default: the
    #: first and last funnel stage ids).
    lead_stage: str | None = None
    won_stage: str | None = None
    #: Owner of leads with none in either table (owner_id is required).
    default_owner: str = "unassigned"


class SqlSource(_Source):
    type: Literal["sql"] = "sql"
    #: SQLAlchemy URL; ``${VAR}`` is expanded so passwords stay out of pilot.yml.
    url: str
    queries: dict[str, str]


Source = (
    AutoSource
    | TablesSource
    | SalesforceSource
    | HubSpotSource
    | LongSource
    | WideSource
    | TwoTableSource
    | XesSource
    | SqlSource
)
MODELS: dict[str, type[_Source]] = {
    "auto": AutoSource,
    "tables": TablesSource,
    "salesforce": SalesforceSource,
    "hubspot": HubSpotSource,
    "long": LongSource,
    "wide": WideSource,
    "two_table": TwoTableSource,
    "xes": XesSource,
    "sql": SqlSource,
}


def problem(key: str, message: str, fix: str = "", value: Any = None) -> Problem:
    """A problem with the setting ``source.<key>`` of pilot.yml."""
    shown = None if value is None or isinstance(value, (dict, list)) else str(value)
    return Problem(
        file=CONFIG_FILE,
        column=f"source.{key}" if key else "source",
        message=message,
        value=shown,
        fix=fix,
    )


def parse_source(data: Any) -> Source:
    """Validate the ``source:`` mapping of pilot.yml.

    Parameters
    ----------
    data : dict
        ``config.source`` as read from YAML (``None`` means ``{type: auto}``).

    Returns
    -------
    Source
        The model of the named type, with its defaults filled in.

    Raises
    ------
    DataError
        Listing every unknown, missing or invalid setting (file ``pilot.yml``,
        column ``source.<key>``).
    """
    if data is None:
        return AutoSource()
    if not isinstance(data, dict):
        raise DataError(
            [problem("", "must be a mapping of settings", "e.g. source: {type: salesforce}", data)]
        )
    kind = data.get("type", "auto")
    if kind not in MODELS:
        close = difflib.get_close_matches(str(kind), TYPES, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise DataError(
            [problem("type", "unknown source type", f"{hint}use one of {', '.join(TYPES)}", kind)]
        )
    model = MODELS[kind]
    try:
        source = model(**data)
    except ValidationError as exc:
        problems = _validation_problems(exc, model)
        raise DataError(problems + _check_rest(model, data, exc, problems)) from None
    problems = _check(source)
    if problems:
        raise DataError(problems)
    return source


def _check_rest(
    model: type[_Source], data: dict, exc: ValidationError, found: list[Problem]
) -> list[Problem]:
    """The cross-setting rules over the settings that are valid, so that one run lists
    every problem: invalid ones are dropped, missing required ones get a placeholder."""
    rest = dict(data)
    for err in exc.errors():
        top = err["loc"][0] if err["loc"] else None
        if err["type"] == "missing" and len(err["loc"]) == 1:
            annotation = str(model.model_fields[top].annotation)
            rest[top] = {} if annotation.startswith("dict") else ""
        else:
            rest.pop(top, None)
    try:
        source = model(**rest)
    except ValidationError:
        return []
    reported = {p.column for p in found}
    return [p for p in _check(source) if p.column not in reported]


def _location(loc: tuple) -> str:
    return ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")


def _validation_problems(exc: ValidationError, model: type[_Source]) -> list[Problem]:
    known = sorted(model.model_fields)
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p not in ("str", "MappedFile"))
        key = _location(loc)
        if err["type"] == "extra_forbidden":
            hint = ""
            if len(loc) == 1:
                close = difflib.get_close_matches(str(loc[0]), known, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
            out.append(
                problem(
                    key,
                    f"unknown setting for a {model.model_fields['type'].default} source",
                    f"{hint}settings are {', '.join(known)}",
                )
            )
        elif err["type"] == "missing":
            out.append(problem(key, "required setting is missing", _REQUIRED_FIX.get(key, "")))
        else:
            message = err["msg"].removeprefix("Value error, ")
            out.append(problem(key, message, "see the source reference in README.md", err["input"]))
    # a union of str | MappedFile reports both branches: keep one problem per key
    unique = {(p.column, p.message): p for p in out}
    return list(unique.values())


_REQUIRED_FIX = {
    "file": "name the export file, relative to the workspace or to 'path'",
    "stages": "map each stage name to the column holding its date, e.g. {Engaging: engage_date}",
    "url": "a SQLAlchemy URL such as duckdb:///crm.duckdb or sqlite:///crm.db",
    "queries": "one query per table, e.g. {deals: 'select ...', stage_events: 'select ...'}",
}


def _unknown_keys(key: str, given: dict, allowed: tuple[str, ...], strict: bool) -> list[Problem]:
    """Mapping keys that are no canonical column (strict) or look like a misspelt one."""
    out = []
    for name in given:
        if name in allowed:
            continue
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.75)
        if strict or close:
            hint = f"did you mean '{close[0]}'? " if close else ""
            out.append(
                problem(
                    f"{key}.{name}",
                    "not a column this mapping knows",
                    f"{hint}use one of {', '.join(allowed)}",
                )
            )
    return out


def _check(source: Source) -> list[Problem]:
    """Rules across settings that the field types cannot express."""
    out: list[Problem] = []
    for table, spec in source.tables.items():
        if table not in TABLES or table in ("deals", "stage_events"):
            out.append(
                problem(
                    f"tables.{table}",
                    "not a further table",
                    "name activities, reps, assessments or outcomes here; deals and stage "
                    "events come from the source itself",
                )
            )
        elif isinstance(spec, MappedFile):
            if not spec.file:
                out.append(problem(f"tables.{table}.file", "required setting is missing"))
            out += _unknown_keys(
                f"tables.{table}.columns", spec.columns, tuple(TABLES[table]), False
            )
    if isinstance(source, (SalesforceSource, HubSpotSource)):
        out += _unknown_keys("columns", source.columns, DEAL_COLUMNS + CRM_EXTRA, False)
    if isinstance(source, SalesforceSource):
        out += _unknown_keys("history_columns", source.history_columns, HISTORY_COLUMNS, True)
    if isinstance(source, LongSource):
        out += _unknown_keys("columns", source.columns, EVENT_COLUMNS, True)
        for name in ("deal_id", "stage", "entered_at"):
            if name not in source.columns:
                out.append(
                    problem(
                        f"columns.{name}",
                        "required for a long event log",
                        f"map it to the column holding the {_WHAT[name]}, e.g. {_EXAMPLE[name]}",
                    )
                )
    if isinstance(source, XesSource):
        out += _unknown_keys("columns", source.columns, ("stage", "entered_at", "owner_id"), True)
    if isinstance(source, (LongSource, XesSource)) and source.deals is not None:
        out += _unknown_keys("deals.columns", source.deals.columns, DEAL_COLUMNS, False)
    if isinstance(source, WideSource):
        out += _unknown_keys("columns", source.columns, DEAL_COLUMNS, False)
        if "deal_id" not in source.columns:
            out.append(
                problem(
                    "columns.deal_id",
                    "required for a wide table",
                    "map it to the column holding the deal id, e.g. deal_id: opportunity_id",
                )
            )
        if not source.stages:
            out.append(problem("stages", "no stage given", _REQUIRED_FIX["stages"]))
        if "status" in source.columns and source.status_column:
            out.append(
                problem(
                    "status_column",
                    "given together with columns.status",
                    "use one: columns.status for a column of open/won/lost values, "
                    "status_column for a column of stage names with won/lost lists",
                )
            )
    if isinstance(source, TwoTableSource):
        out += _two_table_checks(source)
    if isinstance(source, SqlSource):
        for table in source.queries:
            if table not in TABLES:
                close = difflib.get_close_matches(table, list(TABLES), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                out.append(
                    problem(
                        f"queries.{table}",
                        "not a table name",
                        f"{hint}tables are {', '.join(TABLES)}",
                    )
                )
            elif not str(source.queries[table]).strip():
                out.append(problem(f"queries.{table}", "empty query", "write a SELECT"))
        for table in ("deals", "stage_events"):
            if table not in source.queries:
                out.append(
                    problem(
                        f"queries.{table}",
                        "required query is missing",
                        f"a SELECT returning the canonical {table} columns "
                        f"({', '.join(c.name for c in TABLES[table].values() if c.required)})",
                    )
                )
    return out


_WHAT = {"deal_id": "deal or case id", "stage": "stage or activity name", "entered_at": "time"}
_EXAMPLE = {
    "deal_id": "deal_id: case_id",
    "stage": "stage: activity",
    "entered_at": "entered_at: ts",
}


def _two_table_checks(source: TwoTableSource) -> list[Problem]:
    """Both tables name their key and their date; mapped names are canonical columns."""
    out = _unknown_keys("columns", source.columns, DEAL_COLUMNS, False)
    out += _unknown_keys("closed.columns", source.closed.columns, DEAL_COLUMNS, False)
    if not source.closed.file:
        out.append(problem("closed.file", "required setting is missing", _REQUIRED_FIX["file"]))
    needed = (
        ("columns", source.columns, ("deal_id", "created_at")),
        ("closed.columns", source.closed.columns, ("deal_id", "closed_at")),
    )
    for key, given, names in needed:
        for name in names:
            if name not in given:
                out.append(
                    problem(
                        f"{key}.{name}",
                        "required for a two_table source",
                        f"map it to the column holding the {_TWO_TABLE_WHAT[name]}, "
                        f"e.g. {name}: {_TWO_TABLE_EXAMPLE[name]}",
                    )
                )
    return out


_TWO_TABLE_WHAT = {
    "deal_id": "key both tables share (a lead id)",
    "created_at": "lead's date (first contact)",
    "closed_at": "date the deal was won or lost",
}
_TWO_TABLE_EXAMPLE = {
    "deal_id": "mql_id",
    "created_at": "first_contact_date",
    "closed_at": "won_date",
}

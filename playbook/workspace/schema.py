"""The canonical tables: their columns, types and rules, defined once.

Raw files are read as text and parsed here, so that every problem can show the
value the user actually typed. Column rules (required, allowed values, ranges,
uniqueness) are pandera schemas validated lazily, so every failure is reported
at once; their failure cases are mapped back to file rows.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from playbook.exceptions import MAX_PROBLEMS_PER_KIND, Problem, more_problems

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pandera.pandas as pa


@dataclass(frozen=True)
class Column:
    """One canonical column: name, kind (id/text/datetime/number/int/bool), required."""

    name: str
    kind: str = "text"
    required: bool = False
    hint: str = ""


def _cols(*cols: Column) -> dict[str, Column]:
    return {c.name: c for c in cols}


#: Canonical tables, in load order. ``required`` columns must exist in the file.
TABLES: dict[str, dict[str, Column]] = {
    "deals": _cols(
        Column("deal_id", "id", True, "a unique id per deal or opportunity"),
        Column("created_at", "datetime", True, "when the lead or deal was created"),
        Column("owner_id", "id", True, "the rep who owns the deal"),
        Column("status", "status", True, "open, won or lost"),
        Column("closed_at", "datetime", False, "when it was won or lost"),
        Column("amount", "number"),
        Column("segment"),
        Column("region"),
        Column("product"),
        Column("source"),
        Column("account_id", "id"),
        Column("lost_reason"),
    ),
    "stage_events": _cols(
        Column("deal_id", "id", True),
        Column("stage", "text", True, "the raw CRM stage name"),
        Column("entered_at", "datetime", True),
        Column("owner_id", "id"),
    ),
    "activities": _cols(
        Column("deal_id", "id", True),
        Column("at", "datetime", True),
        Column("type", "text", True, "call, call_attempt, email, meeting, demo, …"),
        Column("actor_id", "id"),
        Column("team", "text"),
        Column("content_id", "id", False, "the content item used (see the content table)"),
    ),
    "reps": _cols(
        Column("rep_id", "id", True),
        Column("name"),
        Column("team"),
        Column("region"),
        Column("role"),
        Column("hired_at", "datetime"),
    ),
    "assessments": _cols(
        Column("rep_id", "id", True),
        Column("dimension", "text", True),
        Column("score", "number", True),
        Column("assessed_at", "datetime"),
        Column("assessor"),
    ),
    "outcomes": _cols(
        Column("deal_id", "id", True),
        Column("go_live_at", "datetime"),
        Column("delayed", "bool"),
        Column("complaints", "number"),
        Column("renewed", "bool"),
        Column("renewal_at", "datetime"),
        Column("upsell_at", "datetime"),
        Column("nps", "number"),
    ),
    "targets": _cols(
        Column("period", "text", True, "the month, as 2026-10"),
        Column("level", "text", True, "company, department or individual"),
        Column("unit", "text", True, "'all' for the company, else a team or rep id"),
        Column("metric", "text", True, "a KPI name such as won_revenue or win_rate"),
        Column("target", "number", True),
    ),
    # The content library (optional): see playbook.workspace.content_table for ``path``, checks.
    "content": _cols(
        Column("content_id", "id", True, "a unique id per template, script or document"),
        Column("type", "text", False, "email_template, proposal_template, agenda, script, …"),
        Column("title"),
        Column("language", "text", False, "en, zh, …"),
        Column("body", "text", False, "the text itself (or give path)"),
        Column("path", "text", False, "a .txt, .md, .docx or .pdf file in the workspace"),
        Column("tags", "text", False, "keywords, separated by commas"),
        Column("owner"),
        Column("created_at", "datetime"),
    ),
}

REQUIRED_TABLES = ("deals", "stage_events")

#: Columns kept as pandas categoricals (memory and speed on large exports).
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
TEAMS = ("marketing", "sales", "customer_success", "product", "other")
ROLES = ("new", "experienced", "key_account")

STATUS_ALIASES = {
    "open": "open",
    "won": "won",
    "lost": "lost",
    "closed won": "won",
    "closed-won": "won",
    "closed_won": "won",
    "win": "won",
    "closed lost": "lost",
    "closed-lost": "lost",
    "closed_lost": "lost",
    "in progress": "open",
    "active": "open",
    "pending": "open",
    "赢单": "won",
    "成交": "won",
    "已成交": "won",
    "签约": "won",
    "赢": "won",
    "输单": "lost",
    "丢单": "lost",
    "失败": "lost",
    "已丢失": "lost",
    "输": "lost",
    "进行中": "open",
    "跟进中": "open",
    "未关闭": "open",
    "开放": "open",
}

BOOL_ALIASES = {
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
    "1.0": True,
    "0.0": False,
    "是": True,
    "否": False,
}

MISSING_TOKENS = {"", "nan", "nat", "none", "null", "n/a", "na", "-", "--", "#n/a"}

# Y-M-D with -, /, . or 年月日, optional time, optional UTC offset.
_DATE_RE = re.compile(
    r"^\s*(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
    r"(?:[ T]+(?P<H>\d{1,2})[:时](?P<M>\d{2})分?(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?秒?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?\s*$"
)


def is_missing(raw: pd.Series) -> pd.Series:
    """True where a raw text value stands for 'no value'."""
    from playbook.workspace.intake_fast import missing_mask

    fast = missing_mask(raw, MISSING_TOKENS)
    if fast is not None:
        return fast
    return raw.isna() | raw.astype(str).str.strip().str.lower().isin(MISSING_TOKENS)


def parse_datetimes(raw: pd.Series, timezone: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse text timestamps into naive local time of ``timezone``.

    Plain ISO values are parsed in bulk (:func:`playbook.workspace.intake_fast.iso_datetimes`);
    the others, and every value that fails there, go through the full parser below,
    value by value, so an unreadable value is named exactly as before.

    Accepts ``2026-03-01``, ``2026/3/1``, ``2026.3.1``, ``2026年3月1日``, each with
    an optional time (``14:30``, ``14:30:05``, ``T14:30:05.123``) and optional UTC
    offset (``Z``, ``+08:00``); values with an offset are converted to
    ``timezone``, values without are taken as already local.

    Returns
    -------
    parsed : datetime64[ns] Series (NaT where missing or unparseable)
    bad : bool Series, True where a non-empty value could not be parsed
    has_offset : bool Series, True where the value carried a UTC offset
    """
    from playbook.workspace.intake_fast import iso_datetimes

    fast = iso_datetimes(raw)
    if fast is None:
        return _parse_datetimes_each(raw, timezone)
    parsed, done = fast
    rest = ~done & ~is_missing(raw).to_numpy()
    bad = pd.Series(False, index=raw.index)
    has_offset = pd.Series(False, index=raw.index)
    if rest.any():
        slow, slow_bad, slow_offset = _parse_datetimes_each(raw[rest], timezone)
        parsed[rest] = slow
        bad[rest] = slow_bad.to_numpy(dtype=bool)
        has_offset[rest] = slow_offset.to_numpy(dtype=bool)
    return parsed, bad, has_offset


def _parse_datetimes_each(raw: pd.Series, timezone: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """:func:`parse_datetimes` value by value (every form the playbook reads)."""
    text = raw.astype("string")
    missing = is_missing(raw)
    parts = text.str.extract(_DATE_RE)
    ok = parts["y"].notna() & ~missing
    frac = parts["f"].fillna("0").str.slice(0, 6).str.ljust(6, "0")
    numbers = {
        "year": parts["y"],
        "month": parts["m"],
        "day": parts["d"],
        "hour": parts["H"].fillna("0"),
        "minute": parts["M"].fillna("0"),
        "second": parts["S"].fillna("0"),
        "microsecond": frac,
    }
    frame = pd.DataFrame(
        {k: pd.to_numeric(v.where(ok), errors="coerce") for k, v in numbers.items()}
    )
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if ok.any():
        sub = frame[ok]
        parsed.loc[ok] = pd.to_datetime(sub, errors="coerce").astype("datetime64[ns]")
    tz = parts["tz"].where(ok)
    has_offset = tz.notna()
    if has_offset.any():
        offsets = tz[has_offset].str.replace(":", "", regex=False)
        minutes = offsets.map(
            lambda s: (
                0 if s == "Z" else (1 if s[0] == "+" else -1) * (int(s[1:3]) * 60 + int(s[3:5]))
            )
        )
        utc = parsed[has_offset] - pd.to_timedelta(minutes.astype("int64"), unit="m")
        local = utc.dt.tz_localize("UTC").dt.tz_convert(ZoneInfo(timezone)).dt.tz_localize(None)
        parsed.loc[has_offset] = local.astype("datetime64[ns]")
    bad = ~missing & parsed.isna()
    return parsed, bad, has_offset.fillna(False).astype(bool)


def parse_numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse amounts like ``1,234.50``, ``¥1 200``, ``$300``, ``12.5%``-free numbers.

    Returns the float Series and a bool Series of non-empty unparseable values.
    Arrow-backed text is parsed once per distinct value
    (:func:`~playbook.workspace.intake_fast.by_distinct`).
    """
    from playbook.workspace.intake_fast import by_distinct

    fast = by_distinct(raw, parse_numbers)
    if fast is not None:
        return fast
    missing = is_missing(raw)
    cleaned = (
        raw.astype("string").str.strip().str.replace(r"[¥￥$€£,\s]|元|RMB|CNY|USD", "", regex=True)
    )
    values = pd.to_numeric(cleaned.where(~missing), errors="coerce").astype("float64")
    bad = ~missing & values.isna()
    return values, bad


def parse_bools(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse true/false, yes/no, 1/0, 是/否 into a nullable boolean Series (once per
    distinct value of Arrow-backed text)."""
    from playbook.workspace.intake_fast import by_distinct

    fast = by_distinct(raw, parse_bools)
    if fast is not None:
        return fast
    missing = is_missing(raw)
    key = raw.astype("string").str.strip().str.lower()
    values = key.map(BOOL_ALIASES).astype("boolean")
    values[missing] = pd.NA
    bad = ~missing & values.isna()
    return values, bad


def parse_status(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map status values (English or Chinese synonyms) to open/won/lost (once per distinct
    value of Arrow-backed text)."""
    from playbook.workspace.intake_fast import by_distinct

    fast = by_distinct(raw, parse_status)
    if fast is not None:
        return fast
    missing = is_missing(raw)
    key = raw.astype("string").str.strip().str.lower()
    values = key.map(STATUS_ALIASES)
    bad = ~missing & values.isna()
    return values.astype("object"), bad


def clean_text(raw: pd.Series, *, categorical: bool = False) -> pd.Series:
    """Strip whitespace; missing tokens become NA. Keeps the text the user typed.

    ``categorical``: the column ends as a categorical (:data:`CATEGORICAL`); Arrow-backed
    text is then made one directly, the same as converting the object column later.
    """
    from playbook.workspace.intake_fast import stripped_text

    fast = stripped_text(raw, is_missing(raw), categorical=categorical)
    if fast is not None:
        return fast
    text = raw.astype("string").str.strip()
    return text.mask(is_missing(raw)).astype("object")


# --- rules on parsed tables (pandera) -------------------------------------------------


def _non_negative(name: str) -> pa.Column:
    return pa.Column(
        float,
        pa.Check.ge(0, error="must not be negative"),
        nullable=True,
        required=False,
        name=name,
    )


#: Text columns come from :func:`clean_text` as objects or, read from Arrow, as categoricals;
#: their type is the parser's business (type failures are not reported), so no dtype is checked.
TEXT = None

RULES: dict[str, pa.DataFrameSchema] = {
    "deals": pa.DataFrameSchema(
        {
            "deal_id": pa.Column(TEXT, nullable=False, unique=True, report_duplicates="all"),
            "created_at": pa.Column("datetime64[ns]", nullable=False),
            "owner_id": pa.Column(TEXT, nullable=False),
            "status": pa.Column(TEXT, pa.Check.isin(["open", "won", "lost"]), nullable=False),
            "amount": _non_negative("amount"),
        },
        strict=False,
    ),
    "stage_events": pa.DataFrameSchema(
        {
            "deal_id": pa.Column(TEXT, nullable=False),
            "stage": pa.Column(TEXT, nullable=False),
            "entered_at": pa.Column("datetime64[ns]", nullable=False),
        },
        strict=False,
    ),
    "activities": pa.DataFrameSchema(
        {
            "deal_id": pa.Column(TEXT, nullable=False),
            "at": pa.Column("datetime64[ns]", nullable=False),
            "type": pa.Column(TEXT, nullable=False),
            "team": pa.Column(TEXT, pa.Check.isin(list(TEAMS)), nullable=True, required=False),
        },
        strict=False,
    ),
    "reps": pa.DataFrameSchema(
        {
            "rep_id": pa.Column(TEXT, nullable=False, unique=True, report_duplicates="all"),
            "role": pa.Column(TEXT, pa.Check.isin(list(ROLES)), nullable=True, required=False),
        },
        strict=False,
    ),
    "assessments": pa.DataFrameSchema(
        {
            "rep_id": pa.Column(TEXT, nullable=False),
            "dimension": pa.Column(TEXT, nullable=False),
            "score": pa.Column(float, nullable=False),
        },
        strict=False,
    ),
    "outcomes": pa.DataFrameSchema(
        {
            "deal_id": pa.Column(TEXT, nullable=False, unique=True, report_duplicates="all"),
            "complaints": _non_negative("complaints"),
        },
        strict=False,
    ),
    "content": pa.DataFrameSchema(
        {"content_id": pa.Column(TEXT, nullable=False, unique=True, report_duplicates="all")},
        strict=False,
    ),
}

_FIXES = {
    "not_nullable": "fill it in; this column is required for every row",
    "field_uniqueness": "ids must be unique: remove the duplicate row or give it its own id",
    "isin": "use one of the allowed values",
    "must not be negative": "amounts and counts cannot be negative: correct or remove the value",
}


def rule_problems(
    table: str, frame: pd.DataFrame, raw: pd.DataFrame, file: str, row_numbers: pd.Series
) -> list[Problem]:
    """Validate a parsed table against :data:`RULES` lazily; one Problem per failure.

    ``raw`` holds the text as read (same index), so the reported value is what the
    user typed; ``row_numbers`` maps the index to file row numbers.
    """
    schema = RULES[table]
    try:
        with warnings.catch_warnings():
            # pandera joins the failure cases of categorical columns (an empty one is all-NA);
            # which value each case shows is read from ``raw`` below, not from that join
            warnings.filterwarnings(
                "ignore", "The behavior of DataFrame concatenation", FutureWarning
            )
            schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _failure_problems(exc.failure_cases, table, raw, file, row_numbers)
    return []


def _failure_problems(
    cases: pd.DataFrame, table: str, raw: pd.DataFrame, file: str, row_numbers: pd.Series
) -> list[Problem]:
    """One Problem per failure case, the first MAX_PROBLEMS_PER_KIND of each column and
    check; the rest of each are counted on one line (a million duplicate ids stay short)."""
    cases = _reported_cases(cases.reset_index(drop=True), raw)
    order = pd.to_numeric(cases["index"], errors="coerce").fillna(-1)
    cases = cases.iloc[np.argsort(order.to_numpy(), kind="stable")]
    if cases.empty:
        return []
    keys = [cases["column"].astype(str), cases["check"]]
    rank = cases.groupby(keys, sort=False).cumcount()
    sizes = cases.groupby(keys, sort=False).size()
    problems = []
    for case in cases[rank < MAX_PROBLEMS_PER_KIND].itertuples(index=False):
        column, check = case.column, case.check
        index = case.index
        row = None
        value = None if pd.isna(case.failure_case) else str(case.failure_case)
        if index is not None and not (isinstance(index, float) and np.isnan(index)):
            row = int(row_numbers.get(index, index))
            if column in raw.columns and index in raw.index:
                typed = raw.at[index, column]
                value = None if pd.isna(typed) else str(typed)
        problems.append(
            Problem(
                file=file,
                row=row,
                column=column,
                value=value,
                message=_check_message(column, check),
                fix=_FIXES.get(check, ""),
            )
        )
    hidden = cases[rank >= MAX_PROBLEMS_PER_KIND]
    for (column, check), size in sizes.items():
        if size > MAX_PROBLEMS_PER_KIND:
            same = (hidden["column"].astype(str) == str(column)) & (hidden["check"] == check)
            rest = hidden[same]
            index = pd.Index(rest["index"].dropna())
            rows = row_numbers.reindex(index).dropna().astype("int64").tolist()
            problems.append(
                more_problems(
                    file,
                    column,
                    _check_message(column, check),
                    size - MAX_PROBLEMS_PER_KIND,
                    size,
                    fix=_FIXES.get(check, ""),
                    rows=tuple(rows),
                )
            )
    return problems


def _reported_cases(cases: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """The failure cases worth a problem, with ``check`` normalised to a _FIXES key.

    Type failures, and empty-looking cells that hold text the parser could not
    read, are left out: the parser has reported them with the typed value.
    """
    names = {c: _check_name(str(c)) for c in cases["check"].unique()}
    check = cases["check"].map(names)
    keep = check.notna().to_numpy()
    for column in cases.loc[check == "not_nullable", "column"].unique():
        empty = ((check == "not_nullable") & (cases["column"] == column)).to_numpy()
        if column in raw.columns:
            typed = raw[column].reindex(cases.loc[empty, "index"].to_numpy()).notna().to_numpy()
            keep[empty] &= ~typed
    # A status the parser could not read is reported there, with its value: one problem, not two.
    bad_status = ((check == "isin") & (cases["column"] == "status")).to_numpy()
    if bad_status.any() and "status" in raw.columns:
        typed = raw["status"].reindex(cases.loc[bad_status, "index"].to_numpy()).notna().to_numpy()
        keep[bad_status] &= ~typed
    return cases.assign(check=check)[keep]


def _check_name(check: str) -> str | None:
    """A pandera check as a _FIXES key; None for type checks (the parser reports those)."""
    if check.startswith("dtype") or check == "column_in_dataframe":
        return None
    if check.startswith("isin"):
        return "isin"
    if "must not be negative" in check:
        return "must not be negative"
    return check


def _check_message(column: str, check: str) -> str:
    """What a failed pandera check means, in words."""
    if check == "not_nullable":
        return f"'{column}' is empty"
    if check == "field_uniqueness":
        return f"duplicate {column}"
    if check == "isin":
        allowed = (
            TEAMS if column == "team" else ROLES if column == "role" else ("open", "won", "lost")
        )
        return f"not an allowed value (allowed: {', '.join(allowed)})"
    if check == "must not be negative":
        return "negative value"
    return f"fails check {check}"

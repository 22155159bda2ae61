"""One table at a time: raw text columns -> canonical types and stage ids, with the
problems of every value that does not parse.

Problems name the file row of each bad value, up to ``MAX_PROBLEMS_PER_KIND`` of one
kind, then one line counting the rest (:func:`row_problems`); the cross-table checks
(:mod:`playbook.workspace.cross_checks`) report the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

import pandas as pd

from playbook.display import shorten
from playbook.exceptions import MAX_PROBLEMS_PER_KIND, MAX_VALUE_CHARS, Problem, more_problems
from playbook.workspace.config import PilotConfig, normalise_stage_name
from playbook.workspace.schema import (
    CATEGORICAL,
    TABLES,
    clean_text,
    parse_bools,
    parse_datetimes,
    parse_numbers,
    parse_status,
)

#: Column kind -> (parser giving values and a bad-value mask, message, fix).
SIMPLE_PARSERS: dict[str, tuple[Callable, str, str]] = {
    "number": (parse_numbers, "not a number", "write plain numbers such as 1200 or 1,200.50"),
    "bool": (parse_bools, "not a yes/no value", "use true/false, yes/no, 1/0 or 是/否"),
    "status": (
        parse_status,
        "unknown status",
        "use open, won or lost (Closed Won / 赢单 / 输单 are understood too)",
    ),
}


def row_problems(
    file: str,
    column: str,
    message: str,
    fix: str,
    rows: pd.Series,
    values: pd.Series,
    summary: str = "",
) -> list[Problem]:
    """One problem per row, up to MAX_PROBLEMS_PER_KIND, then one line counting the rest."""
    problems: list[Problem] = []
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
    return problems


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
            parsed, date_problems = _parse_dates(values, row_numbers, file, column, config)
            problems.extend(date_problems)
            out[column] = parsed
        elif kind in SIMPLE_PARSERS:
            parse, message, fix = SIMPLE_PARSERS[kind]
            parsed, bad = parse(values)
            if bad.any():
                problems.extend(
                    row_problems(file, column, message, fix, row_numbers[bad], values[bad])
                )
            # a status nobody can read stays visible as "invalid", not as a missing value
            out[column] = parsed.where(~bad, "invalid") if kind == "status" else parsed
        else:
            out[column] = clean_text(values, categorical=column in CATEGORICAL)
    return out, problems


def _parse_dates(
    values: pd.Series, row_numbers: pd.Series, file: str, column: str, config: PilotConfig
) -> tuple[pd.Series, list[Problem]]:
    """A datetime column: unreadable dates, and a mix of times with and without offsets."""
    problems: list[Problem] = []
    parsed, bad, has_offset = parse_datetimes(values, config.timezone)
    if bad.any():
        problems.extend(
            row_problems(
                file,
                column,
                "not a date I can read",
                "write dates as 2026-03-01, 2026/3/1 or 2026年3月1日, optionally with a "
                "time such as 14:30",
                row_numbers[bad],
                values[bad],
            )
        )
    present = values.notna() & ~bad
    if has_offset.any() and (present & ~has_offset).any():
        naive = present & ~has_offset
        problems.extend(
            row_problems(
                file,
                column,
                "mixes times with a UTC offset and times without one",
                f"give every value an offset, or none (then times are read as {config.timezone})",
                row_numbers[naive],
                values[naive],
            )
        )
    return parsed, problems


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
        problems = _unknown_stage_problems(raw[unknown], row_numbers[unknown], file, config)
    events = events.copy()
    events["stage_raw"] = raw
    events["stage"] = pd.Categorical(ids, categories=config.funnel.ids, ordered=True)
    return events, problems


def _unknown_stage_problems(
    unknown: pd.Series, row_numbers: pd.Series, file: str, config: PilotConfig
) -> list[Problem]:
    """One problem per unknown stage name (its first row, how many rows), then one line
    counting the names past MAX_PROBLEMS_PER_KIND."""
    values = unknown.astype(str)
    by_name = row_numbers.groupby(values, sort=False)
    first_rows, counts = by_name.first(), by_name.size()
    kind = "stage name that matches no stage in pilot.yml"
    problems: list[Problem] = []
    for value in first_rows.index[:MAX_PROBLEMS_PER_KIND]:
        shown = shorten(value, MAX_VALUE_CHARS)
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
                fix=_stage_fix(value, shown, config),
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
                detail=f"; {len(unknown):,} rows",
                rows=tuple(
                    r
                    for value in first_rows.index[MAX_PROBLEMS_PER_KIND:]
                    for r in _rows_of(by_name, value)
                ),
            )
        )
    return problems


def _stage_fix(value: str, shown: str, config: PilotConfig) -> str:
    """The closest stage name as a did-you-mean, else the list of stage ids."""
    names = {n: s.id for s in config.funnel.stages for n in s.all_names()}
    close = difflib.get_close_matches(value, list(names), n=1, cutoff=0.6)
    if close:
        index = config.funnel.ids.index(names[close[0]])
        return (
            f"did you mean '{close[0]}'? add '{shown}' to "
            f"funnel.stages[{index}].aliases in pilot.yml"
        )
    return (
        "add it to the aliases of the stage it belongs to in pilot.yml "
        f"(stages: {', '.join(config.funnel.ids)})"
    )


def _rows_of(by_name, value: str) -> tuple[int, ...]:
    """Every file row of one group of a row-number groupby."""
    return tuple(int(r) for r in by_name.get_group(value).tolist())

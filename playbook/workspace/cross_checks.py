"""Checks that span tables or rows: unknown ids, impossible orders of events.

They run on the parsed tables once every table has its key columns, one named check
after another (:data:`CHECKS`), each giving its problems in the loader's words.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from playbook.exceptions import Problem
from playbook.workspace import content_table
from playbook.workspace.config import PilotConfig, normalise_stage_name
from playbook.workspace.table_checks import row_problems

#: Tables whose rows name a deal, with the time that may not come before its creation.
DEAL_REFERENCES = (("stage_events", "entered_at"), ("activities", None), ("outcomes", None))


@dataclass
class ParsedTables:
    """The parsed tables with the file row of every table row and each table's file."""

    tables: dict[str, pd.DataFrame]
    rows: dict[str, pd.Series]
    files: dict[str, str]
    config: PilotConfig

    @property
    def deals(self) -> pd.DataFrame:
        return self.tables["deals"]

    @cached_property
    def deal_ids(self) -> pd.Index:
        return pd.Index(self.deals["deal_id"].dropna().unique())

    @cached_property
    def deal_by_id(self) -> pd.DataFrame:
        """The first row of each deal id (created_at, status, ...)."""
        return self.deals.drop_duplicates("deal_id").set_index("deal_id")

    @cached_property
    def dimension_ids(self) -> pd.Series:
        """Each assessment's dimension as a dimension id from pilot.yml (None: unknown)."""
        names = {}
        for d in self.config.capability.dimensions:
            for n in (d.id, d.label_en, d.label_zh, *d.aliases):
                names[normalise_stage_name(n)] = d.id
        return self.tables["assessments"]["dimension"].map(
            lambda v: names.get(normalise_stage_name(v)) if pd.notna(v) else None
        )

    @property
    def unknown_dimensions(self) -> pd.Series:
        return self.tables["assessments"]["dimension"].notna() & self.dimension_ids.isna()

    def flag(
        self,
        table: str,
        column: str,
        mask: pd.Series,
        message: str,
        fix: str,
        values: pd.Series | None = None,
    ) -> list[Problem]:
        """The rows of ``table`` where ``mask`` holds, as problems with ``column`` (showing
        its values, or ``values``)."""
        if values is None:
            values = self.tables[table].loc[mask, column]
        return row_problems(self.files[table], column, message, fix, self.rows[table][mask], values)


def close_dates(t: ParsedTables) -> list[Problem]:
    """Every won or lost deal has a close date, and none closes before it was created."""
    deals = t.deals
    closed = deals["status"].isin(["won", "lost"])
    if "closed_at" not in deals:
        if not closed.any():
            return []
        return [
            Problem(
                file=t.files["deals"],
                column="closed_at",
                message=f"{int(closed.sum())} won/lost deals but no closed_at column",
                fix="add closed_at (the date each deal was won or lost)",
            )
        ]
    no_close = closed & deals["closed_at"].isna()
    before = deals["closed_at"] < deals["created_at"]
    return t.flag(
        "deals",
        "closed_at",
        no_close,
        "won/lost deal without a close date",
        "fill in closed_at for every won or lost deal",
        values=deals.loc[no_close, "status"],
    ) + t.flag(
        "deals",
        "closed_at",
        before,
        "closed before it was created",
        "check created_at and closed_at of this deal",
        values=deals.loc[before, "closed_at"].astype(str),
    )


def deal_references(t: ParsedTables) -> list[Problem]:
    """Rows of events, activities and outcomes name a known deal, and no stage is entered
    before its deal was created."""
    problems: list[Problem] = []
    for table, time_col in DEAL_REFERENCES:
        frame = t.tables.get(table)
        if frame is None or "deal_id" not in frame:
            continue
        problems.extend(_unknown_deals(t, table))
        if time_col:
            problems.extend(_before_creation(t, table, time_col))
    return problems


def _unknown_deals(t: ParsedTables, table: str) -> list[Problem]:
    """Rows naming a deal the deals table lacks: one problem per unknown id."""
    frame = t.tables[table]
    unknown = frame["deal_id"].notna() & ~frame["deal_id"].isin(t.deal_ids)
    if not unknown.any():
        return []
    ids = frame.loc[unknown, "deal_id"]
    first = ~ids.duplicated()
    n_ids = int(first.sum())
    summary = (
        f"; {int(unknown.sum())} rows refer to {n_ids} unknown deals — was the "
        "deals table exported with a row limit or a narrower filter?"
    )
    return row_problems(
        t.files[table],
        "deal_id",
        "deal_id not found in deals",
        "export deals and this table for the same period and filter",
        t.rows[table][unknown][first],
        ids[first],
        summary=summary,
    )


def _before_creation(t: ParsedTables, table: str, time_col: str) -> list[Problem]:
    """Rows timed before their deal's created_at."""
    frame = t.tables[table]
    when = frame[time_col]
    start = frame["deal_id"].map(t.deal_by_id["created_at"])
    early = when.notna() & start.notna() & (when < start)
    return t.flag(
        table,
        time_col,
        early,
        "stage entered before the deal was created",
        "check the dates of this event and the deal's created_at",
        values=when[early].astype(str),
    )


def outcomes_of_won_deals(t: ParsedTables) -> list[Problem]:
    """Outcomes (go-live, renewal, upsell) belong to won deals."""
    outcomes = t.tables.get("outcomes")
    if outcomes is None:
        return []
    status = outcomes["deal_id"].map(t.deal_by_id["status"])
    not_won = status.notna() & (status != "won")
    return t.flag(
        "outcomes",
        "deal_id",
        not_won,
        "outcome recorded for a deal that is not won",
        "outcomes are for won deals only",
    )


def capability_dimensions(t: ParsedTables) -> list[Problem]:
    """Each assessment names a capability dimension of pilot.yml (by id, label or alias)."""
    if t.tables.get("assessments") is None:
        return []
    assessments = t.tables["assessments"]
    dims = list(dict.fromkeys(d.id for d in t.config.capability.dimensions))
    bad = t.unknown_dimensions
    problems: list[Problem] = []
    for value, group in t.rows["assessments"][bad].groupby(assessments.loc[bad, "dimension"]):
        close = difflib.get_close_matches(str(value), dims, n=1, cutoff=0.5)
        fix = (f"did you mean '{close[0]}'? " if close else "") + (
            "use a capability dimension id from pilot.yml: " + ", ".join(dims)
        )
        problems.extend(
            row_problems(
                t.files["assessments"],
                "dimension",
                "unknown capability dimension",
                fix,
                group,
                pd.Series([value] * len(group)),
            )
        )
    return problems


def assessment_scores(t: ParsedTables) -> list[Problem]:
    """Scores lie on the capability scale of pilot.yml."""
    assessments = t.tables.get("assessments")
    if assessments is None:
        return []
    lo, hi = t.config.capability.scale_min, t.config.capability.scale_max
    out = assessments["score"].notna() & ~assessments["score"].between(lo, hi)
    return t.flag(
        "assessments",
        "score",
        out,
        f"score outside the scale {lo:g}–{hi:g}",
        "correct the score or set capability.scale_min/scale_max in pilot.yml",
    )


def assessed_reps(t: ParsedTables) -> list[Problem]:
    """Assessed reps are in the reps table (when there is one)."""
    assessments = t.tables.get("assessments")
    if assessments is None or t.tables.get("reps") is None:
        return []
    unknown = assessments["rep_id"].notna() & ~assessments["rep_id"].isin(
        t.tables["reps"]["rep_id"]
    )
    return t.flag(
        "assessments", "rep_id", unknown, "rep_id not found in reps", "add the rep to reps"
    )


def content_ids(t: ParsedTables) -> list[Problem]:
    """Activities name content items of the content table."""
    return content_table.cross_problems(t.tables, t.rows, t.files)


#: Every cross-table check, in the order its problems are listed.
CHECKS: tuple[Callable[[ParsedTables], list[Problem]], ...] = (
    close_dates,
    deal_references,
    outcomes_of_won_deals,
    capability_dimensions,
    assessment_scores,
    assessed_reps,
    content_ids,
)


def cross_checks(
    tables: dict[str, pd.DataFrame],
    rows: dict[str, pd.Series],
    files: dict[str, str],
    config: PilotConfig,
) -> list[Problem]:
    """Checks that span tables or rows: unknown ids, impossible orders of events.

    ``tables["assessments"]`` gets its dimensions as dimension ids (unknown ones kept as
    written), which the capability step groups by.
    """
    parsed = ParsedTables(tables, rows, files, config)
    problems = [problem for check in CHECKS for problem in check(parsed)]
    if tables.get("assessments") is not None:
        assessments = tables["assessments"]
        tables["assessments"] = assessments.assign(
            dimension=parsed.dimension_ids.where(
                ~parsed.unknown_dimensions, assessments["dimension"]
            )
        )
    return problems

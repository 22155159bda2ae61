"""Leads + closed deals -> canonical tables: the ``two_table`` source.

Marketing funnels are often exported as two tables: every lead with its first
contact date, and the deals that closed, with their close date, joined by the
lead's id. ``source: {type: two_table, file: leads.csv, columns: {deal_id: mql_id,
created_at: first_contact_date}, closed: {file: closed.csv, columns: {deal_id:
mql_id, closed_at: won_date, owner_id: sr_id}}}`` reads them as one deal per lead:

* created at the lead's date; closed at the closed table's date when the lead is
  matched there; status from ``closed.columns.status`` when mapped (open / won /
  lost, Closed Won, 赢单 …), else every closed deal is won; leads without a match
  are open (and count as mature once older than the funnel's window);
* the other mapped columns of either table are deal columns (the closed table's
  value wins for a matched lead), and every unmapped column is kept under its
  header in canonical form, the lead table's first;
* a stage event per lead (``lead_stage``, default the first funnel stage, at the
  lead's date) and per won deal (``won_stage``, default the last, at its close);
* a lead with no owner in either table gets ``default_owner`` (``unassigned``).

Every row is reported at the lead table's row (the closed table's values are
checked there, under their canonical column: ``closed_at`` is the won date), so a
deal won before its first contact is named once, on its lead. Closed deals that
match no lead are left out with a note; so are repeated keys after the first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.exceptions import Note
from playbook.workspace.adapters.common import (
    Adapted,
    Context,
    as_table,
    mapped_columns,
    name_keys,
    outcome_keys,
    text,
)
from playbook.workspace.adapters.settings import TwoTableSource, problem
from playbook.workspace.config import normalise_stage_name
from playbook.workspace.schema import parse_datetimes


def read_two_table(ctx: Context, src: TwoTableSource) -> dict[str, Adapted]:
    """The deals and stage events of a lead table joined with a closed-deals table."""
    leads = ctx.read(ctx.locate(src.file, "file"), needed=list(src.columns.values()))
    closed_path = ctx.locate(src.closed.file, "closed.file") if src.closed.file else None
    closed = ctx.read(closed_path, needed=list(src.closed.columns.values()))
    if leads is None or closed is None:
        ctx.check()
        return {}
    lead_map = ctx.columns(leads, {}, src.columns, "columns", ("deal_id", "created_at"))
    closed_map = ctx.columns(
        closed, {}, src.closed.columns, "closed.columns", ("deal_id", "closed_at")
    )
    stages = _stage_names(ctx, src)
    ctx.check()
    deals = mapped_columns(leads, lead_map)
    extra = mapped_columns(closed, closed_map)
    lead_keys = _keys(deals["deal_id"])
    closed_keys = _keys(extra["deal_id"])
    first = ~closed_keys.duplicated() & closed_keys.notna()
    unmatched = first & ~closed_keys.isin(set(lead_keys.dropna()))
    if unmatched.any():
        ctx.notes.append(
            Note(
                "note_two_table_unmatched",
                n=int(unmatched.sum()),
                closed_file=closed.label,
                lead_file=leads.label,
            )
        )
    where = pd.Series(np.arange(len(closed_keys))[first.to_numpy()], index=closed_keys[first])
    position = lead_keys.map(where)
    matched = position.notna().to_numpy()
    take = position.fillna(0).astype("int64").to_numpy()
    for name, column in extra.items():
        if name == "deal_id" or (name in deals and name not in closed_map):
            continue
        aligned = pd.Series(text(column).to_numpy()[take], index=lead_keys.index).where(matched)
        deals[name] = aligned.where(matched, deals[name]) if name in deals else aligned
    deals["created_at"] = ctx.dates(deals["created_at"], leads.label, "created_at")
    deals["closed_at"] = ctx.dates(deals["closed_at"], closed.label, "closed_at")
    if "status" in closed_map:
        status = deals["status"].where(matched, deals.get("status"))
        deals["status"] = status.where(status.notna() | ~pd.Series(matched), "open")
    else:
        deals["status"] = pd.Series(np.where(matched, "won", "open"), index=lead_keys.index)
    owners = deals.get("owner_id", pd.Series(np.nan, index=lead_keys.index, dtype=object))
    deals["owner_id"] = owners.where(owners.notna(), src.default_owner)
    events, event_rows = _events(ctx, deals, leads.rows, stages)
    ctx.notes.append(
        Note(
            "note_two_table",
            leads=len(lead_keys),
            lead_file=leads.label,
            closed=int(matched.sum()),
            closed_file=closed.label,
            column=lead_map["deal_id"],
            open=int((~matched).sum()),
        )
    )
    return {
        "deals": as_table(deals, leads.rows, leads.label),
        "stage_events": as_table(events, event_rows, leads.label),
    }


def _keys(values: pd.Series) -> pd.Series:
    """Join keys as text, stripped (missing stays missing)."""
    return text(values).astype("string").str.strip().astype(object).where(values.notna(), None)


def _stage_names(ctx: Context, src: TwoTableSource) -> tuple[str, str]:
    """The lead and won stage names, checked against the funnel's names and aliases."""
    ids = ctx.config.funnel.ids
    known = ctx.config.funnel.alias_map()
    names = (src.lead_stage or ids[0], src.won_stage or ids[-1])
    for setting, name in zip(("lead_stage", "won_stage"), names, strict=True):
        if normalise_stage_name(name) not in known:
            ctx.problems.append(
                problem(
                    setting,
                    "matches no stage in pilot.yml",
                    f"name a funnel stage ({', '.join(ids)}) or one of its aliases",
                    name,
                )
            )
    return names


def _events(
    ctx: Context, deals: dict[str, pd.Series], rows: pd.Series, stages: tuple[str, str]
) -> tuple[dict[str, pd.Series], pd.Series]:
    """A lead event per lead and a won event per won deal, at the lead's row.

    Dates the loader cannot read get no event: the deal's own column reports them once.
    """
    lead_stage, won_stage = stages
    timezone = ctx.config.timezone
    won_keys, _ = outcome_keys([], [])
    won = name_keys(deals["status"]).isin(won_keys).to_numpy()
    _, bad_created, _ = parse_datetimes(deals["created_at"], timezone)
    _, bad_closed, _ = parse_datetimes(deals["closed_at"], timezone)
    first = ~bad_created.to_numpy()
    last = won & ~bad_closed.to_numpy() & deals["closed_at"].notna().to_numpy()
    parts = [
        (first, lead_stage, deals["created_at"]),
        (last, won_stage, deals["closed_at"]),
    ]
    frames, numbers = [], []
    for mask, stage, when in parts:
        frames.append(
            pd.DataFrame(
                {
                    "deal_id": deals["deal_id"].to_numpy()[mask],
                    "stage": stage,
                    "entered_at": when.to_numpy()[mask],
                    "owner_id": deals["owner_id"].to_numpy()[mask],
                }
            )
        )
        numbers.append(rows.to_numpy()[mask])
    events = pd.concat(frames, ignore_index=True)
    event_rows = pd.Series(np.concatenate(numbers))
    order = np.argsort(event_rows.to_numpy(), kind="stable")
    events = events.iloc[order].reset_index(drop=True)
    return dict(events.items()), event_rows.iloc[order].reset_index(drop=True)

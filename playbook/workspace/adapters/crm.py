"""One-row-per-deal exports -> canonical tables: Salesforce, HubSpot, generic wide tables.

Salesforce and HubSpot columns are found by their usual export names (any case
and spacing; a ``columns:`` mapping in pilot.yml overrides any of them). Status
comes from IsWon / IsClosed style flags when exported, else from the stage name
(``won`` / ``lost`` lists); the CRM's close date is kept only for won and lost
deals (on open ones it is an expected date).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from playbook.exceptions import Note, Problem
from playbook.workspace.adapters.common import (
    LATEST,
    Adapted,
    Context,
    Export,
    as_table,
    close_dates,
    instants,
    key,
    name_keys,
    outcome_keys,
    row_problems,
    status_from_flags,
    status_from_names,
)
from playbook.workspace.adapters.settings import (
    HubSpotSource,
    SalesforceSource,
    WideSource,
    problem,
)

#: Canonical column -> usual Salesforce Opportunities export headers (report and API).
SALESFORCE = {
    "deal_id": ["Opportunity ID", "Id", "Opportunity 18 ID"],
    "created_at": ["Created Date", "CreatedDate", "Created"],
    "owner_id": ["Opportunity Owner", "Owner", "Owner Name", "Owner Full Name", "OwnerId"],
    "stage": ["Stage", "StageName"],
    "closed_at": ["Close Date", "CloseDate"],
    "amount": ["Amount", "Amount (converted)", "Total Amount"],
    "won": ["Won", "IsWon"],
    "closed": ["Closed", "IsClosed"],
    "segment": ["Type", "Opportunity Type"],
    "source": ["Lead Source", "LeadSource"],
    "account_id": ["Account Name", "AccountId", "Account ID", "Account"],
    "region": ["Region", "Sales Region", "Territory"],
    "product": ["Product", "Product Name", "Product Family"],
    "lost_reason": ["Loss Reason", "Lost Reason", "Closed Lost Reason", "Reason Lost"],
}
#: Canonical column -> Opportunity History / stage history / field history headers.
SALESFORCE_HISTORY = {
    "deal_id": ["Opportunity ID", "OpportunityId"],
    "stage": ["To Stage", "StageName", "Stage", "New Value"],
    "from_stage": ["From Stage", "Old Value"],
    "entered_at": [
        "Last Modified",
        "Last Modified Date",
        "Edit Date",
        "Stage Change Date",
        "CreatedDate",
        "Created Date",
        "Date",
    ],
    "field": ["Field / Event", "Field"],
}
HUBSPOT = {
    "deal_id": ["Record ID", "Deal ID", "hs_object_id", "Id"],
    "created_at": ["Create Date", "Created Date", "createdate"],
    "owner_id": ["Deal owner", "Owner", "HubSpot Owner", "hubspot_owner_id"],
    "stage": ["Deal Stage", "dealstage", "Stage"],
    "closed_at": ["Close Date", "closedate"],
    "amount": ["Amount", "Amount in company currency"],
    "pipeline": ["Pipeline"],
    "won": ["Is Closed Won", "hs_is_closed_won"],
    "closed": ["Is Deal Closed?", "Is Closed", "hs_is_closed"],
    "segment": ["Deal Type", "dealtype"],
    "source": [
        "Original Source Type",
        "Original Source",
        "Original Traffic Source",
        "Lead Source",
        "Source",
    ],
    "account_id": ["Associated Company", "Associated Company (Primary)", "Company name", "Company"],
    "region": ["Region"],
    "product": ["Product", "Product Name"],
    "lost_reason": ["Closed Lost Reason", "Lost Reason"],
}
DATE_ENTERED = re.compile(r"^\s*date\s+entered\s+(?P<stage>.+?)\s*$", re.IGNORECASE)
PIPELINE_SUFFIX = re.compile(r"^(?P<stage>.*?)\s*\((?P<pipeline>[^()]*)\)$")
QUOTES = "\"'“”‘’「」"
#: Columns of an opportunity export that are not deal columns.
_NOT_DEAL = ("stage", "won", "closed", "pipeline")
#: Field-history rows about the stage.
_STAGE_FIELDS = ["stage", "stagename", "opportunity stage"]


def _deal_columns(ctx: Context, export: Export, mapped: dict[str, str]) -> dict[str, pd.Series]:
    columns = {name: export.data[h] for name, h in mapped.items() if name not in _NOT_DEAL}
    for name in ("created_at", "closed_at"):
        if name in columns:
            columns[name] = ctx.dates(columns[name], export.label, mapped[name])
    return columns


def _status(export: Export, mapped: dict[str, str], won: list[str], lost: list[str]) -> pd.Series:
    won_keys, lost_keys = outcome_keys(won, lost)
    if "stage" in mapped:
        status = status_from_names(export.data[mapped["stage"]], won_keys, lost_keys)
    else:
        status = pd.Series("open", index=export.data.index, dtype=object)
    flag = {n: export.data[mapped[n]] if n in mapped else None for n in ("won", "closed")}
    return status_from_flags(status, flag["won"], flag["closed"])


def _drop_lost_stages(
    ctx: Context, events: pd.DataFrame, rows: pd.Series, lost: list[str]
) -> tuple[pd.DataFrame, pd.Series]:
    """Leave out events entering a lost stage (Closed Lost) unless it is a funnel stage."""
    _, lost_keys = outcome_keys([], lost)
    keys = name_keys(events["stage"])
    drop = keys.isin(lost_keys) & ~keys.isin(ctx.config.funnel.alias_map().keys())
    return events[~drop], rows[~drop]


def read_salesforce(ctx: Context, src: SalesforceSource) -> dict[str, Adapted]:
    """Salesforce Opportunities export (+ Opportunity History report) -> deals, stage_events."""
    opps = ctx.read(ctx.locate(src.file, "file") if src.file else None, needed=[])
    if opps is None and not src.file:
        ctx.problems.append(
            problem(
                "file",
                "no Opportunities export found",
                "name it: source.file: Opportunities.csv (a report or Data Loader export)",
            )
        )
    no_history = (src.history or "").strip().lower() == "none"
    history = None
    if not no_history:
        if src.history:
            history = ctx.read(ctx.locate(src.history, "history"))
        else:
            ctx.problems.append(
                problem(
                    "history",
                    "no stage history export found",
                    "export the 'Opportunity History' report (Opportunity ID, From Stage, "
                    "To Stage, Last Modified) and name it: source.history: History.csv; or "
                    "write history: none to date each opportunity's current stage at its "
                    "creation (then dwell times mean nothing)",
                )
            )
    if opps is None:
        ctx.check()
        return {}
    mapped = ctx.columns(
        opps, SALESFORCE, src.columns, "columns", ("deal_id", "created_at", "owner_id")
    )
    if "stage" not in mapped and "won" not in mapped:
        ctx.problems.append(
            Problem(
                file=opps.label,
                column="stage",
                message="neither a stage nor a won flag column (looked for 'Stage', "
                "'StageName', 'Won', 'IsWon')",
                fix="name one in pilot.yml: source.columns: {stage: <column header>}",
            )
        )
    hmapped = {}
    if history is not None:
        hmapped = ctx.columns(
            history,
            SALESFORCE_HISTORY,
            src.history_columns,
            "history_columns",
            ("deal_id", "stage", "entered_at"),
        )
    ctx.check()
    deals = _deal_columns(ctx, opps, mapped)
    status = _status(opps, mapped, src.won, src.lost)
    deals["status"] = status
    if "closed_at" in deals:
        deals["closed_at"] = close_dates(deals["closed_at"], status)
    if history is None:
        ctx.notes.append(Note("note_no_history", file=opps.label))
        events = pd.DataFrame(
            {
                "deal_id": deals["deal_id"],
                "stage": opps.data[mapped["stage"]] if "stage" in mapped else np.nan,
                "entered_at": deals["created_at"],
            }
        )
        events, rows = _drop_lost_stages(ctx, events.dropna(subset=["stage"]), opps.rows, src.lost)
        label = opps.label
    else:
        events, rows = _history_events(ctx, history, hmapped, deals)
        events, rows = _drop_lost_stages(ctx, events, rows, src.lost)
        label = history.label
    ctx.check()
    return {
        "deals": as_table(deals, opps.rows, opps.label),
        "stage_events": as_table(dict(events.items()), rows, label),
    }


def _history_events(
    ctx: Context, history: Export, mapped: dict[str, str], deals: dict[str, pd.Series]
) -> tuple[pd.DataFrame, pd.Series]:
    """Stage events from a history export: one per row entering ``stage`` at its date,
    plus the ``from_stage`` of each opportunity's first change, dated at its creation."""
    data = history.data
    rows = history.rows
    if "field" in mapped:
        stage_rows = name_keys(data[mapped["field"]]).isin(_STAGE_FIELDS)
        data, rows = data[stage_rows], rows[stage_rows]
    ids = data[mapped["deal_id"]]
    ids = _match_id_length(ctx, ids, deals["deal_id"], history.label)
    events = pd.DataFrame(
        {
            "deal_id": ids,
            "stage": data[mapped["stage"]],
            "entered_at": ctx.dates(
                data[mapped["entered_at"]], history.label, mapped["entered_at"]
            ),
        }
    )
    keep = events["stage"].notna()
    events, rows = events[keep], rows[keep]
    if "from_stage" in mapped and len(events):
        ns = instants(events["entered_at"], ctx.config.timezone)
        codes, _ = pd.factorize(events["deal_id"])
        order = np.lexsort((ns, codes))
        first = order[np.r_[True, codes[order][1:] != codes[order][:-1]]]
        start = events.iloc[first].copy()
        start["stage"] = data.loc[start.index, mapped["from_stage"]]
        created = pd.Series(deals["created_at"].to_numpy(), index=deals["deal_id"].to_numpy())
        created = created[~created.index.duplicated()]
        start["entered_at"] = start["deal_id"].map(created)
        start = start.dropna(subset=["stage", "entered_at"])
        if len(start):
            events = pd.concat([start, events])
            rows = pd.concat([rows[start.index], rows])
    return events, rows


def _match_id_length(ctx: Context, ids: pd.Series, deal_ids: pd.Series, label: str) -> pd.Series:
    """Salesforce reports show 15-character ids, API exports 18 (the 15 plus a case
    checksum): match them on the first 15 characters and use the deals' form."""
    hist_len = set(ids.dropna().str.len())
    deal_len = set(deal_ids.dropna().str.len())
    if hist_len == {18} and deal_len == {15}:
        ctx.notes.append(Note("note_ids_18_to_15", file=label))
        return ids.str.slice(0, 15)
    if hist_len == {15} and deal_len == {18}:
        ctx.notes.append(Note("note_ids_15_to_18", file=label))
        full = pd.Series(deal_ids.to_numpy(), index=deal_ids.str.slice(0, 15).to_numpy())
        full = full[~full.index.duplicated()]
        return ids.map(full).fillna(ids)
    return ids


def read_hubspot(ctx: Context, src: HubSpotSource) -> dict[str, Adapted]:
    """HubSpot deals export with "Date entered <stage>" columns -> deals, stage_events."""
    export = ctx.read(ctx.locate(src.file, "file") if src.file else None)
    if export is None:
        if not src.file:
            ctx.problems.append(
                problem("file", "no HubSpot deals export found", "name it: source.file: deals.csv")
            )
        ctx.check()
        return {}
    mapped = ctx.columns(
        export, HUBSPOT, src.columns, "columns", ("deal_id", "created_at", "owner_id")
    )
    entered = {
        header: m.group("stage").strip(QUOTES).strip()
        for header in export.data.columns
        if (m := DATE_ENTERED.match(str(header)))
    }
    if not entered:
        ctx.problems.append(
            Problem(
                file=export.label,
                message="no 'Date entered <stage>' columns",
                fix="export the deals with the 'Date entered' property of every stage",
            )
        )
    data, rows = export.data, export.rows
    pipelines: set[str] = set()
    if "pipeline" in mapped:
        pipelines = {key(p) for p in data[mapped["pipeline"]].dropna().unique()}
    if src.pipeline:
        if "pipeline" not in mapped:
            ctx.problems.append(
                problem("pipeline", f"{export.label} has no Pipeline column", value=src.pipeline)
            )
        else:
            keep = data[mapped["pipeline"]].map(key) == key(src.pipeline)
            if not keep.any():
                seen = ", ".join(map(str, data[mapped["pipeline"]].dropna().unique()[:10]))
                ctx.problems.append(
                    problem(
                        "pipeline",
                        f"no deal in this pipeline (pipelines: {seen})",
                        "",
                        src.pipeline,
                    )
                )
            data, rows = data[keep], rows[keep]
    ctx.check()
    # "Stage (Pipeline)": the suffix is a pipeline when the Pipeline column has it, or
    # (no such column) when every "Date entered" header ends in the same one
    split = {h: PIPELINE_SUFFIX.match(n) for h, n in entered.items()}
    suffixes = {key(m.group("pipeline")) if m else None for m in split.values()}
    if not pipelines and len(suffixes) == 1 and None not in suffixes:
        pipelines = suffixes
    stage_of: dict[str, str] = {}
    for header, name in entered.items():
        m = split[header]
        if m and key(m.group("pipeline")) in pipelines:
            if src.pipeline and key(m.group("pipeline")) != key(src.pipeline):
                continue
            name = m.group("stage")
        stage_of[header] = name
    export = Export(data=data, rows=rows, label=export.label, path=export.path)
    deals = _deal_columns(ctx, export, mapped)
    status = _status(export, mapped, src.won, src.lost)
    deals["status"] = status
    if "closed_at" in deals:
        deals["closed_at"] = close_dates(deals["closed_at"], status)
    if "pipeline" in mapped:
        deals["pipeline"] = data[mapped["pipeline"]]
    events, event_rows = _melt(ctx, export, deals["deal_id"], stage_of)
    events, event_rows = _drop_lost_stages(ctx, events, event_rows, src.lost)
    ctx.check()
    return {
        "deals": as_table(deals, rows, export.label),
        "stage_events": as_table(dict(events.items()), event_rows, export.label),
    }


def _melt(
    ctx: Context, export: Export, deal_ids: pd.Series, stage_of: dict[str, str]
) -> tuple[pd.DataFrame, pd.Series]:
    """Wide date columns -> one event per filled cell, in row then column order."""
    if not stage_of:
        return pd.DataFrame(columns=["deal_id", "stage", "entered_at"]), pd.Series(dtype="int64")
    dates = export.data[list(stage_of)]
    dates = dates.set_axis(range(len(stage_of)), axis=1)
    stacked = dates.stack()  # drops empty cells; (row, column position)
    index = stacked.index.get_level_values(0)
    position = stacked.index.get_level_values(1).to_numpy()
    names = np.array(list(stage_of.values()), dtype=object)
    headers = list(stage_of)
    entered = pd.Series(stacked.to_numpy(), index=range(len(stacked)), dtype=object)
    converted = []
    for pos, header in enumerate(headers):
        sel = position == pos
        if sel.any():
            converted.append(ctx.dates(entered[sel], export.label, header))
    entered = pd.concat(converted).sort_index() if converted else entered
    events = pd.DataFrame(
        {
            "deal_id": deal_ids.reindex(index).to_numpy(),
            "stage": names[position],
            "entered_at": entered.to_numpy(),
        }
    )
    return events, pd.Series(export.rows.reindex(index).to_numpy())


def read_wide(ctx: Context, src: WideSource) -> dict[str, Adapted]:
    """A generic wide table (one row per deal, one date column per stage) -> canonical."""
    export = ctx.read(
        ctx.locate(src.file, "file"), needed=[*src.columns.values(), *src.stages.values()]
    )
    if export is None:
        ctx.check()
        return {}
    mapped = ctx.columns(export, {}, src.columns, "columns", ("deal_id",))
    stage_cols = ctx.columns(export, {}, {n: c for n, c in src.stages.items()}, "stages")
    status_col = None
    if src.status_column:
        status_col = export.find([src.status_column])
        if status_col is None:
            ctx.problems.append(
                problem(
                    "status_column",
                    f"column not found in {export.label}",
                    export.suggest(src.status_column),
                    src.status_column,
                )
            )
    ctx.check()
    data, rows = export.data, export.rows
    stage_of = {stage_cols[n]: n for n in src.stages if n in stage_cols}
    deals = _deal_columns(ctx, export, mapped)
    won_keys, lost_keys = outcome_keys(src.won, src.lost)
    events, event_rows = _melt(ctx, export, deals["deal_id"], stage_of)
    if "created_at" not in deals:
        deals["created_at"] = _earliest(ctx, events, event_rows, rows)
    if "status" not in deals:
        status, closed_at = _outcomes(ctx, events, event_rows, rows, won_keys, lost_keys)
        if status_col is not None:
            status = status_from_names(data[status_col], won_keys, lost_keys)
        deals["status"] = status
        if "closed_at" in deals:
            deals["closed_at"] = close_dates(deals["closed_at"], status)
        else:
            deals["closed_at"] = close_dates(closed_at, status)
    undated = deals["created_at"].isna()
    if undated.any():
        if src.drop_undated:
            ctx.notes.append(Note("note_undated", file=export.label, n=int(undated.sum())))
            keep_ids = set(deals["deal_id"][~undated].dropna())
            deals = {n: c[~undated] for n, c in deals.items()}
            rows = rows[~undated]
            kept = events["deal_id"].isin(keep_ids).to_numpy()
            events, event_rows = events[kept], event_rows[kept]
        else:
            ctx.problems += row_problems(
                export.label,
                "created_at",
                "no created_at and no date in any stage column",
                "map columns.created_at, or set source.drop_undated: true to leave such deals out",
                rows[undated],
                deals["deal_id"][undated],
            )
    events, event_rows = _drop_lost_stages(ctx, events, event_rows, src.lost)
    ctx.check()
    return {
        "deals": as_table(deals, rows, export.label),
        "stage_events": as_table(dict(events.items()), event_rows, export.label),
    }


def _per_row(values: pd.Series, event_rows: pd.Series, rows: pd.Series) -> pd.Series:
    """Values keyed by file row -> aligned with the deals (one per row, first wins)."""
    by_row = pd.Series(values.to_numpy(), index=event_rows.to_numpy())
    by_row = by_row[~by_row.index.duplicated()]
    return pd.Series(by_row.reindex(rows.to_numpy()).to_numpy(), index=rows.index)


def _earliest(
    ctx: Context, events: pd.DataFrame, event_rows: pd.Series, rows: pd.Series
) -> pd.Series:
    """Each deal's earliest stage date, as typed (aligned with ``rows``)."""
    order = np.argsort(instants(events["entered_at"], ctx.config.timezone), kind="stable")
    return _per_row(events["entered_at"].iloc[order], event_rows.iloc[order], rows)


def _outcomes(
    ctx: Context,
    events: pd.DataFrame,
    event_rows: pd.Series,
    rows: pd.Series,
    won_keys: set[str],
    lost_keys: set[str],
) -> tuple[pd.Series, pd.Series]:
    """Status and close date from the latest date in a won / lost stage column.

    Returns
    -------
    status : ``won`` / ``lost`` / ``open`` per deal row
    closed_at : the date of that stage, as typed (NaN for open deals)
    """
    keys = name_keys(events["stage"])
    terminal = (keys.isin(won_keys) | keys.isin(lost_keys)).to_numpy()
    ends = events[terminal]
    ns = instants(ends["entered_at"], ctx.config.timezone)
    order = np.lexsort((ns, ns != LATEST))[::-1]  # dated first, latest first
    ends, end_rows = ends.iloc[order], event_rows[terminal].iloc[order]  # latest first
    outcome = pd.Series(np.where(keys[terminal].iloc[order].isin(won_keys), "won", "lost"))
    status = _per_row(outcome, end_rows, rows).fillna("open")
    return status, _per_row(ends["entered_at"], end_rows, rows)

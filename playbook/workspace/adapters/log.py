"""Event logs -> canonical tables: a generic long log (one row per event) and XES.

Both end in :func:`tables_from_log`: stage events are the log's events (minus
won/lost events that are no funnel stage, and, with ``other_events: drop``, every
event that is no funnel stage); deals come from a deals file when one is given,
otherwise from the log itself — created at the deal's first event, owned by the
first or last event's owner, won or lost at its last won/lost event (that event's
time is the close date), open otherwise.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

import numpy as np
import pandas as pd

from playbook.exceptions import Note, Problem
from playbook.workspace.adapters.common import (
    Adapted,
    Context,
    Export,
    as_table,
    instants,
    mapped_columns,
    name_keys,
    outcome_keys,
    text,
)
from playbook.workspace.adapters.settings import LongSource, XesSource

logger = logging.getLogger(__name__)

#: Default XES attribute per canonical event column.
XES_COLUMNS = {"stage": "concept:name", "entered_at": "time:timestamp", "owner_id": "org:resource"}
LIFECYCLE = "lifecycle:transition"


def read_long(ctx: Context, src: LongSource) -> dict[str, Adapted]:
    """A long event log (CSV / Excel / Parquet) with a column mapping -> deals, stage_events."""
    path = ctx.locate(src.file, "file")
    log = ctx.read(path, needed=list(src.columns.values()))
    deals_file = _deals_file(ctx, src)
    if log is None:
        ctx.check()
        return {}
    mapped = ctx.columns(log, {}, src.columns, "columns", ("deal_id", "stage", "entered_at"))
    attrs = {}
    if src.deals is not None and not src.deals.file:
        attrs = ctx.columns(log, {}, src.deals.columns, "deals.columns")
    ctx.check()
    events = pd.DataFrame({name: log.data[header] for name, header in mapped.items()})
    for name, header in attrs.items():
        events[f"deal:{name}"] = log.data[header]
    return tables_from_log(ctx, src, events, log.rows, log.label, deals_file)


def read_xes(ctx: Context, src: XesSource, path: Path) -> dict[str, Adapted]:
    """An XES event log (``.xes`` or gzipped) -> deals, stage_events."""
    columns = {**XES_COLUMNS, **src.columns}
    trace_keys = {} if src.deals is None or src.deals.file else dict(src.deals.columns)
    deals_file = _deals_file(ctx, src)
    parsed = parse_xes(path, [*columns.values(), LIFECYCLE], ["concept:name", *trace_keys.values()])
    if isinstance(parsed, Problem):
        ctx.problems.append(parsed)
        ctx.check()
        return {}
    events, traces = parsed
    ctx.check()
    if src.lifecycle:
        wanted = {s.casefold() for s in src.lifecycle}
        transition = events[LIFECYCLE].str.casefold()
        keep = transition.isna() | transition.isin(wanted)
        if not keep.all():
            ctx.notes.append(
                Note(
                    "note_lifecycle",
                    file=path.name,
                    n=int((~keep).sum()),
                    total=len(keep),
                    kept=", ".join(src.lifecycle),
                )
            )
        events = events[keep]
    frame = pd.DataFrame(
        {
            "deal_id": traces["concept:name"].to_numpy()[events["trace"].to_numpy()],
            **{name: events[attr].to_numpy() for name, attr in columns.items()},
        },
        index=events.index,
    )
    for name, attr in trace_keys.items():
        frame[f"deal:{name}"] = traces[attr].to_numpy()[events["trace"].to_numpy()]
    return tables_from_log(ctx, src, frame, events["line"], path.name, deals_file)


def _deals_file(ctx: Context, src: LongSource | XesSource) -> Export | None:
    if src.deals is None or not src.deals.file:
        return None
    path = ctx.locate(src.deals.file, "deals.file")
    return ctx.read(path, needed=list(src.deals.columns.values()))


def tables_from_log(
    ctx: Context,
    src: LongSource | XesSource,
    events: pd.DataFrame,
    rows: pd.Series,
    label: str,
    deals_file: Export | None,
) -> dict[str, Adapted]:
    """Canonical deals and stage events from an event log (see the module docstring).

    Parameters
    ----------
    events : DataFrame
        Text columns ``deal_id, stage, entered_at`` (``owner_id`` optional), plus
        ``deal:<column>`` per-deal attributes; any index.
    rows : Series
        Row (line) number of each event, same index.
    deals_file : Export, optional
        A deals export mapped by ``src.deals.columns``.
    """
    events = events.copy()
    events["entered_at"] = ctx.dates(events["entered_at"], label, src.columns.get("entered_at", ""))
    ctx.check()
    log = SortedLog.of(events, src, ctx.config.timezone)
    derived, deal_rows = _deals_of_log(log, rows, src)
    if deals_file is not None:
        deals = _merge_deals_file(ctx, src, deals_file, derived)
    else:
        deals = as_table(dict(derived.items()), deal_rows, label)
    kept = ~_dropped_events(ctx, src, log, label).to_numpy()
    event_cols = [c for c in ("deal_id", "stage", "entered_at", "owner_id") if c in log.events]
    # back to the log's own order, so problems are listed by line
    kept_rows = np.sort(log.order[kept])
    stage_events = as_table(
        {c: events[c].iloc[kept_rows] for c in event_cols}, rows.iloc[kept_rows], label
    )
    logger.info(
        "%s: %d deals, %d of %d events kept as stage events",
        label,
        len(derived),
        int(kept.sum()),
        len(kept),
    )
    return {"deals": deals, "stage_events": stage_events}


@dataclass
class SortedLog:
    """The log's events by deal, then time (ties keep the log's order), with the
    normalised names of their stages and of the won and lost events."""

    #: Position in the log of each sorted event.
    order: np.ndarray
    events: pd.DataFrame
    #: Deal number of each sorted event (-1: no deal id, left to the loader).
    code: np.ndarray
    keys: pd.Series
    won: set[str]
    lost: set[str]

    @classmethod
    def of(cls, events: pd.DataFrame, src: LongSource | XesSource, timezone: str) -> SortedLog:
        ns = instants(events["entered_at"], timezone)
        codes, _ = pd.factorize(events["deal_id"])
        order = np.lexsort((ns, codes))
        ordered = events.iloc[order]
        won, lost = outcome_keys(src.won, src.lost)
        return cls(order, ordered, codes[order], name_keys(ordered["stage"]), won, lost)


def _deals_of_log(
    log: SortedLog, rows: pd.Series, src: LongSource | XesSource
) -> tuple[pd.DataFrame, pd.Series]:
    """One row per deal of the log (indexed by deal number), and the row of its first event:
    created at the first event, owned by the first or last event's owner, won or lost at its
    last won/lost event, open otherwise."""
    ordered, code = log.events, log.code
    first = np.r_[True, code[1:] != code[:-1]] & (code >= 0)
    derived = pd.DataFrame(
        {
            "deal_id": ordered["deal_id"][first].to_numpy(),
            "created_at": ordered["entered_at"][first].to_numpy(),
        },
        index=pd.Index(code[first]),
    )
    deal_rows = pd.Series(rows.iloc[log.order][first].to_numpy(), index=derived.index)
    if "owner_id" in ordered:
        keep = "first" if src.owner == "first" else "last"
        derived["owner_id"] = _per_deal(ordered["owner_id"], code, keep).reindex(derived.index)
    terminal = (log.keys.isin(log.won) | log.keys.isin(log.lost)).to_numpy() & (code >= 0)
    ends = pd.DataFrame(
        {
            "status": np.where(log.keys.isin(log.won).to_numpy()[terminal], "won", "lost"),
            "closed_at": ordered["entered_at"].to_numpy()[terminal],
        },
        index=code[terminal],
    )
    ends = ends[~ends.index.duplicated(keep="last")].reindex(derived.index)
    derived["status"] = ends["status"].fillna("open")
    derived["closed_at"] = ends["closed_at"]
    for column in [c for c in ordered.columns if c.startswith("deal:")]:
        derived[column.removeprefix("deal:")] = _per_deal(ordered[column], code).reindex(
            derived.index
        )
    return derived, deal_rows


def _per_deal(values: pd.Series, code: np.ndarray, keep: str = "first") -> pd.Series:
    """The first (or last) value given of each deal, indexed by deal number."""
    present = values.notna().to_numpy() & (code >= 0)
    by_deal = pd.Series(values.to_numpy()[present], index=code[present])
    return by_deal[~by_deal.index.duplicated(keep=keep)]


def _dropped_events(
    ctx: Context, src: LongSource | XesSource, log: SortedLog, label: str
) -> pd.Series:
    """Sorted events that are no stage event: lost events outside the funnel, and with
    ``other_events: drop`` every event outside it (named in a note)."""
    ordered, keys = log.events, log.keys
    funnel = keys.isin(ctx.config.funnel.alias_map().keys())
    drop = keys.isin(log.lost) & ~funnel
    if src.other_events == "drop":
        drop |= ~funnel
        other = ~funnel & ~keys.isin(log.won) & ~keys.isin(log.lost) & ordered["stage"].notna()
        if other.any():
            names = ordered["stage"][other].value_counts()
            shown = ", ".join(f"{n} ({c})" for n, c in names.head(8).items())
            ctx.notes.append(
                Note(
                    "note_other_events",
                    file=label,
                    n=int(other.sum()),
                    names=f"{shown}{' …' if len(names) > 8 else ''}",
                )
            )
    return drop & ordered["stage"].notna()


def _merge_deals_file(
    ctx: Context, src: LongSource | XesSource, export: Export, derived: pd.DataFrame
) -> Adapted:
    """Deals from their own file; created_at, owner_id, status and closed_at the file
    lacks (the column, or a deal's value) are taken from the log."""
    given = src.deals.columns if src.deals else {}
    mapped = ctx.columns(export, {"deal_id": ["deal_id"]}, given, "deals.columns", ["deal_id"])
    ctx.check()
    columns = mapped_columns(export, mapped)
    by_id = derived.drop_duplicates("deal_id").set_index("deal_id")
    ids = columns["deal_id"]
    for name in ("created_at", "owner_id", "status", "closed_at"):
        if name in by_id:
            from_log = ids.map(by_id[name])
            columns[name] = columns[name].fillna(from_log) if name in columns else from_log
    return as_table(columns, export.rows, export.label)


# --- XES ---------------------------------------------------------------------------------


def parse_xes(
    path: Path, event_keys: list[str], trace_keys: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame] | Problem:
    """Stream an XES log (plain or gzipped) into two text frames.

    Only attributes directly under an ``<event>`` or ``<trace>`` count (nested
    attributes and the log's globals are ignored); namespaces are handled. Uses
    the standard library's expat parser, which streams and gives line numbers.

    Returns
    -------
    events : DataFrame
        One row per event: one column per ``event_keys`` entry (NaN when absent),
        ``trace`` (0-based trace number) and ``line`` (line of ``<event>``).
    traces : DataFrame
        One row per trace: one column per ``trace_keys`` entry.
    Problem
        Instead, when the file cannot be read or is not well-formed XML.
    """
    want_event = {k: i for i, k in enumerate(dict.fromkeys(event_keys))}
    want_trace = {k: i for i, k in enumerate(dict.fromkeys(trace_keys))}
    ev_cols: list[list] = [[] for _ in want_event]
    tr_cols: list[list] = [[] for _ in want_trace]
    ev_trace: list[int] = []
    ev_line: list[int] = []
    parser = expat.ParserCreate(namespace_separator=" ")
    depth, trace_depth, event_depth, n_traces = 0, -1, -1, 0

    def start(name: str, attrs: dict) -> None:
        nonlocal depth, trace_depth, event_depth, n_traces
        depth += 1
        if event_depth >= 0:
            if depth == event_depth + 1:  # an attribute of the event (nested ones ignored)
                i = want_event.get(attrs.get("key"))
                if i is not None:
                    ev_cols[i][-1] = attrs.get("value")
            return
        if trace_depth >= 0:
            if depth != trace_depth + 1:
                return
            if name == "event" or name.endswith(" event"):
                event_depth = depth
                for col in ev_cols:
                    col.append(None)
                ev_trace.append(n_traces - 1)
                ev_line.append(parser.CurrentLineNumber)
            else:
                i = want_trace.get(attrs.get("key"))
                if i is not None:
                    tr_cols[i][-1] = attrs.get("value")
        elif name == "trace" or name.endswith(" trace"):
            trace_depth = depth
            n_traces += 1
            for col in tr_cols:
                col.append(None)

    def end(name: str) -> None:
        nonlocal depth, trace_depth, event_depth
        if depth == event_depth:
            event_depth = -1
        elif depth == trace_depth:
            trace_depth = -1
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        with open(path, "rb") as raw:
            zipped = raw.read(2) == b"\x1f\x8b"
        with gzip.open(path, "rb") if zipped else open(path, "rb") as handle:
            parser.ParseFile(handle)
    except expat.ExpatError as exc:
        return Problem(
            file=path.name,
            row=exc.lineno,
            message=f"not well-formed XML: {expat.ErrorString(exc.code)}",
            fix="export the event log again (XES 1.0 / IEEE 1849)",
        )
    except (OSError, EOFError, zlib.error) as exc:
        return Problem(
            file=path.name,
            message=f"cannot be read: {exc}",
            fix="check the file is a complete .xes or .xes.gz export",
        )
    if not ev_line:
        return Problem(
            file=path.name,
            message="no <event> inside a <trace> found",
            fix="check this is an XES event log",
        )
    events = pd.DataFrame({k: ev_cols[i] for k, i in want_event.items()})
    events = events.apply(text)
    events["trace"] = np.asarray(ev_trace, dtype=np.int64)
    events["line"] = np.asarray(ev_line, dtype=np.int64)
    traces = pd.DataFrame({k: tr_cols[i] for k, i in want_trace.items()}).apply(text)
    return events, traces

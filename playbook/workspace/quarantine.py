"""Real exports as they come: set bad rows aside instead of refusing the workspace.

Real CRM exports always carry a few impossible rows (a deal won the day before
its first contact, a date nobody can read). With ``--on-bad-rows quarantine``
(``intake.on_bad_rows: quarantine``) the rows the checks name are set aside with
their reasons, together with everything that depends on them: a deal with a bad
row (in deals, or in one of its events, activities or outcomes) is set aside
whole, with all its rows; a row of an unknown deal, or of a table without deals
(reps, assessments, targets), is set aside alone. Problems with a file as a whole
(a missing column, an unreadable file, an unknown setting) still stop the run.

The run goes on when the deals set aside are at most ``intake.max_quarantined``
of all deals (default 1%), and so are the rows of every other table set aside for
their own problems; above that the workspace is refused with the usual list of
every problem, headed by the share found. The rows set aside are listed in a
table (:attr:`Quarantine.rows`) that the runner writes to ``quarantine.csv``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.exceptions import DataError, Note, Problem
from playbook.workspace.dataset import Dataset
from playbook.workspace.load import check_workspace, dataset_of, sort_problems
from playbook.workspace.reading import RawWorkspace, read_workspace

logger = logging.getLogger(__name__)

#: Loader problem (its kind, or its message) -> the key naming it in both languages.
REASON_KEYS: dict[str, str] = {
    "not a date I can read": "reason_bad_date",
    "mixes times with a UTC offset and times without one": "reason_mixed_offsets",
    "not a number": "reason_bad_number",
    "not a yes/no value": "reason_bad_bool",
    "unknown status": "reason_bad_status",
    "stage name that matches no stage in pilot.yml": "reason_unknown_stage",
    "won/lost deal without a close date": "reason_no_close_date",
    "closed before it was created": "reason_closed_before_created",
    "deal_id not found in deals": "reason_unknown_deal",
    "stage entered before the deal was created": "reason_event_before_created",
    "outcome recorded for a deal that is not won": "reason_outcome_not_won",
    "belongs to a deal set aside": "reason_follows_deal",
}


def reason_key(reason: str) -> str | None:
    """The text key naming a loader problem kind, or None for one without its own text."""
    return REASON_KEYS.get(reason)


#: The file in the report folder listing the rows set aside.
QUARANTINE_FILE = "quarantine.csv"
#: Columns of the table of rows set aside (``quarantine.csv``).
COLUMNS = ["file", "row", "column", "value", "reason", "deal_id", "table"]
#: Reason given to the rows set aside because their deal was.
FOLLOWS_DEAL = "belongs to a deal set aside"
#: Tables whose rows belong to a deal.
DEAL_TABLES = ("deals", "stage_events", "activities", "outcomes")
#: Rounds of setting aside: removing a rep can orphan its assessments, which are then
#: set aside in the next round.
MAX_ROUNDS = 4


@dataclass
class Quarantine:
    """What was set aside: one row per row removed (:data:`COLUMNS`), and the counts."""

    rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))
    deals: int = 0
    total_deals: int = 0
    limit: float = 0.01
    policy: str = "fail"

    @property
    def share(self) -> float:
        """Deals set aside as a share of all deals."""
        return self.deals / self.total_deals if self.total_deals else 0.0

    def by_reason(self) -> dict[str, int]:
        """Rows set aside per reason, most frequent first (ties by reason)."""
        counts = self.rows["reason"].value_counts()
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return {str(reason): int(n) for reason, n in ordered}

    def record(self) -> dict:
        """The ``quarantine`` block of ``summary.json``."""
        return {
            "policy": self.policy,
            "rows": len(self.rows),
            "deals": self.deals,
            "total_deals": self.total_deals,
            "share_of_deals": round(self.share, 6),
            "limit": self.limit,
            "by_reason": self.by_reason(),
        }

    def notes(self) -> list[Note]:
        """The intake page's sentences: how much was set aside, then each reason with its rows."""
        if self.rows.empty:
            return []
        head = Note(
            "note_quarantined",
            rows=len(self.rows),
            deals=self.deals,
            total=self.total_deals,
            share=f"{self.share:.2%}",
        )
        reasons = self.by_reason()
        # the rows that only follow their deal come last: the reasons are the news
        order = sorted(reasons, key=lambda r: r == FOLLOWS_DEAL)
        return [head] + [reason_note(r, reasons[r]) for r in order]


def reason_note(reason: str, n: int) -> Note:
    """One reason rows were set aside, with their count, sayable in both languages."""
    key = reason_key(reason)
    return Note(key, n=n) if key else Note("note_quarantine_reason", reason=reason, n=n)


def load_quarantining(
    workspace: str | Path,
    config=None,
    *,
    allowed: Sequence[str | Path] = (),
    policy: str | None = None,
) -> tuple[Dataset, Quarantine]:
    """Read and validate a workspace under its bad-row policy.

    Parameters
    ----------
    policy : ``fail`` or ``quarantine``; default ``intake.on_bad_rows`` of pilot.yml
        (``--on-bad-rows`` overrides it).

    Returns
    -------
    dataset : the validated tables, bad rows and their dependents left out; its
        notes say how many rows were set aside and why.
    quarantine : what was set aside (empty under ``fail``).

    Raises
    ------
    DataError
        Under ``fail``, any problem; under ``quarantine``, a problem with a file as a
        whole, or more rows set aside than ``intake.max_quarantined`` allows.
    """
    from playbook.workspace import intake_cache
    from playbook.workspace.config import load_config

    ws = Path(workspace)
    if config is None and ws.is_dir():
        config = load_config(ws)
    key = None
    if config is not None and ws.is_dir() and intake_cache.cache_root() is not None:
        chosen = policy or config.intake.on_bad_rows
        key = intake_cache.cache_key(ws, config, allowed, chosen)
        cached = intake_cache.lookup(key)
        if cached is not None:
            logger.info("validated tables of %s taken from the intake cache", ws.name)
            dataset, rows, counts = cached
            return dataset, Quarantine(rows=rows, **counts)
    raw_ws = read_workspace(workspace, config, allowed=allowed)
    settings = raw_ws.config.intake
    chosen = policy or settings.on_bad_rows
    dataset, aside = quarantine_rows(raw_ws, settings.max_quarantined, policy=chosen)
    intake_cache.store(key, dataset, aside)
    return dataset, aside


def quarantine_rows(
    raw_ws: RawWorkspace, limit: float, *, policy: str = "quarantine"
) -> tuple[Dataset, Quarantine]:
    """Validate ``raw_ws``, setting aside the rows with row-level problems (see module doc).

    Raises
    ------
    DataError
        As :func:`load_quarantining`.
    """
    total = _deal_count(raw_ws)
    empty = Quarantine(total_deals=total, limit=limit, policy=policy)
    tables, problems = check_workspace(raw_ws)
    if not problems:
        return dataset_of(raw_ws, tables), empty
    if policy != "quarantine" or any(_whole_file(p) for p in problems):
        raise DataError(sort_problems(problems, raw_ws.files))
    first_problems = problems
    current, removed = raw_ws, []
    for _ in range(MAX_ROUNDS):
        current, rows = _set_aside(current, problems)
        removed.append(rows)
        tables, problems = check_workspace(current)
        if not problems:
            break
        if any(_whole_file(p) for p in problems):
            raise DataError(sort_problems(problems, current.files))
    if problems:
        raise DataError(sort_problems(first_problems, raw_ws.files))
    aside = _in_table_order(pd.concat(removed, ignore_index=True))
    deals = _deal_count(raw_ws) - _deal_count(current)
    found = Quarantine(aside, deals=deals, total_deals=total, limit=limit, policy=policy)
    over = _over_limit(found, raw_ws, limit)
    if over is not None:
        raise DataError([over, *sort_problems(first_problems, raw_ws.files)])
    dataset = dataset_of(current, tables)
    dataset.notes.extend(found.notes())
    logger.debug("set aside: %s", found.record())
    return dataset, found


#: Problems named at the header line that concern the file as a whole.
HEADER_PROBLEMS = ("required column is missing", "the column appears more than once in the header")


def _whole_file(problem: Problem) -> bool:
    """A problem that concerns a file or setting as a whole (no row to set aside)."""
    if problem.message.startswith(HEADER_PROBLEMS):
        return True
    return problem.row is None and not problem.rows


def _deal_count(raw_ws: RawWorkspace) -> int:
    """Rows of the deals table (one per deal once the checks pass)."""
    deals = raw_ws.tables.get("deals")
    return 0 if deals is None else len(deals[0])


def _ids(values: pd.Series) -> pd.Series:
    """Deal ids as the loader compares them (text, stripped; missing stays missing)."""
    return values.astype("string").str.strip()


def _problem_rows(problems: list[Problem]) -> pd.DataFrame:
    """One record per (file, row) a problem names: file, row, column, reason, and the value
    shown (for the row a problem lists; None for the rows a counting line stands for)."""
    records = []
    for p in problems:
        reason = p.kind or p.message
        if p.row is not None:
            records.append((p.file, int(p.row), p.column, reason, p.value))
        records.extend((p.file, int(r), p.column, reason, None) for r in p.rows)
    frame = pd.DataFrame(records, columns=["file", "row", "column", "reason", "value"])
    return frame.drop_duplicates(["file", "row", "column", "reason"])


def _hits(raw: pd.DataFrame, rows: pd.Series, named: pd.DataFrame, shared: bool) -> pd.DataFrame:
    """The positions in one table of the rows the problems name (row, position, column, reason).

    When several tables come from one file (a wide export, a two-table source), a problem
    belongs to the table holding its column, and among rows sharing a row number to the
    ones holding the value it shows.
    """
    where = pd.DataFrame({"row": rows.to_numpy(), "position": np.arange(len(raw))})
    detail = where.merge(named, on="row")
    if detail.empty or not shared:
        return detail
    column = detail["column"]
    detail = detail[column.isna() | column.isin(list(raw.columns))]
    keep = []
    for _, group in detail.groupby(["row", "column", "reason"], sort=False, dropna=False):
        shown, name = group["value"].iloc[0], group["column"].iloc[0]
        if len(group) > 1 and isinstance(shown, str) and name in raw.columns:
            typed = raw[name].to_numpy()[group["position"].to_numpy()]
            same = group[[str(v) == shown for v in typed]]
            group = same if len(same) else group
        keep.append(group)
    return pd.concat(keep) if keep else detail


def _set_aside(raw_ws: RawWorkspace, problems: list[Problem]) -> tuple[RawWorkspace, pd.DataFrame]:
    """``raw_ws`` without the rows the problems name and their dependents; the rows removed."""
    named = _problem_rows(problems)
    labels = pd.Series([label for _, _, label in raw_ws.tables.values()])
    flagged: dict[str, np.ndarray] = {}
    bad_deals: set[str] = set()
    records = []
    for table, (raw, rows, label) in raw_ws.tables.items():
        detail = _hits(raw, rows, named[named["file"] == label], (labels == label).sum() > 1)
        if detail.empty:
            continue
        mask = np.zeros(len(raw), dtype=bool)
        mask[detail["position"].to_numpy()] = True
        flagged[table] = mask
        ids = _ids(raw["deal_id"]) if "deal_id" in raw.columns else None
        for item in detail.itertuples(index=False):
            column = item.column if isinstance(item.column, str) else None
            value = raw[column].iat[item.position] if column in raw.columns else None
            value = np.nan if value is pd.NA else value  # an empty cell, as every reader gives it
            deal = None if ids is None else ids.iat[item.position]
            deal = None if pd.isna(deal) else str(deal)
            records.append((label, int(item.row), column, value, item.reason, deal, table))
        if table in DEAL_TABLES and ids is not None:
            bad_deals |= set(ids[mask].dropna())
    known = (
        set(_ids(raw_ws.tables["deals"][0]["deal_id"]).dropna())
        if "deals" in raw_ws.tables
        else set()
    )
    bad_deals &= known  # an unknown deal's rows go alone (they belong to no deal)
    tables = dict(raw_ws.tables)
    for table, (raw, rows, label) in raw_ws.tables.items():
        drop = flagged.get(table, np.zeros(len(raw), dtype=bool))
        follows = np.zeros(len(raw), dtype=bool)
        if table in DEAL_TABLES and "deal_id" in raw.columns and bad_deals:
            follows = _ids(raw["deal_id"]).isin(bad_deals).fillna(False).to_numpy() & ~drop
        if table in flagged and table != "deals" and "deal_id" in raw.columns:
            orphan_ids = set(_ids(raw.loc[drop, "deal_id"]).dropna()) - known
            if orphan_ids:
                same = _ids(raw["deal_id"]).isin(orphan_ids).fillna(False).to_numpy() & ~drop
                records.extend(
                    _followers(raw, rows, label, table, same, "deal_id not found in deals")
                )
                drop = drop | same
        records.extend(_followers(raw, rows, label, table, follows, FOLLOWS_DEAL))
        keep = ~(drop | follows)
        if not keep.all():
            tables[table] = (raw[keep], rows[keep], label)
    removed = pd.DataFrame(records, columns=COLUMNS)
    rest = RawWorkspace(
        raw_ws.config,
        raw_ws.workspace,
        tables,
        list(raw_ws.problems),
        dict(raw_ws.files),
        dict(raw_ws.encodings),
        list(raw_ws.notes),
    )
    return rest, removed


def _followers(
    raw: pd.DataFrame, rows: pd.Series, label: str, table: str, mask: np.ndarray, reason: str
) -> list[tuple]:
    """Records for rows removed along with others (no column or value of their own)."""
    if not mask.any():
        return []
    ids = _ids(raw.loc[mask, "deal_id"]) if "deal_id" in raw.columns else None
    numbers = rows[mask].to_numpy()
    return [
        (label, int(r), None, None, reason, None if ids is None or pd.isna(d) else str(d), table)
        for r, d in zip(numbers, ids if ids is not None else [None] * len(numbers), strict=True)
    ]


def _over_limit(found: Quarantine, raw_ws: RawWorkspace, limit: float) -> Problem | None:
    """The problem heading the list when more was set aside than ``limit`` allows."""
    shares = {"deals": found.share}
    own = found.rows[found.rows["reason"] != FOLLOWS_DEAL]
    for table, (raw, _, _) in raw_ws.tables.items():
        if table in DEAL_TABLES or raw.empty:
            continue
        shares[table] = int((own["table"] == table).sum()) / len(raw)
    table, share = max(shares.items(), key=lambda item: item[1])
    if share <= limit:
        return None
    what = "deals" if table == "deals" else f"{table} rows"
    return Problem(
        file="pilot.yml",
        column="intake.max_quarantined",
        message=f"{share:.2%} of {what} have problems, more than the {limit:.2%} that may be "
        "set aside",
        value=str(limit),
        fix="fix the rows listed below in the export, or raise intake.max_quarantined in "
        "pilot.yml if leaving that many out is acceptable",
    )


def _in_table_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows set aside by table (in the canonical order), then by row number."""
    from playbook.workspace.schema import TABLES

    order = {name: i for i, name in enumerate(TABLES)}
    position = rows["table"].map(order).fillna(len(order))
    ranked = rows.assign(_order=position).sort_values(["_order", "row"], kind="stable")
    return ranked.drop(columns="_order").reset_index(drop=True)


def anonymised_rows(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows set aside as an anonymised run may show them: deal ids as their ``Deal-…``
    pseudonyms; a value kept only in a column that cannot name anyone (dates, amounts,
    statuses, stage names, yes/no), so no name or id of the export is written."""
    from playbook.workspace.privacy import RECORD_LENGTH, pseudonym
    from playbook.workspace.schema import TABLES

    def deal(value: object) -> object:
        return (
            None
            if value is None or pd.isna(value)
            else pseudonym(value, key, prefix="Deal", length=RECORD_LENGTH)
        )

    plain = {
        (table, name)
        for table, specs in TABLES.items()
        for name, spec in specs.items()
        if spec.kind in ("datetime", "number", "int", "bool", "status")
    } | {("stage_events", "stage")}
    keep = [(t, c) in plain for t, c in zip(rows["table"], rows["column"], strict=True)]
    values = rows["value"].where(keep, None)
    is_deal = (rows["column"] == "deal_id").to_numpy()
    values = values.where(~is_deal, rows["deal_id"].map(deal))
    return rows.assign(value=values, deal_id=rows["deal_id"].map(deal))

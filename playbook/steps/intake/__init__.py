"""Step 0, data intake: how good is the data, and how complete are each rep's records?

Pure functions over a validated :class:`~playbook.workspace.dataset.Dataset`'s tables.
Record completeness is a process KPI in its own right: a rep whose deals lack
amounts and reasons cannot be coached on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.stats import wilson_interval
from playbook.steps.prepared import takes_pilot
from playbook.workspace.privacy import pool_small_groups

#: Deal fields whose filling is scored (only those present in the export count).
KEY_FIELDS = ("amount", "segment", "region", "product", "source", "account_id")


@takes_pilot
def deal_completeness(
    deals: pd.DataFrame, stage_events: pd.DataFrame, activities: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per deal: how many of the applicable key fields are filled.

    Applicable: every :data:`KEY_FIELDS` column present in ``deals``; ``lost_reason``
    for lost deals (when the column exists); at least one stage event; at least
    one activity (when the activities table exists).

    Returns
    -------
    DataFrame
        deal_id | owner_id | filled | applicable | completeness
    """
    fields = [c for c in KEY_FIELDS if c in deals.columns]
    filled = deals[fields].notna().sum(axis=1).astype("int64") if fields else 0
    applicable = pd.Series(len(fields), index=deals.index, dtype="int64")
    if "lost_reason" in deals.columns:
        lost = (deals["status"] == "lost").to_numpy()
        applicable = applicable + lost
        filled = filled + (lost & deals["lost_reason"].notna().to_numpy())
    has_events = deals["deal_id"].isin(stage_events["deal_id"]).to_numpy()
    applicable = applicable + 1
    filled = filled + has_events
    if activities is not None:
        applicable = applicable + 1
        filled = filled + deals["deal_id"].isin(activities["deal_id"]).to_numpy()
    out = pd.DataFrame(
        {
            "deal_id": deals["deal_id"].astype(str).to_numpy(),
            "owner_id": deals["owner_id"].astype(str).to_numpy(),
            "filled": np.asarray(filled, dtype="int64"),
            "applicable": applicable.to_numpy(),
        }
    )
    out["completeness"] = out["filled"] / out["applicable"]
    return out


def rep_completeness(per_deal: pd.DataFrame, reps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Record completeness per rep.

    Returns
    -------
    DataFrame
        owner_id | team | deals | filled | applicable | completeness | ci_low | ci_high,
        sorted by completeness (lowest first). The interval is Wilson over fields.
    """
    grouped = per_deal.groupby("owner_id", observed=True).agg(
        deals=("deal_id", "size"), filled=("filled", "sum"), applicable=("applicable", "sum")
    )
    grouped = grouped.reset_index()
    grouped["completeness"] = grouped["filled"] / grouped["applicable"]
    low, high = wilson_interval(grouped["filled"], grouped["applicable"])
    grouped["ci_low"], grouped["ci_high"] = np.asarray(low), np.asarray(high)
    grouped["team"] = team_of(grouped["owner_id"], reps)
    columns = [
        "owner_id",
        "team",
        "deals",
        "filled",
        "applicable",
        "completeness",
        "ci_low",
        "ci_high",
    ]
    return grouped[columns].sort_values(["completeness", "owner_id"]).reset_index(drop=True)


def team_of(owner_ids: pd.Series, reps: pd.DataFrame | None) -> pd.Series:
    """Each owner's team from the reps table ("unknown" when missing or not listed)."""
    if reps is None or "team" not in reps.columns:
        return pd.Series("unknown", index=owner_ids.index)
    mapping = dict(zip(reps["rep_id"].astype(str), reps["team"].astype(object), strict=False))
    return owner_ids.astype(str).map(mapping).fillna("unknown").astype(str)


def team_completeness(
    per_rep: pd.DataFrame, min_group_size: int, other: str = "other teams"
) -> pd.DataFrame:
    """Team averages of record completeness, never over fewer than ``min_group_size`` reps.

    Returns
    -------
    DataFrame
        team | reps | deals | completeness | ci_low | ci_high; teams too small to
        show are pooled into ``other`` (see :func:`pool_small_groups`); a pool that
        still has fewer than ``min_group_size`` reps is left out entirely.
    """
    sizes = per_rep.groupby("team").size()
    mapping = pool_small_groups(sizes, min_group_size, other)
    grouped = (
        per_rep.assign(team=per_rep["team"].map(mapping))
        .groupby("team")
        .agg(
            reps=("owner_id", "size"),
            deals=("deals", "sum"),
            filled=("filled", "sum"),
            applicable=("applicable", "sum"),
        )
    )
    grouped = grouped[grouped["reps"] >= min_group_size].reset_index()
    grouped["completeness"] = grouped["filled"] / grouped["applicable"]
    low, high = wilson_interval(grouped["filled"], grouped["applicable"])
    grouped["ci_low"], grouped["ci_high"] = np.asarray(low), np.asarray(high)
    return grouped[["team", "reps", "deals", "completeness", "ci_low", "ci_high"]]


@takes_pilot
def data_quality(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    language: str = "en",
) -> pd.DataFrame:
    """Problems that do not block analysis but weaken it.

    Returns
    -------
    DataFrame
        table | check | count | total | share — one row per check, including
        checks that found nothing (count 0), so the reader sees what was checked;
        ``check`` says what was checked in ``language``.
    """
    from playbook.i18n import TEXT, t

    rows = []

    def add(table: str, check: str, count: int, total: int, **values: str) -> None:
        rows.append(
            {
                "table": table,
                "check": t(f"dq_{check}", language, **values),
                "count": int(count),
                "total": int(total),
                "share": (count / total) if total else np.nan,
            }
        )

    def name(column: str) -> str:
        key = f"col_{column}"
        return TEXT[key][language] if key in TEXT else column

    n = len(deals)
    for column in deals.columns:
        if column in ("deal_id", "created_at", "owner_id", "status"):
            continue
        missing = deals[column].isna()
        if column == "closed_at":
            missing = missing & (deals["status"] != "open")
        if column == "lost_reason":
            missing = missing & (deals["status"] == "lost")
        add("deals", "missing", missing.sum(), n, column=name(column))
    add(
        "deals",
        "no_stage_event",
        (~deals["deal_id"].isin(stage_events["deal_id"])).sum(),
        n,
    )
    ev = len(stage_events)
    key = stage_events[["deal_id", "stage", "entered_at"]]
    add("stage_events", "duplicate_events", key.duplicated().sum(), ev)
    add(
        "stage_events",
        "same_timestamp",
        (
            stage_events.duplicated(["deal_id", "entered_at"], keep=False)
            & ~key.duplicated(keep=False)
        ).sum(),
        ev,
    )
    if "closed_at" in deals.columns:
        closed = deals.set_index("deal_id")["closed_at"]
        after = stage_events["entered_at"] > stage_events["deal_id"].map(closed)
        add("stage_events", "after_close", after.sum(), ev)
    if activities is not None:
        na = len(activities)
        add(
            "activities",
            "no_actor",
            activities["actor_id"].isna().sum() if "actor_id" in activities else na,
            na,
        )
        add(
            "activities",
            "no_team",
            activities["team"].isna().sum() if "team" in activities else na,
            na,
        )
    return pd.DataFrame(rows, columns=["table", "check", "count", "total", "share"])


def headline_kpis(deals: pd.DataFrame) -> dict[str, dict]:
    """Deals, open deals, win rate of resolved deals (Wilson interval), won revenue,
    median cycle of won deals. Values are plain numbers with their n; won revenue is
    None when no won deal has an amount (unknown, not zero)."""
    resolved = deals["status"].isin(["won", "lost"])
    won = deals["status"] == "won"
    n_resolved = int(resolved.sum())
    n_won = int(won.sum())
    low, high = wilson_interval(np.array([n_won]), np.array([n_resolved]))
    cycle = (deals.loc[won, "closed_at"] - deals.loc[won, "created_at"]).dt.total_seconds() / 86400
    amount = deals["amount"] if "amount" in deals else pd.Series(np.nan, index=deals.index)
    return {
        "deals": {"value": len(deals), "n": len(deals), "unit": "deals"},
        "open_deals": {
            "value": int((deals["status"] == "open").sum()),
            "n": len(deals),
            "unit": "deals",
        },
        "win_rate": {
            "value": n_won / n_resolved if n_resolved else None,
            "n": n_resolved,
            "ci_low": float(low[0]) if n_resolved else None,
            "ci_high": float(high[0]) if n_resolved else None,
            "unit": "share",
        },
        # no amount known for any won deal: revenue is unknown, not zero
        "won_revenue": {
            "value": float(amount[won].sum()) if amount[won].notna().any() else None,
            "n": n_won,
            "unit": "currency",
        },
        "median_cycle_days": {
            "value": float(cycle.median()) if n_won else None,
            "n": n_won,
            "unit": "days",
        },
    }


def rep_view(
    per_rep: pd.DataFrame, min_group_size: int, other: str = "other teams"
) -> pd.DataFrame:
    """Each rep's completeness beside their team's average (pooled like the team view).

    Returns
    -------
    DataFrame
        owner_id | team | deals | completeness | ci_low | ci_high | team_completeness;
        ``team`` is the pooled group shown in the team view, and
        ``team_completeness`` is empty where that group has fewer than
        ``min_group_size`` reps.
    """
    sizes = per_rep.groupby("team").size()
    mapping = pool_small_groups(sizes, min_group_size, other)
    teams = team_completeness(per_rep, min_group_size, other).set_index("team")["completeness"]
    out = per_rep.assign(team=per_rep["team"].map(mapping))
    out["team_completeness"] = out["team"].map(teams)
    return out[
        ["owner_id", "team", "deals", "completeness", "ci_low", "ci_high", "team_completeness"]
    ]


def inventory_notes(notes: list[str], present: list[str], purposes: dict[str, str]) -> list[str]:
    """Sentences for the intake page: loader notes, then what missing tables prevent."""
    missing = [f"{table}: {purpose}" for table, purpose in purposes.items() if table not in present]
    return list(notes) + missing

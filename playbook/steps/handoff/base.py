"""Shared pieces of the handoff step: activity types, the analysis date, teams, and small
array helpers used by :mod:`playbook.steps.handoff`, :mod:`playbook.steps.handoff.sla` and
:mod:`playbook.steps.handoff.customer_success`."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.steps.intake.headline import data_as_of
from playbook.steps.journey import WON, JourneyData, aggregate
from playbook.steps.journey.events import _require as _require
from playbook.workspace.calendar import NAT
from playbook.workspace.config import PilotConfig
from playbook.workspace.privacy import people_groups

logger = logging.getLogger(__name__)

#: Activity types that are a real conversation with the lead.
CONTACT_TYPES = ("call", "meeting", "demo")
#: Activity types that are an attempt to reach the lead (not a contact).
ATTEMPT_TYPES = ("call_attempt",)
#: Activity types that mark the customer-success kick-off after a signature.
KICKOFF_TYPES = ("kickoff",)
SLOW_DIMENSIONS = ("team", "source", "owner_id")
SLEEP_DIMENSIONS = ("team", "owner_id")
#: Slice dimensions that are people (compared on like deals when a model is given).
PEOPLE_DIMENSIONS = ("team", "owner_id")
RESPONSE_DIMENSIONS = ("team", "source", "month")
CS_METRICS = (
    "days_to_kickoff",
    "days_to_go_live",
    "cs_before_signature",
    "delay_rate",
    "complaint_rate",
    "renewal_rate",
    "upsell_rate",
    "days_to_first_upsell",
)
_BIG = np.iinfo(np.int64).max
_SPECIAL_EVENTS = ("created", "won", "closed")


# --- small helpers ---------------------------------------------------------------------------


def _t(key: str, language: str, **values) -> str:
    from playbook.i18n import t

    return t(key, language, **values)


def _dimension_label(dim: str, language: str) -> str:
    from playbook.i18n import TEXT

    key = f"handoff_dim_{dim}"
    return TEXT[key][language] if key in TEXT else dim


def _language(language: str | None, config: PilotConfig) -> str:
    language = language or config.language
    if language not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh'; got {language!r}")
    return language


def _dt(ns: np.ndarray) -> np.ndarray:
    return np.asarray(ns, dtype=np.int64).view("datetime64[ns]")


def _type_in(values: pd.Series, types: Sequence[str]) -> np.ndarray:
    """Case-insensitive membership of activity types (fast on categoricals)."""
    wanted = [str(x).strip().lower() for x in types]
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = pd.Index(values.cat.categories).astype(str).str.strip().str.lower()
        hit = np.r_[np.isin(cats, wanted), False]
        return hit[values.cat.codes.to_numpy()]
    return values.astype("string").str.strip().str.lower().isin(wanted).fillna(False).to_numpy()


def _deal_rows(deal_ids: pd.Series, keys: pd.Series) -> np.ndarray:
    """Row of each key in ``deal_ids`` (-1 when unknown)."""
    index = pd.Index(np.asarray(deal_ids, dtype=object))
    return index.get_indexer(np.asarray(keys, dtype=object))


def _first(idx: np.ndarray, t: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, _BIG, dtype=np.int64)
    np.minimum.at(out, idx, t)
    return out


def _last(idx: np.ndarray, t: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, NAT, dtype=np.int64)
    np.maximum.at(out, idx, t)
    return out


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Group codes (-1 for missing) and sorted uniques of a column."""
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def _pct(x: float) -> str:
    if x is None or np.isnan(x):
        return "–"
    return f"{100 * x:.1f}%" if 0 < x < 0.01 else f"{100 * x:.0f}%"


def _num(x: float) -> str:
    if x is None or np.isnan(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 10 or float(x).is_integer() else f"{x:.1f}"


def _status(deals: pd.DataFrame) -> np.ndarray:
    """0 open, 1 won, 2 lost."""
    s = deals["status"].astype("string").str.lower().to_numpy()
    return np.select([s == "won", s == "lost"], [1, 2], 0).astype(np.int8)


def analysis_date(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame | None,
    activities: pd.DataFrame | None = None,
) -> pd.Timestamp:
    """The latest timestamp in deals (created, closed), stage events and activities (each
    of the last two when given): the one rule of
    :func:`playbook.steps.intake.headline.data_as_of`, under the name the handoff step uses.

    Raises
    ------
    ValueError
        When the frames hold no timestamp at all.
    """
    return data_as_of(deals, stage_events, activities)


def deal_teams(
    owner_ids: pd.Series,
    reps: pd.DataFrame | None,
    min_group_size: int = 1,
    other: str = "other teams",
) -> pd.Series:
    """The owner's team for each deal, as a view of people may show it.

    A team's size is the number of its reps who own one of these deals (the people
    behind its figures), not how many ``reps`` lists; teams under ``min_group_size`` are
    pooled into ``other`` with complementary suppression
    (:func:`playbook.workspace.privacy.people_groups`).

    Returns
    -------
    Series
        Team name (``other`` for pooled teams; missing when the owner is not in ``reps``,
        ``reps`` has no team column, or even the pool is too small to show), same index as
        ``owner_ids``.
    """
    if reps is None or "team" not in reps.columns or "rep_id" not in reps.columns:
        return pd.Series(pd.NA, index=owner_ids.index, dtype="object")
    known = reps.dropna(subset=["team"])
    team_of = dict(zip(known["rep_id"].astype(str), known["team"].astype(str), strict=False))
    codes, uniques = pd.factorize(owner_ids, use_na_sentinel=True)
    owners = pd.Series(pd.Index(uniques).astype(str), dtype=object)
    teams = people_groups(owners.map(team_of), owners, min_group_size, other)
    per_owner = np.append(teams.to_numpy(dtype=object), None)
    return pd.Series(per_owner[codes], index=owner_ids.index, dtype="object")


def safe_teams(
    frame: pd.DataFrame, min_group_size: int, other: str, *, within: str | None = None
) -> pd.DataFrame:
    """``frame`` with its ``team`` recounted over the owners of its own rows.

    A subset of deals (the open ones, those an SLA applies to) may involve fewer of a
    team's people than all its deals: each team view is pooled and suppressed by the
    people behind it (:func:`playbook.workspace.privacy.people_groups`, per ``within`` stratum).
    """
    if not len(frame) or not {"team", "owner_id"} <= set(frame.columns):
        return frame
    strata = frame[within] if within else None
    team = people_groups(frame["team"], frame["owner_id"], min_group_size, other, within=strata)
    return frame.assign(team=pd.Categorical(team.to_numpy(dtype=object)))


def _sales_mask(activities: pd.DataFrame, reps: pd.DataFrame | None) -> np.ndarray:
    """Activities done by sales: team == sales; missing team -> actor is a known rep."""
    n = len(activities)
    if "team" in activities.columns:
        team = activities["team"]
        sales = _type_in(team, ["sales"])
        unknown = team.isna().to_numpy()
    else:
        sales = np.zeros(n, dtype=bool)
        unknown = np.ones(n, dtype=bool)
    if unknown.any():
        if reps is not None and "actor_id" in activities.columns:
            ids = pd.Index(reps["rep_id"].astype(str))
            is_rep = ids.get_indexer(activities["actor_id"].astype(str)) >= 0
            sales = sales | (unknown & is_rep)
        else:
            sales = sales | unknown
    return sales


def _aligned(contacts: pd.DataFrame, j: JourneyData) -> None:
    if len(contacts) != j.n_deals or not np.array_equal(
        contacts["deal_id"].to_numpy(), j.deals["deal_id"].to_numpy()
    ):
        raise ValueError(
            "contacts must be built on journey.deals (same deals, same order): "
            "call first_contacts(journey.deals, ...)"
        )


def _downstream(j: JourneyData) -> tuple[float, float]:
    """P(won | advanced past the first stage) and the average won amount (1 when unknown)."""
    comp = aggregate(j, dwell=False)
    K = j.n_stages
    adv = comp["advanced"].to_numpy(dtype=float)[: K - 1]
    n = comp["mature_n"].to_numpy(dtype=float)[: K - 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(n > 0, adv / n, np.nan)
    down = float(np.prod(rates[1:])) if K > 2 else 1.0
    amounts = (
        j.deals["amount"].to_numpy(dtype=float)[j.status == WON]
        if "amount" in j.deals
        else np.array([])
    )
    amounts = amounts[~np.isnan(amounts)]
    return down, float(amounts.mean()) if len(amounts) else 1.0

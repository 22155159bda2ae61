"""Privacy: keyed pseudonyms for people, deals and accounts, and small-group suppression.

``pseudonym("R001", key)`` is ``Rep-`` plus the first hex digits of
HMAC-SHA256(key, "R001"): the same id and key always give the same pseudonym (so
reports of one workspace can be compared), a different key gives unrelated ones,
and without the key the pseudonyms cannot be linked back to ids by hashing
guessed ids. The key is a per-workspace secret held by the runner; it must never
be written into a report. Deal and account ids get ``Deal-``/``Acct-`` pseudonyms
the same way, so alerts still point to a deal that the key's holder can look up
(:func:`lookup_table`).

People views never show a figure over fewer than ``min_group_size`` people:
:func:`pool_small_groups` and :func:`people_groups` pool small groups with
complementary suppression, so a hidden group cannot be recovered from a total.

All functions are pure: they never read or write files and never change their
inputs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from playbook.workspace.config import PilotConfig

__all__ = [
    "PEOPLE_COLUMNS",
    "RECORD_COLUMNS",
    "ROLE_WORDS",
    "new_key",
    "pseudonym",
    "pseudonym_map",
    "pseudonymise",
    "anonymise_tables",
    "anonymise_config",
    "lookup_table",
    "pool_small_groups",
    "people_groups",
]

#: Columns of the canonical tables that identify people (rep ids, actor ids, names).
PEOPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "deals": ("owner_id",),
    "stage_events": ("owner_id",),
    "activities": ("actor_id",),
    "reps": ("rep_id", "name"),
    "assessments": ("rep_id",),
    "content": ("owner",),
}
#: People columns that may name staff other than reps (``Staff-…`` unless a rep id).
STAFF_COLUMNS = ("actor_id", "owner")
#: Assessor values that name a role, not a person: kept as they are.
ROLE_WORDS = frozenset(
    w.casefold()
    for w in (
        "manager",
        "supervisor",
        "line manager",
        "self",
        "peer",
        "customer",
        "hr",
        "coach",
        "经理",
        "主管",
        "上级",
        "领导",
        "自评",
        "本人",
        "同事",
        "客户",
    )
)
#: Columns that identify deals and accounts (customers), with their pseudonym prefix.
RECORD_COLUMNS: dict[str, dict[str, str]] = {
    "deals": {"deal_id": "Deal", "account_id": "Acct"},
    "stage_events": {"deal_id": "Deal"},
    "activities": {"deal_id": "Deal"},
    "outcomes": {"deal_id": "Deal"},
}
#: Hex digits of a deal or account pseudonym: a million deals share none by chance
#: (about 2 in 1,000 runs would, and then every pseudonym of the run grows a digit).
RECORD_LENGTH = 12
#: Extra (non-canonical) columns whose name says they hold an identifier or a name,
#: e.g. ``contact_name``, ``csm_id``, ``email``: pseudonymised as ``Id-…``.
EXTRA_IDENTIFIER = re.compile(
    r"(^|_)(id|name|email|e_mail|mail|phone|mobile|tel|wechat|contact|person)$"
)
MIN_LENGTH = 6
MAX_LENGTH = 64


def new_key() -> str:
    """A fresh random secret (64 hex digits) for a workspace."""
    return secrets.token_hex(32)


def _key_bytes(key: str | bytes) -> bytes:
    if isinstance(key, bytes):
        data = key
    elif isinstance(key, str):
        data = key.encode("utf-8")
    else:
        raise TypeError(f"key must be str or bytes; got {type(key).__name__}")
    if not data:
        raise ValueError("key must not be empty: use privacy.new_key() for a workspace secret")
    return data


def _digest(value: str, key: bytes) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonym(value: object, key: str | bytes, *, prefix: str = "Rep", length: int = 6) -> str:
    """The pseudonym of one value: ``f"{prefix}-{hmac_sha256(key, str(value))[:length]}"``.

    Raises
    ------
    ValueError
        When ``key`` is empty or ``length`` is outside 6..64.
    """
    if not MIN_LENGTH <= int(length) <= MAX_LENGTH:
        raise ValueError(f"length must be between {MIN_LENGTH} and {MAX_LENGTH}; got {length!r}")
    return f"{prefix}-{_digest(str(value), _key_bytes(key))[: int(length)]}"


def pseudonym_map(
    values: Iterable[object],
    key: str | bytes,
    *,
    prefix: str | Mapping[str, str] = "Rep",
    length: int = 6,
) -> dict[str, str]:
    """Pseudonyms of many values, collision-free.

    When two distinct values would share a pseudonym, every pseudonym of the map
    gets longer (one hex digit at a time) until none do, so the map is always
    one-to-one. Missing values are left out.

    Parameters
    ----------
    values : iterable
        The values (compared as text).
    key : str or bytes
        The workspace secret.
    prefix : str or mapping
        The pseudonym prefix, or value -> prefix (values not in the mapping get
        ``"Rep"``), e.g. ``Staff`` for non-sales actors.
    length : int
        Hex digits to start with (6 gives ``Rep-3fa2c1``).

    Returns
    -------
    dict
        value (as text) -> pseudonym.
    """
    k = _key_bytes(key)
    unique = sorted({str(v) for v in values if v is not None and not _isna(v)})
    digests = {v: _digest(v, k) for v in unique}

    def head(v: str) -> str:
        return prefix.get(v, "Rep") if isinstance(prefix, Mapping) else prefix

    size = int(length)
    if not MIN_LENGTH <= size <= MAX_LENGTH:
        raise ValueError(f"length must be between {MIN_LENGTH} and {MAX_LENGTH}; got {length!r}")
    while True:
        out = {v: f"{head(v)}-{digests[v][:size]}" for v in unique}
        if len(set(out.values())) == len(out) or size >= MAX_LENGTH:
            return out
        size += 1


def _isna(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def pseudonymise(
    frame: pd.DataFrame,
    columns: Iterable[str],
    key: str | bytes,
    *,
    prefix: str = "Rep",
    length: int = 6,
    mapping: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with the values of ``columns`` replaced by pseudonyms.

    Missing values stay missing; categorical columns stay categorical (only their
    categories are mapped, which is fast on large tables).

    Parameters
    ----------
    frame : DataFrame
    columns : iterable of str
        Columns to replace; a column not in ``frame`` is an error.
    key : str or bytes
        The workspace secret.
    prefix, length
        See :func:`pseudonym_map`.
    mapping : mapping, optional
        A ready map (from :func:`pseudonym_map` over every table), so the same person
        gets the same pseudonym everywhere; values not in it are mapped afresh.

    Returns
    -------
    DataFrame

    Raises
    ------
    KeyError
        Naming the missing column(s) and the columns available.
    """
    columns = list(columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(
            f"columns {', '.join(missing)} not in the frame; it has "
            f"{', '.join(map(str, frame.columns))}"
        )
    out = frame.copy()
    for column in columns:
        series = out[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            cats = [str(c) for c in series.cat.categories]
        else:
            cats = series.dropna().astype(str).unique().tolist()
        known = dict(mapping or {})
        fresh = [c for c in cats if c not in known]
        if fresh:
            extra = pseudonym_map(fresh, key, prefix=prefix, length=length)
            known.update({c: extra[c] for c in fresh})
        if isinstance(series.dtype, pd.CategoricalDtype):
            new = [known[c] for c in cats]
            if len(set(new)) == len(new):
                out[column] = series.cat.rename_categories(new)
            else:  # two categories merged by a shared pseudonym: rebuild
                out[column] = (
                    series.astype(object)
                    .map(lambda v, m=known: m[str(v)] if not _isna(v) else v)
                    .astype("category")
                )
        else:
            codes, uniques = pd.factorize(series)
            renamed = np.asarray([known[str(u)] for u in uniques] + [None], dtype=object)
            values = renamed[np.where(codes >= 0, codes, len(uniques))]
            out[column] = pd.Series(values, index=series.index, dtype=object).where(
                codes >= 0, series
            )
    return out


def _assessor_key(value: object) -> str:
    """An assessor's name as compared by the capability step: spaces collapsed, any case."""
    return " ".join(str(value).split()).casefold()


def _distinct(frame: pd.DataFrame | None, column: str) -> set[str]:
    if frame is None or column not in frame.columns:
        return set()
    return {str(v) for v in pd.unique(frame[column].dropna())}


def _is_role(value: object) -> bool:
    return _assessor_key(value) in ROLE_WORDS


def people_map(
    tables: Mapping[str, pd.DataFrame | None], key: str | bytes, *, length: int = 6
) -> dict[str, str]:
    """Every person's id (and named assessor) -> pseudonym, one map for all tables.

    Rep ids (``reps.rep_id``, ``deals.owner_id``, ``stage_events.owner_id``,
    ``assessments.rep_id``, individual ``targets.unit``) map to ``Rep-…``; other actors,
    content owners (``content.owner``) and named assessors to ``Staff-…``. A named assessor
    is keyed by its name with spaces collapsed and in lower case (``"Ms  Chen"`` and
    ``"ms chen"`` are one person), or by the rep id it names. Role words
    (:data:`ROLE_WORDS`) are not people and stay out.
    """
    reps: set[str] = set()
    others: set[str] = set()
    for table, cols in PEOPLE_COLUMNS.items():
        for col in cols:
            if col != "name":
                (others if col in STAFF_COLUMNS else reps).update(_distinct(tables.get(table), col))
    reps |= _individual_targets(tables.get("targets"))
    assessors = {
        v.strip() if v.strip() in reps else _assessor_key(v)
        for v in _distinct(tables.get("assessments"), "assessor")
        if not _is_role(v)
    }
    others = (others | assessors) - reps
    prefixes = {v: "Rep" for v in reps} | {v: "Staff" for v in others}
    return pseudonym_map(prefixes, key, prefix=prefixes, length=length)


def _individual_targets(targets: pd.DataFrame | None) -> set[str]:
    if targets is None or not {"level", "unit"} <= set(targets.columns):
        return set()
    individual = targets["level"].astype(str).str.strip().str.casefold() == "individual"
    return {str(v) for v in pd.unique(targets.loc[individual, "unit"].dropna())}


def record_maps(
    tables: Mapping[str, pd.DataFrame | None], key: str | bytes, *, length: int = RECORD_LENGTH
) -> dict[str, dict[str, str]]:
    """Deal and account ids -> ``Deal-…`` / ``Acct-…`` pseudonyms (column -> map).

    One map per column over every table that holds it, so events, activities and
    outcomes still join their deal.
    """
    values: dict[str, set[str]] = {}
    prefix: dict[str, str] = {}
    for table, cols in RECORD_COLUMNS.items():
        for col, head in cols.items():
            values.setdefault(col, set()).update(_distinct(tables.get(table), col))
            prefix[col] = head
    return {
        col: pseudonym_map(vals, key, prefix=prefix[col], length=length)
        for col, vals in values.items()
    }


def _extra_identifiers(table: str, frame: pd.DataFrame) -> list[str]:
    """Columns outside the canonical table whose name says they identify someone."""
    from playbook.workspace.schema import TABLES

    canonical = set(TABLES.get(table, {})) | {"stage_raw"}
    return [
        str(c)
        for c in frame.columns
        if str(c) not in canonical and EXTRA_IDENTIFIER.search(str(c).casefold())
    ]


def anonymise_tables(
    tables: Mapping[str, pd.DataFrame | None],
    key: str | bytes,
    *,
    length: int = 6,
) -> dict[str, pd.DataFrame | None]:
    """Pseudonymise every identifier of the canonical tables, consistently.

    People (:func:`people_map`): rep ids become ``Rep-…``, other actors ``Staff-…``; a
    rep's ``name`` becomes the pseudonym of their id, so names disappear; an
    ``assessments.assessor`` that is not a role word (:data:`ROLE_WORDS`, e.g. "manager",
    "self") is a person and becomes ``Staff-…`` (or the rep's pseudonym when it is a rep
    id); individual ``targets.unit`` values are rep ids. Deals and accounts
    (:func:`record_maps`): ``deal_id`` in every table and ``deals.account_id`` become
    ``Deal-…`` / ``Acct-…``. Extra columns named like an identifier (``contact_name``,
    ``email``, ``csm_id``: :data:`EXTRA_IDENTIFIER`) become ``Id-…``. Each map is built
    over all tables, so an id has the same pseudonym everywhere and joins still hold.

    Parameters
    ----------
    tables : mapping
        Table name -> frame (None for a missing table), as in
        :class:`playbook.workspace.dataset.Dataset`.
    key : str or bytes
        The workspace secret (never written to a report).

    Returns
    -------
    dict
        The same tables, identifier columns replaced; other columns unchanged.
    """
    people = people_map(tables, key, length=length)
    records = record_maps(tables, key)
    out: dict[str, pd.DataFrame | None] = dict(tables)
    for table, frame in tables.items():
        if frame is None:
            continue
        new = frame
        present = [c for c in PEOPLE_COLUMNS.get(table, ()) if c in frame.columns and c != "name"]
        if present:
            new = pseudonymise(new, present, key, length=length, mapping=people)
        for col, head in RECORD_COLUMNS.get(table, {}).items():
            if col in new.columns:
                new = pseudonymise(new, [col], key, prefix=head, mapping=records[col])
        extra = _extra_identifiers(table, frame)
        if extra:
            new = pseudonymise(new, extra, key, prefix="Id", length=8)
        if table == "reps" and "name" in frame.columns and "rep_id" in new.columns:
            new = new.assign(name=new["rep_id"])
        if table == "assessments" and "assessor" in frame.columns:
            new = new.assign(assessor=_assessor_pseudonyms(frame["assessor"], people))
        if table == "targets" and {"level", "unit"} <= set(frame.columns):
            new = new.assign(unit=_target_units(frame, people))
        out[table] = new
    return out


def _assessor_pseudonyms(raw: pd.Series, people: Mapping[str, str]) -> pd.Series:
    def one(value: object) -> object:
        if _isna(value) or _is_role(value):
            return value
        text = str(value).strip()
        return people.get(text) or people[_assessor_key(value)]

    return raw.astype(object).map(one)


def _target_units(targets: pd.DataFrame, people: Mapping[str, str]) -> pd.Series:
    individual = targets["level"].astype(str).str.strip().str.casefold() == "individual"
    unit = targets["unit"].astype(object)
    return unit.where(~individual | unit.isna(), unit.astype(str).map(people))


def assessor_pseudonym(
    setting: str, people: Mapping[str, str], key: str | bytes, *, length: int = 6
) -> str:
    """The ``capability.assessor`` setting as it reads in anonymised data.

    "manager", "mean" and role words stay; a person's name (or rep id) becomes the
    pseudonym its scores carry, so the capability step still selects that person's
    scores; a name that gave no score still becomes a pseudonym (the error then names
    no one).
    """
    text = str(setting).strip()
    if not text or text.casefold() == "mean" or _is_role(text):
        return setting
    if text in people:
        return people[text]
    return people.get(_assessor_key(text)) or pseudonym(
        _assessor_key(text), key, prefix="Staff", length=length
    )


def anonymise_config(
    config: PilotConfig, people: Mapping[str, str], key: str | bytes, *, length: int = 6
) -> PilotConfig:
    """A copy of ``config`` whose people (pilot reps, the named assessor) are pseudonyms.

    Parameters
    ----------
    config : PilotConfig
    people : mapping
        :func:`people_map` of the same data, so names map as in the tables.
    key : str or bytes
        The workspace secret.

    Returns
    -------
    PilotConfig
        A deep copy; ``config`` is unchanged.
    """
    out = config.model_copy(deep=True)

    def rep(value: str) -> str:
        return people.get(str(value)) or pseudonym(value, key, prefix="Rep", length=length)

    out.pilot.reps = [rep(r) for r in out.pilot.reps]
    out.pilot.control_reps = [rep(r) for r in out.pilot.control_reps]
    out.capability.assessor = assessor_pseudonym(
        out.capability.assessor, people, key, length=length
    )
    return out


def lookup_table(
    tables: Mapping[str, pd.DataFrame | None], key: str | bytes, *, length: int = 6
) -> pd.DataFrame:
    """Every pseudonym of an anonymised run beside the id it stands for.

    For the key's holder only (it holds the real ids): join a report's ``alerts.csv`` or
    tables on ``pseudonym`` to find the deal, account or person.

    Returns
    -------
    DataFrame
        ``kind | id | pseudonym``, kind ``deal``, ``account`` or ``person``, sorted.
    """
    records = record_maps(tables, key)
    maps = {
        "deal": records.get("deal_id", {}),
        "account": records.get("account_id", {}),
        "person": people_map(tables, key, length=length),
    }
    frames = [
        pd.DataFrame({"kind": kind, "id": list(m), "pseudonym": list(m.values())}, dtype=object)
        for kind, m in maps.items()
    ]
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["kind", "id"], kind="stable").reset_index(drop=True)


# --- small groups -------------------------------------------------------------------------------


def pool_small_groups(sizes: pd.Series, min_size: int, other: str) -> dict[str, str]:
    """Map each group to itself, or to ``other`` when it is too small to show.

    Groups under ``min_size`` people are pooled into ``other``. When the pool is
    itself non-empty but still under ``min_size``, the smallest shown group is
    pooled too (complementary suppression), so no hidden group can be recovered
    by subtracting the shown ones from a total.
    """
    order = sizes.sort_values(kind="stable")
    pooled = [g for g, n in order.items() if n < min_size]
    shown = [g for g in order.index if g not in pooled]
    while pooled and sum(sizes[g] for g in pooled) < min_size and shown:
        pooled.append(shown.pop(0))
    return {g: (other if g in pooled else g) for g in sizes.index}


_NO_GROUP = "\x00no group"


def people_groups(
    groups: pd.Series,
    people: pd.Series,
    min_group_size: int,
    other: str,
    *,
    within: pd.Series | None = None,
) -> pd.Series:
    """The group each row may be shown under in a view of people, or NA.

    The size of a group is the number of distinct people behind its rows (not the
    people listed for it elsewhere). Groups under ``min_group_size`` are pooled into
    ``other`` with complementary suppression (:func:`pool_small_groups`); rows without a
    group count as one more hidden group, so that a total minus the shown groups never
    isolates fewer people than that (when they are too few, they join ``other``). A
    pool that is still too small is suppressed: its rows get NA and enter no group
    figure.

    Parameters
    ----------
    groups : Series
        The group of each row (e.g. a deal's team); missing = no group.
    people : Series
        The person behind each row (e.g. the deal's owner), same index.
    min_group_size : int
        The fewest people a shown group may describe.
    other : str
        Name of the pool.
    within : Series, optional
        Strata counted separately (e.g. the SLA of each row), same index.

    Returns
    -------
    Series
        Object dtype, same index: the group, ``other``, or NA.
    """
    if within is not None:
        out = pd.Series(None, index=groups.index, dtype=object)
        for _, rows in groups.groupby(within.to_numpy(), sort=False, observed=True).groups.items():
            out.loc[rows] = people_groups(
                groups.loc[rows], people.loc[rows], min_group_size, other
            ).to_numpy()
        return out
    label = groups.astype(object).where(groups.notna(), _NO_GROUP)
    frame = pd.DataFrame({"group": label.astype(str).to_numpy(), "person": people.to_numpy()})
    sizes = frame.dropna(subset=["person"]).groupby("group")["person"].nunique()
    sizes = sizes.reindex(pd.unique(frame["group"]), fill_value=0)
    mapping = pool_small_groups(sizes, min_group_size, other)
    pool = [g for g, to in mapping.items() if to == other]
    if sum(int(sizes[g]) for g in pool) < min_group_size:
        mapping.update({g: _NO_GROUP for g in pool})
    shown = frame["group"].map(mapping)
    return pd.Series(shown.where(shown != _NO_GROUP).to_numpy(dtype=object), index=groups.index)

"""Pseudonyms for people: stable, keyed, and the same in every table of a run.

``pseudonym("R001", key)`` is ``Rep-`` plus the first hex digits of
HMAC-SHA256(key, "R001"): the same id and key always give the same pseudonym (so
reports of one workspace can be compared), a different key gives unrelated ones,
and without the key the pseudonyms cannot be linked back to ids by hashing
guessed ids. The key is a per-workspace secret held by the runner; it must never
be written into a report.

All functions are pure: they never read or write files and never change their
inputs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "PEOPLE_COLUMNS",
    "ROLE_WORDS",
    "new_key",
    "pseudonym",
    "pseudonym_map",
    "pseudonymise",
    "anonymise_tables",
]

#: Columns of the canonical tables that identify people (rep ids, actor ids, names).
PEOPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "deals": ("owner_id",),
    "stage_events": ("owner_id",),
    "activities": ("actor_id",),
    "reps": ("rep_id", "name"),
    "assessments": ("rep_id",),
}
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


def anonymise_tables(
    tables: Mapping[str, pd.DataFrame | None],
    key: str | bytes,
    *,
    length: int = 6,
) -> dict[str, pd.DataFrame | None]:
    """Pseudonymise every people column of the canonical tables, consistently.

    Rep ids (``reps.rep_id``, ``deals.owner_id``, ``stage_events.owner_id``,
    ``assessments.rep_id`` and actors who are reps) become ``Rep-…``; other actors
    (marketing, customer success …) become ``Staff-…``; a rep's ``name`` becomes the
    pseudonym of their id, so names disappear; an ``assessments.assessor`` that is not a
    role word (:data:`ROLE_WORDS`, e.g. "manager", "self") is a person and becomes
    ``Staff-…``. One map is built over all tables, so a person has the same pseudonym
    everywhere.

    Parameters
    ----------
    tables : mapping
        Table name -> frame (None for a missing table), as in :class:`playbook.load.Dataset`.
    key : str or bytes
        The workspace secret (never written to a report).

    Returns
    -------
    dict
        The same tables, people columns replaced; other tables and columns unchanged.
    """
    reps = set()
    others = set()
    for table, cols in PEOPLE_COLUMNS.items():
        frame = tables.get(table)
        if frame is None:
            continue
        for col in cols:
            if col not in frame.columns or col == "name":
                continue
            values = {str(v) for v in frame[col].dropna().unique()}
            (others if col == "actor_id" else reps).update(values)
    assessments = tables.get("assessments")
    assessors: set[str] = set()
    if assessments is not None and "assessor" in assessments.columns:
        assessors = {
            str(v)
            for v in assessments["assessor"].dropna().unique()
            if str(v).strip().casefold() not in ROLE_WORDS
        }
    others = (others | assessors) - reps
    prefixes = {v: "Rep" for v in reps} | {v: "Staff" for v in others}
    mapping = pseudonym_map(prefixes, key, prefix=prefixes, length=length)
    out: dict[str, pd.DataFrame | None] = dict(tables)
    for table, cols in PEOPLE_COLUMNS.items():
        frame = tables.get(table)
        if frame is None:
            continue
        present = [c for c in cols if c in frame.columns and c != "name"]
        new = pseudonymise(frame, present, key, length=length, mapping=mapping)
        if "name" in frame.columns and "rep_id" in new.columns:
            new["name"] = new["rep_id"]
        if table == "assessments" and "assessor" in frame.columns and assessors:
            raw = frame["assessor"]
            named = raw.notna() & raw.astype(str).isin(assessors)
            new["assessor"] = raw.astype(object).where(~named, raw.astype(str).map(mapping))
        out[table] = new
    return out

"""Lead scoring inputs: what kind of values an extra deal column holds, and the feature matrix.

Extra deal columns arrive as text (the loader does not know them), so ``age`` or an interest
rate would look like a text column with hundreds of "categories". :func:`column_type` reads
them as numbers when every filled value parses with the same parser as amounts
(:func:`playbook.workspace.schema.parse_numbers`); a numeric column is a continuous feature whatever
its number of distinct values. Identifiers are recognised by being (nearly) unique per deal,
and, for numbers, by a name that says so (``Lead Number``, ``customer_id``), not by how many
distinct values a column has.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from playbook.workspace.schema import is_missing, parse_numbers

ColumnType = Literal["date", "numeric", "category", "empty"]

#: Activity features, counted up to the snapshot (``early_days`` after creation).
ACTIVITY_FEATURES = (
    "touches_before",
    "sales_touches",
    "meetings",
    "contacted",
    "hours_to_contact",
)
#: Activity types that count as a real contact (not attempts or emails).
CONTACT_TYPES = ("call", "meeting", "demo")
MEETING_TYPES = ("meeting", "demo")
#: Name words of columns that identify a record rather than describe it.
IDENTIFIER_WORDS = frozenset(
    {"id", "ids", "uuid", "guid", "key", "number", "no", "code", "ref", "reference", "email"}
    | {"phone", "mobile", "name"}
)
MISSING = "(missing)"
#: Share of distinct values among filled ones from which a column identifies its rows.
UNIQUE_SHARE = 0.9
#: Text columns with more distinct values than this are too fragmented to learn from.
MAX_LEVELS = 50
#: :func:`column_type` parses this many distinct values before the others.
PARSE_FIRST = 1000


def name_words(name: str) -> set[str]:
    """The lower-case words of a column name (``Lead Number``, ``callDuration``, ``t_id``)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return {w for w in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if w}


def column_type(values: pd.Series) -> ColumnType:
    """What a deal column holds: dates, numbers (typed or as parseable text), categories.

    Text whose every filled value parses as a number (``1,234.5``, ``¥300``, ``-36.4``)
    is numeric; a column with no filled value is ``"empty"``; booleans are categories.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_bool_dtype(values):
        return "category"
    if pd.api.types.is_numeric_dtype(values):
        return "numeric" if values.notna().any() else "empty"
    text = distinct_texts(values.astype(object))
    filled = text[~is_missing(text)]
    if not len(filled):
        return "empty"
    # a text column usually fails on its first values: parse a few before all the others
    head, rest = filled.iloc[:PARSE_FIRST], filled.iloc[PARSE_FIRST:]
    if parse_numbers(head)[1].any() or (len(rest) and parse_numbers(rest)[1].any()):
        return "category"
    return "numeric"


def distinct_texts(text: pd.Series) -> pd.Series:
    """Each distinct value of a text column once, when every value is a string or missing.

    Whether values are missing or parse as numbers is decided value by value, so asking
    it of the distinct values gives the same answer as asking it of every row, at the cost
    of a hash pass (a deal column of 200,000 rows usually holds a handful of values).
    Columns holding other objects are returned whole: there ``1``, ``1.0`` and ``True``
    would count as one value yet read differently.
    """
    if pd.api.types.infer_dtype(text, skipna=True) not in ("string", "empty"):
        return text
    return pd.Series(pd.unique(text.to_numpy()), dtype=object)


def count_distinct(values: pd.Series) -> int:
    """How many distinct values a column holds, each read as its text (``1`` and ``"1"``
    are one value); a column of strings is counted as it is, without a copy as text."""
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return int(values.nunique())
    return int(values.astype(str).nunique())


def numeric_values(values: pd.Series) -> pd.Series:
    """A numeric column as floats (missing: NaN), whether typed or written as text."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return pd.to_numeric(values, errors="coerce").astype(float)
    parsed, _ = parse_numbers(values.astype(object))
    return parsed.astype(float)


def filled_mask(values: pd.Series) -> pd.Series:
    """True where a value is present (not NA, not blank, not a missing token such as 'N/A')."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values.notna()
    return ~is_missing(values.astype(object))


def identifies_rows(name: str, values: pd.Series, kind: ColumnType) -> bool:
    """Whether a column names its deal rather than describes it.

    Text: (nearly) one value per deal. Numbers: (nearly) one value per deal *and* a name
    that says it is an identifier; a continuous measure such as time on site is often
    unique too, and stays a feature.
    """
    filled = values[filled_mask(values)]
    if len(filled) < 20:
        return False
    unique_share = count_distinct(filled) / len(filled)
    if unique_share < UNIQUE_SHARE:
        return False
    return kind != "numeric" or bool(name_words(name) & IDENTIFIER_WORDS)


def build_features(
    deals: pd.DataFrame,
    activities: pd.DataFrame | None,
    columns: Sequence[str],
    *,
    early_days: float,
    as_of: pd.Timestamp,
    numeric: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The feature matrix: deal columns as of creation plus activity counts up to the snapshot.

    The snapshot of a deal is ``min(created_at + early_days, as_of)``; only activities
    at or before it count. Categories become strings (missing: ``"(missing)"``).

    Parameters
    ----------
    columns : deal columns to take (as approved by the feature audit).
    activities : canonical activities, or None (no activity features).
    numeric : the columns to read as numbers (default: as :func:`column_type` says);
        a fitted model passes the types it was trained with.

    Returns
    -------
    DataFrame
        ``columns`` then :data:`ACTIVITY_FEATURES` (when activities are given), one row per
        deal in the order of ``deals`` (index reset). ``hours_to_contact`` is the hours to
        the first real sales contact (:data:`CONTACT_TYPES`), ``early_days * 24`` when none.
    """
    out = pd.DataFrame(index=range(len(deals)))
    for column in columns:
        values = deals[column].reset_index(drop=True)
        is_number = column in numeric if numeric is not None else column_type(values) == "numeric"
        if is_number:
            out[column] = numeric_values(values).to_numpy()
        else:
            text = values.astype(object)
            out[column] = text.where(filled_mask(text), MISSING).astype(str)
    if activities is None:
        return out
    return _add_activity_features(out, deals, activities, early_days=early_days, as_of=as_of)


def _add_activity_features(
    out: pd.DataFrame,
    deals: pd.DataFrame,
    activities: pd.DataFrame,
    *,
    early_days: float,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    created = pd.to_datetime(deals["created_at"]).to_numpy(dtype="datetime64[ns]")
    window = np.timedelta64(int(round(early_days * 86400)), "s")
    snap = np.minimum(created + window, np.datetime64(pd.Timestamp(as_of).to_datetime64(), "ns"))
    n = len(deals)
    row = pd.Index(deals["deal_id"].astype(object)).get_indexer(
        activities["deal_id"].astype(object)
    )
    ok = row >= 0
    at = pd.to_datetime(activities["at"]).to_numpy(dtype="datetime64[ns]")[ok]
    row = row[ok]
    kind = activities["type"].astype(object).to_numpy()[ok]
    if "team" in activities:
        team = activities["team"].astype(object).to_numpy()[ok]
        sales, marketing = team == "sales", team == "marketing"
    elif "actor_id" in activities and "owner_id" in deals:
        owner = deals["owner_id"].astype(object).to_numpy()[row]
        sales = activities["actor_id"].astype(object).to_numpy()[ok] == owner
        marketing = ~sales
    else:
        sales = np.ones(len(row), bool)
        marketing = np.zeros(len(row), bool)
    c, s = created[row], snap[row]
    before = at < c
    inside = (at >= c) & (at <= s)
    contact = inside & sales & np.isin(kind, CONTACT_TYPES)
    out["touches_before"] = np.bincount(row[before & marketing], minlength=n).astype(float)
    out["sales_touches"] = np.bincount(row[inside & sales], minlength=n).astype(float)
    out["meetings"] = np.bincount(row[inside & np.isin(kind, MEETING_TYPES)], minlength=n)
    out["meetings"] = out["meetings"].astype(float)
    hours = np.full(n, early_days * 24.0)
    if contact.any():
        h = (at[contact] - c[contact]) / np.timedelta64(1, "h")
        first = np.full(n, np.inf)
        np.minimum.at(first, row[contact], h)
        hours = np.minimum(hours, first)
    out["contacted"] = (hours < early_days * 24.0).astype(float)
    out["hours_to_contact"] = hours
    return out

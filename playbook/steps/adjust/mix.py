"""The deal mix — what a rep does not choose about each deal, as categories — and the
``adjustment`` settings of pilot.yml (see :mod:`playbook.steps.adjust`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from playbook.steps.prepared import takes_pilot
from playbook.workspace.config import PilotConfig

#: Defaults of the ``adjustment`` section of pilot.yml.
DEFAULT_ADJUSTMENT: dict[str, Any] = {"enabled": True, "features": [], "amount_bands": 4}
#: Names of the derived dimensions.
SIZE_DIMENSION = "deal_size"
PERIOD_DIMENSION = "created_quarter"
#: The category of a missing value.
MISSING = "unknown"


def adjustment_settings(config: PilotConfig | None = None, **overrides: Any) -> dict[str, Any]:
    """The adjustment settings: defaults, then ``config.adjustment``, then overrides.

    Works with configs that do not have the section.

    Returns
    -------
    dict
        ``enabled`` (bool), ``features`` (list of deal columns), ``amount_bands`` (int).
    """
    out = {k: (list(v) if isinstance(v, list) else v) for k, v in DEFAULT_ADJUSTMENT.items()}
    section = getattr(config, "adjustment", None)
    if section is not None:
        data = section.model_dump() if hasattr(section, "model_dump") else dict(section)
        out.update({k: v for k, v in data.items() if k in out and v is not None})
    out.update({k: v for k, v in overrides.items() if k in out and v is not None})
    if int(out["amount_bands"]) < 0:
        raise ValueError(f"amount_bands must be 0 or more; got {out['amount_bands']!r}")
    return out


def _categories(values: pd.Series) -> pd.Categorical:
    """Values as a categorical of text, missing and empty as :data:`MISSING` (by codes: the
    text of each distinct value is cleaned once, not once per deal)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy(dtype=np.int64)
        uniques = np.asarray(values.cat.categories, dtype=object)
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = codes.astype(np.int64)
        uniques = np.asarray(uniques, dtype=object)
    text = [str(u).strip() for u in uniques]
    text = [u if u and u.lower() not in ("nan", "none", "<na>") else MISSING for u in text]
    names = sorted(set(text) | ({MISSING} if (codes < 0).any() else set()))
    position = {name: i for i, name in enumerate(names)}
    lookup = np.array([position[u] for u in text] + [position.get(MISSING, 0)], dtype=np.int64)
    return pd.Categorical.from_codes(lookup[codes], categories=names)


def _bands(values: pd.Series, bands: int) -> pd.Categorical:
    """Numbers cut at their quantiles into at most ``bands`` labelled bands."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    known = x[~np.isnan(x)]
    if bands < 2 or len(np.unique(known)) < 2:
        codes = np.where(np.isnan(x), 1, 0)
        return pd.Categorical.from_codes(codes, categories=["all", MISSING])
    edges = np.unique(np.quantile(known, np.linspace(0, 1, bands + 1)))
    k = len(edges) - 1
    codes = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, k - 1)
    codes = np.where(np.isnan(x), k, codes)
    # a rank prefix keeps the bands in order when sorted as text
    labels = [f"{i + 1}: {_short(edges[i])}–{_short(edges[i + 1])}" for i in range(k)]
    return pd.Categorical.from_codes(codes, categories=[*labels, MISSING])


def _quarters(created: pd.Series) -> pd.Categorical:
    """Creation quarters ('2026Q1') as a categorical."""
    t = created if pd.api.types.is_datetime64_any_dtype(created) else pd.to_datetime(created)
    month = t.to_numpy(dtype="datetime64[M]")
    missing = np.isnat(month)
    index = np.where(missing, 0, month.astype(np.int64))  # months since 1970-01
    key = np.where(missing, -1, 1970 * 4 + index // 3)
    uniq, codes = np.unique(key, return_inverse=True)
    names = [MISSING if k < 0 else f"{int(k // 4)}Q{int(k % 4) + 1}" for k in uniq]
    return pd.Categorical.from_codes(codes, categories=names)


def _short(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


@takes_pilot
def deal_mix(
    deals: pd.DataFrame,
    config: PilotConfig | None = None,
    *,
    dimensions: Sequence[str] | None = None,
    features: Sequence[str] | None = None,
    amount_bands: int | None = None,
    period: bool = True,
) -> pd.DataFrame:
    """What a rep does not choose about each deal, as categories.

    Parameters
    ----------
    deals : DataFrame
        Canonical deals.
    config : PilotConfig, optional
        Supplies ``dimensions`` and the ``adjustment`` settings.
    dimensions : sequence of str, optional
        Deal columns to use (default ``config.dimensions``).
    features : sequence of str, optional
        Further deal columns (default ``adjustment.features``); numeric ones are cut into
        quantile bands.
    amount_bands : int, optional
        Deal-size bands from ``amount`` (default ``adjustment.amount_bands``; 0: none).
    period : bool
        Use the creation quarter as a category.

    Returns
    -------
    DataFrame
        One row per deal (``deals``' index), one categorical column per dimension used: the
        configured dimensions present in ``deals`` with at least two values, then
        ``deal_size``, ``created_quarter`` and the features. Missing values are
        ``"unknown"``. ``attrs["missing"]`` lists the requested columns ``deals`` lacks.
    """
    settings = adjustment_settings(config)
    dims = list(dimensions if dimensions is not None else getattr(config, "dimensions", []))
    feats = list(features if features is not None else settings["features"])
    bands = int(amount_bands if amount_bands is not None else settings["amount_bands"])
    columns: dict[str, pd.Categorical] = {}
    missing = []
    for column in dict.fromkeys([*dims, *feats]):
        if column not in deals.columns:
            missing.append(column)
            continue
        if column in ("owner_id", "deal_id", "amount"):
            continue
        values = deals[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and values.nunique() > 2 * max(bands, 2):
            columns[column] = _bands(values, max(bands, 4))
        else:
            columns[column] = _categories(values)
    if bands and "amount" in deals.columns:
        columns[SIZE_DIMENSION] = _bands(deals["amount"], bands)
    if period and "created_at" in deals.columns:
        columns[PERIOD_DIMENSION] = _quarters(deals["created_at"])
    out = pd.DataFrame(
        {k: v for k, v in columns.items() if len(np.unique(v.codes)) >= 2}, index=deals.index
    )
    out.attrs["missing"] = missing
    return out

"""What the explorer computes once, when it is built: journey, filter codes, optional steps.

Every filter change then only cuts these arrays (see :mod:`playbook.explore.widgets`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.explore.common import DIMENSIONS, Precomputed
from playbook.explore.tabs.capability import precompute_capability
from playbook.explore.tabs.handoffs import precompute_handoffs
from playbook.i18n import t
from playbook.steps import adjust, intake, journey
from playbook.workspace.dataset import Dataset


def precompute(ds: Dataset, language: str, min_group_size: int) -> Precomputed:
    """The prepared journey, per-deal filter codes and options, the like-deals model, and
    the frames of the optional handoff and capability steps."""
    j = journey.prepare(ds.deals, ds.stage_events, ds.config)
    d = j.deals
    months, month_code = _months(pd.to_datetime(d["created_at"]))
    codes: dict[str, np.ndarray] = {}
    options: dict[str, list[str]] = {}
    for name, column in DIMENSIONS.items():
        if column in d.columns and d[column].notna().any():
            codes[name], options[name] = categories(d[column])
    owner = d["owner_id"].astype(str).to_numpy(dtype=object)
    codes["rep"], options["rep"] = categories(d["owner_id"])
    other = t("other_teams", language)
    team = pooled_teams(d["owner_id"], ds.reps, min_group_size, other)
    if (team != "").any():
        codes["team"], options["team"] = categories(
            pd.Series(team).replace("", pd.NA).astype("string")
        )
    options["stage"] = list(j.stage_ids)
    first_row = np.unique(codes["rep"], return_index=True)[1]
    pre = Precomputed(
        journey=j,
        months=months,
        month_code=month_code,
        codes=codes,
        options=options,
        owner=owner,
        rep_team=team[first_row],
    )
    model = adjust.fit_mix_model(j, ds.config)
    if model.adjusted_for:
        pre.expected_won = adjust.expected_wins(model, j.status, aligned=True)
    precompute_handoffs(ds, pre, language)
    precompute_capability(ds, pre, language, min_group_size)
    return pre


def _months(created: pd.Series) -> tuple[list[str], np.ndarray]:
    """Every month from the first deal's to the last's ("YYYY-MM"), and each deal's month
    as an index into them."""
    if not len(created):
        return [], (created.dt.year * 12 + created.dt.month).to_numpy(dtype=np.int64)
    month = created.dt.to_period("M")
    months = [str(p) for p in pd.period_range(month.min(), month.max(), freq="M")]
    index = (created.dt.year * 12 + created.dt.month).to_numpy(dtype=np.int64)
    return months, index - index.min()


def categories(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer code per row (-1 missing) and the sorted distinct values as text."""
    text = values.astype("string")
    codes, uniques = pd.factorize(text, sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def pooled_teams(owner: pd.Series, reps: pd.DataFrame | None, k: int, other: str) -> np.ndarray:
    """The owner's team for each deal, teams under ``k`` reps pooled into ``other``."""
    if reps is None or "team" not in reps.columns or "rep_id" not in reps.columns:
        return np.full(len(owner), "", dtype=object)
    known = reps.dropna(subset=["team"])
    sizes = known.groupby(known["team"].astype(str))["rep_id"].nunique()
    pooled = intake.pool_small_groups(sizes, k, other)
    team_of = dict(
        zip(known["rep_id"].astype(str), known["team"].astype(str).map(pooled), strict=False)
    )
    return owner.astype(str).map(team_of).fillna("").to_numpy(dtype=object)

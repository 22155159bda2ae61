"""Which deal columns the lead-scoring model may use, and the evidence for every exclusion.

A model that reads a value written after the outcome (the call's duration, the close
reason, a rep's verdict on the lead) looks brilliant on history and is useless on new
leads. :func:`feature_audit` checks every deal column, in order:

1. fixed identifiers and outcome columns (:data:`NEVER`), then ``scoring.exclude``;
2. a name that says the value is written after contact or the outcome
   (:data:`POST_OUTCOME_WORDS`: duration, talk time, result, close, tags, quality …);
3. dates; a column filled much more often on closed deals than on open ones;
   a single value; identifiers (:func:`playbook.steps.scoring.features.identifies_rows`);
   text with too many categories;
4. behaviour on the training window: a column that alone separates won from lost almost
   perfectly (AUC >= 0.95), or far better than every ordinary column (AUC >= 0.80 and
   0.15 above the best column below 0.80). Bucketing a duration into whole minutes does
   not hide it: its ranking of deals is unchanged.

``scoring.include`` overrides every check but ``exclude``, dates, single values and the
near-perfect separator; such a column is used with a warning on the page
(:func:`include_warnings`) that repeats the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.i18n import t
from playbook.steps.prepared import takes_pilot
from playbook.steps.scoring.features import (
    ACTIVITY_FEATURES,
    MAX_LEVELS,
    MISSING,
    column_type,
    count_distinct,
    filled_mask,
    identifies_rows,
    name_words,
    numeric_values,
)

#: Deal attributes normally fixed when the deal is created.
ATTRIBUTES = ("segment", "source", "region", "product", "company_size", "campaign")
#: Deal columns never used, each with the reason (i18n key suffix).
NEVER = {
    "deal_id": "identifier",
    "account_id": "identifier",
    "owner_id": "owner",
    "pilot_group": "pilot",
    "created_at": "created",
    "amount": "amount",
    "status": "outcome",
    "closed_at": "outcome",
    "lost_reason": "outcome",
}
#: Name words of columns typically written after contact or after the outcome.
POST_OUTCOME_WORDS = frozenset(
    {"closed", "close", "lost", "won", "win", "outcome", "reason", "renewal", "renewed"}
    | {"churn", "stage", "updated", "modified", "last", "probability", "forecast"}
    | {"duration", "talk", "talktime", "result", "results", "disposition", "tag", "tags"}
    | {"quality", "rating", "feedback", "notes", "converted", "conversion"}
)
#: Alone, this AUC or more is almost surely the outcome written down another way.
LEAK_AUC = 0.95
#: A column at least this good alone that beats every ordinary column by STANDOUT_GAP.
STANDOUT_AUC = 0.80
STANDOUT_GAP = 0.15
#: Filled this much more often on closed than on open deals: written at closing.
FILL_GAP = 0.25
#: Reasons ``scoring.include`` may override. Not: facts about the values (a date, a single
#: value) and a near-perfect separator (AUC >= 0.95), which is the outcome in disguise.
OVERRIDABLE = {"identifier", "owner", "pilot", "amount", "outcome", "post_word"}
OVERRIDABLE |= {"identifies_rows", "many_levels", "stands_out", "filled_after"}
#: Exclusions whose column's AUC alone is still shown (it backs or questions the reason).
MEASURED = ("post_word", "filled_after")
AUDIT_COLUMNS = ["feature", "kind", "value_type", "used", "reason", "auc_alone", "overridden"]


def single_auc(values: pd.Series, y: np.ndarray, numeric: bool) -> float:
    """How well one column alone separates y (in-sample, direction-free; 0.5 = not at all)."""
    y = np.asarray(y, dtype=bool)
    if len(y) == 0 or y.all() or not y.any():
        return 0.5
    if numeric:
        x = numeric_values(values).to_numpy(dtype=float)
        low = np.nanmin(x) - 1 if np.isfinite(x).any() else 0.0
        x = np.where(np.isnan(x), low, x)
    else:
        codes = pd.Series(pd.factorize(values.astype(object).fillna(MISSING))[0])
        x = codes.map(pd.Series(y).groupby(codes.to_numpy()).mean()).to_numpy(dtype=float)
    ranks = _st.rankdata(x)
    m = int(y.sum())
    n = len(y) - m
    auc = (ranks[y].sum() - m * (m + 1) / 2) / (m * n)
    return float(max(auc, 1 - auc))


@takes_pilot
def feature_audit(
    deals: pd.DataFrame,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    activities: bool = True,
    early_days: float = 3.0,
    language: str = "en",
    train: np.ndarray | None = None,
) -> pd.DataFrame:
    """Every deal column and activity feature, whether the model may use it, and why.

    Parameters
    ----------
    train : bool mask over ``deals`` rows: the training window, where each column's
        AUC alone is measured (default: every closed deal).

    Returns
    -------
    DataFrame
        ``feature | kind | type | used | reason | auc_alone | overridden``; ``kind`` is
        attribute, extra or activity; ``type`` numeric, category, date or empty;
        ``reason`` a sentence in ``language`` naming the evidence; ``auc_alone`` the
        column's AUC on its own on the training window (NaN when not measured);
        ``overridden`` marks a column used only because ``scoring.include`` lists it.
    """
    status = deals["status"].astype(object).to_numpy() if "status" in deals else None
    closed = np.isin(status, ["won", "lost"]) if status is not None else None
    won = status == "won" if status is not None else None
    if train is None and closed is not None:
        train = closed
    include_set, exclude_set = set(include), set(exclude)
    rows = []
    for column in deals.columns:
        name = str(column)
        kind = column_type(deals[column])
        key, values = _static_check(name, deals[column], kind, closed, exclude_set)
        rows.append({"feature": name, "type": kind, "key": key, "values": values})
    _behaviour_check(rows, deals, train, won, include_set)
    out = []
    for row in rows:
        out.append(_finish(row, include_set, language))
    if activities:
        for name in ACTIVITY_FEATURES:
            key = "score_reason_before" if name == "touches_before" else "score_reason_activity"
            out.append(
                {
                    "feature": name,
                    "kind": "activity",
                    "type": "numeric",
                    "used": True,
                    "reason": t(key, language, days=f"{early_days:g}"),
                    "auc_alone": np.nan,
                    "overridden": False,
                }
            )
    return pd.DataFrame(out, columns=AUDIT_COLUMNS)


def _static_check(
    name: str,
    values: pd.Series,
    kind: str,
    closed: np.ndarray | None,
    exclude: set[str],
) -> tuple[str | None, dict[str, Any]]:
    """The first reason a column may not be used, from its name and values (None: none)."""
    if name in NEVER:
        return NEVER[name], {}
    if name in exclude:
        return "excluded", {}
    words = sorted(name_words(name) & POST_OUTCOME_WORDS)
    if words:
        return "post_word", {"word": words[0]}
    if kind == "date":
        return "date", {}
    filled = filled_mask(values).to_numpy()
    if closed is not None and (~closed).sum() >= 20 and closed.sum() >= 20:
        on_closed, on_open = float(filled[closed].mean()), float(filled[~closed].mean())
        if on_closed - on_open > FILL_GAP:
            return "filled_after", {"closed": f"{on_closed:.0%}", "open": f"{on_open:.0%}"}
    distinct = count_distinct(values[filled])
    if distinct <= 1:
        return "constant", {}
    if identifies_rows(name, values, kind):  # type: ignore[arg-type]
        return "identifies_rows", {"n": distinct, "filled": int(filled.sum())}
    if kind == "category" and distinct > MAX_LEVELS:
        return "many_levels", {"n": distinct}
    return None, {}


def _behaviour_check(
    rows: list[dict[str, Any]],
    deals: pd.DataFrame,
    train: np.ndarray | None,
    won: np.ndarray | None,
    include: set[str],
) -> None:
    """Measure each remaining column's AUC alone on the training window; flag the leaks."""
    if train is None or won is None or train.sum() < 20:
        for row in rows:
            row["auc"] = np.nan
        return
    y = won[train]
    for row in rows:
        # identifiers and outcome columns separate perfectly by construction: not evidence
        worth = row["key"] in (None, *MEASURED) or row["feature"] in include
        measurable = worth and row["type"] in ("numeric", "category")
        row["auc"] = (
            single_auc(deals[row["feature"]][train], y, row["type"] == "numeric")
            if measurable
            else np.nan
        )
    ordinary = [r["auc"] for r in rows if r["key"] is None and r["auc"] < STANDOUT_AUC]
    best_ordinary = max(ordinary, default=0.5)
    for row in rows:
        if not np.isfinite(row["auc"]):
            continue
        auc = row["auc"]
        if row["key"] is not None:  # already out, unless listed in scoring.include
            if row["feature"] in include and auc >= LEAK_AUC:
                row["key"], row["values"] = "too_good", {"auc": f"{auc:.2f}"}
            continue
        if auc >= LEAK_AUC:
            row["key"], row["values"] = "too_good", {"auc": f"{auc:.2f}"}
        elif auc >= STANDOUT_AUC and auc - best_ordinary >= STANDOUT_GAP:
            row["key"] = "stands_out"
            row["values"] = {"auc": f"{auc:.2f}", "next": f"{best_ordinary:.2f}"}


def _finish(row: dict[str, Any], include: set[str], language: str) -> dict[str, Any]:
    name, key, values = row["feature"], row["key"], row["values"]
    kind = "attribute" if name in ATTRIBUTES else "extra"
    auc = row.get("auc", np.nan)
    base = {"feature": name, "kind": kind, "value_type": row["type"], "auc_alone": auc}
    if key is not None and not (name in include and key in OVERRIDABLE):
        reason = t(f"score_reason_{key}", language, **values)
        return {**base, "used": False, "reason": reason, "overridden": False}
    if key is not None:
        why = t(f"score_reason_{key}", language, **values)
        reason = t("score_reason_included_anyway", language, why=why)
        return {**base, "used": True, "reason": reason, "overridden": True}
    if kind == "attribute":
        key = "attribute"
    elif name in include:
        key = "included"
    else:
        key = "extra_numeric" if row["type"] == "numeric" else "extra"
    return {**base, "used": True, "reason": t(f"score_reason_{key}", language), "overridden": False}


def include_warnings(audit: pd.DataFrame, language: str = "en") -> list[str]:
    """One warning per column used only because ``scoring.include`` lists it."""
    if audit.empty or "overridden" not in audit:
        return []
    flagged = audit[audit["overridden"].astype(bool)]
    return [
        t("score_include_warning", language, column=r.feature, reason=r.reason)
        for r in flagged.itertuples()
    ]

"""Step 5's learning paths: each rep's modules from the rules, and how many reps need each."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from playbook.steps.plan.rules import DEFAULT_RULES, validate_rules
from playbook.steps.plan.settings import _separator

PLAN_COLUMNS = [
    "owner_id",
    "role",
    "priority",
    "module",
    "module_id",
    "weakness",
    "evidence",
    "rule",
]


def learning_paths(
    weaknesses: pd.DataFrame,
    rules: Sequence[Mapping[str, Any]] | None = None,
    *,
    language: str = "en",
) -> pd.DataFrame:
    """Each rep's modules: every rule whose weakness pattern and role match.

    A module recommended for several weaknesses appears once per rep, with the
    highest priority and all the evidence joined.

    Parameters
    ----------
    weaknesses : DataFrame
        :func:`diagnose`.
    rules : list of dict, optional
        Learning-path rules (see :func:`validate_rules`); default :data:`DEFAULT_RULES`.
    language : {"en", "zh"}
        Language of the module labels.

    Returns
    -------
    DataFrame
        ``owner_id | role | priority | module | module_id | weakness | evidence | rule``,
        by rep, then priority (1 first).
    """
    rules = validate_rules(rules if rules is not None else DEFAULT_RULES)
    if not len(weaknesses):
        return pd.DataFrame(columns=PLAN_COLUMNS)
    rows = []
    for rule in rules:
        match = np.array(
            [fnmatch.fnmatchcase(w, rule["weakness"]) for w in weaknesses["weakness"]], dtype=bool
        )
        if rule["roles"]:
            match &= weaknesses["role"].isin(rule["roles"]).to_numpy()
        hit = weaknesses[match]
        for module in rule["modules"]:
            label = module["label_zh"] if language == "zh" else module["label_en"]
            rows.append(
                hit.assign(
                    priority=rule["priority"],
                    module=label,
                    module_id=module["id"],
                    rule=rule["id"],
                )
            )
    if not rows:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    plan = pd.concat(rows, ignore_index=True)
    sep = _separator(language)
    out = (
        plan.sort_values(["owner_id", "priority", "shortfall"], ascending=[True, True, False])
        .groupby(["owner_id", "module_id"], sort=False)
        .agg(
            role=("role", "first"),
            priority=("priority", "min"),
            module=("module", "first"),
            weakness=("weakness", lambda s: ", ".join(dict.fromkeys(s))),
            evidence=("evidence", lambda s: sep.join(dict.fromkeys(s))),
            rule=("rule", lambda s: ", ".join(dict.fromkeys(s))),
        )
        .reset_index()
    )
    out = out.sort_values(["owner_id", "priority", "module_id"], kind="stable")
    return out[PLAN_COLUMNS].reset_index(drop=True)


def module_demand(paths: pd.DataFrame) -> pd.DataFrame:
    """How many reps each module is recommended to (for planning sessions).

    Returns
    -------
    DataFrame
        ``module_id | module | reps | priority`` (most reps first; ``priority`` the most
        urgent any rep has for it).
    """
    columns = ["module_id", "module", "reps", "priority"]
    if not len(paths):
        return pd.DataFrame(columns=columns)
    out = (
        paths.groupby(["module_id", "module"])
        .agg(reps=("owner_id", "nunique"), priority=("priority", "min"))
        .reset_index()
        .sort_values(["reps", "priority", "module_id"], ascending=[False, True, True])
    )
    return out[columns].reset_index(drop=True)

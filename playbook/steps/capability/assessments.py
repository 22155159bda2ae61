"""Competency assessments: one score per rep and dimension, and what they rest on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.steps.capability.settings import MANAGER_NAMES, _assessor_setting
from playbook.workspace.config import PilotConfig


def assessment_scores(
    assessments: pd.DataFrame | None,
    config: PilotConfig,
    *,
    assessor: str | None = None,
) -> pd.DataFrame:
    """One score per rep and competency, from possibly several assessors.

    The latest assessment of each (rep, competency, assessor) is used. With
    ``assessor="manager"`` (the default) the manager's score is taken where there is
    one (any of :data:`MANAGER_NAMES`), else the mean of the other assessors; with
    ``"mean"`` the mean of all assessors; any other value keeps only that assessor.
    Scores stay on the config's scale (``capability.scale_min`` … ``scale_max``).

    Parameters
    ----------
    assessments : DataFrame or None
        Canonical assessments (rep_id, dimension as a competency id, score, optional
        assessed_at and assessor).
    config : PilotConfig
        Supplies the competencies; rows of other dimensions are left out.
    assessor : str, optional
        The policy; default ``config.capability.assessor`` when set, else "manager".

    Returns
    -------
    DataFrame
        ``rep_id | dimension | score | assessor_basis | assessors``; ``assessor_basis`` is the
        assessor used ("manager", a name, or "mean"), ``assessors`` how many were available.
    """
    columns = ["rep_id", "dimension", "score", "assessor_basis", "assessors"]
    if assessments is None or not len(assessments):
        return pd.DataFrame(columns=columns)
    policy = " ".join((assessor or _assessor_setting(config)).split())
    if not policy:
        raise ValueError("assessor must be 'manager', 'mean' or an assessor name; got ''")
    dims = [d.id for d in config.capability.dimensions]
    a = assessments[assessments["dimension"].astype(str).isin(dims)].copy()
    a["rep_id"] = a["rep_id"].astype(str)
    a["dimension"] = a["dimension"].astype(str)
    raw = a["assessor"] if "assessor" in a.columns else pd.Series("all", index=a.index)
    # Spaces collapsed: "Chen  Jing" and "Chen Jing" are one assessor (as when anonymised).
    who = raw.astype(object).where(raw.notna(), "unknown").astype(str).str.split().str.join(" ")
    is_manager = who.str.casefold().isin([m.casefold() for m in MANAGER_NAMES])
    a["who"] = np.where(is_manager, "manager", who)
    a = a.dropna(subset=["score"])
    if "assessed_at" in a.columns:
        a = a.sort_values("assessed_at", kind="stable", na_position="first")
    latest = a.drop_duplicates(["rep_id", "dimension", "who"], keep="last")
    counts = latest.groupby(["rep_id", "dimension"])["who"].nunique().rename("assessors")
    keys = ["rep_id", "dimension"]
    if policy.casefold() == "mean":
        scores = latest.groupby(keys)["score"].mean().to_frame()
        scores["assessor_basis"] = "mean"
    elif policy.casefold() == "manager":
        mean = latest.groupby(keys)["score"].mean().rename("mean")
        manager = latest[latest["who"] == "manager"].set_index(keys)["score"].rename("manager")
        scores = pd.concat([mean, manager], axis=1)
        scores["assessor_basis"] = np.where(scores["manager"].notna(), "manager", "mean")
        scores["score"] = scores["manager"].fillna(scores["mean"])
        scores = scores[["score", "assessor_basis"]]
    else:
        chosen = latest[latest["who"].str.casefold() == policy.casefold()]
        if not len(chosen):
            known = ", ".join(sorted(latest["who"].unique()))
            raise ValueError(
                f"assessor {policy!r} gave no score; use 'manager', 'mean' or one of: {known}"
            )
        scores = chosen.set_index(keys)[["score"]]
        scores["assessor_basis"] = policy
    scores = scores.join(counts)
    out = scores.reset_index()[columns]
    out["assessors"] = out["assessors"].astype(np.int64)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def assessment_basis(scores: pd.DataFrame, language: str = "en") -> str:
    """One sentence saying which assessor's scores were used, for how many reps."""
    from playbook.i18n import t

    if not len(scores):
        return t("cap_no_assessments", language)
    by_rep = scores.groupby("rep_id")["assessor_basis"].agg(lambda s: s.mode().iloc[0])
    counts = by_rep.value_counts()
    manager = int(counts.get("manager", 0))
    mean = int(counts.get("mean", 0))
    other = int(len(by_rep) - manager - mean)
    if other:
        return t("cap_basis_named", language, name=by_rep[by_rep.ne("manager")].iloc[0], n=other)
    return t("cap_basis_manager", language, manager=manager, mean=mean)

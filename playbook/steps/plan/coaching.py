"""Step 5's coaching pairs: consistent strong converters matched with reps whose weakness is
the coach's strength."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from playbook.steps.adjust import compared_stage_rate
from playbook.steps.plan.settings import (
    _dimension_labels,
    _pct,
    _separator,
    _transition,
    plan_settings,
)
from playbook.workspace.config import PilotConfig

PAIR_COLUMNS = ["coach_id", "mentee_id", "areas", "weakness", "same_team", "reason"]


def coaching_pairs(
    weaknesses: pd.DataFrame,
    coaches: Sequence[str],
    config: PilotConfig,
    *,
    stage_performance: pd.DataFrame | None = None,
    rep_gaps: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    language: str | None = None,
    **thresholds: Any,
) -> pd.DataFrame:
    """Match consistent strong converters with reps whose weakness is their strength.

    A coach is strong at a stage when their shrunk rate (adjusted for the deal mix where
    ``stage_performance`` has it) is at least ``stage_gap`` above the team's, and at a
    competency when their score is at least ``score_gap`` × scale above the team mean.
    Candidate pairs (coach strength = mentee weakness) are taken greedily, largest
    difference first (same team first on ties), each coach taking at most ``max_mentees``
    mentees and each mentee at most ``max_coaches`` coaches (one per weakness). Stage
    strengths and weaknesses are both read on like deals when the stage performance carries
    the adjusted rate, so a coach is never chosen for a territory that flatters them.

    Returns
    -------
    DataFrame
        ``coach_id | mentee_id | areas | weakness | same_team | reason``: one row per
        pair; ``areas`` counts the weaknesses the coach covers, ``weakness`` lists them
        (largest difference first) and ``reason`` gives the evidence for each.
    """
    language = language or config.language
    s = plan_settings(config, **thresholds)
    coaches = [str(c) for c in coaches]
    if not coaches or not len(weaknesses):
        return pd.DataFrame(columns=PAIR_COLUMNS)
    span = float(config.capability.scale_max - config.capability.scale_min)
    strengths = _strengths(coaches, stage_performance, rep_gaps, s, span)
    if not strengths:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    cand = _candidates(weaknesses, pd.concat(strengths, ignore_index=True), coaches)
    if not len(cand):
        return pd.DataFrame(columns=PAIR_COLUMNS)
    if stage_performance is not None and len(stage_performance):
        cand["mentee_value"] = _mentee_stage_values(cand, stage_performance)
    cand["same_team"] = _same_team(cand, reps)
    cand["score"] = (cand["coach_value"] - cand["mentee_value"]) / cand["scale"]
    cand = cand.sort_values(
        ["score", "same_team", "coach_id", "mentee_id"], ascending=[False, False, True, True]
    )
    out = cand.loc[_greedy(cand, s["max_mentees"], s["max_coaches"])].copy()
    out["reason"] = _reasons(out, config, language)
    out = (
        out.sort_values(["coach_id", "mentee_id", "score"], ascending=[True, True, False])
        .groupby(["coach_id", "mentee_id"], sort=True)
        .agg(
            areas=("weakness", "size"),
            weakness=("weakness", ", ".join),
            same_team=("same_team", "first"),
            reason=("reason", _separator(language).join),
        )
        .reset_index()
    )
    return out[PAIR_COLUMNS]


def _strengths(
    coaches: list[str],
    stage_performance: pd.DataFrame | None,
    rep_gaps: pd.DataFrame | None,
    s: dict[str, Any],
    span: float,
) -> list[pd.DataFrame]:
    """The coaches' strengths, named as the weakness they can coach: stages where their
    rate is at least ``stage_gap`` above the team's, competencies where their score is at
    least ``score_gap`` × scale above the team mean."""
    frames = []
    if stage_performance is not None and len(stage_performance):
        sp = stage_performance[stage_performance["owner_id"].astype(str).isin(coaches)]
        sp = sp.assign(_value=compared_stage_rate(sp))
        sp = sp[sp["_value"] >= sp["team_rate"] + s["stage_gap"]]
        weakness = "stage:" + sp["from"].astype(str)
        frames.append(_strength(sp["owner_id"], weakness, sp["_value"], sp["team_rate"], 1.0))
    if rep_gaps is not None and len(rep_gaps):
        rg = rep_gaps[rep_gaps["rep_id"].astype(str).isin(coaches) & rep_gaps["team"].notna()]
        rg = rg[rg["score"] >= rg["team"] + s["score_gap"] * span]
        weakness = "competency:" + rg["dimension"].astype(str)
        frames.append(_strength(rg["rep_id"], weakness, rg["score"], rg["team"], span or 1.0))
    return frames


def _strength(
    coach: pd.Series, weakness: pd.Series, value: pd.Series, team: pd.Series, scale: float
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "coach_id": coach.astype(str).to_numpy(),
            "weakness": weakness.to_numpy(),
            "coach_value": value.to_numpy(dtype=float),
            "team_value": team.to_numpy(dtype=float),
            "scale": scale,
        }
    )


def _candidates(weaknesses: pd.DataFrame, strong: pd.DataFrame, coaches: list[str]) -> pd.DataFrame:
    """Every (coach, mentee, weakness) where the coach's strength is the mentee's weakness."""
    weak = weaknesses[~weaknesses["owner_id"].astype(str).isin(coaches)]
    weak = weak[weak["weakness"].str.startswith(("stage:", "competency:"))]
    cand = weak.merge(strong, on="weakness")
    return cand.rename(columns={"owner_id": "mentee_id", "observed": "mentee_value"})


def _mentee_stage_values(cand: pd.DataFrame, stage_performance: pd.DataFrame) -> np.ndarray:
    """The mentee's value, where the weakness is a stage, on the shrunk rate (adjusted for
    the deal mix where there is one), as the coach's strength is: compare like with like."""
    shr = stage_performance.assign(
        weakness="stage:" + stage_performance["from"].astype(str),
        mentee_id=stage_performance["owner_id"].astype(str),
        _value=compared_stage_rate(stage_performance),
    ).set_index(["mentee_id", "weakness"])["_value"]
    key = pd.MultiIndex.from_arrays([cand["mentee_id"], cand["weakness"]])
    stage_rows = cand["weakness"].str.startswith("stage:").to_numpy()
    shrunk = shr.reindex(key).to_numpy(dtype=float)
    return np.where(stage_rows & ~np.isnan(shrunk), shrunk, cand["mentee_value"])


def _same_team(cand: pd.DataFrame, reps: pd.DataFrame | None) -> list[bool]:
    team_of = {}
    if reps is not None and "team" in reps.columns:
        team_of = dict(zip(reps["rep_id"].astype(str), reps["team"].astype(str), strict=False))
    return [
        team_of.get(c) is not None and team_of.get(c) == team_of.get(m)
        for c, m in zip(cand["coach_id"], cand["mentee_id"], strict=True)
    ]


def _greedy(cand: pd.DataFrame, max_mentees: int, max_coaches: int) -> list:
    """The index of the pairs kept, taking ``cand`` in order: one coach per weakness of a
    mentee, at most ``max_mentees`` mentees per coach and ``max_coaches`` coaches per mentee."""
    load: dict[str, set[str]] = {}
    taken: set[tuple[str, str]] = set()
    per_mentee: dict[str, set[str]] = {}
    keep = []
    for i, r in zip(cand.index, cand.itertuples(index=False), strict=True):
        mentees = load.setdefault(r.coach_id, set())
        mine = per_mentee.setdefault(r.mentee_id, set())
        if (r.mentee_id, r.weakness) in taken:
            continue
        if r.mentee_id not in mentees and len(mentees) >= max_mentees:
            continue
        if r.coach_id not in mine and len(mine) >= max_coaches:
            continue
        mentees.add(r.mentee_id)
        mine.add(r.coach_id)
        taken.add((r.mentee_id, r.weakness))
        keep.append(i)
    return keep


def _reasons(pairs: pd.DataFrame, config: PilotConfig, language: str) -> list[str]:
    """Why each pair: the coach's and the mentee's value at the stage or competency."""
    from playbook.i18n import t

    labels = _dimension_labels(config, language)

    def reason(r) -> str:
        if r.weakness.startswith("stage:"):
            return t(
                "plan_pair_reason_stage",
                language,
                coach=r.coach_id,
                mentee=r.mentee_id,
                stage=_transition(config, r.area, language),
                coach_value=_pct(r.coach_value),
                mentee_value=_pct(r.mentee_value),
            )
        return t(
            "plan_pair_reason_competency",
            language,
            coach=r.coach_id,
            mentee=r.mentee_id,
            dimension=labels.get(r.area, r.area),
            coach_value=f"{r.coach_value:.1f}",
            mentee_value=f"{r.mentee_value:.1f}",
        )

    return [reason(r) for r in pairs.itertuples(index=False)]

"""Scoring open deals with a fitted model, and lead quality per source for marketing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from playbook.i18n import t
from playbook.stats import wilson_interval
from playbook.steps.prepared import takes_pilot
from playbook.steps.scoring.features import MISSING, build_features
from playbook.steps.scoring.fitted import MODEL_PATH, ScoringModel, predict
from playbook.steps.scoring.window import data_end


@takes_pilot
def score_deals(
    model: ScoringModel,
    deals: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    stage_events: pd.DataFrame | None = None,
    config: Any = None,
    as_of: Any = None,
    journey: Any = None,
) -> pd.DataFrame:
    """Score every open deal with a fitted model.

    ``score_now`` is the win probability from what is known at the deal's snapshot (its
    first ``early_days``, or now when younger); ``potential`` the same for a typically
    worked lead (contact, meetings as in a typical contacted lead): the value of working
    it. With the baseline, both are the source's historical win rate.

    Parameters
    ----------
    stage_events, config : optional; with both, the deal's current stage is added.
    journey : a :func:`playbook.steps.journey.prepare` result for the same tables (saves time).

    Returns
    -------
    DataFrame
        ``deal_id | owner_id | lead_source | stage | created_at | age_days | score_now |
        potential | high | scorer``, open deals only, highest potential first; ``high``
        marks potential at or above the training population's top ``high_share``.
    """
    as_of = pd.Timestamp(as_of) if as_of is not None else data_end(deals, stage_events)
    use_acts = activities if model.activity_ else None
    if model.activity_ and activities is None:
        use_acts = activities = pd.DataFrame(
            {
                "deal_id": pd.Series(dtype=object),
                "at": pd.Series(dtype="datetime64[ns]"),
                "type": pd.Series(dtype=object),
            }
        )
    missing = [c for c in model.columns_ if c not in deals.columns]
    frame = deals.assign(**{c: pd.NA for c in missing}) if missing else deals
    is_open = (frame["status"].astype(object) == "open").to_numpy()
    open_deals = frame[is_open].reset_index(drop=True)
    X = build_features(
        open_deals,
        use_acts,
        model.columns_,
        early_days=model.settings.early_days,
        as_of=as_of,
        numeric=model.numeric_ if model.kind_ else None,  # models saved before typing: infer
    )
    score = predict(model, X, potential=False)
    potential = predict(model, X, potential=True)
    created = pd.to_datetime(open_deals["created_at"])
    out = pd.DataFrame(
        {
            "deal_id": open_deals["deal_id"].to_numpy(),
            "owner_id": open_deals["owner_id"].to_numpy() if "owner_id" in open_deals else None,
            "lead_source": open_deals["source"].to_numpy() if "source" in open_deals else None,
            "stage": None,
            "created_at": created.to_numpy(),
            "age_days": ((as_of - created).dt.total_seconds() / 86400).to_numpy(),
            "score_now": score,
            "potential": potential,
            "high": potential >= model.high_threshold_,
            "scorer": model.chosen_,
        }
    )
    if stage_events is not None and config is not None and len(open_deals):
        from playbook.steps.journey import deal_paths

        paths = deal_paths(frame, stage_events, config, journey=journey)
        stage = pd.Series(paths["end_stage"].astype(object).to_numpy()[is_open])
        out["stage"] = stage.to_numpy()
    order = np.lexsort((out["deal_id"].astype(str).to_numpy(), -out["potential"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def score_notes(scores: pd.DataFrame, language: str = "en") -> list[str]:
    """Notes for the open-leads section: a historical export has nothing to score."""
    if len(scores):
        return []
    return [t("score_nothing_open", language, path=MODEL_PATH)]


def lead_quality(
    model: ScoringModel,
    deals: pd.DataFrame,
    scores: pd.DataFrame,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Lead quality for marketing: historical win rate and open pipeline per source/campaign.

    The win rate is over mature cohorts (created at least ``horizon_days`` before the data
    end, so their outcome is known), with a Wilson interval; the open columns summarise
    the scores of current open deals.

    Parameters
    ----------
    by : deal columns; default ``source`` and ``campaign`` where present.

    Returns
    -------
    DataFrame
        ``dimension | value | leads | won | win_rate | ci_low | ci_high | open_leads |
        mean_potential | expected_won``; ``expected_won`` is the sum of open deals' potential.
    """
    by = [c for c in (by or ("source", "campaign")) if c in deals.columns]
    created = pd.to_datetime(deals["created_at"])
    as_of = model.as_of_ if model.as_of_ is not None else data_end(deals)
    mature = created <= as_of - pd.Timedelta(days=model.horizon_days_)
    won = deals["status"].astype(object) == "won"
    pot = deals[["deal_id"]].merge(scores[["deal_id", "potential"]], on="deal_id", how="left")
    pot = pot["potential"].to_numpy()
    frames = []
    for column in by:
        value = deals[column].astype(object).where(deals[column].notna(), MISSING).to_numpy()
        frame = pd.DataFrame(
            {
                "value": value,
                "mature": mature.to_numpy(),
                "won": (won & mature).to_numpy(),
                "open": ~np.isnan(pot),
                "potential": np.nan_to_num(pot),
            }
        )
        g = frame.groupby("value", sort=True).agg(
            leads=("mature", "sum"),
            won=("won", "sum"),
            open_leads=("open", "sum"),
            expected_won=("potential", "sum"),
        )
        g = g.reset_index()
        g.insert(0, "dimension", column)
        g["win_rate"] = np.where(
            g["leads"] > 0, g["won"] / g["leads"].where(g["leads"] > 0), np.nan
        )
        g["ci_low"], g["ci_high"] = wilson_interval(g["won"].to_numpy(), g["leads"].to_numpy())
        g["mean_potential"] = g["expected_won"] / g["open_leads"].where(g["open_leads"] > 0)
        frames.append(g)
    columns = [
        "dimension",
        "value",
        "leads",
        "won",
        "win_rate",
        "ci_low",
        "ci_high",
        "open_leads",
        "mean_potential",
        "expected_won",
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    for c in ("leads", "won", "open_leads"):
        out[c] = out[c].astype(np.int64)
    return out.sort_values(["dimension", "win_rate"], ascending=[True, False], kind="stable")

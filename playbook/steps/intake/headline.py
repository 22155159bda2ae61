"""Headline conversion that fits the data: mature-window conversion when losses are not recorded.

Many exports (most marketing funnels) never record a loss: a lead that went cold
simply stays open. The win rate among resolved deals is then won / won = 100%,
true of the arithmetic and false of the business. When losses are absent or too
few to trust (:func:`losses_too_few`), the headline conversion is instead the
share of *mature* deals that were won: deals resolved, plus open deals older than
the funnel's whole window (the stages' ``window_days`` before the last stage, as
the stage table counts a stage's open deals as mature past its window). Open
deals still inside the window are left out (censored), never counted as lost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.exceptions import Note
from playbook.stats import wilson_interval
from playbook.steps.prepared import takes_pilot
from playbook.workspace.config import PilotConfig

#: Below this many recorded losses the resolved-deals win rate is not a headline.
MIN_LOSSES = 10
#: ...nor when losses are under this share of resolved deals (losses are then not
#: being recorded: a real sales funnel loses more than one deal in twenty).
MIN_LOSS_SHARE = 0.05


def losses_too_few(deals: pd.DataFrame) -> bool:
    """Whether recorded losses are too few for a win rate among resolved deals to mean much."""
    lost = int((deals["status"] == "lost").sum())
    resolved = lost + int((deals["status"] == "won").sum())
    return lost < MIN_LOSSES or (resolved > 0 and lost / resolved < MIN_LOSS_SHARE)


def funnel_window_days(config: PilotConfig) -> float:
    """Days a deal needs before its outcome counts as known: every stage's window but the last."""
    return float(sum(s.window_days for s in config.funnel.stages[:-1]))


def data_as_of(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
) -> pd.Timestamp:
    """The latest timestamp in the data (creation, close, stage entry or activity): the
    analysis date when none is given.

    Raises
    ------
    ValueError
        When the tables hold no timestamp at all.
    """
    moments = [deals["created_at"].max()]
    if "closed_at" in deals:
        moments.append(deals["closed_at"].max())
    if stage_events is not None and len(stage_events):
        moments.append(stage_events["entered_at"].max())
    if activities is not None and len(activities):
        moments.append(activities["at"].max())
    moments = [m for m in moments if pd.notna(m)]
    if not moments:
        raise ValueError("as_of cannot be inferred: the data hold no timestamp; pass as_of")
    return pd.Timestamp(max(moments))


@takes_pilot
def mature_conversion(
    deals: pd.DataFrame,
    config: PilotConfig,
    stage_events: pd.DataFrame | None = None,
    as_of: pd.Timestamp | None = None,
) -> dict:
    """Won share of mature deals, with its n and Wilson 95% interval.

    Parameters
    ----------
    deals : canonical deals (``created_at``, ``status``).
    config : for the stages' ``window_days``.
    stage_events : used only to find the latest timestamp when ``as_of`` is not given.
    as_of : analysis date (default: the latest timestamp in the data).

    Returns
    -------
    dict
        ``value, n, ci_low, ci_high, unit`` (unit ``share``), plus ``immature`` (open
        deals still within the window, left out) and ``window_days``; value and
        interval are None when no deal is mature.
    """
    moment = pd.Timestamp(as_of) if as_of is not None else data_as_of(deals, stage_events)
    window = pd.Timedelta(days=funnel_window_days(config))
    status = deals["status"].astype(object).to_numpy()
    resolved = np.isin(status, ["won", "lost"])
    aged = (moment - deals["created_at"] >= window).to_numpy()
    mature = resolved | ((status == "open") & aged)
    n = int(mature.sum())
    won = int((mature & (status == "won")).sum())
    low, high = wilson_interval(np.array([won]), np.array([n]))
    return {
        "value": won / n if n else None,
        "n": n,
        "ci_low": float(low[0]) if n else None,
        "ci_high": float(high[0]) if n else None,
        "unit": "share",
        "immature": int(((status == "open") & ~aged).sum()),
        "window_days": funnel_window_days(config),
    }


@takes_pilot
def headline_kpis(
    deals: pd.DataFrame, stage_events: pd.DataFrame, config: PilotConfig
) -> dict[str, dict]:
    """The intake headline: :func:`playbook.steps.intake.headline_kpis`, with the resolved-deals
    win rate replaced by :func:`mature_conversion` when losses are too few.

    Returns
    -------
    dict
        name -> ``{value, n, ci_low, ci_high, unit}`` in display order. ``win_rate`` is
        left out when :func:`losses_too_few` (see :func:`hidden_win_rate`), and
        ``mature_conversion`` takes its place.
    """
    from playbook.steps.intake import headline_kpis as basic

    kpis = basic(deals)
    if not losses_too_few(deals):
        return kpis
    entry = mature_conversion(deals, config, stage_events)
    out: dict[str, dict] = {}
    for name, value in kpis.items():
        if name == "win_rate":
            out["mature_conversion"] = {
                k: entry[k] for k in ("value", "n", "ci_low", "ci_high", "unit")
            }
        else:
            out[name] = value
    return out


def hidden_win_rate(kpis: dict[str, dict]) -> bool:
    """Whether a headline (summary kpis) replaced the win rate by the mature conversion."""
    return "mature_conversion" in kpis


@takes_pilot
def headline_notes(
    deals: pd.DataFrame, stage_events: pd.DataFrame, config: PilotConfig
) -> list[Note]:
    """Why the headline shows the mature conversion (empty when it shows the win rate)."""
    if not losses_too_few(deals):
        return []
    entry = mature_conversion(deals, config, stage_events)
    return [
        Note(
            "note_mature_conversion",
            lost=int((deals["status"] == "lost").sum()),
            won=int((deals["status"] == "won").sum()),
            days=f"{entry['window_days']:g}",
            n=entry["n"],
            immature=entry["immature"],
        )
    ]


def index_notes(summary: dict, language: str) -> list[str]:
    """Sentences under the overview page's headline: a replaced win rate, rows set aside."""
    from playbook.i18n import t

    notes = []
    if hidden_win_rate(summary.get("kpis", {})):
        notes.append(t("index_mature_conversion", language))
    aside = summary.get("quarantine") or {}
    if aside.get("rows"):
        notes.append(
            t(
                "index_quarantined",
                language,
                rows=aside["rows"],
                deals=aside.get("deals", 0),
                total=aside.get("total_deals", 0),
                share=f"{aside.get('share_of_deals', 0):.2%}",
            )
        )
    return notes

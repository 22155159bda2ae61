"""Handoff alerts: deals waiting past their SLA right now, most urgent first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.steps.handoff.base import (
    _language,
    _num,
    _t,
)
from playbook.workspace.config import PilotConfig

ALERT_COLUMNS = ["kind", "severity", "owner_id", "deal_id", "reason", "action", "sla", "amount"]


def _severity(ratio: np.ndarray, amount: np.ndarray, top: float) -> np.ndarray:
    big = np.nan_to_num(amount, nan=-np.inf) >= top
    return (1 + (ratio >= 2) + ((ratio >= 2) & big)).astype(np.int64)


def alerts(
    sla: pd.DataFrame,
    sleeping: pd.DataFrame | None,
    config: PilotConfig,
    language: str | None = None,
) -> pd.DataFrame:
    """Actionable alerts: overdue SLA steps on open deals, and sleeping deals.

    Severity 1; 2 when twice over the limit (or idle twice the threshold); 3 when moreover
    the deal's amount is in the top 10% of open deals.

    Returns
    -------
    DataFrame
        ``kind (sla_breach | sleeping_lead) | severity | owner_id | deal_id | reason | action
        | sla | amount``; reason and action are sentences in the report language.
    """
    language = _language(language, config)
    frames = []
    open_amounts = []
    if sleeping is not None and len(sleeping):
        open_amounts.append(sleeping["amount"].to_numpy(dtype=float))
    overdue = sla[sla["overdue"].astype(bool)] if len(sla) else sla
    if len(overdue):
        open_amounts.append(overdue["amount"].to_numpy(dtype=float))
    pool = np.concatenate(open_amounts) if open_amounts else np.array([])
    pool = pool[~np.isnan(pool)]
    top = float(np.quantile(pool, 0.9)) if len(pool) else np.inf
    if len(overdue):
        names = overdue["sla"].astype(str).to_numpy()
        start = pd.Series(overdue["start_at"]).dt.strftime("%Y-%m-%d %H:%M").to_numpy()
        reasons, actions = [], []
        for name, el, lim, st in zip(
            names, overdue["elapsed"], overdue["limit"], start, strict=True
        ):
            key = name if name in ("first_contact", "proposal_review") else "custom"
            reasons.append(
                _t(
                    f"handoff_alert_{key}",
                    language,
                    sla=name,
                    elapsed=_num(el),
                    limit=_num(lim),
                    start=st,
                )
            )
            actions.append(_t(f"handoff_action_{key}", language))
        frames.append(
            pd.DataFrame(
                {
                    "kind": "sla_breach",
                    "severity": _severity(
                        (overdue["elapsed"] / overdue["limit"]).to_numpy(),
                        overdue["amount"].to_numpy(dtype=float),
                        top,
                    ),
                    "owner_id": overdue["owner_id"].astype(str).to_numpy(),
                    "deal_id": overdue["deal_id"].to_numpy(),
                    "reason": reasons,
                    "action": actions,
                    "sla": names,
                    "amount": overdue["amount"].to_numpy(dtype=float),
                }
            )
        )
    if sleeping is not None and len(sleeping):
        sl = sleeping[sleeping["sleeping"]]
        last = pd.Series(sl["last_touch_at"]).dt.strftime("%Y-%m-%d").to_numpy()
        stage = [config.stage_label(str(s), language) if pd.notna(s) else "–" for s in sl["stage"]]
        reasons = [
            _t("handoff_alert_sleeping", language, days=f"{d:.0f}", last=lt, stage=st)
            for d, lt, st in zip(sl["idle_days"], last, stage, strict=True)
        ]
        frames.append(
            pd.DataFrame(
                {
                    "kind": "sleeping_lead",
                    "severity": _severity(
                        (sl["idle_days"] / config.sleeping_lead_days).to_numpy(),
                        sl["amount"].to_numpy(dtype=float),
                        top,
                    ),
                    "owner_id": sl["owner_id"].astype(str).to_numpy(),
                    "deal_id": sl["deal_id"].to_numpy(),
                    "reason": reasons,
                    "action": _t("handoff_action_sleeping", language),
                    "sla": np.nan,
                    "amount": sl["amount"].to_numpy(dtype=float),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(
        ["severity", "amount"], ascending=[False, False], na_position="last", kind="stable"
    ).reset_index(drop=True)

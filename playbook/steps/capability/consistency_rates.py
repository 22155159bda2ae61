"""Per rep, creation period and stage: the stage rate raw and on like deals, shrunk toward the
team — what :mod:`playbook.steps.capability.consistency` ranks. Part of step 4
(:mod:`playbook.steps.capability`)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from playbook.stats import fit_beta_prior
from playbook.steps.adjust import MixModel
from playbook.steps.journey import JourneyData, resolve
from playbook.steps.prepared import takes_pilot
from playbook.steps.stages import cohort_rates
from playbook.workspace.config import PilotConfig

logger = logging.getLogger(__name__)

RATE_COLUMNS = [
    "owner_id",
    "period",
    "from",
    "to",
    "entered",
    "advanced",
    "mature_n",
    "rate",
    "shrunk",
    "team_rate",
    "prior_alpha",
    "prior_beta",
    "expected",
    "expected_rate",
    "adjusted_rate",
    "adjusted_advanced",
    "adjusted_shrunk",
    "adjusted_alpha",
    "adjusted_beta",
]

#: The adjusted measure under the names the ranking reads (see :func:`measure`).
_ADJUSTED_AS = {
    "adjusted_advanced": "advanced",
    "adjusted_shrunk": "shrunk",
    "adjusted_alpha": "prior_alpha",
    "adjusted_beta": "prior_beta",
}


def _period_label(starts: pd.Series, freq: str) -> pd.Series:
    return pd.to_datetime(starts).dt.to_period(freq).astype(str)


def _deal_periods(created: pd.Series, freq: str) -> np.ndarray:
    """Each deal's period label, computed once per distinct creation day."""
    if not pd.api.types.is_datetime64_any_dtype(created):
        created = pd.to_datetime(created)
    days = created.to_numpy(dtype="datetime64[D]")
    unique, inverse = np.unique(days, return_inverse=True)
    labels = pd.DatetimeIndex(unique).to_period(freq).astype(str)
    return np.asarray(labels, dtype=object)[inverse]


@takes_pilot
def rep_period_rates(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    *,
    freq: str = "Q",
    periods: int | None = 4,
    as_of=None,
    journey: JourneyData | None = None,
    model: MixModel | None = None,
) -> pd.DataFrame:
    """Per rep, creation period and stage: the stage rate, shrunk toward the team, raw and
    adjusted for the deal mix.

    Deals are grouped by the period they were created in (cohorts); a stage's rate is
    censoring-aware (:func:`playbook.steps.stages.cohort_rates`). For each period and
    stage, a beta prior is fitted across reps (method of moments) and every rep's
    rate is shrunk toward the team's: ``shrunk = (advanced + alpha) / (mature_n +
    alpha + beta)``. Only complete periods (ended by ``as_of``) are kept, the last
    ``periods`` of them.

    Parameters
    ----------
    deals, stage_events : DataFrame
        Canonical tables.
    config : PilotConfig
    freq : str
        Period length, a pandas period alias ("Q" quarter, "M" month, "2Q" …).
    periods : int, optional
        Keep the last this many complete periods (all when None).
    as_of : datetime-like, optional
        Analysis date (default the latest timestamp in the data).
    journey : JourneyData, optional
        A :func:`playbook.steps.journey.prepare` result for the same inputs.
    model : MixModel, optional
        :func:`playbook.steps.adjust.fit_mix_model` of the same journey: adds the adjusted measure.

    Returns
    -------
    DataFrame
        ``owner_id | period | from | to | entered | advanced | mature_n | rate | shrunk |
        team_rate | prior_alpha | prior_beta | expected | expected_rate | adjusted_rate |
        adjusted_advanced | adjusted_shrunk | adjusted_alpha | adjusted_beta``; ``period`` is a
        label such as ``2026Q1``; ``team_rate`` pools every rep of the period.
        ``expected`` sums the rep's deals' expected chances (what the company would achieve
        on them), ``expected_rate`` = expected / mature_n; ``adjusted_rate`` is the rate on
        the company's average mix (indirect standardisation: observed / expected × the
        period's mean expected rate), ``adjusted_advanced`` = adjusted_rate × mature_n, and
        ``adjusted_shrunk`` shrinks it toward the team like ``shrunk``
        (``adjusted_alpha``/``adjusted_beta`` its prior). The adjusted columns are NaN
        without a model.
    """
    j = resolve(deals, stage_events, config, as_of, journey)
    cr = cohort_rates(j.deals, stage_events, config, freq=freq, by="owner_id", journey=j)
    ends = pd.to_datetime(cr["cohort"]).dt.to_period(freq).dt.end_time
    cr = cr[(ends <= j.as_of).to_numpy()]
    starts = np.sort(cr["cohort"].unique())
    if periods is not None:
        starts = starts[-int(periods) :]
    cr = cr[cr["cohort"].isin(starts)].copy()
    if not len(cr):
        logger.info("no complete %s period in the data as of %s", freq, j.as_of)
        return pd.DataFrame(columns=RATE_COLUMNS)
    cr["owner_id"] = cr["owner_id"].astype(str)
    cr = cr.sort_values(["cohort", "from", "owner_id"], kind="stable").reset_index(drop=True)
    key = cr["cohort"].astype("int64").to_numpy() * 1000 + cr["from"].cat.codes.to_numpy()
    codes, _ = pd.factorize(key)
    adv = cr["advanced"].to_numpy(dtype=float)
    n = cr["mature_n"].to_numpy(dtype=float)
    alpha = np.zeros(len(cr))
    beta = np.zeros(len(cr))
    for g in range(codes.max() + 1):
        sel = codes == g
        alpha[sel], beta[sel] = fit_beta_prior(adv[sel], n[sel])
    team_adv = np.bincount(codes, weights=adv)
    team_n = np.bincount(codes, weights=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        team = (team_adv / team_n)[codes]
        shrunk = np.where(alpha + beta > 0, (adv + alpha) / (n + alpha + beta), adv / n)
    shrunk = np.where(np.isnan(shrunk), team, shrunk)
    out = pd.DataFrame(
        {
            "owner_id": cr["owner_id"].to_numpy(),
            "period": _period_label(cr["cohort"], freq).to_numpy(),
            "from": cr["from"].to_numpy(),
            "to": cr["to"].to_numpy(),
            "entered": cr["entered"].to_numpy(),
            "advanced": cr["advanced"].to_numpy(),
            "mature_n": cr["mature_n"].to_numpy(),
            "rate": cr["rate"].to_numpy(),
            "shrunk": shrunk,
            "team_rate": team,
            "prior_alpha": alpha,
            "prior_beta": beta,
        }
    )
    out["from"] = pd.Categorical(out["from"], categories=list(j.stage_ids))
    out["to"] = pd.Categorical(out["to"], categories=list(j.stage_ids))
    _add_adjusted(out, codes, model, j, freq)
    return out


def _add_adjusted(
    out: pd.DataFrame, codes: np.ndarray, model: MixModel | None, j: JourneyData, freq: str
) -> None:
    """The adjusted measure of :func:`rep_period_rates`, in place (NaN without a model)."""
    for column in RATE_COLUMNS[RATE_COLUMNS.index("expected") :]:
        out[column] = np.nan
    if model is None or not len(out):
        return
    if len(model.deal_id) != j.n_deals:
        raise ValueError("model was fitted on another journey; fit it on this one")
    owner_codes, owners = model.owner_codes, model.owners
    period_codes, labels = pd.factorize(_deal_periods(j.deals["created_at"], freq))
    P = max(len(labels), 1)
    totals = model.totals(owner_codes * P + period_codes, len(owners) * P)["expected"]
    row_owner = pd.Index(owners).get_indexer(out["owner_id"].astype(str))
    row_period = pd.Index(labels).get_indexer(out["period"].astype(str))
    row_stage = pd.Index(model.stage_ids).get_indexer(out["from"].astype(str))
    ok = (row_owner >= 0) & (row_period >= 0) & (row_stage >= 0)
    expected = np.zeros(len(out))
    expected[ok] = totals[(row_owner * P + row_period)[ok], row_stage[ok]]
    adv = out["advanced"].to_numpy(dtype=float)
    n = out["mature_n"].to_numpy(dtype=float)
    group_n = np.bincount(codes, weights=n)
    group_e = np.bincount(codes, weights=expected)
    with np.errstate(invalid="ignore", divide="ignore"):
        base = (group_e / group_n)[codes]
        adjusted = np.clip(np.where(expected > 0, adv / expected * base, np.nan), 0.0, 1.0)
    adjusted_adv = np.where(n > 0, np.nan_to_num(adjusted), 0.0) * n
    alpha = np.zeros(len(out))
    beta = np.zeros(len(out))
    for g in range(codes.max() + 1):
        sel = codes == g
        alpha[sel], beta[sel] = fit_beta_prior(adjusted_adv[sel], n[sel])
    team = out["team_rate"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shrunk = np.where(
            alpha + beta > 0, (adjusted_adv + alpha) / (n + alpha + beta), adjusted_adv / n
        )
        out["expected_rate"] = np.where(n > 0, expected / n, np.nan)
    out["expected"] = expected
    out["adjusted_rate"] = adjusted
    out["adjusted_advanced"] = adjusted_adv
    out["adjusted_shrunk"] = np.where(np.isnan(shrunk), team, shrunk)
    out["adjusted_alpha"] = alpha
    out["adjusted_beta"] = beta


def is_adjusted(rates: pd.DataFrame) -> bool:
    """Whether ``rates`` carry the adjusted measure (:func:`rep_period_rates` with a model)."""
    return "adjusted_shrunk" in rates.columns and bool(rates["adjusted_shrunk"].notna().any())


def measure(rates: pd.DataFrame, adjusted: bool) -> pd.DataFrame:
    """``rates`` with the adjusted measure under the raw names (``advanced``, ``shrunk``,
    ``prior_alpha``, ``prior_beta``) when ``adjusted``, else unchanged, so the ranking and
    the leave-best-out check read either measure the same way."""
    if not adjusted:
        return rates
    view = rates.copy(deep=False)
    for adjusted_name, raw_name in _ADJUSTED_AS.items():
        view[raw_name] = rates[adjusted_name]
    return view.drop(columns=list(_ADJUSTED_AS))

"""Step 6, lead scoring and alerts: which open leads to work first, what needs attention now.

The model answers one question: *will this deal be won?*, asked ``early_days`` after
the deal was created, from what was known by then and nothing later:

* deal attributes fixed at creation (:data:`ATTRIBUTES` and extra deal columns that
  pass the leakage checks of :func:`feature_audit`);
* activity counts up to the snapshot (:data:`ACTIVITY_FEATURES`): marketing touches
  before creation, sales touches, meetings, whether and how fast a real contact
  happened in the first ``early_days``.

Never used: status, closed_at, lost_reason, stages, activities after the snapshot,
outcomes, and any column that behaves like them (filled mostly once a deal closes,
or separating won from lost almost perfectly). :func:`feature_audit` lists every
column with the reason it is used or not.

Training deals are those of *mature* cohorts (created at least ``horizon_days``
before the data end, so nearly all are decided) still open at their snapshot;
the label is "won". The split is by time (older deals train, newer deals test).
The model (one-hot + regularised logistic regression, or gradient boosting) is
compared with a baseline, the source's historical win rate, by AUC with DeLong
intervals; when it is not significantly better, or when the history is too thin
to fit it, scores come from the baseline and the report says so.

:func:`save_model` / :func:`load_model` are the only I/O here; :func:`score_workspace`
is what ``playbook score WS --model PATH`` calls.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.i18n import t
from playbook.stats import fit_beta_prior, shrink_rates, wilson_interval
from playbook.workspace.config import section_values

logger = logging.getLogger(__name__)

__all__ = [
    "ATTRIBUTES",
    "ACTIVITY_FEATURES",
    "AFTER_CREATION",
    "ScoringSettings",
    "ScoringModel",
    "settings",
    "feature_audit",
    "build_features",
    "delong",
    "fit_scoring",
    "score_deals",
    "verdict",
    "lead_quality",
    "save_model",
    "load_model",
    "score_workspace",
]

#: Deal attributes normally fixed when the deal is created.
ATTRIBUTES = ("segment", "source", "region", "product", "company_size", "campaign")
#: Activity features, counted up to the snapshot (``early_days`` after creation).
ACTIVITY_FEATURES = (
    "touches_before",
    "sales_touches",
    "meetings",
    "contacted",
    "hours_to_contact",
)
#: Activity features that depend on how the lead is worked after creation (``potential``
#: replaces them with a typically worked lead's values).
AFTER_CREATION = ("sales_touches", "meetings", "contacted", "hours_to_contact")
#: Activity types that count as a real contact (not attempts or emails).
CONTACT_TYPES = ("call", "meeting", "demo")
MEETING_TYPES = ("meeting", "demo")
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
#: Name tokens of columns typically written after the outcome.
POST_OUTCOME_TOKENS = {
    "closed",
    "close",
    "lost",
    "won",
    "win",
    "outcome",
    "reason",
    "renewal",
    "renewed",
    "churn",
    "stage",
    "updated",
    "modified",
    "last",
    "probability",
    "forecast",
}
MODEL_FILE = "lead_scoring.joblib"
#: Where :func:`save_model` puts the model, relative to the report folder.
MODEL_PATH = f"models/{MODEL_FILE}"
MISSING = "(missing)"
_MAX_LEVELS = 50
_LEAK_AUC = 0.95
_FILL_GAP = 0.25


# --- settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringSettings:
    """Scoring settings (``scoring:`` in pilot.yml once the config has them).

    Attributes
    ----------
    early_days : days after creation at which a lead is scored (activity window).
    horizon_days : a cohort is mature (outcome known) this long after creation;
        None: the 90th percentile of won deals' cycle (30 to 365 days).
    model : "logistic" (one-hot + L2 logistic regression) or "boosting".
    min_resolved, min_won : least mature deals and wins to fit a model at all.
    test_share : share of the newest mature deals held out for evaluation.
    include : extra deal columns to try (they are still checked for leakage).
    exclude : deal columns never to use.
    high_share : share of leads (by training score) that counts as "high score".
    stall_factor : an open deal is stalled after ``stall_factor`` x the stage's p90 dwell.
    dormant_days : days without activity that make an open deal dormant
        (None: ``config.sleeping_lead_days``).
    recent_days : window in which renewed engagement is looked for.
    renewal_days : renewals due within this many days are checked for complaints.
    """

    early_days: float = 3.0
    horizon_days: float | None = None
    model: Literal["logistic", "boosting"] = "logistic"
    min_resolved: int = 300
    min_won: int = 30
    test_share: float = 0.25
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    high_share: float = 0.2
    stall_factor: float = 2.0
    dormant_days: float | None = None
    recent_days: float = 7.0
    renewal_days: float = 90.0


def settings(config: Any = None, **overrides: Any) -> ScoringSettings:
    """The scoring settings of ``config`` (``config.scoring`` when it exists), with defaults.

    Works before and after the config has a ``scoring`` section: missing settings take
    the defaults of :class:`ScoringSettings`; ``overrides`` win over both.
    """
    values = section_values(config, "scoring", {f.name for f in fields(ScoringSettings)}, overrides)
    for key in ("include", "exclude"):
        if key in values:
            values[key] = tuple(values[key] or ())
    out = ScoringSettings(**values)
    if out.model not in ("logistic", "boosting"):
        raise ValueError(f"scoring.model must be 'logistic' or 'boosting'; got {out.model!r}")
    if not 0 < out.test_share < 1:
        raise ValueError(f"scoring.test_share must be between 0 and 1; got {out.test_share!r}")
    if out.early_days < 0:
        raise ValueError(f"scoring.early_days must be 0 or more; got {out.early_days!r}")
    return out


# --- features ------------------------------------------------------------------------------


def _data_end(deals: pd.DataFrame, stage_events: pd.DataFrame | None = None) -> pd.Timestamp:
    """The latest timestamp of deals and stage events (the journey's default ``as_of``)."""
    stamps = [pd.to_datetime(deals["created_at"]).max()]
    if "closed_at" in deals:
        stamps.append(pd.to_datetime(deals["closed_at"]).max())
    if stage_events is not None and "entered_at" in stage_events:
        stamps.append(pd.to_datetime(stage_events["entered_at"]).max())
    stamps = [s for s in stamps if pd.notna(s)]
    if not stamps:
        raise ValueError("deals hold no timestamp; pass as_of")
    return max(stamps)


def _single_auc(values: pd.Series, y: np.ndarray) -> float:
    """How well one column alone separates y (in-sample, direction-free; 0.5 = not at all)."""
    if y.all() or not y.any():
        return 0.5
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        x = np.where(np.isnan(x), np.nanmin(x) - 1 if np.isfinite(x).any() else 0.0, x)
    else:
        codes = pd.Series(pd.factorize(values.astype(object).fillna(MISSING))[0])
        x = codes.map(pd.Series(y).groupby(codes.to_numpy()).mean()).to_numpy(dtype=float)
    ranks = _st.rankdata(x)
    m = int(y.sum())
    n = len(y) - m
    auc = (ranks[y].sum() - m * (m + 1) / 2) / (m * n)
    return float(max(auc, 1 - auc))


def feature_audit(
    deals: pd.DataFrame,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    activities: bool = True,
    early_days: float = 3.0,
    language: str = "en",
) -> pd.DataFrame:
    """Every deal column and activity feature, whether the model may use it, and why.

    Checks, in order: a fixed list of identifiers and outcome columns (:data:`NEVER`);
    ``exclude``; names that suggest a value written after the outcome
    (:data:`POST_OUTCOME_TOKENS`); dates; a column filled much more often on closed deals
    than on open ones (25 points or more); a single value; identifier-like text (more than
    50 values); a column that on its own separates won from lost deals almost perfectly
    (AUC >= 0.95). ``include`` overrides the first and third checks only.
    Standard attributes (:data:`ATTRIBUTES`) and ``include`` columns that pass are used;
    other extra columns that pass are used too.

    Returns
    -------
    DataFrame
        ``feature | kind | used | reason``; ``kind`` is attribute, extra or activity;
        ``reason`` is a sentence in ``language``.
    """
    rows = []
    status = deals["status"].astype(object).to_numpy() if "status" in deals else None
    closed = np.isin(status, ["won", "lost"]) if status is not None else None
    won = status == "won" if status is not None else None
    for column in deals.columns:
        name = str(column)
        kind = "attribute" if name in ATTRIBUTES else "extra"
        values = deals[column]
        reason, values_used = _check_column(
            name, values, closed, won, set(include), set(exclude), language
        )
        rows.append({"feature": name, "kind": kind, "used": values_used, "reason": reason})
    if activities:
        for name in ACTIVITY_FEATURES:
            key = "score_reason_before" if name == "touches_before" else "score_reason_activity"
            rows.append(
                {
                    "feature": name,
                    "kind": "activity",
                    "used": True,
                    "reason": t(key, language, days=f"{early_days:g}"),
                }
            )
    return pd.DataFrame(rows, columns=["feature", "kind", "used", "reason"])


def _check_column(
    name: str,
    values: pd.Series,
    closed: np.ndarray | None,
    won: np.ndarray | None,
    include: set[str],
    exclude: set[str],
    language: str,
) -> tuple[str, bool]:
    def no(key: str, **kw: Any) -> tuple[str, bool]:
        return t(f"score_reason_{key}", language, **kw), False

    if name in NEVER and name not in include:
        return no(NEVER[name])
    if name in exclude:
        return no("excluded")
    tokens = set(name.lower().replace("-", "_").replace(" ", "_").split("_"))
    if tokens & POST_OUTCOME_TOKENS and name not in include:
        return no("post_name")
    if pd.api.types.is_datetime64_any_dtype(values):
        return no("date")
    filled = values.notna() & (values.astype(object).astype(str).str.strip() != "")
    if closed is not None and (~closed).sum() >= 20 and closed.sum() >= 20:
        on_closed, on_open = float(filled[closed].mean()), float(filled[~closed].mean())
        if on_closed - on_open > _FILL_GAP:
            return no("filled_after", closed=f"{on_closed:.0%}", open=f"{on_open:.0%}")
    distinct = values[filled].nunique()
    if distinct <= 1:
        return no("constant")
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric and distinct > _MAX_LEVELS:
        return no("identifier_like", n=int(distinct))
    if closed is not None and won is not None and closed.sum() >= 20:
        auc = _single_auc(values[closed], won[closed])
        if auc >= _LEAK_AUC:
            return no("too_good", auc=f"{auc:.2f}")
    key = "attribute" if name in ATTRIBUTES else "included" if name in include else "extra"
    return t(f"score_reason_{key}", language), True


def build_features(
    deals: pd.DataFrame,
    activities: pd.DataFrame | None,
    columns: Sequence[str],
    *,
    early_days: float,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """The feature matrix: deal columns as of creation plus activity counts up to the snapshot.

    The snapshot of a deal is ``min(created_at + early_days, as_of)``; only activities
    at or before it count. Text columns become strings (missing: ``"(missing)"``).

    Parameters
    ----------
    columns : deal columns to take (as approved by :func:`feature_audit`).
    activities : canonical activities, or None (no activity features).

    Returns
    -------
    DataFrame
        ``columns`` then :data:`ACTIVITY_FEATURES` (when activities are given), one row per
        deal in the order of ``deals`` (index reset). ``hours_to_contact`` is the hours to
        the first real sales contact (:data:`CONTACT_TYPES`), ``early_days * 24`` when none.
    """
    out = pd.DataFrame(index=range(len(deals)))
    for column in columns:
        values = deals[column].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(values):
            values = values.astype(object)
        if pd.api.types.is_numeric_dtype(values):
            out[column] = pd.to_numeric(values, errors="coerce").astype(float)
        else:
            text = values.astype(object)
            out[column] = text.where(text.notna() & (text.astype(str).str.strip() != ""), MISSING)
            out[column] = out[column].astype(str)
    if activities is None:
        return out
    created = pd.to_datetime(deals["created_at"]).to_numpy(dtype="datetime64[ns]")
    window = np.timedelta64(int(round(early_days * 86400)), "s")
    snap = np.minimum(created + window, np.datetime64(pd.Timestamp(as_of).to_datetime64(), "ns"))
    n = len(deals)
    row = pd.Index(deals["deal_id"].astype(object)).get_indexer(
        activities["deal_id"].astype(object)
    )
    ok = row >= 0
    at = pd.to_datetime(activities["at"]).to_numpy(dtype="datetime64[ns]")[ok]
    row = row[ok]
    kind = activities["type"].astype(object).to_numpy()[ok]
    if "team" in activities:
        team = activities["team"].astype(object).to_numpy()[ok]
        sales, marketing = team == "sales", team == "marketing"
    elif "actor_id" in activities and "owner_id" in deals:
        owner = deals["owner_id"].astype(object).to_numpy()[row]
        sales = activities["actor_id"].astype(object).to_numpy()[ok] == owner
        marketing = ~sales
    else:
        sales = np.ones(len(row), bool)
        marketing = np.zeros(len(row), bool)
    c, s = created[row], snap[row]
    before = at < c
    inside = (at >= c) & (at <= s)
    contact = inside & sales & np.isin(kind, CONTACT_TYPES)
    out["touches_before"] = np.bincount(row[before & marketing], minlength=n).astype(float)
    out["sales_touches"] = np.bincount(row[inside & sales], minlength=n).astype(float)
    out["meetings"] = np.bincount(row[inside & np.isin(kind, MEETING_TYPES)], minlength=n)
    out["meetings"] = out["meetings"].astype(float)
    hours = np.full(n, early_days * 24.0)
    if contact.any():
        h = (at[contact] - c[contact]) / np.timedelta64(1, "h")
        first = np.full(n, np.inf)
        np.minimum.at(first, row[contact], h)
        hours = np.minimum(hours, first)
    out["contacted"] = (hours < early_days * 24.0).astype(float)
    out["hours_to_contact"] = hours
    return out


# --- evaluation helpers --------------------------------------------------------------------


def delong(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs of several scorers on the same cases and their DeLong covariance.

    Fast midrank algorithm (Sun & Xu, 2014).

    Parameters
    ----------
    y : array of bool, shape (n,)
    scores : array, shape (k, n) (or (n,) for one scorer)

    Returns
    -------
    (auc, cov)
        ``auc`` shape (k,), ``cov`` shape (k, k).

    Raises
    ------
    ValueError
        When ``y`` holds only one class.
    """
    y = np.asarray(y, dtype=bool)
    s = np.atleast_2d(np.asarray(scores, dtype=float))
    m, n = int(y.sum()), int((~y).sum())
    if m == 0 or n == 0:
        raise ValueError("AUC needs both classes in y; got only one")
    pos, neg = s[:, y], s[:, ~y]
    tx = _st.rankdata(pos, axis=1)
    ty = _st.rankdata(neg, axis=1)
    tz = _st.rankdata(np.concatenate([pos, neg], axis=1), axis=1)
    auc = (tz[:, :m].sum(axis=1) - m * (m + 1) / 2) / (m * n)
    v01 = (tz[:, :m] - tx) / n
    v10 = 1.0 - (tz[:, m:] - ty) / m
    sx = np.atleast_2d(np.cov(v01)) if m > 1 else np.zeros((len(s), len(s)))
    sy = np.atleast_2d(np.cov(v10)) if n > 1 else np.zeros((len(s), len(s)))
    return auc, sx / m + sy / n


def _calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    q = pd.qcut(pd.Series(p).rank(method="first"), q=min(bins, max(1, len(p) // 20)), labels=False)
    g = pd.DataFrame({"bin": q.to_numpy() + 1, "p": p, "y": y.astype(float)}).groupby("bin")
    out = g.agg(n=("y", "size"), predicted=("p", "mean"), won=("y", "sum")).reset_index()
    out["observed"] = out["won"] / out["n"]
    out["ci_low"], out["ci_high"] = wilson_interval(out["won"].to_numpy(), out["n"].to_numpy())
    out["won"] = out["won"].astype(np.int64)
    return out[["bin", "n", "won", "predicted", "observed", "ci_low", "ci_high"]]


def _lift(y: np.ndarray, scores: dict[str, np.ndarray], seed: int = 0) -> pd.DataFrame:
    """Lift and cumulative gains by decile (ties broken at random, seeded)."""
    rng = np.random.default_rng(seed)
    tiebreak = rng.random(len(y))
    total, base = y.sum(), y.mean()
    frames = []
    for name, s in scores.items():
        order = np.lexsort((tiebreak, -s))
        decile = np.empty(len(y), np.int64)
        decile[order] = np.arange(len(y)) * 10 // len(y) + 1
        n = np.bincount(decile, minlength=11)[1:]
        won = np.bincount(decile, weights=y.astype(float), minlength=11)[1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = won / n
        frames.append(
            pd.DataFrame(
                {
                    "scorer": name,
                    "decile": np.arange(1, 11),
                    "n": n,
                    "won": won.astype(np.int64),
                    "rate": rate,
                    "lift_vs_random": rate / base if base > 0 else np.nan,
                    "cum_share_won": np.cumsum(won) / total if total else np.nan,
                    "cum_share_random": np.cumsum(n) / len(y),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _baseline_table(source: pd.Series, y: np.ndarray) -> pd.DataFrame:
    """Win rate by source, shrunk towards the overall rate (empirical Bayes)."""
    keys = source.to_numpy(dtype=object)
    codes, uniques = pd.factorize(keys)
    n = np.bincount(codes, minlength=len(uniques)).astype(float)
    won = np.bincount(codes, weights=y.astype(float), minlength=len(uniques))
    rate = shrink_rates(won, n, fit_beta_prior(won, n))
    rate = np.where(np.isnan(rate), won.sum() / max(n.sum(), 1), rate)
    return pd.DataFrame({"source": uniques, "n": n.astype(np.int64), "rate": rate})


def _baseline_scores(table: pd.DataFrame, overall: float, source: pd.Series | None) -> np.ndarray:
    if source is None or table.empty:
        return np.full(0 if source is None else len(source), overall)
    mapping = dict(zip(table["source"], table["rate"], strict=True))
    return source.astype(object).map(mapping).fillna(overall).to_numpy(dtype=float)


# --- the model -----------------------------------------------------------------------------


@dataclass
class ScoringModel:
    """A fitted lead-scoring model, its evaluation and everything needed to score again.

    Attributes ending in ``_`` are results of :func:`fit_scoring`.
    """

    settings: ScoringSettings
    language: str = "en"
    columns_: tuple[str, ...] = ()
    activity_: bool = False
    pipeline_: Any = None
    chosen_: Literal["model", "baseline"] = "baseline"
    reason_: str = ""
    baseline_: pd.DataFrame = field(default_factory=pd.DataFrame)
    overall_rate_: float = float("nan")
    typical_: dict[str, float] = field(default_factory=dict)
    high_threshold_: float = float("nan")
    as_of_: pd.Timestamp | None = None
    horizon_days_: float = float("nan")
    test_start_: pd.Timestamp | None = None
    n_population_: int = 0
    n_won_: int = 0
    audit_: pd.DataFrame = field(default_factory=pd.DataFrame)
    metrics_: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration_: pd.DataFrame = field(default_factory=pd.DataFrame)
    lift_: pd.DataFrame = field(default_factory=pd.DataFrame)
    importance_: pd.DataFrame = field(default_factory=pd.DataFrame)
    auc_: dict[str, float] = field(default_factory=dict)
    versions_: dict[str, str] = field(default_factory=dict)

    @property
    def features_(self) -> list[str]:
        """Every input the model reads, in order."""
        return [*self.columns_, *(ACTIVITY_FEATURES if self.activity_ else ())]


def _pipeline(columns: list[str], numeric: list[str], kind: str, seed: int):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    categorical = [c for c in columns if c not in numeric]
    counts = [c for c in numeric if c in ACTIVITY_FEATURES]
    plain = [c for c in numeric if c not in ACTIVITY_FEATURES]
    parts = []
    if categorical:
        onehot = OneHotEncoder(
            handle_unknown="infrequent_if_exist", min_frequency=10, sparse_output=False
        )
        parts.append(("categorical", onehot, categorical))
    if counts:
        log = FunctionTransformer(np.log1p, feature_names_out="one-to-one")
        parts.append(("counts", Pipeline([("log", log), ("scale", StandardScaler())]), counts))
    if plain:
        num = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
        parts.append(("numeric", num, plain))
    pre = ColumnTransformer(parts, remainder="drop")
    if kind == "boosting":
        clf = HistGradientBoostingClassifier(
            max_depth=3, learning_rate=0.05, max_iter=200, l2_regularization=1.0, random_state=seed
        )
    else:
        clf = LogisticRegression(C=0.5, max_iter=2000)
    return Pipeline([("prepare", pre), ("classify", clf)])


def _versions() -> dict[str, str]:
    import sklearn

    from playbook import __version__

    return {"playbook": __version__, "scikit-learn": sklearn.__version__}


def fit_scoring(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame | None,
    activities: pd.DataFrame | None,
    config: Any = None,
    *,
    as_of: Any = None,
    language: str | None = None,
    scoring: ScoringSettings | None = None,
    seed: int = 0,
) -> ScoringModel:
    """Fit, evaluate against the source baseline, and refit the lead-scoring model.

    Parameters
    ----------
    deals, stage_events, activities : canonical tables (stage_events only set the data
        end; activities may be None).
    config : PilotConfig, optional; read for ``scoring`` settings and the language.
    as_of : datetime-like, optional; default the latest timestamp of deals and events.
    scoring : ScoringSettings, optional; default :func:`settings` of ``config``.

    Returns
    -------
    ScoringModel
        ``metrics_``: ``scorer | n | won | auc | auc_low | auc_high | p_delong`` (rows model,
        baseline, difference; held-out period); ``calibration_``: ``bin | n | won |
        predicted | observed | ci_low | ci_high``; ``lift_``: ``scorer | decile | n | won |
        rate | lift_vs_random | cum_share_won | cum_share_random``; ``importance_``: ``feature |
        importance | std`` (drop in held-out AUC when the feature is shuffled);
        ``audit_``: see :func:`feature_audit`. ``chosen_`` is "model" only when the model's
        held-out AUC is significantly higher than the baseline's (one-sided DeLong p < 0.05).
    """
    cfg = scoring or settings(config)
    language = language or getattr(config, "language", "en")
    as_of = pd.Timestamp(as_of) if as_of is not None else _data_end(deals, stage_events)
    model = ScoringModel(settings=cfg, language=language, as_of_=as_of, versions_=_versions())
    has_activity = activities is not None and len(activities) > 0
    audit = feature_audit(
        deals,
        include=cfg.include,
        exclude=cfg.exclude,
        activities=has_activity,
        early_days=cfg.early_days,
        language=language,
    )
    model.audit_ = audit
    model.columns_ = tuple(audit.loc[audit["used"] & (audit["kind"] != "activity"), "feature"])
    model.activity_ = has_activity

    created = pd.to_datetime(deals["created_at"]).reset_index(drop=True)
    closed = (
        pd.to_datetime(deals["closed_at"]).reset_index(drop=True)
        if "closed_at" in deals
        else pd.Series(pd.NaT, index=created.index)
    )
    status = deals["status"].astype(object).reset_index(drop=True)
    won_all = (status == "won").to_numpy()
    horizon = cfg.horizon_days
    if horizon is None:
        cycle = ((closed - created).dt.total_seconds() / 86400)[won_all].dropna()
        horizon = float(np.clip(cycle.quantile(0.9), 30, 365)) if len(cycle) >= 20 else 180.0
    model.horizon_days_ = float(horizon)
    snapshot = created + pd.Timedelta(days=cfg.early_days)
    mature = created <= as_of - pd.Timedelta(days=horizon)
    decided_early = closed.notna() & (closed <= snapshot)
    population = (mature & ~decided_early).to_numpy()
    y = won_all[population]
    model.n_population_, model.n_won_ = int(population.sum()), int(y.sum())

    X_all = build_features(
        deals,
        activities if has_activity else None,
        model.columns_,
        early_days=cfg.early_days,
        as_of=as_of,
    )
    X = X_all[population].reset_index(drop=True)
    source = X["source"] if "source" in X else None
    model.overall_rate_ = float(y.mean()) if len(y) else float("nan")
    if source is not None:
        model.baseline_ = _baseline_table(source, y)

    too_thin = model.n_population_ < cfg.min_resolved or model.n_won_ < cfg.min_won
    c_pop = created[population].reset_index(drop=True)
    cut = c_pop.quantile(1 - cfg.test_share) if len(c_pop) else pd.NaT
    train = (c_pop < cut).to_numpy() if len(c_pop) else np.zeros(0, bool)
    test = ~train
    if not too_thin and (y[test].sum() < 10 or (~y[test]).sum() < 10 or y[train].sum() < 10):
        too_thin = True
    if too_thin or not model.columns_ and not has_activity:
        model.chosen_, model.reason_ = "baseline", "too_little"
        _set_threshold(model, X, source)
        logger.info(
            "scoring: %d mature deals, %d won: too little history; baseline only",
            model.n_population_,
            model.n_won_,
        )
        return model

    model.test_start_ = pd.Timestamp(cut)
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    pipe = _pipeline(list(X.columns), numeric, cfg.model, seed)
    pipe.fit(X[train], y[train])
    p_model = pipe.predict_proba(X[test])[:, 1]
    base_train = _baseline_table(source[train], y[train]) if source is not None else None
    p_base = (
        _baseline_scores(base_train, float(y[train].mean()), source[test])
        if base_train is not None
        else np.full(test.sum(), float(y[train].mean()))
    )
    y_test = y[test]
    auc, cov = delong(y_test, np.vstack([p_model, p_base]))
    z = _st.norm.ppf(0.975)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    diff = float(auc[0] - auc[1])
    se_diff = float(np.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)))
    p_diff = float(_st.norm.sf(diff / se_diff)) if se_diff > 0 else (0.0 if diff > 0 else 1.0)
    n_test, w_test = int(test.sum()), int(y_test.sum())
    model.metrics_ = pd.DataFrame(
        {
            "scorer": [t(f"scorer_{k}", language) for k in ("model", "baseline", "difference")],
            "n": [n_test] * 3,
            "won": [w_test] * 3,
            "auc": [auc[0], auc[1], diff],
            "auc_low": [*(np.clip(auc - z * se, 0, 1)), diff - z * se_diff],
            "auc_high": [*(np.clip(auc + z * se, 0, 1)), diff + z * se_diff],
            "p_delong": [np.nan, np.nan, p_diff],
        }
    )
    model.auc_ = {
        "model": float(auc[0]),
        "model_low": float(max(auc[0] - z * se[0], 0)),
        "model_high": float(min(auc[0] + z * se[0], 1)),
        "baseline": float(auc[1]),
        "difference": diff,
        "p_value": p_diff,
        "n_test": n_test,
        "won_test": w_test,
    }
    model.calibration_ = _calibration(y_test, p_model)
    model.lift_ = _lift(
        y_test,
        {
            t("scorer_model", language): p_model,
            t("scorer_baseline", language): p_base,
        },
        seed,
    )
    model.importance_ = _importance(pipe, X[test], y_test, seed)
    better = diff > 0 and p_diff < 0.05
    model.chosen_, model.reason_ = ("model", "better") if better else ("baseline", "not_better")
    if better:
        pipe = _pipeline(list(X.columns), numeric, cfg.model, seed)
        pipe.fit(X, y)  # refit on every mature deal for scoring
        model.pipeline_ = pipe
        worked = X[X["contacted"] > 0] if "contacted" in X and (X["contacted"] > 0).any() else X
        model.typical_ = {c: float(worked[c].median()) for c in AFTER_CREATION if c in X}
    _set_threshold(model, X, source)
    logger.info(
        "scoring: AUC %.3f vs baseline %.3f on %d held-out deals (p=%.3g); using %s",
        auc[0],
        auc[1],
        n_test,
        p_diff,
        model.chosen_,
    )
    return model


def _importance(pipe, X: pd.DataFrame, y: np.ndarray, seed: int) -> pd.DataFrame:
    from sklearn.inspection import permutation_importance

    res = permutation_importance(
        pipe, X, y, scoring="roc_auc", n_repeats=5, random_state=seed, n_jobs=1
    )
    out = pd.DataFrame(
        {"feature": list(X.columns), "importance": res.importances_mean, "std": res.importances_std}
    )
    return out.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def _set_threshold(model: ScoringModel, X: pd.DataFrame, source: pd.Series | None) -> None:
    scores = _predict(model, X, potential=True)
    if len(scores):
        model.high_threshold_ = float(np.quantile(scores, 1 - model.settings.high_share))


def _predict(model: ScoringModel, X: pd.DataFrame, *, potential: bool) -> np.ndarray:
    if model.chosen_ == "model" and model.pipeline_ is not None:
        if potential and model.typical_:
            X = X.assign(**model.typical_)
        return model.pipeline_.predict_proba(X[model.features_])[:, 1]
    source = X["source"] if "source" in X else None
    if source is None:
        return np.full(len(X), model.overall_rate_)
    return _baseline_scores(model.baseline_, model.overall_rate_, source)


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
    as_of = pd.Timestamp(as_of) if as_of is not None else _data_end(deals, stage_events)
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
        open_deals, use_acts, model.columns_, early_days=model.settings.early_days, as_of=as_of
    )
    score = _predict(model, X, potential=False)
    potential = _predict(model, X, potential=True)
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


def verdict(model: ScoringModel, language: str | None = None) -> dict[str, str]:
    """The sentence saying which scorer is used and why, and how to show it.

    Returns
    -------
    dict
        ``text`` (a sentence in ``language``) and ``kind`` ("p" or "warn"), ready for
        ``StepReport.say(**verdict(model))``.
    """
    lang = language or model.language
    cfg = model.settings
    if model.reason_ == "too_little":
        text = t(
            "score_fallback",
            lang,
            n=model.n_population_,
            won=model.n_won_,
            min_n=cfg.min_resolved,
            min_won=cfg.min_won,
        )
        return {"text": text, "kind": "warn"}
    a = model.auc_
    values = {
        "auc": f"{a['model']:.2f}",
        "low": f"{a['model_low']:.2f}",
        "high": f"{a['model_high']:.2f}",
        "base": f"{a['baseline']:.2f}",
        "p": _fmt_p(a["p_value"]),
        "start": f"{model.test_start_:%Y-%m-%d}",
        "n": a["n_test"],
    }
    if model.chosen_ == "model":
        return {"text": t("score_better", lang, **values), "kind": "p"}
    return {"text": t("score_not_better", lang, **values), "kind": "warn"}


def _fmt_p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


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
    as_of = model.as_of_ if model.as_of_ is not None else _data_end(deals)
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


# --- persistence (the only I/O of this module) -------------------------------------------


def save_model(model: ScoringModel, output_dir: str | Path, workspace: str | Path = "") -> Path:
    """Write the model to ``<output_dir>/models/lead_scoring.joblib`` and return the path.

    With ``workspace``, the model is signed for it (``lead_scoring.joblib.sig.json``,
    see :mod:`playbook.workspace.signing`): only a signed model can be loaded again.
    """
    import joblib

    from playbook.workspace.signing import sign_file, signature_path

    folder = Path(output_dir) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MODEL_FILE
    tmp = path.with_suffix(".tmp")
    joblib.dump(model, tmp)
    tmp.replace(path)
    signature_path(path).unlink(missing_ok=True)
    if workspace:
        sign_file(path, workspace)
    return path


def load_model(path: str | Path, workspace: str | Path) -> ScoringModel:
    """Read a model :func:`save_model` wrote and signed for ``workspace``.

    The signature is checked before anything is unpickled (a joblib file can run
    code when it is read), and exactly the checked bytes are loaded.

    Raises
    ------
    UntrustedFile
        When the model is unsigned, signed for another workspace or machine, or changed.
    ValueError
        When the (signed) file does not hold a lead-scoring model.
    """
    import io

    import joblib

    from playbook.workspace.signing import read_signed

    model = joblib.load(io.BytesIO(read_signed(path, workspace)))
    if not isinstance(model, ScoringModel):
        raise ValueError(
            f"{path} does not hold a lead-scoring model (found {type(model).__name__}); "
            f"use the {MODEL_FILE} written by a 'playbook run' (in models/ of the report)"
        )
    now = _versions()
    if model.versions_.get("scikit-learn") != now["scikit-learn"]:
        logger.warning(
            "model fitted with scikit-learn %s, now %s: refit with a new run if scores look odd",
            model.versions_.get("scikit-learn"),
            now["scikit-learn"],
        )
    return model


def score_workspace(
    dataset: Any, model_path: str | Path, workspace: str | Path | None = None
) -> pd.DataFrame:
    """Score every open deal of a workspace with a saved model (``playbook score``).

    Parameters
    ----------
    dataset : Dataset
        A loaded workspace (``playbook.workspace.load.open_dataset``).
    model_path : path to a ``lead_scoring.joblib`` signed for the workspace.
    workspace : the workspace folder (default ``dataset.workspace``); its secret
        checks the model's signature before the model is read.

    Returns
    -------
    DataFrame
        As :func:`score_deals`.
    """
    model = load_model(model_path, workspace or dataset.workspace)
    return score_deals(
        model,
        dataset.deals,
        dataset.activities,
        stage_events=dataset.stage_events,
        config=dataset.config,
    )

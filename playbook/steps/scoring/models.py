"""Lead-scoring candidates and how one is chosen: logistic regression against gradient boosting.

Both candidates are fitted on the training window and scored on the held-out (newest) deals.
``scoring.model: auto`` keeps the simpler logistic regression unless gradient boosting
(scikit-learn's ``HistGradientBoostingClassifier``) ranks the held-out deals significantly
better (one-sided DeLong test, p < 0.05): a more flexible model has to earn its place.
``logistic`` or ``boosting`` fits only that one. The chosen candidate is then compared with
the source baseline as before.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st
from threadpoolctl import ThreadpoolController

from playbook.stats import wilson_interval
from playbook.steps.scoring.features import ACTIVITY_FEATURES

#: Candidates, simplest first.
CANDIDATES = ("logistic", "boosting")
#: One-sided DeLong p-value under which the more flexible candidate is preferred.
PICK_ALPHA = 0.05
#: Gradient boosting pools the rarer values of a category beyond this many levels.
MAX_BOOSTING_LEVELS = 64
#: Permutation importance shuffles each feature this often, on at most this many deals.
IMPORTANCE_REPEATS = 3
IMPORTANCE_ROWS = 1500


@functools.cache
def _thread_pools() -> ThreadpoolController:
    """The process's thread pools, scikit-learn's OpenMP runtime among them (found once)."""
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime the controller looks for)

    return ThreadpoolController()


def one_thread() -> Any:
    """A context in which scikit-learn's OpenMP code (gradient boosting) uses one thread.

    Gradient boosting gives the same trees and scores on any number of threads (histograms
    are summed feature by feature, in sample order), so this changes no result. It saves
    time: on a 2-core machine running two steps at once, the second OpenMP thread mostly
    waits its turn, and a fit at 200,000 deals took 25 s of CPU (114 s wall) on two threads
    against 1.4 s (6.5 s) on one. BLAS (logistic regression) is left as it is.
    """
    return _thread_pools().limit(limits=1, user_api="openmp")


def candidate_kinds(choice: str) -> tuple[str, ...]:
    """The candidates ``scoring.model`` asks for, simplest first."""
    if choice == "auto":
        return CANDIDATES
    if choice not in CANDIDATES:
        raise ValueError(f"scoring.model must be auto, logistic or boosting; got {choice!r}")
    return (choice,)


def pipeline(columns: list[str], numeric: list[str], kind: str, seed: int):
    """An unfitted scikit-learn pipeline: encoded categories, scaled numbers, the classifier.

    Logistic regression reads one-hot categories; gradient boosting reads them as its own
    categorical features (ordinal codes, rare values pooled), which is faster and splits
    them better. Activity counts are log-transformed; other numbers are median-imputed and
    scaled.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import (
        FunctionTransformer,
        OneHotEncoder,
        OrdinalEncoder,
        StandardScaler,
    )

    categorical = [c for c in columns if c not in numeric]
    counts = [c for c in numeric if c in ACTIVITY_FEATURES]
    plain = [c for c in numeric if c not in ACTIVITY_FEATURES]
    parts = []
    if categorical and kind == "boosting":
        codes = OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            min_frequency=10,
            max_categories=MAX_BOOSTING_LEVELS,
        )
        parts.append(("categorical", codes, categorical))
    elif categorical:
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
            max_depth=3,
            learning_rate=0.05,
            max_iter=200,
            l2_regularization=1.0,
            categorical_features=[True] * len(categorical) + [False] * len(numeric),
            random_state=seed,
        )
    else:
        clf = LogisticRegression(C=0.5, max_iter=2000)
    return Pipeline([("prepare", pre), ("classify", clf)])


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


def paired_test(y: np.ndarray, better: np.ndarray, other: np.ndarray) -> tuple[float, float]:
    """AUC difference ``better - other`` on the same cases, its DeLong SE and one-sided p."""
    auc, cov = delong(y, np.vstack([better, other]))
    diff = float(auc[0] - auc[1])
    se = float(np.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)))
    p = float(_st.norm.sf(diff / se)) if se > 0 else (0.0 if diff > 0 else 1.0)
    return diff, p


@dataclass
class CandidateFit:
    """One candidate fitted on the training window, with its held-out scores."""

    kind: str
    pipeline: Any
    held_out: np.ndarray
    auc: float
    auc_low: float
    auc_high: float
    p_vs_simpler: float = float("nan")


def fit_candidates(
    X: pd.DataFrame,
    y: np.ndarray,
    train: np.ndarray,
    kinds: tuple[str, ...],
    numeric: list[str],
    seed: int,
) -> list[CandidateFit]:
    """Fit each candidate on ``X[train]`` and measure it on the rest (95% DeLong interval)."""
    z = _st.norm.ppf(0.975)
    y_test = y[~train]
    fits = []
    for kind in kinds:
        pipe = pipeline(list(X.columns), numeric, kind, seed)
        pipe.fit(X[train], y[train])
        p = pipe.predict_proba(X[~train])[:, 1]
        auc, cov = delong(y_test, p)
        se = float(np.sqrt(max(cov[0, 0], 0.0)))
        a = float(auc[0])
        fits.append(CandidateFit(kind, pipe, p, a, max(a - z * se, 0.0), min(a + z * se, 1.0)))
    for simpler, flexible in zip(fits, fits[1:], strict=False):
        _, flexible.p_vs_simpler = paired_test(y_test, flexible.held_out, simpler.held_out)
    return fits


def pick(fits: list[CandidateFit]) -> CandidateFit:
    """The simplest candidate unless a more flexible one is significantly better."""
    chosen = fits[0]
    for fit in fits[1:]:
        if fit.auc > chosen.auc and fit.p_vs_simpler < PICK_ALPHA:
            chosen = fit
    return chosen


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed win rate by score bin, with Wilson intervals."""
    q = pd.qcut(pd.Series(p).rank(method="first"), q=min(bins, max(1, len(p) // 20)), labels=False)
    g = pd.DataFrame({"bin": q.to_numpy() + 1, "p": p, "y": y.astype(float)}).groupby("bin")
    out = g.agg(n=("y", "size"), predicted=("p", "mean"), won=("y", "sum")).reset_index()
    out["observed"] = out["won"] / out["n"]
    out["ci_low"], out["ci_high"] = wilson_interval(out["won"].to_numpy(), out["n"].to_numpy())
    out["won"] = out["won"].astype(np.int64)
    return out[["bin", "n", "won", "predicted", "observed", "ci_low", "ci_high"]]


def lift(y: np.ndarray, scores: dict[str, np.ndarray], seed: int = 0) -> pd.DataFrame:
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


def importance(pipe, X: pd.DataFrame, y: np.ndarray, seed: int) -> pd.DataFrame:
    """Drop in held-out AUC when each feature is shuffled (permutation importance)."""
    from sklearn.inspection import permutation_importance

    res = permutation_importance(
        pipe,
        X,
        y,
        scoring="roc_auc",
        n_repeats=IMPORTANCE_REPEATS,
        max_samples=min(1.0, IMPORTANCE_ROWS / max(len(X), 1)),
        random_state=seed,
        n_jobs=1,
    )
    out = pd.DataFrame(
        {"feature": list(X.columns), "importance": res.importances_mean, "std": res.importances_std}
    )
    return out.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)

"""The pilot's inference core: lift of pilot over control with the unit as the observation.

Works on unit x period x stage counts and is vectorised (the calibration tests run it on
hundreds of simulated null pilots): cluster-robust intervals (CR1, identical to
statsmodels' cluster covariance of the linear-probability model), permutation p-values
over re-assignments of units, and P(lift > 0) under a Bayesian bootstrap over units.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.steps.pilot.design import icc_anova

__all__ = ["PRE", "POST", "cluster_inference", "se_floor"]

PRE, POST = 0, 1


def _rates(SA: np.ndarray, SN: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return SA / SN


def _statistic(rp: np.ndarray, rc: np.ndarray, did: bool) -> np.ndarray:
    """Lift per row from arm rates (..., 2 periods, R rows)."""
    if did:
        return (rp[..., POST, :] - rp[..., PRE, :]) - (rc[..., POST, :] - rc[..., PRE, :])
    return rp[..., POST, :] - rc[..., POST, :]


def _with_overall(r: np.ndarray) -> np.ndarray:
    """Append the product of the stage rates (end-to-end conversion) as a last row."""
    return np.concatenate([r, np.prod(r, axis=-1, keepdims=True)], axis=-1)


def _assignments(G: int, k: int, n_perm: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Pilot indicator rows: all C(G, k) assignments when few, else ``n_perm`` random ones."""
    total = math.comb(G, k)
    if total <= n_perm:
        Z = np.zeros((total, G))
        for i, combo in enumerate(itertools.combinations(range(G), k)):
            Z[i, list(combo)] = 1.0
        return Z, True
    keys = rng.random((n_perm, G))
    idx = np.argsort(keys, axis=1)[:, :k]
    Z = np.zeros((n_perm, G))
    np.put_along_axis(Z, idx, 1.0, axis=1)
    return Z, False


@dataclass(frozen=True)
class _Cells:
    """Unit x period x stage counts, and how the lift is read from them."""

    A: np.ndarray  # advanced (G, 2, S)
    N: np.ndarray  # resolved (G, 2, S)
    zp: np.ndarray  # pilot units (G,)
    did: bool
    overall: bool

    @property
    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """A and N as (G, 2 x S), for weighted sums over units."""
        G = len(self.zp)
        return self.A.reshape(G, -1), self.N.reshape(G, -1)

    def lifts(self, SAp, SNp, SAc, SNc) -> np.ndarray:
        """The lift (B, R) of B weightings of the units, from the arms' summed counts
        (B, 2 x S)."""
        S = self.A.shape[2]
        rp = _rates(SAp, SNp).reshape(-1, 2, S)
        rc = _rates(SAc, SNc).reshape(-1, 2, S)
        if self.overall:
            rp, rc = _with_overall(rp), _with_overall(rc)
        return _statistic(rp, rc, self.did)


def _cluster_se(
    cells: _Cells, rp: np.ndarray, rc: np.ndarray, Np: np.ndarray, Nc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster-robust (CR1) standard error of each row's lift, from the influence of each
    unit on it, and the degrees of freedom (units with deals - 1)."""
    A, N, zp, did = cells.A, cells.N, cells.zp, cells.did
    S = A.shape[2]
    arm_rate = np.where(zp[:, None, None], rp[None, :, :S], rc[None, :, :S])  # (G, 2, S)
    arm_n = np.where(zp[:, None, None], Np[None], Nc[None])
    with np.errstate(invalid="ignore", divide="ignore"):
        infl_cell = np.where(arm_n > 0, (A - N * arm_rate) / arm_n, 0.0)  # (G, 2, S)
    sign = np.where(zp, 1.0, -1.0)[:, None]  # pilot +, control -
    periods = np.array([-1.0, 1.0]) if did else np.array([0.0, 1.0])
    coef = sign * periods[None, :]  # (G, 2)
    infl = np.einsum("gt,gts->gs", coef, infl_cell)
    if cells.overall:
        full = np.where(zp[:, None, None], rp[None, :, :S], rc[None, :, :S])
        others = np.empty_like(full)
        for s in range(S):
            others[..., s] = np.prod(np.delete(full, s, axis=-1), axis=-1)
        infl = np.concatenate(
            [infl, np.einsum("gt,gts->g", coef, others * infl_cell)[:, None]], axis=1
        )
    used = N if did else N[:, POST:]
    n_obs = used.sum(axis=(0, 1))
    n_params = 4 if did else 2
    units_with = (used.sum(axis=1) > 0).sum(axis=0)  # (S,)
    g_eff = np.r_[units_with, units_with.min() if S else 0] if cells.overall else units_with
    n_eff = np.r_[n_obs, n_obs.min() if S else 0] if cells.overall else n_obs
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = g_eff / (g_eff - 1) * (n_eff - 1) / (n_eff - n_params)
    return np.sqrt(factor * (infl**2).sum(axis=0)), np.maximum(g_eff - 1, 1)


def _permutation_p(
    cells: _Cells, lift: np.ndarray, n_perm: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool, int]:
    """Two-sided p-value of each lift over re-assignments of units to pilot and control;
    whether all assignments were enumerated, and how many were used."""
    G = len(cells.zp)
    Z, exact = _assignments(G, int(cells.zp.sum()), n_perm, rng)
    flatA, flatN = cells.flat
    SAp, SNp = Z @ flatA, Z @ flatN
    perm = cells.lifts(SAp, SNp, flatA.sum(0) - SAp, flatN.sum(0) - SNp)  # (B, R)
    tol = 1e-12
    with np.errstate(invalid="ignore"):
        extreme = np.abs(perm) >= np.abs(lift)[None] - tol
    if exact:
        return extreme.sum(0) / len(Z), exact, len(Z)
    return (1 + extreme.sum(0)) / (len(Z) + 1), exact, len(Z)


def _bayesian_bootstrap(
    cells: _Cells, R: int, n_boot: int, alpha: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """P(lift > 0) and the (2, R) interval of the lift under a Bayesian bootstrap over units
    (Dirichlet weights within each group)."""
    W = rng.gamma(1.0, size=(n_boot, len(cells.zp)))
    Wp, Wc = W * cells.zp, W * ~cells.zp
    flatA, flatN = cells.flat
    boot = cells.lifts(Wp @ flatA, Wp @ flatN, Wc @ flatA, Wc @ flatN)
    valid = ~np.isnan(boot)
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = (np.where(valid, boot > 0, False).sum(0)) / valid.sum(0)
    boot_q = np.full((2, R), np.nan)
    some = valid.any(axis=0)
    if some.any():
        boot_q[:, some] = np.nanquantile(boot[:, some], [alpha / 2, 1 - alpha / 2], axis=0)
    return prob, boot_q


def cluster_inference(
    advanced: np.ndarray,
    resolved: np.ndarray,
    is_pilot: np.ndarray,
    *,
    did: bool = True,
    overall: bool = True,
    alpha: float = 0.05,
    n_perm: int = 2000,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Lift of the pilot over control with inference at the unit level.

    Parameters
    ----------
    advanced, resolved : arrays, shape (G units, 2 periods [pre, post], S stages)
        Deals that advanced, and deals whose outcome at the stage is known.
    is_pilot : bool array (G,)
    did : difference-in-differences (needs pre-period counts in both groups);
        False: post-period difference.
    overall : add a row for the end-to-end conversion (product of the stage rates).

    Returns
    -------
    DataFrame
        One row per stage (then overall): ``pilot_n | control_n | pilot_rate |
        control_rate | pilot_pre_rate | control_pre_rate | effect | se | effect_low | effect_high |
        p_cluster | p_perm | exact | assignments | prob_positive | boot_low | boot_high``.
        ``se``/``ci`` are cluster-robust (CR1, as statsmodels' cluster covariance of the
        linear-probability model, delta method for the product), the interval uses t
        with G - 1 degrees of freedom; ``p_perm`` is two-sided over re-assignments of
        units; ``prob_positive`` is P(lift > 0) under a Bayesian bootstrap over units.
    """
    A = np.asarray(advanced, dtype=float)
    N = np.asarray(resolved, dtype=float)
    zp = np.asarray(is_pilot, dtype=bool)
    cells = _Cells(A, N, zp, did, overall)
    S = A.shape[2]
    rng = np.random.default_rng(seed)
    Ap, Np = A[zp].sum(0), N[zp].sum(0)  # (2, S)
    Ac, Nc = A[~zp].sum(0), N[~zp].sum(0)
    rp, rc = _rates(Ap, Np), _rates(Ac, Nc)
    if overall:
        rp, rc = _with_overall(rp), _with_overall(rc)
    lift = _statistic(rp[None], rc[None], did)[0]  # (R,)

    se, dof = _cluster_se(cells, rp, rc, Np, Nc)
    tq = _st.t.ppf(1 - alpha / 2, dof)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_cluster = 2 * _st.t.sf(np.abs(lift / se), dof)
    p_cluster = np.where(se > 0, p_cluster, np.nan)
    p_perm, exact, n_assign = _permutation_p(cells, lift, n_perm, rng)
    prob, boot_q = _bayesian_bootstrap(cells, len(lift), n_boot, alpha, rng)

    def npost(x: np.ndarray) -> np.ndarray:
        return np.r_[x[POST], x[POST, 0]] if overall and S else x[POST]

    return pd.DataFrame(
        {
            "pilot_n": npost(Np).astype(np.int64),
            "control_n": npost(Nc).astype(np.int64),
            "pilot_rate": rp[POST],
            "control_rate": rc[POST],
            "pilot_pre_rate": rp[PRE],
            "control_pre_rate": rc[PRE],
            "effect": lift,
            "se": se,
            "effect_low": lift - tq * se,
            "effect_high": lift + tq * se,
            "p_cluster": p_cluster,
            "p_perm": p_perm,
            "exact": exact,
            "assignments": n_assign,
            "prob_positive": prob,
            "boot_low": boot_q[0],
            "boot_high": boot_q[1],
        }
    )


def se_floor(A: np.ndarray, N: np.ndarray, is_pilot: np.ndarray, has_pre: bool) -> np.ndarray:
    """Smallest SE reachable however long the pilot runs: unit-level variation only.

    Estimated as the between-unit variance part of the current SE: ICC x p(1 - p) x
    (1/G_pilot + 1/G_control) per stage, with the ICC of the post-period unit rates.
    """
    S = A.shape[2]
    out = np.zeros(S)
    gp, gc = max(int(is_pilot.sum()), 1), max(int((~is_pilot).sum()), 1)
    for s in range(S):
        a, n = A[:, POST, s], N[:, POST, s]
        icc = icc_anova(a, n)
        p = a.sum() / n.sum() if n.sum() else 0.5
        out[s] = math.sqrt(icc * p * (1 - p) * (1 / gp + 1 / gc))
    return out

"""Logistic regression on one-hot categories with a ridge penalty per block (Newton's method
on weighted cross-tabulations), and the calibration of fitted chances to observed totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg as _la


@dataclass
class _Block:
    name: str
    codes: np.ndarray  # (n,) int64 in 0..levels-1
    levels: int
    penalty: float  # ridge lambda = 1 / prior sd^2


def _linear(beta: np.ndarray, blocks: Sequence[_Block], offsets: np.ndarray, n: int) -> np.ndarray:
    eta = np.full(n, beta[0])
    for b, off in zip(blocks, offsets, strict=True):
        eta += beta[off + b.codes]
    return eta


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function (numpy; several times faster than scipy's on large arrays)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _loss(p: np.ndarray, positive: np.ndarray, beta: np.ndarray, lam: np.ndarray) -> float:
    """Penalised negative log-likelihood from the fitted chances."""
    chance = np.where(positive, p, 1.0 - p)
    return float(-np.sum(np.log(np.maximum(chance, 1e-300))) + 0.5 * np.sum(lam * beta * beta))


def fit_ridge_logit(
    y: np.ndarray,
    blocks: Sequence[tuple[str, np.ndarray, int, float]],
    *,
    max_iter: int = 50,
    tol: float = 1e-3,
) -> tuple[float, dict[str, np.ndarray]]:
    """Logistic regression on one-hot categories with a ridge penalty per block (Newton).

    Minimises ``sum(log(1 + exp(eta)) - y * eta) + 0.5 * sum_b penalty_b * |beta_b|^2`` with
    ``eta = intercept + sum_b beta_b[code_b]`` (intercept unpenalised). Every category of a
    block has its own coefficient; the penalty makes the fit unique. The Hessian is built from
    weighted cross-tabulations of the blocks (``np.bincount``), never from a design matrix, so
    a fit on 100,000 deals takes milliseconds.

    Parameters
    ----------
    y : array of 0/1
    blocks : sequence of (name, codes, levels, penalty)
        ``codes`` int array (same length as ``y``) in ``0..levels-1``; ``penalty`` > 0.
    max_iter : int
    tol : float
        Stop after a full step no coefficient moved by more than this: Newton converges
        quadratically, so the coefficients are then within about ``tol**2`` of the optimum.

    Returns
    -------
    (intercept, {name: coefficients})
    """
    yv = np.asarray(y, dtype=float)
    if len(yv) and not np.isin(yv, (0.0, 1.0)).all():
        raise ValueError("y must hold only 0 and 1")
    positive = yv > 0.5
    bl = [_Block(n, np.asarray(c, dtype=np.int64), int(k), float(p)) for n, c, k, p in blocks]
    if any(b.penalty <= 0 for b in bl):
        raise ValueError("every block needs a positive penalty")
    sizes = np.array([b.levels for b in bl], dtype=np.int64)
    offsets = 1 + np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    P = 1 + int(sizes.sum())
    lam = np.r_[0.0, np.repeat([b.penalty for b in bl], sizes)]
    beta = np.zeros(P)
    mean = float(np.clip(yv.mean(), 1e-6, 1 - 1e-6)) if len(yv) else 0.5
    beta[0] = np.log(mean / (1 - mean))
    eta = _linear(beta, bl, offsets, len(yv))
    p = expit(eta)
    obj = _loss(p, positive, beta, lam)
    spans = [slice(o, o + b.levels) for b, o in zip(bl, offsets, strict=True)]
    pairs = [
        (spans[i], spans[k], bl[i].codes * bl[k].levels + bl[k].codes, bl[i].levels, bl[k].levels)
        for i in range(len(bl))
        for k in range(i + 1, len(bl))
    ]
    diag = np.diag_indices(P)
    for _ in range(max_iter):
        w = p * (1 - p)
        r = yv - p
        grad = np.empty(P)
        grad[0] = r.sum()
        H = np.zeros((P, P))
        H[0, 0] = w.sum()
        for b, sa in zip(bl, spans, strict=True):
            grad[sa] = np.bincount(b.codes, weights=r, minlength=b.levels)
            wa = np.bincount(b.codes, weights=w, minlength=b.levels)
            H[0, sa] = wa
            H[sa, 0] = wa
            H[diag[0][sa], diag[1][sa]] = wa
        for sa, sb, code, ka, kb in pairs:
            cross = np.bincount(code, weights=w, minlength=ka * kb).reshape(ka, kb)
            H[sa, sb] = cross
            H[sb, sa] = cross.T
        grad -= lam * beta
        H[diag] += lam + 1e-10
        step = _la.solve(H, grad, assume_a="pos")
        t = 1.0
        while True:  # step halving keeps every iteration downhill
            trial = beta + t * step
            eta_t = _linear(trial, bl, offsets, len(yv))
            p_t = expit(eta_t)
            obj_t = _loss(p_t, positive, trial, lam)
            if obj_t <= obj + 1e-10 * max(1.0, abs(obj)) or t < 1e-4:
                break
            t /= 2
        beta, p, obj = trial, p_t, obj_t
        if np.max(np.abs(t * step)) < tol:
            break
    coefs = {b.name: beta[o : o + b.levels].copy() for b, o in zip(bl, offsets, strict=True)}
    return float(beta[0]), coefs


def calibrate(eta: np.ndarray, y: np.ndarray) -> float:
    """The shift c with sum(expit(eta + c)) == sum(y) (Newton; 0 when impossible)."""
    target = float(np.sum(y))
    if len(eta) == 0 or target <= 0 or target >= len(eta):
        return 0.0
    c = 0.0
    for _ in range(50):
        p = expit(eta + c)
        gap = target - p.sum()
        slope = float(np.sum(p * (1 - p)))
        if slope <= 0:
            break
        c += gap / slope
        if abs(gap) < 1e-9 * max(target, 1.0):
            break
    return c

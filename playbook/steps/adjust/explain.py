"""What the adjustment changed, in words: the part of a rep's deal mix that moves their expected
conversion most, and one sentence on what people were compared on (see
:mod:`playbook.steps.adjust`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from playbook.steps.adjust.model import MixModel
from playbook.workspace.config import PilotConfig


def _dimension_label(dim: str, language: str) -> str:
    from playbook.i18n import TEXT

    key = f"adj_dim_{dim}"
    return TEXT[key][language] if key in TEXT else dim


def mix_reasons(
    model: MixModel,
    config: PilotConfig,
    *,
    language: str | None = None,
    min_share: float = 0.3,
    owners: Sequence[str] | None = None,
) -> dict[str, str]:
    """For each rep, the part of their deal mix that moves their expected conversion most.

    For every stage and dimension: the rep's average effect (logit) over their resolved
    deals minus the company's, times the stage's share of deals not advancing (a logit change
    moves a rate's logarithm by about that much). The largest one in the direction of the
    rep's overall expected conversion is kept (expected below the company's: the hardest part
    of their mix; above: the easiest), and named by the category most of those deals share
    with what the stage converts there, for every rep, against elsewhere.

    Parameters
    ----------
    owners : sequence of str, optional
        Only these reps (default every rep).

    Returns
    -------
    dict
        owner id -> sentence (e.g. "72% of their deals are in region West, where
        Negotiation → Signed converts 27% for every rep against 52% elsewhere"); reps whose
        telling category covers less than ``min_share`` of those deals are left out.
    """
    from playbook.i18n import t

    language = language or getattr(config, "language", "en")
    owners_all, owner_codes = model.owners.astype(str), model.owner_codes
    U = len(owners_all)
    direction = np.zeros(U)
    rows_of: dict[str, np.ndarray] = {}
    scores, keys = [], []  # one (U,) score per stage and dimension
    for s, stage in enumerate(model.stage_ids):
        rows = np.flatnonzero(model.resolved[:, s])
        rows_of[stage] = rows
        if not len(rows):
            continue
        oc = owner_codes[rows]
        n_o = np.bincount(oc, minlength=U).astype(float)
        has = n_o > 0
        exp = model.expected[rows, s]
        with np.errstate(invalid="ignore", divide="ignore"):
            rep_mean = np.bincount(oc, weights=exp, minlength=U) / n_o
            direction += np.where(has, np.log(rep_mean / exp.mean()), 0.0)
            weight = 1 - exp.mean()
            for dim, effect in model.effects.get(stage, {}).items():
                values = effect[model.codes[dim][rows]]
                mean = np.bincount(oc, weights=values, minlength=U) / n_o
                scores.append(np.where(has, weight * (mean - values.mean()), 0.0))
                keys.append((stage, dim))
    if not scores:
        return {}
    signed = np.stack(scores, axis=1) * np.where(direction < 0, -1.0, 1.0)[:, None]
    wanted = np.isin(owners_all, list(owners)) if owners is not None else np.ones(U, bool)
    chosen = [
        (u, *keys[int(signed[u].argmax())])
        for u in np.flatnonzero(wanted & (signed.max(axis=1) > 0))
    ]
    out = {}
    ids = list(config.funnel.ids) if config is not None else list(model.stage_ids)
    for owner, stage, dim in chosen:
        rows = rows_of[stage]
        s = list(model.stage_ids).index(stage)
        codes = model.codes[dim][rows]
        mine = owner_codes[rows] == owner
        counts = np.bincount(codes[mine], minlength=len(model.levels[dim]))
        level = int(counts.argmax())
        share = counts[level] / counts.sum()
        if share < min_share:
            continue
        inside = codes == level
        adv = model.advanced[rows, s]
        if inside.all() or not inside.any():
            continue
        nxt = ids[ids.index(stage) + 1] if stage in ids[:-1] else stage
        stage_text = (
            f"{config.stage_label(stage, language)} → {config.stage_label(nxt, language)}"
            if config is not None
            else f"{stage} → {nxt}"
        )
        out[str(owners_all[owner])] = t(
            "adj_reason_mix",
            language,
            share=f"{100 * share:.0f}%",
            dimension=_dimension_label(dim, language),
            value=str(model.levels[dim][level]),
            stage=stage_text,
            rate=f"{100 * adv[inside].mean():.0f}%",
            rest=f"{100 * adv[~inside].mean():.0f}%",
        )
    return out


def describe(model: MixModel | None, language: str = "en") -> str:
    """One sentence saying what people were compared on: the dimensions adjusted for and
    the stages modelled, or that comparisons are raw."""
    from playbook.i18n import t

    if model is None or not model.adjusted_for:
        return t("adj_note_off", language)
    sep = "、" if language == "zh" else ", "
    dims = sep.join(_dimension_label(d, language) for d in model.adjusted_for)
    indirect = [s for s, m in model.method.items() if m == "indirect"]
    text = t("adj_note", language, dims=dims)
    if indirect:
        text += t("adj_note_indirect", language, stages=sep.join(indirect))
    return text

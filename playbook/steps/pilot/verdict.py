"""What a pilot evaluation may claim, in words and as findings (step 7).

The claim follows the design and the balance of the arms (:mod:`playbook.steps.pilot.arms`):

* ``likely_real`` / ``likely_harmful`` ("the pilot lifted …", "a real drop") only for a
  randomised or difference-in-differences design whose arms are alike;
* ``associated`` / ``associated_drop`` ("… higher than comparable control deals; an
  association, not proof") for an adjusted post-only comparison or unlike arms, at
  severity 1 at most;
* ``cannot_separate`` when, without a pre-period, the arms do not overlap on a dimension
  (every pilot rep in regions no control rep works): no estimate and no claim; the
  primary finding (severity 1, no observed value) only says so, with the design;
* ``need_more`` / ``noise`` when the evidence is not there.

The primary stage (``pilot.target_stage``, named in advance) carries the verdict at level
``alpha``. Every other stage is exploratory: Holm-adjusted across those stages, a finding
(severity 1) only when it survives. When the primary stage moved, the stages after it
compare different deals (the pilot changed which deals get there), so they are shown but
not claimed; the end-to-end row is the total effect and never a separate claim. Without a
target stage every stage is exploratory and the verdict is about the strongest (Holm).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from playbook.findings import Finding
from playbook.i18n import t
from playbook.stats import holm
from playbook.steps.pilot.arms import DEAL_SIZE, ArmsCheck
from playbook.steps.pilot.settings import PilotSettings

__all__ = [
    "VERDICTS",
    "ROLES",
    "pts",
    "fmt_p",
    "stage_roles",
    "adjust_across_stages",
    "verdict_code",
    "dims_text",
    "balance_text",
    "verdict_sentence",
    "pilot_findings",
    "method_sentence",
    "kpis_of",
    "balance_shown",
    "dimensions_shown",
    "caveats",
]

VERDICTS = (
    "likely_real",
    "likely_harmful",
    "associated",
    "associated_drop",
    "need_more",
    "noise",
    "cannot_separate",
)
ROLES = ("primary", "exploratory", "after_moved_stage", "end_to_end")


def pts(x: float | None) -> str:
    """A lift in signed percentage points (``+10.5``), ``–`` when unknown."""
    return "–" if x is None or not np.isfinite(x) else f"{x * 100:+.1f}"


def fmt_p(p: float | None) -> str:
    """A p-value for a sentence."""
    return "–" if p is None or not np.isfinite(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")


def stage_roles(n_stages: int, primary: int, moved: bool) -> list[str]:
    """Each effects row's role: the primary stage, exploratory stages, stages after a
    primary the pilot moved (not compared), and the end-to-end row (last)."""
    roles = []
    for s in range(n_stages):
        if s == primary:
            roles.append("primary")
        elif moved and s > primary:
            roles.append("after_moved_stage")
        else:
            roles.append("exploratory")
    return roles + ["end_to_end"]


def adjust_across_stages(p_raw: np.ndarray, roles: Sequence[str], target_named: bool) -> np.ndarray:
    """Multiplicity-adjusted p per row.

    With a target stage named in advance, its p stands alone and the exploratory stages
    are Holm-adjusted among themselves; without one, every stage (primary included) is
    one Holm family. Rows not compared (after a moved stage, end to end) get NaN.
    """
    p = np.asarray(p_raw, dtype=float)
    out = np.full(len(p), np.nan)
    family = [i for i, r in enumerate(roles) if r == "exploratory"]
    primary = [i for i, r in enumerate(roles) if r == "primary"]
    if target_named:
        out[primary] = p[primary]
    else:
        family = sorted(family + primary)
    if family:
        out[family] = holm(p[family])
    return out


def verdict_code(
    row: pd.Series,
    p: float,
    ps: PilotSettings,
    unreachable: bool,
    check: ArmsCheck,
) -> str:
    """The verdict on the primary row: what the design and the evidence allow to say."""
    if check.blocked:
        return "cannot_separate"
    if np.isfinite(p) and p < ps.alpha:
        up = row["effect"] > 0
        if check.causal:
            return "likely_real" if up else "likely_harmful"
        return "associated" if up else "associated_drop"
    n = row["pilot_n"] + row["control_n"]
    if unreachable or not np.isfinite(row["se"]) or n < 60 or row["mde"] > ps.expected_lift:
        return "need_more"
    return "noise"


def dims_text(dims: Sequence[str], lang: str) -> str:
    """Dimension names for a sentence (deal size in words)."""
    names = [t("pilot_dim_deal_size", lang) if d == DEAL_SIZE else str(d) for d in dims]
    return ", ".join(names) if names else t("pilot_dims_none", lang)


def _points(x: float) -> str:
    """An unsigned size in points for a sentence (``< 0.1`` when it rounds to zero)."""
    return "< 0.1" if abs(x) < 0.0005 else f"{abs(x) * 100:.1f}"


def balance_text(
    check: ArmsCheck, lang: str, *, primary: int, stage_label: str, expected: float
) -> list[str]:
    """Sentences on the balance of the arms at the primary stage (after ``judge_primary``)."""
    dims = check.dimensions.set_index("dimension")
    if check.blocked or dims.empty:
        return []  # the verdict itself says the pilot cannot be separated
    did = check.estimator == "did"
    common = {"stage": stage_label, "expected": f"{expected * 100:g}"}
    out = []
    if check.unlike:
        worst = dims.loc[check.unlike, "mix_effect"].abs().max()
        key = "pilot_balance_unlike_shift" if did else "pilot_balance_unlike_mix"
        out.append(t(key, lang, dims=dims_text(check.unlike, lang), bias=_points(worst), **common))
    else:
        worst = dims["mix_effect"].abs().max()
        key = "pilot_balance_alike_did" if did else "pilot_balance_alike"
        out.append(t(key, lang, bias=_points(worst), **common))
    if did and check.separated:
        out.append(
            t(
                "pilot_balance_separated_did",
                lang,
                dims=dims_text(check.separated, lang),
                overlap=f"{dims.loc[check.separated, 'overlap'].min():.0%}",
            )
        )
    return out


def _where(check: ArmsCheck, dimension: str, column: str) -> str:
    """The categories holding most of one arm's deals on a dimension (for a sentence)."""
    b = check.balance[check.balance["dimension"] == dimension]
    b = b[b[column] >= 0.05].sort_values(column, ascending=False)
    return ", ".join(f"{v} ({s:.0%})" for v, s in zip(b["value"], b[column], strict=True)) or "–"


def verdict_sentence(
    code: str,
    row: pd.Series,
    check: ArmsCheck,
    lang: str,
    *,
    values: dict[str, Any],
    unreachable: bool,
) -> str:
    """The one-sentence verdict in ``lang``; ``values`` holds the formatted numbers."""
    if code == "cannot_separate":
        dim = check.separated[0]
        name = dims_text([dim], lang)
        return t(
            "pilot_verdict_cannot_separate",
            lang,
            stage=values["stage"],
            dimension=name,
            pilot_values=_where(check, dim, "pilot_share"),
            control_values=_where(check, dim, "control_share"),
        )
    if code in ("associated", "associated_drop"):
        if check.estimator == "adjusted":
            basis = t("pilot_basis_adjusted", lang, dims=dims_text(check.adjusted_for, lang))
        else:
            basis = t(f"pilot_basis_{check.estimator}", lang)
        why = "pilot_why_unlike" if check.unlike else "pilot_why_post_only"
        return t(
            f"pilot_verdict_{code}",
            lang,
            stage=values["stage"],
            lift=f"{abs(row['effect']) * 100:.1f}",
            basis=basis,
            low=values["low"],
            high=values["high"],
            p=values["p"],
            prob=values["prob"],
            why=t(why, lang),
        )
    key = f"pilot_verdict_{code}" + ("_never" if code == "need_more" and unreachable else "")
    return t(key, lang, **values)


def _known(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def _severity(code: str, primary: bool, p: float, ps: PilotSettings, causal: bool) -> int:
    if not primary or not causal:
        return 1  # exploratory stages and associations are worth a look, never more
    strong = p < ps.alpha / 10
    if code == "likely_harmful":
        return 3 if strong else 2  # harm is critical only when the evidence is strong
    return 2 if code == "likely_real" else 1


def pilot_findings(
    res: pd.DataFrame,
    roles: Sequence[str],
    ps: PilotSettings,
    check: ArmsCheck,
    *,
    primary: int,
    p_primary: float,
    code: str,
    text: str,
    lang: str,
    config: Any,
) -> list[Finding]:
    """One ``pilot_effect`` finding for the primary stage (without an observed value when the
    pilot cannot be separated) and one for each exploratory stage that survives the Holm
    adjustment."""
    out = []
    for i, row in res.iterrows():
        is_primary = i == primary
        survives = roles[i] == "exploratory" and np.isfinite(row["p_adj"])
        survives = survives and row["p_adj"] < ps.alpha
        if not is_primary and not survives:
            continue
        p = p_primary if is_primary else float(row["p_adj"])
        if is_primary:
            evidence = text
        else:
            label = (
                f"{config.stage_label(row['from'], lang)} → {config.stage_label(row['to'], lang)}"
            )
            evidence = t(
                "pilot_finding_other" if check.causal else "pilot_finding_other_associated",
                lang,
                stage=label,
                lift=pts(row["effect"]),
                low=pts(row["effect_low"]),
                high=pts(row["effect_high"]),
                p=fmt_p(p),
            )
        n = int(row["pilot_n"] + row["control_n"])
        effect = float(row["effect"])
        out.append(
            Finding(
                kind="pilot_effect",
                severity=_severity(code, is_primary, p, ps, check.causal),
                evidence=evidence,
                dimension=ps.group_column,
                value=ps.pilot_value,
                stage=str(row["from"]),
                metric="advance_rate_lift",
                observed=_known(effect),
                baseline=0.0 if np.isfinite(effect) else None,
                ci_low=_known(row["effect_low"]),
                ci_high=_known(row["effect_high"]),
                n=n,
                p_value=_known(p),
                adjusted_for=list(check.adjusted_for),
                design=check.design,
                impact=abs(effect) * n if np.isfinite(effect) else 0.0,
                extra={
                    "to_stage": str(row["to"]),
                    "pilot_rate": float(row["pilot_rate"]),
                    "control_rate": float(row["control_rate"]),
                    "raw_effect": float(row["raw_effect"]),
                    "prob_positive": float(row["prob_positive"]),
                    "verdict": code if is_primary else "",
                    "primary": bool(is_primary),
                    "role": roles[i],
                    "estimator": check.estimator,
                },
            )
        )
    return out


def method_sentence(check: ArmsCheck, a: Any, res, lang, unit_word, units: int) -> str:
    """How the lift was estimated, in one sentence."""
    if check.blocked:
        return t("pilot_method_none", lang, dims=dims_text(check.separated, lang))
    if check.estimator == "adjusted":
        return t(
            "pilot_method_adjusted",
            lang,
            dims=dims_text(check.adjusted_for, lang),
            start=f"{a.start:%Y-%m-%d}",
            unit=unit_word,
            units=units,
            dof=units - 1,
        )
    return t(
        f"pilot_method_{check.estimator}",
        lang,
        start=f"{a.start:%Y-%m-%d}",
        unit=unit_word,
        units=units,
        perm=f"{int(res['assignments'].iloc[0]):,}",
    )


def kpis_of(row: pd.Series, code: str) -> dict[str, dict]:
    n = int(row["pilot_n"] + row["control_n"])
    claimable = code != "cannot_separate"

    def value(x) -> float | None:
        return float(x) if claimable and np.isfinite(x) else None

    return {
        "pilot_lift": {
            "value": value(row["effect"]),
            "n": n,
            "ci_low": value(row["effect_low"]),
            "ci_high": value(row["effect_high"]),
            "unit": "share",
        },
        "pilot_probability": {"value": value(row["prob_positive"]), "n": n, "unit": "share"},
    }


def balance_shown(balance: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = balance.copy()
    if len(out):
        out["dimension"] = [dims_text([d], lang) for d in out["dimension"]]
    return out


def dimensions_shown(check: ArmsCheck, lang: str) -> pd.DataFrame:
    d = check.dimensions
    if d.empty:
        return d
    separated = d["separated"] & (check.estimator != "did")
    unlike = d["dimension"].isin(check.unlike)
    status = np.where(separated, "separated", np.where(unlike, "unlike", "alike"))
    columns = ["dimension", "categories", "std_diff", "overlap", "shift", "mix_effect"]
    out = d[[c for c in columns if c in d.columns]].copy()
    out["dimension"] = [dims_text([x], lang) for x in out["dimension"]]
    out["status"] = [t(f"pilot_status_{s}", lang) for s in status]
    return out.dropna(axis=1, how="all")


def caveats(
    lang: str,
    ps: PilotSettings,
    a: Any,
    *,
    label: str,
    unit_word: str,
    groups: tuple[int, int],
    n_assign: int | None,
    weeks: float,
    immature_share: float,
    n_rows: int,
    after_moved: str | None,
    pre_gap: float = np.nan,
) -> list[str]:
    """The caveats of an evaluation, as sentences in ``lang``.

    ``pre_gap``: the primary stage's conversion gap between the arms before the start
    (a difference-in-differences removes it, assuming both would have moved alike).
    """
    out = []
    if weeks < ps.min_weeks:
        out.append(t("pilot_warn_short", lang, weeks=f"{weeks:.1f}", min_weeks=f"{ps.min_weeks:g}"))
    if immature_share > 0.2:
        out.append(t("pilot_warn_immature", lang, share=f"{immature_share:.0%}", stage=label))
    if min(groups) < 5:
        out.append(
            t("pilot_warn_few_units", lang, pilot=groups[0], control=groups[1], unit=unit_word)
        )
    if n_assign is not None:
        out.append(t("pilot_warn_perm", lang, n=n_assign, alpha=f"{ps.alpha:g}"))
    if np.isfinite(pre_gap) and abs(pre_gap) >= 0.05:
        out.append(t("pilot_warn_imbalance", lang, gap=pts(pre_gap), stage=label))
    if a.dropped:
        out.append(t("pilot_warn_dropped", lang, n=a.dropped, unit=unit_word))
    if ps.target_stage is None:
        out.append(t("pilot_warn_no_target", lang, n=n_rows, stage=label))
    if after_moved is not None:
        out.append(t("pilot_warn_after_moved", lang, stage=label))
    return out

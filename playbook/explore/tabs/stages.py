"""The *Stages* tab: each group's funnel, the stage matrix, and two groups compared."""

from __future__ import annotations

import warnings
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd

from playbook import plots, stats
from playbook.explore.common import Slice
from playbook.explore.formatting import groups_of
from playbook.explore.tabs.base import Frames, Groups, Shown, Tab
from playbook.i18n import t
from playbook.steps import stages
from playbook.steps.journey import JourneyData

COMPARISON_COLUMNS = ["from", "to", "n_a", "rate_a", "n_b", "rate_b", "difference", "p_value"]


class StagesTab(Tab):
    name = "stages"
    IMAGES = ("stages",)
    TABLES = ("stage_matrix", "comparison")

    def frames(self, sub: JourneyData, mask: np.ndarray) -> dict[str, Any]:
        """The stage rates, and the small-sample warnings they raised (shown as notes)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", stats.SmallSampleWarning)
            rates = stages.stage_rates(sub.deals, None, self.context.config, journey=sub)
        small = [w_.message for w_ in caught if issubclass(w_.category, stats.SmallSampleWarning)]
        return {"stage_rates": rates, "warnings": small}

    def assemble(self, groups: Groups, notes: list[str]) -> tuple[Frames, Frames]:
        rates = groups.stack("stage_rates", stages.RATE_COLUMNS)
        frames = [v["stage_rates"] for v in groups.views]
        comparison, overlap = compare_rates(groups.slices, frames)
        if overlap:
            notes.append(t("explore_overlap", self.context.language, n=f"{overlap:,}"))
        return {"stage_matrix": rates, "comparison": comparison}, {"stage_rates": rates}

    def render(self, shown: Shown) -> None:
        lang = self.context.language
        tables = shown.tables
        self.images["stages"].children = self._funnels(shown)
        self.html["stage_matrix"].value = shown.format.html(
            tables["stage_matrix"], t("explore_heading_stage_matrix", lang)
        )
        self.html["comparison"].value = (
            shown.format.html(tables["comparison"], t("explore_heading_comparison", lang))
            if len(shown.slices) == 2
            else ""
        )

    def _funnels(self, shown: Shown) -> list[w.Image]:
        """The groups' funnels side by side, in one figure."""
        import matplotlib.pyplot as plt

        groups = groups_of(shown.figure_data["stage_rates"], shown.slices)
        if not groups:
            return []
        labels = self.context.stage_labels
        xlabel = t("axis_rate", self.context.language)

        def draw():
            plots.theme()
            size = (7 * len(groups), 0.6 * len(labels) + 1.5)
            fig, axes = plt.subplots(1, len(groups), figsize=size, squeeze=False)
            for ax, (label, rates) in zip(axes[0], groups, strict=True):
                rates = rates.drop(columns="group")
                plots.funnel(
                    rates, labels=labels, ax=ax, words=plots.Words(title=label, xlabel=xlabel)
                )
            return fig

        return [self.context.figures.image("stages", [shown.figure_data["stage_rates"]], draw)]


def compare_rates(shown: list[Slice], frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    """Rate differences between two groups, tested when they share no deal.

    Returns the comparison (empty unless there are two frames) and how many deals the two
    groups share (then the p-values are NaN: the groups are not independent).
    """
    if len(frames) != 2:
        return pd.DataFrame(columns=COMPARISON_COLUMNS), 0
    a, b = (f.reset_index(drop=True) for f in frames)
    out = pd.DataFrame(
        {
            "from": a["from"],
            "to": a["to"],
            "n_a": a["mature_n"],
            "rate_a": a["rate"],
            "n_b": b["mature_n"],
            "rate_b": b["rate"],
        }
    )
    out["difference"] = out["rate_a"] - out["rate_b"]
    overlap = int((shown[0].mask & shown[1].mask).sum())
    if overlap:
        out["p_value"] = np.nan
        return out, overlap
    raw = stats.slice_vs_rest_test(
        a["advanced"].to_numpy(),
        a["mature_n"].to_numpy(),
        (a["advanced"] + b["advanced"]).to_numpy(),
        (a["mature_n"] + b["mature_n"]).to_numpy(),
        alternative="two-sided",
    )
    out["p_value"] = stats.benjamini_hochberg(raw)
    return out, 0

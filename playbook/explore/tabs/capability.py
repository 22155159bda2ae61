"""The *Capability* tab: each group's reps against the benchmark reps, per competency.

:mod:`playbook.steps.capability` is optional: without it (or without the assessments table)
the tab says what is not available and why. The study is computed once
(:func:`precompute_capability`); a slice compares its own reps, with the study's suppression
of small groups (:func:`playbook.steps.capability.compare_groups`).
"""

from __future__ import annotations

import warnings

import ipywidgets as w
import numpy as np
import pandas as pd

from playbook import plots
from playbook.explore.common import Panel, Precomputed, unavailable
from playbook.explore.formatting import groups_of, panel_html
from playbook.explore.tabs.base import (
    Frames,
    Groups,
    Shown,
    Tab,
    TabContext,
    optional_step,
    step_failed,
)
from playbook.i18n import t
from playbook.steps.journey import JourneyData
from playbook.workspace.dataset import Dataset

#: The capability table: per competency, the benchmark reps against the rest of the slice.
GAP_COLUMNS = ["benchmark_reps", "rest_reps", "benchmark_mean", "rest_mean", "team_mean", "gap"]
CAPABILITY_COLUMNS = ["dimension", *GAP_COLUMNS, "ci_low", "ci_high", "suppressed"]
TITLE = "explore_tab_capability"


class CapabilityTab(Tab):
    name = "capability"
    IMAGES = ("radar",)
    TABLES = ("capability",)

    def __init__(self, context: TabContext) -> None:
        super().__init__(context)
        #: gaps by the set of reps compared: slices often share their reps
        self.cache: dict[frozenset, pd.DataFrame] = {}

    def frames(self, sub: JourneyData, mask: np.ndarray) -> dict[str, pd.DataFrame | None]:
        """Benchmark against the other reps of the slice, per competency (privacy-safe)."""
        pre = self.context.data
        if not pre.available("capability"):
            return {"capability": None}
        reps = frozenset(pd.unique(pre.owner[mask]))
        if reps not in self.cache:
            self.cache[reps] = self._gaps(reps)
        return {"capability": self.cache[reps]}

    def _gaps(self, reps: frozenset) -> pd.DataFrame:
        pre = self.context.data
        capability = pre.modules["capability"]
        study = pre.study
        profile = study.profile[study.profile["family"] == "competency"]
        comparison = capability.compare_groups(
            profile[profile["owner_id"].isin(reps)],
            [r for r in study.benchmark if r in reps],
            min_group_size=self.context.min_group_size,
        )
        gaps = capability.capability_gaps(comparison, self.context.config)[CAPABILITY_COLUMNS]
        numbers = CAPABILITY_COLUMNS[1:-1]
        gaps[numbers] = gaps[numbers].astype(float)  # all-NaN when suppressed
        gaps["suppressed"] = gaps["suppressed"].astype(bool)
        return gaps

    def assemble(self, groups: Groups, notes: list[str]) -> tuple[Frames, Frames]:
        gaps = groups.stack("capability", CAPABILITY_COLUMNS)
        return {"capability": gaps}, {"capability": gaps}

    def render(self, shown: Shown) -> None:
        pre = self.context.data
        available = pre.available("capability")
        self.images["radar"].children = self._radars(shown) if available else []
        heading = t("explore_heading_capability", self.context.language)
        self.html["capability"].value = (
            shown.format.html(shown.tables["capability"], heading)
            if available
            else panel_html(pre.panels.get("capability"))
        )

    def _radars(self, shown: Shown) -> list[w.Image]:
        """The groups' radars side by side, in one figure."""
        import matplotlib.pyplot as plt

        groups = groups_of(shown.figure_data["capability"], shown.slices)
        if not groups:
            return []
        study = self.context.data.study
        lang = self.context.language

        def draw():
            plots.theme()
            fig = plt.figure(figsize=(6.5 * len(groups), 6))
            for i, (label, gaps) in enumerate(groups):
                ax = fig.add_subplot(1, len(groups), i + 1, projection="polar")
                plots.capability_radar(
                    gaps.drop(columns="group"),
                    dimension_labels=study.dimension_labels,
                    scale=study.scale,
                    ax=ax,
                    words=plots.Words(
                        title=label,
                        suppressed=study.suppressed_label,
                        marks={
                            "benchmark": t("cap_benchmark", lang),
                            "rest": t("cap_rest", lang),
                            "team": t("cap_team", lang),
                            "gap": t("cap_gap_area", lang),
                        },
                    ),
                )
            return fig

        return [self.context.figures.image("radar", [shown.figure_data["capability"]], draw)]


def precompute_capability(
    ds: Dataset, pre: Precomputed, language: str, min_group_size: int
) -> None:
    """The capability study of the whole workspace, into ``pre``."""
    capability = optional_step(pre, "capability", "playbook.steps.capability", language)
    if capability is None:
        return
    if ds.assessments is None or not len(ds.assessments):
        why = unavailable(language, TITLE, "explore_why_table", table="assessments")
        pre.panels["capability"] = why
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pre.study = capability.analyse(ds, language=language, min_group_size=min_group_size)
    except Exception as exc:  # an optional step failing must not take the explorer down
        step_failed(pre, "capability", language, exc)
        return
    pre.panels["capability"] = Panel(True)
    pre.modules["capability"] = capability

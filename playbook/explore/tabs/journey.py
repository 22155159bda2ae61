"""The *Journey* tab: each group's journey map and its stage monitor table."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np

from playbook import plots
from playbook.explore.formatting import groups_of
from playbook.explore.tabs.base import Frames, Groups, Shown, Tab
from playbook.i18n import t
from playbook.steps import journey
from playbook.steps.journey import JourneyData

#: The outcomes named in the journey map's legend.
LEGEND = ("entered", "lost", "open", "skip", "regress")


class JourneyTab(Tab):
    name = "journey"
    IMAGES = ("journey",)
    TABLES = ("journey",)

    def frames(self, sub: JourneyData, mask: np.ndarray) -> dict[str, Any]:
        cfg = self.context.config
        return {
            "journey_monitor": journey.stage_monitor(sub.deals, None, cfg, journey=sub),
            "journey_flows": journey.flows(sub.deals, None, cfg, journey=sub),
        }

    def assemble(self, groups: Groups, notes: list[str]) -> tuple[Frames, Frames]:
        monitor = groups.stack("journey_monitor")
        figures = {"journey_monitor": monitor, "journey_flows": groups.stack("journey_flows")}
        return {"journey": monitor}, figures

    def render(self, shown: Shown) -> None:
        self.images["journey"].children = self._maps(shown)
        heading = t("explore_heading_journey", self.context.language)
        self.html["journey"].value = shown.format.html(shown.tables["journey"], heading)

    def _maps(self, shown: Shown) -> list[w.Image]:
        """One journey map per group, drawn only when the group's frames changed."""
        lang = self.context.language
        labels = self.context.stage_labels
        moves = shown.figure_data["journey_flows"]
        legend = {k: t(f"legend_{k}", lang) for k in LEGEND}
        out = []
        for i, (label, monitor) in enumerate(
            groups_of(shown.figure_data["journey_monitor"], shown.slices)
        ):
            flows = moves[moves["group"] == label]

            def draw(monitor=monitor, flows=flows, label=label):
                return plots.journey_map(
                    monitor.drop(columns="group"),
                    flows.drop(columns="group"),
                    labels=labels,
                    words=plots.Words(
                        title=f"{t('fig_journey_map', lang)} · {label}",
                        marks={"dwell": t("dwell_median", lang), **legend},
                    ),
                )

            out.append(self.context.figures.image(f"journey_{i}", [monitor, flows], draw))
        return out

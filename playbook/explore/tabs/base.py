"""What every tab shares: the explorer's context, the groups' frames, what an update shows."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd

from playbook.explore.common import Precomputed, Slice, concat, unavailable
from playbook.explore.formatting import FigureCache, TableFormat, figure_box, table_widget
from playbook.steps.journey import JourneyData
from playbook.workspace.config import PilotConfig

logger = logging.getLogger(__name__)

#: Frames by name: a tab's tables, or the frames its figures are drawn from.
Frames = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class TabContext:
    """What stays the same for the explorer's life: settings, data, the figure cache."""

    config: PilotConfig
    language: str
    stage_labels: dict[str, str]
    min_group_size: int
    data: Precomputed
    figures: FigureCache


@dataclass(frozen=True)
class Groups:
    """The frames of each group shown (not suppressed), computed by the tabs for one slice."""

    slices: list[Slice]
    views: list[dict[str, Any]]

    def stack(self, name: str, columns: Sequence[str] = ()) -> pd.DataFrame:
        """The groups' frames ``name`` stacked with a ``group`` column (then ``columns``)."""
        frames = [
            v[name].assign(group=s.label)
            for s, v in zip(self.slices, self.views, strict=True)
            if v[name] is not None
        ]
        out = concat(frames, ["group", *columns])
        return out.reindex(columns=["group", *columns]) if columns else out


@dataclass(frozen=True)
class Shown:
    """What one update shows: the tables, the figure frames, the groups, how tables read."""

    tables: dict[str, pd.DataFrame]
    figure_data: dict[str, pd.DataFrame]
    slices: list[Slice]
    format: TableFormat
    pseudonymised: bool


class Tab:
    """One tab: its frames per slice, its tables from the groups' frames, its drawing.

    Subclasses name their figure rows (``IMAGES``) and tables (``TABLES``), shown in that
    order, and override the three steps.
    """

    name = ""
    IMAGES: tuple[str, ...] = ()
    TABLES: tuple[str, ...] = ()

    def __init__(self, context: TabContext) -> None:
        self.context = context
        self.images: dict[str, w.Box] = {name: figure_box() for name in self.IMAGES}
        self.html: dict[str, w.HTML] = {name: table_widget(name) for name in self.TABLES}
        self.widget = w.VBox([*self.images.values(), *self.html.values()])

    def frames(self, sub: JourneyData, mask: np.ndarray) -> dict[str, Any]:
        """The tab's frames for one slice (``sub``: the journey cut to ``mask``)."""
        return {}

    def assemble(self, groups: Groups, notes: list[str]) -> tuple[Frames, Frames]:
        """The tab's tables and figure frames from the groups' frames; may add ``notes``."""
        return {}, {}

    def render(self, shown: Shown) -> None:
        """Fill the tab's tables and figures."""


def optional_step(pre: Precomputed, tab: str, module: str, language: str) -> ModuleType | None:
    """The optional step ``module``; None (and the tab says so) when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        why = unavailable(language, f"explore_tab_{tab}", "explore_why_module", module=module)
        pre.panels[tab] = why
        return None


def step_failed(pre: Precomputed, tab: str, language: str, exc: Exception) -> None:
    """An optional step failed: the tab says so, the explorer carries on."""
    logger.exception("precomputing the %s tab failed", tab)
    error = type(exc).__name__
    pre.panels[tab] = unavailable(language, f"explore_tab_{tab}", "explore_why_error", error=error)

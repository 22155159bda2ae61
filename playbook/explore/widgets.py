"""Interactive explorers (ipywidgets) over the same functions the headless report uses.

An HR partner asks "what about only the East region last quarter?" and gets the answer from
dropdowns, in JupyterLab (``notebooks/explore.ipynb``) or as a code-free Voilà dashboard
(``playbook dashboard WS``, see :mod:`playbook.explore.dashboard`).

Design, so that a filter change re-renders in well under a second on 100k deals:

* everything heavy is computed **once** when the :class:`Explorer` is built: the prepared
  journey (:func:`playbook.steps.journey.prepare`), per-deal filter codes, the handoff frames
  (first contacts, SLA states, sleeping leads) and the capability study;
* a slice is a boolean mask over deals; :func:`subset_journey` cuts the prepared journey to
  it (array indexing, no event is re-read or re-sorted) and every view calls the playbook
  function with ``journey=`` the subset;
* only figures on the visible tab are drawn; the others are drawn when their tab is opened.

People views respect ``min_group_size``: team figures pool small teams (and say
"suppressed" where a pool is still too small), a slice filtered by team that covers fewer
reps than that is suppressed (with the rest, in "vs the rest" mode, so it cannot be recovered
by subtraction), the capability radar uses the suppression of
:func:`playbook.steps.capability.compare_groups`. Team and rep win rates are shown beside the win
rate the company achieves on the same deals (:mod:`playbook.steps.adjust`). With pseudonymisation
on (the default) rep ids are shown as keyed pseudonyms (:mod:`playbook.workspace.privacy`) with a
key
made for this session only; rep names are never shown. The step modules
:mod:`playbook.steps.handoff` and
:mod:`playbook.steps.capability` are optional: without them (or without the tables they need)
their tab says what is not available and why.

This module holds the :class:`Explorer`, which ties the parts together: its controls
(:mod:`~playbook.explore.controls`), what is computed once (:mod:`~playbook.explore.precompute`),
one module per tab (:mod:`playbook.explore.tabs`, and :mod:`~playbook.explore.content`), the
summary line (:mod:`~playbook.explore.summary`), how tables and figures are shown
(:mod:`~playbook.explore.formatting`) and the cut of the journey
(:mod:`~playbook.explore.subset`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd

from playbook.explore.common import ALL, DIMENSIONS, FILTERS, MODES, TABS, Precomputed, Slice
from playbook.explore.content import ContentTab
from playbook.explore.controls import Controls
from playbook.explore.formatting import (
    HIDE_OTHER_LANGUAGE,
    MAX_TABLE_ROWS,
    STYLE,
    FigureCache,
    TableFormat,
    note_html,
)
from playbook.explore.precompute import precompute
from playbook.explore.subset import subset_journey
from playbook.explore.summary import SUMMARY_COLUMNS, summary_table
from playbook.explore.tabs.base import Groups, Shown, Tab, TabContext
from playbook.explore.tabs.capability import CAPABILITY_COLUMNS, CapabilityTab
from playbook.explore.tabs.handoffs import HandoffsTab
from playbook.explore.tabs.journey import JourneyTab
from playbook.explore.tabs.people import LIKE_DEALS_COLUMNS, REP_COLUMNS, TEAM_COLUMNS, PeopleTab
from playbook.explore.tabs.stages import StagesTab
from playbook.i18n import t
from playbook.report import escape, small_sample_text
from playbook.steps import intake
from playbook.workspace import privacy
from playbook.workspace.dataset import Dataset
from playbook.workspace.load import open_dataset

logger = logging.getLogger(__name__)

__all__ = [
    "ALL",
    "FILTERS",
    "MODES",
    "Explorer",
    "Slice",
    "open_explorer",
    "subset_journey",
    # the column lists and limits of the tables, defined by the modules that show them
    "CAPABILITY_COLUMNS",
    "DIMENSIONS",
    "LIKE_DEALS_COLUMNS",
    "MAX_TABLE_ROWS",
    "REP_COLUMNS",
    "SUMMARY_COLUMNS",
    "TEAM_COLUMNS",
]

#: Slices whose frames are remembered (see :meth:`Explorer._views_of`).
SLICE_CACHE = 12


class Explorer:
    """Filters, comparison mode and linked views over one
    :class:`~playbook.workspace.dataset.Dataset`.

    Parameters
    ----------
    dataset : Dataset
        The validated workspace (``playbook.workspace.load.open_dataset``).
    language : {"en", "zh"}, optional
        Display language; default ``dataset.config.language``.
    pseudonymise : bool
        Start with rep ids replaced by pseudonyms (the switch can be flipped in the UI).
    key : str, optional
        Pseudonym key; default a fresh random key for this session.
    min_group_size : int, optional
        Default ``dataset.config.min_group_size``.
    lazy : bool
        Draw only the figures of the visible tab (the others when their tab is opened).
        ``False`` draws every figure on every update.

    Attributes
    ----------
    filters, filters_b : dict of str -> widget
        The filter widgets of slice A and slice B, keyed by :data:`FILTERS`. Dropdowns hold
        :data:`ALL` or a value as in the data (rep: the owner id, whatever is displayed);
        ``period`` holds ``(first month, last month)`` as ``"YYYY-MM"``.
    mode : ToggleButtons
        One of :data:`MODES`.
    pseudonymise : Checkbox
    tables : dict of str -> DataFrame
        What the tables show, in canonical columns (numbers, not formatted text):
        ``summary``, ``journey``, ``stage_matrix``, ``comparison`` (two groups only),
        ``sla``, ``response``, ``sleeping``, ``capability``, ``teams``, ``reps``.
    figure_data : dict of str -> DataFrame
        The frames the figures are drawn from, each with a ``group`` column:
        ``journey_monitor`` and ``journey_flows`` (journey map), ``stage_rates`` (funnel),
        ``capability`` (radar).
    slices : list of Slice
        The groups shown.
    notes : list of str
        Sentences shown above the tabs (small samples, suppression, missing modules).
    widget : VBox
        The whole explorer; displaying the explorer displays it.
    last_update_seconds : float
        Wall time of the last :meth:`update` (compute and drawing).
    timings : dict of str -> float
        The same split into ``compute`` (every frame) and ``render`` (HTML and figures of
        the visible tab).
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        language: str | None = None,
        pseudonymise: bool = True,
        key: str | None = None,
        min_group_size: int | None = None,
        lazy: bool = True,
    ) -> None:
        config = dataset.config
        self.dataset = dataset
        self.config = config
        self.language = language or config.language
        if self.language not in ("en", "zh"):
            raise ValueError(f"language must be 'en' or 'zh'; got {self.language!r}")
        self.min_group_size = int(
            min_group_size if min_group_size is not None else config.min_group_size
        )
        self.lazy = lazy
        self._key = key or privacy.new_key()
        self.stage_labels = {s.id: s.label(self.language) for s in config.funnel.stages}
        self.tables: dict[str, pd.DataFrame] = {}
        self.figure_data: dict[str, pd.DataFrame] = {}
        self.slices: list[Slice] = []
        self.notes: list[str] = []
        self.last_update_seconds = 0.0
        self.timings: dict[str, float] = {}
        self._holding = 0
        self._pending = False
        self._slice_cache: dict[tuple, dict[str, Any]] = {}
        self._dirty: set[str] = set(TABS)
        started = time.perf_counter()
        self.data: Precomputed = precompute(dataset, self.language, self.min_group_size)
        self._pseudonyms = privacy.pseudonym_map(self.data.options["rep"], self._key)
        self._build_widgets(pseudonymise)
        logger.info("explorer ready in %.2f s", time.perf_counter() - started)
        self.update()

    # --- widgets -----------------------------------------------------------------------------

    def _build_widgets(self, pseudonymise: bool) -> None:
        lang = self.language
        controls = Controls(
            self.data,
            lang,
            self.stage_labels,
            self._pseudonyms,
            pseudonymise=pseudonymise,
            min_group_size=self.min_group_size,
        )
        self.controls = controls
        self.pseudonymise = controls.pseudonymise
        self.filters, self.filters_b = controls.filters, controls.filters_b
        self.mode = controls.mode
        self._box_a, self._box_b = controls.box_a, controls.box_b
        self._build_tabs()
        other = "zh" if lang == "en" else "en"
        self._title = w.HTML(
            STYLE
            + HIDE_OTHER_LANGUAGE.format(other=other)
            + f"<h2>{escape(t('explore_title', lang, name=self.config.name or ''))}</h2>"
            + f"<p>{escape(t('explore_intro', lang))}</p>"
        )
        self._summary = w.HTML().add_class("pb-summary")
        self._notes = w.HTML().add_class("pb-notes")
        self._status = w.HTML().add_class("pb-status")
        switches = w.HBox(
            [self.mode, self.pseudonymise],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        self.widget = w.VBox(
            [
                self._title,
                switches,
                self._box_a,
                self._box_b,
                self._summary,
                self._notes,
                self.tabs,
                self._status,
            ]
        )
        self.widget.add_class("pb-explorer")
        controls.observe(self._changed, self._pseudonymise_changed)
        self.tabs.observe(self._tab_changed, names="selected_index")

    def _build_tabs(self) -> None:
        """One tab per entry of :data:`TABS`, then the content library."""
        figures = FigureCache()
        context = TabContext(
            self.config, self.language, self.stage_labels, self.min_group_size, self.data, figures
        )
        capability = CapabilityTab(context)
        self._tabs: dict[str, Tab] = {
            "journey": JourneyTab(context),
            "stages": StagesTab(context),
            "handoffs": HandoffsTab(context),
            "capability": capability,
            "people": PeopleTab(context, self._rep_label),
        }
        # the tabs' widgets and caches, by name (what tests and benchmarks look at)
        self.images = {k: v for tab in self._tabs.values() for k, v in tab.images.items()}
        self._html = {k: v for tab in self._tabs.values() for k, v in tab.html.items()}
        self._images, self._image_keys = figures.images, figures.keys
        self._capability_cache = capability.cache
        # The content library tab comes last, outside TABS: it does not follow the slices.
        self.content_tab = ContentTab(self.dataset, self.language)
        children = [self._tabs[name].widget for name in TABS] + [self.content_tab.widget]
        self.tabs = w.Tab(children=children)
        titles = (*TABS, "content")
        self.tabs.titles = tuple(t(f"explore_tab_{name}", self.language) for name in titles)
        self.tabs.add_class("pb-tabs")

    @property
    def teams_by_rep(self) -> dict[str, str]:
        """Rep id -> the team shown for them (small teams pooled; "" when unknown)."""
        return dict(zip(self.data.options["rep"], self.data.rep_team, strict=True))

    def _rep_label(self, rep: str) -> str:
        return self.controls.rep_label(rep)

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    # --- events ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Change several widgets, then update once: ``with explorer.hold(): ...``."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
            if not self._holding and self._pending:
                self._pending = False
                self.update()

    def _changed(self, change: dict) -> None:
        self.controls.show_slice_b()
        self.update()

    def _pseudonymise_changed(self, change: dict) -> None:
        with self.hold():
            self.controls.relabel_reps()
            self._pending = True

    def _tab_changed(self, change: dict) -> None:
        self._render(only_visible=True)

    # --- slices ------------------------------------------------------------------------------

    def values(self, side: str = "a") -> dict[str, Any]:
        """The current filter values of slice ``side`` ("a" or "b")."""
        return self.controls.values(side)

    def mask(self, side: str = "a") -> np.ndarray:
        """Boolean mask over the explorer's deals (``journey.deals`` order) for a slice."""
        return self.controls.mask(side)

    def _make_slices(self) -> list[Slice]:
        return self.controls.slices()

    # --- computing the views -----------------------------------------------------------------

    def update(self) -> None:
        """Recompute every table and figure frame for the current filters, then redraw."""
        if self._holding:
            self._pending = True
            return
        started = time.perf_counter()
        self.slices = self._make_slices()
        self.notes = self._slice_notes()
        shown = [s for s in self.slices if not s.suppressed]
        groups = Groups(shown, [self._views_of(s.mask) for s in shown])
        for s, v in zip(shown, groups.views, strict=True):
            self.notes.extend(
                f"{s.label}: {small_sample_text(w_, self.language, self.stage_labels)}"
                for w_ in v["warnings"]
            )
        self.tables, self.figure_data = self._assemble(groups)
        self._dirty = set(TABS)
        computed = time.perf_counter()
        self._summary.value = self._format().html(self.tables["summary"])
        self._notes.value = "".join(note_html(n) for n in self.notes)
        self._render(only_visible=self.lazy)
        self.last_update_seconds = time.perf_counter() - started
        self.timings = {
            "compute": computed - started,
            "render": started + self.last_update_seconds - computed,
        }
        seconds = f"{self.last_update_seconds:.2f}"
        self._status.value = (
            f"<small>{escape(t('explore_updated', self.language, seconds=seconds))}</small>"
        )

    def _slice_notes(self) -> list[str]:
        """What the summary cannot show: groups suppressed, groups without deals."""
        lang = self.language
        k = self.min_group_size
        notes = []
        for s in self.slices:
            if s.suppressed:
                notes.append(t("explore_suppressed_slice", lang, group=s.label, n=s.reps, k=k))
            elif not s.mask.any():
                notes.append(t("explore_no_deals", lang, group=s.label))
        return notes

    def _views_of(self, mask: np.ndarray) -> dict[str, Any]:
        """Every frame shown for one slice, remembered for the last few slices.

        In "two slices" mode a change to B leaves A's frames as they were; going back to a
        slice seen a moment ago costs nothing.
        """
        digest = hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).digest()
        key = (digest, int(mask.sum()), bool(self.pseudonymise.value))
        views = self._slice_cache.pop(key, None)
        if views is None:
            views = self._compute_views(mask)
        self._slice_cache[key] = views  # most recent last
        while len(self._slice_cache) > SLICE_CACHE:
            self._slice_cache.pop(next(iter(self._slice_cache)))
        return views

    def _compute_views(self, mask: np.ndarray) -> dict[str, Any]:
        """The frames of one slice, from the playbook functions on the cut journey."""
        sub = subset_journey(self.data.journey, mask)
        views: dict[str, Any] = {"kpis": intake.headline_kpis(self.data.journey.deals.loc[mask])}
        for tab in self._tabs.values():
            views.update(tab.frames(sub, mask))
        return views

    def _assemble(self, groups: Groups) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
        """The slices' frames stacked with a ``group`` column: tables and figure data."""
        kpis = [v["kpis"] for v in groups.views]
        tables = {"summary": summary_table(self.slices, kpis, self.language)}
        figures: dict[str, pd.DataFrame] = {}
        for tab in self._tabs.values():
            tab_tables, tab_figures = tab.assemble(groups, self.notes)
            tables.update(tab_tables)
            figures.update(tab_figures)
        return tables, figures

    # --- showing -----------------------------------------------------------------------------

    def _format(self) -> TableFormat:
        return TableFormat.of(self.language, self.stage_labels, self.data.study, self.slices)

    def _render(self, *, only_visible: bool) -> None:
        """Render the visible tab (or every tab) when out of date; the others stay marked."""
        index = self.tabs.selected_index or 0
        if index >= len(TABS):
            self.content_tab.show()
            return
        wanted = {TABS[index]} if only_visible else set(TABS)
        stale = [name for name in TABS if name in wanted and name in self._dirty]
        if not stale:
            return
        shown = Shown(
            self.tables, self.figure_data, self.slices, self._format(), self.pseudonymise.value
        )
        for name in stale:
            self._tabs[name].render(shown)
            self._dirty.discard(name)


def open_explorer(workspace: str = "", cache_dir: str = "", language: str = "") -> Explorer:
    """Load a workspace and build its :class:`Explorer` (what ``explore.ipynb`` calls).

    The dashboard server (:func:`playbook.explore.dashboard.serve_dashboard`) validates the
    workspace
    once and passes its cache to every page's kernel through the environment: when set,
    :data:`playbook.explore.dashboard.ENV_WORKSPACE`, ``ENV_CACHE`` and ``ENV_LANGUAGE`` (the
    variables ``PLAYBOOK_WORKSPACE``, ``PLAYBOOK_CACHE_DIR``, ``PLAYBOOK_LANGUAGE``) override
    the arguments. Voilà also puts a page's query string in the kernel's ``QUERY_STRING``;
    it is deliberately not read, so a URL cannot point the server at another folder.

    Parameters
    ----------
    workspace : str
        Folder with ``pilot.yml`` and the tables.
    cache_dir : str
        A cache written by :func:`playbook.workspace.load.save_cache` (faster than the workspace).
    language : str
        "en" or "zh"; empty for the workspace's configured language.

    Returns
    -------
    Explorer
    """
    from playbook.explore.dashboard import ENV_CACHE, ENV_LANGUAGE, ENV_WORKSPACE

    workspace = os.environ.get(ENV_WORKSPACE) or workspace
    cache_dir = os.environ.get(ENV_CACHE) or cache_dir
    language = os.environ.get(ENV_LANGUAGE) or language
    dataset = open_dataset(workspace, cache_dir)
    return Explorer(dataset, language=language or None)

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
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import io
import logging
import os
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd

from playbook import plots, stats
from playbook.explore.content import ContentTab
from playbook.i18n import TEXT, t
from playbook.report import escape, small_sample_text, table_html
from playbook.steps import adjust, intake, journey, stages
from playbook.steps.journey import JourneyData
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
]

#: The value of a dropdown filter that keeps every deal.
ALL = "__all__"
#: Filter names, in display order. ``stage`` keeps deals that reached (entered) the stage.
FILTERS = ("period", "region", "team", "segment", "product", "rep", "stage")
#: Deal columns behind the plain dropdown filters.
DIMENSIONS = {"region": "region", "segment": "segment", "product": "product"}
#: Comparison modes: none, the slice against every other deal of its period, two slices.
MODES = ("single", "rest", "two")
TABS = ("journey", "stages", "handoffs", "capability", "people")
#: Slices whose frames are remembered (see :meth:`Explorer._views_of`).
SLICE_CACHE = 12
CAPABILITY_COLUMNS = [
    "dimension",
    "benchmark_reps",
    "rest_reps",
    "benchmark_mean",
    "rest_mean",
    "team_mean",
    "gap",
    "ci_low",
    "ci_high",
    "suppressed",
]
#: People views read each win rate against what the company wins on the same deals.
LIKE_DEALS_COLUMNS = ["expected_win_rate", "win_rate_vs_expected"]
TEAM_COLUMNS = ["team", "reps", "deals", "won", "lost", "open", "win_rate", "ci_low", "ci_high"]
TEAM_COLUMNS += [*LIKE_DEALS_COLUMNS, "suppressed"]
REP_COLUMNS = ["owner_id", "team", "deals", "won", "lost", "open", "win_rate", "ci_low", "ci_high"]
REP_COLUMNS += LIKE_DEALS_COLUMNS
SUMMARY_COLUMNS = ["group", "filters", "deals", "reps", "open", "resolved", "win_rate"]
SUMMARY_COLUMNS += ["ci_low", "ci_high", "won_revenue", "median_cycle_days", "note"]
_STYLE = """<style>
.pb-explorer .pb-table {border-collapse: collapse; margin: 0.3em 0 1em; font-size: 13px}
.pb-explorer .pb-table th, .pb-explorer .pb-table td {padding: 2px 10px; text-align: right;
  border-bottom: 1px solid #e3e7eb}
.pb-explorer .pb-table th {background: #f3f5f7}
.pb-explorer .pb-table td:first-child, .pb-explorer .pb-table th:first-child {text-align: left}
.pb-explorer .pb-note {color: #8a5a00; margin: 0.2em 0}
.pb-explorer .pb-unavailable {color: #6b7785; font-style: italic}
</style>"""
#: Voilà marks markdown cells with their tags: show the narrative in the explorer's language.
_HIDE_OTHER_LANGUAGE = """<style>
.jp-Cell:has(.celltag_lang-{other}) {{display: none}}
.celltag_lang-{other} {{display: none}}
</style>"""
MAX_TABLE_ROWS = 200
_DPI = 80

# JourneyData fields by shape: per visit, per deal, per deal and stage; the rest are shared.
_VISIT_FIELDS = ("v_stage", "v_enter", "v_leave", "v_inferred", "v_censored")
_DEAL_FIELDS = ("status", "furthest", "end_stage", "n_visits", "start_ns", "end_ns")
_CELL_FIELDS = (
    "visits",
    "first_enter",
    "dwell",
    "dwell_censored",
    "entered",
    "advanced",
    "lost",
    "open",
    "days",
    "mature",
)
_SHARED_FIELDS = ("stage_ids", "windows", "skip_counts_as_passed", "as_of")
_SPECIAL_FIELDS = ("deals", "v_deal", "first_visit")


def subset_journey(j: JourneyData, mask: np.ndarray) -> JourneyData:
    """The prepared journey of the deals selected by ``mask``, by array indexing only.

    Every per-deal, per-visit and per-deal-and-stage array of ``j`` is cut to the selected
    deals; ``as_of`` and the funnel stay the same. The result equals
    :func:`playbook.steps.journey.prepare` of the selected deals and their events with
    ``as_of=j.as_of``, so every journey and stage function gives the same answer with
    ``journey=subset_journey(j, mask)`` as on the filtered frames, without re-reading events.

    Parameters
    ----------
    j : JourneyData
        A :func:`playbook.steps.journey.prepare` result.
    mask : ndarray of bool
        One entry per deal of ``j`` (``j.deals`` order).

    Returns
    -------
    JourneyData

    Raises
    ------
    ValueError
        When ``mask`` has the wrong length, or ``JourneyData`` gained a field this function
        does not know how to cut (update :data:`_DEAL_FIELDS` and friends).
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (j.n_deals,):
        raise ValueError(f"mask must have one entry per deal ({j.n_deals}); got {mask.shape}")
    known = {*_VISIT_FIELDS, *_DEAL_FIELDS, *_CELL_FIELDS, *_SHARED_FIELDS, *_SPECIAL_FIELDS}
    unknown = [f.name for f in dataclasses.fields(j) if f.name not in known]
    if unknown:
        raise ValueError(
            f"JourneyData has field(s) {', '.join(unknown)} that subset_journey does not cut; "
            "add them to playbook/explore/widgets.py"
        )
    new_row = np.cumsum(mask) - 1
    keep_visit = mask[j.v_deal]
    new_visit = np.cumsum(keep_visit) - 1
    first = j.first_visit[mask]
    values: dict[str, Any] = {name: getattr(j, name) for name in _SHARED_FIELDS}
    values["deals"] = j.deals.loc[mask]
    values["v_deal"] = new_row[j.v_deal[keep_visit]].astype(j.v_deal.dtype)
    values["first_visit"] = np.where(first >= 0, new_visit[np.maximum(first, 0)], -1)
    for name in _VISIT_FIELDS:
        values[name] = getattr(j, name)[keep_visit]
    for name in (*_DEAL_FIELDS, *_CELL_FIELDS):
        values[name] = getattr(j, name)[mask]
    return JourneyData(**values)


@dataclass
class Slice:
    """One group shown by the explorer: its label, its deals and whether it is suppressed."""

    key: str  # "selection", "rest", "a" or "b"
    label: str
    mask: np.ndarray
    description: str
    reps: int
    suppressed: bool = False


@dataclass
class _Panel:
    """What a tab shows when its module or table is missing."""

    available: bool
    reason: str = ""


@dataclass
class _Precomputed:
    """Everything computed once per explorer (see the module docstring)."""

    journey: JourneyData
    months: list[str]
    month_code: np.ndarray
    codes: dict[str, np.ndarray]
    options: dict[str, list[str]]
    owner: np.ndarray  # owner id per deal (str)
    rep_team: np.ndarray  # pooled team of each rep of options["rep"] ("" when unknown)
    contacts: pd.DataFrame | None = None
    sla: pd.DataFrame | None = None
    sla_rows: np.ndarray | None = None
    sleeping: pd.DataFrame | None = None
    sleeping_rows: np.ndarray | None = None
    study: Any = None
    #: each deal's expected chance to be won from its mix (None: no adjustment possible)
    expected_won: np.ndarray | None = None
    panels: dict[str, _Panel] = field(default_factory=dict)
    modules: dict[str, Any] = field(default_factory=dict)  # the optional step modules found


def _categories(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer code per row (-1 missing) and the sorted distinct values as text."""
    text = values.astype("string")
    codes, uniques = pd.factorize(text, sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def _pooled_teams(owner: pd.Series, reps: pd.DataFrame | None, k: int, other: str) -> np.ndarray:
    """The owner's team for each deal, teams under ``k`` reps pooled into ``other``."""
    if reps is None or "team" not in reps.columns or "rep_id" not in reps.columns:
        return np.full(len(owner), "", dtype=object)
    known = reps.dropna(subset=["team"])
    sizes = known.groupby(known["team"].astype(str))["rep_id"].nunique()
    pooled = intake.pool_small_groups(sizes, k, other)
    team_of = dict(
        zip(known["rep_id"].astype(str), known["team"].astype(str).map(pooled), strict=False)
    )
    return owner.astype(str).map(team_of).fillna("").to_numpy(dtype=object)


def _png(fig) -> bytes:
    """The figure as PNG bytes; the figure is closed (no stale figure in the kernel)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=_DPI)
    finally:
        plt.close(fig)
    return buffer.getvalue()


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
        self._capability_cache: dict[frozenset, pd.DataFrame] = {}
        self._slice_cache: dict[tuple, dict[str, Any]] = {}
        self._dirty: set[str] = set(TABS)
        started = time.perf_counter()
        self.data = self._precompute(dataset)
        self._pseudonyms = privacy.pseudonym_map(self.data.options["rep"], self._key)
        self._build_widgets(pseudonymise)
        logger.info("explorer ready in %.2f s", time.perf_counter() - started)
        self.update()

    # --- precomputation ----------------------------------------------------------------------

    def _precompute(self, ds: Dataset) -> _Precomputed:
        lang = self.language
        j = journey.prepare(ds.deals, ds.stage_events, ds.config)
        d = j.deals
        created = pd.to_datetime(d["created_at"])
        month = created.dt.to_period("M")
        first, last = month.min(), month.max()
        months = [str(p) for p in pd.period_range(first, last, freq="M")] if len(d) else []
        index = (created.dt.year * 12 + created.dt.month).to_numpy(dtype=np.int64)
        month_code = index - index.min() if len(d) else index
        codes: dict[str, np.ndarray] = {}
        options: dict[str, list[str]] = {}
        for name, column in DIMENSIONS.items():
            if column in d.columns and d[column].notna().any():
                codes[name], options[name] = _categories(d[column])
        owner = d["owner_id"].astype(str).to_numpy(dtype=object)
        codes["rep"], options["rep"] = _categories(d["owner_id"])
        team = _pooled_teams(d["owner_id"], ds.reps, self.min_group_size, t("other_teams", lang))
        if (team != "").any():
            codes["team"], options["team"] = _categories(
                pd.Series(team).replace("", pd.NA).astype("string")
            )
        options["stage"] = list(j.stage_ids)
        first_row = np.unique(codes["rep"], return_index=True)[1]
        pre = _Precomputed(
            journey=j,
            months=months,
            month_code=month_code,
            codes=codes,
            options=options,
            owner=owner,
            rep_team=team[first_row],
        )
        model = adjust.fit_mix_model(j, ds.config)
        if model.adjusted_for:
            pre.expected_won = adjust.expected_wins(model, j.status, aligned=True)
        self._precompute_handoffs(ds, pre)
        self._precompute_capability(ds, pre)
        return pre

    def _unavailable(self, what: str, why: str, **values: Any) -> _Panel:
        reason = t("explore_not_available", self.language, what=t(what, self.language))
        return _Panel(False, f"{reason} {t(why, self.language, **values)}")

    def _precompute_handoffs(self, ds: Dataset, pre: _Precomputed) -> None:
        lang = self.language
        try:
            handoff = importlib.import_module("playbook.steps.handoff")
        except ImportError:
            pre.panels["handoffs"] = self._unavailable(
                "explore_tab_handoffs", "explore_why_module", module="playbook.steps.handoff"
            )
            return
        j = pre.journey
        other = t("other_teams", lang)
        ids = pd.Index(j.deals["deal_id"].astype(str))
        acts = ds.activities if ds.activities is not None and len(ds.activities) else None
        try:
            if acts is not None:
                contacts = handoff.first_contacts(
                    j.deals, acts, ds.config, ds.reps, as_of=j.as_of, other_label=other, journey=j
                )
                # only the columns the per-slice views read: slicing stays cheap
                pre.contacts = contacts[["contacted", "hours", "business_hours", "attempts"]]
                sleeping = handoff.sleeping_leads(
                    j.deals, ds.stage_events, acts, ds.config, ds.reps, journey=j, other_label=other
                )
                pre.sleeping = sleeping[["deal_id", "sleeping", "amount"]]
                pre.sleeping_rows = ids.get_indexer(sleeping["deal_id"].astype(str))
                base = contacts
            else:
                base = handoff.deal_frame(j.deals, ds.config, ds.reps, other_label=other)
            sla = handoff.sla_status(base, ds.config, j, acts)
            # categoricals: per-slice compliance then groups codes, not strings
            pre.sla = sla[["sla", "limit", "unit", "state", "overdue"]].astype(
                {"unit": "category", "state": "category"}
            )
            pre.sla_rows = ids.get_indexer(sla["deal_id"].astype(str))
        except Exception as exc:  # an optional step failing must not take the explorer down
            logger.exception("handoff precomputation failed")
            pre.panels["handoffs"] = self._unavailable(
                "explore_tab_handoffs", "explore_why_error", error=type(exc).__name__
            )
            return
        pre.panels["handoffs"] = _Panel(True)
        pre.modules["handoff"] = handoff
        if acts is None:
            pre.panels["handoffs"].reason = t("explore_why_table", lang, table="activities")

    def _precompute_capability(self, ds: Dataset, pre: _Precomputed) -> None:
        try:
            capability = importlib.import_module("playbook.steps.capability")
        except ImportError:
            pre.panels["capability"] = self._unavailable(
                "explore_tab_capability", "explore_why_module", module="playbook.steps.capability"
            )
            return
        if ds.assessments is None or not len(ds.assessments):
            pre.panels["capability"] = self._unavailable(
                "explore_tab_capability", "explore_why_table", table="assessments"
            )
            return
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pre.study = capability.analyse(
                    ds, language=self.language, min_group_size=self.min_group_size
                )
        except Exception as exc:  # an optional step failing must not take the explorer down
            logger.exception("capability study failed")
            pre.panels["capability"] = self._unavailable(
                "explore_tab_capability", "explore_why_error", error=type(exc).__name__
            )
            return
        pre.panels["capability"] = _Panel(True)
        pre.modules["capability"] = capability

    # --- widgets -----------------------------------------------------------------------------

    @property
    def teams_by_rep(self) -> dict[str, str]:
        """Rep id -> the team shown for them (small teams pooled; "" when unknown)."""
        return dict(zip(self.data.options["rep"], self.data.rep_team, strict=True))

    def _rep_label(self, rep: str) -> str:
        return self._pseudonyms.get(rep, rep) if self.pseudonymise.value else rep

    def _rep_options(self) -> list[tuple[str, str]]:
        reps = sorted(self.data.options["rep"], key=self._rep_label)
        return [(t("explore_all", self.language), ALL)] + [(self._rep_label(r), r) for r in reps]

    def _filter_set(self, side: str) -> dict[str, w.Widget]:
        lang = self.language
        pre = self.data
        layout = w.Layout(width="auto", min_width="15em", margin="2px 1em 2px 0")
        style = {"description_width": "initial"}
        out: dict[str, w.Widget] = {}
        months = pre.months or ["—"]
        out["period"] = w.SelectionRangeSlider(
            options=[(m.replace("-", "/"), m) for m in months],
            index=(0, len(months) - 1),
            description=t("explore_filter_period", lang),
            continuous_update=False,
            layout=w.Layout(width="34em", margin="2px 2em 2px 0"),
            style=style,
        )
        for name in ("region", "team", "segment", "product", "rep", "stage"):
            if name not in pre.options:
                continue
            if name == "rep":
                options = self._rep_options()
            elif name == "stage":
                options = [(t("explore_all", lang), ALL)] + [
                    (self.stage_labels.get(s, s), s) for s in pre.options["stage"]
                ]
            else:
                options = [(t("explore_all", lang), ALL)] + [(v, v) for v in pre.options[name]]
            out[name] = w.Dropdown(
                options=options,
                value=ALL,
                description=t(f"explore_filter_{name}", lang),
                layout=layout,
                style=style,
            )
        for name, widget in out.items():
            widget.add_class(f"pb-filter-{name}")
            widget.add_class(f"pb-slice-{side}")
        return out

    def _build_widgets(self, pseudonymise: bool) -> None:
        lang = self.language
        self.pseudonymise = w.Checkbox(
            value=pseudonymise, description=t("explore_pseudonymise", lang), indent=False
        )
        self.pseudonymise.add_class("pb-pseudonymise")
        self.filters = self._filter_set("a")
        self.filters_b = self._filter_set("b")
        self.mode = w.ToggleButtons(
            options=[(t(f"explore_mode_{m}", lang), m) for m in MODES],
            value="single",
            description=t("explore_mode", lang),
            style={"description_width": "initial", "button_width": "auto"},
        )
        self.mode.add_class("pb-mode")
        box = w.Layout(flex_flow="row wrap", align_items="center")
        self._box_a = w.VBox(
            [
                w.HTML(f"<b>{escape(t('explore_slice_a', lang))}</b>"),
                w.Box(list(self.filters.values()), layout=box),
            ]
        )
        self._box_b = w.VBox(
            [
                w.HTML(f"<b>{escape(t('explore_slice_b', lang))}</b>"),
                w.Box(list(self.filters_b.values()), layout=box),
            ],
            layout=w.Layout(display="none"),
        )
        other = "zh" if lang == "en" else "en"
        self._title = w.HTML(
            _STYLE
            + _HIDE_OTHER_LANGUAGE.format(other=other)
            + f"<h2>{escape(t('explore_title', lang, name=self.config.name or ''))}</h2>"
            + f"<p>{escape(t('explore_intro', lang))}</p>"
        )
        self._summary = w.HTML().add_class("pb-summary")
        self._notes = w.HTML().add_class("pb-notes")
        self._status = w.HTML().add_class("pb-status")
        wrap = w.Layout(flex_flow="row wrap")  # two wide journey maps go one under the other
        self.images: dict[str, w.Box] = {
            name: w.Box(layout=wrap) for name in ("journey", "stages", "radar")
        }
        self._images: dict[str, w.Image] = {}
        self._image_keys: dict[str, tuple] = {}
        self._html: dict[str, w.HTML] = {
            name: w.HTML().add_class(f"pb-table-{name}")
            for name in (
                "journey",
                "stage_matrix",
                "comparison",
                "handoffs",
                "capability",
                "teams",
                "reps",
            )
        }
        panes = {
            "journey": [self.images["journey"], self._html["journey"]],
            "stages": [self.images["stages"], self._html["stage_matrix"], self._html["comparison"]],
            "handoffs": [self._html["handoffs"]],
            "capability": [self.images["radar"], self._html["capability"]],
            "people": [self._html["teams"], self._html["reps"]],
        }
        # The content library tab comes last, outside TABS: it does not follow the slices.
        self.content_tab = ContentTab(self.dataset, lang)
        children = [w.VBox(panes[name]) for name in TABS] + [self.content_tab.widget]
        self.tabs = w.Tab(children=children)
        self.tabs.titles = tuple(t(f"explore_tab_{name}", lang) for name in (*TABS, "content"))
        self.tabs.add_class("pb-tabs")
        self.widget = w.VBox(
            [
                self._title,
                w.HBox([self.mode, self.pseudonymise], layout=box),
                self._box_a,
                self._box_b,
                self._summary,
                self._notes,
                self.tabs,
                self._status,
            ]
        )
        self.widget.add_class("pb-explorer")
        for widget in (*self.filters.values(), *self.filters_b.values(), self.mode):
            widget.observe(self._changed, names="value")
        self.pseudonymise.observe(self._pseudonymise_changed, names="value")
        self.tabs.observe(self._tab_changed, names="selected_index")

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
        self._box_b.layout.display = "" if self.mode.value == "two" else "none"
        self.update()

    def _pseudonymise_changed(self, change: dict) -> None:
        with self.hold():
            for filters in (self.filters, self.filters_b):
                if "rep" in filters:
                    current = filters["rep"].value
                    filters["rep"].options = self._rep_options()
                    filters["rep"].value = current
            self._pending = True

    def _tab_changed(self, change: dict) -> None:
        self._render(only_visible=True)

    # --- slices ------------------------------------------------------------------------------

    def values(self, side: str = "a") -> dict[str, Any]:
        """The current filter values of slice ``side`` ("a" or "b")."""
        filters = self.filters if side == "a" else self.filters_b
        return {name: widget.value for name, widget in filters.items()}

    def _period_mask(self, values: dict[str, Any]) -> np.ndarray:
        pre = self.data
        if not pre.months:
            return np.ones(len(pre.month_code), dtype=bool)
        lo, hi = (pre.months.index(v) for v in values["period"])
        return (pre.month_code >= lo) & (pre.month_code <= hi)

    def mask(self, side: str = "a") -> np.ndarray:
        """Boolean mask over the explorer's deals (``journey.deals`` order) for a slice."""
        values = self.values(side)
        pre = self.data
        mask = self._period_mask(values)
        for name in ("region", "team", "segment", "product", "rep"):
            value = values.get(name, ALL)
            if value == ALL or name not in pre.codes:
                continue
            mask &= pre.codes[name] == pre.options[name].index(value)
        stage = values.get("stage", ALL)
        if stage != ALL:
            mask &= pre.journey.entered[:, pre.options["stage"].index(stage)]
        return mask

    def _describe(self, values: dict[str, Any]) -> str:
        lang = self.language
        parts = []
        if self.data.months and tuple(values["period"]) != (
            self.data.months[0],
            self.data.months[-1],
        ):
            parts.append(f"{values['period'][0]} – {values['period'][1]}")
        for name in ("region", "team", "segment", "product", "rep", "stage"):
            value = values.get(name, ALL)
            if value == ALL:
                continue
            shown = (
                self._rep_label(value)
                if name == "rep"
                else self.stage_labels.get(value, value)
                if name == "stage"
                else value
            )
            parts.append(f"{t(f'explore_filter_{name}', lang)}: {shown}")
        return " · ".join(parts) or t("explore_all_deals", lang)

    def _reps_in(self, mask: np.ndarray) -> int:
        return int(np.count_nonzero(np.bincount(self.data.codes["rep"][mask])))

    def _make_slices(self) -> list[Slice]:
        lang = self.language
        k = self.min_group_size
        mode = self.mode.value
        a_values = self.values("a")
        mask_a = self.mask("a")

        def make(key: str, mask: np.ndarray, values: dict[str, Any] | None, text: str) -> Slice:
            reps = self._reps_in(mask)
            people_filter = values is not None and values.get("team", ALL) != ALL
            single_rep = values is not None and values.get("rep", ALL) != ALL
            small = people_filter and not single_rep and 0 < reps < k
            return Slice(key, t(f"explore_group_{key}", lang), mask, text, reps, small)

        if mode == "single":
            return [make("selection", mask_a, a_values, self._describe(a_values))]
        if mode == "rest":
            chosen = make("selection", mask_a, a_values, self._describe(a_values))
            rest_mask = self._period_mask(a_values) & ~mask_a
            rest = make("rest", rest_mask, None, t("explore_rest_of", lang))
            rest.suppressed = chosen.suppressed  # complementary: total - rest = the slice
            return [chosen, rest]
        b_values = self.values("b")
        return [
            make("a", mask_a, a_values, self._describe(a_values)),
            make("b", self.mask("b"), b_values, self._describe(b_values)),
        ]

    # --- computing the views -----------------------------------------------------------------

    def update(self) -> None:
        """Recompute every table and figure frame for the current filters, then redraw."""
        if self._holding:
            self._pending = True
            return
        started = time.perf_counter()
        lang = self.language
        self.slices = self._make_slices()
        self.notes = []
        for s in self.slices:
            if s.suppressed:
                self.notes.append(
                    t(
                        "explore_suppressed_slice",
                        lang,
                        group=s.label,
                        n=s.reps,
                        k=self.min_group_size,
                    )
                )
            elif not s.mask.any():
                self.notes.append(t("explore_no_deals", lang, group=s.label))
        shown = [s for s in self.slices if not s.suppressed]
        views = [self._views_of(s.mask) for s in shown]
        for s, v in zip(shown, views, strict=True):
            self.notes.extend(
                f"{s.label}: {small_sample_text(w, lang, self.stage_labels)}" for w in v["warnings"]
            )
        self.tables, self.figure_data = self._assemble(shown, views)
        self._dirty = set(TABS)
        computed = time.perf_counter()
        self._summary.value = self._display(self.tables["summary"])
        self._notes.value = "".join(f"<p class='pb-note'>{escape(n)}</p>" for n in self.notes)
        self._render(only_visible=self.lazy)
        self.last_update_seconds = time.perf_counter() - started
        self.timings = {
            "compute": computed - started,
            "render": started + self.last_update_seconds - computed,
        }
        seconds = f"{self.last_update_seconds:.2f}"
        self._status.value = f"<small>{escape(t('explore_updated', lang, seconds=seconds))}</small>"

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
        cfg = self.config
        sub = subset_journey(self.data.journey, mask)
        views: dict[str, Any] = {"kpis": intake.headline_kpis(self.data.journey.deals.loc[mask])}
        views["journey_monitor"] = journey.stage_monitor(sub.deals, None, cfg, journey=sub)
        views["journey_flows"] = journey.flows(sub.deals, None, cfg, journey=sub)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", stats.SmallSampleWarning)
            views["stage_rates"] = stages.stage_rates(sub.deals, None, cfg, journey=sub)
        views["warnings"] = [
            w_.message for w_ in caught if issubclass(w_.category, stats.SmallSampleWarning)
        ]
        views.update(self._handoff_frames(mask))
        views["capability"] = self._capability_frame(mask)
        views.update(self._people_frames(mask))
        return views

    def _handoff_frames(self, mask: np.ndarray) -> dict[str, pd.DataFrame | None]:
        """SLA compliance, time to first contact and sleeping deals of one slice."""
        pre = self.data
        out: dict[str, pd.DataFrame | None] = {"sla": None, "response": None, "sleeping": None}
        if not pre.panels.get("handoffs", _Panel(False)).available or not mask.any():
            return out
        handoff = pre.modules["handoff"]
        if pre.sla is not None and len(pre.sla):
            out["sla"] = handoff.sla_compliance(pre.sla[mask[pre.sla_rows]])
        if pre.contacts is not None:
            response = handoff.response_times(pre.contacts[mask].assign(group=""), ["group"])
            out["response"] = response.drop(columns=["dimension", "value"])
        if pre.sleeping is not None:
            part = pre.sleeping[mask[pre.sleeping_rows]].assign(group="")
            out["sleeping"] = handoff.sleeping_rates(part, "group").drop(columns="group")
        return out

    def _capability_frame(self, mask: np.ndarray) -> pd.DataFrame | None:
        """Benchmark against the other reps of the slice, per competency (privacy-safe)."""
        if not self.data.panels.get("capability", _Panel(False)).available:
            return None
        reps = frozenset(pd.unique(self.data.owner[mask]))
        if reps not in self._capability_cache:  # slices often share their reps
            capability = self.data.modules["capability"]
            study = self.data.study
            profile = study.profile[study.profile["family"] == "competency"]
            comparison = capability.compare_groups(
                profile[profile["owner_id"].isin(reps)],
                [r for r in study.benchmark if r in reps],
                min_group_size=self.min_group_size,
            )
            gaps = capability.capability_gaps(comparison, self.config)[CAPABILITY_COLUMNS]
            numbers = CAPABILITY_COLUMNS[1:-1]
            gaps[numbers] = gaps[numbers].astype(float)  # all-NaN when suppressed
            gaps["suppressed"] = gaps["suppressed"].astype(bool)
            self._capability_cache[reps] = gaps
        return self._capability_cache[reps]

    def _people_frames(self, mask: np.ndarray) -> dict[str, pd.DataFrame | None]:
        """Win rate per team (pooled, suppressed under min_group_size) and per rep."""
        pre = self.data
        k = self.min_group_size
        reps = np.asarray(pre.options["rep"], dtype=object)
        code = pre.codes["rep"][mask]
        status = pre.journey.status[mask]
        counts = pd.DataFrame(
            {
                "owner_id": reps,
                "team": pre.rep_team,
                "deals": np.bincount(code, minlength=len(reps)),
                "won": np.bincount(code[status == journey.WON], minlength=len(reps)),
                "lost": np.bincount(code[status == journey.LOST], minlength=len(reps)),
                "open": np.bincount(code[status == journey.OPEN], minlength=len(reps)),
            }
        )
        closed = status != journey.OPEN
        expected = pre.expected_won[mask][closed] if pre.expected_won is not None else np.zeros(0)
        counts["expected"] = (
            np.bincount(code[closed], weights=expected, minlength=len(reps))
            if pre.expected_won is not None
            else np.nan
        )
        counts = counts[counts["deals"] > 0]
        if not len(counts):
            return {"reps": None, "teams": None}
        per_rep = _with_win_rate(counts)
        per_rep["owner_id"] = per_rep["owner_id"].map(self._rep_label)
        per_rep = per_rep.sort_values(["deals", "owner_id"], ascending=[False, True])
        team = counts["team"].replace("", None)
        if team.isna().all():
            return {"reps": per_rep, "teams": None}
        other = t("other_teams", self.language)
        # reps without a team count as a hidden group (complementary suppression); a pool
        # still too small is listed, marked suppressed
        shown = privacy.people_groups(team, counts["owner_id"], k, other)
        known = counts.assign(team=shown.where(shown.notna() | team.isna(), other))
        teams = (
            known.dropna(subset=["team"])
            .groupby("team", sort=True)
            .agg(
                reps=("owner_id", "size"),
                deals=("deals", "sum"),
                won=("won", "sum"),
                lost=("lost", "sum"),
                open=("open", "sum"),
                expected=("expected", "sum"),
            )
        )
        if pre.expected_won is None:
            teams["expected"] = np.nan  # a sum of nothing is not an expectation of 0
        teams = _with_win_rate(teams.reset_index())
        teams["suppressed"] = teams["reps"] < k
        hidden = ["deals", "won", "lost", "open", "win_rate", "ci_low", "ci_high"]
        hidden += LIKE_DEALS_COLUMNS
        teams[hidden] = teams[hidden].astype(float)
        teams.loc[teams["suppressed"], hidden] = np.nan
        return {"reps": per_rep, "teams": teams}

    def _assemble(
        self, shown: list[Slice], views: list[dict[str, Any]]
    ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
        """The slices' frames stacked with a ``group`` column: tables and figure data."""

        def stack(name: str, columns: Sequence[str]) -> pd.DataFrame:
            frames = [
                v[name].assign(group=s.label)
                for s, v in zip(shown, views, strict=True)
                if v[name] is not None
            ]
            out = _concat(frames, ["group", *columns])
            return out.reindex(columns=["group", *columns]) if columns else out

        rates = stack("stage_rates", stages.RATE_COLUMNS)
        tables = {
            "summary": self._summary_table(views),
            "journey": stack("journey_monitor", []),
            "stage_matrix": rates,
            "comparison": self._comparison(shown, [v["stage_rates"] for v in views]),
            "sla": stack("sla", []),
            "response": stack("response", []),
            "sleeping": stack("sleeping", []),
            "capability": stack("capability", CAPABILITY_COLUMNS),
            "teams": stack("teams", TEAM_COLUMNS),
            "reps": stack("reps", REP_COLUMNS),
        }
        figures = {
            "journey_monitor": tables["journey"],
            "journey_flows": stack("journey_flows", []),
            "stage_rates": rates,
            "capability": tables["capability"],
        }
        return tables, figures

    def _summary_table(self, views: list[dict[str, Any]]) -> pd.DataFrame:
        """One row per group: deals, reps, win rate with its interval, revenue, cycle."""
        rows = []
        shown = iter(views)
        for s in self.slices:
            row: dict[str, Any] = {"group": s.label, "filters": s.description, "reps": s.reps}
            if s.suppressed:
                row["note"] = t("explore_suppressed", self.language)
                rows.append(row)
                continue
            kpis = next(shown)["kpis"]
            win = kpis["win_rate"]
            row.update(
                deals=kpis["deals"]["value"],
                open=kpis["open_deals"]["value"],
                resolved=win["n"],
                win_rate=win["value"],
                ci_low=win.get("ci_low"),
                ci_high=win.get("ci_high"),
                won_revenue=kpis["won_revenue"]["value"],
                median_cycle_days=kpis["median_cycle_days"]["value"],
                note="",
            )
            rows.append(row)
        out = pd.DataFrame(rows).reindex(columns=SUMMARY_COLUMNS)
        for column in ("win_rate", "ci_low", "ci_high", "won_revenue", "median_cycle_days"):
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
        for column in ("deals", "open", "resolved"):
            out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
        return out

    def _comparison(self, shown: list[Slice], frames: list[pd.DataFrame]) -> pd.DataFrame:
        """Rate differences between two groups, tested when they share no deal."""
        columns = ["from", "to", "n_a", "rate_a", "n_b", "rate_b", "difference", "p_value"]
        if len(frames) != 2:
            return pd.DataFrame(columns=columns)
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
            self.notes.append(t("explore_overlap", self.language, n=f"{overlap:,}"))
            out["p_value"] = np.nan
        else:
            raw = stats.slice_vs_rest_test(
                a["advanced"].to_numpy(),
                a["mature_n"].to_numpy(),
                (a["advanced"] + b["advanced"]).to_numpy(),
                (a["mature_n"] + b["mature_n"]).to_numpy(),
                alternative="two-sided",
            )
            out["p_value"] = stats.benjamini_hochberg(raw)
        return out

    # --- showing -----------------------------------------------------------------------------

    def _headers(self, frame: pd.DataFrame) -> dict[str, str]:
        lang = self.language
        out = {}
        labels = {s.key: s.label for s in self.slices}
        group_a = labels.get("a", labels.get("selection", "A"))
        group_b = labels.get("b", labels.get("rest", "B"))
        for column in frame.columns:
            if column in ("n_a", "rate_a", "n_b", "rate_b"):
                which = group_a if column.endswith("_a") else group_b
                key = "explore_col_n" if column.startswith("n_") else "explore_col_rate"
                out[column] = t(key, lang, group=which)
            elif column not in ("n", "rate") and f"explore_col_{column}" in TEXT:
                out[column] = t(f"explore_col_{column}", lang)  # (those two take a group)
            elif f"col_{column}" in TEXT:
                out[column] = t(f"col_{column}", lang)
        return out

    def _display(self, frame: pd.DataFrame, heading: str = "") -> str:
        """Escaped HTML of a table: stage labels, share columns as %, localised headers."""
        lang = self.language
        shown = frame.copy()
        for column in ("stage", "from", "to"):
            if column in shown.columns:
                shown[column] = shown[column].map(
                    lambda v: self.stage_labels.get(str(v), v) if pd.notna(v) else v
                )
        for column in ("win_rate", "expected_win_rate", "share", "compliance", "rate_a", "rate_b"):
            if column in shown.columns:
                shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        if "win_rate_vs_expected" in shown.columns:
            shown["win_rate_vs_expected"] = shown["win_rate_vs_expected"].map(
                lambda v: "" if pd.isna(v) else t("explore_points", lang, value=f"{100 * v:+.1f}")
            )
        if "difference" in shown.columns:
            shown["difference"] = shown["difference"].map(
                lambda v: "" if pd.isna(v) else t("explore_points", lang, value=f"{100 * v:+.1f}")
            )
        if "suppressed" in shown.columns:
            shown["suppressed"] = shown["suppressed"].map(
                lambda v: t("explore_suppressed", lang) if bool(v) else ""
            )
        if "dimension" in shown.columns and self.data.study is not None:
            labels = self.data.study.dimension_labels
            shown["dimension"] = shown["dimension"].map(lambda v: labels.get(v, v))
        title = f"<h4>{escape(heading)}</h4>" if heading else ""
        if not len(shown):
            return title + f"<p class='pb-note'>{escape(t('explore_empty', lang))}</p>"
        return title + table_html(
            shown, max_rows=MAX_TABLE_ROWS, headers=self._headers(shown), language=lang
        )

    def _panel(self, name: str) -> str:
        panel = self.data.panels.get(name, _Panel(False))
        return f"<p class='pb-unavailable'>{escape(panel.reason)}</p>" if panel.reason else ""

    def _render_tab(self, name: str) -> None:
        """Fill one tab's tables and figures from :attr:`tables` and :attr:`figure_data`."""
        lang = self.language
        tb = self.tables
        available = self.data.panels.get(name, _Panel(True)).available
        if name == "journey":
            self.images["journey"].children = self._journey_images()
            self._html["journey"].value = self._display(
                tb["journey"], t("explore_heading_journey", lang)
            )
        elif name == "stages":
            self.images["stages"].children = self._funnel_images()
            self._html["stage_matrix"].value = self._display(
                tb["stage_matrix"], t("explore_heading_stage_matrix", lang)
            )
            self._html["comparison"].value = (
                self._display(tb["comparison"], t("explore_heading_comparison", lang))
                if len(self.slices) == 2
                else ""
            )
        elif name == "handoffs":
            html = self._panel("handoffs")
            if available:
                html += self._display(tb["sla"], t("explore_heading_sla", lang))
            if available and self.data.contacts is not None:
                html += self._display(tb["response"], t("explore_heading_response", lang))
                html += self._display(tb["sleeping"], t("explore_heading_sleeping", lang))
            self._html["handoffs"].value = html
        elif name == "capability":
            self.images["radar"].children = self._radar_images() if available else []
            self._html["capability"].value = (
                self._display(tb["capability"], t("explore_heading_capability", lang))
                if available
                else self._panel("capability")
            )
        elif name == "people":
            who = t(
                "explore_reps_pseudonymised" if self.pseudonymise.value else "explore_reps_ids",
                lang,
            )
            self._html["teams"].value = self._display(
                tb["teams"], t("explore_heading_teams", lang, k=self.min_group_size)
            )
            self._html["reps"].value = self._display(
                tb["reps"], t("explore_heading_reps", lang, who=who)
            )

    def _render(self, *, only_visible: bool) -> None:
        """Render the visible tab (or every tab) when out of date; the others stay marked."""
        index = self.tabs.selected_index or 0
        if index >= len(TABS):
            self.content_tab.show()
            return
        wanted = {TABS[index]} if only_visible else set(TABS)
        for name in TABS:
            if name in wanted and name in self._dirty:
                self._render_tab(name)
                self._dirty.discard(name)

    def _figure(self, name: str, frames: Sequence[pd.DataFrame], draw) -> w.Image:
        """The persistent image ``name``, redrawn only when its data changed."""
        image = self._images.get(name)
        if image is None:
            image = w.Image(format="png", layout=w.Layout(max_width="100%"))
            image.add_class("pb-figure")
            self._images[name] = image
        digest = tuple(int(pd.util.hash_pandas_object(f, index=False).sum()) for f in frames)
        key = (tuple(tuple(f.columns) for f in frames), digest)
        if self._image_keys.get(name) != key:
            image.value = _png(draw())
            self._image_keys[name] = key
        return image

    def _groups(self, frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
        return [
            (s.label, frame[frame["group"] == s.label])
            for s in self.slices
            if not s.suppressed and len(frame) and (frame["group"] == s.label).any()
        ]

    def _journey_images(self) -> list[w.Image]:
        lang = self.language
        moves = self.figure_data["journey_flows"]
        legend = {k: t(f"legend_{k}", lang) for k in ("entered", "lost", "open", "skip", "regress")}
        out = []
        for i, (label, monitor) in enumerate(self._groups(self.figure_data["journey_monitor"])):
            flows = moves[moves["group"] == label]

            def draw(monitor=monitor, flows=flows, label=label):
                return plots.journey_map(
                    monitor.drop(columns="group"),
                    flows.drop(columns="group"),
                    labels=self.stage_labels,
                    title=f"{t('fig_journey_map', lang)} · {label}",
                    outcome_labels=legend,
                    dwell_label=t("dwell_median", lang),
                )

            out.append(self._figure(f"journey_{i}", [monitor, flows], draw))
        return out

    def _funnel_images(self) -> list[w.Image]:
        import matplotlib.pyplot as plt

        groups = self._groups(self.figure_data["stage_rates"])
        if not groups:
            return []

        def draw():
            plots.theme()
            K = len(self.stage_labels)
            fig, axes = plt.subplots(
                1, len(groups), figsize=(7 * len(groups), 0.6 * K + 1.5), squeeze=False
            )
            for ax, (label, rates) in zip(axes[0], groups, strict=True):
                plots.funnel(
                    rates.drop(columns="group"),
                    labels=self.stage_labels,
                    title=label,
                    xlabel=t("axis_rate", self.language),
                    ax=ax,
                )
            return fig

        return [self._figure("stages", [self.figure_data["stage_rates"]], draw)]

    def _radar_images(self) -> list[w.Image]:
        import matplotlib.pyplot as plt

        groups = self._groups(self.figure_data["capability"])
        if not groups:
            return []
        study = self.data.study
        lang = self.language

        def draw():
            plots.theme()
            fig = plt.figure(figsize=(6.5 * len(groups), 6))
            for i, (label, gaps) in enumerate(groups):
                ax = fig.add_subplot(1, len(groups), i + 1, projection="polar")
                plots.capability_radar(
                    gaps.drop(columns="group"),
                    dimension_labels=study.dimension_labels,
                    scale=study.scale,
                    title=label,
                    benchmark_label=t("cap_benchmark", lang),
                    rest_label=t("cap_rest", lang),
                    team_label=t("cap_team", lang),
                    gap_label=t("cap_gap_area", lang),
                    suppressed_label=study.suppressed_label,
                    ax=ax,
                )
            return fig

        return [self._figure("radar", [self.figure_data["capability"]], draw)]


def _with_win_rate(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` plus the win rate of resolved deals (won / (won + lost)) and its interval,
    and — from the ``expected`` wins on the same deals — the win rate the company achieves
    on them and the difference (like deals; NaN without expected wins)."""
    resolved = (counts["won"] + counts["lost"]).to_numpy()
    rates = stats.rate_table(counts["won"].to_numpy(), resolved)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(
            resolved > 0, counts["expected"].to_numpy(dtype=float) / resolved, np.nan
        )
    out = counts.drop(columns="expected").reset_index(drop=True)
    return out.assign(
        win_rate=rates["rate"].to_numpy(),
        ci_low=rates["ci_low"].to_numpy(),
        ci_high=rates["ci_high"].to_numpy(),
        expected_win_rate=expected,
        win_rate_vs_expected=rates["rate"].to_numpy() - expected,
    )


def _concat(frames: Sequence[pd.DataFrame], first: Sequence[str]) -> pd.DataFrame:
    """Frames stacked, ``group`` moved to the front; empty frame when there are none."""
    filled = [f for f in frames if len(f)]
    if not filled:
        return frames[0].iloc[:0] if frames else pd.DataFrame(columns=list(first))
    out = pd.concat(filled, ignore_index=True)
    if "group" in out.columns:
        out = out[["group", *[c for c in out.columns if c != "group"]]]
    return out


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

"""The explorer's controls: the filters of slices A and B, the comparison mode, the pseudonyms.

:class:`Controls` builds the widgets and answers what they select: the deals of a slice (a
boolean mask over the prepared journey's deals), the sentence describing it, the groups to
show in the current mode (:meth:`Controls.slices`).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np

from playbook.explore.common import ALL, CODED_FILTERS, FILTERS, MODES, Precomputed, Slice
from playbook.i18n import t
from playbook.report import escape

#: The dropdown filters, in display order (the period is a range slider).
DROPDOWNS = FILTERS[1:]
_STYLE = {"description_width": "initial"}


class Controls:
    """The filter widgets and switches of one explorer.

    Parameters
    ----------
    pre : Precomputed
        The explorer's data (months, filter options, per-deal codes).
    language : {"en", "zh"}
    stage_labels : dict of str -> str
    pseudonyms : dict of str -> str
        Rep id -> pseudonym, shown while :attr:`pseudonymise` is checked.
    pseudonymise : bool
        The pseudonym switch's first value.
    min_group_size : int
        A slice filtered by team with fewer reps than this is suppressed.
    """

    def __init__(
        self,
        pre: Precomputed,
        language: str,
        stage_labels: dict[str, str],
        pseudonyms: dict[str, str],
        *,
        pseudonymise: bool,
        min_group_size: int,
    ) -> None:
        self.data = pre
        self.language = language
        self.stage_labels = stage_labels
        self.min_group_size = min_group_size
        self._pseudonyms = pseudonyms
        self.pseudonymise = w.Checkbox(
            value=pseudonymise, description=t("explore_pseudonymise", language), indent=False
        )
        self.pseudonymise.add_class("pb-pseudonymise")
        self.filters = self._filter_set("a")
        self.filters_b = self._filter_set("b")
        self.mode = w.ToggleButtons(
            options=[(t(f"explore_mode_{m}", language), m) for m in MODES],
            value="single",
            description=t("explore_mode", language),
            style={**_STYLE, "button_width": "auto"},
        )
        self.mode.add_class("pb-mode")
        self.box_a = self._slice_box("explore_slice_a", self.filters)
        self.box_b = self._slice_box("explore_slice_b", self.filters_b)
        self.box_b.layout.display = "none"

    # --- widgets -----------------------------------------------------------------------------

    def rep_label(self, rep: str) -> str:
        """How a rep id is shown: its pseudonym while the switch is on."""
        return self._pseudonyms.get(rep, rep) if self.pseudonymise.value else rep

    def rep_options(self) -> list[tuple[str, str]]:
        """The rep dropdown's options, sorted by what is shown."""
        reps = sorted(self.data.options["rep"], key=self.rep_label)
        return [(t("explore_all", self.language), ALL)] + [(self.rep_label(r), r) for r in reps]

    def relabel_reps(self) -> None:
        """Show the reps as the pseudonym switch now says, keeping each slice's choice."""
        for filters in (self.filters, self.filters_b):
            if "rep" in filters:
                current = filters["rep"].value
                filters["rep"].options = self.rep_options()
                filters["rep"].value = current

    def _options(self, name: str) -> list[tuple[str, str]]:
        everything = (t("explore_all", self.language), ALL)
        if name == "rep":
            return self.rep_options()
        if name == "stage":
            stages = self.data.options["stage"]
            return [everything] + [(self.stage_labels.get(s, s), s) for s in stages]
        return [everything] + [(v, v) for v in self.data.options[name]]

    def _filter_set(self, side: str) -> dict[str, w.Widget]:
        lang = self.language
        layout = w.Layout(width="auto", min_width="15em", margin="2px 1em 2px 0")
        months = self.data.months or ["—"]
        out: dict[str, w.Widget] = {}
        out["period"] = w.SelectionRangeSlider(
            options=[(m.replace("-", "/"), m) for m in months],
            index=(0, len(months) - 1),
            description=t("explore_filter_period", lang),
            continuous_update=False,
            layout=w.Layout(width="34em", margin="2px 2em 2px 0"),
            style=_STYLE,
        )
        for name in DROPDOWNS:
            if name in self.data.options:
                out[name] = w.Dropdown(
                    options=self._options(name),
                    value=ALL,
                    description=t(f"explore_filter_{name}", lang),
                    layout=layout,
                    style=_STYLE,
                )
        for name, widget in out.items():
            widget.add_class(f"pb-filter-{name}")
            widget.add_class(f"pb-slice-{side}")
        return out

    def _slice_box(self, title: str, filters: dict[str, w.Widget]) -> w.VBox:
        row = w.Layout(flex_flow="row wrap", align_items="center")
        heading = w.HTML(f"<b>{escape(t(title, self.language))}</b>")
        return w.VBox([heading, w.Box(list(filters.values()), layout=row)])

    def observe(self, changed, pseudonymise_changed) -> None:
        """Call ``changed`` on any filter or mode change, ``pseudonymise_changed`` on the switch."""
        for widget in (*self.filters.values(), *self.filters_b.values(), self.mode):
            widget.observe(changed, names="value")
        self.pseudonymise.observe(pseudonymise_changed, names="value")

    def show_slice_b(self) -> None:
        """Show slice B's filters only when two slices are compared."""
        self.box_b.layout.display = "" if self.mode.value == "two" else "none"

    # --- what the controls select ------------------------------------------------------------

    def values(self, side: str = "a") -> dict[str, Any]:
        """The current filter values of slice ``side`` ("a" or "b")."""
        filters = self.filters if side == "a" else self.filters_b
        return {name: widget.value for name, widget in filters.items()}

    def period_mask(self, values: dict[str, Any]) -> np.ndarray:
        """The deals created within the period of ``values``."""
        pre = self.data
        if not pre.months:
            return np.ones(len(pre.month_code), dtype=bool)
        lo, hi = (pre.months.index(v) for v in values["period"])
        return (pre.month_code >= lo) & (pre.month_code <= hi)

    def mask(self, side: str = "a") -> np.ndarray:
        """Boolean mask over the explorer's deals (``journey.deals`` order) for a slice."""
        values = self.values(side)
        pre = self.data
        mask = self.period_mask(values)
        for name in CODED_FILTERS:
            value = values.get(name, ALL)
            if value == ALL or name not in pre.codes:
                continue
            mask &= pre.codes[name] == pre.options[name].index(value)
        stage = values.get("stage", ALL)
        if stage != ALL:
            mask &= pre.journey.entered[:, pre.options["stage"].index(stage)]
        return mask

    def describe(self, values: dict[str, Any]) -> str:
        """The filters of a slice in words: "Region: East · Stage: Demo"."""
        months = self.data.months
        parts = []
        if months and tuple(values["period"]) != (months[0], months[-1]):
            parts.append(f"{values['period'][0]} – {values['period'][1]}")
        for name in DROPDOWNS:
            value = values.get(name, ALL)
            if value == ALL:
                continue
            if name == "rep":
                value = self.rep_label(value)
            elif name == "stage":
                value = self.stage_labels.get(value, value)
            parts.append(f"{t(f'explore_filter_{name}', self.language)}: {value}")
        return " · ".join(parts) or t("explore_all_deals", self.language)

    def reps_in(self, mask: np.ndarray) -> int:
        """How many reps own deals of ``mask``."""
        return int(np.count_nonzero(np.bincount(self.data.codes["rep"][mask])))

    def _slice(self, key: str, mask: np.ndarray, values: dict[str, Any] | None) -> Slice:
        """A group; one filtered by team (not a single rep) under ``min_group_size`` reps is
        suppressed. ``values`` None: the rest of the slice (never filtered itself)."""
        reps = self.reps_in(mask)
        text = self.describe(values) if values is not None else t("explore_rest_of", self.language)
        people_filter = values is not None and values.get("team", ALL) != ALL
        single_rep = values is not None and values.get("rep", ALL) != ALL
        small = people_filter and not single_rep and 0 < reps < self.min_group_size
        return Slice(key, t(f"explore_group_{key}", self.language), mask, text, reps, small)

    def slices(self) -> list[Slice]:
        """The groups the current mode shows: the slice, with the rest, or slices A and B."""
        mode = self.mode.value
        a_values = self.values("a")
        mask_a = self.mask("a")
        if mode == "single":
            return [self._slice("selection", mask_a, a_values)]
        if mode == "rest":
            chosen = self._slice("selection", mask_a, a_values)
            rest = self._slice("rest", self.period_mask(a_values) & ~mask_a, None)
            rest.suppressed = chosen.suppressed  # complementary: total - rest = the slice
            return [chosen, rest]
        return [
            self._slice("a", mask_a, a_values),
            self._slice("b", self.mask("b"), self.values("b")),
        ]

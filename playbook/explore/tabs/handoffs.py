"""The *Handoffs* tab: SLA compliance, time to first contact and sleeping deals per group.

:mod:`playbook.steps.handoff` is optional: without it (or without the activities table) the
tab says what is not available and why. Its per-deal frames are computed once
(:func:`precompute_handoffs`); a slice only cuts them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.explore.common import Panel, Precomputed
from playbook.explore.formatting import panel_html
from playbook.explore.tabs.base import Frames, Groups, Shown, Tab, optional_step, step_failed
from playbook.i18n import t
from playbook.steps.journey import JourneyData
from playbook.workspace.dataset import Dataset

#: The tab's tables, one frame per slice each.
FRAMES = ("sla", "response", "sleeping")


class HandoffsTab(Tab):
    name = "handoffs"
    TABLES = ("handoffs",)

    def frames(self, sub: JourneyData, mask: np.ndarray) -> dict[str, pd.DataFrame | None]:
        """SLA compliance, time to first contact and sleeping deals of one slice."""
        pre = self.context.data
        out: dict[str, pd.DataFrame | None] = dict.fromkeys(FRAMES)
        if not pre.available("handoffs") or not mask.any():
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

    def assemble(self, groups: Groups, notes: list[str]) -> tuple[Frames, Frames]:
        return {name: groups.stack(name) for name in FRAMES}, {}

    def render(self, shown: Shown) -> None:
        pre = self.context.data
        lang = self.context.language
        html = panel_html(pre.panels.get("handoffs"))
        wanted = ["sla", *(("response", "sleeping") if pre.contacts is not None else ())]
        for name in wanted if pre.available("handoffs") else ():
            html += shown.format.html(shown.tables[name], t(f"explore_heading_{name}", lang))
        self.html["handoffs"].value = html


def precompute_handoffs(ds: Dataset, pre: Precomputed, language: str) -> None:
    """First contacts, SLA states and sleeping leads of every deal, into ``pre``."""
    handoff = optional_step(pre, "handoffs", "playbook.steps.handoff", language)
    if handoff is None:
        return
    acts = ds.activities if ds.activities is not None and len(ds.activities) else None
    try:
        base = _contacts_and_sleeping(handoff, ds, pre, acts, t("other_teams", language))
        sla = handoff.sla_status(base, ds.config, pre.journey, acts)
        # categoricals: per-slice compliance then groups codes, not strings
        pre.sla = sla[["sla", "limit", "unit", "state", "overdue"]].astype(
            {"unit": "category", "state": "category"}
        )
        pre.sla_rows = _deal_rows(pre, sla)
    except Exception as exc:  # an optional step failing must not take the explorer down
        step_failed(pre, "handoffs", language, exc)
        return
    pre.panels["handoffs"] = Panel(True)
    pre.modules["handoff"] = handoff
    if acts is None:
        pre.panels["handoffs"].reason = t("explore_why_table", language, table="activities")


def _contacts_and_sleeping(handoff, ds: Dataset, pre: Precomputed, acts, other: str):
    """Per-deal first contacts and sleeping leads into ``pre`` (when there are activities);
    returns the deal frame the SLA states are computed from."""
    j = pre.journey
    if acts is None:
        return handoff.deal_frame(j.deals, ds.config, ds.reps, other_label=other)
    contacts = handoff.first_contacts(
        j.deals, acts, ds.config, ds.reps, as_of=j.as_of, other_label=other, journey=j
    )
    # only the columns the per-slice views read: slicing stays cheap
    pre.contacts = contacts[["contacted", "hours", "business_hours", "attempts"]]
    sleeping = handoff.sleeping_leads(
        j.deals, ds.stage_events, acts, ds.config, ds.reps, journey=j, other_label=other
    )
    pre.sleeping = sleeping[["deal_id", "sleeping", "amount"]]
    pre.sleeping_rows = _deal_rows(pre, sleeping)
    return contacts


def _deal_rows(pre: Precomputed, frame: pd.DataFrame):
    """The row of each of ``frame``'s deals in the explorer's deals (-1 when absent)."""
    return pd.Index(pre.journey.deals["deal_id"].astype(str)).get_indexer(
        frame["deal_id"].astype(str)
    )

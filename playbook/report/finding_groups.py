"""Findings grouped as a person reads them (presentation only).

Every finding stays in ``summary.json``; this module only decides how the overview
shows them:

* a rep's finding whose team carries a finding of the same kind becomes a detail of
  that team finding (the team finding is not repeated by its own members);
* findings that share a cause sit together: the findings about one slice (a team, a
  region…) — a slow first contact and the sleeping leads it leaves — form one group,
  led by its most important finding;
* groups are ordered by severity, then money at stake, then confidence (smaller
  adjusted p-value first), then a stable key, so re-runs give the same page.

The input is the finding records the steps saved (:func:`playbook.findings.finding_record`),
which keep ``impact`` and ``extra`` besides the summary's contract fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: The dimension of findings about single reps; ``team`` is their team's dimension.
PERSON_DIMENSION = "owner_id"
TEAM_DIMENSION = "team"

#: Kinds that describe a problem to act on (the others are context: what strong
#: reps do, what the pilot did, how good the data is).
PROBLEM_KINDS = ("bottleneck", "slow_handoff", "sleeping_leads", "capability_gap")

#: Kinds that share a cause when they concern the same slice: slow first contact
#: leaves leads asleep, and both show up as a weak early stage.
RELATED_KINDS = ("slow_handoff", "sleeping_leads", "bottleneck")


@dataclass
class FindingGroup:
    """One entry of the overview: a lead finding and what belongs with it.

    Attributes
    ----------
    lead : the finding that names the problem.
    related : findings about the same slice that share its cause.
    members : findings about single reps of the lead's team (same kind as a team finding
        of the group), shown as detail, never as findings of their own.
    """

    lead: dict[str, Any]
    related: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)

    @property
    def findings(self) -> list[dict[str, Any]]:
        return [self.lead, *self.related, *self.members]

    @property
    def team(self) -> str | None:
        return self.lead.get("value") if self.lead.get("dimension") == TEAM_DIMENSION else None


def importance_key(
    record: Mapping[str, Any], money: Callable[[Mapping[str, Any]], float | None]
) -> tuple:
    """Sort key: severity, money at stake, confidence, then a stable tail.

    ``money`` gives a finding's money at stake (None when the finding has none), so a
    severe finding worth little still comes after an equally severe one worth a lot,
    and between two equal ones the better-evidenced (smaller p-value) comes first.
    """
    value = money(record)
    p = record.get("p_value")
    return (
        -int(record.get("severity") or 0),
        -(value if value is not None else -1.0),
        p if p is not None else 1.0,
        str(record.get("kind")),
        str(record.get("dimension")),
        str(record.get("value")),
        str(record.get("stage")),
    )


def group_findings(
    records: Iterable[Mapping[str, Any]],
    rep_teams: Mapping[str, str] | None = None,
    *,
    money: Callable[[Mapping[str, Any]], float | None] | None = None,
) -> list[FindingGroup]:
    """Group findings for reading (see the module docstring).

    Parameters
    ----------
    records : finding records (dicts with at least kind, severity, dimension, value).
    rep_teams : rep id -> team, to attach reps' findings to their team's finding.
    money : a finding's money at stake for ordering (default: its ``impact``).

    Returns
    -------
    list of FindingGroup
        Most important first; every input finding is in exactly one group.
    """
    rep_teams = dict(rep_teams or {})
    money = money or (lambda r: r.get("impact"))
    ordered = sorted((dict(r) for r in records), key=lambda r: importance_key(r, money))
    team_kinds = {
        (r["kind"], r.get("value")) for r in ordered if r.get("dimension") == TEAM_DIMENSION
    }
    groups: list[FindingGroup] = []
    by_slice: dict[tuple, FindingGroup] = {}
    details: list[tuple[tuple, dict]] = []
    for record in ordered:
        team = rep_teams.get(str(record.get("value")))
        if (
            record.get("dimension") == PERSON_DIMENSION
            and team is not None
            and (record["kind"], team) in team_kinds
        ):
            details.append(((TEAM_DIMENSION, team, record["kind"]), record))
            continue
        key = (record.get("dimension"), record.get("value"))
        shared = by_slice.get(key)
        if (
            shared is not None
            and record["kind"] in RELATED_KINDS
            and shared.lead["kind"] in RELATED_KINDS
            and record.get("dimension") is not None
        ):
            shared.related.append(record)
            continue
        group = FindingGroup(lead=record)
        groups.append(group)
        by_slice.setdefault(key, group)
    for (dimension, team, _kind), record in details:
        # the team's findings of every related kind share one group (see above)
        by_slice[(dimension, team)].members.append(record)
    return groups


def is_problem(record: Mapping[str, Any]) -> bool:
    """Whether a finding names a problem to act on (see :data:`PROBLEM_KINDS`)."""
    return record.get("kind") in PROBLEM_KINDS

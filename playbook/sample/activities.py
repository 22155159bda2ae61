"""``activities.csv``: what marketing, sales, customer success and others did on each deal.

Marketing touches before and at creation, the sales rep's first contact (and the attempts that
did not connect), work during each stage's stay (meetings, calls, e-mails, demos, reviews),
customer success after the signature, and a few notes. Strong reps hold more discovery
meetings, sloppy reps leave part of their work unlogged, forgotten deals go quiet; the content
library (:mod:`playbook.sample.content`) names the item some sales activities used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.sample import content, data_quality, top_performers
from playbook.sample.clock import END, Calendar, fmt_times, secs
from playbook.sample.company import Company
from playbook.sample.deals import Deals
from playbook.sample.draws import pick, spread
from playbook.sample.funnel import Funnel
from playbook.sample.options import Options

_MARKETING_STAFF = [f"M{i:02d}" for i in range(1, 6)]
_CS_STAFF = [f"CS{i:02d}" for i in range(1, 5)]
_PRODUCT_STAFF = [f"P{i:02d}" for i in range(1, 4)]
_OTHER_STAFF = ["OPS01", "FIN01"]

TYPES = [
    "form",
    "download",
    "campaign",
    "webinar",
    "ad",
    "event",
    "email",
    "call_attempt",
    "call",
    "meeting",
    "demo",
    "review",
    "kickoff",
    "onboarding",
    "note",
]
_T = {name: i for i, name in enumerate(TYPES)}
TEAMS = ["marketing", "sales", "customer_success", "product", "other"]
_TEAM = {name: i for i, name in enumerate(TEAMS)}


@dataclass(frozen=True)
class Activities:
    """``activities.csv`` and, per row, the deal index and time (days since origin)."""

    table: pd.DataFrame
    deal: np.ndarray
    time: np.ndarray


def activity_table(
    rng: np.random.Generator,
    cal: Calendar,
    company: Company,
    deals: Deals,
    funnel: Funnel,
    options: Options,
) -> Activities:
    """``activities.csv``, sorted by deal, time, type and actor, with its ``content_id``."""
    span_end = _stay_ends(rng, funnel)
    log = _Log(rng, cal, deals.owner)
    _marketing(log, deals)
    _first_contact(log, deals, funnel)
    _stage_work(log, funnel, span_end, company.strong(options))
    _after_signature(log, funnel)
    _notes(log, deals, funnel)
    deal, time, typ, actor, team = log.logged(company.is_sloppy)
    keep = time < END
    deal, time, typ, actor, team = (x[keep] for x in (deal, time, typ, actor, team))
    order = np.lexsort((actor, typ, secs(time), deal))
    deal, time, typ, actor, team = (x[order] for x in (deal, time, typ, actor, team))
    table = pd.DataFrame(
        {
            "deal_id": deals.ids[deal],
            "at": fmt_times(time),
            "type": np.asarray(TYPES, dtype=object)[typ],
            "actor_id": actor,
            "team": np.asarray(TEAMS, dtype=object)[team],
        }
    )
    # The content library: which sales activities used which item (never changes a deal).
    table["content_id"] = content.assign(
        content.stream(options.seed),
        deal,
        time,
        table["type"].to_numpy(),
        team == _TEAM["sales"],
        funnel.entry,
        options.content,
    )
    return Activities(table, deal, time)


def _stay_ends(rng: np.random.Generator, funnel: Funnel) -> np.ndarray:
    """When the work of each stage's stay ends: when the deal left it, or the export's end.
    Forgotten deals go quiet a few days after entering their stage."""
    leave, entry = funnel.leave, funnel.entry
    span_end = np.where(np.isfinite(leave), np.minimum(leave, END), np.nan)
    quiet = rng.uniform(1.0, 5.0, len(leave))
    for s in range(2):
        sel = (
            funnel.stale & (funnel.stale_stage == s) & (funnel.current == s) & (funnel.status == 0)
        )
        span_end[sel, s] = np.minimum(entry[sel, s] + quiet[sel], END)
    return span_end


class _Log:
    """Activity rows (deal index, time, type code, actor id, team code), added in parts."""

    def __init__(self, rng: np.random.Generator, cal: Calendar, owner: np.ndarray) -> None:
        self.rng, self.cal, self.owner = rng, cal, owner
        self.n = len(owner)
        self.all = np.arange(self.n)
        self.owner_ids = np.array(
            [f"R{i + 1:03d}" for i in range(owner.max(initial=0) + 1)], dtype=object
        )
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, deal, time, types, actors, team: str) -> None:
        self.parts.append(
            (
                deal,
                time,
                np.broadcast_to(np.asarray(types, np.int64), deal.shape).copy(),
                np.broadcast_to(np.asarray(actors, dtype=object), deal.shape).copy(),
                np.full(deal.size, _TEAM[team], np.int64),
            )
        )

    def staff(self, pool: list[str], size: int) -> np.ndarray:
        """``size`` members of a staff pool, drawn uniformly."""
        return np.asarray(pool, dtype=object)[self.rng.integers(0, len(pool), size)]

    def sales(self, counts, start, end, kind, office_hours: bool = True):
        """``counts[i]`` activities by deal i's owner between ``start[i]`` and ``end[i]``.

        ``kind`` is a type name, or (share, first, second): each row is the first type with
        that chance, else the second. Returns the rows' deals and times.
        """
        cal = self.cal if office_hours else None
        d, t, _ = spread(self.rng, self.all, start, end, counts, cal)
        if isinstance(kind, tuple):
            share, first, second = kind
            types = np.where(self.rng.random(d.size) < share, _T[first], _T[second])
        else:
            types = _T[kind]
        self.add(d, t, types, self.owner_ids[self.owner[d]], "sales")
        return d, t

    def logged(self, is_sloppy: np.ndarray):
        """All rows but the sales work sloppy reps did not log."""
        deal, time, typ, actor, team = (np.concatenate(x) for x in zip(*self.parts, strict=True))
        sloppy_sales = (team == _TEAM["sales"]) & is_sloppy[self.owner[deal]]
        keep = ~data_quality.unlogged(self.rng, sloppy_sales)
        return deal[keep], time[keep], typ[keep], actor[keep], team[keep]


def _marketing(log: _Log, deals: Deals) -> None:
    """The web form at creation, earlier touches, an event visit."""
    rng, source, created = log.rng, deals.source, deals.created
    web = np.flatnonzero(source == 0)
    log.add(
        web,
        created[web],
        np.where(rng.random(web.size) < 0.8, _T["form"], _T["download"]),
        log.staff(_MARKETING_STAFF, web.size),
        "marketing",
    )
    lam = np.array([1.5, 0.2, 1.0, 0.2, 0.3])[source]
    k = rng.poisson(lam)
    d, t, _ = spread(rng, log.all, created - 30.0, created - 0.5, k)
    types = np.array([_T["campaign"], _T["webinar"], _T["ad"], _T["email"], _T["download"]])
    log.add(
        d,
        t,
        types[pick(rng, [0.3, 0.2, 0.2, 0.2, 0.1], d.size)],
        log.staff(_MARKETING_STAFF, d.size),
        "marketing",
    )
    ev = np.flatnonzero(source == 2)
    log.add(
        ev,
        created[ev] - rng.uniform(0.0, 3.0, ev.size),
        _T["event"],
        log.staff(_MARKETING_STAFF, ev.size),
        "marketing",
    )


def _first_contact(log: _Log, deals: Deals, funnel: Funnel) -> None:
    """Attempts that did not connect, then the first call or meeting."""
    rng, n, created, first_contact = log.rng, log.n, deals.created, funnel.first_contact
    gap = first_contact - created
    k = np.where(gap > 1 / 24, rng.poisson(0.9, n), 0)
    log.sales(k, created + 0.3 * gap, created + 0.95 * gap, "call_attempt", office_hours=False)
    first_type = np.where(rng.random(n) < 0.8, _T["call"], _T["meeting"])
    log.add(log.all, first_contact, first_type, log.owner_ids[log.owner], "sales")


def _stage_work(log: _Log, funnel: Funnel, span_end: np.ndarray, strong) -> None:
    """The rep's work during each stage's stay (``strong``: the strong reps' mask, or None)."""
    rng, n, first_contact = log.rng, log.n, funnel.first_contact
    has = np.isfinite(span_end)

    def stay(s):
        ok = has[:, s] & ~funnel.skipped[:, s]
        start = np.where(ok, funnel.entry[:, s], 0.0)
        end = np.where(ok, span_end[:, s], 0.0)
        return ok, start, end

    lead_end = span_end[:, 0]
    ok = has[:, 0] & (lead_end > first_contact)
    k = np.where(ok, rng.poisson(0.8, n), 0)
    log.sales(k, first_contact, np.where(ok, lead_end, first_contact), (0.5, "call", "email"))

    ok, start, end = stay(1)
    lam_meet = 1.2 * (
        np.where(strong[log.owner], top_performers.MEETING_FACTOR, 1.0)
        if strong is not None
        else 1.0
    )
    log.sales(np.where(ok, rng.poisson(lam_meet, n), 0), start, end, "meeting")
    log.sales(np.where(ok, rng.poisson(1.0, n), 0), start, end, (0.6, "call", "email"))

    ok, start, end = stay(2)
    k = np.where(ok, (rng.random(n) < 0.7).astype(np.int64), 0)
    d, t = log.sales(k, start, end, "demo")
    support = rng.random(d.size) < 0.3
    log.add(
        d[support], t[support], _T["demo"], log.staff(_PRODUCT_STAFF, int(support.sum())), "product"
    )
    log.sales(np.where(ok, rng.poisson(1.5, n), 0), start, end, "email")

    ok, start, end = stay(3)
    log.sales(np.where(ok, rng.poisson(1.5, n), 0), start, end, "email")
    log.sales(np.where(ok, (rng.random(n) < 0.5).astype(np.int64), 0), start, end, "review")
    log.sales(np.where(ok, rng.poisson(0.7, n), 0), start, end, "meeting")


def _after_signature(log: _Log, funnel: Funnel) -> None:
    """Customer success: the kickoff, then onboarding."""
    rng, closed = log.rng, funnel.closed
    won = np.flatnonzero(funnel.status == 1)
    log.add(
        won,
        log.cal.shift(closed[won] + rng.uniform(0.5, 6.0, won.size), rng),
        _T["kickoff"],
        log.staff(_CS_STAFF, won.size),
        "customer_success",
    )
    log.add(
        won,
        closed[won] + rng.uniform(10.0, 30.0, won.size),
        _T["onboarding"],
        log.staff(_CS_STAFF, won.size),
        "customer_success",
    )


def _notes(log: _Log, deals: Deals, funnel: Funnel) -> None:
    """Occasional notes from other functions, while the deal is open."""
    rng = log.rng
    last = np.where(funnel.status > 0, funnel.closed, END - 1e-3)
    k = rng.poisson(0.08, log.n)
    d, t, _ = spread(rng, log.all, deals.created, last, k)
    log.add(d, t, _T["note"], log.staff(_OTHER_STAFF, d.size), "other")

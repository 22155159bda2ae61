"""A seeded synthetic company with planted findings, and the truth about them.

``generate(directory, seed=..., deals=...)`` writes a complete pilot workspace:
``pilot.yml``, the seven canonical tables as UTF-8 CSV and ``truth.json`` (what
was planted; the reports never read it). The same arguments always give
byte-identical files: every random draw comes from ``numpy.random.default_rng``
streams derived from the seed, there is no wall-clock time, floats are written
with fixed formats and rows are sorted.

The company: one year of deals (created 2025-11-01 .. 2026-10-31, the export
ends 2026-10-31 23:59:59, local time Asia/Shanghai), 40 sales reps in six
teams over four regions, five segments, four products, five lead sources. Each
deal walks the funnel lead -> intent -> proposal -> negotiation -> signed; at
each stage it dwells a gamma-distributed time and then advances or is lost.
Deals whose next step would fall after the export are still open (censored).
A few skip a stage, regress (negotiation -> proposal -> negotiation), repeat a
stage entry, or log two stages at the same second; a few are forgotten
(open, no activity: sleeping leads).

Plantings (each can be switched off with ``plant=``):

``bottleneck``
    one segment advances proposal -> negotiation far less often and dwells
    longer at proposal; its proposal losses are mostly "price too high".
``slow_team``
    one sales team makes first contact days (not hours) after a lead is created;
    lead -> intent conversion falls with the first-contact delay for everyone,
    so that team's leads convert worse.
``top_performers``
    seven reps (one per team, plus one) convert better at every stage, hold
    more discovery meetings and score about one point higher on
    ``needs_discovery`` and ``value_proposition``; two other reps are one-off
    big winners with a single lucky quarter.
``weak_territory`` (optional, not in the default sample)
    one region's negotiation stage is weak for every rep, reps also work accounts
    outside their home region, and nine strong reps instead of seven, four of them
    in the weak region (see :mod:`playbook.sample.territory`).
``pilot``
    deals created from ``pilot_start`` by the pilot teams advance
    intent -> proposal 12 points more often. Pilot/control groups are always
    marked; without this planting the pilot simply has no effect.
``data_quality``
    two reps keep sloppy records: amount and source missing on ~40% of their
    deals, about half of their sales activities not logged.
``content``
    a content library (``content.csv``, ``activities.content_id``): at proposal the
    ROI-led proposal template wins (odds of advancing x3 against the other templates),
    at intent the discount-first pitch loses (x0.35). The library and its use are
    always written; without this planting content makes no difference. Deals and events
    are the same either way (see :mod:`playbook.sample.content`).

Pilot variants (:data:`PILOT_VARIANTS`, off unless named in ``plant=``, at most one):
pilot and control groups marked on every deal of the year, so there is no pre-period
(and no ``pilot.start`` in ``pilot.yml``); the pilot targets negotiation, where the West
region is weak for everyone; the pilot itself has no effect unless ``pilot`` is also
planted (then its lift applies to every pilot-group deal).

``pilot_territory``
    pilot teams East-1 and South, control North and West: the groups share no region, so
    a naive comparison credits the pilot with West's weak negotiation.
``pilot_territory_mirror``
    the mirror: pilot North and West, control East-1 and South (a naive "drop").
``pilot_territory_shared``
    pilot East-1 and North, control East-2 and West: the groups share the East region,
    so a comparison within the same region can tell the pilot from the territory.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from playbook.sample import content as content_planting
from playbook.sample import territory
from playbook.workspace.config import default_config, dump_config

__all__ = [
    "OPTIONAL_PLANTINGS",
    "PILOT_VARIANTS",
    "PLANTINGS",
    "SampleTruth",
    "generate",
    "load_truth",
]

PLANTINGS = ("bottleneck", "slow_team", "top_performers", "pilot", "data_quality", "content")
#: Pilot structures without a pre-period (see the module docstring); not planted by default.
PILOT_VARIANTS = ("pilot_territory", "pilot_territory_mirror", "pilot_territory_shared")
#: Other plantings that exist but are not in the default sample (its files keep their bytes).
OPTIONAL_PLANTINGS = (territory.NAME,)
TRUTH_FILE = "truth.json"
TRUTH_SCHEMA_VERSION = 1

# ---------------------------------------------------------------------------
# The company's fixed shape
# ---------------------------------------------------------------------------

_ORIGIN = np.datetime64("2025-10-01T00:00:00", "s")  # time zero of the simulation (days)
_PERIOD_START = "2025-11-01"
_PERIOD_END = "2026-10-31"
_PILOT_START = "2026-08-01"
_ASSESSED = "2026-09-07"
_CONTENT_CREATED = "2025-10-15"


def _day(iso: str) -> int:
    return int((np.datetime64(iso, "D") - _ORIGIN.astype("datetime64[D]")).astype(int))


_START = _day(_PERIOD_START)  # first creation day
_END = _day(_PERIOD_END) + 1  # exclusive end of the export, in days since origin
_N_CAL_DAYS = _END + 800  # calendar horizon (outcomes run past the export)

STAGES = ["lead", "intent", "proposal", "negotiation", "signed"]
BASE_ADVANCE = [0.60, 0.55, 0.60, 0.55]  # lead->intent, intent->proposal, ...
DWELL_MEAN_DAYS = [5.0, 12.0, 16.0, 20.0]  # lead dwell counts from first contact
DWELL_SHAPE = 1.8

SEGMENTS = ["Manufacturing", "Retail", "Finance", "Healthcare", "Energy"]
SEGMENT_P = [0.24, 0.22, 0.18, 0.18, 0.18]
SEGMENT_AMOUNT = [1.0, 0.8, 1.3, 0.9, 1.2]
REGIONS = ["East", "North", "South", "West"]
REGION_P = [0.34, 0.22, 0.24, 0.20]
PRODUCTS = ["Cloud ERP", "CRM Suite", "Analytics", "IoT Platform"]
PRODUCT_P = [0.35, 0.30, 0.20, 0.15]
PRODUCT_AMOUNT = [180_000.0, 90_000.0, 60_000.0, 250_000.0]
PRODUCT_GO_LIVE_DAYS = [60, 30, 30, 75]
SOURCES = ["web", "referral", "event", "outbound", "partner"]
SOURCE_P = [0.35, 0.15, 0.15, 0.20, 0.15]
SIZES = ["small", "medium", "large"]
SIZE_P = [0.50, 0.33, 0.17]
SIZE_AMOUNT = [0.5, 1.0, 2.5]
#: Lead -> intent logit shift by company size (a real driver for lead scoring).
SIZE_LOGIT = [-0.15, 0.0, 0.30]
#: Lead -> intent logit shift per unit of log1p(first-contact delay in days).
CONTACT_LOGIT = -0.5

# (team, region, headcount); the key-account team's reps are spread over regions.
TEAMS = [
    ("East-1", "East", 7),
    ("East-2", "East", 7),
    ("North", "North", 7),
    ("South", "South", 7),
    ("West", "West", 7),
    ("Key Accounts", None, 5),
]
PILOT_TEAMS = ["East-1", "South"]
CONTROL_TEAMS = ["North", "West"]

BOTTLENECK_SEGMENT = "Manufacturing"
BOTTLENECK_RATE = 0.30
BOTTLENECK_DWELL = 2.5
SLOW_TEAM = "East-2"
FAST_CONTACT_HOURS = 2.5  # median clock hours to first contact (before business-hour shift)
SLOW_CONTACT_HOURS = 60.0
TOP_LOGIT = 0.6
TOP_SCORE_LIFT = 1.0
TOP_COMPETENCIES = ["needs_discovery", "value_proposition"]
TOP_MEETING_FACTOR = 1.5
LUCKY_QUARTER = "2026Q2"
LUCKY_LOGIT = 1.3
LUCKY_AMOUNT = 2.0
LUCKY_STAGES = (1, 2, 3)  # intent, proposal, negotiation
PILOT_STAGE = 1  # intent -> proposal
PILOT_LIFT = 0.12
SLOPPY_MISSING = 0.4
SLOPPY_LOGGED = 0.5
#: Pilot variants: (pilot teams, control teams); West converts badly at negotiation.
TERRITORY_ARMS = {
    "pilot_territory": (["East-1", "South"], ["North", "West"]),
    "pilot_territory_mirror": (["North", "West"], ["East-1", "South"]),
    "pilot_territory_shared": (["East-1", "North"], ["East-2", "West"]),
}
WEAK_REGION = "West"
WEAK_REGION_STAGE = 3  # negotiation -> signed
WEAK_REGION_RATE = 0.30

CAPABILITIES = [
    "product_knowledge",
    "needs_discovery",
    "value_proposition",
    "internal_coordination",
    "digital_tools",
    "reflection",
]

#: The company's holiday calendar (close to, not guaranteed to be, the official one).
HOLIDAYS = (
    [f"2025-10-0{d}" for d in range(1, 9)]
    + ["2026-01-01", "2026-01-02"]
    + [f"2026-02-{d}" for d in range(15, 24)]
    + ["2026-04-04", "2026-04-05", "2026-04-06"]
    + [f"2026-05-0{d}" for d in range(1, 6)]
    + ["2026-06-19", "2026-06-20", "2026-06-21"]
    + ["2026-09-25", "2026-09-26", "2026-09-27"]
    + [f"2026-10-0{d}" for d in range(1, 8)]
)
EXTRA_WORKDAYS = ["2025-10-11", "2026-01-04", "2026-02-14", "2026-02-28", "2026-10-10"]

# Raw CRM stage names: (name, weight) per stage; the first is the usual label.
_RAW_STAGES = {
    "en": [
        [("Lead", 0.93), ("Prospecting", 0.07)],
        [("Intent", 0.88), ("Qualification", 0.12)],
        [("Proposal", 0.88), ("Proposal/Price Quote", 0.12)],
        [("Negotiation", 0.94), ("Negotiation/Review", 0.06)],
        [("Signed", 0.95), ("Closed Won", 0.05)],
    ],
    "zh": [
        [("线索", 0.93), ("潜在客户", 0.07)],
        [("意向", 0.88), ("需求确认", 0.12)],
        [("方案", 0.88), ("报价", 0.12)],
        [("谈判", 0.94), ("商务谈判", 0.06)],
        [("签约", 0.95), ("赢单", 0.05)],
    ],
}

# Lost reasons per stage: (en, zh, weight).
_LOST_REASONS = [
    [
        ("no response", "联系不上", 0.40),
        ("not a fit", "需求不匹配", 0.35),
        ("no budget", "没有预算", 0.25),
    ],
    [
        ("no budget", "没有预算", 0.35),
        ("no decision", "无决策", 0.35),
        ("chose competitor", "选择竞品", 0.30),
    ],
    [
        ("price too high", "价格太高", 0.35),
        ("chose competitor", "选择竞品", 0.35),
        ("no decision", "无决策", 0.30),
    ],
    [
        ("price too high", "价格太高", 0.35),
        ("chose competitor", "选择竞品", 0.35),
        ("procurement blocked", "采购流程受阻", 0.30),
    ],
]
_BOTTLENECK_REASON = 0  # "price too high" at proposal
_BOTTLENECK_REASON_P = 0.7

_SURNAMES = [
    ("Wang", "王"),
    ("Li", "李"),
    ("Zhang", "张"),
    ("Liu", "刘"),
    ("Chen", "陈"),
    ("Yang", "杨"),
    ("Zhao", "赵"),
    ("Huang", "黄"),
    ("Zhou", "周"),
    ("Wu", "吴"),
    ("Xu", "徐"),
    ("Sun", "孙"),
    ("Hu", "胡"),
    ("Zhu", "朱"),
    ("Gao", "高"),
    ("Lin", "林"),
    ("He", "何"),
    ("Guo", "郭"),
    ("Ma", "马"),
    ("Luo", "罗"),
]
_GIVEN = [
    ("Wei", "伟"),
    ("Fang", "芳"),
    ("Na", "娜"),
    ("Min", "敏"),
    ("Jing", "静"),
    ("Lei", "磊"),
    ("Qiang", "强"),
    ("Yang", "洋"),
    ("Yan", "艳"),
    ("Jie", "杰"),
    ("Tao", "涛"),
    ("Ming", "明"),
    ("Chao", "超"),
    ("Xiu", "秀"),
    ("Hui", "慧"),
    ("Jun", "军"),
    ("Ping", "平"),
    ("Gang", "刚"),
    ("Hua", "华"),
    ("Ying", "英"),
]

_MARKETING_STAFF = [f"M{i:02d}" for i in range(1, 6)]
_CS_STAFF = [f"CS{i:02d}" for i in range(1, 5)]
_PRODUCT_STAFF = [f"P{i:02d}" for i in range(1, 4)]
_OTHER_STAFF = ["OPS01", "FIN01"]

_ACT_TYPES = [
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
_T = {name: i for i, name in enumerate(_ACT_TYPES)}
_ACT_TEAMS = ["marketing", "sales", "customer_success", "product", "other"]
_TEAM = {name: i for i, name in enumerate(_ACT_TEAMS)}


# ---------------------------------------------------------------------------
# The truth
# ---------------------------------------------------------------------------


@dataclass
class SampleTruth:
    """What was planted in a sample workspace (also written as ``truth.json``).

    Rates are probabilities of advancing past a stage; ``observed`` blocks hold
    what the generated data actually shows (advanced / (advanced + lost) among
    deals that left the stage by the export, medians in hours), so a report can
    be checked against both the planted parameter and the realised value.
    A planting that was switched off is ``None`` (``one_off_winners`` empty).
    """

    schema_version: int
    seed: int
    deals: int
    language: str
    period_start: str
    period_end: str
    pilot_start: str
    planted: list[str]
    focus: dict[str, Any]
    funnel: dict[str, Any]
    bottleneck: dict[str, Any] | None
    slow_team: dict[str, Any] | None
    top_performers: dict[str, Any] | None
    one_off_winners: list[dict[str, Any]]
    pilot: dict[str, Any]
    data_quality: dict[str, Any] | None
    drivers: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    #: optional plantings (:data:`OPTIONAL_PLANTINGS`): written to truth.json only when planted
    weak_territory: dict[str, Any] | None = None
    #: the content library (:mod:`playbook.sample.content`): planted items and what the data shows
    content: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in OPTIONAL_PLANTINGS:
            if out.get(name) is None:
                out.pop(name, None)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SampleTruth:
        return cls(**data)


def load_truth(directory: str | Path) -> SampleTruth:
    """Read ``truth.json`` from a sample workspace."""
    text = (Path(directory) / TRUTH_FILE).read_text(encoding="utf-8")
    return SampleTruth.from_dict(json.loads(text))


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _logit(p):
    return np.log(p) - np.log1p(-p)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _pick(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """Category codes drawn with the given (unnormalised) weights."""
    w = np.asarray(weights, dtype=float)
    cdf = np.cumsum(w / w.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(size), side="right").astype(np.int64)


class _Calendar:
    """Working days (weekends, company holidays, make-up days) as day-indexed arrays."""

    def __init__(self) -> None:
        days = np.arange(_N_CAL_DAYS)
        dates = _ORIGIN.astype("datetime64[D]") + days
        weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        work = weekday < 5
        idx = {str(d): i for i, d in enumerate(dates)}
        for h in HOLIDAYS:
            if h in idx:
                work[idx[h]] = False
        for x in EXTRA_WORKDAYS:
            if x in idx:
                work[idx[x]] = True
        nxt = np.empty(_N_CAL_DAYS + 1, dtype=np.int64)
        nxt[-1] = _N_CAL_DAYS
        for d in range(_N_CAL_DAYS - 1, -1, -1):
            nxt[d] = d if work[d] else nxt[d + 1]
        prev = np.empty(_N_CAL_DAYS, dtype=np.int64)
        last = 0
        for d in range(_N_CAL_DAYS):
            last = d if work[d] else last
            prev[d] = last
        self.work = work
        self.next_work = nxt
        self.prev_work = prev

    def shift(self, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Move times outside 09:00-18:00 on working days to the next working morning."""
        t = np.asarray(t, dtype=float)
        jitter = rng.uniform(0.0, 2.5, t.shape) / 24.0
        day = np.clip(np.floor(t).astype(np.int64), 0, _N_CAL_DAYS - 1)
        hour = (t - day) * 24.0
        working = self.work[day]
        early = working & (hour < 9)
        late = ~working | (hour >= 18)
        out = t.copy()
        out[early] = day[early] + 9 / 24 + jitter[early]
        nd = self.next_work[np.minimum(day[late] + 1, _N_CAL_DAYS)]
        nd = np.minimum(nd, _N_CAL_DAYS - 1)
        out[late] = nd + 9 / 24 + jitter[late]
        return out

    def office_time(self, start: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A time of day in office hours on ``t``'s working day, never before ``start``.

        Used for CRM stage changes: the day comes from the dwell time, the clock time
        from the working day (moved to the next working day when ``t`` falls on a day off).
        """
        t = np.asarray(t, dtype=float)
        tod = rng.uniform(9.0, 18.0, t.shape) / 24.0
        later = rng.uniform(5.0, 120.0, t.shape) / 1440.0
        finite = np.isfinite(t)
        day = np.where(finite, np.floor(np.where(finite, t, 0.0)), 0).astype(np.int64)
        day = np.clip(day, 0, _N_CAL_DAYS - 1)
        day = np.minimum(self.next_work[day], _N_CAL_DAYS - 1)
        out = np.maximum(day + tod, start + later)
        return np.where(finite, out, t)


def _fmt_times(t: np.ndarray) -> np.ndarray:
    """Days since origin -> 'YYYY-MM-DD HH:MM:SS' (floored to the second); NaN -> ''."""
    t = np.asarray(t, dtype=float)
    out = np.full(t.shape, "", dtype=object)
    ok = np.isfinite(t)
    if ok.any():
        secs = np.floor(t[ok] * 86400.0).astype(np.int64)
        text = np.datetime_as_string(_ORIGIN + secs.astype("timedelta64[s]"), unit="s")
        text = text.astype("U19")
        view = text.view("U1").reshape(-1, 19)
        view[:, 10] = " "
        out[ok] = text
    return out


def _secs(t: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(t, dtype=float) * 86400.0).astype(np.int64)


def _quarter(t: np.ndarray) -> np.ndarray:
    """Calendar quarter labels ('2026Q2') of times in days since origin."""
    months = (
        (_ORIGIN.astype("datetime64[D]") + np.floor(t).astype(np.int64))
        .astype("datetime64[M]")
        .astype(np.int64)
    )
    year = 1970 + months // 12
    q = (months % 12) // 3 + 1
    return np.char.add(np.char.add(year.astype(str), "Q"), q.astype(str))


def _share(advanced: np.ndarray, lost: np.ndarray) -> float | None:
    a, b = int(advanced.sum()), int(lost.sum())
    return round(a / (a + b), 4) if a + b else None


def _median(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return round(float(np.median(x)), 2) if x.size else None


def _spread(rng, deal, start, end, counts, cal=None):
    """``counts[i]`` uniform times in [start[i], end[i]] for each deal i.

    With a calendar, times are moved into office hours where that keeps them in range.
    """
    counts = np.asarray(counts, dtype=np.int64)
    idx = np.repeat(np.arange(len(deal)), counts)
    u = rng.random(idx.size)
    t = start[idx] + u * (end[idx] - start[idx])
    if cal is not None:
        day = np.clip(np.floor(t).astype(np.int64), 0, _N_CAL_DAYS - 1)
        after = rng.random(t.shape) < 0.5  # a day off moves to the working day before or after
        day = np.where(after, cal.next_work[day], cal.prev_work[day])
        day = np.clip(day, 0, _N_CAL_DAYS - 1)
        office = day + rng.uniform(9.0, 18.0, t.shape) / 24.0
        t = np.where((office >= start[idx]) & (office <= end[idx]), office, t)
    return deal[idx], t, idx


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------


#: What else moves conversion in the sample (not findings: the mix explains them).
_DRIVERS = {
    "company_size": {
        "stage": "lead",
        "to": "intent",
        "logit": dict(zip(SIZES, SIZE_LOGIT, strict=True)),
    },
    "first_contact_delay": {
        "stage": "lead",
        "to": "intent",
        "logit_per_log1p_day": CONTACT_LOGIT,
    },
    "key_accounts": {
        "team": "Key Accounts",
        "large_account_share": 0.5,
        "note": "owns about half of the large accounts, so its lead -> "
        "intent rate is higher by account mix, not skill",
    },
}


def _sample_config(language: str, variant: str | None):
    """The sample's pilot.yml: its calendar, SLAs, focus and the pilot as the consultant set it."""
    return default_config(
        name="sample",
        language=language,
        timezone="Asia/Shanghai",
        currency="CNY",
        focus={"dimension": "segment", "value": BOTTLENECK_SEGMENT},
        calendar={"holidays": HOLIDAYS, "extra_workdays": EXTRA_WORKDAYS},
        # The sample's proposals take ~2–3 weeks; a 10-business-day review SLA is
        # mostly kept, so its breaches stand out instead of flooding the alerts.
        sla={"first_contact_hours": 24, "proposal_review_business_days": 10},
        # The consultant names the pilot's start and target stage before looking at results.
        pilot=_pilot_config(variant),
    )


def generate(
    directory: str | Path,
    *,
    seed: int = 42,
    deals: int = 20000,
    language: str = "en",
    plant: tuple[str, ...] | list[str] | None = PLANTINGS,
) -> SampleTruth:
    """Write a complete synthetic pilot workspace into ``directory``.

    Parameters
    ----------
    directory:
        Created if missing; existing files of the same names are overwritten.
    seed:
        Same seed and arguments -> byte-identical files.
    deals:
        Number of deals (the other tables scale with it).
    language:
        ``"en"`` or ``"zh"``: the report language in ``pilot.yml`` and the
        language of raw stage names, lost reasons and rep names. Segment,
        region, product and source values are English in both.
    plant:
        Which findings to plant (a subset of ``PLANTINGS``); ``()`` or ``None``
        gives a null sample.

    Returns
    -------
    SampleTruth
        The planted truth, also written to ``truth.json``.
    """
    if language not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh', not {language!r}")
    deals = int(deals)
    if deals < 1:
        raise ValueError("deals must be at least 1")
    planted = tuple(plant or ())
    known = PLANTINGS + PILOT_VARIANTS + OPTIONAL_PLANTINGS
    unknown = sorted(set(planted) - set(known))
    if unknown:
        raise ValueError(f"unknown planting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    on = {name: name in planted for name in PLANTINGS + OPTIONAL_PLANTINGS}
    variant = _pilot_variant(planted)

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(10)]
    rng_reps, rng_acc, rng_deal, rng_funnel, rng_events, rng_act, rng_assess, rng_out = streams[:8]
    cal = _Calendar()
    zh = language == "zh"

    # ---- reps -----------------------------------------------------------------------------
    reps = _make_reps(rng_reps, zh)
    n_reps = len(reps)
    team_of = reps["team"].to_numpy()
    rep_region = reps["region"].to_numpy()
    regional = np.array([t != "Key Accounts" for t in team_of])
    # One strong converter per team, plus one more from a regional team outside the pilot
    # (so pilot and control arms hold the same number of strong converters).
    top = []
    for team, _, _ in TEAMS:
        members = np.flatnonzero(team_of == team)
        top.append(int(rng_reps.choice(members)))
    arms = np.isin(team_of, PILOT_TEAMS + CONTROL_TEAMS)
    extra_pool = np.setdiff1d(np.flatnonzero(regional & ~arms), top)
    top.append(int(rng_reps.choice(extra_pool)))
    top = sorted(top)
    rng_territory = streams[8]
    if on[territory.NAME] and on["top_performers"]:
        top = territory.strong_reps(rng_territory, team_of, rep_region, top)
    rest = np.setdiff1d(np.arange(n_reps), top)
    others = rng_reps.permutation(rest)
    # One-off winners and sloppy record keepers: ordinary reps of the regional teams, neither
    # strong nor slow (key accounts convert a little better by account mix).
    candidates = [int(i) for i in others if regional[i] and team_of[i] != SLOW_TEAM]
    lucky = sorted(candidates[:2])
    sloppy = sorted(candidates[2:4])
    rep_noise = rng_reps.normal(0.0, 0.08, n_reps)
    is_top = np.zeros(n_reps, bool)
    is_top[top] = True
    is_lucky = np.zeros(n_reps, bool)
    is_lucky[lucky] = True
    is_sloppy = np.zeros(n_reps, bool)
    if on["data_quality"]:
        is_sloppy[sloppy] = True
    top_logit = territory.STRONG_LOGIT if on[territory.NAME] else TOP_LOGIT
    rep_logit = rep_noise + (top_logit * is_top if on["top_performers"] else 0.0)
    rep_is_ka = reps["role"].to_numpy() == "key_account"
    rep_slow = team_of == SLOW_TEAM if on["slow_team"] else np.zeros(n_reps, bool)

    # ---- accounts and deals ---------------------------------------------------------------
    n = deals
    n_acc = max(1, int(round(n * 0.8)))
    acc_seg = _pick(rng_acc, SEGMENT_P, n_acc)
    acc_size = _pick(rng_acc, SIZE_P, n_acc)
    acc_region = _pick(rng_acc, REGION_P, n_acc)
    acc_owner = np.empty(n_acc, np.int64)
    u_ka = rng_acc.random(n_acc)
    u_owner = rng_acc.random(n_acc)
    ka_members = np.flatnonzero(~regional)
    for r, region in enumerate(REGIONS):
        members = np.flatnonzero(regional & (rep_region == region))
        weights = np.where(reps["role"].to_numpy()[members] == "new", 0.8, 1.0)
        cdf = np.cumsum(weights / weights.sum())
        cdf[-1] = 1.0
        sel = acc_region == r
        acc_owner[sel] = members[np.searchsorted(cdf, u_owner[sel], side="right")]
        ka_sel = sel & (acc_size == 2) & (u_ka < 0.5)
        acc_owner[ka_sel] = ka_members[(u_owner[ka_sel] * len(ka_members)).astype(np.int64)]
    if on[territory.NAME]:
        acc_owner = territory.cross_region_owners(
            rng_territory, acc_owner, acc_region, regional, rep_region, REGIONS
        )

    # Creation days: slight growth, fewer leads on weekends and holidays.
    days = np.arange(_START, _END)
    w = (1.0 + 0.25 * (days - _START) / (_END - _START)) * np.where(cal.work[days], 1.0, 0.25)
    day = days[_pick(rng_deal, w, n)]
    account = rng_deal.integers(0, n_acc, n)
    # Accounts with repeat business are the smaller id range: a few accounts, many deals.
    account = np.where(rng_deal.random(n) < 0.2, account % max(1, n_acc // 10), account)
    source = _pick(rng_deal, SOURCE_P, n)
    product = _pick(rng_deal, PRODUCT_P, n)
    web = source == 0
    tod_web = np.where(
        rng_deal.random(n) < 0.35,
        rng_deal.uniform(0, 24, n),
        np.clip(rng_deal.normal(14, 3, n), 0, 23.99),
    )
    tod_biz = rng_deal.uniform(9, 18, n)
    created = day + np.where(web, tod_web, tod_biz) / 24.0
    order = np.argsort(created, kind="stable")
    created = created[order]
    account = account[order]
    source = source[order]
    product = product[order]
    owner = acc_owner[account]
    segment = acc_seg[account]
    size = acc_size[account]
    region = np.array([REGIONS.index(r) if r else 0 for r in rep_region])[owner]
    region = np.where(regional[owner] & ~on[territory.NAME], region, acc_region[account])
    quarter = _quarter(created)
    lucky_deal = is_lucky[owner] & (quarter == LUCKY_QUARTER) & on["top_performers"]
    amount = (
        np.asarray(PRODUCT_AMOUNT)[product]
        * np.asarray(SIZE_AMOUNT)[size]
        * np.asarray(SEGMENT_AMOUNT)[segment]
        * np.where(rep_is_ka[owner], 1.3, 1.0)
        * np.where(lucky_deal, LUCKY_AMOUNT, 1.0)
        * rng_deal.lognormal(0.0, 0.5, n)
    )
    amount = np.round(amount, 2)
    pilot_start = _day(_PILOT_START)
    in_pilot_window = created >= pilot_start
    pilot_team = np.isin(team_of, PILOT_TEAMS)[owner]
    control_team = np.isin(team_of, CONTROL_TEAMS)[owner]
    pilot_group = np.where(
        in_pilot_window & pilot_team,
        "pilot",
        np.where(in_pilot_window & control_team, "control", ""),
    )
    if variant:
        pilot_group = _territory_groups(variant, team_of[owner])

    # ---- first contact ---------------------------------------------------------------------
    rf = rng_funnel
    fast = rf.lognormal(np.log(FAST_CONTACT_HOURS), 0.9, n)
    slow = rf.lognormal(np.log(SLOW_CONTACT_HOURS), 0.45, n)
    delay_h = np.where(rep_slow[owner], slow, fast)
    first_contact = cal.shift(created + delay_h / 24.0, rf)
    contact_hours = (first_contact - created) * 24.0

    # ---- funnel ----------------------------------------------------------------------------
    entry = np.full((n, 5), np.nan)
    entry[:, 0] = created
    leave = np.full((n, 4), np.nan)  # when the deal left (or will leave) each stage
    skipped = np.zeros((n, 5), bool)
    status = np.zeros(n, np.int8)  # 0 open, 1 won, 2 lost
    closed = np.full(n, np.nan)
    lost_stage = np.full(n, -1, np.int64)
    current = np.zeros(n, np.int64)
    stale_u = rf.random(n)
    stale_stage = rf.integers(0, 2, n)
    stale = stale_u < 0.025
    instant = rf.random(n) < 0.03  # created already qualified: lead and intent same second
    skip_u = rf.random((n, 5))
    alive = np.ones(n, bool)
    bn_seg = SEGMENTS.index(BOTTLENECK_SEGMENT)
    for s in range(4):
        dwell = rf.gamma(DWELL_SHAPE, DWELL_MEAN_DAYS[s] / DWELL_SHAPE, n)
        u = rf.random(n)
        zero = rf.random(n)
        lg = _logit(BASE_ADVANCE[s]) + rep_logit[owner]
        if s == 0:
            lg = lg + np.asarray(SIZE_LOGIT)[size] + CONTACT_LOGIT * np.log1p(contact_hours / 24)
        if s == 2 and on["bottleneck"]:
            bn = segment == bn_seg
            lg = np.where(bn, lg + _logit(BOTTLENECK_RATE) - _logit(BASE_ADVANCE[2]), lg)
            dwell = np.where(bn, dwell * BOTTLENECK_DWELL, dwell)
        if s in LUCKY_STAGES:
            lg = lg + LUCKY_LOGIT * lucky_deal
        if variant:
            lg = lg + _territory_logit(s, region)
        if s == territory.WEAK_STAGE and on[territory.NAME]:
            weak = region == REGIONS.index(territory.WEAK_REGION)
            lg = lg + territory.logit_shift(BASE_ADVANCE[s]) * weak
        p = _expit(lg)
        if s == PILOT_STAGE and on["pilot"]:
            p = np.where(pilot_group == "pilot", np.minimum(p + PILOT_LIFT, 0.98), p)
        adv = u < p
        forced = np.zeros(n, bool)
        if s in (1, 2):  # ~5% of deals skip intent or proposal (lead -> proposal, ...)
            forced = skip_u[:, s] < 0.03
            skipped[:, s] = forced & alive
        if s == 0:
            forced = instant
        adv = adv | forced
        if s == 3:  # some signatures logged the second negotiation opens
            dwell = np.where(adv & (zero < 0.04), 0.0, dwell)
        dwell = np.where(forced, 0.0, dwell)
        start = first_contact if s == 0 else entry[:, s]
        exit_ = cal.office_time(start, start + dwell, rf)
        exit_ = np.where(dwell > 0, exit_, start)
        if s == 0:
            exit_ = np.where(instant, created, exit_)
        forgotten = alive & stale & (stale_stage == s) & ~forced
        exit_ = np.where(forgotten, np.inf, exit_)
        observed = exit_ < _END
        leave[:, s] = np.where(alive, exit_, np.nan)
        current[alive] = s
        go = alive & adv & observed
        lose = alive & ~adv & observed
        entry[go, s + 1] = exit_[go]
        status[lose] = 2
        closed[lose] = exit_[lose]
        lost_stage[lose] = s
        alive = go
    won = alive
    status[won] = 1
    closed[won] = entry[won, 4]
    current[won] = 4

    # Lost reasons.
    reason_code = np.full(n, -1, np.int64)
    for s in range(4):
        sel = lost_stage == s
        weights = [r[2] for r in _LOST_REASONS[s]]
        codes = _pick(rf, weights, n)
        price = rf.random(n) < _BOTTLENECK_REASON_P  # drawn always: same stream either way
        if s == 2 and on["bottleneck"]:
            codes = np.where((segment == bn_seg) & price, _BOTTLENECK_REASON, codes)
        reason_code[sel] = codes[sel]
    lost_reason = np.full(n, "", dtype=object)
    for s in range(4):
        for k, (en, zh_name, _) in enumerate(_LOST_REASONS[s]):
            lost_reason[(lost_stage == s) & (reason_code == k)] = zh_name if zh else en

    # Sloppy records.
    sloppy_deal = is_sloppy[owner] & (rf.random(n) < SLOPPY_MISSING)
    amount_out = np.where(sloppy_deal, np.nan, amount)
    source_out = np.where(sloppy_deal, "", np.asarray(SOURCES, dtype=object)[source])

    deal_ids = np.char.add("D", np.char.zfill(np.arange(1, n + 1).astype(str), 6)).astype(object)
    rep_ids = reps["rep_id"].to_numpy()

    # ---- stage events ----------------------------------------------------------------------
    events = _stage_events(rng_events, n, entry, leave, skipped, language)
    ev_deal, ev_stage, ev_time, ev_seq, ev_name = events
    ev_order = np.lexsort((ev_seq, _secs(ev_time), ev_deal))
    stage_events = pd.DataFrame(
        {
            "deal_id": deal_ids[ev_deal[ev_order]],
            "stage": ev_name[ev_order],
            "entered_at": _fmt_times(ev_time[ev_order]),
            "owner_id": rep_ids[owner[ev_deal[ev_order]]],
        }
    )

    # ---- activities ------------------------------------------------------------------------
    span_end = np.where(np.isfinite(leave), np.minimum(leave, _END), np.nan)
    # Forgotten deals go quiet a few days after entering their stage.
    quiet = rng_act.uniform(1.0, 5.0, n)
    for s in range(2):
        sel = stale & (stale_stage == s) & (current == s) & (status == 0)
        span_end[sel, s] = np.minimum(entry[sel, s] + quiet[sel], _END)
    acts = _activities(
        rng_act,
        cal,
        n,
        created,
        first_contact,
        entry,
        span_end,
        skipped,
        status,
        closed,
        source,
        owner,
        is_top if on["top_performers"] else None,
        is_sloppy,
    )
    a_deal, a_time, a_type, a_actor, a_team = acts
    keep = a_time < _END
    a_deal, a_time, a_type, a_actor, a_team = (x[keep] for x in acts)
    a_order = np.lexsort((a_actor, a_type, _secs(a_time), a_deal))
    activities = pd.DataFrame(
        {
            "deal_id": deal_ids[a_deal[a_order]],
            "at": _fmt_times(a_time[a_order]),
            "type": np.asarray(_ACT_TYPES, dtype=object)[a_type[a_order]],
            "actor_id": a_actor[a_order],
            "team": np.asarray(_ACT_TEAMS, dtype=object)[a_team[a_order]],
        }
    )
    # The content library: which sales activities used which item (never changes a deal).
    a_args = (a_deal[a_order], a_time[a_order])
    activities["content_id"] = content_planting.assign(
        content_planting.stream(seed),
        *a_args,
        activities["type"].to_numpy(),
        a_team[a_order] == _TEAM["sales"],
        entry,
        on[content_planting.NAME],
    )

    # ---- deals -----------------------------------------------------------------------------
    status_names = np.array(["open", "won", "lost"], dtype=object)
    deals_df = pd.DataFrame(
        {
            "deal_id": deal_ids,
            "created_at": _fmt_times(created),
            "owner_id": rep_ids[owner],
            "status": status_names[status],
            "closed_at": _fmt_times(closed),
            "amount": amount_out,
            "segment": np.asarray(SEGMENTS, dtype=object)[segment],
            "region": np.asarray(REGIONS, dtype=object)[region],
            "product": np.asarray(PRODUCTS, dtype=object)[product],
            "source": source_out,
            "account_id": np.char.add("A", np.char.zfill((account + 1).astype(str), 5)).astype(
                object
            ),
            "lost_reason": lost_reason,
            "company_size": np.asarray(SIZES, dtype=object)[size],
            "pilot_group": pilot_group.astype(object),
        }
    )

    # ---- assessments and outcomes -------------------------------------------------------------
    assessments = _assessments(rng_assess, reps, is_top if on["top_performers"] else None)
    outcomes = _outcomes(rng_out, cal, deal_ids, won, closed, product)

    # ---- write -----------------------------------------------------------------------------
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    config = _sample_config(language, variant)
    (out / "pilot.yml").write_text(dump_config(config), encoding="utf-8", newline="\n")
    _csv(deals_df, out / "deals.csv", "%.2f")
    _csv(stage_events, out / "stage_events.csv")
    _csv(activities, out / "activities.csv")
    _csv(reps, out / "reps.csv")
    _csv(assessments, out / "assessments.csv", "%.1f")
    _csv(outcomes, out / "outcomes.csv")
    _csv(content_planting.content_table(_CONTENT_CREATED), out / "content.csv")
    markdown = out / content_planting.MARKDOWN_PATH
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(content_planting.MARKDOWN_TEXT, encoding="utf-8", newline="\n")

    # ---- truth -----------------------------------------------------------------------------
    left = np.isfinite(leave) & (leave < _END)
    advanced = np.zeros((n, 4), bool)
    for s in range(4):
        advanced[:, s] = np.isfinite(entry[:, s + 1])
    lost_at = np.stack([lost_stage == s for s in range(4)], axis=1)
    rid = list(rep_ids)

    def rate(s, mask):
        return _share(advanced[mask, s] & left[mask, s], lost_at[mask, s])

    bottleneck = None
    if on["bottleneck"]:
        bn = segment == bn_seg
        bottleneck = {
            "dimension": "segment",
            "value": BOTTLENECK_SEGMENT,
            "segment": BOTTLENECK_SEGMENT,
            "stage": "proposal",
            "to": "negotiation",
            "rate": BOTTLENECK_RATE,
            "baseline": BASE_ADVANCE[2],
            "dwell_factor": BOTTLENECK_DWELL,
            "lost_reason": _LOST_REASONS[2][_BOTTLENECK_REASON][1 if zh else 0],
            "observed": {
                "rate": rate(2, bn),
                "baseline": rate(2, ~bn),
                "median_dwell_days": _median((leave[bn, 2] - entry[bn, 2])[left[bn, 2]]),
                "baseline_median_dwell_days": _median(
                    (leave[~bn, 2] - entry[~bn, 2])[left[~bn, 2]]
                ),
            },
        }
    slow_team = None
    contacted = first_contact < _END
    if on["slow_team"]:
        st = team_of[owner] == SLOW_TEAM
        slow_team = {
            "team": SLOW_TEAM,
            "reps": [rid[i] for i in np.flatnonzero(team_of == SLOW_TEAM)],
            "stage": "lead",
            "to": "intent",
            "median_first_contact_hours": SLOW_CONTACT_HOURS,
            "baseline_median_first_contact_hours": FAST_CONTACT_HOURS,
            "contact_logit_per_log1p_day": CONTACT_LOGIT,
            "observed": {
                "median_first_contact_hours": _median(contact_hours[st & contacted]),
                "baseline_median_first_contact_hours": _median(contact_hours[~st & contacted]),
                "rate": rate(0, st),
                "baseline": rate(0, ~st),
            },
        }
    top_performers = None
    one_off: list[dict[str, Any]] = []
    if on["top_performers"]:
        tp = is_top[owner]
        closed_mask = status > 0
        top_performers = {
            "reps": [rid[i] for i in top],
            "competencies": list(TOP_COMPETENCIES),
            "score_lift": TOP_SCORE_LIFT,
            "logit_lift": top_logit,
            "meeting_factor": TOP_MEETING_FACTOR,
            "observed": {
                "win_rate": _share(won[tp & closed_mask], (status == 2)[tp & closed_mask]),
                "baseline_win_rate": _share(
                    won[~tp & closed_mask], (status == 2)[~tp & closed_mask]
                ),
            },
        }
        one_off = [
            {
                "rep_id": rid[i],
                "quarter": LUCKY_QUARTER,
                "logit_lift": LUCKY_LOGIT,
                "stages": [STAGES[k] for k in LUCKY_STAGES],
                "amount_factor": LUCKY_AMOUNT,
            }
            for i in lucky
        ]
    pg = pilot_group
    pilot_teams, control_teams = TERRITORY_ARMS.get(variant, (PILOT_TEAMS, CONTROL_TEAMS))
    pilot = {
        "start": _PILOT_START,
        "stage": STAGES[PILOT_STAGE],
        "to": STAGES[PILOT_STAGE + 1],
        "lift": PILOT_LIFT if on["pilot"] else 0.0,
        "baseline": BASE_ADVANCE[PILOT_STAGE],
        "pilot_teams": list(pilot_teams),
        "control_teams": list(control_teams),
        "pilot_reps": [rid[i] for i in np.flatnonzero(np.isin(team_of, pilot_teams))],
        "control_reps": [rid[i] for i in np.flatnonzero(np.isin(team_of, control_teams))],
        "observed": {
            "pilot_deals": int((pg == "pilot").sum()),
            "control_deals": int((pg == "control").sum()),
            "pilot_rate": rate(PILOT_STAGE, pg == "pilot"),
            "control_rate": rate(PILOT_STAGE, pg == "control"),
        },
    }
    if variant:
        pilot.update(_territory_truth(variant, rate, pg, region))
    data_quality = None
    if on["data_quality"]:
        data_quality = {
            "reps": [rid[i] for i in sloppy],
            "missing_columns": ["amount", "source"],
            "missing_share": SLOPPY_MISSING,
            "activities_logged_share": SLOPPY_LOGGED,
        }
    truth = SampleTruth(
        schema_version=TRUTH_SCHEMA_VERSION,
        seed=int(seed),
        deals=n,
        language=language,
        period_start=_PERIOD_START,
        period_end=_PERIOD_END,
        pilot_start=_PILOT_START,
        planted=[p for p in PLANTINGS + OPTIONAL_PLANTINGS if on[p]]
        + ([variant] if variant else []),
        focus={"dimension": "segment", "value": BOTTLENECK_SEGMENT},
        funnel={
            "stages": list(STAGES),
            "baseline_advance": dict(zip(STAGES[:4], BASE_ADVANCE, strict=True)),
            "dwell_mean_days": dict(zip(STAGES[:4], DWELL_MEAN_DAYS, strict=True)),
            "raw_stage_names": {
                sid: [name for name, _ in names]
                for sid, names in zip(STAGES, _RAW_STAGES[language], strict=True)
            },
            "observed_rate": {STAGES[s]: rate(s, np.ones(n, bool)) for s in range(4)},
        },
        bottleneck=bottleneck,
        slow_team=slow_team,
        top_performers=top_performers,
        one_off_winners=one_off,
        pilot=pilot,
        data_quality=data_quality,
        drivers=_DRIVERS,
        counts={
            "deals": n,
            "won": int((status == 1).sum()),
            "lost": int((status == 2).sum()),
            "open": int((status == 0).sum()),
            "stage_events": len(stage_events),
            "activities": len(activities),
            "reps": len(reps),
            "assessments": len(assessments),
            "outcomes": len(outcomes),
        },
    )
    if on[territory.NAME]:
        weak = region == REGIONS.index(territory.WEAK_REGION)
        truth.weak_territory = territory.truth(
            rid,
            top if on["top_performers"] else [],
            rep_region,
            team_of,
            BASE_ADVANCE[territory.WEAK_STAGE],
            {
                "rate": rate(territory.WEAK_STAGE, weak),
                "baseline": rate(territory.WEAK_STAGE, ~weak),
            },
        )
    truth.content = content_planting.truth(
        activities["content_id"].to_numpy(), *a_args, entry, lost_stage, on[content_planting.NAME]
    )
    (out / TRUTH_FILE).write_text(truth.to_json(), encoding="utf-8", newline="\n")
    return truth


# ---------------------------------------------------------------------------
# Pilot variants: groups that differ in territory, without a pre-period
# ---------------------------------------------------------------------------


def _pilot_variant(planted: tuple[str, ...]) -> str | None:
    chosen = [p for p in PILOT_VARIANTS if p in planted]
    if len(chosen) > 1:
        raise ValueError(f"plant at most one pilot variant; got {', '.join(chosen)}")
    return chosen[0] if chosen else None


def _territory_groups(variant: str, deal_team: np.ndarray) -> np.ndarray:
    """Every deal of the variant's pilot and control teams is marked, all year long."""
    pilot_teams, control_teams = TERRITORY_ARMS[variant]
    return np.where(
        np.isin(deal_team, pilot_teams),
        "pilot",
        np.where(np.isin(deal_team, control_teams), "control", ""),
    )


def _territory_logit(stage: int, region: np.ndarray) -> np.ndarray | float:
    """Logit shift of the weak region's negotiation (for everyone, pilot or not)."""
    if stage != WEAK_REGION_STAGE:
        return 0.0
    shift = _logit(WEAK_REGION_RATE) - _logit(BASE_ADVANCE[WEAK_REGION_STAGE])
    return np.where(region == REGIONS.index(WEAK_REGION), shift, 0.0)


def _pilot_config(variant: str | None) -> dict[str, Any]:
    if variant is None:
        return {"start": _PILOT_START, "target_stage": STAGES[PILOT_STAGE], "expected_lift": 0.1}
    # no start: the groups are marked from the first deal on, so there is no pre-period
    return {"target_stage": STAGES[WEAK_REGION_STAGE], "expected_lift": 0.1}


def _territory_truth(variant: str, rate, pilot_group: np.ndarray, region: np.ndarray) -> dict:
    s = WEAK_REGION_STAGE
    weak = region == REGIONS.index(WEAK_REGION)
    return {
        "variant": variant,
        "start": None,
        "design": "post_only",
        "target_stage": STAGES[s],
        "weak_region": {
            "dimension": "region",
            "value": WEAK_REGION,
            "stage": STAGES[s],
            "to": STAGES[s + 1],
            "rate": WEAK_REGION_RATE,
            "baseline": BASE_ADVANCE[s],
            "observed": {"rate": rate(s, weak), "baseline": rate(s, ~weak)},
        },
        "observed_target": {
            "pilot_rate": rate(s, pilot_group == "pilot"),
            "control_rate": rate(s, pilot_group == "control"),
        },
    }


def _csv(df: pd.DataFrame, path: Path, float_format: str | None = None) -> None:
    df.to_csv(path, index=False, lineterminator="\n", float_format=float_format, encoding="utf-8")


def _make_reps(rng: np.random.Generator, zh: bool) -> pd.DataFrame:
    rows = []
    names = rng.permutation(len(_SURNAMES) * len(_GIVEN))
    k = 0
    for team, region, size in TEAMS:
        for j in range(size):
            i = names[k]
            sur, given = _SURNAMES[i // len(_GIVEN)], _GIVEN[i % len(_GIVEN)]
            name = sur[1] + given[1] if zh else f"{sur[0]} {given[0]}"
            if region is None:
                rep_region = REGIONS[j % len(REGIONS)]
                role = "key_account"
            else:
                rep_region = region
                role = "new" if j >= size - 2 else "experienced"
            if role == "new":
                hired = np.datetime64("2025-03-01") + int(rng.integers(0, 200))
            else:
                hired = np.datetime64("2016-01-01") + int(rng.integers(0, 2900))
            rows.append(
                {
                    "rep_id": f"R{k + 1:03d}",
                    "name": name,
                    "team": team,
                    "region": rep_region,
                    "role": role,
                    "hired_at": f"{hired} 00:00:00",
                }
            )
            k += 1
    return pd.DataFrame(rows)


def _stage_events(rng, n, entry, leave, skipped, language):
    """Event rows (deal index, stage index, time, sequence, raw name), unsorted."""
    deal_parts, stage_parts, time_parts, seq_parts = [], [], [], []
    reached = np.isfinite(entry)
    for s in range(5):
        sel = np.flatnonzero(reached[:, s] & ~skipped[:, s])
        deal_parts.append(sel)
        stage_parts.append(np.full(sel.size, s))
        time_parts.append(entry[sel, s])
        seq_parts.append(np.full(sel.size, 10 * s))
    # Observed end of each stage's stay (the export end for the current stage of open deals).
    stay_end = np.where(np.isfinite(leave), np.minimum(leave, _END - 1e-3), np.nan)
    # Regressions: negotiation -> proposal -> negotiation (~3%), proposal -> intent -> proposal.
    for s, back, share in ((3, 2, 0.03), (2, 1, 0.01)):
        u = rng.random(n)
        a, b = np.sort(rng.uniform(0.15, 0.85, (n, 2)), axis=1).T
        span = stay_end[:, s] - entry[:, s]
        sel = np.flatnonzero(reached[:, s] & ~skipped[:, s] & (span > 1.0) & (u < share))
        for stage, frac, seq in ((back, a, 10 * s + 1), (s, b, 10 * s + 2)):
            deal_parts.append(sel)
            stage_parts.append(np.full(sel.size, stage))
            time_parts.append(entry[sel, s] + frac[sel] * span[sel])
            seq_parts.append(np.full(sel.size, seq))
    # Repeated entries: the same stage saved again a little later (~2% of stays).
    for s in range(4):
        u = rng.random(n)
        off = rng.uniform(0.01, 0.2, n)
        span = stay_end[:, s] - entry[:, s]
        sel = np.flatnonzero(reached[:, s] & ~skipped[:, s] & (span > 0.5) & (u < 0.02))
        deal_parts.append(sel)
        stage_parts.append(np.full(sel.size, s))
        time_parts.append(entry[sel, s] + np.minimum(off[sel] * span[sel], 2.0))
        seq_parts.append(np.full(sel.size, 10 * s + 5))
    deal = np.concatenate(deal_parts)
    stage = np.concatenate(stage_parts)
    time = np.concatenate(time_parts)
    seq = np.concatenate(seq_parts)
    names = np.empty(deal.size, dtype=object)
    u = rng.random(deal.size)
    for s, options in enumerate(_RAW_STAGES[language]):
        sel = stage == s
        weights = np.array([w for _, w in options])
        cdf = np.cumsum(weights / weights.sum())
        cdf[-1] = 1.0
        labels = np.array([name for name, _ in options], dtype=object)
        names[sel] = labels[np.searchsorted(cdf, u[sel], side="right")]
    return deal, stage, time, seq, names


def _activities(
    rng,
    cal,
    n,
    created,
    first_contact,
    entry,
    span_end,
    skipped,
    status,
    closed,
    source,
    owner,
    is_top,
    is_sloppy,
):
    """Activity rows (deal index, time, type code, actor id, team code), unsorted."""
    deal_all = np.arange(n)
    D, Tm, Ty, Ac, Te = [], [], [], [], []
    owner_ids = np.array([f"R{i + 1:03d}" for i in range(owner.max(initial=0) + 1)], dtype=object)

    def add(deal, time, types, actors, team):
        D.append(deal)
        Tm.append(time)
        Ty.append(np.broadcast_to(np.asarray(types, np.int64), deal.shape).copy())
        Ac.append(np.broadcast_to(np.asarray(actors, dtype=object), deal.shape).copy())
        Te.append(np.full(deal.size, _TEAM[team], np.int64))

    def staff(pool, size):
        return np.asarray(pool, dtype=object)[rng.integers(0, len(pool), size)]

    # Marketing: the web form at creation, earlier touches, an event visit.
    web = np.flatnonzero(source == 0)
    add(
        web,
        created[web],
        np.where(rng.random(web.size) < 0.8, _T["form"], _T["download"]),
        staff(_MARKETING_STAFF, web.size),
        "marketing",
    )
    lam = np.array([1.5, 0.2, 1.0, 0.2, 0.3])[source]
    k = rng.poisson(lam)
    d, t, _ = _spread(rng, deal_all, created - 30.0, created - 0.5, k)
    types = np.array([_T["campaign"], _T["webinar"], _T["ad"], _T["email"], _T["download"]])
    add(
        d,
        t,
        types[_pick(rng, [0.3, 0.2, 0.2, 0.2, 0.1], d.size)],
        staff(_MARKETING_STAFF, d.size),
        "marketing",
    )
    ev = np.flatnonzero(source == 2)
    add(
        ev,
        created[ev] - rng.uniform(0.0, 3.0, ev.size),
        _T["event"],
        staff(_MARKETING_STAFF, ev.size),
        "marketing",
    )

    # Sales first contact: attempts that did not connect, then the first call or meeting.
    gap = first_contact - created
    k = np.where(gap > 1 / 24, rng.poisson(0.9, n), 0)
    d, t, _ = _spread(rng, deal_all, created + 0.3 * gap, created + 0.95 * gap, k)
    add(d, t, _T["call_attempt"], owner_ids[owner[d]], "sales")
    first_type = np.where(rng.random(n) < 0.8, _T["call"], _T["meeting"])
    add(deal_all, first_contact, first_type, owner_ids[owner], "sales")

    # Work during each stage's stay.
    has = np.isfinite(span_end)
    lead_end = span_end[:, 0]
    ok = has[:, 0] & (lead_end > first_contact)
    k = np.where(ok, rng.poisson(0.8, n), 0)
    d, t, _ = _spread(rng, deal_all, first_contact, np.where(ok, lead_end, first_contact), k, cal)
    add(
        d,
        t,
        np.where(rng.random(d.size) < 0.5, _T["call"], _T["email"]),
        owner_ids[owner[d]],
        "sales",
    )

    def stay(s):
        ok = has[:, s] & ~skipped[:, s]
        start = np.where(ok, entry[:, s], 0.0)
        end = np.where(ok, span_end[:, s], 0.0)
        return ok, start, end

    ok, start, end = stay(1)
    lam_meet = 1.2 * (
        np.where(is_top[owner], TOP_MEETING_FACTOR, 1.0) if is_top is not None else 1.0
    )
    k = np.where(ok, rng.poisson(lam_meet, n), 0)
    d, t, _ = _spread(rng, deal_all, start, end, k, cal)
    add(d, t, _T["meeting"], owner_ids[owner[d]], "sales")
    k = np.where(ok, rng.poisson(1.0, n), 0)
    d, t, _ = _spread(rng, deal_all, start, end, k, cal)
    add(
        d,
        t,
        np.where(rng.random(d.size) < 0.6, _T["call"], _T["email"]),
        owner_ids[owner[d]],
        "sales",
    )

    ok, start, end = stay(2)
    k = np.where(ok, (rng.random(n) < 0.7).astype(np.int64), 0)
    d, t, _ = _spread(rng, deal_all, start, end, k, cal)
    add(d, t, _T["demo"], owner_ids[owner[d]], "sales")
    support = rng.random(d.size) < 0.3
    add(d[support], t[support], _T["demo"], staff(_PRODUCT_STAFF, int(support.sum())), "product")
    k = np.where(ok, rng.poisson(1.5, n), 0)
    d, t, _ = _spread(rng, deal_all, start, end, k, cal)
    add(d, t, _T["email"], owner_ids[owner[d]], "sales")

    ok, start, end = stay(3)
    k = np.where(ok, rng.poisson(1.5, n), 0)
    d, t, _ = _spread(rng, deal_all, start, end, k, cal)
    add(d, t, _T["email"], owner_ids[owner[d]], "sales")
    k = np.where(ok, (rng.random(n) < 0.5).astype(np.int64), 0)
    d, t, _ = _spread(rng, deal_all, start, end, k, cal)
    add(d, t, _T["review"], owner_ids[owner[d]], "sales")
    k = np.where(ok, rng.poisson(0.7, n), 0)
    d, t, _ = _spread(rng, deal_all, start, end, k, cal)
    add(d, t, _T["meeting"], owner_ids[owner[d]], "sales")

    # Customer success after the signature.
    won = np.flatnonzero(status == 1)
    add(
        won,
        cal.shift(closed[won] + rng.uniform(0.5, 6.0, won.size), rng),
        _T["kickoff"],
        staff(_CS_STAFF, won.size),
        "customer_success",
    )
    add(
        won,
        closed[won] + rng.uniform(10.0, 30.0, won.size),
        _T["onboarding"],
        staff(_CS_STAFF, won.size),
        "customer_success",
    )

    # Occasional notes from other functions.
    last = np.where(status > 0, closed, _END - 1e-3)
    k = rng.poisson(0.08, n)
    d, t, _ = _spread(rng, deal_all, created, last, k)
    add(d, t, _T["note"], staff(_OTHER_STAFF, d.size), "other")

    deal = np.concatenate(D)
    time = np.concatenate(Tm)
    typ = np.concatenate(Ty)
    actor = np.concatenate(Ac)
    team = np.concatenate(Te)
    # Sloppy reps log only part of their sales activities.
    drop = (
        (team == _TEAM["sales"]) & is_sloppy[owner[deal]] & (rng.random(deal.size) >= SLOPPY_LOGGED)
    )
    keep = ~drop
    return deal[keep], time[keep], typ[keep], actor[keep], team[keep]


def _assessments(rng, reps: pd.DataFrame, is_top) -> pd.DataFrame:
    n_reps = len(reps)
    n_dim = len(CAPABILITIES)
    base = rng.normal(3.0, 0.4, (n_reps, n_dim))
    if is_top is not None:
        for c in TOP_COMPETENCIES:
            base[is_top, CAPABILITIES.index(c)] += TOP_SCORE_LIFT
    manager = np.clip(np.round(base, 1), 1.0, 5.0)
    self_ = np.clip(np.round(base + 0.3 + rng.normal(0.0, 0.3, (n_reps, n_dim)), 1), 1.0, 5.0)
    when = np.datetime64(_ASSESSED) + rng.integers(0, 12, n_reps)
    rows_rep = np.repeat(reps["rep_id"].to_numpy(), n_dim)
    rows_dim = np.tile(np.asarray(CAPABILITIES, dtype=object), n_reps)
    rows_at = np.repeat(np.array([f"{d} 10:00:00" for d in when], dtype=object), n_dim)
    frames = []
    for assessor, scores in (("manager", manager), ("self", self_)):
        frames.append(
            pd.DataFrame(
                {
                    "rep_id": rows_rep,
                    "dimension": rows_dim,
                    "score": scores.reshape(-1),
                    "assessed_at": rows_at,
                    "assessor": assessor,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["rep_id", "assessor", "dimension"], kind="stable").reset_index(
        drop=True
    )


def _outcomes(rng, cal, deal_ids, won, closed, product) -> pd.DataFrame:
    idx = np.flatnonzero(won)
    m = idx.size
    c = closed[idx]
    planned = c + np.asarray(PRODUCT_GO_LIVE_DAYS, dtype=float)[product[idx]]
    delayed = rng.random(m) < 0.2
    go_live = planned + np.where(delayed, rng.uniform(10, 40, m), rng.uniform(-5, 5, m))
    go_live = cal.shift(go_live, rng)
    live = go_live < _END
    complaints = np.where(live, rng.poisson(np.where(delayed, 1.1, 0.3)), 0)
    term = np.where(rng.random(m) < 0.4, 182.0, 365.0)
    renewal = c + term
    due = renewal < _END
    p_renew = np.clip(0.88 - 0.2 * delayed - 0.08 * np.minimum(complaints, 3), 0.05, 0.99)
    renewed = rng.random(m) < p_renew
    upsell = go_live + rng.uniform(30, 200, m)
    has_upsell = live & (rng.random(m) < 0.15) & (upsell < _END)
    responded = live & (rng.random(m) < 0.6)
    nps = np.clip(np.round(rng.normal(8.0 - 2.0 * delayed - 0.8 * complaints, 1.5)), 0, 10)
    tf = np.array(["false", "true"], dtype=object)
    return pd.DataFrame(
        {
            "deal_id": deal_ids[idx],
            "go_live_at": _fmt_times(np.where(live, go_live, np.nan)),
            "delayed": np.where(live, tf[delayed.astype(int)], ""),
            "complaints": complaints.astype(np.int64),
            "renewed": np.where(due, tf[renewed.astype(int)], ""),
            "renewal_at": _fmt_times(renewal),
            "upsell_at": _fmt_times(np.where(has_upsell, upsell, np.nan)),
            "nps": pd.array(np.where(responded, nps, np.nan), dtype="Float64").astype("Int64"),
        }
    )

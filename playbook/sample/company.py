"""The sample company's people and accounts: 40 reps in six teams over four regions (who is
strong, lucky or sloppy), and the accounts each rep owns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.sample import slow_team, territory, top_performers
from playbook.sample.draws import cdf, pick
from playbook.sample.options import Options
from playbook.sample.shape import REGION_P, REGIONS, SEGMENT_P, SIZE_P, TEAMS

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


@dataclass(frozen=True)
class Company:
    """The reps (``reps.csv``) and, per rep (arrays in ``reps`` order), what was planted."""

    reps: pd.DataFrame
    team_of: np.ndarray
    #: home region (a key-account rep's is nominal)
    region: np.ndarray
    #: member of a regional team (not Key Accounts)
    regional: np.ndarray
    is_key_account: np.ndarray
    #: indices of the strong converters, one-off winners and sloppy record keepers
    top: list[int]
    lucky: list[int]
    sloppy: list[int]
    is_top: np.ndarray
    is_lucky: np.ndarray
    #: sloppy records are kept only with ``data_quality`` planted
    is_sloppy: np.ndarray
    #: slow first contact, only with ``slow_team`` planted
    is_slow: np.ndarray
    #: the strong reps' lift (logit, every stage)
    top_logit: float
    #: each rep's logit shift at every stage (noise, plus the strong reps' lift when planted)
    logit: np.ndarray

    @property
    def ids(self) -> np.ndarray:
        return self.reps["rep_id"].to_numpy()

    def strong(self, options: Options) -> np.ndarray | None:
        """The strong reps' mask when ``top_performers`` is planted, else None."""
        return self.is_top if options.strong_reps else None


def make_reps(rng: np.random.Generator, zh: bool) -> pd.DataFrame:
    """``reps.csv``: id, name (Chinese or pinyin), team, region, role and hiring date."""
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


def build_company(
    rng: np.random.Generator, rng_territory: np.random.Generator, options: Options
) -> Company:
    """The reps and who among them is strong, lucky, sloppy or slow."""
    on = options.on
    reps = make_reps(rng, options.zh)
    n_reps = len(reps)
    team_of = reps["team"].to_numpy()
    rep_region = reps["region"].to_numpy()
    regional = np.array([t != "Key Accounts" for t in team_of])
    top = top_performers.pick_strong(rng, team_of, regional)
    if options.weak_territory and options.strong_reps:
        top = territory.strong_reps(rng_territory, team_of, rep_region, top)
    rest = np.setdiff1d(np.arange(n_reps), top)
    others = rng.permutation(rest)
    # One-off winners and sloppy record keepers: ordinary reps of the regional teams, neither
    # strong nor slow (key accounts convert a little better by account mix).
    candidates = [int(i) for i in others if regional[i] and team_of[i] != slow_team.TEAM]
    lucky = sorted(candidates[:2])
    sloppy = sorted(candidates[2:4])
    rep_noise = rng.normal(0.0, 0.08, n_reps)
    top_logit = territory.STRONG_LOGIT if options.weak_territory else top_performers.LOGIT
    is_top = _mask(n_reps, top)
    return Company(
        reps=reps,
        team_of=team_of,
        region=rep_region,
        regional=regional,
        is_key_account=reps["role"].to_numpy() == "key_account",
        top=top,
        lucky=lucky,
        sloppy=sloppy,
        is_top=is_top,
        is_lucky=_mask(n_reps, lucky),
        is_sloppy=_mask(n_reps, sloppy if on["data_quality"] else []),
        is_slow=team_of == slow_team.TEAM if on["slow_team"] else np.zeros(n_reps, bool),
        top_logit=top_logit,
        logit=rep_noise + (top_logit * is_top if options.strong_reps else 0.0),
    )


def _mask(n: int, members: list[int]) -> np.ndarray:
    out = np.zeros(n, bool)
    out[members] = True
    return out


@dataclass(frozen=True)
class Accounts:
    """Per account (codes into :mod:`playbook.sample.shape`'s lists): segment, company size,
    region, and the rep who owns it."""

    segment: np.ndarray
    size: np.ndarray
    region: np.ndarray
    owner: np.ndarray


def draw_accounts(
    rng: np.random.Generator,
    rng_territory: np.random.Generator,
    company: Company,
    options: Options,
) -> Accounts:
    """About 0.8 accounts per deal, owned by a rep of their region (half of the large ones by
    Key Accounts; new reps get a little less)."""
    n_acc = max(1, int(round(options.deals * 0.8)))
    acc_seg = pick(rng, SEGMENT_P, n_acc)
    acc_size = pick(rng, SIZE_P, n_acc)
    acc_region = pick(rng, REGION_P, n_acc)
    acc_owner = np.empty(n_acc, np.int64)
    u_ka = rng.random(n_acc)
    u_owner = rng.random(n_acc)
    regional, rep_region = company.regional, company.region
    ka_members = np.flatnonzero(~regional)
    for r, region in enumerate(REGIONS):
        members = np.flatnonzero(regional & (rep_region == region))
        weights = np.where(company.reps["role"].to_numpy()[members] == "new", 0.8, 1.0)
        sel = acc_region == r
        acc_owner[sel] = members[np.searchsorted(cdf(weights), u_owner[sel], side="right")]
        ka_sel = sel & (acc_size == 2) & (u_ka < 0.5)
        acc_owner[ka_sel] = ka_members[(u_owner[ka_sel] * len(ka_members)).astype(np.int64)]
    if options.weak_territory:
        acc_owner = territory.cross_region_owners(
            rng_territory, acc_owner, acc_region, regional, rep_region, REGIONS
        )
    return Accounts(acc_seg, acc_size, acc_region, acc_owner)

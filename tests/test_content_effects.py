"""Content effects on constructed companies: planted winner and problem, none, rep preference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from playbook.stats import wilson_interval
from playbook.steps.content.effects import content_uses, find_content_effects, item_effects
from playbook.workspace.config import default_config

ITEMS = {
    "intent": ["I1", "I2", "I3", "I4"],
    "proposal": ["P1", "P2", "P3", "P4"],
    "negotiation": ["N1", "N2", "N3"],
}
BASE = {"intent": 0.0, "proposal": 0.3, "negotiation": 0.5}


def company(
    seed: int,
    *,
    effects: dict[str, float] | None = None,
    preferred: str | None = None,
    deals_per_stage: int = 2400,
) -> pd.DataFrame:
    """A :func:`content_uses`-shaped frame: each deal used one item at its stage.

    Reps differ a lot in skill (logit sd 0.8) and segments in difficulty. ``effects`` adds
    a logit to the deals that used an item; ``preferred`` is an item that the five best reps
    pick for 80% of their deals (everyone else for 10%), with no effect of its own.
    """
    rng = np.random.default_rng(seed)
    effects = effects or {}
    skill = rng.normal(0.0, 0.8, 30)
    best = set(np.argsort(skill)[-5:])
    segment_logit = {"Retail": -0.4, "Energy": 0.0, "Finance": 0.4}
    frames = []
    for stage, items in ITEMS.items():
        owner = rng.integers(0, 30, deals_per_stage)
        segment = rng.choice(list(segment_logit), deals_per_stage)
        item = rng.choice(items, deals_per_stage)
        if preferred in items:
            likes = np.array([o in best for o in owner])
            share = np.where(likes, 0.8, 0.1)
            pick = rng.random(deals_per_stage) < share
            rest = [i for i in items if i != preferred]
            item = np.where(pick, preferred, rng.choice(rest, deals_per_stage))
        logit = (
            BASE[stage]
            + skill[owner]
            + np.array([segment_logit[s] for s in segment])
            + np.array([effects.get(i, 0.0) for i in item])
        )
        advanced = rng.random(deals_per_stage) < 1 / (1 + np.exp(-logit))
        frames.append(
            pd.DataFrame(
                {
                    "deal_id": [f"{stage}-{k}" for k in range(deals_per_stage)],
                    "stage": stage,
                    "content_id": item,
                    "owner_id": [f"R{o:02d}" for o in owner],
                    "segment": segment,
                    "resolved": True,
                    "advanced": advanced,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _claims(effects: pd.DataFrame) -> dict[str, str]:
    claimed = effects[effects["verdict"].isin(["winner", "problem"])]
    return dict(zip(claimed["content_id"], claimed["verdict"], strict=True))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_winner_and_problem_are_claimed_in_the_right_direction(seed):
    uses = company(seed, effects={"P2": 0.9, "I3": -0.9})
    effects = item_effects(uses)
    claims = _claims(effects)
    assert claims.get("P2") == "winner" and claims.get("I3") == "problem", claims
    assert len(set(claims) - {"P2", "I3"}) <= 1, claims
    p2 = effects.set_index("content_id").loc["P2"]
    assert p2["observed"] > p2["baseline"] + 0.1 and p2["or_low"] > 1
    assert p2["deals"] == (uses["content_id"] == "P2").sum()


def test_no_effect_company_claims_nothing_over_seeds():
    claims = [_claims(item_effects(company(seed))) for seed in range(10, 16)]
    assert sum(len(c) for c in claims) <= 1, claims


def test_rep_preference_does_not_make_a_neutral_template_a_winner():
    uses = company(7, preferred="P1")
    at = uses[uses["stage"] == "proposal"]
    # The naive comparison falls for it: strong reps' template converts visibly better.
    mine, rest = at[at["content_id"] == "P1"], at[at["content_id"] != "P1"]
    naive = st.fisher_exact(
        [
            [mine["advanced"].sum(), (~mine["advanced"]).sum()],
            [rest["advanced"].sum(), (~rest["advanced"]).sum()],
        ]
    )
    assert mine["advanced"].mean() > rest["advanced"].mean() + 0.05 and naive.pvalue < 0.001
    effects = item_effects(uses).set_index("content_id")
    assert effects.loc["P1", "verdict"] == "no_difference"
    assert abs(effects.loc["P1", "difference"]) < 0.05


def test_pooled_odds_ratio_is_the_mantel_haenszel_estimate_worked_by_hand():
    uses = company(4, effects={"N1": 0.8})
    effects = item_effects(uses).set_index("content_id")
    at = uses[uses["stage"] == "negotiation"].assign(
        stratum=lambda f: f["owner_id"] + "/" + f["segment"], mine=lambda f: f["content_id"] == "N1"
    )
    # N1 is the only claim at its stage, so its reference is every other item there
    num = den = 0.0
    for _, g in at.groupby("stratum"):
        a = (g["mine"] & g["advanced"]).sum()
        b = (g["mine"] & ~g["advanced"]).sum()
        c = (~g["mine"] & g["advanced"]).sum()
        d = (~g["mine"] & ~g["advanced"]).sum()
        if a + b and c + d:
            num += a * d / len(g)
            den += b * c / len(g)
    assert effects.loc["N1", "odds_ratio"] == pytest.approx(num / den)
    assert effects.loc["N1", "or_low"] < num / den < effects.loc["N1", "or_high"]


def test_small_items_are_not_judged_and_findings_carry_the_contract_fields():
    uses = company(5, effects={"P2": 0.9, "I3": -0.9})
    rare = uses.index[uses["content_id"] == "N3"][10:]
    uses = uses.drop(rare)
    effects = item_effects(uses).set_index("content_id")
    assert effects.loc["N3", "verdict"] == "too_few" and np.isnan(effects.loc["N3", "q_value"])
    content = pd.DataFrame({"content_id": ["P2", "I3"], "title": ["ROI proposal", "折扣开场"]})
    findings = find_content_effects(item_effects(uses), content, language="zh")
    by_item = {f.value: f for f in findings}
    assert {"P2", "I3"} <= set(by_item)
    winner = by_item["P2"].to_summary()
    assert winner["kind"] == "content_effect" and winner["stage"] == "proposal"
    assert winner["observed"] > winner["baseline"] and winner["adjusted_for"] == [
        "owner_id",
        "segment",
    ]
    assert "ROI proposal" in winner["evidence"] and "效果突出" in winner["evidence"]
    assert by_item["I3"].observed < by_item["I3"].baseline


def test_uses_take_the_stage_at_the_activity_and_drop_activities_after_the_close():
    config = default_config()
    deals = pd.DataFrame(
        {
            "deal_id": ["D1", "D2", "D3"],
            "created_at": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01"]),
            "owner_id": ["R1", "R1", "R2"],
            "status": ["won", "lost", "open"],
            "closed_at": pd.to_datetime(["2026-03-01", "2026-02-01", None]),
            "segment": ["Retail", "Retail", "Energy"],
        }
    )
    events = pd.DataFrame(
        {
            "deal_id": ["D1", "D1", "D1", "D2", "D2", "D3"],
            "stage": pd.Categorical(
                ["lead", "proposal", "signed", "lead", "intent", "lead"],
                categories=config.funnel.ids,
                ordered=True,
            ),
            "entered_at": pd.to_datetime(
                ["2026-01-01", "2026-02-01", "2026-03-01", "2026-01-01", "2026-01-10", "2026-01-01"]
            ),
        }
    )
    activities = pd.DataFrame(
        {
            "deal_id": ["D1", "D1", "D1", "D2", "D2", "D3"],
            "at": pd.to_datetime(
                ["2026-01-05", "2026-02-03", "2026-02-04", "2026-01-20", "2026-02-10", "2026-10-20"]
            ),
            "content_id": ["C1", "C2", "C2", "C3", "C4", "C1"],
            "actor_id": ["R1", "R1", "R1", "R1", "R1", "R2"],
        }
    )
    uses = content_uses(deals, events, activities, config)
    got = {(r.deal_id, r.content_id): (r.stage, r.resolved, r.advanced) for r in uses.itertuples()}
    assert got[("D1", "C1")] == ("lead", True, True)
    assert got[("D1", "C2")] == ("proposal", True, True)  # two uses, one row
    assert got[("D2", "C3")] == ("intent", True, False)
    assert ("D2", "C4") not in got  # after the deal was lost
    assert len(uses) == 4 and uses.loc[uses["deal_id"] == "D3", "stage"].item() == "lead"


def _plain_item_effects(uses: pd.DataFrame, min_deals: int = 20, alpha: float = 0.05):
    """The comparison written directly in pandas, one filter of the whole frame per item."""
    from playbook.steps.content.effects import VERDICTS, _mantel_haenszel, _verdicts

    resolved = uses[uses["resolved"].astype(bool)].copy()
    resolved["stratum"] = resolved.groupby(["owner_id", "segment"], sort=False).ngroup()

    def compare(stage, item, claimed):
        at_stage = resolved[resolved["stage"] == stage]
        mine = at_stage[at_stage["content_id"] == item].drop_duplicates("deal_id")
        excluded = {c for s, c in claimed if s == stage and c != item}
        others = at_stage[~at_stage["content_id"].isin(excluded | {item})]
        if others.empty:
            others = at_stage[at_stage["content_id"] != item]
        others = others[~others["deal_id"].isin(mine["deal_id"])].drop_duplicates("deal_id")
        n, k = len(mine), int(mine["advanced"].sum())
        low, high = wilson_interval(k, n)
        row = dict(content_id=item, stage=stage, deals=n, advanced=k, rate=k / n if n else np.nan)
        row.update(ci_low=low, ci_high=high)
        counts = pd.concat(
            [
                mine.groupby("stratum")["advanced"].agg(["sum", "size"]).add_prefix("item_"),
                others.groupby("stratum")["advanced"].agg(["sum", "size"]).add_prefix("ref_"),
            ],
            axis=1,
            join="inner",
        )
        compared, reference = int(counts["item_size"].sum()), int(counts["ref_size"].sum())
        if compared:
            row.update(
                _mantel_haenszel(
                    counts["item_sum"], counts["item_size"], counts["ref_sum"], counts["ref_size"]
                )
            )
        row["compared"] = compared
        row["tested"] = compared >= min_deals and reference >= min_deals
        return row

    pairs = sorted(set(zip(resolved["stage"], resolved["content_id"], strict=True)))
    claimed: set = set()
    for _ in range(len(pairs) + 1):
        table = _verdicts(pd.DataFrame([compare(s, c, claimed) for s, c in pairs]), alpha)
        keys = pd.Series(list(zip(table["stage"], table["content_id"], strict=True)))
        new = table[table["verdict"].isin(["winner", "problem"]) & ~keys.isin(claimed)]
        if new.empty:
            break
        first = new.sort_values("p_value", kind="stable").groupby("stage").head(1)
        claimed |= set(zip(first["stage"], first["content_id"], strict=True))
    order = {v: i for i, v in enumerate(VERDICTS)}
    table = table.assign(_v=table["verdict"].map(order), _d=-table["difference"].abs())
    table = table.sort_values(["stage", "_v", "_d", "content_id"], kind="stable")
    return table[list(item_effects(uses.iloc[:0]).columns)].reset_index(drop=True)


@pytest.mark.parametrize("seed", [21, 22])
def test_item_effects_equal_the_plain_pandas_comparison(seed):
    """Deals that used several items (some claimed), repeated and censored rows included."""
    rng = np.random.default_rng(seed)
    uses = company(seed, effects={"P2": 1.0, "P3": 0.7, "I3": -0.9, "N1": 0.6}, deals_per_stage=900)
    # a second item for a third of the deals, a repeated row, and censored rows
    extra = uses.sample(frac=0.35, random_state=seed)
    extra = extra.assign(content_id=[rng.choice(ITEMS[s]) for s in extra["stage"]])
    repeated = uses.sample(frac=0.05, random_state=seed + 1)
    uses = pd.concat([uses, extra, repeated]).sample(frac=1.0, random_state=seed)
    uses["resolved"] = rng.random(len(uses)) > 0.1
    uses = uses.reset_index(drop=True)
    fast, plain = item_effects(uses), _plain_item_effects(uses)
    assert (fast["verdict"] != "too_few").sum() >= 8
    assert fast["verdict"].isin(["winner", "problem"]).sum() >= 3  # several rounds ran
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)


def _plain_content_uses(deals, events, activities, config):
    """:func:`content_uses` written with pandas merges on the id strings."""
    from playbook.steps import journey

    acts = activities.loc[activities["content_id"].notna(), ["deal_id", "at", "content_id"]]
    acts = acts.assign(
        deal_id=acts["deal_id"].astype(str),
        content_id=acts["content_id"].astype(str),
        actor_id=activities.loc[acts.index, "actor_id"].astype(object),
    )
    info = pd.DataFrame(
        {
            "deal_id": deals["deal_id"].astype(str).to_numpy(),
            "owner_id": deals["owner_id"].astype(str).to_numpy(),
            "segment": deals["segment"].astype(object).fillna("").astype(str).to_numpy(),
            "closed_at": deals["closed_at"].to_numpy(),
        }
    ).drop_duplicates("deal_id")
    acts = acts.merge(info, on="deal_id", how="inner")
    acts = acts[~(acts["closed_at"].notna() & (acts["at"] > acts["closed_at"]))]
    acts["actor_id"] = acts["actor_id"].where(acts["actor_id"].notna(), acts["owner_id"])
    order = {s: i for i, s in enumerate(config.funnel.ids)}
    ev = pd.DataFrame(
        {
            "deal_id": events["deal_id"].astype(str).to_numpy(),
            "entered_at": events["entered_at"].to_numpy(),
            "stage": events["stage"].astype(str).to_numpy(),
        }
    ).dropna(subset=["entered_at"])
    ev = ev[ev["stage"].isin(order)]
    ev["rank"] = ev["stage"].map(order)
    ev = ev.sort_values(["entered_at", "rank"], kind="stable")
    left = acts[["deal_id", "at"]].reset_index().sort_values("at", kind="stable")
    found = pd.merge_asof(
        left, ev, left_on="at", right_on="entered_at", by="deal_id", direction="backward"
    )
    stage = found.set_index("index")["stage"].reindex(acts.index)
    acts["stage"] = stage.fillna(config.funnel.ids[0]).astype(str)
    outcomes = journey.deal_stages(deals, events, config)
    outcomes = outcomes.assign(
        deal_id=outcomes["deal_id"].astype(str), stage=outcomes["stage"].astype(str)
    )
    uses = acts[acts["stage"] != config.funnel.ids[-1]].merge(
        outcomes[["deal_id", "stage", "outcome", "mature"]], on=["deal_id", "stage"], how="inner"
    )
    uses["resolved"] = (uses["outcome"] != "open") | uses["mature"].astype(bool)
    uses["advanced"] = uses["outcome"] == "advanced"
    uses = uses.sort_values(["deal_id", "stage", "content_id", "at"], kind="stable")
    uses = uses.drop_duplicates(["deal_id", "stage", "content_id"])
    columns = ["deal_id", "stage", "content_id", "owner_id", "segment", "resolved", "advanced"]
    return uses[[*columns, "actor_id"]].reset_index(drop=True)


def test_content_uses_equal_the_plain_pandas_merges():
    """Ties in time, repeated uses by several actors, events logged at once, unknown deals."""
    config = default_config()
    stages = list(config.funnel.ids)
    rng = np.random.default_rng(5)
    n = 400
    day = np.timedelta64(86_400_000_000_000, "ns")
    created = np.datetime64("2026-01-01", "ns") + rng.integers(0, 60, n) * day
    status = rng.choice(["won", "lost", "open"], n, p=[0.3, 0.3, 0.4])
    closed = np.where(
        status == "open", np.datetime64("NaT"), created + rng.integers(20, 200, n) * day
    )
    deals = pd.DataFrame(
        {
            "deal_id": [f"D{k}" for k in rng.permutation(n)],
            "created_at": pd.to_datetime(created),
            "owner_id": pd.Categorical(rng.choice(["R1", "R2", "R3"], n)),
            "status": status,
            "closed_at": pd.to_datetime(closed),
            "segment": pd.Categorical(rng.choice(["Retail", "Energy", None], n)),
        }
    )
    rows = []
    for deal, start, state in zip(deals["deal_id"], created, status, strict=True):
        reached = rng.integers(1, len(stages) + (state == "won"))
        moments = start + np.sort(rng.integers(0, 100, reached)) * day
        moments[1:][rng.random(reached - 1) < 0.2] = moments[0]  # some at the same moment
        rows += [(deal, stages[k], moments[k]) for k in range(reached)]
    events = pd.DataFrame(rows, columns=["deal_id", "stage", "entered_at"])
    events["stage"] = pd.Categorical(events["stage"], categories=stages, ordered=True)
    m = 5000
    acts = pd.DataFrame(
        {
            "deal_id": rng.choice([*deals["deal_id"], "UNKNOWN"], m),
            "at": pd.to_datetime(np.datetime64("2026-01-01", "ns") + rng.integers(0, 150, m) * day),
            "content_id": pd.Categorical(rng.choice(["C1", "C2", "C10", "B3", None], m)),
            "actor_id": pd.Categorical(rng.choice(["R1", "R2", "M9", None], m)),
        }
    )
    acts.index = rng.permutation(m) + 7  # an index that is not the row positions
    fast = content_uses(deals, events, acts, config)
    plain = _plain_content_uses(deals, events, acts, config)
    assert len(fast) > 500 and fast["resolved"].any() and fast["advanced"].any()
    assert fast["stage"].nunique() >= 3
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)

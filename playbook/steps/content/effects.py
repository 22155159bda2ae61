"""Which content items win and which lose, judged like with like.

An activity that names a ``content_id`` used that item at the stage its deal was in at
that moment (the last stage entered at or before the activity; a deal without an earlier
stage event was in the funnel's first stage). Activities after a deal was closed are left
out: they cannot have changed its outcome. Each deal counts once per item and stage.

For every item and stage with enough resolved deals, the deals that used it are compared
with the deals at the same stage that used other items, **within strata of rep × segment**
(the deal's owner and segment): a strong rep who prefers one template, or a segment where
one template is the habit, does not make that template look good. The comparison is a
Mantel–Haenszel pooled odds ratio of advancing (Robins–Breslow–Greenland interval) with the
Cochran–Mantel–Haenszel test; ``baseline`` is what the item's deals would have done at the
rate of the other items for the same rep and segment. Censoring follows the stage rates:
an open deal still within the stage's ``window_days`` is left out, one past it counts as not
advanced. p-values are Benjamini–Hochberg adjusted across every item and stage tested.

The reference is "the ordinary items": the clearest winner or problem of each stage is
taken out of the others' reference and every item is tested again, one item per stage and
round, until no new item stands out; so one strong winner does not make every other
template at its stage look like a problem. The verdicts are those of the last round.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.findings import Finding
from playbook.stats import benjamini_hochberg, wilson_interval
from playbook.steps import journey as journey_mod
from playbook.steps.prepared import takes_pilot
from playbook.workspace.config import PilotConfig

logger = logging.getLogger(__name__)

__all__ = [
    "ALPHA",
    "EFFECT_COLUMNS",
    "MIN_DEALS",
    "STRATA",
    "content_uses",
    "find_content_effects",
    "item_effects",
]

#: Resolved deals an item needs at a stage (and its reference in the same strata) to be judged.
MIN_DEALS = 20
#: False discovery rate of the claims.
ALPHA = 0.05
#: Deal columns whose combinations are the strata of the comparison.
STRATA = ("owner_id", "segment")
USE_COLUMNS = ["deal_id", "stage", "content_id", "owner_id", "segment", "resolved", "advanced"]
EFFECT_COLUMNS = [
    "content_id",
    "stage",
    "deals",
    "advanced",
    "rate",
    "ci_low",
    "ci_high",
    "compared",
    "observed",
    "baseline",
    "difference",
    "odds_ratio",
    "or_low",
    "or_high",
    "p_value",
    "q_value",
    "verdict",
]
VERDICTS = ("winner", "problem", "no_difference", "too_few")


@takes_pilot
def content_uses(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    activities: pd.DataFrame | None,
    config: PilotConfig,
    *,
    journey: journey_mod.JourneyData | None = None,
) -> pd.DataFrame:
    """One row per deal, stage and content item used there, with the deal's outcome.

    Returns
    -------
    DataFrame
        ``deal_id | stage | content_id | owner_id | segment | resolved | advanced | actor_id``;
        ``resolved`` is False for an open deal still within the stage's window (censored),
        ``advanced`` True when the deal reached a later stage. The funnel's last stage is
        left out (nothing follows it). The deal's first use of an item at a stage gives the
        row's ``actor_id`` (the actor, else the deal's owner); rows are sorted by deal, stage
        and item. Empty when no activity names a content item.
    """
    columns = [*USE_COLUMNS, "actor_id"]
    if activities is None or "content_id" not in activities.columns:
        return pd.DataFrame(columns=columns)
    named = np.flatnonzero(activities["content_id"].notna().to_numpy())
    if not len(named):
        return pd.DataFrame(columns=columns)
    info = _deal_info(deals)
    deal_index = pd.Index(info["deal_id"])
    # Every table meets on the deal's row in ``info``: integers instead of id strings.
    acts = pd.DataFrame(
        {
            "row": deal_index.get_indexer(activities["deal_id"].iloc[named].astype(str)),
            "at": activities["at"].to_numpy()[named],
            "position": named,
        }
    )
    closed_at = info["closed_at"].to_numpy()[acts["row"].to_numpy()]
    acts = acts[(acts["row"].to_numpy() >= 0) & ~(acts["at"].to_numpy() > closed_at)]
    row, position = acts["row"].to_numpy(), acts["position"].to_numpy()
    stage = _stage_at(row, acts["at"].to_numpy(), stage_events, deal_index, config)
    j = journey_mod.resolve(deals, stage_events, config, None, journey)
    journey_row = pd.Index(j.deals["deal_id"].astype(str)).get_indexer(info["deal_id"])[row]
    keep = (journey_row >= 0) & (stage != len(config.funnel.ids) - 1)
    keep[keep] = j.entered[journey_row[keep], stage[keep]]
    row, position, stage, journey_row = row[keep], position[keep], stage[keep], journey_row[keep]
    at = acts["at"].to_numpy()[keep]
    content = activities["content_id"].iloc[position].astype(str).to_numpy()
    first = _first_use(info["deal_id"].to_numpy(), row, stage, content, at, config)
    row, position, stage, journey_row = (
        row[first],
        position[first],
        stage[first],
        journey_row[first],
    )
    advanced = j.advanced[journey_row, stage]
    lost = j.lost[journey_row, stage]
    owner = info["owner_id"].to_numpy()[row]
    actor = (
        activities["actor_id"].iloc[position].astype(object).to_numpy()
        if "actor_id" in activities.columns
        else np.full(len(row), np.nan)
    )
    uses = pd.DataFrame(
        {
            "deal_id": info["deal_id"].to_numpy()[row],
            "stage": np.asarray(config.funnel.ids, dtype=object)[stage],
            "content_id": content[first],
            "owner_id": owner,
            "segment": info["segment"].to_numpy()[row],
            "resolved": advanced | lost | j.mature[journey_row, stage].astype(bool),
            "advanced": advanced.astype(bool),
            "actor_id": pd.Series(actor).where(pd.notna(actor), owner).to_numpy(),
        }
    )
    return uses[columns]


def _first_use(
    deal_ids: np.ndarray,
    row: np.ndarray,
    stage: np.ndarray,
    content: np.ndarray,
    at: np.ndarray,
    config: PilotConfig,
) -> np.ndarray:
    """Positions of each deal's first use of an item at a stage, by deal id, stage id, item.

    Ids sort as strings; among uses at the same time the earlier row comes first and an
    unknown time comes last.
    """
    used = np.unique(row)
    deal_rank = np.empty(len(deal_ids), dtype=np.int64)
    deal_rank[used[np.argsort(deal_ids[used], kind="stable")]] = np.arange(len(used))
    stage_rank = np.argsort(np.argsort(np.asarray(config.funnel.ids, dtype=object)))
    item, _ = pd.factorize(content, sort=True)
    moment = at.astype("datetime64[ns]").view(np.int64)
    moment = np.where(np.isnat(at), np.iinfo(np.int64).max, moment)
    order = np.lexsort((moment, item, stage_rank[stage], deal_rank[row]))
    key = np.stack([row[order], stage[order], item[order]])
    new = np.ones(len(order), dtype=bool)
    new[1:] = (key[:, 1:] != key[:, :-1]).any(axis=0)
    return order[new]


def _deal_info(deals: pd.DataFrame) -> pd.DataFrame:
    info = pd.DataFrame(
        {
            "deal_id": deals["deal_id"].astype(str).to_numpy(),
            "owner_id": deals["owner_id"].astype(str).to_numpy(),
            "segment": (
                deals["segment"].astype(object).fillna("").astype(str).to_numpy()
                if "segment" in deals.columns
                else ""
            ),
            "closed_at": (
                deals["closed_at"].to_numpy()
                if "closed_at" in deals.columns
                else pd.Series(pd.NaT, index=deals.index).to_numpy()
            ),
        }
    )
    return info.drop_duplicates("deal_id")


def _stage_at(
    row: np.ndarray,
    at: np.ndarray,
    stage_events: pd.DataFrame,
    deal_index: pd.Index,
    config: PilotConfig,
) -> np.ndarray:
    """The funnel position of the stage each activity's deal (``row`` of ``deal_index``) was
    in at its time ``at`` (the first stage before any event)."""
    order = {s: i for i, s in enumerate(config.funnel.ids)}
    event_row = deal_index.get_indexer(stage_events["deal_id"].astype(str))
    entered = stage_events["entered_at"].to_numpy()
    rank = stage_events["stage"].astype(str).map(order).to_numpy(dtype=float)
    known = (event_row >= 0) & ~np.isnat(entered) & ~np.isnan(rank)
    event_row, entered, rank = event_row[known], entered[known], rank[known].astype(np.int64)
    # Events by deal, then time, then funnel order: the last one at or before the activity
    # is where the deal was (two stages logged at the same moment: the later funnel stage).
    # Times become ranks over both tables so that (deal, time) is one sortable integer.
    times, time_rank = np.unique(np.concatenate([entered, at]), return_inverse=True)
    event_key = event_row * len(times) + time_rank[: len(entered)]
    act_key = row * len(times) + time_rank[len(entered) :]
    by_key = np.lexsort((rank, event_key))
    found = np.searchsorted(event_key[by_key], act_key, side="right") - 1
    hit = found >= 0
    hit[hit] = event_row[by_key[found[hit]]] == row[hit]
    hit &= ~np.isnat(at)
    stage = np.zeros(len(row), dtype=np.int64)
    stage[hit] = rank[by_key[found[hit]]]
    return stage


# --- the comparison ---------------------------------------------------------------------------


def item_effects(
    uses: pd.DataFrame,
    *,
    strata: Sequence[str] = STRATA,
    min_deals: int = MIN_DEALS,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Each item's advance rate at each stage against the other items, like with like.

    Parameters
    ----------
    uses : :func:`content_uses` frame (``deal_id | stage | content_id | resolved | advanced``
        and the ``strata`` columns).
    strata : deal columns whose combinations form the strata (missing ones are skipped).
    min_deals : resolved deals the item, and its reference, need in the shared strata.
    alpha : false discovery rate of a claim.

    Returns
    -------
    DataFrame
        :data:`EFFECT_COLUMNS`: ``deals``/``advanced``/``rate`` (Wilson ``ci_low``/``ci_high``)
        over every resolved deal that used the item there; ``compared`` the deals in strata
        where other items were used too, ``observed`` their rate and ``baseline`` the other
        items' rate for the same strata (weighted by the item's deals), ``difference`` in
        rate points (fraction); ``odds_ratio`` (``or_low``, ``or_high``) Mantel–Haenszel;
        ``p_value`` CMH, ``q_value`` Benjamini–Hochberg; ``verdict`` winner, problem,
        no_difference or too_few. Sorted by stage, verdict, then difference.
    """
    resolved = uses[uses["resolved"].astype(bool)]
    if resolved.empty:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    stages = _StageUses.split(resolved, [c for c in strata if c in resolved.columns])
    pairs = sorted((stage, item) for stage, at in stages.items() for item in at.items)
    claimed: set[tuple[str, str]] = set()
    # A row depends on the round only through the items claimed at its stage: a stage
    # where nothing new was claimed keeps its rows instead of computing them again.
    rows_by_reference: dict[tuple[str, str, frozenset[str]], dict] = {}
    for _ in range(len(pairs) + 1):
        rows = []
        for stage, item in pairs:
            excluded = frozenset(c for s, c in claimed if s == stage and c != item)
            key = (stage, item, excluded)
            if key not in rows_by_reference:
                rows_by_reference[key] = stages[stage].compare(item, excluded, min_deals)
            rows.append(rows_by_reference[key])
        table = _verdicts(pd.DataFrame(rows), alpha)
        keys = list(zip(table["stage"], table["content_id"], strict=True))
        new = table[table["verdict"].isin(["winner", "problem"]) & ~pd.Series(keys).isin(claimed)]
        if new.empty:
            break
        # One item per stage and round, the clearest first: the others are then judged
        # against the ordinary items, not against a pool that holds a strong winner.
        first = new.sort_values("p_value", kind="stable").groupby("stage").head(1)
        claimed |= set(zip(first["stage"], first["content_id"], strict=True))
    order = {v: i for i, v in enumerate(VERDICTS)}
    table = table.assign(_v=table["verdict"].map(order), _d=-table["difference"].abs())
    table = table.sort_values(["stage", "_v", "_d", "content_id"], kind="stable")
    return table[EFFECT_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class _StageUses:
    """The resolved uses of one stage as integer codes, in the rows' order.

    ``deal`` and ``item`` index ``deals``/``items`` of the stage; ``stratum`` numbers the
    combinations of the strata columns over every stage (in order of first appearance).
    """

    stage: str
    items: list[str]
    deal: np.ndarray
    item: np.ndarray
    stratum: np.ndarray
    advanced: np.ndarray
    strata: int

    @classmethod
    def split(cls, resolved: pd.DataFrame, keys: list[str]) -> dict[str, _StageUses]:
        stratum = (
            resolved.groupby(keys, sort=False, dropna=False, observed=True).ngroup().to_numpy()
            if keys
            else np.zeros(len(resolved), dtype=np.int64)
        )
        stage_code, stage_names = pd.factorize(resolved["stage"].astype(str).to_numpy())
        deal_ids = resolved["deal_id"].to_numpy()
        content_ids = resolved["content_id"].astype(str).to_numpy()
        advanced = resolved["advanced"].to_numpy(dtype=float)
        strata = int(stratum.max()) + 1 if len(stratum) else 0
        out = {}
        for code, stage in enumerate(stage_names):
            rows = np.flatnonzero(stage_code == code)
            deal, _ = pd.factorize(deal_ids[rows])
            item, items = pd.factorize(content_ids[rows])
            out[str(stage)] = cls(
                str(stage),
                [str(i) for i in items],
                deal,
                item,
                stratum[rows],
                advanced[rows],
                strata,
            )
        return out

    def compare(self, item: str, excluded: frozenset[str], min_deals: int) -> dict:
        """One item against the ordinary other items of the stage (see :func:`item_effects`)."""
        code = self.items.index(item)
        is_item = self.item == code
        mine = _first_per_deal(self.deal, np.flatnonzero(is_item))
        blocked = np.isin(np.arange(len(self.items)), [self.items.index(c) for c in excluded])
        blocked[code] = True
        allowed = ~blocked[self.item]
        if not allowed.any():  # every other item is itself claimed: compare with all of them
            allowed = ~is_item
        used_item = np.zeros(self.deal.max() + 1, dtype=bool)
        used_item[self.deal[mine]] = True
        others = _first_per_deal(self.deal, np.flatnonzero(allowed & ~used_item[self.deal]))
        n_all, a_all = len(mine), int(self.advanced[mine].sum())
        low, high = wilson_interval(a_all, n_all)
        row = {
            "content_id": item,
            "stage": self.stage,
            "deals": n_all,
            "advanced": a_all,
            "rate": a_all / n_all if n_all else np.nan,
            "ci_low": low,
            "ci_high": high,
        }
        item_size, item_sum = self._per_stratum(mine)
        ref_size, ref_sum = self._per_stratum(others)
        shared = (item_size > 0) & (ref_size > 0)
        compared, reference = int(item_size[shared].sum()), int(ref_size[shared].sum())
        if compared:
            row.update(
                _mantel_haenszel(
                    item_sum[shared], item_size[shared], ref_sum[shared], ref_size[shared]
                )
            )
        row["compared"] = compared
        row["tested"] = compared >= min_deals and reference >= min_deals
        return row

    def _per_stratum(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Deals and deals advanced in each stratum (ascending stratum number)."""
        stratum = self.stratum[rows]
        size = np.bincount(stratum, minlength=self.strata)
        advanced = np.bincount(stratum, weights=self.advanced[rows], minlength=self.strata)
        return size, advanced


def _first_per_deal(deal: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``rows`` keeping the first of each deal (``drop_duplicates("deal_id")``)."""
    _, first = np.unique(deal[rows], return_index=True)
    return rows[np.sort(first)]


def _mantel_haenszel(a: np.ndarray, n: np.ndarray, c: np.ndarray, m: np.ndarray) -> dict:
    """Pooled odds ratio, its interval, the CMH p-value and the standardised rates.

    Per stratum: ``a`` of the item's ``n`` deals advanced, ``c`` of the reference's ``m``.
    """
    from statsmodels.stats.contingency_tables import StratifiedTable

    a, n, c, m = (np.asarray(v, dtype=float) for v in (a, n, c, m))
    observed = a.sum() / n.sum()
    baseline = float((n * c / m).sum() / n.sum())
    tables = np.stack([np.stack([a, n - a]), np.stack([c, m - c])])  # 2 x 2 x strata
    pooled = StratifiedTable(tables)
    with np.errstate(invalid="ignore", divide="ignore"):
        odds = float(pooled.oddsratio_pooled)
        try:
            or_low, or_high = (float(v) for v in pooled.oddsratio_pooled_confint())
        except (ValueError, ZeroDivisionError, FloatingPointError):
            or_low = or_high = np.nan
        p = float(pooled.test_null_odds(correction=False).pvalue)
    return {
        "observed": observed,
        "baseline": baseline,
        "difference": observed - baseline,
        "odds_ratio": odds,
        "or_low": or_low,
        "or_high": or_high,
        "p_value": p,
    }


def _verdicts(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    for column in ("observed", "baseline", "difference", "odds_ratio", "or_low", "or_high"):
        if column not in table:
            table[column] = np.nan
    table["p_value"] = table.get("p_value", np.nan)
    tested = table["tested"].astype(bool) & table["p_value"].notna()
    table["q_value"] = np.nan
    if tested.any():
        table.loc[tested, "q_value"] = benjamini_hochberg(table.loc[tested, "p_value"].to_numpy())
    significant = tested & (table["q_value"] < alpha)
    table["verdict"] = np.select(
        [~tested, significant & (table["difference"] > 0), significant & (table["difference"] < 0)],
        ["too_few", "winner", "problem"],
        "no_difference",
    )
    return table


# --- findings ---------------------------------------------------------------------------------


def find_content_effects(
    effects: pd.DataFrame,
    content: pd.DataFrame | None,
    *,
    language: str = "en",
    stage_labels: dict[str, str] | None = None,
    strata: Sequence[str] = STRATA,
) -> list[Finding]:
    """One ``content_effect`` finding per winning or problem item and stage.

    ``value`` is the content id, ``stage`` the stage id, ``observed`` the rate of the item's
    deals compared and ``baseline`` the other items' rate for the same reps and segments
    (interval: Wilson of ``observed``). Severity 2 when the gap is 10 points or more, else 1.
    """
    from playbook.i18n import t

    claimed = effects[effects["verdict"].isin(["winner", "problem"])]
    titles = _titles(content)
    labels = stage_labels or {}
    findings = []
    for row in claimed.itertuples(index=False):
        n = int(row.compared)
        advanced = int(round(row.observed * n))
        low, high = wilson_interval(advanced, n)
        evidence = t(
            f"content_finding_{row.verdict}",
            language,
            title=titles.get(row.content_id, row.content_id),
            id=row.content_id,
            stage=labels.get(row.stage, row.stage),
            observed=f"{row.observed:.0%}",
            baseline=f"{row.baseline:.0%}",
            n=f"{n:,}",
            odds=f"{row.odds_ratio:.2f}",
            low=f"{row.or_low:.2f}",
            high=f"{row.or_high:.2f}",
        )
        findings.append(
            Finding(
                kind="content_effect",
                severity=2 if abs(row.difference) >= 0.10 else 1,
                evidence=evidence,
                dimension="content_id",
                value=str(row.content_id),
                stage=str(row.stage),
                metric="advance_rate",
                observed=float(row.observed),
                baseline=float(row.baseline),
                ci_low=low,
                ci_high=high,
                n=n,
                p_value=float(row.q_value),
                adjusted_for=list(strata),
                impact=abs(float(row.difference)) * n,
            )
        )
    return findings


def _titles(content: pd.DataFrame | None) -> dict[str, str]:
    if content is None or "title" not in content.columns:
        return {}
    titles = content[["content_id", "title"]].dropna()
    return dict(zip(titles["content_id"].astype(str), titles["title"].astype(str), strict=True))

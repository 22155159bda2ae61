"""The sample company's deals: when they were created, for which account and product, who owns
them, what they are worth; and ``deals.csv`` once the funnel has decided their fate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from playbook.sample import bottleneck, data_quality, pilot, top_performers
from playbook.sample.clock import END, START, Calendar, fmt_times, quarter
from playbook.sample.company import Accounts, Company
from playbook.sample.draws import pick
from playbook.sample.options import Options
from playbook.sample.shape import (
    LOST_REASONS,
    LOST_REASONS_ZH,
    PRODUCT_AMOUNT,
    PRODUCT_P,
    PRODUCTS,
    REGIONS,
    SEGMENT_AMOUNT,
    SEGMENTS,
    SIZE_AMOUNT,
    SIZES,
    SOURCE_P,
    SOURCES,
)

if TYPE_CHECKING:
    from playbook.sample.funnel import Funnel


@dataclass(frozen=True)
class Deals:
    """Per deal, in creation order: times in days since origin, categories as codes into
    :mod:`playbook.sample.shape`'s lists, ``owner`` an index into the reps."""

    ids: np.ndarray
    created: np.ndarray
    account: np.ndarray
    source: np.ndarray
    product: np.ndarray
    owner: np.ndarray
    segment: np.ndarray
    size: np.ndarray
    region: np.ndarray
    amount: np.ndarray
    #: created in a one-off winner's lucky quarter (with ``top_performers`` planted)
    lucky: np.ndarray
    pilot_group: np.ndarray

    def __len__(self) -> int:
        return len(self.created)


def draw_deals(
    rng: np.random.Generator,
    cal: Calendar,
    company: Company,
    accounts: Accounts,
    options: Options,
) -> Deals:
    """``options.deals`` deals created over the year, sorted by creation time."""
    n = options.deals
    created, account, source, product = _creations(rng, cal, n, len(accounts.owner))
    owner = accounts.owner[account]
    segment = accounts.segment[account]
    size = accounts.size[account]
    region = np.array([REGIONS.index(r) if r else 0 for r in company.region])[owner]
    # A regional rep's deals are in the rep's region (a key-account rep's in the account's),
    # unless the territory planting has reps work accounts of other regions.
    in_home_region = company.regional[owner] & (not options.weak_territory)
    region = np.where(in_home_region, region, accounts.region[account])
    lucky_deal = (
        company.is_lucky[owner]
        & (quarter(created) == top_performers.LUCKY_QUARTER)
        & options.strong_reps
    )
    amount = (
        np.asarray(PRODUCT_AMOUNT)[product]
        * np.asarray(SIZE_AMOUNT)[size]
        * np.asarray(SEGMENT_AMOUNT)[segment]
        * np.where(company.is_key_account[owner], 1.3, 1.0)
        * np.where(lucky_deal, top_performers.LUCKY_AMOUNT, 1.0)
        * rng.lognormal(0.0, 0.5, n)
    )
    return Deals(
        ids=np.char.add("D", np.char.zfill(np.arange(1, n + 1).astype(str), 6)).astype(object),
        created=created,
        account=account,
        source=source,
        product=product,
        owner=owner,
        segment=segment,
        size=size,
        region=region,
        amount=np.round(amount, 2),
        lucky=lucky_deal,
        pilot_group=pilot.groups(created, company.team_of[owner], options.variant),
    )


def _creations(rng: np.random.Generator, cal: Calendar, n: int, n_acc: int):
    """Creation times (sorted), accounts, sources and products of ``n`` deals."""
    # Creation days: slight growth, fewer leads on weekends and holidays.
    days = np.arange(START, END)
    w = (1.0 + 0.25 * (days - START) / (END - START)) * np.where(cal.work[days], 1.0, 0.25)
    day = days[pick(rng, w, n)]
    account = rng.integers(0, n_acc, n)
    # Accounts with repeat business are the smaller id range: a few accounts, many deals.
    account = np.where(rng.random(n) < 0.2, account % max(1, n_acc // 10), account)
    source = pick(rng, SOURCE_P, n)
    product = pick(rng, PRODUCT_P, n)
    web = source == 0
    tod_web = np.where(
        rng.random(n) < 0.35,
        rng.uniform(0, 24, n),
        np.clip(rng.normal(14, 3, n), 0, 23.99),
    )
    tod_biz = rng.uniform(9, 18, n)
    created = day + np.where(web, tod_web, tod_biz) / 24.0
    order = np.argsort(created, kind="stable")
    return created[order], account[order], source[order], product[order]


def lost_reasons(
    rng: np.random.Generator, deals: Deals, lost_stage: np.ndarray, options: Options
) -> np.ndarray:
    """Each lost deal's reason (in the sample's language); empty for the others."""
    n = len(deals)
    reason_code = np.full(n, -1, np.int64)
    for s in range(4):
        sel = lost_stage == s
        weights = [weight for _, weight in LOST_REASONS[s]]
        codes = pick(rng, weights, n)
        price = rng.random(n) < bottleneck.REASON_P  # drawn always: same stream either way
        if s == bottleneck.STAGE and options.on[bottleneck.NAME]:
            codes = np.where(bottleneck.in_segment(deals.segment) & price, bottleneck.REASON, codes)
        reason_code[sel] = codes[sel]
    lost_reason = np.full(n, "", dtype=object)
    for s in range(4):
        for k, (reason, _) in enumerate(LOST_REASONS[s]):
            shown = LOST_REASONS_ZH[reason] if options.zh else reason
            lost_reason[(lost_stage == s) & (reason_code == k)] = shown
    return lost_reason


def deal_table(
    rng: np.random.Generator,
    company: Company,
    deals: Deals,
    funnel: Funnel,
    options: Options,
) -> pd.DataFrame:
    """``deals.csv``. Draws the lost reasons, then the sloppy reps' blanks, from ``rng``."""
    lost_reason = lost_reasons(rng, deals, funnel.lost_stage, options)
    amount, source = data_quality.blank_records(
        rng,
        company.is_sloppy[deals.owner],
        deals.amount,
        np.asarray(SOURCES, dtype=object)[deals.source],
    )
    status_names = np.array(["open", "won", "lost"], dtype=object)
    return pd.DataFrame(
        {
            "deal_id": deals.ids,
            "created_at": fmt_times(deals.created),
            "owner_id": company.ids[deals.owner],
            "status": status_names[funnel.status],
            "closed_at": fmt_times(funnel.closed),
            "amount": amount,
            "segment": np.asarray(SEGMENTS, dtype=object)[deals.segment],
            "region": np.asarray(REGIONS, dtype=object)[deals.region],
            "product": np.asarray(PRODUCTS, dtype=object)[deals.product],
            "source": source,
            "account_id": np.char.add(
                "A", np.char.zfill((deals.account + 1).astype(str), 5)
            ).astype(object),
            "lost_reason": lost_reason,
            "company_size": np.asarray(SIZES, dtype=object)[deals.size],
            "pilot_group": deals.pilot_group.astype(object),
        }
    )

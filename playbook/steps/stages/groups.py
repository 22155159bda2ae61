"""Slicing deals for step 2: the ``by`` columns, group codes and labels, cohort periods."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from playbook.steps.journey import JourneyData, resolve
from playbook.steps.journey.tables import AS_OF, FRAMES, JOURNEY, offer, own_parameters, parameter
from playbook.steps.prepared import takes_pilot
from playbook.workspace.config import PilotConfig


def as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def check_by(deals: pd.DataFrame, by: list[str]) -> None:
    missing = [c for c in by if c not in deals.columns]
    if missing:
        raise ValueError(
            f"by names column(s) {', '.join(missing)} that deals does not have; "
            f"choose from {', '.join(map(str, deals.columns))}"
        )


def group_codes(keys: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Group code of each row and the group labels (sorted, missing values kept)."""
    if not by:
        return np.zeros(len(keys), dtype=np.int64), pd.DataFrame(index=range(1))
    grouped = keys.groupby(by, dropna=False, sort=True, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    labels = grouped.size().index.to_frame(index=False)[by]
    return codes, labels


def stage_cat(codes, ids) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(ids))


def cohort_period(created: pd.Series, freq: str) -> pd.Series:
    try:
        return pd.to_datetime(created).dt.to_period(freq)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"freq must be a pandas period alias such as 'M', 'Q' or 'W'; got {freq!r}"
        ) from exc


@takes_pilot
def sliced_journey(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    by: str | Sequence[str] | None,
    as_of,
    journey: JourneyData | None,
) -> tuple[list[str], JourneyData]:
    """The ``by`` columns as a list (checked against ``deals``) and the prepared journey."""
    by = as_list(by)
    check_by(deals, by)
    return by, resolve(deals, stage_events, config, as_of, journey)


#: Where a stage table's slice columns stand in its public signature (see over_slices).
BY = parameter("by", "str | Sequence[str] | None", default=None)


def over_slices(table: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """Offer ``table(by, journey, <own positionals>, *, <own options>)`` over the frames.

    Its public signature is :mod:`playbook.steps.journey.tables`' with ``by=None``
    before ``as_of``, after the table's own positionals (``freq`` of the cohort
    tables stands before ``by``, as it always has). The ``by`` columns are checked
    and the journey prepared by :func:`sliced_journey`; mark the result
    ``takes_pilot`` as usual.
    """
    positionals, options = own_parameters(table, computed_from=2)

    def run(given: dict) -> pd.DataFrame:
        frames = (given.pop("deals"), given.pop("stage_events"), given.pop("config"))
        by, j = sliced_journey(*frames, given.pop("by"), given.pop("as_of"), given.pop("journey"))
        return table(by, j, **given)

    return offer(table, [*FRAMES, *positionals, BY, AS_OF, *options, JOURNEY], run)

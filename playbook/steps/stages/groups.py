"""Slicing deals for step 2: the ``by`` columns, group codes and labels, cohort periods."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from playbook.steps.journey import JourneyData, resolve
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


def _parameter(name: str, annotation: str | None = None, **details) -> inspect.Parameter:
    """A positional-or-keyword parameter unless ``kind`` says otherwise; annotations as text."""
    details.setdefault("kind", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if annotation is not None:
        details["annotation"] = annotation
    return inspect.Parameter(name, **details)


#: The public parameters every sliced stage table starts with, and the one it ends with.
_SLICED_HEAD = (
    _parameter("deals", "pd.DataFrame"),
    _parameter("stage_events", "pd.DataFrame"),
    _parameter("config", "PilotConfig"),
    _parameter("by", "str | Sequence[str] | None", default=None),
    _parameter("as_of", default=None),
)
_SLICED_TAIL = _parameter(
    "journey", "JourneyData | None", kind=inspect.Parameter.KEYWORD_ONLY, default=None
)


def over_slices(table: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """Offer ``table(by, journey, [own positionals], *, [options])`` over the frames.

    The stage tables share one public signature, ``(deals, stage_events, config,
    <table's own positionals>, by=None, as_of=None, *, <table's own options>,
    journey=None)``: ``freq`` of the cohort tables stands before ``by``, as it always
    has. The ``by`` columns are checked and the journey prepared by
    :func:`sliced_journey`, then ``table`` computes from them. Name, docstring and that
    signature are what ``help()`` and :func:`inspect.signature` show; mark the result
    ``takes_pilot`` as usual.
    """
    own = list(inspect.signature(table).parameters.values())[2:]
    leading = [p for p in own if p.kind is p.POSITIONAL_OR_KEYWORD]
    options = [p for p in own if p.kind is p.KEYWORD_ONLY]
    frames, (by, as_of) = _SLICED_HEAD[:3], _SLICED_HEAD[3:]
    signature = inspect.Signature(
        [*frames, *leading, by, as_of, *options, _SLICED_TAIL], return_annotation="pd.DataFrame"
    )

    def over_frames(*args, **kwargs) -> pd.DataFrame:
        given = signature.bind(*args, **kwargs)
        given.apply_defaults()
        a = given.arguments
        frames = (a.pop("deals"), a.pop("stage_events"), a.pop("config"))
        by, j = sliced_journey(*frames, a.pop("by"), a.pop("as_of"), a.pop("journey"))
        return table(by, j, **a)

    for name in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(over_frames, name, getattr(table, name))
    over_frames.__signature__ = signature
    return over_frames

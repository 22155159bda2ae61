"""One object through the steps: the workspace's tables, its config and the journey index.

Most step functions read the same three things (the deals, their stage events and the
pilot config) and many also reuse the ordered, indexed event log that
:func:`playbook.steps.journey.prepare` builds, the costly part of every metric. A
:class:`Pilot` carries them together and prepares the journey once, on first use::

    pilot = Pilot(load.open_dataset(workspace, cache_dir))
    rates = stages.stage_rates(pilot, by="segment")
    bottlenecks = stages.find_bottlenecks(pilot, language="zh")

Functions marked :func:`takes_pilot` accept a :class:`Pilot` in place of their
tables: every parameter named like a table (``deals``, ``stage_events``,
``activities``, ``reps``, ``outcomes``, …), ``config`` and ``journey`` is then
filled from it, and the other arguments are given by keyword. Called with the
frames, as before, they behave exactly as they always did.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from playbook.workspace.config import PilotConfig
from playbook.workspace.dataset import Dataset

if TYPE_CHECKING:
    from playbook.steps.journey.index import JourneyData

#: Parameters a :class:`Pilot` can fill, by name.
FROM_PILOT = (
    "deals",
    "stage_events",
    "activities",
    "reps",
    "outcomes",
    "assessments",
    "targets",
    "content",
    "config",
    "journey",
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(eq=False)
class Pilot:
    """A validated workspace as the steps read it, with its journey prepared once.

    ``as_of`` cuts the journey at a moment (default: the latest timestamp in the
    data, as :func:`~playbook.steps.journey.prepare` does); the tables themselves
    are the dataset's, unchanged.
    """

    data: Dataset
    as_of: pd.Timestamp | None = None

    @cached_property
    def journey(self) -> JourneyData:
        """The ordered, indexed event log, built on first use and then reused."""
        # Imported here: the journey's own functions take a Pilot, so they import this module.
        from playbook.steps.journey import index

        return index.prepare(self.data.deals, self.data.stage_events, self.data.config, self.as_of)

    @property
    def config(self) -> PilotConfig:
        return self.data.config

    @property
    def deals(self) -> pd.DataFrame:
        return self.data.deals

    @property
    def stage_events(self) -> pd.DataFrame:
        return self.data.stage_events

    def __getattr__(self, name: str) -> Any:
        # The optional tables (activities, reps, outcomes, ...) and the dataset's
        # helpers (present, inventory, workspace, ...) read straight through, so a
        # Pilot goes wherever a Dataset went.
        if name.startswith("__") or name == "data":
            raise AttributeError(name)
        return getattr(self.data, name)


def takes_pilot(func: F) -> F:
    """Let ``func`` take a :class:`Pilot` in place of its tables.

    The Pilot stands where the first table (or ``config``) parameter stands; the
    arguments before it are given as usual (``score_deals(model, pilot)``). Every
    parameter of ``func`` listed in :data:`FROM_PILOT` that the caller did not give
    is filled from it (``journey`` with the prepared index); the arguments after
    it must then be given by keyword.
    """
    parameters = list(inspect.signature(func).parameters)
    filled = [name for name in parameters if name in FROM_PILOT]
    if not filled:
        raise TypeError(f"{func.__name__} has no parameter a Pilot can fill")
    at = parameters.index(filled[0])

    @functools.wraps(func)
    def with_pilot(*args: Any, **kwargs: Any) -> Any:
        if len(args) <= at or not isinstance(args[at], Pilot):
            return func(*args, **kwargs)
        pilot, leading, rest = args[at], args[:at], args[at + 1 :]
        if rest:
            raise TypeError(
                f"{func.__name__}(…, pilot, …): give the arguments after the pilot by "
                f"keyword, not by position ({len(rest)} given by position)"
            )
        for name in filled:
            kwargs.setdefault(name, getattr(pilot, name))
        return func(*leading, **kwargs)

    with_pilot.takes_pilot = True  # type: ignore[attr-defined]
    return with_pilot  # type: ignore[return-value]


def journey_of(data: Dataset | Pilot, as_of: Any = None) -> JourneyData:
    """The journey a step reads from ``data``: a Pilot's own, prepared once and shared by
    every step of the notebook; for a Dataset (or another ``as_of``) one prepared now."""
    from playbook.steps.journey import index

    if isinstance(data, Pilot) and (as_of is None or pd.Timestamp(as_of) == data.journey.as_of):
        return data.journey
    return index.prepare(data.deals, data.stage_events, data.config, as_of)

"""The public signature the step tables over the event log share, written once.

A journey table is computed from the prepared journey alone (:func:`over_journey`); a
stage table from the ``by`` columns and the journey
(:func:`playbook.steps.stages.groups.over_slices`). Both are offered over the frames
with one signature, ``(deals, stage_events, config, <own positionals>, as_of=None, *,
<own options>, journey=None)``, that ``help()`` and :func:`inspect.signature` show
in full, and keep the table's name and docstring.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from playbook.steps.journey.index import resolve

Table = Callable[..., pd.DataFrame]


def parameter(name: str, annotation: str | None = None, **details: Any) -> inspect.Parameter:
    """A positional-or-keyword parameter unless ``kind`` says otherwise; annotations as text,
    as ``from __future__ import annotations`` leaves them on a written signature."""
    details.setdefault("kind", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if annotation is not None:
        details["annotation"] = annotation
    return inspect.Parameter(name, **details)


FRAMES = (
    parameter("deals", "pd.DataFrame"),
    parameter("stage_events", "pd.DataFrame"),
    parameter("config", "PilotConfig"),
)
AS_OF = parameter("as_of", default=None)
JOURNEY = parameter(
    "journey", "JourneyData | None", kind=inspect.Parameter.KEYWORD_ONLY, default=None
)


def own_parameters(table: Table, computed_from: int) -> tuple[list, list]:
    """``table``'s parameters after the ``computed_from`` it is handed: (positionals, options)."""
    own = list(inspect.signature(table).parameters.values())[computed_from:]
    positionals = [p for p in own if p.kind is p.POSITIONAL_OR_KEYWORD]
    return positionals, [p for p in own if p.kind is p.KEYWORD_ONLY]


def offer(
    table: Table, parameters: Iterable[inspect.Parameter], run: Callable[[dict], pd.DataFrame]
) -> Table:
    """A function with the public ``parameters`` that hands its arguments (by name,
    defaults filled in) to ``run``, under ``table``'s name and docstring."""
    signature = inspect.Signature(list(parameters), return_annotation="pd.DataFrame")

    def over_frames(*args: Any, **kwargs: Any) -> pd.DataFrame:
        given = signature.bind(*args, **kwargs)
        given.apply_defaults()
        return run(dict(given.arguments))

    # not functools.wraps: its __wrapped__ would make inspect show the table's own signature
    for name in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(over_frames, name, getattr(table, name))
    over_frames.__signature__ = signature  # type: ignore[attr-defined]
    return over_frames


def over_journey(table: Table) -> Table:
    """Offer ``table(journey, <own positionals>, *, <own options>)`` over the frames.

    :func:`~playbook.steps.journey.index.resolve` prepares (or checks) the journey
    from the frames and ``as_of``; mark the result
    :func:`~playbook.steps.prepared.takes_pilot` as usual.
    """
    positionals, options = own_parameters(table, computed_from=1)

    def run(given: dict) -> pd.DataFrame:
        frames = (given.pop("deals"), given.pop("stage_events"), given.pop("config"))
        return table(resolve(*frames, given.pop("as_of"), given.pop("journey")), **given)

    return offer(table, [*FRAMES, *positionals, AS_OF, *options, JOURNEY], run)


#: ``as_of`` where everything after the frames goes by keyword.
KEYWORD_AS_OF = AS_OF.replace(kind=inspect.Parameter.KEYWORD_ONLY)


def over_journey_and_frames(table: Table) -> Table:
    """Offer ``table(journey, <frames it reads>, *, <own options>)`` over the frames.

    For the tables that read a frame besides the journey (the config's mix settings,
    say): the table's parameters named like a frame (``stage_events``, ``config``) are
    handed that frame, as :func:`~playbook.steps.prepared.takes_pilot` fills them by
    name. Everything after the frames goes by keyword: ``(deals, stage_events, config,
    *, as_of=None, journey=None, <own options>)``.
    """
    own = list(inspect.signature(table).parameters.values())[1:]
    reads = [p.name for p in own if p.name in {frame.name for frame in FRAMES}]
    options = [p for p in own if p.kind is p.KEYWORD_ONLY]

    def run(given: dict) -> pd.DataFrame:
        frames = {frame.name: given.pop(frame.name) for frame in FRAMES}
        j = resolve(*frames.values(), given.pop("as_of"), given.pop("journey"))
        return table(j, *(frames[name] for name in reads), **given)

    return offer(table, [*FRAMES, KEYWORD_AS_OF, JOURNEY, *options], run)

"""Journey phases derived from the funnel when ``pilot.yml`` customises the stages only.

The shipped phases name the default stage ids (``lead``, ``intent`` …). A workspace
that defines its own stages (``mql`` → ``won``) and leaves ``phases`` out would
otherwise be refused for stage names its author never wrote. Here the custom
stages are spread over the phases by their place in the funnel: the first stage is
*interest*, the last *execution*, the one before the last *decision* (funnels of
four stages or more), every stage in between *evaluation*; *awareness* holds no
stage (it is the marketing before a lead exists). Activity types keep their defaults.
"""

from __future__ import annotations

from collections.abc import Sequence


def phase_stages(stage_ids: Sequence[str]) -> dict[str, list[str]]:
    """Phase -> the stage ids it holds, by position in the funnel.

    Returns
    -------
    dict
        ``awareness, interest, evaluation, decision, execution`` -> stage ids in funnel
        order; every stage id appears exactly once (an empty funnel gives empty phases).
    """
    ids = list(stage_ids)
    out: dict[str, list[str]] = {
        "awareness": [],
        "interest": [],
        "evaluation": [],
        "decision": [],
        "execution": [],
    }
    if not ids:
        return out
    out["interest"] = ids[:1]
    if len(ids) == 1:
        return out
    out["execution"] = ids[-1:]
    middle = ids[1:-1]
    if len(ids) >= 4:
        out["decision"] = middle[-1:]
        middle = middle[:-1]
    out["evaluation"] = middle
    return out


def stages_fit(phases: dict[str, Sequence[str]], stage_ids: Sequence[str]) -> bool:
    """Whether every stage the phases name is a funnel stage id."""
    known = set(stage_ids)
    return all(s in known for stages in phases.values() for s in stages)

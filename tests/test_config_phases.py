"""Custom stages without phases: phases follow the funnel, never an error about default stages."""

from __future__ import annotations

import pytest

from playbook.exceptions import DataError
from playbook.workspace.config import parse_config
from playbook.workspace.config_phases import phase_stages


def stages(*ids: str) -> list[dict]:
    return [{"id": i, "label_en": i.title(), "label_zh": i} for i in ids]


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["mql", "won"], {"interest": ["mql"], "execution": ["won"]}),
        (["a", "b", "c"], {"interest": ["a"], "evaluation": ["b"], "execution": ["c"]}),
        (
            ["a", "b", "c", "d"],
            {"interest": ["a"], "evaluation": ["b"], "decision": ["c"], "execution": ["d"]},
        ),
        (
            ["a", "b", "c", "d", "e", "f"],
            {
                "interest": ["a"],
                "evaluation": ["b", "c", "d"],
                "decision": ["e"],
                "execution": ["f"],
            },
        ),
    ],
)
def test_stages_are_spread_over_the_phases_in_funnel_order(ids, expected) -> None:
    phases = phase_stages(ids)
    full = {p: expected.get(p, []) for p in phases}
    assert phases == full
    assert sorted(s for v in phases.values() for s in v) == sorted(ids)  # each stage once


def test_a_two_stage_funnel_without_phases_validates() -> None:
    config = parse_config({"funnel": {"stages": stages("mql", "won")}})
    assert config.phases["interest"].stages == ["mql"]
    assert config.phases["execution"].stages == ["won"]
    assert config.phases["evaluation"].stages == []
    # activity types keep their defaults
    assert "call" in config.phases["interest"].activity_types
    # the derived phases survive the cache's round trip through JSON
    assert parse_config(config.model_dump(mode="json")).phases == config.phases


def test_default_funnel_keeps_the_shipped_phases() -> None:
    config = parse_config({})
    assert config.phases["evaluation"].stages == ["intent", "proposal"]
    assert config.phases["decision"].stages == ["negotiation"]


def test_custom_stages_that_keep_the_default_ids_keep_the_shipped_phases() -> None:
    config = parse_config(
        {"funnel": {"stages": stages("lead", "intent", "proposal", "negotiation", "signed")}}
    )
    assert config.phases["evaluation"].stages == ["intent", "proposal"]


def test_phases_the_user_wrote_are_still_checked() -> None:
    with pytest.raises(DataError, match="phase 'interest' names stage"):
        parse_config(
            {
                "funnel": {"stages": stages("mql", "won")},
                "phases": {"interest": {"stages": ["lead"]}},
            }
        )

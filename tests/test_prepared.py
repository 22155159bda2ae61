"""One object through the steps: a Pilot carries the tables, the config and the
journey index, and every step entry point takes it in place of its frames with the
same result."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pandas as pd
import pytest

import playbook.steps.journey.index as journey_index
from playbook.steps import handoff, intake, journey, pilot, scoring, stages
from playbook.steps.prepared import FROM_PILOT, Pilot, takes_pilot
from playbook.workspace.load import open_dataset

STEPS = Path(__file__).resolve().parents[1] / "playbook" / "steps"


@pytest.fixture(scope="module")
def data(small_sample: Path):
    return open_dataset(small_sample)


@pytest.fixture()
def prepared(data) -> Pilot:
    return Pilot(data)


@pytest.fixture()
def prepare_calls(monkeypatch) -> list:
    """One entry per journey preparation while the test runs (both names steps import)."""
    calls = []
    real = journey_index.prepare

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(journey_index, "prepare", counting)
    monkeypatch.setattr(journey, "prepare", counting)
    return calls


def test_the_journey_is_prepared_once_and_only_when_asked(data, prepare_calls) -> None:
    calls = prepare_calls
    fresh = Pilot(data)
    assert calls == []  # opening costs nothing
    stages.stage_rates(fresh, by="segment")
    stages.stage_rates(fresh)
    journey.stage_monitor(fresh)
    assert len(calls) == 1
    assert fresh.journey is fresh.journey


def test_a_step_reads_the_same_from_a_pilot_as_from_its_frames(data, prepared) -> None:
    frames = (data.deals, data.stage_events, data.config)
    pd.testing.assert_frame_equal(
        stages.stage_rates(prepared, by="segment"), stages.stage_rates(*frames, by="segment")
    )
    pd.testing.assert_frame_equal(journey.stage_monitor(prepared), journey.stage_monitor(*frames))
    by_pilot = stages.find_bottlenecks(prepared, language="zh")
    assert by_pilot and repr(by_pilot) == repr(stages.find_bottlenecks(*frames, language="zh"))
    by_pilot = handoff.analyse(prepared, language="en")
    by_frames = handoff.analyse(*frames, data.activities, data.reps, data.outcomes, language="en")
    pd.testing.assert_frame_equal(by_pilot.contacts, by_frames.contacts)
    pd.testing.assert_frame_equal(by_pilot.sleeping, by_frames.sleeping)
    settings = pilot.settings(data.config)
    pd.testing.assert_frame_equal(
        pilot.evaluate(prepared, pilot=settings, n_perm=200).effects,
        pilot.evaluate(*frames, data.reps, pilot=settings, n_perm=200).effects,
    )


def test_the_pilot_stands_where_the_tables_stand(data, prepared) -> None:
    model = scoring.fit_scoring(prepared)
    by_pilot = scoring.score_deals(model, prepared)
    by_frames = scoring.score_deals(
        model, data.deals, data.activities, stage_events=data.stage_events, config=data.config
    )
    pd.testing.assert_frame_equal(by_pilot, by_frames)


def test_what_the_caller_gives_wins_over_the_pilot(data, prepared) -> None:
    won = data.deals[data.deals["status"] == "won"]
    got = intake.deal_completeness(prepared, deals=won)
    assert len(got) == len(won) < len(data.deals)


def test_arguments_after_the_pilot_go_by_keyword(prepared) -> None:
    with pytest.raises(TypeError, match="by keyword"):
        stages.stage_rates(prepared, "segment")


def test_a_pilot_goes_wherever_a_dataset_went(data, prepared) -> None:
    assert prepared.present() == data.present()
    assert prepared.activities is data.activities and prepared.config is data.config
    with pytest.raises(AttributeError):
        prepared.no_such_table  # noqa: B018


def test_a_pilot_as_of_a_moment_cuts_its_journey(data) -> None:
    moment = data.deals["created_at"].quantile(0.5)
    early = Pilot(data, as_of=moment)
    assert early.journey.as_of == pd.Timestamp(moment)
    pd.testing.assert_frame_equal(
        stages.stage_rates(early),
        stages.stage_rates(data.deals, data.stage_events, data.config, as_of=moment),
    )


def test_marking_a_function_without_tables_is_refused() -> None:
    with pytest.raises(TypeError, match="no parameter a Pilot can fill"):
        takes_pilot(lambda x, y: x)


def _public_step_functions() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in sorted(STEPS.rglob("*.py")):
        if path.name == "prepared.py" or path.name == "index.py":
            continue  # the Pilot itself, and the journey index it is built from
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                found.append((str(path.relative_to(STEPS)), node))
    return found


def test_every_step_function_over_the_event_log_takes_a_pilot() -> None:
    """A new step function that reads deals, stage events and the config takes a
    Pilot too, so notebooks never go back to passing frames one by one."""
    missing = []
    for where, node in _public_step_functions():
        names = {a.arg for a in node.args.args + node.args.kwonlyargs}
        if {"deals", "stage_events", "config"} <= names:
            marked = any(ast.unparse(d) == "takes_pilot" for d in node.decorator_list)
            if not marked:
                missing.append(f"{where}:{node.name}")
    assert not missing, f"mark these @takes_pilot: {missing}"
    assert set(FROM_PILOT) >= {"deals", "stage_events", "config", "journey"}


def test_a_marked_function_keeps_its_name_and_signature() -> None:
    assert stages.stage_rates.__name__ == "stage_rates"
    assert "by" in inspect.signature(stages.stage_rates).parameters
    assert getattr(stages.stage_rates, "takes_pilot", False)


def test_steps_over_a_pilot_reuse_its_journey(data, prepare_calls) -> None:
    """Capability, the plan's SLA proposal and the content library read the Pilot's
    journey instead of preparing their own (step 5 used to prepare it three times)."""
    from playbook.steps import capability, content, plan

    fresh = Pilot(data)
    calls = prepare_calls
    study = capability.analyse(fresh, language="en")
    dev = plan.analyse(fresh, study, language="en")
    content.materials_for(fresh, dev.weaknesses)
    content.analyse(fresh, language="en")
    assert len(calls) == 1  # the Pilot's own, on first use
    by_dataset = plan.analyse(data, capability.analyse(data, language="en"), language="en")
    pd.testing.assert_frame_equal(dev.sla, by_dataset.sla)
    assert len(calls) > 1  # a plain Dataset still prepares its own

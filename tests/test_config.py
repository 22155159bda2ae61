"""pilot.yml: defaults, validation errors, and the `playbook init` template."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from playbook.cli import main
from playbook.exceptions import DataError
from playbook.workspace.config import default_config, dump_config, load_config, parse_config
from playbook.workspace.template import PILOT_TEMPLATE


def test_defaults_describe_the_standard_funnel() -> None:
    config = default_config()
    assert config.funnel.ids == ["lead", "intent", "proposal", "negotiation", "signed"]
    assert [s.label_zh for s in config.funnel.stages] == ["线索", "意向", "方案", "谈判", "签约"]
    assert len(config.capability.dimensions) == 6
    assert config.min_group_size == 5 and config.language == "en"
    assert list(config.phases) == ["awareness", "interest", "evaluation", "decision", "execution"]
    alias = config.funnel.alias_map()
    assert alias["closed won"] == "signed" and alias["谈判"] == "negotiation"
    assert alias["qualification"] == "intent"


def test_dump_then_parse_round_trips() -> None:
    config = default_config(language="zh", min_group_size=7)
    again = parse_config(yaml.safe_load(dump_config(config)))
    assert again == config


def test_init_template_is_valid_and_complete() -> None:
    data = yaml.safe_load(PILOT_TEMPLATE)
    config = parse_config(data)
    assert config == default_config(name="my-pilot", timezone="Asia/Shanghai", currency="CNY")


def test_every_invalid_setting_is_reported_at_once() -> None:
    with pytest.raises(DataError) as info:
        parse_config(
            {
                "langauge": "zh",
                "min_group_size": 0,
                "timezone": "Mars/Base",
                "funnel": {"stages": [{"id": "Lead", "label_en": "L", "label_zh": "线"}]},
            }
        )
    text = str(info.value)
    assert "did you mean 'language'" in text
    assert "min_group_size" in text and "greater than or equal to 1" in text
    assert "unknown time zone 'Mars/Base'" in text
    assert "funnel.stages[0].id" in text


def test_alias_used_by_two_stages_is_refused() -> None:
    stages = [
        {"id": "a", "label_en": "A", "label_zh": "甲", "aliases": ["Same"]},
        {"id": "b", "label_en": "B", "label_zh": "乙", "aliases": ["same"]},
    ]
    with pytest.raises(DataError) as info:
        parse_config({"funnel": {"stages": stages}})
    assert "given for both 'a' and 'b'" in str(info.value)


def test_phase_naming_unknown_stage_is_refused() -> None:
    with pytest.raises(DataError) as info:
        parse_config({"phases": {"interest": {"stages": ["leed"]}}})
    assert "phase 'interest' names stage(s) leed" in str(info.value)


def test_missing_config_uses_defaults_named_after_the_folder(tmp_path: Path) -> None:
    ws = tmp_path / "acme"
    ws.mkdir()
    assert load_config(ws).name == "acme"


def test_init_writes_template_workspace(tmp_path: Path, capsys) -> None:
    ws = tmp_path / "new"
    assert main(["init", str(ws)]) == 0
    assert load_config(ws).timezone == "Asia/Shanghai"
    assert (ws / "EXPORT_GUIDE.md").is_file()
    assert (ws / "deals.csv").read_text().startswith("deal_id,created_at,owner_id,status")
    assert main(["init", str(ws)]) == 2
    assert "already exists" in capsys.readouterr().err
    # An empty template is not yet analysable: validate says why, without a traceback.
    assert main(["validate", str(ws)]) == 2
    err = capsys.readouterr().err
    assert "deals.csv: the table has a header but no rows" in err

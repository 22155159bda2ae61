"""Searching the content library: English and Chinese words, short words, ranking, the CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from playbook import cli
from playbook.steps.content.search import build_index, search

LIBRARY = pd.DataFrame(
    {
        "content_id": ["C1", "C2", "C3", "C4", "C5"],
        "type": ["agenda", "agenda", "proposal_template", "email_template", "script"],
        "title": [
            "安全评审会议议程",
            "Security review agenda",
            "ROI proposal",
            "首次联系邮件",
            "Pricing objections",
        ],
        "language": ["zh", "en", "en", "zh", "en"],
        "tags": ["合规, 议程", "security, IT", "roi, finance", "开场", "AI, price"],
        "body": [
            "会前准备：数据安全清单、等保材料。",
            "Agenda for the security review with the customer's IT team.",
            "Return on investment in nine months; security is covered in the annex.",
            "您好，我们是……",
            None,
        ],
    }
)


@pytest.fixture(scope="module")
def index():
    return build_index(LIBRARY)


def _ids(index, query):
    return search(index, query)["content_id"].tolist()


def test_a_two_character_chinese_word_finds_the_longer_word(index):
    assert _ids(index, "安全") == ["C1"]  # 安全评审 in the title ranks the item first
    assert _ids(index, "安全评审") == ["C1"]
    assert _ids(index, "评审") == ["C1"]
    assert _ids(index, "等保") == ["C1"]  # found in the text only


def test_english_words_all_must_match_and_titles_rank_before_texts(index):
    assert _ids(index, "security") == ["C2", "C3"]  # title and text before text only
    assert _ids(index, "security review") == ["C2"]
    assert _ids(index, "SECUR") == ["C2", "C3"]  # case and word parts
    assert _ids(index, "AI") == ["C5"]  # two letters: a substring, here in the tags
    assert _ids(index, "nothing like this") == []
    assert _ids(index, "") == []


def test_results_carry_relevance_and_an_excerpt_around_the_match(index):
    found = search(index, "investment")
    assert found.loc[0, "content_id"] == "C3" and found.loc[0, "relevance"] == 1.0
    assert "investment" in found.loc[0, "excerpt"]
    assert list(found.columns) == [
        "content_id",
        "type",
        "title",
        "language",
        "tags",
        "relevance",
        "excerpt",
    ]


def test_the_substring_fallback_agrees_with_the_index(index):
    """Without FTS5 (an SQLite built without it) every word is matched as a substring."""
    plain = build_index(LIBRARY)
    plain.connection = None
    for query in ("安全评审", "security", "security review", "investment", "议程"):
        assert _ids(plain, query) == _ids(index, query), query


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory):
    from playbook.sample import generate

    folder = tmp_path_factory.mktemp("content") / "ws"
    generate(folder, seed=3, deals=1500)
    return folder


def test_cli_finds_items_by_chinese_and_english_words_with_their_effect(sample_ws, capsys):
    assert cli.main(["-q", "content", str(sample_ws), "--search", "安全"]) == 0
    out = capsys.readouterr().out
    assert "CT-12" in out and "安全评审会议议程" in out
    assert cli.main(["-q", "content", str(sample_ws), "--search", "ROI proposal", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found[0]["content_id"] == "CT-09" and "Proposal" in found[0]["effects"]


def test_cli_without_a_content_table_exits_2(tiny_workspace, capsys):
    assert cli.main(["content", str(tiny_workspace), "--search", "x"]) == 2
    assert "no content table" in capsys.readouterr().err

"""The ``content`` planting of the sample company (:mod:`playbook.sample`): a content library.

The sample writes ``content.csv`` (fourteen e-mail templates, call scripts, proposal
templates, agendas and a case study, in English and Chinese; one item's text lives in a
Markdown file named by ``path``) and a ``content_id`` on the sales activities that used one.

How items are used: for each deal and each stage it worked (lead to negotiation) with at
least one sales call, e-mail, meeting, demo or review there, the rep used an item of that
stage with probability ``USE_SHARE``, named on the first such activity. The item is drawn
from the stage's items; with the planting on, the draw leans on how the deal's stay at the
stage ended, so that the winner's odds of advancing are ``WINNER_ODDS`` times the other
items' and the problem item's ``PROBLEM_ODDS`` times (a draw proportional to the odds among
deals that advanced, uniform among the others, gives exactly these odds ratios). Deals and
their stage events are never changed: every other table, and every other step's numbers,
stay as they are. Without the planting the draw is uniform: content makes no difference.

Every random draw comes from its own stream (:func:`stream`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

NAME = "content"
WINNER, WINNER_STAGE, WINNER_ODDS = "CT-09", 2, 3.0  # proposal -> negotiation
PROBLEM, PROBLEM_STAGE, PROBLEM_ODDS = "CT-06", 1, 0.35  # intent -> proposal
USE_SHARE = 0.6
#: The file of the one item whose text is given by ``path`` (inside the workspace).
MARKDOWN_PATH = "content/discovery_questions.md"
#: Activity types that can carry a content item (sales work at a stage).
CARRIERS = ("email", "call", "meeting", "demo", "review")
STAGE_IDS = ("lead", "intent", "proposal", "negotiation")

# id, type, stage, language, title, tags, body
ITEMS: list[tuple[str, str, int, str, str, str, str]] = [
    (
        "CT-01",
        "email_template",
        0,
        "en",
        "First contact: a customer story opener",
        "first contact, e-mail, story",
        "Hello {name}, companies like yours cut their month-end close by a third with us. "
        "Could we show you how in twenty minutes this week?",
    ),
    (
        "CT-02",
        "script",
        0,
        "zh",
        "首次联系电话话术",
        "首次联系, 电话, 开场",
        "您好，我是{公司}的顾问。我们帮助同行业客户把交付周期缩短了三分之一，想请教您目前的流程。",
    ),
    (
        "CT-03",
        "email_template",
        0,
        "en",
        "Follow-up after a webinar",
        "webinar, follow-up",
        "Thank you for joining our webinar. Here are the slides and three questions to start.",
    ),
    (
        "CT-04",
        "script",
        1,
        "en",
        "Discovery call: six questions",
        "discovery, needs, questions",
        "",
    ),
    (
        "CT-05",
        "agenda",
        1,
        "zh",
        "需求调研会议议程",
        "需求, 调研, 议程",
        "一、业务现状与目标；二、关键痛点；三、决策流程与时间表；四、预算范围；五、下一步。",
    ),
    (
        "CT-06",
        "script",
        1,
        "en",
        "Discount-first pitch",
        "price, discount, pitch",
        "Open with our limited-time discount: 20% off if you sign this quarter. Mention the "
        "price before the problem.",
    ),
    (
        "CT-07",
        "email_template",
        1,
        "zh",
        "需求确认邮件",
        "需求, 确认, 邮件",
        "感谢您的时间。以下是我们理解的三项核心需求，请您确认或补充。",
    ),
    (
        "CT-08",
        "proposal_template",
        2,
        "en",
        "Standard proposal",
        "proposal, standard",
        "Scope, timeline, team and price, in our standard structure.",
    ),
    (
        "CT-09",
        "proposal_template",
        2,
        "en",
        "ROI-led proposal with the customer's numbers",
        "proposal, ROI, value, business case",
        "Start from the customer's own figures: the cost of today's process, the saving per "
        "month, payback in months. Then scope and price, tied to the business case.",
    ),
    (
        "CT-10",
        "proposal_template",
        2,
        "zh",
        "方案模板：标准版",
        "方案, 标准",
        "项目范围、实施计划、团队配置与报价。",
    ),
    (
        "CT-11",
        "case_study",
        2,
        "zh",
        "案例：制造业上线回顾",
        "案例, 制造业, 上线",
        "某制造企业在 40 个工厂上线，三个月完成切换，库存周转提升 18%。",
    ),
    (
        "CT-12",
        "agenda",
        3,
        "zh",
        "安全评审会议议程",
        "安全评审, 合规, 议程",
        "会前准备：数据安全评审清单、等保材料、合同条款。会议：信息安全团队答疑，明确整改项与时间。",
    ),
    (
        "CT-13",
        "agenda",
        3,
        "en",
        "Negotiation meeting agenda",
        "negotiation, agenda",
        "Recap of value, open points, commercial terms, decision and signature plan.",
    ),
    (
        "CT-14",
        "email_template",
        3,
        "en",
        "Security review follow-up",
        "security, review",
        "Attached are the answers to your security questionnaire and our certifications.",
    ),
]
MARKDOWN_ITEM = "CT-04"
MARKDOWN_TEXT = (
    "# Discovery call: six questions\n\n"
    "1. What made this a priority now?\n2. How do you do it today?\n"
    "3. What does it cost you?\n4. Who else is involved in the decision?\n"
    "5. What would success look like in six months?\n6. What could stop it?\n"
)


def stream(seed: int) -> np.random.Generator:
    """The planting's own random stream (the generator's others are left untouched)."""
    return np.random.default_rng(np.random.SeedSequence(int(seed)).spawn(12)[11])


def odds_of(on: bool) -> dict[str, float]:
    """Each item's planted odds ratio of advancing (1 for every item when switched off)."""
    if not on:
        return {}
    return {WINNER: WINNER_ODDS, PROBLEM: PROBLEM_ODDS}


def content_table(created: str) -> pd.DataFrame:
    """The library as written to ``content.csv``."""
    rows = []
    for cid, kind, _, language, title, tags, body in ITEMS:
        path = MARKDOWN_PATH if cid == MARKDOWN_ITEM else ""
        rows.append(
            {
                "content_id": cid,
                "type": kind,
                "title": title,
                "language": language,
                "body": "" if path else body,
                "path": path,
                "tags": tags,
                "owner": "M01" if kind in ("email_template", "case_study") else "OPS01",
                "created_at": created,
            }
        )
    return pd.DataFrame(rows)


def assign(
    rng: np.random.Generator,
    deal: np.ndarray,
    time: np.ndarray,
    kind: np.ndarray,
    sales: np.ndarray,
    entry: np.ndarray,
    on: bool,
) -> np.ndarray:
    """The ``content_id`` of each activity ("" when none), activities in the written order.

    Parameters
    ----------
    deal, time, kind, sales : per activity: deal index, time (days), type name, whether a
        sales-team activity.
    entry : (deals, 5) time each deal entered each stage (NaN: never).
    """
    n = len(deal)
    out = np.full(n, "", dtype=object)
    stage = (entry[deal] <= time[:, None]).sum(axis=1) - 1  # the stage the deal was in
    carries = sales & np.isin(kind, CARRIERS) & (stage >= 0) & (stage < len(STAGE_IDS))
    rows = np.flatnonzero(carries)
    key = deal[rows] * 8 + stage[rows]
    _, first = np.unique(key, return_index=True)  # first carrier per deal and stage (sorted)
    rows = rows[np.sort(first)]
    used = rng.random(rows.size) < USE_SHARE
    u = rng.random(rows.size)
    advanced = np.isfinite(entry[deal[rows], stage[rows] + 1])
    odds = odds_of(on)
    for s in range(len(STAGE_IDS)):
        ids = [i[0] for i in ITEMS if i[2] == s]
        weights = np.array([odds.get(i, 1.0) for i in ids])
        for went, w in ((True, weights), (False, np.ones(len(ids)))):
            sel = used & (stage[rows] == s) & (advanced == went)
            cdf = np.cumsum(w / w.sum())
            cdf[-1] = 1.0
            out[rows[sel]] = np.asarray(ids, dtype=object)[np.searchsorted(cdf, u[sel], "right")]
    return out


def truth(
    content_ids: np.ndarray,
    deal: np.ndarray,
    time: np.ndarray,
    entry: np.ndarray,
    lost_stage: np.ndarray,
    on: bool,
) -> dict[str, Any]:
    """The planting's entry in ``truth.json``: the planted items and what the data shows."""
    used = content_ids != ""
    stage = (entry[deal] <= time[:, None]).sum(axis=1) - 1
    observed = {}
    for cid, s in ((WINNER, WINNER_STAGE), (PROBLEM, PROBLEM_STAGE)):
        d = deal[used & (stage == s)]
        mine = content_ids[used & (stage == s)] == cid
        advanced = np.isfinite(entry[d, s + 1])
        resolved = advanced | (lost_stage[d] == s)
        observed[cid] = {
            "rate": _rate(mine & advanced, mine & resolved),
            "other_items_rate": _rate(~mine & advanced, ~mine & resolved),
        }
    return {
        "winner": {
            "content_id": WINNER,
            "stage": STAGE_IDS[WINNER_STAGE],
            "odds_ratio": WINNER_ODDS if on else 1.0,
        },
        "problem": {
            "content_id": PROBLEM,
            "stage": STAGE_IDS[PROBLEM_STAGE],
            "odds_ratio": PROBLEM_ODDS if on else 1.0,
        },
        "use_share": USE_SHARE,
        "items": len(ITEMS),
        "markdown_item": {"content_id": MARKDOWN_ITEM, "path": MARKDOWN_PATH},
        "observed": observed,
    }


def _rate(advanced: np.ndarray, resolved: np.ndarray) -> float | None:
    n = int(resolved.sum())
    return round(float(advanced.sum() / n), 4) if n else None

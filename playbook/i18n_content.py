"""The content library's texts (step 8, the plan's materials, search), in English and Chinese.

Merged into :data:`playbook.i18n.TEXT`; ``tests/test_i18n.py`` checks every key there.
"""

from __future__ import annotations

CONTENT_TEXT: dict[str, dict[str, str]] = {
    "08_content_library": {"en": "8 · Content library", "zh": "8 · 内容库"},
    "kind_content_effect": {"en": "content effect", "zh": "内容效果"},
    "content_finding_winner": {
        "en": "'{title}' ({id}) at {stage}: deals that used it advanced {observed} of the time, "
        "against {baseline} with the other items for the same reps and segments (n = {n}; odds "
        "ratio {odds}, 95% CI {low}–{high}). A winner: share it as the model for this stage.",
        "zh": "“{title}”（{id}）在{stage}阶段：使用它的商机推进率为 {observed}，同一销售、同一行业"
        "使用其他内容时为 {baseline}（n = {n}；优势比 {odds}，95% 置信区间 {low}–{high}）。"
        "效果突出：可作为该阶段的范本推广。",
    },
    "content_finding_problem": {
        "en": "'{title}' ({id}) at {stage}: deals that used it advanced only {observed} of the "
        "time, against {baseline} with the other items for the same reps and segments (n = {n}; "
        "odds ratio {odds}, 95% CI {low}–{high}). A problem item: revise or retire it.",
        "zh": "“{title}”（{id}）在{stage}阶段：使用它的商机推进率仅 {observed}，同一销售、同一行业"
        "使用其他内容时为 {baseline}（n = {n}；优势比 {odds}，95% 置信区间 {low}–{high}）。"
        "问题内容：建议修改或停用。",
    },
    "content_verdict_winner": {"en": "winner", "zh": "效果突出"},
    "content_verdict_problem": {"en": "problem: revise or retire", "zh": "问题内容：修改或停用"},
    "content_verdict_no_difference": {"en": "no clear difference", "zh": "无明显差异"},
    "content_verdict_too_few": {"en": "too few deals to judge", "zh": "商机太少，无法判断"},
    "content_verdict_unused": {"en": "not used", "zh": "未使用"},
    "content_no_table": {
        "en": "This workspace has no content table, so there is no library to measure: add "
        "content.csv (content_id, type, title, body or path, tags) and a content_id column in "
        "activities naming the item each activity used.",
        "zh": "该工作区没有内容表，无法评估内容库：请添加 content.csv（content_id、type、title、"
        "body 或 path、tags），并在活动表中添加 content_id 列，注明每次活动使用的内容。",
    },
    "content_no_uses": {
        "en": "The content table lists {n} items, but no activity names one "
        "(activities.content_id), so their effect cannot be measured; the library below is "
        "still searchable.",
        "zh": "内容表中有 {n} 项内容，但没有活动注明使用了哪一项（activities.content_id），"
        "因此无法评估效果；下方内容库仍可检索。",
    },
    "content_summary": {
        "en": "{items} items; {used} were used on {deals} deals. {tested} item-stage pairs had "
        "enough deals to be judged: {winners} winners, {problems} problem items.",
        "zh": "共 {items} 项内容，其中 {used} 项用于 {deals} 个商机。有 {tested} 个“内容 × 阶段”"
        "组合的商机数足以评估：效果突出 {winners} 项，问题内容 {problems} 项。",
    },
    "content_nothing_claimed": {
        "en": "No item converts credibly better or worse than the other items at its stage, for "
        "the same reps and segments: nothing is claimed.",
        "zh": "在同一销售、同一行业内，没有任何内容的推进率可信地高于或低于同阶段的其他内容："
        "不作结论。",
    },
    "content_users_hidden": {
        "en": "fewer than {k} users",
        "zh": "使用者少于 {k} 人",
    },
    "content_no_winners_for_weakness": {
        "en": "No winning content item is known yet for the stages these reps are weak at.",
        "zh": "这些销售的短板阶段目前还没有效果突出的内容可推荐。",
    },
    "content_search_none": {
        "en": "Nothing found for '{query}'.",
        "zh": "未找到与“{query}”相关的内容。",
    },
    "content_search_prompt": {
        "en": "Search titles, tags and texts (English or Chinese)",
        "zh": "检索标题、标签与正文（中英文均可）",
    },
    "content_search_placeholder": {"en": "e.g. security review", "zh": "例如：安全评审"},
    "content_search_results": {"en": "Items found: {n}", "zh": "找到 {n} 项内容"},
    "content_tab_intro": {
        "en": "The whole company's content library: every item with its measured effect at the "
        "stage where it was used (compared with the other items for the same reps and segments). "
        "The filters above do not apply here.",
        "zh": "全公司的内容库：每项内容及其在使用阶段的实测效果（与同一销售、同一行业使用的其他内容"
        "相比）。上方的筛选条件不作用于此页。",
    },
    "explore_tab_content": {"en": "Content library", "zh": "内容库"},
    "col_content_id": {"en": "Item", "zh": "内容编号"},
    "col_compared": {"en": "Deals compared", "zh": "参与比较的商机"},
    "col_difference": {"en": "Difference (points)", "zh": "差值（百分点）"},
    "col_odds_ratio": {"en": "Odds ratio", "zh": "优势比"},
    "col_or_low": {"en": "OR 95% low", "zh": "优势比下限"},
    "col_or_high": {"en": "OR 95% high", "zh": "优势比上限"},
    "col_q_value": {"en": "q (BH)", "zh": "q 值（BH）"},
    "col_verdict": {"en": "Verdict", "zh": "结论"},
    "col_type": {"en": "Type", "zh": "类型"},
    "col_title": {"en": "Title", "zh": "标题"},
    "col_language": {"en": "Language", "zh": "语言"},
    "col_tags": {"en": "Tags", "zh": "标签"},
    "col_uses": {"en": "Uses", "zh": "使用次数"},
    "col_users": {"en": "Users", "zh": "使用人数"},
    "col_top_users": {"en": "Used most by", "zh": "最常使用者"},
    "col_excerpt": {"en": "Text (start)", "zh": "正文（开头）"},
    "col_body": {"en": "Text", "zh": "正文"},
    "col_effects": {"en": "Measured effect", "zh": "实测效果"},
    "col_relevance": {"en": "Relevance", "zh": "相关度"},
}

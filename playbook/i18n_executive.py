"""Texts of the executive summary, the scorecard, the exports and the week's workflow.

Merged into :data:`playbook.i18n.TEXT`; ``tests/test_i18n.py`` checks every key there.
"""

from __future__ import annotations

EXECUTIVE_TEXT: dict[str, dict[str, str]] = {
    # executive summary
    "exec_title": {"en": "Executive summary", "zh": "管理层摘要"},
    "exec_intro": {
        "en": "The problems that cost the most, ranked by money at stake per month. Money at "
        "stake follows the growth formula over each finding's reach; the expected gain is the "
        "part of the gap its 95% interval is sure of.",
        "zh": "按每月涉及金额排序的最关键问题。涉及金额按增长公式乘以每项发现覆盖的商机计算；"
        "预期收益只计入 95% 置信区间能确认的那部分差距。",
    },
    "exec_none": {
        "en": "No problem passed the evidence standard: see what was checked and found clean "
        "below.",
        "zh": "没有问题通过证据标准：下方列出已检查且健康的环节。",
    },
    "exec_few": {
        "en": "Only {n} problem(s) passed the evidence standard; the playbook does not fill the "
        "list with weaker ones.",
        "zh": "仅有 {n} 个问题通过证据标准；不会用证据不足的问题凑数。",
    },
    "exec_at_stake": {"en": "At stake", "zh": "涉及金额"},
    "exec_per_month": {"en": "{amount} {currency}/month", "zh": "每月 {amount} {currency}"},
    "exec_deals_per_month": {"en": "{amount} won deals/month", "zh": "每月 {amount} 个赢单"},
    "exec_owner": {"en": "Owner", "zh": "负责人"},
    "exec_action": {"en": "Action", "zh": "行动"},
    "exec_gain": {"en": "Expected gain if it works", "zh": "若见效的预期收益"},
    "exec_details": {
        "en": "{n} related finding(s) are shown with it below.",
        "zh": "另有 {n} 项相关发现并入下方同组。",
    },
    "exec_slice_team": {"en": "team {value}", "zh": "{value} 团队"},
    "exec_slice_competency": {"en": "competency {value}", "zh": "能力项 {value}"},
    "exec_slice_other": {"en": "{dimension} {value}", "zh": "{dimension} {value}"},
    "exec_slice_company": {"en": "the whole company", "zh": "全公司"},
    "exec_owner_team": {"en": "sales manager of team {value}", "zh": "{value} 团队销售经理"},
    "exec_owner_line_manager": {"en": "the reps' line managers", "zh": "相关销售的直属经理"},
    "exec_owner_enablement": {"en": "sales enablement lead", "zh": "销售赋能负责人"},
    "exec_owner_crm": {"en": "CRM administrator", "zh": "CRM 管理员"},
    "exec_owner_slice": {
        "en": "head of {dimension} {value}",
        "zh": "{dimension} {value} 负责人",
    },
    "exec_owner_stage": {"en": "owner of the {stage} stage", "zh": "{stage}阶段负责人"},
    "exec_owner_sales_lead": {"en": "head of sales", "zh": "销售负责人"},
    "exec_no_module": {"en": "a targeted coaching module", "zh": "针对性辅导模块"},
    "exec_action_bottleneck": {
        "en": "Review every open {stage} deal of {where} weekly and train its reps in "
        "'{module}' (plan step).",
        "zh": "每周复盘 {where} 所有处于{stage}阶段的在途商机，并安排相关销售学习“{module}”"
        "（见发展计划）。",
    },
    "exec_action_slow_handoff": {
        "en": "Set a first-contact rota for {where} against the SLA and roll out "
        "'{module}' (plan step).",
        "zh": "为 {where} 按 SLA 排定首次联系值班，并推行“{module}”（见发展计划）。",
    },
    "exec_action_sleeping_leads": {
        "en": "Re-contact the sleeping leads of {where} this week, then keep them moving with "
        "'{module}' (plan step).",
        "zh": "本周内重新联系 {where} 的沉睡线索，再以“{module}”（见发展计划）保持跟进。",
    },
    "exec_action_capability_gap": {
        "en": "Train {where} with '{module}' and pair reps with the consistent strong "
        "converters (plan step).",
        "zh": "针对{where}开展“{module}”培训，并与稳定高转化者结对（见发展计划）。",
    },
    "exec_action_other": {
        "en": "Review {where} with its owner and agree a fix.",
        "zh": "与负责人一起复盘{where}并商定改进措施。",
    },
    # checked and clean
    "exec_clean_title": {"en": "Checked and clean", "zh": "已检查且健康"},
    "exec_clean_intro": {
        "en": "Tested with the same evidence standard and found healthy: no slice lags here.",
        "zh": "以同样的证据标准检验后未发现问题的环节。",
    },
    "exec_clean_stage": {
        "en": "{stage} → {to}: {rate} advance (n={n}); no slice lags once the others are held "
        "fixed.",
        "zh": "{stage} → {to}：推进率 {rate}（n={n}）；控制其他切片后没有落后的切片。",
    },
    "exec_clean_first_contact": {
        "en": "First contact: {rate} within the SLA (n={n}); no team or rep is clearly slower.",
        "zh": "首次联系：{rate} 在 SLA 内（n={n}）；没有明显更慢的团队或销售。",
    },
    "exec_clean_sleeping": {
        "en": "Sleeping leads: {rate} of open deals (n={n}); no slice holds clearly more.",
        "zh": "沉睡线索：占在途商机 {rate}（n={n}）；没有切片明显更多。",
    },
    "exec_clean_team": {
        "en": "Team {team} ({reps} reps): no finding.",
        "zh": "{team} 团队（{reps} 名销售）：无问题发现。",
    },
    "exec_clean_none": {
        "en": "Nothing was tested clean in this report.",
        "zh": "本报告中没有检验为健康的环节。",
    },
    # scorecard
    "score_title": {"en": "KPI scorecard", "zh": "KPI 记分卡"},
    "score_target": {"en": "Target", "zh": "目标"},
    "score_previous": {"en": "Last period", "zh": "上期"},
    "score_change": {"en": "Change", "zh": "变化"},
    "score_all_kpis": {
        "en": "Every KPI with its n and interval is in summary.json and the step pages.",
        "zh": "所有 KPI 及其 n 与置信区间见 summary.json 和各章节页面。",
    },
    # grouped findings
    "groups_title": {"en": "Findings, grouped", "zh": "问题发现（分组）"},
    "groups_related": {"en": "Same cause", "zh": "同一原因"},
    "groups_members": {
        "en": "Reps of this team with the same finding ({n})",
        "zh": "本团队存在同类问题的销售（{n} 人）",
    },
    "groups_more": {
        "en": "{n} more groups are in summary.json and the step pages.",
        "zh": "另有 {n} 组见 summary.json 和各章节页面。",
    },
    # what changed (monthly)
    "changed_title": {"en": "What changed since last month", "zh": "与上月相比的变化"},
    "changed_new": {"en": "New findings", "zh": "新增问题"},
    "changed_resolved": {"en": "Resolved findings", "zh": "已解决问题"},
    "changed_kpis": {"en": "KPI moves", "zh": "KPI 变化"},
    "changed_nothing": {"en": "none", "zh": "无"},
    "changed_first": {
        "en": "No report of last month to compare with: this is the first.",
        "zh": "没有上月报告可比较：这是第一期。",
    },
    # exports
    "export_title_slide": {"en": "Sales conversion diagnosis", "zh": "销售转化诊断"},
    "export_problem": {"en": "Problem {i}", "zh": "问题 {i}"},
    "export_pilot": {"en": "Pilot: verdict and design", "zh": "试点：结论与设计"},
    "export_no_pilot": {
        "en": "No pilot finding in this report.",
        "zh": "本报告没有试点结论。",
    },
    "export_next_steps": {"en": "Next steps", "zh": "下一步"},
    "export_next_owner": {"en": "{owner}: {action}", "zh": "{owner}：{action}"},
    "export_clean": {"en": "What is fine", "zh": "健康的环节"},
    "export_design": {"en": "Design: {design}", "zh": "设计：{design}"},
    "export_design_randomised": {"en": "randomised", "zh": "随机分组"},
    "export_design_difference_in_differences": {
        "en": "difference-in-differences",
        "zh": "双重差分",
    },
    "export_design_post_only": {"en": "post-only comparison", "zh": "仅试点后比较"},
    "export_period": {"en": "{start} to {end}", "zh": "{start} 至 {end}"},
    "export_col_problem": {"en": "Problem", "zh": "问题"},
    "export_figure_missing": {
        "en": "(no figure for this finding)",
        "zh": "（该发现没有配图）",
    },
    # assessment form
    "form_instructions": {"en": "How to fill", "zh": "填写说明"},
    "form_rep_id": {"en": "rep_id", "zh": "rep_id"},
    "form_help": {
        "en": "One sheet per team. For each rep, pick a competency and a score from the "
        "drop-downs ({low}–{high}), one row per competency; add the date and who assessed. "
        "Save the file as assessment_form.xlsx in the workspace, then run playbook validate.",
        "zh": "每个团队一个工作表。每位销售每项能力一行：从下拉列表选择能力项和分数"
        "（{low}–{high}），填写评估日期和评估人。保存为工作区中的 assessment_form.xlsx，"
        "然后运行 playbook validate。",
    },
    "form_competencies": {"en": "Competencies", "zh": "能力项"},
}

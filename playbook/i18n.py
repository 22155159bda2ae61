"""Every user-facing string of the report, in English and Chinese, in one place.

``tests/test_i18n.py`` fails when a key lacks either language.
"""

from __future__ import annotations

LANGUAGES = ("en", "zh")

TEXT: dict[str, dict[str, str]] = {
    "report_title": {"en": "Conversion Playbook — {name}", "zh": "销售转化诊断 — {name}"},
    "generated": {
        "en": "Run {run_id} · {deals} deals · {start} to {end}",
        "zh": "运行 {run_id} · {deals} 个商机 · {start} 至 {end}",
    },
    "headline_kpis": {"en": "Headline KPIs", "zh": "核心指标"},
    "top_findings": {"en": "Top findings", "zh": "主要发现"},
    "no_findings": {
        "en": "No finding passed the evidence standard.",
        "zh": "没有发现通过证据标准的问题。",
    },
    "steps": {"en": "Report sections", "zh": "报告章节"},
    "step_failed": {"en": "failed", "zh": "失败"},
    "step_ok": {"en": "ok", "zh": "完成"},
    "kpi": {"en": "KPI", "zh": "指标"},
    "value": {"en": "Value", "zh": "数值"},
    "interval": {"en": "95% interval", "zh": "95% 置信区间"},
    "severity": {"en": "Severity", "zh": "严重程度"},
    "finding": {"en": "Finding", "zh": "发现"},
    "back_to_index": {"en": "← Back to the overview", "zh": "← 返回总览"},
    "alerts_count": {"en": "{n} alerts in alerts.csv", "zh": "alerts.csv 中共 {n} 条预警"},
    # step titles
    "00_data_intake": {"en": "0 · Data intake", "zh": "0 · 数据盘点"},
    "01_journey_map": {"en": "1 · Journey map", "zh": "1 · 客户旅程"},
    "02_stage_rates": {"en": "2 · Stage conversion", "zh": "2 · 阶段转化"},
    "03_handoffs": {"en": "3 · Handoffs and SLAs", "zh": "3 · 协同交接与 SLA"},
    "04_capability_radar": {"en": "4 · Capability radar", "zh": "4 · 能力雷达"},
    "05_development_plan": {"en": "5 · Development plan", "zh": "5 · 发展计划"},
    "06_lead_scoring": {"en": "6 · Lead scoring and alerts", "zh": "6 · 线索评分与预警"},
    "07_pilot_evaluation": {"en": "7 · Pilot evaluation", "zh": "7 · 试点评估"},
    # KPI names
    "kpi_deals": {"en": "Deals", "zh": "商机数"},
    "kpi_win_rate": {"en": "Win rate (resolved deals)", "zh": "赢单率（已结案）"},
    "kpi_open_deals": {"en": "Open deals", "zh": "进行中商机"},
    "kpi_won_revenue": {"en": "Won revenue", "zh": "赢单金额"},
    "kpi_median_cycle_days": {"en": "Median cycle (days, won)", "zh": "成交周期中位数（天）"},
    "kpi_record_completeness": {"en": "Record completeness", "zh": "记录完整度"},
    # intake
    "intake_inventory": {"en": "Inventory", "zh": "数据清单"},
    "intake_missing_table": {
        "en": "Table '{table}' was not provided: {what} cannot be measured.",
        "zh": "未提供表 '{table}'：无法分析{what}。",
    },
    "intake_quality": {"en": "Data quality", "zh": "数据质量"},
    "intake_completeness_rep": {"en": "Record completeness by rep", "zh": "销售个人记录完整度"},
    "intake_completeness_team": {"en": "Record completeness by team", "zh": "团队记录完整度"},
    "intake_suppressed": {
        "en": "{n} team(s) with fewer than {k} reps are merged into 'other teams' to protect "
        "individuals.",
        "zh": "{n} 个人数少于 {k} 人的团队合并为“其他团队”，以保护个人隐私。",
    },
    "intake_note": {"en": "Note: {note}", "zh": "注意：{note}"},
    "other_teams": {"en": "other teams", "zh": "其他团队"},
    "col_table": {"en": "table", "zh": "表"},
    "col_file": {"en": "file", "zh": "文件"},
    "col_rows": {"en": "rows", "zh": "行数"},
    "col_columns": {"en": "columns", "zh": "列数"},
    "col_first": {"en": "first", "zh": "最早"},
    "col_last": {"en": "last", "zh": "最晚"},
    "col_check": {"en": "check", "zh": "检查项"},
    "col_count": {"en": "count", "zh": "数量"},
    "col_share": {"en": "share", "zh": "占比"},
    "col_completeness": {"en": "completeness", "zh": "完整度"},
    "col_deals": {"en": "deals", "zh": "商机数"},
    "col_reps": {"en": "reps", "zh": "人数"},
    "col_team": {"en": "team", "zh": "团队"},
    "col_rep": {"en": "rep", "zh": "销售"},
    # journey and stage rates
    "col_from": {"en": "from", "zh": "从"},
    "col_to": {"en": "to", "zh": "到"},
    "col_stage": {"en": "stage", "zh": "阶段"},
    "col_entered": {"en": "entered", "zh": "进入"},
    "col_advanced": {"en": "advanced", "zh": "推进"},
    "col_lost": {"en": "lost", "zh": "丢单"},
    "col_open": {"en": "open", "zh": "进行中"},
    "col_won": {"en": "won", "zh": "赢单"},
    "col_skipped": {"en": "skipped", "zh": "跳过"},
    "col_repeated": {"en": "repeated", "zh": "重复进入"},
    "col_rate": {"en": "rate", "zh": "转化率"},
    "col_ci_low": {"en": "95% low", "zh": "95% 下限"},
    "col_ci_high": {"en": "95% high", "zh": "95% 上限"},
    "col_mature_n": {"en": "n (resolved)", "zh": "样本数（已定结果）"},
    "col_immature": {"en": "still in window", "zh": "仍在窗口期"},
    "col_immature_cohort": {"en": "provisional", "zh": "暂定（未成熟）"},
    "col_median_dwell_days": {"en": "median days", "zh": "停留天数中位数"},
    "col_p90_dwell_days": {"en": "p90 days", "zh": "停留天数 P90"},
    "col_path": {"en": "path", "zh": "路径"},
    "col_won_share": {"en": "won share", "zh": "赢单占比"},
    "col_cohort": {"en": "cohort", "zh": "批次"},
    "col_lost_reason": {"en": "lost reason", "zh": "丢单原因"},
    "col_share_of_stage": {"en": "share of stage", "zh": "占该阶段"},
    "col_share_of_lost": {"en": "share of lost", "zh": "占全部丢单"},
    "col_amount": {"en": "amount", "zh": "金额"},
    "col_revenue": {"en": "revenue / month", "zh": "月收入"},
    "col_gain_points": {"en": "gain at +1 pt", "zh": "提升 1 个百分点的收益"},
    "col_gain_relative": {"en": "gain at +10%", "zh": "相对提升 10% 的收益"},
    "col_severity": {"en": "severity", "zh": "严重程度"},
    "col_evidence": {"en": "evidence", "zh": "证据"},
    "col_dimension": {"en": "dimension", "zh": "维度"},
    "col_value": {"en": "slice", "zh": "切片"},
    "col_observed": {"en": "observed", "zh": "观测值"},
    "col_baseline": {"en": "elsewhere", "zh": "其他"},
    "col_p_value": {"en": "adjusted p", "zh": "校正后 p 值"},
    "col_factor": {"en": "factor", "zh": "因素"},
    "col_contribution": {"en": "contribution", "zh": "贡献"},
    "col_period": {"en": "period", "zh": "期间"},
    "col_phase": {"en": "phase", "zh": "阶段组"},
    "col_activities": {"en": "activities", "zh": "活动数"},
    "col_median_days_from_created": {"en": "median days after creation", "zh": "创建后天数中位数"},
    "col_top_activity_types": {"en": "main activity types", "zh": "主要活动类型"},
    "col_group": {"en": "group", "zh": "组别"},
    "fig_journey_map": {"en": "How deals move through the funnel", "zh": "商机在漏斗中的流转"},
    "fig_dwell": {
        "en": "Days spent in each stage (completed visits)",
        "zh": "各阶段停留天数（已离开的访问）",
    },
    "fig_funnel": {"en": "Stage conversion with 95% intervals", "zh": "阶段转化率及 95% 置信区间"},
    "fig_advance_curves": {
        "en": "Share advanced within t days of entering the stage",
        "zh": "进入阶段后 t 天内推进的比例",
    },
    "fig_heatmap": {
        "en": "Stage conversion by {dimension} (outlined: credible bottleneck)",
        "zh": "按{dimension}的阶段转化率（加框：可信瓶颈）",
    },
    "fig_waterfall": {
        "en": "What moved revenue from {start} to {end}",
        "zh": "从 {start} 到 {end} 收入变化的来源",
    },
    "legend_entered": {"en": "entered", "zh": "进入"},
    "legend_lost": {"en": "lost", "zh": "丢单"},
    "legend_open": {"en": "still open", "zh": "进行中"},
    "legend_skip": {"en": "skipped ahead", "zh": "跳过阶段"},
    "legend_regress": {"en": "went back", "zh": "回退"},
    "dwell_median": {"en": "median {days} d", "zh": "中位 {days} 天"},
    "axis_days": {"en": "days", "zh": "天"},
    "axis_rate": {"en": "conversion", "zh": "转化率"},
    "axis_share_advanced": {"en": "share advanced", "zh": "已推进比例"},
    "axis_revenue": {"en": "revenue", "zh": "收入"},
    "factor_leads": {"en": "leads", "zh": "线索数"},
    "factor_frequency": {"en": "deals per account", "zh": "客户购买频次"},
    "factor_aov": {"en": "order value", "zh": "客单价"},
    "factor_rate": {"en": "{from_} → {to}", "zh": "{from_} → {to}"},
    "focus_group": {"en": "{dimension} = {value}", "zh": "{dimension} = {value}"},
    "focus_rest": {"en": "rest of the company", "zh": "公司其他部分"},
    "focus_none": {
        "en": "No strategic focus is set in pilot.yml (focus.value).",
        "zh": "pilot.yml 中未设置战略重点（focus.value）。",
    },
    "no_decomposition": {
        "en": "Not enough mature months to decompose revenue.",
        "zh": "成熟月份不足，无法分解收入变化。",
    },
    "fig_completeness": {
        "en": "Record completeness by rep (share of key fields filled)",
        "zh": "销售个人记录完整度（关键字段填写比例）",
    },
}

#: What each optional table enables (for "not provided" notes).
TABLE_PURPOSE = {
    "activities": {
        "en": "handoff speed, SLAs and sleeping leads",
        "zh": "交接速度、SLA 与沉睡线索",
    },
    "reps": {"en": "team and role views", "zh": "团队与角色视图"},
    "assessments": {"en": "the capability radar", "zh": "能力雷达"},
    "outcomes": {"en": "post-sale delivery and renewal", "zh": "售后交付与续约"},
}


def t(key: str, language: str = "en", **values: object) -> str:
    """The text for ``key`` in ``language``, formatted with ``values``."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}")
    try:
        text = TEXT[key][language]
    except KeyError:
        raise KeyError(f"no text for {key!r} in {language!r}: add it to playbook/i18n.py") from None
    return text.format(**values) if values else text

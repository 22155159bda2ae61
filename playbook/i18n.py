"""Every user-facing string of the report, in English and Chinese, in one place.

``tests/test_i18n.py`` fails when a key lacks either language.
"""

from __future__ import annotations

from playbook.i18n_content import CONTENT_TEXT
from playbook.i18n_pilot import PILOT_TEXT

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
    "kind_bottleneck": {"en": "bottleneck", "zh": "瓶颈"},
    "kind_slow_handoff": {"en": "slow handoff", "zh": "交接迟缓"},
    "kind_sleeping_leads": {"en": "sleeping leads", "zh": "沉睡线索"},
    "kind_capability_gap": {"en": "capability gap", "zh": "能力差距"},
    "kind_top_performer_profile": {"en": "top performers", "zh": "高绩效画像"},
    "kind_pilot_effect": {"en": "pilot effect", "zh": "试点效果"},
    "kind_data_quality": {"en": "data quality", "zh": "数据质量"},
    "step_failed": {"en": "failed", "zh": "失败"},
    "step_ok": {"en": "ok", "zh": "完成"},
    "kpi": {"en": "KPI", "zh": "指标"},
    "value": {"en": "Value", "zh": "数值"},
    "interval": {"en": "95% interval", "zh": "95% 置信区间"},
    "severity": {"en": "Severity", "zh": "严重程度"},
    "finding": {"en": "Finding", "zh": "发现"},
    "back_to_index": {"en": "← Back to the overview", "zh": "← 返回总览"},
    "alerts_count": {"en": "{n} alerts in alerts.csv", "zh": "alerts.csv 中共 {n} 条预警"},
    "more_rows_in_csv": {"en": "{n} more rows in the CSV.", "zh": "另有 {n} 行见 CSV 文件。"},
    "yes": {"en": "yes", "zh": "是"},
    "small_sample_note": {
        "en": "Few deals: {what}{where} rests on {n} resolved deals{more}. Read such rates with "
        "their intervals, or widen the period or merge slices.",
        "zh": "样本较少：{what}{where}仅基于 {n} 个已结案商机{more}。请结合置信区间解读，"
        "或扩大时间范围、合并切片。",
    },
    "small_sample_where": {"en": " in {where}", "zh": "（{where}）"},
    "small_sample_more": {
        "en": " (and {k} more slices as small)",
        "zh": "（另有 {k} 个切片样本同样过少）",
    },
    "no": {"en": "no", "zh": "否"},
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
    "kpi_expected_win_rate": {
        "en": "Expected win rate for the deal mix",
        "zh": "按商机结构的预期赢单率",
    },
    "kpi_win_rate_vs_expected": {
        "en": "Win rate vs expected (like deals, points)",
        "zh": "赢单率与预期之差（同类商机，百分点）",
    },
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
    "dq_missing": {"en": "missing {column}", "zh": "缺少{column}"},
    "dq_no_stage_event": {"en": "deals without any stage event", "zh": "没有任何阶段记录的商机"},
    "dq_duplicate_events": {"en": "exact duplicate events", "zh": "完全重复的阶段记录"},
    "dq_same_timestamp": {
        "en": "events sharing a timestamp with another stage of the same deal",
        "zh": "与同一商机另一阶段时间相同的记录",
    },
    "dq_after_close": {"en": "events after the deal was closed", "zh": "商机结案后的阶段记录"},
    "dq_no_actor": {"en": "activities without an actor", "zh": "没有执行人的活动"},
    "dq_no_team": {"en": "activities without a team", "zh": "没有团队的活动"},
    # loader notes (playbook.exceptions.Note): what was read differently from the file as is
    "note_title_rows": {
        "en": "{file}: header found on row {row}; the {n} row(s) above it (a title) were ignored",
        "zh": "{file}：表头位于第 {row} 行；其上方的 {n} 行（标题）已忽略",
    },
    "note_header_only": {
        "en": "{file}: header only, no rows; treated as not provided",
        "zh": "{file}：只有表头、没有数据行；视为未提供",
    },
    "note_header_row": {
        "en": "{file}: header found on row {row}; the rows above it were ignored",
        "zh": "{file}：表头位于第 {row} 行；其上方的行已忽略",
    },
    "note_footer": {
        "en": "{file}: {n} footer line(s) below the data were ignored",
        "zh": "{file}：数据下方的 {n} 行页脚已忽略",
    },
    "note_lifecycle": {
        "en": "{file}: {n} of {total} events left out by their lifecycle transition (kept: {kept})",
        "zh": "{file}：按生命周期状态剔除了 {total} 个事件中的 {n} 个（保留：{kept}）",
    },
    "note_other_events": {
        "en": "{file}: {n} events that are no funnel stage (nor won / lost) were left out: {names}",
        "zh": "{file}：{n} 个不属于漏斗阶段（也非赢单 / 丢单）的事件已剔除：{names}",
    },
    "note_no_history": {
        "en": "{file}: no stage history; each opportunity's current stage is dated at its "
        "creation, so stage dwell times are not meaningful",
        "zh": "{file}：没有阶段历史；每个商机的当前阶段按其创建时间记，因此阶段停留时长没有意义",
    },
    "note_ids_18_to_15": {
        "en": "{file}: 18-character opportunity ids matched on their first 15",
        "zh": "{file}：18 位商机编号按前 15 位匹配",
    },
    "note_ids_15_to_18": {
        "en": "{file}: 15-character opportunity ids matched to 18-character ones",
        "zh": "{file}：15 位商机编号已匹配到 18 位编号",
    },
    "note_undated": {
        "en": "{file}: {n} deals without any date were left out (source.drop_undated)",
        "zh": "{file}：{n} 个没有任何日期的商机已剔除（source.drop_undated）",
    },
    "note_no_export": {
        "en": "source: no CRM export detected; the canonical tables are read",
        "zh": "数据源：未识别到 CRM 导出文件；读取标准表",
    },
    "note_detected_salesforce": {
        "en": "source: detected a Salesforce export ({files})",
        "zh": "数据源：识别到 Salesforce 导出文件（{files}）",
    },
    "note_detected_hubspot": {
        "en": "source: detected a HubSpot deals export ({files})",
        "zh": "数据源：识别到 HubSpot 商机导出文件（{files}）",
    },
    "note_detected_xes": {
        "en": "source: detected an XES event log ({files})",
        "zh": "数据源：识别到 XES 事件日志（{files}）",
    },
    "note_detected_file": {
        "en": "source: detected {role} '{file}'",
        "zh": "数据源：识别到 {role} 文件 '{file}'",
    },
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
    "col_closed_at": {"en": "close date", "zh": "结案日期"},
    "col_segment": {"en": "segment", "zh": "行业"},
    "col_region": {"en": "region", "zh": "区域"},
    "col_product": {"en": "product", "zh": "产品"},
    "col_source": {"en": "source", "zh": "来源"},
    "col_account_id": {"en": "account", "zh": "客户"},
    "col_share_of_stage": {"en": "share of stage", "zh": "占该阶段"},
    "col_share_of_lost": {"en": "share of lost", "zh": "占全部丢单"},
    "col_amount": {"en": "amount", "zh": "金额"},
    "col_revenue": {"en": "revenue / month", "zh": "月收入"},
    "col_won_deals": {"en": "won deals / month", "zh": "赢单数 / 月"},
    "col_total": {"en": "total", "zh": "总数"},
    "col_team_completeness": {"en": "team completeness", "zh": "团队完整度"},
    "no_amounts": {
        "en": "No amounts in the data: revenue figures are left out (they would read as "
        "zero), and money values are counted in won deals instead.",
        "zh": "数据中没有金额：收入类数字不予显示（否则会显示为零），"
        "以金额衡量的价值改以赢单数计。",
    },
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
    "phase_awareness": {"en": "awareness", "zh": "认知"},
    "phase_interest": {"en": "interest", "zh": "兴趣"},
    "phase_evaluation": {"en": "evaluation", "zh": "评估"},
    "phase_decision": {"en": "decision", "zh": "决策"},
    "phase_execution": {"en": "execution / repurchase", "zh": "执行 / 复购"},
    "col_stages": {"en": "stages", "zh": "销售阶段"},
    "col_activity_types": {"en": "activity types", "zh": "活动类型"},
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
    # bottlenecks re-tested with the other slices held fixed (playbook.bottlenecks)
    "bottleneck_explains": {
        "en": "; it is also why {dimension} {value} looks weak here: {value} sells more "
        "{carrier} ({share} of its deals at this stage against {rest_share} elsewhere), and "
        "with {carrier_dimension} held fixed {value} converts like the rest",
        "zh": "；这也是{dimension} {value} 在此阶段显得偏弱的原因：{value} 的{carrier}占比更高"
        "（该阶段商机的 {share}，其他为 {rest_share}），在{carrier_dimension}相同的情况下，"
        "{value} 的转化与其他部分相当",
    },
    "bottleneck_status_confirmed": {
        "en": "holds with the other slices fixed",
        "zh": "其他切片固定后仍成立",
    },
    "bottleneck_status_explained": {
        "en": "carried by {dimension} = {value}",
        "zh": "由{dimension} = {value} 造成",
    },
    "bottleneck_status_not_confirmed": {
        "en": "not confirmed with the other slices fixed",
        "zh": "其他切片固定后不成立",
    },
    "bottleneck_status_not_flagged": {"en": "not below the rest", "zh": "不低于其他部分"},
    "col_rest_rate": {"en": "rest rate", "zh": "其他部分转化率"},
    "col_adjusted_for": {"en": "compared within", "zh": "在以下维度相同的范围内比较"},
    "col_design": {"en": "design", "zh": "评估设计"},
    "col_expected_rate": {
        "en": "expected from its mix",
        "zh": "按其构成的预期转化率",
    },
    "col_adjusted_gap": {"en": "gap, others fixed", "zh": "其他固定后的差距"},
    "col_p_adjusted": {"en": "adjusted p, others fixed", "zh": "其他固定后的校正 p 值"},
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
    # monthly
    "batch_title": {"en": "{name} — monthly report {month}", "zh": "{name} — {month} 月度报告"},
    "monthly_report": {"en": "Monthly report", "zh": "月度报告"},
    "col_unit": {"en": "unit", "zh": "单位"},
    "col_status": {"en": "status", "zh": "状态"},
    "kpi_new_deals": {"en": "New deals", "zh": "新增商机"},
    "kpi_won_deals": {"en": "Won deals", "zh": "赢单数"},
    "kpi_activities": {"en": "Activities logged", "zh": "活动记录数"},
    "col_this_month": {"en": "this month", "zh": "本月"},
    "col_interval": {"en": "95% interval", "zh": "95% 置信区间"},
    "col_level": {"en": "level", "zh": "层级"},
    "col_metric": {"en": "metric", "zh": "指标"},
    "col_last_month": {"en": "last month", "zh": "上月"},
    "col_change": {"en": "change", "zh": "变化"},
    "col_last_year": {"en": "same month last year", "zh": "去年同月"},
    "col_change_last_year": {"en": "change vs last year", "zh": "同比变化"},
    "col_target": {"en": "target", "zh": "目标"},
    "col_vs_target": {"en": "vs target", "zh": "与目标差距"},
    "col_step": {"en": "step", "zh": "项目"},
    "col_value_unit": {"en": "unit of measure", "zh": "单位"},
    "level_company": {"en": "company", "zh": "公司"},
    "level_department": {"en": "department", "zh": "部门"},
    "level_individual": {"en": "individual", "zh": "个人"},
    "metric_won_revenue": {"en": "won revenue", "zh": "赢单金额"},
    "metric_won_deals": {"en": "won deals", "zh": "赢单数"},
    "metric_average_deal": {"en": "average won deal", "zh": "平均赢单金额"},
    "metric_new_deals": {"en": "new deals", "zh": "新增商机"},
    "metric_activities": {"en": "activities logged", "zh": "活动记录数"},
    "metric_meetings": {"en": "meetings and demos", "zh": "拜访与演示"},
    "metric_win_rate": {"en": "win rate (closed this month)", "zh": "赢单率（本月结案）"},
    "metric_lost_deals": {"en": "lost deals", "zh": "丢单数"},
    "metric_renewal_rate": {"en": "renewal rate (due this month)", "zh": "续约率（本月到期）"},
    "pipeline_opening": {"en": "opening pipeline", "zh": "期初商机"},
    "pipeline_new": {"en": "new", "zh": "新增"},
    "pipeline_won": {"en": "won", "zh": "赢单"},
    "pipeline_lost": {"en": "lost", "zh": "丢单"},
    "pipeline_pushed_out": {"en": "pushed out", "zh": "推迟"},
    "pipeline_pulled_in": {"en": "pulled in", "zh": "提前"},
    "pipeline_closing": {"en": "closing pipeline", "zh": "期末商机"},
    "pipeline_no_expected_close": {
        "en": "Pushed-out and pulled-in deals need an expected_close_at column in deals and last "
        "month's report; they are not measured this month.",
        "zh": "推迟与提前的商机需要 deals 表中的 expected_close_at 列以及上月报告；本月未计算。",
    },
    "fig_pipeline": {
        "en": "Pipeline change in {month} (value)",
        "zh": "{month} 商机池变化（金额）",
    },
    "fig_trends": {
        "en": "Stage conversion by month of creation, last 12 months",
        "zh": "近 12 个月按创建月份的阶段转化率",
    },
    "findings_status_new": {"en": "new", "zh": "新增"},
    "findings_status_persisting": {"en": "still open", "zh": "持续"},
    "findings_status_resolved": {"en": "resolved", "zh": "已解决"},
    "no_previous_month": {
        "en": "No report for the previous month: every finding counts as new.",
        "zh": "没有上月报告：所有发现均计为新增。",
    },
    "unit_scope": {"en": "Unit: {unit} · month: {month}", "zh": "单位：{unit} · 月份：{month}"},
    "unit_coverage": {
        "en": "{deals} deals up to the end of {month}: {new} created and {closed} closed in the "
        "month.",
        "zh": "截至 {month} 月末共 {deals} 个商机：本月新增 {new} 个、关闭 {closed} 个。",
    },
    "unit_quiet_month": {
        "en": "No deal of this unit was created or closed in {month} (yet): the month's counts "
        "are zero. Findings use its {deals} deals up to the month's end.",
        "zh": "该单位在 {month} 没有新增或关闭的商机（暂无）：本月计数为零。"
        "发现基于截至月末的 {deals} 个商机。",
    },
    "unit_too_small": {
        "en": "This unit has only {deals} deals up to the end of {month} ({new} created and "
        "{closed} closed in the month); findings need at least {min}, so none are computed. "
        "The KPI table shows the month's counts with their n.",
        "zh": "截至 {month} 月末，该单位只有 {deals} 个商机"
        "（本月新增 {new} 个、关闭 {closed} 个）；发现至少需要 {min} 个商机，"
        "因此不计算发现。KPI 表仍列出本月计数及其样本数。",
    },
    "unit_empty": {
        "en": "No deal of this unit was created up to the end of {month}: there is nothing to "
        "report yet, so the tables below are empty and no finding is computed.",
        "zh": "截至 {month} 月末，该单位还没有任何商机：暂无可报告内容，"
        "下方表格为空，也不计算发现。",
    },
    "findings_scope": {
        "en": "Findings use this unit's {deals} deals up to the end of {month}.",
        "zh": "发现基于该单位截至 {month} 月末的 {deals} 个商机。",
    },
    "findings_not_analysed": {
        "en": "Findings need at least {min} deals; this unit has {deals}, so this section shows "
        "none. That does not mean there is no problem.",
        "zh": "发现至少需要 {min} 个商机；该单位只有 {deals} 个，因此本节不列出发现。"
        "这并不代表没有问题。",
    },
    "fig_completeness": {
        "en": "Record completeness by rep (share of key fields filled)",
        "zh": "销售个人记录完整度（关键字段填写比例）",
    },
    # like-with-like comparisons of people and teams (playbook.adjust)
    "adj_missing_columns": {
        "en": "The deal-mix adjustment cannot use {columns}: deals has no such column (check "
        "dimensions and adjustment.features in pilot.yml).",
        "zh": "商机结构调整无法使用 {columns}：商机表中没有这些列（请检查 pilot.yml 中的 "
        "dimensions 和 adjustment.features）。",
    },
    "adj_reason_mix": {
        "en": "{share} of their deals are in {dimension} {value}, where {stage} converts {rate} "
        "for every rep against {rest} elsewhere",
        "zh": "其 {share} 的商机属于{dimension}“{value}”，该处{stage}对所有销售的转化率为 {rate}，"
        "其他为 {rest}",
    },
    "adj_reason_ranks": {
        "en": "raw rank {raw} of {n}, adjusted rank {adjusted}",
        "zh": "原始排名 {raw}/{n}，调整后排名 {adjusted}",
    },
    "adj_reason_ranks_why": {
        "en": "raw rank {raw} of {n}; {why}; adjusted rank {adjusted}",
        "zh": "原始排名 {raw}/{n}；{why}；调整后排名 {adjusted}",
    },
    "adj_note": {
        "en": "Reps and teams are compared on like deals: each stage's expected conversion of "
        "their deals comes from {dims}, fitted on the whole company.",
        "zh": "销售与团队按同类商机比较：其商机在各阶段的预期转化率由{dims}决定，"
        "基于全公司数据估计。",
    },
    "adj_note_indirect": {
        "en": " Stages with few resolved deals ({stages}) use the rate of the one dimension "
        "that matters most there, from the other reps' deals.",
        "zh": "已定结果的商机较少的阶段（{stages}）改用该处影响最大的单一维度、"
        "基于其他销售商机的转化率。",
    },
    "adj_note_off": {
        "en": "Reps and teams are compared on raw conversion: the deal mix is not adjusted for "
        "(adjustment.enabled is off, or the deals have no dimension to adjust for).",
        "zh": "销售与团队按原始转化率比较：未按商机结构调整（adjustment.enabled 已关闭，"
        "或商机没有可用于调整的维度）。",
    },
    "adj_dim_segment": {"en": "segment", "zh": "行业"},
    "adj_dim_region": {"en": "region", "zh": "区域"},
    "adj_dim_product": {"en": "product", "zh": "产品"},
    "adj_dim_source": {"en": "source", "zh": "来源"},
    "adj_dim_deal_size": {"en": "deal-size band", "zh": "金额档"},
    "adj_dim_created_quarter": {"en": "creation quarter", "zh": "创建季度"},
    "adj_dim_company_size": {"en": "company size", "zh": "客户规模"},
    # capability radar (step 4), development plan and KPI system (step 5)
    "cap_reason_consistent": {
        "en": "top {share} in {top} of the last {n} periods ({periods}), and without the best one "
        "still above the team (P = {prob}): consistent",
        "zh": "最近 {n} 个周期中有 {top} 个进入前 {share}（{periods}），去掉最好的周期后仍高于团队"
        "（P = {prob}）：稳定高转化",
    },
    "cap_reason_one_off": {
        "en": "top {share} in only 1 of {n} periods ({periods}): a one-off, needs {k}",
        "zh": "{n} 个周期中仅 1 个进入前 {share}（{periods}）：偶然一次，需要 {k} 个",
    },
    "cap_reason_occasional": {
        "en": "top {share} in {top} of {n} periods ({periods}); needs {k}",
        "zh": "{n} 个周期中有 {top} 个进入前 {share}（{periods}）；需要 {k} 个",
    },
    "cap_reason_not_top": {
        "en": "never in the top {share} ({eligible} of {n} periods ranked)",
        "zh": "从未进入前 {share}（{n} 个周期中 {eligible} 个参与排名）",
    },
    "cap_reason_low_volume": {
        "en": "only {eligible} of {n} periods with at least {min_deals} deals; needs {k}",
        "zh": "{n} 个周期中只有 {eligible} 个周期商机数不少于 {min_deals}；需要 {k} 个",
    },
    "cap_period_q": {"en": "quarters", "zh": "个季度"},
    "cap_period_m": {"en": "months", "zh": "个月"},
    "cap_period_y": {"en": "years", "zh": "年"},
    "cap_period_w": {"en": "weeks", "zh": "周"},
    "cap_period_p": {"en": "periods", "zh": "个周期"},
    "cap_no_assessments": {
        "en": "No capability assessments were provided: the radar and the competency gaps cannot "
        "be drawn; conversion, stages and behaviour are still compared.",
        "zh": "未提供能力评估数据：无法绘制能力雷达和能力差距；仍比较转化、阶段与行为指标。",
    },
    "cap_basis_manager": {
        "en": "Scores: the manager's assessment where there is one ({manager} reps), otherwise the "
        "mean of the available assessors ({mean} reps).",
        "zh": "评分口径：有上级评估的采用上级评分（{manager} 人），否则取现有评估人的平均分（"
        "{mean} 人）。",
    },
    "cap_basis_named": {
        "en": "Scores: assessments by '{name}' only ({n} reps).",
        "zh": "评分口径：仅采用评估人“{name}”的评分（{n} 人）。",
    },
    "cap_too_few_periods": {
        "en": "Only {available} complete period(s) in the data, but consistency needs {k}: nobody "
        "can qualify. Use shorter periods (capability.consistency.freq) or lower top_k_of_n.",
        "zh": "数据中只有 {available} 个完整周期，而稳定性判定需要 {k} 个：无人可入选。请缩短周期（"
        "capability.consistency.freq）或降低 top_k_of_n。",
    },
    "cap_benchmark_suppressed": {
        "en": "{k} rep(s) qualify as consistent strong converters, fewer than {min} (or the rest "
        "of the team is): group averages are suppressed to protect individuals.",
        "zh": "{k} 人符合稳定高转化标准，少于 {min} 人（或其余团队人数不足）：为保护个人隐私，不显"
        "示组平均值。",
    },
    "cap_no_benchmark": {
        "en": "No rep qualifies as a consistent strong converter under the current rule: there is "
        "no benchmark group to compare with.",
        "zh": "按当前规则没有人符合稳定高转化标准：没有可供比较的标杆组。",
    },
    "cap_finding_profile": {
        "en": "{k} reps convert consistently well (top {share} in at least {top} of the last {n} "
        "{periods}): lead → won {conv} vs {rest} for the rest of the team; they score higher "
        "on {strengths}.",
        "zh": "{k} 名销售稳定高转化（最近 {n} {periods}中至少 {top} 个进入前 {share}）：线索→赢单转"
        "化率 {conv}，其余团队为 {rest}；他们在{strengths}上得分更高。",
    },
    "cap_finding_profile_plain": {
        "en": "{k} reps convert consistently well (top {share} in at least {top} of the last {n} "
        "{periods}): lead → won {conv} vs {rest} for the rest of the team.",
        "zh": "{k} 名销售稳定高转化（最近 {n} {periods}中至少 {top} 个进入前 {share}）：线索→赢单转"
        "化率 {conv}，其余团队为 {rest}。",
    },
    "cap_finding_profile_adjusted": {
        "en": "{k} reps convert consistently well on like deals (top {share} in at least {top} "
        "of the last {n} {periods}, compared with what their deals would be expected to do "
        "given {dims}): lead → won {conv} vs {rest} for the rest of the team; they score "
        "higher on {strengths}.",
        "zh": "{k} 名销售在同类商机上稳定高转化（与其商机按{dims}应有的预期相比，最近 {n} "
        "{periods}中至少 {top} 个进入前 {share}）：线索→赢单转化率 {conv}，其余团队为 {rest}；"
        "他们在{strengths}上得分更高。",
    },
    "cap_finding_profile_plain_adjusted": {
        "en": "{k} reps convert consistently well on like deals (top {share} in at least {top} "
        "of the last {n} {periods}, compared with what their deals would be expected to do "
        "given {dims}): lead → won {conv} vs {rest} for the rest of the team.",
        "zh": "{k} 名销售在同类商机上稳定高转化（与其商机按{dims}应有的预期相比，最近 {n} "
        "{periods}中至少 {top} 个进入前 {share}）：线索→赢单转化率 {conv}，其余团队为 {rest}。",
    },
    "cap_finding_behaviour": {
        "en": "Consistent strong converters differ on {metric}: {value} vs {rest} ({k} vs {m} "
        "reps).",
        "zh": "稳定高转化者在{metric}上不同：{value}，其余为 {rest}（{k} 人 vs {m} 人）。",
    },
    "cap_finding_gap": {
        "en": "The team scores {rest} on {dimension} against {bench} for consistent strong "
        "converters (gap 95% CI {lo} to {hi}; {k} vs {m} reps)",
        "zh": "团队在{dimension}上得分 {rest}，稳定高转化者为 {bench}（差距 95% CI {lo} 至 {hi}；"
        "{k} 人 vs {m} 人）",
    },
    "cap_finding_gap_link": {
        "en": "; reps who score lower also convert less at {stage} (r = {r}).",
        "zh": "；得分较低的销售在{stage}阶段的转化也较低（r = {r}）。",
    },
    "cap_suppressed": {"en": "suppressed", "zh": "已隐藏"},
    "cap_suppressed_note": {
        "en": "suppressed: fewer than {min} people",
        "zh": "已隐藏：人数少于 {min}",
    },
    "cap_benchmark": {"en": "consistent strong converters", "zh": "稳定高转化者"},
    "cap_rest": {"en": "rest of the team", "zh": "团队其他成员"},
    "cap_team": {"en": "team", "zh": "团队"},
    "cap_gap_area": {"en": "gap", "zh": "差距"},
    "cap_rep": {"en": "rep {rep}", "zh": "销售 {rep}"},
    "cap_status_consistent": {"en": "consistent", "zh": "稳定"},
    "cap_status_one_off": {"en": "one-off", "zh": "偶然"},
    "cap_status_occasional": {"en": "occasional", "zh": "间歇"},
    "cap_status_not_top": {"en": "not top", "zh": "未入前列"},
    "cap_status_low_volume": {"en": "too few deals", "zh": "商机太少"},
    "fig_cap_consistency": {
        "en": "Rank per period (1 = best; framed: top group, ★: consistent)",
        "zh": "各周期排名（1 = 最好；加框：前列组，★：稳定高转化）",
    },
    "fig_cap_radar": {
        "en": "Competencies: consistent strong converters vs the rest of the team",
        "zh": "能力对比：稳定高转化者与团队其他成员",
    },
    "fig_cap_rep_radars": {
        "en": "Reps furthest below the benchmark, against it",
        "zh": "与标杆差距最大的销售（对比标杆）",
    },
    "fig_cap_gaps": {
        "en": "Competency gaps with 95% intervals (benchmark minus rest)",
        "zh": "能力差距及 95% 置信区间（标杆减其余）",
    },
    "fig_cap_links": {
        "en": "Stage conversion vs competency across reps (r; framed: credible)",
        "zh": "阶段转化与能力的相关（r；加框：可信）",
    },
    "fig_cap_teams": {"en": "Mean competency scores by team", "zh": "各团队能力平均分"},
    "axis_score": {"en": "score", "zh": "得分"},
    "axis_gap": {"en": "gap (score points)", "zh": "差距（分）"},
    "axis_period": {"en": "period", "zh": "周期"},
    "axis_stage": {"en": "stage", "zh": "阶段"},
    "axis_competency": {"en": "competency", "zh": "能力"},
    "col_owner_id": {"en": "rep", "zh": "销售"},
    "col_rep_id": {"en": "rep", "zh": "销售"},
    "col_periods": {"en": "periods", "zh": "周期数"},
    "col_eligible_periods": {"en": "periods ranked", "zh": "参与排名周期"},
    "col_top_periods": {"en": "periods in top group", "zh": "进入前列周期"},
    "col_required": {"en": "needed", "zh": "所需"},
    "col_consistent": {"en": "consistent", "zh": "稳定高转化"},
    "col_top_in": {"en": "top in", "zh": "进入前列的周期"},
    "col_best_rank": {"en": "best rank", "zh": "最好名次"},
    "col_median_rank": {"en": "median rank", "zh": "名次中位数"},
    "col_conversion": {"en": "conversion (shrunk)", "zh": "转化率（收缩估计）"},
    "col_team_conversion": {"en": "team conversion", "zh": "团队转化率"},
    "col_unadjusted_status": {"en": "status on raw conversion", "zh": "按原始转化的状态"},
    "col_adjusted_rank": {"en": "rank on like deals", "zh": "同类商机排名"},
    "col_unadjusted_rank": {"en": "raw rank", "zh": "原始排名"},
    "col_adjusted_conversion": {
        "en": "conversion on like deals (shrunk)",
        "zh": "同类商机转化率（收缩估计）",
    },
    "col_unadjusted_conversion": {"en": "raw conversion (shrunk)", "zh": "原始转化率（收缩估计）"},
    "col_expected_conversion": {
        "en": "expected from their deal mix",
        "zh": "按其商机结构的预期转化率",
    },
    "col_o_e": {"en": "observed / expected", "zh": "实际 / 预期"},
    "col_expected_win_rate": {"en": "expected win rate (like deals)", "zh": "同类商机预期赢单率"},
    "col_win_rate_vs_expected": {"en": "win rate vs expected", "zh": "赢单率与预期之差"},
    "col_o_minus_e": {"en": "observed − expected", "zh": "实际 − 预期"},
    "col_reason": {"en": "why", "zh": "原因"},
    "col_rank": {"en": "rank", "zh": "名次"},
    "col_ranked": {"en": "reps ranked", "zh": "参与排名人数"},
    "col_eligible": {"en": "ranked", "zh": "参与排名"},
    "col_top": {"en": "top group", "zh": "前列组"},
    "col_lift": {"en": "× team", "zh": "相对团队倍数"},
    "col_raw_conversion": {"en": "conversion (raw)", "zh": "转化率（原始）"},
    "col_family": {"en": "family", "zh": "类别"},
    "col_benchmark_reps": {"en": "benchmark reps", "zh": "标杆人数"},
    "col_rest_reps": {"en": "other reps", "zh": "其余人数"},
    "col_benchmark_mean": {"en": "benchmark", "zh": "标杆均值"},
    "col_rest_mean": {"en": "rest of team", "zh": "其余均值"},
    "col_team_mean": {"en": "team", "zh": "团队均值"},
    "col_gap": {"en": "gap", "zh": "差距"},
    "col_effect_size": {"en": "effect size (g)", "zh": "效应量 (g)"},
    "col_suppressed": {"en": "suppressed", "zh": "已隐藏"},
    "col_p_adj": {"en": "adjusted p", "zh": "校正后 p 值"},
    "col_r": {"en": "r", "zh": "r"},
    "col_score": {"en": "score", "zh": "得分"},
    "col_assessor_basis": {"en": "assessor used", "zh": "采用的评估人"},
    "col_assessors": {"en": "assessors", "zh": "评估人数"},
    "col_benchmark": {"en": "benchmark", "zh": "标杆"},
    "col_gap_to_benchmark": {"en": "vs benchmark", "zh": "与标杆差距"},
    "col_mean": {"en": "mean", "zh": "均值"},
    "col_label": {"en": "label", "zh": "名称"},
    "kpi_strong_converters": {"en": "Consistent strong converters", "zh": "稳定高转化人数"},
    "plan_weakness_stage": {
        "en": "{stage} → {to}: {rate} (n={n}, shrunk {shrunk}) vs team {team}",
        "zh": "{stage} → {to}：{rate}（n={n}，收缩估计 {shrunk}），团队为 {team}",
    },
    "plan_weakness_stage_adjusted": {
        "en": "{stage} → {to}: {rate} (n={n}) where the company converts {expected} of such "
        "deals; on like deals {adjusted} vs team {team}",
        "zh": "{stage} → {to}：{rate}（n={n}），公司在同类商机上的转化率为 {expected}；按同类商机"
        "比较为 {adjusted}，团队为 {team}",
    },
    "plan_weakness_competency": {
        "en": "{dimension}: {score} vs {reference} {against}",
        "zh": "{dimension}：{score}，{against}为 {reference}",
    },
    "plan_against_benchmark": {"en": "for strong converters", "zh": "稳定高转化者"},
    "plan_against_team": {"en": "team mean", "zh": "团队均值"},
    "plan_weakness_contact": {
        "en": "median first contact {hours} business hours (n={n}) vs SLA {sla} h",
        "zh": "首次联系中位 {hours} 个工作小时（n={n}），SLA 为 {sla} 小时",
    },
    "plan_weakness_completeness": {
        "en": "record completeness {value} ({lo}–{hi}) vs team {team}",
        "zh": "记录完整度 {value}（{lo}–{hi}），团队为 {team}",
    },
    "plan_no_weakness": {
        "en": "No weakness passed the thresholds: no learning path needed.",
        "zh": "没有超过阈值的短板：无需学习路径。",
    },
    "plan_pair_reason_stage": {
        "en": "{coach} converts {coach_value} at {stage} vs {mentee_value} for {mentee}",
        "zh": "{coach} 在{stage}阶段转化率 {coach_value}，{mentee} 为 {mentee_value}",
    },
    "plan_pair_reason_competency": {
        "en": "{coach} scores {coach_value} on {dimension} vs {mentee_value} for {mentee}",
        "zh": "{coach} 在{dimension}上得分 {coach_value}，{mentee} 为 {mentee_value}",
    },
    "plan_no_coaches": {
        "en": "No consistent strong converter to coach others: coaching pairs need a benchmark "
        "group.",
        "zh": "没有稳定高转化者可担任教练：结对辅导需要标杆组。",
    },
    "fig_plan_modules": {"en": "Reps per learning module", "zh": "各学习模块的人数"},
    "fig_plan_distributions": {
        "en": "Candidate incentive metrics across reps (lines: p25, median, p75)",
        "zh": "候选激励指标在销售间的分布（线：p25、中位数、p75）",
    },
    "fig_plan_sla": {
        "en": "SLA compliance at other thresholds (●: current)",
        "zh": "不同阈值下的 SLA 达成率（●：当前）",
    },
    "axis_reps": {"en": "reps", "zh": "人数"},
    "axis_threshold": {"en": "threshold", "zh": "阈值"},
    "axis_compliance": {"en": "compliance", "zh": "达成率"},
    "sla_first_contact": {"en": "first contact (business hours)", "zh": "首次联系（工作小时）"},
    "sla_proposal_review": {
        "en": "proposal → next step (business days)",
        "zh": "方案 → 下一步（工作日）",
    },
    "col_role": {"en": "role", "zh": "角色"},
    "col_weakness": {"en": "weakness", "zh": "短板"},
    "col_area": {"en": "area", "zh": "领域"},
    "col_module": {"en": "module", "zh": "学习模块"},
    "col_module_id": {"en": "module id", "zh": "模块编号"},
    "col_priority": {"en": "priority", "zh": "优先级"},
    "col_rule": {"en": "rule", "zh": "规则"},
    "col_coach_id": {"en": "coach", "zh": "教练"},
    "col_mentee_id": {"en": "mentee", "zh": "学员"},
    "col_coach_value": {"en": "coach", "zh": "教练水平"},
    "col_mentee_value": {"en": "mentee", "zh": "学员水平"},
    "col_team_value": {"en": "team", "zh": "团队水平"},
    "col_same_team": {"en": "same team", "zh": "同团队"},
    "col_scope": {"en": "unit", "zh": "单位"},
    "col_metric_type": {"en": "type", "zh": "类型"},
    "col_spread_low": {"en": "p25 of reps", "zh": "销售 p25"},
    "col_spread_high": {"en": "p75 of reps", "zh": "销售 p75"},
    "col_better": {"en": "better when", "zh": "越…越好"},
    "col_p10": {"en": "p10", "zh": "p10"},
    "col_p25": {"en": "p25", "zh": "p25"},
    "col_median": {"en": "median", "zh": "中位数"},
    "col_p75": {"en": "p75", "zh": "p75"},
    "col_p90": {"en": "p90", "zh": "p90"},
    "col_r_outcome": {"en": "r with win rate", "zh": "与赢单率相关"},
    "col_r_ci_low": {"en": "r low", "zh": "r 下限"},
    "col_r_ci_high": {"en": "r high", "zh": "r 上限"},
    "col_r_p_value": {"en": "p (r)", "zh": "p (r)"},
    "col_sla": {"en": "SLA", "zh": "SLA"},
    "col_threshold": {"en": "threshold", "zh": "阈值"},
    "col_current": {"en": "current", "zh": "当前"},
    "col_compliant": {"en": "compliant", "zh": "达标数"},
    "col_compliance": {"en": "compliance", "zh": "达成率"},
    "col_pending": {"en": "pending", "zh": "待定"},
    "kpi_avg_won_amount": {"en": "Average won deal", "zh": "平均赢单金额"},
    "kpi_open_pipeline": {"en": "Open pipeline", "zh": "在途商机金额"},
    "kpi_first_contact_hours": {
        "en": "First contact (business hours, median)",
        "zh": "首次联系（工作小时，中位数）",
    },
    "kpi_first_contact_sla": {"en": "First-contact SLA met", "zh": "首次联系 SLA 达成率"},
    "kpi_sales_activities_per_deal": {
        "en": "Sales activities per deal",
        "zh": "每个商机的销售活动数",
    },
    "kpi_meetings_per_deal": {"en": "Meetings per deal", "zh": "每个商机的会面数"},
    "kpi_renewal_rate": {"en": "Renewal rate", "zh": "续约率"},
    "kpi_nps": {"en": "NPS score (0–10, mean)", "zh": "NPS 评分（0–10，均值）"},
    "kpi_complaints_per_customer": {"en": "Complaints per customer", "zh": "每位客户投诉数"},
    "kpi_on_time_go_live": {"en": "On-time go-live", "zh": "按时上线率"},
    "kpi_level_company": {"en": "company", "zh": "公司"},
    "kpi_level_department": {"en": "department", "zh": "部门"},
    "kpi_level_individual": {"en": "individual", "zh": "个人"},
    "kpi_dimension_revenue": {"en": "revenue", "zh": "收入"},
    "kpi_dimension_activity": {"en": "activity", "zh": "活动"},
    "kpi_dimension_customer": {"en": "customer", "zh": "客户"},
    "kpi_type_result": {"en": "result", "zh": "结果"},
    "kpi_type_process": {"en": "process", "zh": "过程"},
    "kpi_type_behaviour": {"en": "behaviour", "zh": "行为"},
    "kpi_median_rep": {"en": "median rep", "zh": "销售中位数"},
    "col_p_raw": {"en": "p (unadjusted)", "zh": "p 值（未校正）"},
    "col_current_value": {"en": "current value", "zh": "当前值"},
    "cap_reason_unconfirmed": {
        "en": "top {share} in {top} of {n} periods ({periods}), but without the best one not "
        "credibly above the team (P = {prob}, needs {need})",
        "zh": "{n} 个周期中有 {top} 个进入前 {share}（{periods}），但去掉最好的周期后并不可信地高于"
        "团队（P = {prob}，需要 {need}）",
    },
    "cap_status_unconfirmed": {"en": "unconfirmed", "zh": "未确认"},
    "col_conversion_without_best": {
        "en": "conversion without best period",
        "zh": "去掉最佳周期的转化率",
    },
    "col_prob_above_team": {"en": "P(above team)", "zh": "高于团队的概率"},
    "cap_no_benchmark_short": {"en": "no benchmark group", "zh": "没有标杆组"},
    "cap_conversion_label": {"en": "Lead → won (shrunk)", "zh": "线索 → 赢单（收缩估计）"},
    "cap_like_deals_suffix": {"en": ", on like deals", "zh": "（同类商机）"},
    "col_kind": {"en": "kind", "zh": "类型"},
    "col_areas": {"en": "areas", "zh": "领域数"},
    "col_reference": {"en": "reference", "zh": "参照值"},
    "col_shortfall": {"en": "shortfall", "zh": "差距"},
    "kpi_reps_with_plan": {"en": "Reps with a learning path", "zh": "有学习路径的销售"},
    "kpi_coaching_pairs": {"en": "Coaching pairs", "zh": "结对辅导组数"},
    # handoffs and SLAs (step 3)
    "handoff_no_activities": {
        "en": "No activities table: first contact times, first-contact SLA compliance, "
        "activity-based SLAs, sleeping leads, response time vs conversion and customer-success "
        "involvement cannot be measured. Export calls, meetings, emails and demos with deal_id, "
        "at, type and team to measure them.",
        "zh": "未提供活动表（activities）：无法衡量首次联系时间、首次联系 SLA 达成率、基于活动的 "
        "SLA、沉睡线索、响应时间与转化的关系以及客户成功的参与情况。请导出包含 deal_id、at、"
        "type、team 的电话、会议、邮件和演示记录。",
    },
    "handoff_no_reps": {
        "en": "No reps table with teams: views by team are not available; views by rep are shown.",
        "zh": "未提供含团队信息的销售人员表（reps）：无法按团队分析，仅按销售个人展示。",
    },
    "handoff_no_outcomes": {
        "en": "No outcomes table: time to go-live, delay, complaint, renewal and upsell rates "
        "cannot be measured; the customer-success view shows activity-based measures only.",
        "zh": "未提供交付结果表（outcomes）：无法衡量上线时间、延期率、投诉率、续约率和增购；"
        "客户成功部分仅展示基于活动的指标。",
    },
    "handoff_no_proposal_stage": {
        "en": "The funnel has no stage with id 'proposal': the proposal-review SLA is not "
        "measured.",
        "zh": "漏斗中没有 id 为 'proposal' 的阶段：不衡量方案评审 SLA。",
    },
    "handoff_sla_unknown_event": {
        "en": "SLA '{name}': event '{event}' is neither a stage id nor an activity type in the "
        "data, so this SLA is not measured. Known events: {known}.",
        "zh": "SLA '{name}'：事件 '{event}' 既不是阶段 id，也不是数据中的活动类型，因此不衡量该 "
        "SLA。可用事件：{known}。",
    },
    "handoff_no_contacts": {
        "en": "No sales activity of a contact type ({types}) was found, so first contact cannot "
        "be measured. Activity types in the data: {found}.",
        "zh": "未找到销售团队的联系类活动（{types}），无法衡量首次联系。"
        "数据中的活动类型：{found}。",
    },
    "handoff_no_team_column": {
        "en": "The activities table has no team column: activities by known reps count as sales.",
        "zh": "活动表没有 team 列：由已知销售人员完成的活动计为销售活动。",
    },
    "handoff_contact_before_created": {
        "en": "{n} leads have a sales contact logged before the lead was created; their response "
        "time counts as 0.",
        "zh": "{n} 条线索的销售联系记录早于线索创建时间；其响应时间计为 0。",
    },
    "handoff_contact_inferred": {
        "en": "{n} leads ({share}) moved past the lead stage before any logged sales call, "
        "meeting or demo; their first contact is taken as the moment they moved (the call was "
        "probably not logged).",
        "zh": "{n} 条线索（{share}）在没有任何销售电话、会议或演示记录的情况下已推进到下一阶段；"
        "其首次联系时间按推进时间计（很可能联系未被记录）。",
    },
    "handoff_deals_without_activity": {
        "en": "{n} deals ({share}) have no activity at all; they count as not contacted.",
        "zh": "{n} 个商机（{share}）没有任何活动记录，计为未联系。",
    },
    "handoff_cost_no_amounts": {
        "en": "Leads contacted within the SLA ({sla} business hours) advanced {within} of the time "
        "(n={within_n}); leads contacted later, or still waiting past it, {late} (n={late_n}). "
        "At the faster rate about {lost} more leads would have advanced, about {won} more won "
        "deals (the data has no amounts to value them). This is descriptive: slow and fast "
        "leads may differ in other ways.",
        "zh": "在 SLA（{sla} 个工作小时）内联系的线索推进率为 {within}（n={within_n}）；超时联系或"
        "超时仍未联系的线索为 {late}（n={late_n}）。若按较快的推进率，约多 {lost} 条线索会推进，"
        "约多 {won} 个赢单（数据中没有金额，无法折算收入）。"
        "此为描述性估计：快慢线索可能在其他方面也不同。",
    },
    "handoff_cost": {
        "en": "Leads contacted within the SLA ({sla} business hours) advanced {within} of the time "
        "(n={within_n}); leads contacted later, or still waiting past it, {late} (n={late_n}). "
        "At the faster rate about {lost} more leads would have advanced, worth about {amount} "
        "of won revenue. This is descriptive: slow and fast leads may differ in other ways.",
        "zh": "在 SLA（{sla} 个工作小时）内联系的线索推进率为 {within}（n={within_n}）；超时联系或"
        "超时仍未联系的线索为 {late}（n={late_n}）。若按较快的推进率，约多 {lost} 条线索会推进，"
        "约合 {amount} 的赢单收入。此为描述性估计：快慢线索可能在其他方面也不同。",
    },
    "handoff_cost_unknown": {
        "en": "The cost of late contact cannot be estimated: too few resolved leads on one side "
        "of the SLA.",
        "zh": "无法估计联系延迟的代价：SLA 某一侧已定结果的线索太少。",
    },
    "handoff_evidence_slow_adjusted": {
        "en": "Leads of {dimension} {value} wait a median {hours} business hours for a first sales "
        "contact vs {rest_hours} elsewhere (n={n}); they advance past the lead stage {rate} of "
        "the time (95% CI {low}–{high}) where {expected} would be expected from the same kind "
        "of leads ({rest_rate} elsewhere).",
        "zh": "{dimension} {value} 的线索首次销售联系的等待时间中位数为 {hours} 个工作小时，其他为 "
        "{rest_hours}（n={n}）；其线索推进率为 {rate}（95% CI {low}–{high}），而同类线索的预期为 "
        "{expected}（其他为 {rest_rate}）。",
    },
    "handoff_evidence_slow": {
        "en": "Leads of {dimension} {value} wait a median {hours} business hours for a first sales "
        "contact vs {rest_hours} elsewhere (n={n}); they advance past the lead stage {rate} of "
        "the time (95% CI {low}–{high}) vs {rest_rate} elsewhere.",
        "zh": "{dimension} {value} 的线索首次销售联系的等待时间中位数为 {hours} 个工作小时，其他为 "
        "{rest_hours}（n={n}）；其线索推进率为 {rate}（95% CI {low}–{high}），其他为 {rest_rate}。",
    },
    "handoff_evidence_sleeping": {
        "en": "In {dimension} {value}, {sleeping} of {n} open deals ({rate}, 95% CI {low}–{high}) "
        "have had no activity for over {days} days vs {rest_rate} elsewhere.",
        "zh": "{dimension} {value} 的 {n} 个进行中商机中有 {sleeping} 个（{rate}，95% CI "
        "{low}–{high}）超过 {days} 天没有任何活动，其他为 {rest_rate}。",
    },
    "handoff_dim_team": {"en": "team", "zh": "团队"},
    "handoff_dim_source": {"en": "source", "zh": "来源"},
    "handoff_dim_owner_id": {"en": "rep", "zh": "销售"},
    "handoff_dim_month": {"en": "month", "zh": "月份"},
    "handoff_dim_segment": {"en": "segment", "zh": "行业"},
    "handoff_dim_product": {"en": "product", "zh": "产品"},
    "handoff_dim_region": {"en": "region", "zh": "区域"},
    "handoff_dim_all": {"en": "all", "zh": "全部"},
    "handoff_all": {"en": "all won deals", "zh": "全部赢单"},
    "handoff_sla_first_contact": {"en": "First contact", "zh": "首次联系"},
    "handoff_sla_proposal_review": {"en": "Proposal review", "zh": "方案评审"},
    "handoff_unit_business_hours": {"en": "business hours", "zh": "工作小时"},
    "handoff_unit_business_days": {"en": "business days", "zh": "工作日"},
    "handoff_unit_days": {"en": "days", "zh": "天"},
    "handoff_unit_share": {"en": "share", "zh": "比例"},
    "handoff_state_met": {"en": "met", "zh": "达成"},
    "handoff_state_breached": {"en": "breached", "zh": "违约"},
    "handoff_state_pending": {"en": "pending", "zh": "进行中"},
    "handoff_state_ended": {"en": "ended", "zh": "已结束"},
    "handoff_bucket_none": {"en": "no contact", "zh": "未联系"},
    "handoff_kind_sla_breach": {"en": "SLA overdue", "zh": "SLA 超时"},
    "handoff_kind_sleeping_lead": {"en": "sleeping lead", "zh": "沉睡线索"},
    "handoff_days_short": {"en": "d", "zh": "天"},
    "handoff_metric_days_to_kickoff": {"en": "days won → kick-off", "zh": "赢单→启动会天数"},
    "handoff_metric_days_to_go_live": {"en": "days won → go-live", "zh": "赢单→上线天数"},
    "handoff_metric_cs_before_signature": {
        "en": "CS involved before signature",
        "zh": "签约前客户成功介入",
    },
    "handoff_metric_delay_rate": {"en": "delivery delayed", "zh": "交付延期率"},
    "handoff_metric_complaint_rate": {"en": "complaints after go-live", "zh": "上线后投诉率"},
    "handoff_metric_renewal_rate": {"en": "renewed", "zh": "续约率"},
    "handoff_metric_upsell_rate": {"en": "upsold so far", "zh": "已增购比例"},
    "handoff_metric_days_to_first_upsell": {
        "en": "days to first upsell (upsold)",
        "zh": "首次增购天数（已增购）",
    },
    "handoff_alert_first_contact": {
        "en": "No sales contact {elapsed} business hours after the lead was created on {start} "
        "(SLA {limit} business hours).",
        "zh": "线索于 {start} 创建，已过 {elapsed} 个工作小时仍无销售联系"
        "（SLA {limit} 个工作小时）。",
    },
    "handoff_alert_proposal_review": {
        "en": "Proposal waiting {elapsed} business days since {start} for the next step "
        "(SLA {limit} business days).",
        "zh": "方案自 {start} 起已等待 {elapsed} 个工作日未推进（SLA {limit} 个工作日）。",
    },
    "handoff_alert_custom": {
        "en": "SLA '{sla}': {elapsed} business hours since {start} without the next step "
        "(SLA {limit} business hours).",
        "zh": "SLA '{sla}'：自 {start} 起已过 {elapsed} 个工作小时仍未完成下一步"
        "（SLA {limit} 个工作小时）。",
    },
    "handoff_alert_sleeping": {
        "en": "No activity for {days} days (last on {last}), deal at stage {stage}.",
        "zh": "已 {days} 天没有任何活动（最近一次 {last}），商机处于{stage}阶段。",
    },
    "handoff_action_first_contact": {
        "en": "Call the lead today; reassign it if the owner cannot.",
        "zh": "今天内联系该线索；负责人无法跟进时请重新分配。",
    },
    "handoff_action_proposal_review": {
        "en": "Get the customer's decision on the proposal, or close the deal.",
        "zh": "推动客户对方案做出决定，或关闭该商机。",
    },
    "handoff_action_custom": {
        "en": "Complete the next step, or record why it is not needed.",
        "zh": "完成下一步，或记录无需进行的原因。",
    },
    "handoff_action_sleeping": {
        "en": "Contact the customer this week, or close the deal as lost.",
        "zh": "本周内联系客户，或将该商机关闭为输单。",
    },
    "handoff_no_data": {"en": "Not measured (see the notes above)", "zh": "未衡量（见上方说明）"},
    "handoff_measured_as_of": {
        "en": "Measured as of {as_of} (the latest timestamp in the data); SLAs run on the "
        "business-hours clock of pilot.yml ({hours} office hours a day, holidays and make-up "
        "working days included).",
        "zh": "以 {as_of}（数据中的最新时间）为分析时点；SLA 按 pilot.yml 中的工作时间计算（每天 "
        "{hours} 个办公小时，含节假日与调休）。",
    },
    "fig_handoff_contact_curves": {
        "en": "Share of leads contacted within t business hours",
        "zh": "t 个工作小时内已联系的线索比例",
    },
    "fig_handoff_conversion": {
        "en": "Lead conversion by time to first contact (95% intervals)",
        "zh": "按首次联系时间的线索转化率（95% 置信区间）",
    },
    "fig_handoff_sla_team": {
        "en": "SLA compliance by team (95% intervals)",
        "zh": "各团队 SLA 达成率（95% 置信区间）",
    },
    "fig_handoff_sources": {
        "en": "How far each source's leads get (95% intervals)",
        "zh": "各来源线索能走多远（95% 置信区间）",
    },
    "handoff_axis_business_hours": {
        "en": "business hours to first contact",
        "zh": "首次联系所用工作小时",
    },
    "handoff_axis_contacted": {"en": "contacted", "zh": "已联系比例"},
    "handoff_axis_lead_rate": {"en": "advanced past lead", "zh": "线索推进率"},
    "handoff_axis_compliance": {"en": "SLA met", "zh": "SLA 达成率"},
    "handoff_axis_reached": {
        "en": "share of leads reaching the stage",
        "zh": "到达该阶段的线索比例",
    },
    "handoff_legend_sla": {"en": "SLA", "zh": "SLA"},
    "handoff_legend_within_sla": {"en": "contacted within SLA", "zh": "SLA 内联系"},
    # KPI names (step 3)
    "kpi_proposal_sla": {"en": "Proposal-review SLA met", "zh": "方案评审 SLA 达成率"},
    "kpi_first_contact_median_business_hours": {
        "en": "Median first contact (business hours)",
        "zh": "首次联系中位时间（工作小时）",
    },
    "kpi_late_contact_lost_leads": {
        "en": "Leads lost to late first contact",
        "zh": "因联系延迟损失的线索",
    },
    "kpi_sleeping_share": {"en": "Open deals sleeping", "zh": "沉睡商机占比"},
    # table headers (step 3)
    "col_limit": {"en": "limit", "zh": "时限"},
    "col_n": {"en": "n", "zh": "样本数"},
    "col_met": {"en": "met", "zh": "达成"},
    "col_breached": {"en": "breached", "zh": "违约"},
    "col_overdue": {"en": "overdue now", "zh": "当前超时"},
    "col_deal_id": {"en": "deal", "zh": "商机"},
    "col_leads": {"en": "leads", "zh": "线索数"},
    "col_contacted": {"en": "contacted", "zh": "已联系"},
    "col_attempts_per_lead": {"en": "missed calls per lead", "zh": "每条线索未接通次数"},
    "col_median_hours": {"en": "median h", "zh": "中位小时"},
    "col_p90_hours": {"en": "p90 h", "zh": "P90 小时"},
    "col_median_business_hours": {"en": "median business h", "zh": "中位工作小时"},
    "col_p90_business_hours": {"en": "p90 business h", "zh": "P90 工作小时"},
    "col_rest_median_business_hours": {
        "en": "median business h elsewhere",
        "zh": "其他中位工作小时",
    },
    "col_start_at": {"en": "started", "zh": "开始"},
    "col_due_at": {"en": "due", "zh": "到期"},
    "col_end_at": {"en": "done", "zh": "完成"},
    "col_elapsed": {"en": "elapsed", "zh": "已用时"},
    "col_sleeping": {"en": "sleeping", "zh": "沉睡"},
    "col_sleeping_amount": {"en": "sleeping amount", "zh": "沉睡金额"},
    "col_created_at": {"en": "created", "zh": "创建时间"},
    "col_last_touch_at": {"en": "last activity", "zh": "最近活动"},
    "col_idle_days": {"en": "idle days", "zh": "无活动天数"},
    "col_bucket": {"en": "business h to contact", "zh": "联系所用工作小时"},
    "col_lo_hours": {"en": "from h", "zh": "起（小时）"},
    "col_hi_hours": {"en": "to h", "zh": "止（小时）"},
    "col_resolved": {"en": "resolved", "zh": "已定结果"},
    "col_win_rate": {"en": "win rate", "zh": "赢单率"},
    "col_win_ci_low": {"en": "win 95% low", "zh": "赢单 95% 下限"},
    "col_win_ci_high": {"en": "win 95% high", "zh": "赢单 95% 上限"},
    "col_lead_source": {"en": "lead source", "zh": "线索来源"},
    "col_reached": {"en": "reached", "zh": "到达"},
    "col_sla_breach_rate": {"en": "SLA breached", "zh": "SLA 违约率"},
    "col_z_time": {"en": "z (speed)", "zh": "z（速度）"},
    "col_p_time": {"en": "p (speed)", "zh": "p（速度）"},
    "col_p_time_adj": {"en": "adjusted p (speed)", "zh": "校正后 p（速度）"},
    "col_lead_n": {"en": "leads resolved", "zh": "已定结果线索"},
    "col_lead_rate": {"en": "lead rate", "zh": "线索推进率"},
    "col_shrunk_rate": {"en": "shrunk rate", "zh": "收缩后推进率"},
    "col_rest_lead_rate": {"en": "lead rate elsewhere", "zh": "其他推进率"},
    "col_expected_lead_rate": {"en": "expected lead rate (like leads)", "zh": "同类线索预期推进率"},
    "col_p_conv": {"en": "p (conversion)", "zh": "p（转化）"},
    "col_p_conv_adj": {"en": "adjusted p (conversion)", "zh": "校正后 p（转化）"},
    "col_action": {"en": "action", "zh": "建议行动"},
    "col_days_to_kickoff": {"en": "days won → kick-off", "zh": "赢单→启动会天数"},
    "col_days_to_go_live": {"en": "days won → go-live", "zh": "赢单→上线天数"},
    "col_cs_before_signature": {"en": "CS before signature", "zh": "签约前客户成功介入"},
    "col_delay_rate": {"en": "delayed", "zh": "延期率"},
    "col_complaint_rate": {"en": "complaints", "zh": "投诉率"},
    "col_renewal_rate": {"en": "renewed", "zh": "续约率"},
    "col_upsell_rate": {"en": "upsold so far", "zh": "已增购比例"},
    "col_days_to_first_upsell": {"en": "days to first upsell", "zh": "首次增购天数"},
    "col_month": {"en": "month", "zh": "月份"},
    "col_events": {"en": "events", "zh": "事件数"},
    "col_estimate": {"en": "estimate", "zh": "估计值"},
    # lead scoring and alerts (step 6)
    "score_saved": {
        "en": "The fitted model is saved with this report as {path}; score a fresh export with "
        "'playbook score WORKSPACE --model {path}'.",
        "zh": "拟合好的模型已随本报告保存为 {path}；可用 'playbook score WORKSPACE --model {path}' "
        "为新的导出数据评分。",
    },
    "score_reason_identifier": {
        "en": "an identifier, not a property of the lead",
        "zh": "标识符，不是线索本身的属性",
    },
    "score_reason_owner": {
        "en": "who works the lead, not how good it is (add it to scoring.include to use it)",
        "zh": "表示由谁跟进，而非线索好坏（如需使用，请加入 scoring.include）",
    },
    "score_reason_pilot": {
        "en": "the pilot assignment, not a property of the lead",
        "zh": "试点分组，不是线索本身的属性",
    },
    "score_reason_created": {
        "en": "the creation date: the model is split by time instead",
        "zh": "创建日期：模型改为按时间划分训练和检验",
    },
    "score_reason_amount": {
        "en": "often filled or revised as the deal progresses (add it to scoring.include if it "
        "is fixed at creation)",
        "zh": "金额常在推进中填写或修改（如在创建时即已确定，可加入 scoring.include）",
    },
    "score_reason_outcome": {
        "en": "recorded with or after the outcome",
        "zh": "随结果一同或在结果之后记录",
    },
    "score_reason_excluded": {
        "en": "excluded in pilot.yml (scoring.exclude)",
        "zh": "已在 pilot.yml 中排除（scoring.exclude）",
    },
    "score_reason_post_name": {
        "en": "its name suggests a value written after the outcome (add it to scoring.include "
        "if it is not)",
        "zh": "字段名表明它在结果之后填写（如并非如此，可加入 scoring.include）",
    },
    "score_reason_date": {
        "en": "a date: dates after creation describe progress, not the lead",
        "zh": "日期字段：创建后的日期反映的是进展，而非线索本身",
    },
    "score_reason_constant": {
        "en": "a single value: nothing to learn from",
        "zh": "只有一个取值：无可学习的信息",
    },
    "score_reason_identifier_like": {
        "en": "identifier-like ({n} distinct values)",
        "zh": "类似标识符（{n} 个不同取值）",
    },
    "score_reason_filled_after": {
        "en": "filled on {closed} of closed deals but only {open} of open ones: written when "
        "the deal closes",
        "zh": "已结案商机中 {closed} 有值，进行中商机仅 {open}：是在结案时填写的",
    },
    "score_reason_too_good": {
        "en": "separates won from lost almost perfectly on its own (AUC {auc}): probably "
        "recorded after the outcome",
        "zh": "单独即可几乎完美区分赢单与输单（AUC {auc}）：很可能是在结果之后记录的",
    },
    "score_reason_attribute": {
        "en": "a deal attribute known at creation",
        "zh": "创建时已知的商机属性",
    },
    "score_reason_included": {
        "en": "listed in scoring.include; passed the leakage checks",
        "zh": "列于 scoring.include，且通过了信息泄漏检查",
    },
    "score_reason_extra": {
        "en": "an extra deal column; passed the leakage checks",
        "zh": "额外的商机字段，通过了信息泄漏检查",
    },
    "score_reason_activity": {
        "en": "activity in the first {days} days after creation (nothing later)",
        "zh": "创建后前 {days} 天内的活动（不含之后的任何活动）",
    },
    "score_reason_before": {
        "en": "marketing touches before the deal was created",
        "zh": "商机创建前的市场触达",
    },
    "scorer_model": {"en": "model", "zh": "模型"},
    "scorer_baseline": {"en": "source baseline", "zh": "来源基准"},
    "scorer_difference": {"en": "difference (model − baseline)", "zh": "差异（模型 − 基准）"},
    "score_fallback": {
        "en": "Too little history to fit a model: {n} mature deals and {won} won (at least "
        "{min_n} and {min_won} are needed). Leads are scored by their source's historical win "
        "rate instead.",
        "zh": "历史数据不足，无法拟合模型：仅有 {n} 个已成熟商机、{won} 个赢单（至少需要 {min_n} 个"
        "和 {min_won} 个）。改为按线索来源的历史赢单率评分。",
    },
    "score_better": {
        "en": "On held-out deals created from {start} (n = {n}) the model ranks leads better than "
        "the source's historical win rate: AUC {auc} (95% CI {low}–{high}) vs {base}, p = {p}. "
        "Scores below come from the model.",
        "zh": "在 {start} 之后创建的留出商机上（n = {n}），模型的排序优于来源历史赢单率："
        "AUC {auc}（95% 置信区间 {low}–{high}）对比 {base}，p = {p}。以下评分来自模型。",
    },
    "score_not_better": {
        "en": "On held-out deals created from {start} (n = {n}) the model (AUC {auc}, 95% CI "
        "{low}–{high}) is not reliably better than the source's historical win rate (AUC {base}, "
        "p = {p}). Scores below use the source baseline: the simpler ranking is as good.",
        "zh": "在 {start} 之后创建的留出商机上（n = {n}），模型（AUC {auc}，95% 置信区间 "
        "{low}–{high}）并不稳定地优于来源历史赢单率（AUC {base}，p = {p}）。以下评分采用来源基准："
        "更简单的排序同样有效。",
    },
    "alert_uncontacted": {
        "en": "High-potential lead ({score} win chance if worked) created {hours} h ago and not "
        "contacted yet (SLA {sla} h).",
        "zh": "高潜力线索（正常跟进的赢单概率 {score}）已创建 {hours} 小时仍未联系"
        "（SLA {sla} 小时）。",
    },
    "action_uncontacted": {
        "en": "Call today; reassign the lead if the owner cannot.",
        "zh": "今天内联系；负责人无法跟进则重新分配。",
    },
    "alert_stalled": {
        "en": "In {stage} for {days} days; 90% of deals leave this stage within {p90} days.",
        "zh": "已在{stage}阶段停留 {days} 天；90% 的商机在 {p90} 天内离开该阶段。",
    },
    "action_stalled": {
        "en": "Review with the owner: agree a dated next step, or close the deal as lost.",
        "zh": "与负责人复盘：约定有日期的下一步，或将商机关闭为输单。",
    },
    "alert_engagement": {
        "en": "{n} activities in the last {recent} days after {days} quiet days.",
        "zh": "沉寂 {days} 天后，最近 {recent} 天内出现 {n} 次活动。",
    },
    "action_engagement": {
        "en": "Re-engage now while interest is fresh: call and propose a next step.",
        "zh": "趁兴趣正浓立即跟进：致电并提出下一步。",
    },
    "alert_renewal": {
        "en": "Renewal due {date} (in {days} days) with {complaints} complaint(s); go-live "
        "delayed: {delayed}.",
        "zh": "续约日期 {date}（{days} 天后），有 {complaints} 次投诉；上线延期：{delayed}。",
    },
    "alert_delayed_yes": {"en": "yes", "zh": "是"},
    "alert_delayed_no": {"en": "no", "zh": "否"},
    "action_renewal": {
        "en": "Customer success and the owner meet the customer before the renewal to resolve "
        "the complaints.",
        "zh": "客户成功与负责人在续约前拜访客户，解决投诉问题。",
    },
    "alert_kind_uncontacted_lead": {
        "en": "high-potential lead not contacted",
        "zh": "高潜力线索未联系",
    },
    "alert_kind_stalled_deal": {"en": "deal stalled in its stage", "zh": "商机在阶段中停滞"},
    "alert_kind_engagement_rising": {"en": "dormant deal re-engaging", "zh": "沉寂商机重新活跃"},
    "alert_kind_renewal_risk": {"en": "unhappy customer near renewal", "zh": "不满意客户临近续约"},
    "kpi_scoring_auc": {"en": "Lead score AUC (held-out)", "zh": "线索评分 AUC（留出检验）"},
    "kpi_open_high_potential": {"en": "High-potential open leads", "zh": "高潜力在途线索"},
    "kpi_scoring_alerts": {"en": "Scoring alerts", "zh": "评分预警数"},
    "col_feature": {"en": "feature", "zh": "特征"},
    "col_used": {"en": "used", "zh": "是否使用"},
    "col_scorer": {"en": "scorer", "zh": "评分方式"},
    "col_auc": {"en": "AUC", "zh": "AUC"},
    "col_p_delong": {"en": "p (one-sided)", "zh": "p 值（单侧）"},
    "col_decile": {"en": "decile", "zh": "十分位"},
    "col_cum_share_won": {"en": "share of wins captured", "zh": "累计赢单占比"},
    "col_cum_share_random": {"en": "share of leads", "zh": "累计线索占比"},
    "col_age_days": {"en": "age (days)", "zh": "已创建天数"},
    "col_potential": {"en": "potential if worked", "zh": "正常跟进的潜力"},
    "col_high": {"en": "high potential", "zh": "高潜力"},
    "col_open_leads": {"en": "open leads", "zh": "在途线索"},
    "col_mean_potential": {"en": "mean potential", "zh": "平均潜力"},
    "col_expected_won": {"en": "expected wins (open)", "zh": "预期赢单（在途）"},
    "col_alerts": {"en": "alerts", "zh": "预警数"},
    "col_critical": {"en": "critical", "zh": "严重"},
    "fig_calibration": {
        "en": "Calibration on held-out deals: predicted vs observed win rate",
        "zh": "留出商机上的校准：预测赢单率与实际赢单率",
    },
    "fig_gains": {
        "en": "Share of wins captured by working the top-scored leads first",
        "zh": "优先跟进高分线索可覆盖的赢单比例",
    },
    "fig_importance": {
        "en": "What the model relies on (held-out AUC drop when a feature is shuffled)",
        "zh": "模型依赖的特征（打乱该特征后留出 AUC 的下降）",
    },
    "fig_lead_quality": {
        "en": "Win rate by {dimension} (mature leads, 95% intervals)",
        "zh": "按{dimension}的赢单率（已成熟线索，95% 置信区间）",
    },
    "axis_predicted": {"en": "predicted win rate", "zh": "预测赢单率"},
    "axis_observed": {"en": "observed win rate", "zh": "实际赢单率"},
    "axis_share_leads": {
        "en": "share of leads worked (highest score first)",
        "zh": "已跟进线索占比（高分优先）",
    },
    "axis_share_won": {"en": "share of wins captured", "zh": "覆盖的赢单占比"},
    "axis_auc_drop": {"en": "AUC drop", "zh": "AUC 下降"},
    "axis_win_rate": {"en": "win rate", "zh": "赢单率"},
    "legend_random": {"en": "random order", "zh": "随机顺序"},
    "legend_perfect": {"en": "perfect calibration", "zh": "完美校准"},
    "score_no_model_figure": {
        "en": "No model was evaluated (see the note above).",
        "zh": "未评估模型（见上方说明）。",
    },
    "label_leads_open": {"en": "n={n} · {open} open", "zh": "n={n} · 在途 {open}"},
    "col_lift_vs_random": {"en": "× random", "zh": "相对随机倍数"},
    "col_score_now": {"en": "score now", "zh": "当前评分"},
    "col_auc_low": {"en": "95% low", "zh": "95% 下限"},
    "col_auc_high": {"en": "95% high", "zh": "95% 上限"},
    # explorer (widgets.py, notebooks/explore.ipynb, playbook dashboard)
    "explore_title": {"en": "Conversion explorer — {name}", "zh": "转化探索 — {name}"},
    "explore_intro": {
        "en": "Choose a slice with the filters; every view below updates together. Each rate "
        "shows the number of deals behind it and a 95% interval: read wide intervals as "
        "'not enough deals to tell'.",
        "zh": "用筛选器选择一个切片，下方所有视图会同步更新。每个比率都附有样本数和 95% 置信区间："
        "区间很宽表示“商机太少，无法判断”。",
    },
    "explore_all": {"en": "(all)", "zh": "（全部）"},
    "explore_all_deals": {"en": "all deals", "zh": "全部商机"},
    "explore_rest_of": {
        "en": "every other deal of the same period",
        "zh": "同一期间的其他全部商机",
    },
    "explore_filter_period": {"en": "Created", "zh": "创建月份"},
    "explore_filter_region": {"en": "Region", "zh": "区域"},
    "explore_filter_team": {"en": "Team", "zh": "团队"},
    "explore_filter_segment": {"en": "Segment", "zh": "行业"},
    "explore_filter_product": {"en": "Product", "zh": "产品"},
    "explore_filter_rep": {"en": "Rep", "zh": "销售"},
    "explore_filter_stage": {"en": "Reached stage", "zh": "到达阶段"},
    "explore_mode": {"en": "Compare", "zh": "对比"},
    "explore_mode_single": {"en": "no comparison", "zh": "不对比"},
    "explore_mode_rest": {"en": "this slice vs the rest", "zh": "本切片 vs 其余"},
    "explore_mode_two": {"en": "two slices side by side", "zh": "两个切片并排"},
    "explore_slice_a": {"en": "Slice A", "zh": "切片 A"},
    "explore_slice_b": {"en": "Slice B", "zh": "切片 B"},
    "explore_group_selection": {"en": "selection", "zh": "所选切片"},
    "explore_group_rest": {"en": "rest", "zh": "其余"},
    "explore_group_a": {"en": "A", "zh": "A"},
    "explore_group_b": {"en": "B", "zh": "B"},
    "explore_pseudonymise": {"en": "Pseudonymise reps", "zh": "销售人员化名显示"},
    "explore_tab_journey": {"en": "Journey", "zh": "客户旅程"},
    "explore_tab_stages": {"en": "Stage matrix", "zh": "阶段转化"},
    "explore_tab_handoffs": {"en": "Handoffs", "zh": "协同交接"},
    "explore_tab_capability": {"en": "Capability", "zh": "能力雷达"},
    "explore_tab_people": {"en": "People", "zh": "人员"},
    "explore_no_deals": {
        "en": "{group}: no deal matches these filters.",
        "zh": "{group}：没有符合筛选条件的商机。",
    },
    "explore_empty": {
        "en": "Nothing to show for this selection.",
        "zh": "此选择下没有可显示的内容。",
    },
    "explore_suppressed": {"en": "suppressed", "zh": "已隐藏"},
    "explore_suppressed_slice": {
        "en": "{group}: suppressed — this team slice covers {n} reps, fewer than "
        "min_group_size = {k}; widen the filters.",
        "zh": "{group}：已隐藏——该团队切片仅涉及 {n} 名销售，少于 min_group_size = {k}；"
        "请放宽筛选条件。",
    },
    "explore_not_available": {"en": "{what} not available:", "zh": "{what}不可用："},
    "explore_why_module": {
        "en": "the {module} module is not part of this installation.",
        "zh": "当前安装中没有 {module} 模块。",
    },
    "explore_why_table": {
        "en": "the workspace has no {table} table.",
        "zh": "工作区中没有 {table} 表。",
    },
    "explore_why_error": {
        "en": "the analysis failed on this data ({error}); run the report step for details.",
        "zh": "该分析在此数据上出错（{error}）；请运行对应报告步骤查看详情。",
    },
    "explore_updated": {"en": "updated in {seconds} s", "zh": "更新用时 {seconds} 秒"},
    "explore_points": {"en": "{value} pts", "zh": "{value} 个百分点"},
    "explore_overlap": {
        "en": "The two slices share {n} deals, so their difference is not tested: compare "
        "their intervals instead.",
        "zh": "两个切片有 {n} 个共同商机，因此不做差异检验：请比较两者的置信区间。",
    },
    "explore_heading_journey": {"en": "Stage monitoring", "zh": "阶段监控"},
    "explore_heading_stage_matrix": {
        "en": "Stage conversion with 95% intervals",
        "zh": "阶段转化率及 95% 置信区间",
    },
    "explore_heading_comparison": {
        "en": "Difference between the two groups (two-sided Fisher test, p adjusted by "
        "Benjamini–Hochberg over the stages)",
        "zh": "两组差异（双侧 Fisher 检验，p 值按阶段做 Benjamini–Hochberg 校正）",
    },
    "explore_heading_sla": {"en": "SLA compliance", "zh": "SLA 达成情况"},
    "explore_heading_response": {
        "en": "Time to first real sales contact",
        "zh": "首次真正销售联系所用时间",
    },
    "explore_heading_sleeping": {"en": "Sleeping open deals", "zh": "沉睡的进行中商机"},
    "explore_heading_capability": {
        "en": "Competencies: consistent strong converters against the other reps of the slice",
        "zh": "能力：切片内稳定高转化者与其他销售对比",
    },
    "explore_heading_teams": {
        "en": "Win rate by team (teams with fewer than {k} reps pooled or suppressed)",
        "zh": "各团队赢单率（少于 {k} 人的团队合并或隐藏）",
    },
    "explore_heading_reps": {"en": "Win rate by rep ({who})", "zh": "各销售赢单率（{who}）"},
    "explore_reps_pseudonymised": {
        "en": "pseudonyms valid for this session only",
        "zh": "化名仅在本次会话内有效",
    },
    "explore_reps_ids": {"en": "CRM ids", "zh": "CRM 编号"},
    "explore_col_filters": {"en": "filters", "zh": "筛选条件"},
    "explore_col_resolved": {"en": "resolved", "zh": "已定结果"},
    "explore_col_won_revenue": {"en": "won revenue", "zh": "赢单金额"},
    "explore_col_median_cycle_days": {
        "en": "median cycle (days, won)",
        "zh": "成交周期中位数（天）",
    },
    "explore_col_note": {"en": "note", "zh": "备注"},
    "explore_col_difference": {"en": "difference", "zh": "差异"},
    "explore_col_n": {"en": "n {group}", "zh": "样本数 {group}"},
    "explore_col_rate": {"en": "rate {group}", "zh": "转化率 {group}"},
}

TEXT.update(PILOT_TEXT)
TEXT.update(CONTENT_TEXT)

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

"""Step 7's texts (pilot design and evaluation), in English and Chinese.

Merged into :data:`playbook.i18n.TEXT`; ``tests/test_i18n.py`` checks every key there.
"""

from __future__ import annotations

PILOT_TEXT: dict[str, dict[str, str]] = {
    "pilot_unit_rep": {"en": "reps", "zh": "销售"},
    "pilot_unit_team": {"en": "teams", "zh": "团队"},
    "pilot_none": {
        "en": "No pilot to evaluate: add a deals column '{column}' with the values '{pilot}' and "
        "'{control}', or list the pilot's reps or teams and its start date in pilot.yml.",
        "zh": "没有可评估的试点：请在商机表中添加列 '{column}'，取值为 '{pilot}' 和 '{control}'；"
        "或在 pilot.yml 中列出试点的销售或团队及开始日期。",
    },
    "pilot_no_control": {
        "en": "The pilot has no control group: no deal after the start carries '{control}' in "
        "'{column}' (and no control reps or teams are listed), so nothing can be compared.",
        "zh": "试点没有对照组：开始后没有商机在 '{column}' 中标为 '{control}'（也未列出对照销售或"
        "团队），无法比较。",
    },
    "pilot_no_start": {
        "en": "The pilot's reps or teams are listed but not its start date: set pilot.start in "
        "pilot.yml.",
        "zh": "已列出试点的销售或团队，但缺少开始日期：请在 pilot.yml 中设置 pilot.start。",
    },
    "pilot_no_reps": {
        "en": "The pilot is given by teams, but there is no reps table with a team column to "
        "find their reps.",
        "zh": "试点按团队指定，但没有含团队列的销售表，无法确定团队成员。",
    },
    "pilot_verdict_likely_real": {
        "en": "{stage}: the pilot lifted conversion by {lift} points (95% CI {low} to {high}; "
        "p = {p}; probability the lift is real {prob}). Likely real.",
        "zh": "{stage}：试点使转化率提升 {lift} 个百分点（95% 置信区间 {low} 至 {high}；p = {p}；"
        "提升为真的概率 {prob}）。很可能是真实效果。",
    },
    "pilot_verdict_likely_harmful": {
        "en": "{stage}: conversion in the pilot fell by {lift} points against control (95% CI "
        "{low} to {high}; p = {p}). Likely a real drop: review what the pilot changed.",
        "zh": "{stage}：试点组转化率相对对照组变化 {lift} 个百分点（95% 置信区间 {low} 至 {high}；"
        "p = {p}）。很可能是真实的下降：请复查试点改变了什么。",
    },
    "pilot_verdict_need_more": {
        "en": "{stage}: a lift of {lift} points (95% CI {low} to {high}; p = {p}; probability "
        "the lift is real {prob}) is not yet distinguishable from noise. About {more} more "
        "resolved deals (roughly {weeks} more weeks at the current pace) are needed to detect "
        "a {expected}-point lift.",
        "zh": "{stage}：{lift} 个百分点的提升（95% 置信区间 {low} 至 {high}；p = {p}；提升为真的"
        "概率 {prob}）尚无法与随机波动区分。要检测出 {expected} 个百分点的提升，约还需 {more} 个"
        "已定结果的商机（按当前节奏约 {weeks} 周）。",
    },
    "pilot_verdict_need_more_never": {
        "en": "{stage}: a lift of {lift} points (95% CI {low} to {high}; p = {p}) is not "
        "distinguishable from noise, and with {units} {unit} a {expected}-point lift cannot be "
        "shown however long the pilot runs: the {unit} differ too much. Add {unit} to the pilot "
        "and control groups.",
        "zh": "{stage}：{lift} 个百分点的提升（95% 置信区间 {low} 至 {high}；p = {p}）无法与随机"
        "波动区分；且只有 {units} 个{unit}，无论试点持续多久都无法证明 {expected} 个百分点的提升："
        "各{unit}之间差异太大。请为试点组和对照组增加{unit}。",
    },
    "pilot_verdict_noise": {
        "en": "{stage}: a lift of {lift} points (95% CI {low} to {high}; p = {p}) is not "
        "distinguishable from noise, although with {n} resolved deals a {expected}-point lift "
        "would most likely have shown: the pilot probably does not move this stage that much.",
        "zh": "{stage}：{lift} 个百分点的提升（95% 置信区间 {low} 至 {high}；p = {p}）无法与随机"
        "波动区分；而在 {n} 个已定结果的商机下，{expected} 个百分点的提升大概率能被检测到："
        "试点很可能没有让该阶段提升这么多。",
    },
    "pilot_finding_other": {
        "en": "{stage}: the pilot changed conversion by {lift} points (95% CI {low} to {high}; "
        "adjusted p = {p}).",
        "zh": "{stage}：试点使转化率变化 {lift} 个百分点（95% 置信区间 {low} 至 {high}；"
        "校正后 p = {p}）。",
    },
    "pilot_method_did": {
        "en": "Method: difference-in-differences of censoring-aware stage rates (pilot vs "
        "control, before vs after {start}). Intervals are cluster-robust by {unit}; p-values "
        "come from {perm} re-assignments of the {units} {unit} to the two groups; the "
        "probability that the lift is real from a Bayesian bootstrap over {unit}.",
        "zh": "方法：对考虑删失的阶段转化率做双重差分（试点组对照组，{start} 前后对比）。置信区间"
        "按{unit}聚类稳健；p 值来自将 {units} 个{unit}随机重新分组 {perm} 次；提升为真的概率来自"
        "按{unit}的贝叶斯自助法。",
    },
    "pilot_method_diff": {
        "en": "Method: pilot vs control on deals created from {start}, censoring-aware stage "
        "rates (no pre-period to adjust for). Intervals are cluster-robust by {unit}; p-values "
        "come from {perm} re-assignments of the {units} {unit} to the two groups; the "
        "probability that the lift is real from a Bayesian bootstrap over {unit}.",
        "zh": "方法：比较 {start} 起创建商机的试点组与对照组（考虑删失的阶段转化率；无试点前数据"
        "可供调整）。置信区间按{unit}聚类稳健；p 值来自将 {units} 个{unit}随机重新分组 {perm} 次；"
        "提升为真的概率来自按{unit}的贝叶斯自助法。",
    },
    "pilot_warn_short": {
        "en": "The pilot has run for {weeks} weeks, less than {min_weeks}: its rates are early "
        "and will move.",
        "zh": "试点仅运行了 {weeks} 周，少于 {min_weeks} 周：转化率尚处早期，还会变化。",
    },
    "pilot_warn_immature": {
        "en": "{share} of the pilot-period deals at {stage} are still within the stage window: "
        "their outcome is not known yet, so the rates rest on the faster deals.",
        "zh": "试点期内处于{stage}的商机中有 {share} 仍在阶段窗口期内：结果未知，当前转化率主要"
        "反映推进较快的商机。",
    },
    "pilot_warn_few_units": {
        "en": "Only {pilot} pilot and {control} control {unit}: every p-value rests on few "
        "independent units; read the result as indicative.",
        "zh": "试点组仅 {pilot} 个、对照组仅 {control} 个{unit}：所有 p 值都只基于很少的独立单元，"
        "结果仅供参考。",
    },
    "pilot_warn_perm": {
        "en": "Only {n} distinct ways to split the units exist, too few for a permutation test "
        "to reach p < {alpha}: the cluster-robust p-value is used instead.",
        "zh": "单元的不同分组方式只有 {n} 种，置换检验无法达到 p < {alpha}：改用聚类稳健 p 值。",
    },
    "pilot_warn_no_pre": {
        "en": "No deals before the start for both groups: the comparison is pilot vs control "
        "only, and differences between the {unit} that existed before are not removed.",
        "zh": "两组在开始前都没有商机：只能比较试点组与对照组，无法剔除各{unit}原有的差异。",
    },
    "pilot_warn_imbalance": {
        "en": "Before the pilot, the pilot group already converted {gap} points differently "
        "from control at {stage}: the difference-in-differences removes this, assuming both "
        "groups would otherwise have moved alike.",
        "zh": "试点开始前，试点组在{stage}的转化率已与对照组相差 {gap} 个百分点：双重差分已剔除"
        "这一差异，前提是两组在没有试点时变化趋势相同。",
    },
    "pilot_warn_dropped": {
        "en": "{n} deals of {unit} found in both groups were left out.",
        "zh": "有 {n} 个商机所属的{unit}同时出现在两组中，已被排除。",
    },
    "kpi_pilot_lift": {"en": "Pilot lift (primary stage)", "zh": "试点提升（主要阶段）"},
    "kpi_pilot_probability": {"en": "Probability the lift is real", "zh": "提升为真的概率"},
    "col_units": {"en": "units", "zh": "单元数"},
    "col_first_created": {"en": "first created", "zh": "最早创建"},
    "col_last_created": {"en": "last created", "zh": "最晚创建"},
    "col_pilot_n": {"en": "pilot n", "zh": "试点组样本"},
    "col_pilot_rate": {"en": "pilot rate", "zh": "试点组转化率"},
    "col_control_n": {"en": "control n", "zh": "对照组样本"},
    "col_control_rate": {"en": "control rate", "zh": "对照组转化率"},
    "col_pilot_pre_rate": {"en": "pilot before", "zh": "试点组（试点前）"},
    "col_control_pre_rate": {"en": "control before", "zh": "对照组（试点前）"},
    "col_prob_positive": {"en": "P(lift > 0)", "zh": "P(提升 > 0)"},
    "col_mde": {"en": "detectable lift", "zh": "可检测提升"},
    "col_more_deals": {"en": "more deals needed", "zh": "还需商机数"},
    "col_more_weeks": {"en": "more weeks", "zh": "还需周数"},
    "col_baseline_rate": {"en": "baseline rate", "zh": "基准转化率"},
    "col_deals_per_week": {"en": "deals / week", "zh": "每周商机数"},
    "col_icc": {"en": "ICC", "zh": "组内相关系数"},
    "col_weeks_needed": {"en": "weeks needed", "zh": "所需周数"},
    "col_deals_needed": {"en": "deals needed", "zh": "所需商机数"},
    "col_design_effect": {"en": "design effect", "zh": "设计效应"},
    "col_power_at_max": {"en": "power at 2 years", "zh": "两年时的检验力"},
    "col_achievable": {"en": "achievable", "zh": "可达成"},
    "col_pair": {"en": "pair", "zh": "配对"},
    "fig_pilot_effects": {
        "en": "Pilot lift by stage with 95% intervals (dashed: expected lift)",
        "zh": "各阶段试点提升及 95% 置信区间（虚线：预期提升）",
    },
    "fig_pilot_trend": {
        "en": "{stage} by month of creation, pilot vs control (line: pilot start)",
        "zh": "按创建月份的{stage}转化率：试点组与对照组（竖线：试点开始）",
    },
    "fig_pilot_power": {
        "en": "Power to detect a lift at {stage}, by pilot length",
        "zh": "{stage}：不同试点时长下检测提升的检验力",
    },
    "axis_lift_points": {"en": "lift (percentage points)", "zh": "提升（百分点）"},
    "axis_weeks": {"en": "weeks of pilot", "zh": "试点周数"},
    "axis_power": {"en": "power", "zh": "检验力"},
    "legend_pilot": {"en": "pilot", "zh": "试点组"},
    "legend_control": {"en": "control", "zh": "对照组"},
    "legend_lift": {"en": "lift {lift} points", "zh": "提升 {lift} 个百分点"},
    "legend_target_power": {"en": "wanted power", "zh": "目标检验力"},
    "pilot_warn_no_target": {
        "en": "No target stage was named in advance (pilot.target_stage): all {n} comparisons "
        "were tested and their p-values adjusted; the verdict is about the one with the "
        "strongest evidence, {stage}.",
        "zh": "未事先指定目标阶段（pilot.target_stage）：对全部 {n} 项比较进行了检验并校正 p 值；"
        "结论针对证据最强的一项：{stage}。",
    },
    "pilot_p_adjusted": {
        "en": "{p}, adjusted for {n} comparisons",
        "zh": "{p}，已按 {n} 项比较校正",
    },
    "col_effect": {"en": "effect on rate", "zh": "对转化率的影响"},
    "col_target_lift": {"en": "lift to detect", "zh": "待检测提升"},
    "col_unit_id": {"en": "rep or team", "zh": "销售或团队"},
    "col_effect_low": {"en": "95% low", "zh": "95% 下限"},
    "col_effect_high": {"en": "95% high", "zh": "95% 上限"},
}

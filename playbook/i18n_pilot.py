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
        "p = {p} after Holm adjustment across the stages the pilot did not target); "
        "exploratory: confirm it with a pilot that targets this stage.",
        "zh": "{stage}：试点使转化率变化 {lift} 个百分点（95% 置信区间 {low} 至 {high}；经 Holm "
        "跨非目标阶段校正后 p = {p}）；探索性结果：请用以该阶段为目标的试点加以确认。",
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
    # the design, the balance of the arms and what the verdict may claim
    "pilot_design_randomised": {
        "en": "Design: randomised. The {unit} were assigned to the pilot and control groups at "
        "random (pilot.randomised in pilot.yml), so the groups differ only by chance.",
        "zh": "设计：随机分组。{unit}被随机分配到试点组和对照组（pilot.yml 中的 "
        "pilot.randomised），两组之间只有偶然差异。",
    },
    "pilot_design_difference_in_differences": {
        "en": "Design: difference-in-differences. Each group is compared with its own deals "
        "from before {start}, so lasting differences between the groups (territory, products, "
        "people) cancel out, provided both would otherwise have changed alike.",
        "zh": "设计：双重差分。每组都与自己在 {start} 之前的商机比较，两组之间长期存在的差异"
        "（区域、产品、人员）因此相互抵消，前提是没有试点时两组的变化趋势相同。",
    },
    "pilot_design_post_only": {
        "en": "Design: post-only comparison. Neither group has deals from before the start to "
        "compare with, so the groups can only be compared after it, deal against comparable "
        "deal (same {dims}). Such a comparison can show an association, not that the pilot "
        "caused it.",
        "zh": "设计：仅试点后比较。两组都没有试点开始前的商机可供对照，只能比较开始后的表现，"
        "并按相同的{dims}把可比的商机放在一起比较。这样的比较只能说明关联，不能证明由试点导致。",
    },
    "pilot_balance_alike": {
        "en": "Balance: the groups' deal mix differs little where it matters: on its own, no "
        "dimension's difference would move {stage} by more than {bias} points (below a quarter "
        "of the expected {expected}-point lift).",
        "zh": "均衡性：两组商机构成的差异影响很小：单凭任一维度的构成差异，{stage}的转化率变化"
        "都不超过 {bias} 个百分点（低于预期提升 {expected} 个百分点的四分之一）。",
    },
    "pilot_balance_alike_did": {
        "en": "Balance: the groups' deal mix changed alike from before to after the start: on "
        "its own, no dimension's change would move {stage} by more than {bias} points (below "
        "a quarter of the expected {expected}-point lift).",
        "zh": "均衡性：试点前后两组商机构成的变化相近：单凭任一维度的构成变化，{stage}的转化率"
        "变化都不超过 {bias} 个百分点（低于预期提升 {expected} 个百分点的四分之一）。",
    },
    "pilot_balance_unlike_mix": {
        "en": "Balance: the groups' deals differ on {dims}: on its own that difference would "
        "move {stage} by {bias} points, more than a quarter of the expected {expected}-point "
        "lift. The comparison is made between deals alike on these dimensions and shows an "
        "association only.",
        "zh": "均衡性：两组商机在{dims}上存在差异：单凭这一差异，{stage}的转化率就会变化 "
        "{bias} 个百分点，超过预期提升 {expected} 个百分点的四分之一。比较在这些维度相同的商机"
        "之间进行，结果只能说明关联。",
    },
    "pilot_balance_unlike_shift": {
        "en": "Balance: the groups' deal mix changed differently after the start on {dims}: on "
        "its own that change would move {stage} by {bias} points, more than a quarter of the "
        "expected {expected}-point lift, so the result shows an association only.",
        "zh": "均衡性：试点开始后两组商机在{dims}上的构成变化不同：单凭这一变化，{stage}的转化率"
        "就会变化 {bias} 个百分点，超过预期提升 {expected} 个百分点的四分之一，因此结果只能说明"
        "关联。",
    },
    "pilot_warn_imbalance": {
        "en": "Before the pilot, the pilot group already converted {gap} points differently "
        "from control at {stage}: the difference-in-differences removes this, assuming both "
        "groups would otherwise have moved alike.",
        "zh": "试点开始前，试点组在{stage}的转化率已与对照组相差 {gap} 个百分点：双重差分已剔除"
        "这一差异，前提是两组在没有试点时变化趋势相同。",
    },
    "pilot_balance_separated_did": {
        "en": "The groups work in different {dims} (they share {overlap} of their deals): "
        "the difference-in-differences compares each group with itself, which holds only "
        "if {dims} would have changed alike without the pilot.",
        "zh": "两组在不同的{dims}开展业务（共同部分仅占其商机的 {overlap}）：双重差分用每组与"
        "自身比较，前提是没有试点时这些{dims}的变化相同。",
    },
    "pilot_verdict_cannot_separate": {
        "en": "{stage}: the data cannot separate the pilot from {dimension}. The pilot "
        "group's deals are in {pilot_values}, the control group's in {control_values}, so "
        "any difference between the groups may be the {dimension}'s: no effect is claimed. "
        "To know, compare reps within the same {dimension} or measure a period before the "
        "start.",
        "zh": "{stage}：数据无法区分试点与{dimension}的影响。试点组商机在 {pilot_values}，"
        "对照组商机在 {control_values}，两组的任何差异都可能来自{dimension}：因此不作任何效果"
        "结论。若要判断，请在相同{dimension}内选取对照销售，或提供试点开始前的数据。",
    },
    "pilot_verdict_associated": {
        "en": "{stage}: conversion in the pilot group was {lift} points higher {basis} (95% "
        "CI {low} to {high}; p = {p}; probability it is above zero {prob}). An association, "
        "not proof that the pilot caused it: {why}.",
        "zh": "{stage}：试点组转化率高 {lift} 个百分点（{basis}；95% 置信区间 {low} 至 {high}；"
        "p = {p}；差异大于零的概率 {prob}）。这是关联，不能证明由试点导致：{why}。",
    },
    "pilot_verdict_associated_drop": {
        "en": "{stage}: conversion in the pilot group was {lift} points lower {basis} (95% "
        "CI {low} to {high}; p = {p}; probability it is above zero {prob}). An association, "
        "not proof that the pilot caused the drop: {why}.",
        "zh": "{stage}：试点组转化率低 {lift} 个百分点（{basis}；95% 置信区间 {low} 至 {high}；"
        "p = {p}；差异大于零的概率 {prob}）。这是关联，不能证明下降由试点导致：{why}。",
    },
    "pilot_basis_adjusted": {
        "en": "than control deals alike in {dims}",
        "zh": "与{dims}相同的对照组商机相比",
    },
    "pilot_basis_did": {
        "en": "than control, each against its own deals before the start",
        "zh": "与对照组相比，各自与试点前的商机对照",
    },
    "pilot_why_post_only": {
        "en": "without a period before the start or random assignment, other differences "
        "between the groups may explain it",
        "zh": "没有试点前数据也没有随机分组时，两组之间的其他差异也可能造成这一结果",
    },
    "pilot_why_unlike": {
        "en": "the groups were not alike (see the balance above), so other differences "
        "between them may explain it",
        "zh": "两组并不相近（见上文均衡性），其他差异也可能造成这一结果",
    },
    "pilot_method_adjusted": {
        "en": "Method: for each stage, a logistic regression of advancing on the group and "
        "{dims}, on deals created from {start}; the lift is the average difference in the "
        "chance to advance between pilot and control deals of the same mix. Intervals and "
        "p-values are cluster-robust by {unit} ({units} {unit}, t with {dof} degrees of "
        "freedom); the probability that the difference is above zero comes from the same t.",
        "zh": "方法：对 {start} 起创建的商机，逐阶段以是否推进对分组及{dims}做逻辑回归；提升为构成"
        "相同的试点与对照商机推进概率的平均差异。置信区间和 p 值按{unit}聚类稳健（{units} 个"
        "{unit}，t 分布自由度 {dof}）；差异大于零的概率来自同一 t 分布。",
    },
    "pilot_finding_other_associated": {
        "en": "{stage}: pilot deals converted {lift} points differently from comparable "
        "control deals (95% CI {low} to {high}; p = {p} after Holm adjustment across the "
        "stages the pilot did not target); exploratory, and an association only.",
        "zh": "{stage}：试点组商机与可比对照组商机的转化率相差 {lift} 个百分点（95% 置信区间 "
        "{low} 至 {high}；经 Holm 跨非目标阶段校正后 p = {p}）；探索性结果，且仅为关联。",
    },
    "pilot_warn_after_moved": {
        "en": "Stages after {stage} are shown but not compared: the pilot changed which deals "
        "get there, so their rates compare different deals. The end-to-end row gives the "
        "pilot's total effect.",
        "zh": "{stage}之后的阶段仅列出、不作比较：试点改变了哪些商机能够到达这些阶段，其转化率比较"
        "的是不同的商机。全流程一行给出试点的总体效果。",
    },
    "pilot_role_primary": {"en": "primary (the verdict)", "zh": "主要阶段（结论）"},
    "pilot_role_exploratory": {"en": "exploratory", "zh": "探索性"},
    "pilot_role_after_moved_stage": {
        "en": "after a stage the pilot moved: not compared",
        "zh": "位于试点已改变的阶段之后：不作比较",
    },
    "pilot_role_end_to_end": {
        "en": "end to end: not a separate claim",
        "zh": "全流程：不单独下结论",
    },
    "pilot_status_alike": {"en": "alike", "zh": "相近"},
    "pilot_status_unlike": {"en": "unlike", "zh": "不相近"},
    "pilot_status_separated": {"en": "cannot be separated", "zh": "无法区分"},
    "pilot_dim_deal_size": {"en": "deal size", "zh": "商机金额"},
    "pilot_dims_none": {"en": "the deal mix", "zh": "商机构成"},
    "pilot_method_none": {
        "en": "Method: none. Without deals from before the start, and with groups that share "
        "no {dims}, no comparison can tell the pilot apart from {dims}.",
        "zh": "方法：无。两组没有试点开始前的商机，且没有共同的{dims}，任何比较都无法把试点与"
        "{dims}的影响区分开。",
    },
    "fig_pilot_balance": {
        "en": "Are the groups alike? Standardised difference of the deal mix, pilot vs control",
        "zh": "两组是否可比？商机构成的标准化差异（试点组对对照组）",
    },
    "axis_std_diff": {
        "en": "standardised difference (dotted: ±0.1)",
        "zh": "标准化差异（虚线：±0.1）",
    },
    "legend_after_start": {"en": "after the start", "zh": "试点开始后"},
    "legend_before_start": {"en": "before the start", "zh": "试点开始前"},
    "col_role": {"en": "role", "zh": "角色"},
    "col_raw_effect": {"en": "raw difference", "zh": "原始差异"},
    "col_pilot_deals": {"en": "pilot deals", "zh": "试点组商机"},
    "col_control_deals": {"en": "control deals", "zh": "对照组商机"},
    "col_pilot_share": {"en": "pilot share", "zh": "试点组占比"},
    "col_control_share": {"en": "control share", "zh": "对照组占比"},
    "col_std_diff": {"en": "standardised difference", "zh": "标准化差异"},
    "col_pilot_pre_share": {"en": "pilot share before", "zh": "试点组占比（试点前）"},
    "col_control_pre_share": {"en": "control share before", "zh": "对照组占比（试点前）"},
    "col_std_diff_pre": {"en": "standardised difference before", "zh": "标准化差异（试点前）"},
    "col_categories": {"en": "categories", "zh": "类别数"},
    "col_overlap": {"en": "shared deals", "zh": "共同部分"},
    "col_shift": {"en": "change of mix (difference)", "zh": "构成变化差异"},
    "col_mix_effect": {"en": "moves the stage by", "zh": "对该阶段的影响"},
    "col_pilot_pre_n": {"en": "pilot n before", "zh": "试点组样本（试点前）"},
    "col_control_pre_n": {"en": "control n before", "zh": "对照组样本（试点前）"},
}

"""Step 6's texts for the feature audit, the candidate models and thin history, in en and zh.

Merged into :data:`playbook.i18n.TEXT`; ``tests/test_i18n.py`` checks every key there.
"""

from __future__ import annotations

SCORING_TEXT: dict[str, dict[str, str]] = {
    "score_reason_post_word": {
        "en": "its name ('{word}') says it is written after contact or after the outcome (add "
        "it to scoring.include if it is known when the lead is created)",
        "zh": "字段名（'{word}'）表明它在联系之后或结果之后才填写（如在线索创建时即已知，可加入 "
        "scoring.include）",
    },
    "score_reason_identifies_rows": {
        "en": "an identifier: {n} distinct values over {filled} filled deals, one per deal",
        "zh": "标识符：{filled} 个有值的商机中有 {n} 个不同取值，基本每个商机一个",
    },
    "score_reason_many_levels": {
        "en": "text with {n} distinct values: too many categories to learn from (group them, "
        "or add the column to scoring.include)",
        "zh": "文本字段有 {n} 个不同取值：类别过多，难以学习（可先归并，或加入 scoring.include）",
    },
    "score_reason_stands_out": {
        "en": "alone it separates won from lost far better than any other column (AUC {auc} on "
        "the training deals; the best ordinary column reaches {next}): probably measured after "
        "contact or with the outcome",
        "zh": "单独使用即可远好于其他任何字段地区分赢单与输单（训练商机上 AUC {auc}；"
        "最好的普通字段为 {next}）：很可能是在联系之后或随结果一同记录的",
    },
    "score_reason_extra_numeric": {
        "en": "an extra deal column of numbers, used as a continuous feature; passed the "
        "leakage checks",
        "zh": "额外的数值型商机字段，作为连续特征使用；通过了信息泄漏检查",
    },
    "score_reason_included_anyway": {
        "en": "used because scoring.include lists it, although the audit says: {why}",
        "zh": "因列于 scoring.include 而使用，但检查结果为：{why}",
    },
    "score_include_warning": {
        "en": "'{column}': {reason}. If it is recorded after the lead is worked, the held-out "
        "AUC overstates what the model can do on new leads.",
        "zh": "'{column}'：{reason}。若它是在跟进线索之后才记录的，"
        "留出期的 AUC 会高估模型在新线索上的表现。",
    },
    "score_thin_decided_early": {
        "en": "Too little history to fit a model: "
        "of {mature} deals old enough for their outcome to be known, "
        "{decided_early} were won or lost within {days} days of creation, before a lead is "
        "scored (scoring.early_days), so only {population} deals ({won} won) were still open to "
        "learn from; at least {min_n} and {min_won} won are needed. Set scoring.early_days: 0 in "
        "pilot.yml to score leads at creation, from what is known then.",
        "zh": "历史数据不足，无法拟合模型："
        "在 {mature} 个已足够成熟、结果已知的商机中，有 {decided_early} 个在创建后 "
        "{days} 天内（即评分时点之前，scoring.early_days）就已赢单或输单，仅剩 {population} 个"
        "（{won} 个赢单）可供学习；至少需要 {min_n} 个和 {min_won} 个赢单。可在 pilot.yml 中设置 "
        "scoring.early_days: 0，在线索创建时按当时已知的信息评分。",
    },
    "score_thin_young": {
        "en": "Too little history to fit a model: "
        "{population} deals ({won} won) can be learned from, from "
        "{mature} created more than {horizon} days before the data end ({end}); at least "
        "{min_n} and {min_won} won are needed. {young} deals are younger and their outcome is "
        "not yet known. If deals resolve faster, lower scoring.horizon_days in pilot.yml; "
        "otherwise lower scoring.min_resolved / scoring.min_won only knowingly.",
        "zh": "历史数据不足，无法拟合模型："
        "在数据截止日（{end}）前超过 {horizon} 天创建的 {mature} 个商机中，"
        "可供学习的有 {population} 个（{won} 个赢单）；至少需要 {min_n} 个和 {min_won} 个赢单。"
        "另有 {young} 个商机较新，结果尚未可知。若商机结案更快，可在 pilot.yml 中调低 "
        "scoring.horizon_days；调低 scoring.min_resolved / scoring.min_won 须谨慎。",
    },
    "score_thin_held_out": {
        "en": "Too little history to fit a model: "
        "the held-out deals (created from {start}) hold {test_won} "
        "won and {test_lost} lost, and the training deals {train_won} won; at least {need} of "
        "each are needed to measure a model fairly. Change scoring.test_share in pilot.yml, or "
        "wait for more history.",
        "zh": "历史数据不足，无法拟合模型："
        "留出商机（{start} 起创建）中有 {test_won} 个赢单、{test_lost} 个输单，"
        "训练商机中有 {train_won} 个赢单；公平检验模型每类至少需要 {need} 个。可在 pilot.yml 中"
        "调整 scoring.test_share，或等待更多历史数据。",
    },
    "score_thin_no_features": {
        "en": "No model was fitted: no deal column passed the audit and there are no "
        "activities; the table above says why each column was left out (scoring.include "
        "overrides it).",
        "zh": "未拟合模型：没有商机字段通过检查，也没有活动数据；上表列出了每个字段被排除的原因"
        "（可用 scoring.include 覆盖）。",
    },
    "score_thin_also_early": {
        "en": "{decided_early} more mature deals were decided within {days} days of creation; "
        "scoring.early_days: 0 would let them count.",
        "zh": "另有 {decided_early} 个已成熟商机在创建后 {days} 天内即已结案；设置 "
        "scoring.early_days: 0 可将它们纳入。",
    },
    "score_thin_baseline": {
        "en": "Leads are scored by their source's historical win rate instead.",
        "zh": "改为按线索来源的历史赢单率评分。",
    },
    "scorer_logistic": {"en": "logistic regression", "zh": "逻辑回归"},
    "scorer_boosting": {"en": "gradient boosting", "zh": "梯度提升"},
    "score_picked_logistic": {
        "en": "Of the two candidates, logistic regression (AUC {logistic}) is used: gradient "
        "boosting (AUC {boosting}) is not significantly better (p = {p}).",
        "zh": "两个候选模型中采用逻辑回归（AUC {logistic}）：梯度提升（AUC {boosting}）并不显著"
        "更好（p = {p}）。",
    },
    "score_picked_boosting": {
        "en": "Of the two candidates, gradient boosting (AUC {boosting}) is used: it ranks the "
        "held-out deals significantly better than logistic regression (AUC {logistic}, "
        "p = {p}).",
        "zh": "两个候选模型中采用梯度提升（AUC {boosting}）：它在留出商机上的排序显著优于逻辑回归"
        "（AUC {logistic}，p = {p}）。",
    },
    "score_nothing_open": {
        "en": "Nothing to score: every deal in this export is won or lost (a historical "
        "export). The model above is fitted and evaluated; score the open deals of a current "
        "export with 'playbook score WORKSPACE --model {path}'.",
        "zh": "没有需要评分的线索：本次导出中的商机均已赢单或输单（历史导出）。上面的模型已拟合并"
        "检验；可用 'playbook score WORKSPACE --model {path}' 为当前导出中的在途商机评分。",
    },
    "col_type": {"en": "values", "zh": "取值类型"},
    "value_type_numeric": {"en": "numbers", "zh": "数值"},
    "value_type_category": {"en": "categories", "zh": "类别"},
    "value_type_date": {"en": "dates", "zh": "日期"},
    "value_type_empty": {"en": "empty", "zh": "空"},
    "feature_kind_attribute": {"en": "attribute", "zh": "属性"},
    "feature_kind_extra": {"en": "extra column", "zh": "额外字段"},
    "feature_kind_activity": {"en": "activity", "zh": "活动"},
    "col_auc_alone": {"en": "AUC alone (training)", "zh": "单独 AUC（训练期）"},
    "col_overridden": {"en": "by scoring.include", "zh": "因 scoring.include"},
    "col_chosen": {"en": "chosen", "zh": "采用"},
}

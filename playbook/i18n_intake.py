"""Texts of intake as real exports come: rows set aside, headline conversion, two-table sources.

Merged into :data:`playbook.i18n.TEXT`; ``tests/test_i18n.py`` checks every key there.
"""

from __future__ import annotations

#: Loader problem (its kind, or its message) -> the key naming it in both languages.
REASON_KEYS: dict[str, str] = {
    "not a date I can read": "reason_bad_date",
    "mixes times with a UTC offset and times without one": "reason_mixed_offsets",
    "not a number": "reason_bad_number",
    "not a yes/no value": "reason_bad_bool",
    "unknown status": "reason_bad_status",
    "stage name that matches no stage in pilot.yml": "reason_unknown_stage",
    "won/lost deal without a close date": "reason_no_close_date",
    "closed before it was created": "reason_closed_before_created",
    "deal_id not found in deals": "reason_unknown_deal",
    "stage entered before the deal was created": "reason_event_before_created",
    "outcome recorded for a deal that is not won": "reason_outcome_not_won",
    "belongs to a deal set aside": "reason_follows_deal",
}

INTAKE_TEXT: dict[str, dict[str, str]] = {
    "note_quarantined": {
        "en": "{rows} row(s) were set aside (--on-bad-rows quarantine): {deals} of {total} "
        "deals ({share}), each with its events and activities. quarantine.csv in the report "
        "folder lists every row with its file, row number, column, value and reason.",
        "zh": "已隔离 {rows} 行（--on-bad-rows quarantine）：{total} 个商机中的 {deals} 个"
        "（{share}），连同其阶段记录和活动一并剔除。报告文件夹中的 quarantine.csv 逐行列出文件、"
        "行号、列、取值和原因。",
    },
    "note_quarantine_reason": {
        "en": "Set aside: {reason} — {n} row(s).",
        "zh": "隔离原因：{reason} — {n} 行。",
    },
    "reason_bad_date": {
        "en": "Set aside: a date that cannot be read — {n} row(s).",
        "zh": "隔离原因：无法识别的日期 — {n} 行。",
    },
    "reason_mixed_offsets": {
        "en": "Set aside: times with and without a UTC offset mixed in one column — {n} row(s).",
        "zh": "隔离原因：同一列中混用带与不带时区偏移的时间 — {n} 行。",
    },
    "reason_bad_number": {
        "en": "Set aside: not a number — {n} row(s).",
        "zh": "隔离原因：不是数字 — {n} 行。",
    },
    "reason_bad_bool": {
        "en": "Set aside: not a yes/no value — {n} row(s).",
        "zh": "隔离原因：不是是/否值 — {n} 行。",
    },
    "reason_bad_status": {
        "en": "Set aside: unknown status — {n} row(s).",
        "zh": "隔离原因：未知状态 — {n} 行。",
    },
    "reason_unknown_stage": {
        "en": "Set aside: a stage name that matches no stage in pilot.yml — {n} row(s).",
        "zh": "隔离原因：阶段名称与 pilot.yml 中任何阶段都不匹配 — {n} 行。",
    },
    "reason_no_close_date": {
        "en": "Set aside: a won or lost deal without a close date — {n} row(s).",
        "zh": "隔离原因：已赢单或输单的商机缺少结案日期 — {n} 行。",
    },
    "reason_closed_before_created": {
        "en": "Set aside: closed before it was created — {n} row(s).",
        "zh": "隔离原因：结案日期早于创建日期 — {n} 行。",
    },
    "reason_unknown_deal": {
        "en": "Set aside: a row of a deal that is not in the deals table — {n} row(s).",
        "zh": "隔离原因：所属商机不在商机表中 — {n} 行。",
    },
    "reason_event_before_created": {
        "en": "Set aside: a stage entered before the deal was created — {n} row(s).",
        "zh": "隔离原因：进入阶段的时间早于商机创建时间 — {n} 行。",
    },
    "reason_outcome_not_won": {
        "en": "Set aside: an outcome recorded for a deal that is not won — {n} row(s).",
        "zh": "隔离原因：为未赢单的商机记录了交付结果 — {n} 行。",
    },
    "reason_follows_deal": {
        "en": "Set aside: a row of a deal set aside — {n} row(s).",
        "zh": "隔离原因：所属商机已被隔离 — {n} 行。",
    },
    "index_quarantined": {
        "en": "Bad rows set aside: {rows} row(s), {deals} of {total} deals ({share}); the "
        "reasons are on the data intake page and every row is in quarantine.csv.",
        "zh": "已隔离问题行：{rows} 行，{total} 个商机中的 {deals} 个（{share}）；"
        "原因见数据盘点页，逐行明细见 quarantine.csv。",
    },
    "kpi_mature_conversion": {
        "en": "Conversion of mature deals (won, losses not recorded)",
        "zh": "成熟商机转化率（赢单；未记录输单）",
    },
    "note_mature_conversion": {
        "en": "Only {lost} lost deal(s) are recorded against {won} won, so a win rate among "
        "resolved deals would mean little. The headline conversion is the share of mature deals "
        "that were won: deals resolved, or open for longer than the funnel's window of {days} "
        "days ({n} deals); {immature} open deals still within the window are left out, not "
        "counted as lost.",
        "zh": "记录中只有 {lost} 个输单、{won} 个赢单，已结案商机的赢单率意义不大。"
        "核心转化率改为成熟商机中赢单的比例：已结案的商机，以及进行中超过漏斗窗口期 {days} 天的"
        "商机（共 {n} 个）；仍在窗口期内的 {immature} 个进行中商机不计入，也不算作输单。",
    },
    "index_mature_conversion": {
        "en": "Losses are not recorded (or too few), so the headline conversion is that of "
        "mature deals, not a win rate among resolved deals.",
        "zh": "输单未记录（或过少），因此核心转化率采用成熟商机转化率，而非已结案商机的赢单率。",
    },
    "note_two_table": {
        "en": "{leads} leads from {lead_file} joined with {closed} closed deals from "
        "{closed_file} on '{column}'; {open} leads without a match are open.",
        "zh": "{lead_file} 中的 {leads} 条线索与 {closed_file} 中的 {closed} 个已结案商机按 "
        "'{column}' 关联；{open} 条未匹配的线索视为进行中。",
    },
    "note_two_table_unmatched": {
        "en": "{n} closed deal(s) in {closed_file} match no lead in {lead_file} and were left out.",
        "zh": "{closed_file} 中有 {n} 个已结案商机在 {lead_file} 中找不到对应线索，已忽略。",
    },
}


def reason_key(reason: str) -> str | None:
    """The text key naming a loader problem kind, or None for one without its own text."""
    return REASON_KEYS.get(reason)

"""``FIVE_DAYS.md``: the one-week pilot, day by day, as ``playbook init`` writes it."""

from __future__ import annotations

FIVE_DAYS = """\
# The five-day pilot / 五天试点

## English

**Day 1 — data request.** Send the client `EXPORT_GUIDE.md`. Ask for the deals and their
stage history (required), and, if they have them, activities, reps (with team and role),
outcomes and targets. Agree the period and who owns the data. Fill `pilot.yml`: name,
language, currency, time zone, the funnel stages and their CRM names.

**Day 2 — intake and journey.** Put the export in this folder and run
`playbook validate .` until it says *valid* (it lists every problem: file, row, column,
value, what to do). Then `playbook run . --only 00 01`: read the data intake (coverage,
gaps) and the journey map with the client — do they recognise their funnel?

**Day 3 — stages and handoffs.** `playbook run . --only 02 03`: stage conversion with
intervals and the bottlenecks that survive the other slices; first-contact speed, SLAs and
sleeping leads by team and rep. Walk the sales managers through their team's lines.

**Day 4 — capability assessments.** Managers fill `assessment_form.xlsx` (one sheet per
team; competencies and scores are drop-downs): one row per rep and competency, with the
date and the assessor. Save it here under the same name, run `playbook validate .` (a
wrong competency or score is named with its sheet, row and column), then
`playbook run . --only 04 05` for the capability radar and the development plan.

**Day 5 — plan and readout.** `playbook run . --export pdf,pptx` writes the whole report,
`report.pdf` and `report.pptx` (title, executive summary, one slide per top problem, the
pilot verdict, next steps). The executive summary on the first page names the three to
five problems that cost the most, with money at stake per month, owner, action and
expected gain, and what was checked and found clean. Add `--anonymize` before the report
leaves the company.

## 中文

**第 1 天——数据需求。** 把 `EXPORT_GUIDE.md` 发给客户。必需：商机及其阶段记录；如有，再提供
活动、销售（含团队与角色）、交付结果和目标。确认分析期间和数据负责人。填写 `pilot.yml`：
名称、语言、币种、时区、漏斗阶段及其在 CRM 中的名称。

**第 2 天——数据盘点与客户旅程。** 把导出文件放进本文件夹，运行 `playbook validate .`
直到显示 *valid*（它会列出每个问题：文件、行、列、值、怎么改）。然后运行
`playbook run . --only 00 01`，与客户一起阅读数据盘点和客户旅程：这是他们认识的漏斗吗？

**第 3 天——阶段与交接。** `playbook run . --only 02 03`：带置信区间的阶段转化、控制其他切片后
仍然成立的瓶颈；按团队和销售的首次联系速度、SLA 与沉睡线索。与各销售经理逐条过一遍本团队的结果。

**第 4 天——能力评估。** 各经理填写 `assessment_form.xlsx`（每个团队一个工作表，能力项和分数
都是下拉选择）：每位销售每项能力一行，填写日期和评估人。以同名保存到本文件夹，运行
`playbook validate .`（能力项或分数填错会指出工作表、行和列），再运行
`playbook run . --only 04 05` 得到能力雷达和发展计划。

**第 5 天——计划与汇报。** `playbook run . --export pdf,pptx` 生成完整报告以及 `report.pdf`
和 `report.pptx`（封面、管理层摘要、每个重点问题一页、试点结论、下一步）。首页的管理层摘要
列出损失最大的三到五个问题，附每月涉及金额、负责人、行动和预期收益，以及已检查且健康的环节。
报告发出公司前请加 `--anonymize`。
"""

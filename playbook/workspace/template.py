"""``playbook init``: a commented template workspace to fill from a CRM export."""

from __future__ import annotations

from pathlib import Path

from playbook.exceptions import UsageError
from playbook.workspace.schema import TABLES

PILOT_TEMPLATE = """\
# pilot.yml — describes one pilot. Every setting is optional; defaults are shown.
# Reference: README.md, "Config reference".

name: my-pilot            # shown in the report title
language: en              # report language: en or zh (playbook run --lang overrides)
timezone: Asia/Shanghai   # IANA name; times without a UTC offset are read as this zone
currency: CNY

# Table files, if not named <table>.csv / .xlsx / .parquet (inside this folder; a folder
# elsewhere must be allowed on the command line: playbook run WS --allow-path DIR):
# tables:
#   deals: opportunities_export.xlsx

funnel:
  # When a deal jumps a stage (lead -> proposal), count it as having passed intent?
  skip_counts_as_passed: true
  stages:                 # in order; id is stable, labels are for display,
    - id: lead            # aliases are raw stage names as your CRM exports them
      label_en: Lead
      label_zh: 线索
      aliases: [Prospecting, New, 潜在客户]
      window_days: 14     # days to leave this stage before a cohort counts as mature
    - id: intent
      label_en: Intent
      label_zh: 意向
      aliases: [Qualification, Qualified, Engaging, 需求确认]
      window_days: 30
    - id: proposal
      label_en: Proposal
      label_zh: 方案
      aliases: [Proposal/Price Quote, Quote, 报价]
      window_days: 30
    - id: negotiation
      label_en: Negotiation
      label_zh: 谈判
      aliases: [Negotiation/Review, 商务谈判]
      window_days: 60
    - id: signed
      label_en: Signed
      label_zh: 签约
      aliases: [Closed Won, Won, 赢单, 成交]
      window_days: 30

# Journey phases: which stages and activity types belong to each.
phases:
  awareness:  {stages: [], activity_types: [campaign, webinar, ad, event]}
  interest:   {stages: [lead], activity_types: [form, download, call]}
  evaluation: {stages: [intent, proposal], activity_types: [meeting, demo]}
  decision:   {stages: [negotiation], activity_types: [review, email]}
  execution:  {stages: [signed], activity_types: [kickoff, onboarding, renewal]}

sla:
  first_contact_hours: 24            # lead created -> first real sales contact
  proposal_review_business_days: 3   # proposal -> next step
  custom: []                         # - {name: ..., from_event: ..., to_event: ..., within_hours: 48}

calendar:                 # business-hours clock for SLAs
  workdays: [0, 1, 2, 3, 4]   # Monday = 0
  start_hour: 9
  end_hour: 18
  holidays: []                # e.g. [2026-10-01, 2026-10-02]
  extra_workdays: []          # make-up working days (调休), e.g. [2026-09-28]

sleeping_lead_days: 14    # an open lead with no activity for this long is "sleeping"

focus:                    # the strategic focus compared against the rest
  dimension: segment
  value: null             # e.g. Manufacturing

dimensions: [segment, region, product, source]   # deal columns to slice rates by

adjustment:               # reps and teams are compared on like deals (steps 3, 4, 5)
  enabled: true               # observed vs expected from the deal mix (dimensions, deal size, quarter)
  features: []                # further deal columns to adjust for, e.g. [company_size]
  amount_bands: 4             # deal-size bands cut from amount (0: leave deal size out)

capability:
  scale_min: 1
  scale_max: 5
  dimensions:
    - {id: product_knowledge, label_en: "Industry & product knowledge", label_zh: 行业与产品知识}
    - {id: needs_discovery, label_en: Needs discovery, label_zh: 需求挖掘}
    - {id: value_proposition, label_en: "Value proposition & presentation", label_zh: 价值呈现与方案演示}
    - {id: internal_coordination, label_en: Internal coordination, label_zh: 内部协同}
    - {id: digital_tools, label_en: Digital tool fluency, label_zh: 数字化工具应用}
    - {id: reflection, label_en: "Reflection & self-development", label_zh: 复盘与自我提升}

min_group_size: 5         # no group average over fewer people than this

intake:                   # rows the checks name (an impossible date, an unknown status, ...)
  on_bad_rows: fail           # fail: refuse the workspace; quarantine: set them aside with their
                              # deal's rows into quarantine.csv (playbook run --on-bad-rows)
  max_quarantined: 0.01       # the largest share of deals that may be set aside

# Analysed period (deals created within it), inclusive ISO dates:
period_start: null
period_end: null

# Reading a CRM export directly instead of the table files (see README, "Reading a CRM
# export directly"), e.g.:
# source: {type: salesforce, file: Opportunities.csv, history: "Opportunity History.csv",
#          date_format: "%m/%d/%Y"}

pilot:                    # the intervention being tested (step 7)
  group_column: pilot_group   # deals column with values pilot / control
  start: null                 # ISO date the pilot started
  target_stage: null          # the from-stage it targets, named in advance (e.g. intent)
  expected_lift: 0.1          # absolute lift it should bring (0.1 = 10 points)
  randomised: false           # true when reps/teams were assigned at random (e.g. the
                              # report's recommended split): the design is then "randomised"
  min_overlap: 0.2            # groups sharing less of their deals on a dimension (e.g. pilot
                              # reps only in regions no control rep works) cannot be told
                              # apart from it without a pre-period: no effect is claimed

scoring:                  # lead scoring and alerts (step 6)
  early_days: 3               # activities within this many days of creation are used
  model: auto                 # logistic unless boosting is clearly better; or logistic, boosting
  include: []                 # deal columns to use although the feature audit leaves them out

monthly:                  # playbook monthly
  unit_column: region         # deals column that splits business units
  steps: []                   # shipped step notebooks to add to each unit's report, e.g. [02_stage_rates]
"""

EXPORT_GUIDE = """\
# Exporting from your CRM

Fill one file per table (CSV in UTF-8 or GB18030, Excel, or Parquet), keeping the
header row of the templates here. Only `deals` and `stage_events` are required.

1. **deals** — one row per opportunity: id, created date, owner, status
   (open / won / lost, or Closed Won / 赢单 …), close date for closed deals, amount,
   segment, region, product, source, account, lost reason. Extra columns are kept
   and can be used for slicing and scoring.
2. **stage_events** — one row each time a deal entered a stage: the stage history
   (Salesforce: *Opportunity History* report; HubSpot: the "Date entered <stage>"
   columns; 纷享销客/销售易: 阶段变更记录). Stage names as the CRM writes them;
   map them to the funnel in `pilot.yml` under `aliases`.
3. **activities** — calls (a missed call as `call_attempt`), emails, meetings,
   demos, with who did them and their team (marketing / sales / customer_success
   / product / other), and the content item used (`content_id`, see 7).
4. **reps** — one row per person: id, name, team, region, role
   (new / experienced / key_account), hire date.
5. **assessments** — capability scores: rep, dimension id (see `pilot.yml`), score.
6. **outcomes** — for won deals: go-live date, delayed, complaints, renewed,
   renewal and upsell dates, NPS.
7. **content** — the content library: one row per e-mail template, proposal
   template, meeting agenda, call script or case study (`content_id`, `type`,
   `title`, `language`, `tags`, `owner`, `created_at`), with its text in `body` or
   a `.txt`, `.md`, `.docx` or `.pdf` file in this folder named in `path`. Give
   activities a `content_id` column naming the item each call, e-mail or meeting
   used: step 8 then measures which items win and which lose.

Dates like `2026-03-01`, `2026/3/1 14:30` or `2026年3月1日` are understood.
Then run `playbook validate .` in this folder: it lists every problem with file,
row, column and what to do.

## Exports as they come

- **Leads and closed deals in two tables** (a marketing funnel: every lead with its
  first contact date, and the deals won, joined by the lead id): no need to reshape
  them. Describe them in `pilot.yml`:
  `source: {type: two_table, file: leads.csv, columns: {deal_id: lead_id, created_at:
  first_contact_date}, closed: {file: closed_deals.csv, columns: {deal_id: lead_id,
  closed_at: won_date, owner_id: rep}}}`. Leads without a closed deal are open.
- **Your own stages** (e.g. `mql` → `won`): list them under `funnel.stages`; leave
  `phases` out and the phases follow your stages.
- **A few impossible rows** (a deal won before its first contact): run
  `playbook run . --on-bad-rows quarantine` (or set `intake.on_bad_rows: quarantine`).
  Those rows and their deal's rows are set aside, listed in `quarantine.csv` with
  their reasons, as long as they stay under `intake.max_quarantined` (1% of deals).
- **No losses recorded**: the headline shows the conversion of mature deals instead
  of a win rate among resolved deals (which would read 100%).
- Tables the report writes (CSV) are safe to open in Excel: a cell starting with
  `=`, `+`, `-` or `@` is written as text.

## 按原样导出

- **线索表与成交表两张表**（营销漏斗：每条线索及首次接触日期，以及按线索编号关联的成交
  商机）：无需自行整理，在 `pilot.yml` 中描述即可：
  `source: {type: two_table, file: leads.csv, columns: {deal_id: lead_id, created_at:
  first_contact_date}, closed: {file: closed_deals.csv, columns: {deal_id: lead_id,
  closed_at: won_date, owner_id: rep}}}`。没有成交记录的线索视为进行中。
- **自定义阶段**（如 `mql` → `won`）：在 `funnel.stages` 中列出；不写 `phases` 时，
  旅程阶段会按您的阶段自动划分。
- **少量不合理的行**（如赢单日期早于首次接触）：运行
  `playbook run . --on-bad-rows quarantine`（或设置 `intake.on_bad_rows: quarantine`）。
  这些行及其所属商机的全部记录会被隔离，并连同原因列在 `quarantine.csv` 中，前提是不超过
  `intake.max_quarantined`（商机的 1%）。
- **没有记录输单**：核心指标改为成熟商机转化率，而不是已结案商机的赢单率（后者会显示为 100%）。
- 报告写出的表格（CSV）可放心用 Excel 打开：以 `=`、`+`、`-` 或 `@` 开头的单元格会按文本写出。
"""


def init_workspace(directory: str | Path, *, force: bool = False) -> list[Path]:
    """Write ``pilot.yml``, header-only table templates, ``EXPORT_GUIDE.md``, the week's
    walkthrough ``FIVE_DAYS.md`` and the capability ``assessment_form.xlsx``.

    Raises
    ------
    UsageError
        When ``directory`` already holds a ``pilot.yml`` and ``force`` is False.
    """
    folder = Path(directory)
    if (folder / "pilot.yml").exists() and not force:
        raise UsageError(f"{folder / 'pilot.yml'} already exists; use --force to overwrite it")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    path = folder / "pilot.yml"
    path.write_text(PILOT_TEMPLATE, encoding="utf-8")
    written.append(path)
    for table, columns in TABLES.items():
        path = folder / f"{table}.csv"
        if path.exists() and not force:
            continue
        path.write_text(",".join(columns) + "\n", encoding="utf-8")
        written.append(path)
    path = folder / "EXPORT_GUIDE.md"
    path.write_text(EXPORT_GUIDE, encoding="utf-8")
    written.append(path)
    written.extend(write_week_guide(folder, force=force))
    return written


def write_week_guide(folder: Path, *, force: bool = False) -> list[Path]:
    """``FIVE_DAYS.md`` and the capability ``assessment_form.xlsx`` (one sheet per team of
    the folder's reps table when there is one; a filled form is kept unless ``force``)."""
    from playbook.workspace.assessment_form import FORM_NAME, write_form
    from playbook.workspace.config import load_config
    from playbook.workspace.files import find_table_file, read_raw
    from playbook.workspace.five_days import FIVE_DAYS

    guide = folder / "FIVE_DAYS.md"
    guide.write_text(FIVE_DAYS, encoding="utf-8")
    written = [guide]
    form = folder / FORM_NAME
    if form.exists() and not force:
        return written
    config = load_config(folder)
    reps_file = find_table_file(folder, "reps", config)
    reps = None
    if reps_file is not None:
        raw, _, _, problems, _ = read_raw(reps_file, "reps")
        reps = None if problems or raw.empty else raw
    written.append(write_form(form, config, reps))
    return written

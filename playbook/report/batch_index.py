"""What a monthly batch leaves for people and tools to read: the month's index page,
``<YYYY-MM>.batch.json``, and the failure report the command prints."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING

from playbook.report import safe_name

if TYPE_CHECKING:
    from playbook.report.batch import BatchResult


def failure_report(batch: BatchResult) -> str:
    """What the command prints after a batch with failed units: each failure once, in full."""
    failed = batch.failed
    written = len(batch.units) - len(failed)
    lines = [
        f"{len(failed)} of {len(batch.units)} unit(s) failed"
        + (
            f"; the {written} other unit(s) were written."
            if written
            else "; no unit report was written."
        )
        + " A failed unit keeps its last good report."
    ]
    for unit in failed:
        error = unit.error.strip() or "no error message"
        head, *rest = error.splitlines()
        lines.append(f"FAILED {unit.unit}: {head}")
        lines.extend(f"  {line.strip()}" for line in rest if line.strip())
    again = " ".join(f"--unit {shlex.quote(u.unit)}" for u in failed if u.unit != "all")
    if again:
        lines.append(f"After fixing them, run only these again with: {again}")
    return "\n".join(lines)


def write_batch(batch: BatchResult, config, language: str) -> None:
    from playbook.report.pages import _jinja

    data = {
        "month": batch.month,
        "ok": batch.ok,
        "units": [
            {
                "unit": u.unit,
                "ok": u.ok,
                "folder": u.folder,
                "report": u.report_dir,
                "error": u.error,
                "problems": u.problems,
            }
            for u in batch.units
        ],
        "failed": [u.unit for u in batch.failed],
    }
    data["company"] = f"{batch.month}.company.json"
    path = batch.base / f"{batch.month}.batch.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    from playbook.i18n import t
    from playbook.report import format_kpi
    from playbook.report.company import company_section, write_company

    company = company_section(write_company(batch), batch.month, language)

    rows = []
    for u in batch.units:
        href = ""
        if u.ok:
            href = f"{u.folder or safe_name(u.unit)}/{batch.month}/index.html"
        rows.append(
            {
                "unit": u.unit,
                "ok": u.ok,
                "href": href,
                "status": t("step_ok" if u.ok else "step_failed", language),
                "error": u.error.splitlines()[0] if u.error else "",
                "kpis": [
                    format_kpi(u.kpis[k]) if k in u.kpis else "–"
                    for k in ("won_revenue", "win_rate", "new_deals")
                ],
            }
        )
    page = (
        _jinja()
        .get_template("batch.html.j2")
        .render(
            title=t("batch_title", language, name=config.name, month=batch.month),
            language=language,
            rows=rows,
            company=company,
            headers=[
                t(k, language)
                for k in (
                    "col_unit",
                    "col_status",
                    "kpi_won_revenue",
                    "kpi_win_rate",
                    "kpi_new_deals",
                )
            ],
        )
    )
    (batch.base / f"{batch.month}.html").write_text(page, encoding="utf-8")

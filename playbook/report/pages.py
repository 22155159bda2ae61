"""The report's pages: each step notebook as code-free HTML, the index, and summary.json."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from playbook.findings import SCHEMA_VERSION, findings_from_records, rank
from playbook.i18n import t
from playbook.report import PARTS
from playbook.report.kernel import StepResult, without_stderr
from playbook.report.publish import _step_keys
from playbook.steps.intake.headline import index_notes
from playbook.workspace.config import PilotConfig

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def _jinja():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"])
    )


@functools.cache
def _exporter(language: str):
    """One HTML exporter per language, built once: setting up nbconvert's templates costs
    more than converting a notebook, and the exporter keeps no state between notebooks."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    other = "lang-zh" if language == "en" else "lang-en"
    cfg = Config()
    cfg.TagRemovePreprocessor.remove_cell_tags = {other, "remove-cell"}
    cfg.TagRemovePreprocessor.enabled = True
    exporter = HTMLExporter(
        config=cfg,
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )
    exporter.register_preprocessor(TagRemovePreprocessor(config=cfg), enabled=True)
    return exporter


def export_html(executed: Path, target: Path, *, title: str, language: str) -> None:
    """Code-free, self-contained HTML of an executed notebook.

    nbconvert's ``basic`` template gives the cells' HTML only (no CDN scripts);
    it is wrapped in our own page with inline CSS, so the page opens offline.
    Markdown cells tagged for the other language are dropped.
    """
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    body, _ = _exporter(language).from_notebook_node(without_stderr(nb))
    page = (
        _jinja()
        .get_template("page.html.j2")
        .render(title=title, body=body, language=language, back=t("back_to_index", language))
    )
    target.write_text(page, encoding="utf-8")


def _read_parts(folder: Path) -> list[dict]:
    parts = []
    for path in sorted((folder / PARTS).glob("*.json")):
        parts.append(json.loads(path.read_text(encoding="utf-8")))
    return parts


def build_summary(
    parts: list[dict], config: PilotConfig, language: str, steps: list[StepResult], period: dict
) -> dict:
    """``summary.json``: versioned, stably ordered, free of wall-clock values."""
    kpis: dict = {}
    stages: list = []
    records: list = []
    for part in parts:
        kpis.update(part.get("kpis", {}))
        if part.get("stages"):
            stages = part["stages"]
        records.extend(part.get("findings", []))
    findings = rank(findings_from_records(records))
    return {
        "schema_version": SCHEMA_VERSION,
        "workspace": config.name,
        "language": language,
        "period": period,
        "kpis": dict(sorted(kpis.items())),
        "stages": stages,
        "findings": [f.to_summary() for f in findings],
        "steps": {
            s.step: ("ok" if s.ok else "failed") for s in sorted(steps, key=lambda s: s.step)
        },
    }


def render_index(
    folder: Path,
    summary: dict,
    config: PilotConfig,
    language: str,
    steps: list[StepResult],
    run_id: str,
    n_alerts: int,
    view=None,
) -> None:
    """``index.html``: the executive summary first, then the scorecard, the grouped
    findings and the links to every step (see :mod:`playbook.report.overview`)."""
    from playbook.report.overview import build_overview, page_context

    if view is None:
        view = build_overview(summary["findings"], summary, config, language)
    links = [
        {
            "title": t(s.step, language) if s.step in _step_keys() else s.step,
            "href": f"{s.step}.html",
            "ok": s.ok,
            "status": t("step_ok" if s.ok else "step_failed", language),
            "seconds": round(s.seconds, 1),
        }
        for s in sorted(steps, key=lambda s: s.step)
    ]
    page = (
        _jinja()
        .get_template("index.html.j2")
        .render(
            title=t("report_title", language, name=config.name),
            subtitle=t(
                "generated",
                language,
                run_id=run_id,
                deals=summary["kpis"].get("deals", {}).get("value", "?"),
                start=summary["period"].get("start", "?"),
                end=summary["period"].get("end", "?"),
            ),
            links=links,
            language=language,
            text={
                k: t(k, language)
                for k in (
                    "headline_kpis",
                    "no_findings",
                    "steps",
                    "kpi",
                    "value",
                    "severity",
                    "finding",
                )
            },
            alerts=t("alerts_count", language, n=n_alerts),
            no_amounts=t("no_amounts", language)
            if summary["kpis"].get("won_revenue", {"value": 0})["value"] is None
            else "",
            headline_notes=index_notes(summary, language),
            **page_context(view),
        )
    )
    (folder / "index.html").write_text(page, encoding="utf-8")

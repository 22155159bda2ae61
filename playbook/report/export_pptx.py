"""The report as an editable slide deck (python-pptx), in the report's language.

Slides: title; the executive summary (a native table); one slide per top problem
(the step's figure, the finding, owner, action and expected gain); the pilot verdict
and design; what was checked and found clean; next steps. Text is in real text boxes
and tables, so the consultant edits it in PowerPoint or WPS; only figures are pictures.
Chinese runs carry an East Asian font name so they render with CJK glyphs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from playbook.i18n import TEXT, t
from playbook.report.overview import money_text

CJK_FONT = "Noto Sans CJK SC"
LATIN_FONT = "Arial"
TITLE_SIZE, BODY_SIZE, SMALL_SIZE = 28, 16, 12


def figure_for(item: Mapping[str, Any], figures: Path) -> Path | None:
    """The report figure that shows a problem best, or None when there is none."""
    kind, dimension = item.get("kind"), item.get("dimension")
    candidates = {
        "bottleneck": [f"02_heatmap_{dimension}.png", "02_funnel.png"],
        "slow_handoff": ["03_sla_by_team.png", "03_response_time_curves.png"],
        "sleeping_leads": ["03_response_conversion.png", "03_response_time_curves.png"],
        "capability_gap": ["04_gaps.png", "04_radar.png"],
    }.get(str(kind), [])
    for name in candidates:
        if (figures / name).is_file():
            return figures / name
    return None


def _font(run, language: str, size: int, bold: bool = False) -> None:
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = LATIN_FONT
    if language == "zh":
        rpr = run._r.get_or_add_rPr()
        for tag in ("a:ea", "a:cs"):
            element = rpr.find(qn(tag))
            if element is None:
                element = rpr.makeelement(qn(tag), {})
                rpr.append(element)
            element.set("typeface", CJK_FONT)


def _text_box(slide, lines, left, top, width, height, language, size=BODY_SIZE):
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        bold = isinstance(line, tuple)
        text = line[0] if bold else line
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.space_after = Pt(6)
        run = paragraph.add_run()
        run.text = str(text)
        _font(run, language, size, bold=bold)
    return box


def _picture(slide, path: Path, *, left, top, width, height) -> None:
    """The figure, as large as fits the box (inches), its aspect ratio kept."""
    from PIL import Image
    from pptx.util import Inches

    with Image.open(path) as image:
        aspect = image.height / image.width
    if width * aspect > height:
        slide.shapes.add_picture(str(path), Inches(left), Inches(top), height=Inches(height))
    else:
        slide.shapes.add_picture(str(path), Inches(left), Inches(top), width=Inches(width))


def _title(slide, text: str, language: str) -> None:
    _text_box(slide, [(text,)], 0.5, 0.3, 12.3, 0.9, language, size=TITLE_SIZE)


def _table(slide, header, rows, language, top=1.3):
    from pptx.util import Inches

    shape = slide.shapes.add_table(
        len(rows) + 1, len(header), Inches(0.5), Inches(top), Inches(12.3), Inches(0.5)
    )
    table = shape.table
    for c, text in enumerate(header):
        _cell(table.cell(0, c), text, language, bold=True)
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row):
            _cell(table.cell(r, c), text, language)
    return table


def _cell(cell, text, language, bold=False) -> None:
    frame = cell.text_frame
    frame.word_wrap = True
    run = frame.paragraphs[0].add_run()
    run.text = str(text)
    _font(run, language, SMALL_SIZE, bold=bold)


def _slice(item: Mapping[str, Any], language: str) -> str:
    key = f"kind_{item['kind']}"
    kind = TEXT[key][language] if key in TEXT else item["kind"]
    value = item.get("value")
    return f"{kind} · {value}" if value is not None else kind


def _problem_slide(slide, i: int, item: Mapping[str, Any], folder: Path, currency, lang) -> None:
    """One top problem: the step's figure, the finding, money, owner, action and gain."""
    _title(slide, f"{t('export_problem', lang, i=i)}: {_slice(item, lang)}", lang)
    figure = figure_for(item, folder / "figures")
    text_left, text_width = (7.2, 5.6) if figure else (0.5, 12.3)
    if figure is not None:
        _picture(slide, figure, left=0.5, top=1.3, width=6.4, height=5.9)
    at_stake = money_text(item["revenue_at_stake"], item["at_stake_unit"], currency, lang)
    gain = money_text(item["expected_gain"], item["at_stake_unit"], currency, lang)
    lines = [
        item.get("evidence") or "",
        (f"{t('exec_at_stake', lang)}: {at_stake}",),
        f"{t('exec_owner', lang)}: {item['owner']}",
        f"{t('exec_action', lang)}: {item['action']}",
        f"{t('exec_gain', lang)}: {gain}",
    ]
    _text_box(slide, lines, text_left, 1.3, text_width, 5.5, lang, size=SMALL_SIZE + 2)


def build_deck(folder: Path):
    """The deck of the report in ``folder`` (a python-pptx Presentation, not saved)."""
    from pptx import Presentation
    from pptx.util import Inches

    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    lang = summary.get("language", "en")
    currency = summary.get("currency", "") or ""
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    blank = deck.slide_layouts[6]
    period = summary.get("period") or {}

    slide = deck.slides.add_slide(blank)
    _title(slide, t("report_title", lang, name=summary.get("workspace", "")), lang)
    _text_box(
        slide,
        [
            t("export_title_slide", lang),
            t("export_period", lang, start=period.get("start"), end=period.get("end")),
        ],
        0.5,
        1.5,
        12.3,
        2.0,
        lang,
    )

    items = summary.get("executive", [])
    slide = deck.slides.add_slide(blank)
    _title(slide, t("exec_title", lang), lang)
    if items:
        header = [
            "#",
            t("export_col_problem", lang),
            t("exec_at_stake", lang),
            t("exec_owner", lang),
            t("exec_gain", lang),
        ]
        rows = [
            [
                i,
                _slice(item, lang),
                money_text(item["revenue_at_stake"], item["at_stake_unit"], currency, lang),
                item["owner"],
                money_text(item["expected_gain"], item["at_stake_unit"], currency, lang),
            ]
            for i, item in enumerate(items, start=1)
        ]
        _table(slide, header, rows, lang)
    else:
        _text_box(slide, [t("exec_none", lang)], 0.5, 1.3, 12.3, 1.0, lang)

    for i, item in enumerate(items, start=1):
        _problem_slide(deck.slides.add_slide(blank), i, item, folder, currency, lang)

    slide = deck.slides.add_slide(blank)
    _title(slide, t("export_pilot", lang), lang)
    pilot = [f for f in summary.get("findings", []) if f.get("kind") == "pilot_effect"]
    lines: list = []
    for finding in pilot[:2]:
        lines.append(finding.get("evidence") or "")
        if finding.get("design"):
            key = f"export_design_{finding['design']}"
            design = t(key, lang) if key in TEXT else finding["design"]
            lines.append((t("export_design", lang, design=design),))
    _text_box(slide, lines or [t("export_no_pilot", lang)], 0.5, 1.3, 12.3, 5.5, lang)

    clean = summary.get("checked_clean", [])
    slide = deck.slides.add_slide(blank)
    _title(slide, t("export_clean", lang), lang)
    _text_box(
        slide,
        [c["text"] for c in clean[:10]] or [t("exec_clean_none", lang)],
        0.5,
        1.3,
        12.3,
        5.5,
        lang,
        size=SMALL_SIZE + 2,
    )

    slide = deck.slides.add_slide(blank)
    _title(slide, t("export_next_steps", lang), lang)
    steps = [
        t("export_next_owner", lang, owner=item["owner"], action=item["action"]) for item in items
    ]
    _text_box(slide, steps or [t("exec_none", lang)], 0.5, 1.3, 12.3, 5.5, lang)
    return deck


def write_pptx(folder: Path, target: Path) -> None:
    """Write the deck of the report in ``folder`` to ``target``."""
    build_deck(folder).save(str(target))

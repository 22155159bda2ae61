"""End to end: the day-five deliverable of a real run of the sample.

One English run with ``--export pdf,pptx`` and one Chinese, anonymised run of the steps
that carry findings (02, 03) are shared by every test here. The Chinese run is made
without a browser first (the HTML report must still be published, exit 2), then
exported with ``playbook export``.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path

import pandas as pd
import pytest

from playbook.cli import main
from playbook.report import export_pdf

pytestmark = pytest.mark.notebooks

DEALS = 3000  # enough for the sample's planted slow team with slow reps of its own


def _words(text: str) -> str:
    """Letters and digits only: PDF text extraction changes dashes, spaces and breaks
    (and NFKC turns the Kangxi radicals some CJK fonts map glyphs to back into the
    characters they show)."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text))


def _contains(page: str, sentence: str) -> bool:
    """Whether ``sentence`` is on ``page``, allowing a few characters that the font's
    text map gives as CJK radical-supplement code points (``⻓`` for ``长``): the glyphs
    are right, their extracted code points are not."""
    page, sentence = _words(page), _words(sentence)
    if sentence in page:
        return True
    match = SequenceMatcher(None, sentence, page, autojunk=False).find_longest_match()
    start = max(0, match.b - match.a)
    window = page[start : start + len(sentence) + 10]
    matched = sum(b.size for b in SequenceMatcher(None, sentence, window).get_matching_blocks())
    return matched >= 0.9 * len(sentence)


def _latest(out: Path, ws: Path) -> Path:
    base = out / ws.name
    return base / (base / "LATEST").read_text(encoding="utf-8").strip()


@pytest.fixture(scope="module")
def deliverable(tmp_path_factory):
    from playbook.sample import generate

    root = tmp_path_factory.mktemp("deliver")
    ws = root / "acme"
    generate(ws, seed=7, deals=DEALS)
    out = root / "reports"
    en_code = main(["-q", "run", str(ws), "--out", str(out), "--export", "pdf,pptx"])
    en = _latest(out, ws)
    zh_out = root / "zh"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(export_pdf, "CHROMIUM", str(root / "no-chromium"))
        zh_code = main(
            [
                "-q",
                "run",
                str(ws),
                "--out",
                str(zh_out),
                "--lang",
                "zh",
                "--anonymize",
                "--only",
                "02",
                "03",
                "--export",
                "pdf,pptx",
            ]
        )
    zh = next(p for p in (zh_out / ws.name).iterdir() if p.is_dir() and p.name[0].isdigit())
    zh_before_export = sorted(p.name for p in zh.iterdir())
    zh_export_code = main(["export", str(zh), "--export", "pdf"])
    return {
        "ws": ws,
        "en": en,
        "zh": zh,
        "codes": (en_code, zh_code, zh_export_code),
        "zh_before_export": zh_before_export,
    }


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def test_run_and_exports_succeed(deliverable) -> None:
    en_code, zh_code, zh_export_code = deliverable["codes"]
    assert en_code == 0 and zh_export_code == 0
    # no browser: the HTML report is published (with its deck), the PDF is refused with 2
    assert zh_code == 2
    assert "index.html" in deliverable["zh_before_export"]
    assert "report.pptx" in deliverable["zh_before_export"]
    assert not [n for n in deliverable["zh_before_export"] if "pdf" in n]


def test_first_screen_names_the_top_problems_with_money_owner_and_action(deliverable) -> None:
    summary = _summary(deliverable["en"])
    assert summary["schema_version"] == "1.2"
    items = summary["executive"]
    assert 2 <= len(items) <= 5
    index = (deliverable["en"] / "index.html").read_text(encoding="utf-8")
    if len(items) < 3:  # said, not padded with weaker findings
        assert f"Only {len(items)} problem(s) passed the evidence standard" in index
    money = [i["revenue_at_stake"] for i in items if i["revenue_at_stake"] is not None]
    assert money == sorted(money, reverse=True) and money[0] > 0
    for item in items:
        assert (
            item["owner"]
            and item["action"]
            and (item["expected_gain"] or 0) <= (item["revenue_at_stake"] or 0)
        )
        assert {"kind", "stage", "dimension", "value", "n", "ci_low", "ci_high"} <= set(item)
    first_screen = index[: index.index("pb-scorecard")]
    for item in items:
        assert item["owner"] in first_screen
        if item["revenue_at_stake"] is not None:
            assert f"{item['revenue_at_stake']:,.0f}" in first_screen
    unpriced = [i["revenue_at_stake"] is None for i in items]
    assert unpriced == sorted(unpriced)  # problems with a money figure first
    assert summary["checked_clean"], "a diagnosis also says what is fine"
    # every finding is still in the summary, grouping is presentation
    parts = deliverable["en"] / "parts"
    saved = [f for p in sorted(parts.glob("*.json")) for f in json.loads(p.read_text())["findings"]]
    assert len(summary["findings"]) == len(saved)


def test_no_reps_finding_repeats_its_teams_finding(deliverable) -> None:
    summary = _summary(deliverable["en"])
    reps = pd.read_csv(deliverable["ws"] / "reps.csv", dtype=str)
    team_of = dict(zip(reps["rep_id"], reps["team"], strict=True))
    teams = {(f["kind"], f["value"]) for f in summary["findings"] if f["dimension"] == "team"}
    folded = [
        f
        for f in summary["findings"]
        if f["dimension"] == "owner_id" and (f["kind"], team_of.get(f["value"])) in teams
    ]
    assert folded, "the sample plants a slow team whose reps are slow too"
    index = (deliverable["en"] / "index.html").read_text(encoding="utf-8")
    groups = index[index.index("pb-groups") :]
    for finding in folded:
        assert finding["evidence"] not in groups  # shown as a team member, not a row
        assert finding["value"] in groups


def test_pdf_opens_with_the_executive_summary(deliverable) -> None:
    from pypdf import PdfReader

    for lang in ("en", "zh"):
        folder = deliverable[lang]
        reader = PdfReader(folder / "report.pdf")
        steps = len(list(folder.glob("[0-9][0-9]_*.html")))
        assert len(reader.pages) > steps  # the overview, then each step on new pages
        first = reader.pages[0].extract_text()
        evidence = _summary(folder)["executive"][0]["evidence"]
        assert _contains(first, evidence), (lang, evidence, first[:800])
        size = reader.pages[0].mediabox
        assert abs(float(size.width) - 595.3) < 2 and abs(float(size.height) - 841.9) < 2  # A4
    zh_text = PdfReader(deliverable["zh"] / "report.pdf").pages[0].extract_text()
    assert "管理层摘要" in zh_text  # Chinese glyphs survive, as text


def test_deck_has_a_slide_per_top_problem_with_native_tables(deliverable) -> None:
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for lang, title in (("en", "Executive summary"), ("zh", "管理层摘要")):
        folder = deliverable[lang]
        items = _summary(folder)["executive"]
        deck = Presentation(str(folder / "report.pptx"))
        slides = list(deck.slides)
        assert len(slides) == 2 + len(items) + 3  # title, summary, problems, pilot, clean, next
        titles = [s.shapes[0].text_frame.text for s in slides]
        assert titles[1] == title
        assert all(t.endswith(str(i["value"])) for t, i in zip(titles[2:], items, strict=False))
        kinds = {shape.shape_type for shape in slides[1].shapes}
        assert MSO_SHAPE_TYPE.TABLE in kinds  # editable, not a screenshot
        problem_shapes = {shape.shape_type for shape in slides[2].shapes}
        assert MSO_SHAPE_TYPE.PICTURE in problem_shapes
        assert items[0]["action"] in " ".join(
            s.text_frame.text for s in slides[2].shapes if s.has_text_frame
        )


def test_anonymised_summary_names_no_person(deliverable) -> None:
    text = (deliverable["zh"] / "summary.json").read_text(encoding="utf-8")
    reps = pd.read_csv(deliverable["ws"] / "reps.csv", dtype=str)
    for value in [*reps["rep_id"], *reps["name"]]:
        assert not re.search(rf"\b{re.escape(value)}\b", text), value
    for item in _summary(deliverable["zh"])["executive"]:
        assert not re.search(r"(Rep|Staff)-[0-9a-f]{6}", json.dumps(item, ensure_ascii=False))
        assert re.search(r"[\u4e00-\u9fff]", item["owner"] + item["action"])


def test_export_of_a_report_is_atomic_and_checks_its_input(deliverable, tmp_path, capsys):
    copy = tmp_path / "report"
    shutil.copytree(deliverable["en"], copy)
    (copy / "report.pdf").unlink()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(export_pdf, "CHROMIUM", str(tmp_path / "missing"))
        assert main(["export", str(copy), "--export", "pdf"]) == 2
    err = capsys.readouterr().err
    assert "install-browser.sh" in err and "Traceback" not in err
    assert not list(copy.glob("*.pdf*")) and not list(copy.glob(".*.tmp"))
    assert main(["export", str(tmp_path), "--export", "pptx"]) == 2
    assert main(["export", str(copy), "--export", "docx"]) == 2
    assert main(["export", str(copy), "--export", "pptx", "--paper", "letter"]) == 0
    assert "PPTX: " in capsys.readouterr().out


def test_monthly_report_opens_with_the_summary_and_what_changed(deliverable, tmp_path) -> None:
    from markupsafe import escape

    ws, out = deliverable["ws"], tmp_path / "reports"
    for month in ("2026-09", "2026-10"):
        args = ["-q", "monthly", str(ws), "--month", month, "--unit", "East", "--out", str(out)]
        assert main(args) == 0
    unit = out / ws.name / "monthly" / "East"
    now, before = _summary(unit / "2026-10"), _summary(unit / "2026-09")
    assert now["schema_version"] == "1.2" and all(i["owner"] for i in now["executive"])
    index = (unit / "2026-10" / "index.html").read_text(encoding="utf-8")
    order = [index.index(h) for h in ("Executive summary", "What changed", "Headline KPIs")]
    assert order == sorted(order)
    changed = index[order[1] : order[2]]

    def key(f: dict) -> tuple:
        return (f["kind"], f["dimension"], str(f["value"]), f["stage"], f["metric"])

    old = {key(f) for f in before["findings"]}
    new_slices = [f for f in now["findings"] if key(f) not in old and f["dimension"] != "owner_id"]
    for finding in new_slices:
        assert str(escape(finding["evidence"])) in changed
    win_now, win_before = now["kpis"]["win_rate"]["value"], before["kpis"]["win_rate"]["value"]
    if f"{win_now:.1%}" != f"{win_before:.1%}":
        assert f"{win_before:.1%} → {win_now:.1%}" in changed
    first = (unit / "2026-09" / "index.html").read_text(encoding="utf-8")
    assert "No report of last month to compare with" in first

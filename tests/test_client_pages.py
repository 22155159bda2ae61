"""What a client reads: every page of a whole pilot run, in English and in Chinese, and
with no amount column. No warnings, no paths of this machine, no raw None / NaT / nan,
no English left in a Chinese page, and missing amounts said rather than shown as zero."""

from __future__ import annotations

import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import ROOT

from playbook.i18n import TEXT
from playbook.report.runner import run_pilot

pytestmark = pytest.mark.notebooks

#: Acronyms, units and names of statistical methods a Chinese page may show in Latin letters.
LATIN_OK = {"SLA", "AUC", "KPI", "NPS", "CI", "CSV", "ID", "DeLong", "LMDI", "p", "n", "t", "d"}
LATIN_OK |= {"log", "rank", "Kaplan", "Meier", "Benjamini", "Hochberg", "Wilson", "Welch"}


class Page(HTMLParser):
    """The readable parts of a report page: text, table cells, headers, image captions."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.cells: list[str] = []
        self.headers: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.alts: list[str] = []
        self._skip = 0
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "code"):
            self._skip += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = [tag, ""]
        elif tag == "img":
            self.alts += [value for name, value in attrs if name == "alt" and value]

    def handle_endtag(self, tag):
        if tag in ("style", "script", "code"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None:
            kind, content = self._cell
            content = content.strip()
            (self.headers if kind == "th" else self.cells).append(content)
            if self.tables and self.tables[-1]:
                self.tables[-1][-1].append(content)
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell[1] += data
        if data.strip():
            self.text.append(data.strip())

    @property
    def words(self) -> str:
        return "\n".join(self.text + self.alts)


def _pages(report: Path) -> dict[str, Page]:
    pages = {p.name: Page(p.read_text(encoding="utf-8")) for p in sorted(report.glob("*.html"))}
    assert len(pages) >= 9, sorted(pages)
    return pages


@pytest.fixture(scope="module")
def no_amount(small_sample: Path, tmp_path_factory) -> Path:
    """Every tenth deal of the sample, without the amount column: small enough that some
    stage rates rest on few deals (a small-sample warning is raised while it runs)."""
    ws = tmp_path_factory.mktemp("ws") / "no_amount"
    shutil.copytree(small_sample, ws)
    deals = pd.read_csv(ws / "deals.csv", dtype=str, keep_default_na=False).iloc[::10]
    deals.drop(columns=["amount"]).to_csv(ws / "deals.csv", index=False)
    for table in ("stage_events", "activities", "outcomes"):
        frame = pd.read_csv(ws / f"{table}.csv", dtype=str, keep_default_na=False)
        frame[frame["deal_id"].isin(deals["deal_id"])].to_csv(ws / f"{table}.csv", index=False)
    return ws


@pytest.fixture(scope="module")
def reports(small_sample: Path, no_amount: Path, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("client-pages")
    runs = {
        "en": (small_sample, "en"),
        "zh": (small_sample, "zh"),
        "no_amount_zh": (no_amount, "zh"),
        "no_amount_en": (no_amount, "en"),
    }
    folders = {}
    for name, (ws, language) in runs.items():
        result = run_pilot(ws, out=out / name, language=language, jobs=2)
        assert result.ok, [s.error for s in result.steps if not s.ok]
        folders[name] = result.report_dir
    return folders


def _input_values(workspace: Path) -> set[str]:
    """Every text value of the input tables and every activity type named in the config:
    the client's own words, which a page shows as they are."""
    from playbook.workspace.config import load_config

    values: set[str] = set()
    for path in workspace.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in frame.columns:
            values.update(v for v in frame[column].unique() if v)
    # the content library's texts, also those kept in the files it names, are client words;
    # the runs of English words the check finds in them are the client's too
    content = workspace / "content.csv"
    if content.exists():
        for name in pd.read_csv(content, dtype=str, keep_default_na=False)["path"]:
            if name:
                values.add((workspace / name).read_text(encoding="utf-8"))
    for value in list(values):
        values.update(re.findall(LATIN_RUN, value))
    for phase in load_config(workspace).phases.values():
        values.update(phase.activity_types)
    return values


def test_pages_show_no_warning_and_no_path_of_this_machine(reports, tmp_path_factory) -> None:
    local = {
        str(tmp_path_factory.getbasetemp()),
        str(ROOT),
        sys.prefix,
        "site-packages",
        "/home/",
        "/root/",
        "/work/",
        "/tmp/",
    }
    for variant, report in reports.items():
        for name, page in _pages(report).items():
            text = page.words
            for word in ("Warning", "warnings.warn", "FutureWarning", "DeprecationWarning"):
                assert word not in text, f"{variant}/{name} shows {word!r}"
            assert "Traceback" not in text, f"{variant}/{name}"
            for path in local:
                assert path not in text, f"{variant}/{name} shows the path {path!r}"
        # pages leave stderr out; the code must not raise library deprecations either
        for executed in (report / "executed").glob("*.ipynb"):
            notebook = nbformat.read(executed, as_version=4)
            for cell in notebook.cells:
                for output in cell.get("outputs", []):
                    text = output.get("text", "") if output.get("name") == "stderr" else ""
                    assert "FutureWarning" not in text and "DeprecationWarning" not in text, (
                        f"{variant}/{executed.name}: {text[:300]}"
                    )


def test_tables_show_no_raw_missing_values(reports) -> None:
    raw = {"None", "NaT", "nan", "NaN", "<NA>", "null", "NA"}
    for variant, report in reports.items():
        for name, page in _pages(report).items():
            assert page.cells, f"{variant}/{name} has no table" if name != "index.html" else ""
            shown = sorted({c for c in page.cells + page.headers if c in raw})
            assert not shown, f"{variant}/{name} shows {shown}"
            inside = [
                c for c in page.cells if re.search(r"(^|[\s(,:])(None|NaT|nan)($|[\s),;])", c)
            ]
            assert not inside, f"{variant}/{name} shows {inside[:5]}"


def _english_chunks(min_length: int = 24) -> set[str]:
    """Literal English pieces of the catalogue (placeholders cut out) long enough to be
    sentence text, and not the same in Chinese."""
    chunks = set()
    for entry in TEXT.values():
        english, chinese = entry["en"], entry["zh"]
        for piece in re.split(r"\{[^}]*\}", english):
            piece = piece.strip(" .,:;()'\"")
            if len(piece) >= min_length and " " in piece and piece not in chinese:
                chunks.add(piece)
    return chunks


#: A run of two or more English words, as :func:`_latin_words` reads a page.
LATIN_RUN = r"[A-Za-z][\w]+(?:[ \-']+[A-Za-z][\w]+)+"


def _latin_words(text: str, allowed: set[str], client_texts: str = "") -> list[str]:
    """Runs of two or more English words, once client data values and acronyms are set
    aside (a command quoted in a sentence is not prose). A run found in ``client_texts``
    (the client's values holding English words, joined) is client text shown in part: a
    content title's words, a tag list, an excerpt cut with "…"."""
    text = re.sub(r"'playbook [^']*'", " ", text)
    left = []
    for run in re.findall(LATIN_RUN, text):
        if run in client_texts:
            continue
        for value in (v for v in allowed if " " in v and v in run):
            run = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", run)
        words = [w for w in re.split(r"[ \-']+", run) if w]
        words = [w for w in words if w not in allowed and w not in LATIN_OK]
        if len(words) >= 2:
            left.append(run)
    return left


def _english_header(header: str, allowed: set[str]) -> bool:
    """A header that is a bare English word or column name (``total``, ``team_completeness``)."""
    return bool(re.fullmatch(r"[A-Za-z_ ]{3,}", header)) and header not in allowed | LATIN_OK


def test_chinese_pages_have_no_english_text(reports, small_sample: Path) -> None:
    chunks = _english_chunks()
    assert len(chunks) > 200  # the check has teeth: most sentences are in the catalogue
    data = _input_values(small_sample) | {"playbook", "WS", "WORKSPACE"}
    client_texts = "\n".join(v for v in data if re.search(LATIN_RUN, v))
    for variant in ("zh", "no_amount_zh"):
        for name, page in _pages(reports[variant]).items():
            text = page.words
            left = sorted(c for c in chunks if c in text)
            assert not left, f"{variant}/{name} shows English catalogue text: {left[:5]}"
            headers = [h for h in page.headers if _english_header(h, data)]
            assert not headers, f"{variant}/{name}: English headers {headers}"
            for cell in page.cells:
                assert not _latin_words(cell, data, client_texts), (
                    f"{variant}/{name}: cell {cell!r}"
                )
            english = _latin_words(text, data, client_texts)
            assert not english, f"{variant}/{name} shows English words: {english[:8]}"


def _column(table: list[list[str]], header_words: tuple[str, ...]) -> list[list[str]]:
    """The cells under every header containing one of ``header_words``."""
    if not table:
        return []
    head = table[0]
    wanted = [i for i, h in enumerate(head) if any(w in h.lower() for w in header_words)]
    return [[row[i] for row in table[1:] if i < len(row)] for i in wanted]


def test_small_sample_caveats_are_said_in_the_report_language(reports) -> None:
    """The small variant raises a SmallSampleWarning in step 2: the page says it as a note."""
    en = _pages(reports["no_amount_en"])["02_stage_rates.html"].words
    zh = _pages(reports["no_amount_zh"])["02_stage_rates.html"].words
    assert "Few deals: Negotiation → Signed rests on" in en
    assert "样本较少：谈判 → 签约仅基于" in zh


def test_missing_amounts_are_said_not_shown_as_zero(reports) -> None:
    pages = _pages(reports["no_amount_en"])
    for name, page in pages.items():
        for table in page.tables:
            for row in table:
                if row and re.search(r"revenue|pipeline|amount", row[0], re.I):
                    assert not any(re.fullmatch(r"0[\s(–0.)]*", c) for c in row[1:]), (
                        f"{name}: {row}"
                    )
            for cells in _column(table, ("amount", "revenue")):
                assert not any(re.fullmatch(r"[0.,]+", c) for c in cells), f"{name}: {cells}"
        assert "revenue / month" not in page.words, name
    for name in ("index.html", "00_data_intake.html"):
        assert "No amounts" in pages[name].words, name
    growth = pages["02_stage_rates.html"].words
    assert "won deals / month" in growth
    zh = _pages(reports["no_amount_zh"])
    assert "没有金额" in zh["index.html"].words
    assert "赢单数 / 月" in zh["02_stage_rates.html"].words


def test_amounts_are_shown_when_present(reports) -> None:
    """The same pages with an amount column still show revenue (the check above can fail)."""
    pages = _pages(reports["en"])
    assert "revenue / month" in pages["02_stage_rates.html"].words
    assert "No amounts" not in pages["index.html"].words
    kpis = [row for table in pages["index.html"].tables for row in table]
    won = [row for row in kpis if row and row[0] == "Won revenue"]
    assert won and re.search(r"[1-9]", won[0][1]), kpis

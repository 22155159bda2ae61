"""The whole report as one PDF, printed by headless Chromium through Playwright.

The overview and every step page are joined into one HTML document (each step on a
new page, links between them turned into links inside the document) and printed by
Debian's Chromium (``/usr/bin/chromium``, installed by ``scripts/install-browser.sh``);
no renderer of our own. Figures are the report's PNGs, embedded as they are; Chinese
glyphs come from the CJK font the pages name (Noto Sans CJK, installed by setup).
"""

from __future__ import annotations

import re
from pathlib import Path

from playbook.exceptions import UsageError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
PAPERS = {"a4": "A4", "letter": "Letter"}
INSTALL_HINT = (
    "install it with 'bash scripts/install-browser.sh' (Debian: apt-get install chromium), "
    "then run 'playbook export REPORT_DIR --export pdf'"
)

_MAIN = re.compile(r"<main>(.*)</main>", re.S)
_BACK = re.compile(r'<p><a href="index\.html">.*?</a></p>', re.S)
_STEP_LINK = re.compile(r'href="(\d\d_[A-Za-z0-9_]+)\.html"')
_HEAD = re.compile(r"<head>.*</head>", re.S)


class ExportUnavailable(UsageError):
    """The PDF cannot be printed here (no browser, or Playwright missing)."""


def check_paper(paper: str) -> None:
    """Raises UsageError unless ``paper`` is ``a4`` or ``letter``."""
    if paper not in PAPERS:
        raise UsageError(f"--paper must be a4 or letter; got {paper!r}")


def check_browser(executable: str | None = None) -> str:
    """The Chromium executable to print with.

    Raises
    ------
    ExportUnavailable
        When Playwright or the browser is missing, saying how to install it.
    """
    path = executable or CHROMIUM
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise ExportUnavailable(
            "the PDF export needs Playwright for Python: run 'make setup'"
        ) from None
    if not Path(path).is_file():
        raise ExportUnavailable(f"the PDF export needs Chromium at {path}: {INSTALL_HINT}")
    return path


def combined_html(folder: Path) -> str:
    """The overview and every step page of ``folder`` as one printable HTML document."""
    index = (folder / "index.html").read_text(encoding="utf-8")
    head = _HEAD.search(index)
    bodies = [_main(index)]
    for page in sorted(folder.glob("[0-9][0-9]_*.html")) + sorted(folder.glob("monthly_*.html")):
        body = _BACK.sub("", _main(page.read_text(encoding="utf-8")), count=1)
        bodies.append(f'<section class="pb-step-page" id="{page.stem}">{body}</section>')
    html_tag = index[: index.index("<head>")]
    document = (
        f"{html_tag}{head.group(0) if head else ''}<body><main>"
        + "\n".join(bodies)
        + "</main></body></html>"
    )
    return _STEP_LINK.sub(r'href="#\1"', document)


def _main(page: str) -> str:
    found = _MAIN.search(page)
    return found.group(1) if found else page


def write_pdf(folder: Path, target: Path, *, paper: str = "a4", executable: str | None = None):
    """Print the report in ``folder`` to ``target`` (A4 or Letter, page numbers in the footer).

    Raises
    ------
    ExportUnavailable
        When the browser cannot be found or started.
    UsageError
        When ``paper`` is neither ``a4`` nor ``letter``.
    """
    check_paper(paper)
    browser_path = check_browser(executable)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    document = combined_html(folder)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.set_content(document, wait_until="load")
                page.emulate_media(media="print")
                page.pdf(
                    path=str(target),
                    format=PAPERS[paper],
                    print_background=True,
                    prefer_css_page_size=False,
                    margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=(
                        '<div style="font-size:8px;width:100%;text-align:center;color:#616e7c">'
                        '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
                    ),
                )
            finally:
                browser.close()
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportUnavailable(
            f"Chromium at {browser_path} could not print the report ({first}): {INSTALL_HINT}"
        ) from None

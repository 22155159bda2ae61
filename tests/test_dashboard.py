"""The dashboard in a real browser: serve it, change a filter in headless Chromium, read it back.

Needs Debian's Chromium at /usr/bin/chromium and Playwright for Python (driving that
executable; ``playwright install`` is never used). Without them the test fails and says to
run ``scripts/install-browser.sh``.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

from playbook import stats
from playbook.explore.dashboard import _children, _listening, free_port
from playbook.sample import generate
from playbook.steps import journey, stages
from playbook.workspace import load

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL = "run 'bash scripts/install-browser.sh .venv/bin/python' (and 'make setup')"


def _sync_playwright():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} not found: the dashboard test needs Debian's chromium; {INSTALL}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"Playwright for Python is not installed; {INSTALL}")
    return sync_playwright


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard") / "acme"
    generate(folder, seed=1, deals=1500)
    return folder


def _address(process: subprocess.Popen, timeout: float) -> str:
    """The address the server prints, read from its stdout within ``timeout`` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        found = re.search(r"Dashboard: (http://127\.0\.0\.1:\d+/\?token=\S+)", line)
        if found:
            return found.group(1)
    pytest.fail(
        f"the dashboard printed no address (exit {process.poll()}): {process.stderr.read()}"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def _expected(ws: Path, segment: str) -> tuple[int, str, str]:
    """Deals of the segment, and the first transition's entered and rate as displayed."""
    data = load.open_dataset(ws)
    as_of = journey.prepare(data.deals, data.stage_events, data.config).as_of
    deals = data.deals[data.deals["segment"] == segment]
    events = data.stage_events[data.stage_events["deal_id"].isin(set(deals["deal_id"]))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.SmallSampleWarning)
        rates = stages.stage_rates(deals, events, data.config, as_of=as_of)
    first = rates.iloc[0]
    return len(deals), f"{first['entered']:,}", f"{first['rate']:.1%}"


def _cells(page, selector: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"{selector} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )


def test_dashboard_filter_in_a_real_browser(workspace, tmp_path) -> None:
    sync_playwright = _sync_playwright()
    segment = "Energy"
    n, entered, rate = _expected(workspace, segment)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "playbook.explore.dashboard", "dashboard", str(workspace)]
        + ["--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    processes: list[int] = []
    try:
        url = _address(server, timeout=120)
        assert url.startswith(f"http://127.0.0.1:{port}/?token=")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            loaded: list[str] = []
            page.on("requestfinished", lambda request: loaded.append(request.url))
            response = page.goto(url)
            assert "default-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_selector(".pb-summary table", timeout=90_000)
            processes = [c for p in _children(server.pid) for c in [p, *_children(p)]]
            summary = _cells(page, ".pb-summary")
            assert summary[0][:3] == ["selection", "all deals", "1,500"]
            html = page.content()
            assert "open_explorer" not in html and "from playbook import" not in html
            assert page.get_by_text("What about only the East region").is_visible()
            assert not page.get_by_text("只看东区上个季度").is_visible()

            page.select_option(".pb-filter-segment.pb-slice-a select", label=segment)
            page.wait_for_function(
                "n => document.querySelector('.pb-summary tbody td:nth-child(3)')"
                "?.innerText.trim() === n",
                arg=f"{n:,}",
                timeout=30_000,
            )
            assert _cells(page, ".pb-summary")[0][1] == f"Segment: {segment}"
            page.get_by_role("tab", name="Stage matrix").click()
            page.wait_for_selector(".pb-table-stage_matrix table", timeout=30_000)
            first = _cells(page, ".pb-table-stage_matrix")[0]
            assert first[:3] == ["selection", "Lead", "Intent"]
            assert first[3] == entered and first[7] == rate
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

            page.get_by_role("tab", name="People").click()
            page.wait_for_selector(".pb-table-reps table", timeout=30_000)
            people = page.inner_text(".pb-table-reps")
            assert re.search(r"Rep-[0-9a-f]{6}", people)
            assert not re.search(r"\bR\d{3}\b", page.content()), "rep ids sent to the page"
            browser.close()
        assert (tmp_path / "dashboard.png").stat().st_size > 10_000
        local = (f"http://127.0.0.1:{port}/", "data:", "blob:")
        assert loaded and not [u for u in loaded if not u.startswith(local)]
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    assert code == 0, server.stderr.read()
    assert not _listening(port)
    assert processes and not [pid for pid in processes if _alive(pid)]


def _run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "playbook.explore.dashboard", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_bad_workspace_is_refused_before_serving(tmp_path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "deals.csv").write_text("deal_id,created_at\nD1,2026-01-01\n")
    result = _run(["dashboard", str(tmp_path / "ws"), "--no-browser"])
    assert result.returncode == 2
    assert "required column is missing" in result.stderr
    assert "Dashboard:" not in result.stdout


def test_busy_port_is_a_usage_error(workspace) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = _run(["dashboard", str(workspace), "--port", str(port), "--no-browser"])
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_explore_opens_jupyterlab_on_parameterised_copies(workspace, tmp_path) -> None:
    import nbformat

    port = free_port()
    out = tmp_path / "reports"
    server = subprocess.Popen(
        [sys.executable, "-m", "playbook.explore.dashboard", "explore", str(workspace)]
        + ["--port", str(port), "--no-browser", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = ""
        deadline = time.monotonic() + 120
        while "JupyterLab:" not in line and time.monotonic() < deadline:
            line = server.stdout.readline() or line
            if server.poll() is not None:
                break
        found = re.search(
            r"JupyterLab: (http://127\.0\.0\.1:\d+/lab/tree/explore\.ipynb\?token=\S+)", line
        )
        assert found, server.stderr.read()
        import urllib.request

        with urllib.request.urlopen(found.group(1), timeout=30) as response:
            assert response.status == 200
        copy = nbformat.read(out / workspace.name / "notebooks" / "explore.ipynb", as_version=4)
        injected = [c for c in copy.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert str(workspace.resolve()) in injected[0].source
        assert "explore-cache" in injected[0].source
        assert (out / workspace.name / "notebooks" / "02_stage_rates.ipynb").is_file()
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=60)
    assert code == 0
    assert not _listening(port)


def test_missing_browser_or_playwright_fails_with_the_fix(monkeypatch) -> None:
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception, match=r"scripts/install-browser\.sh"):
        _sync_playwright()
    monkeypatch.setattr(module, "CHROMIUM", sys.executable)  # any file that exists
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    with pytest.raises(pytest.fail.Exception, match=r"Playwright .* scripts/install-browser\.sh"):
        _sync_playwright()

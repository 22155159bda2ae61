"""Steps after a process's first run on the kernel of its last step, reset to a new kernel's
state: nothing a step defined, hooked or warned reaches the next, and no kernel outlives the run."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import psutil
import pytest

from playbook.exceptions import StepFailed
from playbook.report.runner import run_pilot

pytestmark = pytest.mark.notebooks

PARAMS = 'workspace = ""\ncache_dir = ""\noutput_dir = ""\nlanguage = "en"'

#: What each test step records about its kernel: pid, names left by an earlier step, and
#: whether an earlier step's report hook still catches warnings.
PROBE = """
import json, os, warnings
from playbook.report import StepReport
seen = {
    "pid": os.getpid(),
    "leftover": "left_by_a_step" in globals(),
    "hooked": warnings.showwarning.__module__ == "playbook.report",
}
step = StepReport(output_dir, STEP, language)
left_by_a_step = 1
with open(os.path.join(output_dir, STEP + ".probe.json"), "w") as f:
    json.dump(seen, f)
"""


def _probe_notebook(folder: Path, step: str, *last: str) -> None:
    nb = nbformat.v4.new_notebook()
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["kernelspec"] = kernel
    params = nbformat.v4.new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    sources = [f"STEP = {step!r}", PROBE, *last]
    nb.cells = [params] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, folder / f"{step}.ipynb")


def _probes(report: Path) -> dict[str, dict]:
    return {p.name.split(".")[0]: json.loads(p.read_text()) for p in report.glob("*.probe.json")}


def _kernels() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def test_the_next_step_finds_a_kernel_as_new(small_sample: Path, tmp_path: Path) -> None:
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    for step in ("01_first", "02_second", "03_third"):
        _probe_notebook(notebooks, step, "step.done()")
    before = _kernels()
    result = run_pilot(small_sample, out=tmp_path / "out", notebooks=notebooks, jobs=1)
    probes = _probes(result.report_dir)
    assert sorted(probes) == ["01_first", "02_second", "03_third"]
    # one kernel served the three steps ...
    assert len({p["pid"] for p in probes.values()}) == 1
    # ... and each step found it as a new one
    for seen in probes.values():
        assert seen == {**seen, "leftover": False, "hooked": False}
    for step in probes:
        nb = nbformat.read(result.report_dir / "executed" / f"{step}.ipynb", as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1)), (step, counts)
    assert _kernels() == before, "a kernel outlived the run"


def test_a_failed_step_s_kernel_is_not_kept(small_sample: Path, tmp_path: Path) -> None:
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _probe_notebook(notebooks, "01_fails", "raise ValueError('broken step')")
    _probe_notebook(notebooks, "02_after", "step.done()")
    _probe_notebook(notebooks, "03_last", "step.done()")
    before = _kernels()
    with pytest.raises(StepFailed) as info:
        run_pilot(small_sample, out=tmp_path / "out", notebooks=notebooks, jobs=1)
    assert "01_fails" in str(info.value) and "broken step" in str(info.value)
    failed = next((tmp_path / "out").rglob("failed-*"))
    probes = _probes(failed)
    assert probes["01_fails"]["pid"] != probes["02_after"]["pid"]
    assert probes["02_after"]["pid"] == probes["03_last"]["pid"]
    assert _kernels() == before, "a kernel outlived the run"


# --- silent requests to a kept kernel ------------------------------------------------------


@pytest.fixture
def spare_kernel():
    """A kernel started as a step worker starts one, stopped after the test."""
    from playbook.report import kernel

    assert kernel.start_spare_kernel()
    spare = kernel._spares.pop()
    yield spare
    kernel._stop_spare(spare)


def _silently(spare, code: str, timeout: float) -> float:
    import time

    from jupyter_core.utils import run_sync

    from playbook.report.kernel import _run_silently

    started = time.perf_counter()
    run_sync(_run_silently)(spare.manager, code, timeout)
    return time.perf_counter() - started


def test_a_silent_request_runs_in_the_kernel_without_waiting_for_output(
    spare_kernel, tmp_path: Path, monkeypatch
) -> None:
    """No wait for the output channel (``wait_for_ready``: 0.2 s per new client, three
    times a step), and no output channel opened at all."""
    from jupyter_client.asynchronous.client import AsyncKernelClient

    def no_waiting(*args, **kwargs):
        raise AssertionError("a silent request waited for the kernel's output channel")

    monkeypatch.setattr(AsyncKernelClient, "wait_for_ready", no_waiting)
    opened = []
    start_channels = AsyncKernelClient.start_channels

    def record(self, *args, **kwargs):
        start_channels(self, *args, **kwargs)
        opened.append(self.iopub_channel.is_alive() if self._iopub_channel else False)

    monkeypatch.setattr(AsyncKernelClient, "start_channels", record)
    marker = tmp_path / "ran"
    _silently(spare_kernel, f"open({str(marker)!r}, 'w').close()", 60)
    assert marker.exists()
    assert opened == [False]


def test_a_silent_request_reports_the_kernel_s_error(spare_kernel) -> None:
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        _silently(spare_kernel, "1 / 0", 60)


def test_a_silent_request_to_a_dead_kernel_fails_at_once(spare_kernel) -> None:
    from jupyter_core.utils import run_sync

    run_sync(spare_kernel.manager.shutdown_kernel)(now=True)
    with pytest.raises(RuntimeError, match="stopped"):
        took = _silently(spare_kernel, "1", timeout=120)
        pytest.fail(f"answered in {took:.1f} s")


def test_a_silent_request_gives_up_after_its_timeout(spare_kernel) -> None:
    with pytest.raises(TimeoutError):
        _silently(spare_kernel, "import time; time.sleep(30)", timeout=2)


def test_the_package_s_processes_read_notebooks_without_the_iri_parser(tmp_path: Path) -> None:
    """jsonschema's IRI checker (a second of import) is left out; notebooks are still
    validated, bad ones refused."""
    import subprocess
    import sys

    script = """
import sys
from playbook.report.kernel import without_iri_checks
without_iri_checks()
import nbformat
nb = nbformat.v4.new_notebook()
nbformat.validate(nb)
nb.cells.append({"cell_type": "code", "source": 1})
try:
    nbformat.validate(nb)
except nbformat.ValidationError:
    print("refused")
print(sys.modules.get("rfc3987_syntax", "absent"))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["refused", "None"], out.stdout + out.stderr


def test_a_step_worker_is_ready_before_its_first_step() -> None:
    """What a worker does while the runner reads the workspace: papermill imported (without
    the IRI parser) and a kernel started, so its first step starts at once."""
    import subprocess
    import sys

    script = """
import sys
from playbook.report import kernel
ready = kernel.prepare_worker()
print(ready, len(kernel._spares), "papermill" in sys.modules, sys.modules.get("rfc3987_syntax", 0))
kernel.stop_spare_kernels()
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "1", "True", "None"], out.stdout + out.stderr

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

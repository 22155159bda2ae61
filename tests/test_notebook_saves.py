"""A step's executed notebook is written a few times, not around every cell, and is still
complete when the step ends, fails or times out."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill.engines
import pytest

from playbook.report.kernel import execute_step, stop_spare_kernels

pytestmark = pytest.mark.notebooks

PARAMS = 'workspace = ""\ncache_dir = ""\noutput_dir = ""\nlanguage = "en"'
DONE = "__import__('pathlib').Path(output_dir, 'done.json').write_text('{}')"


def _run(tmp_path: Path, *sources: str, timeout: int = 60):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(s) for s in sources]
    notebook, executed = tmp_path / "01_probe.ipynb", tmp_path / "out" / "01_probe.ipynb"
    executed.parent.mkdir()
    nbformat.write(nb, notebook)
    parameters = {"workspace": "", "cache_dir": "", "output_dir": str(tmp_path), "language": "en"}
    try:
        result = execute_step(
            str(notebook), str(executed), parameters, timeout, str(tmp_path / "done.json")
        )
    finally:
        stop_spare_kernels()
    cells = nbformat.read(executed, as_version=4).cells
    # without the parameters cell and the one papermill injects
    return result, [c for c in cells if not c.metadata.get("tags")]


def test_a_quick_step_is_written_once_or_twice_not_per_cell(tmp_path, monkeypatch) -> None:
    writes = []
    real = papermill.engines.write_ipynb
    monkeypatch.setattr(
        papermill.engines, "write_ipynb", lambda nb, path: writes.append(path) or real(nb, path)
    )
    cells = [f"x{i} = {i}\nprint(x{i})" for i in range(30)]
    result, executed = _run(tmp_path, *cells, DONE)
    assert result.ok, result.error
    assert 1 <= len(writes) <= 2  # papermill writes 2 per cell: 64 here
    outputs = [c.outputs[0].text.strip() for c in executed[:-1]]
    assert outputs == [str(i) for i in range(30)]  # the final write holds every cell


def test_a_step_that_times_out_keeps_what_ran(tmp_path) -> None:
    result, executed = _run(
        tmp_path, "print('before the hang')", "import time\ntime.sleep(60)", DONE, timeout=3
    )
    assert not result.ok and "Timeout" in result.error
    assert executed[0].outputs[0].text.strip() == "before the hang"
    assert executed[-1].execution_count is None  # never reached

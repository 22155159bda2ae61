"""Executing one step notebook headless: parameters checked, a kernel per step, failures named."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from playbook.exceptions import StepFailed
from playbook.report import stopping

#: The parameters every step notebook declares, and nothing else.
NOTEBOOK_PARAMETERS = ("workspace", "cache_dir", "output_dir", "language")


DEFAULT_TIMEOUT = 600


@dataclass
class StepResult:
    step: str
    ok: bool
    seconds: float
    error: str = ""


def check_parameters(notebook: Path, passed: Sequence[str]) -> None:
    """Declared parameters must be exactly the ones passed (a typo is an error)."""
    import papermill

    declared = set(papermill.inspect_notebook(str(notebook)))
    if declared != set(passed):
        missing = sorted(set(passed) - declared)
        unknown = sorted(declared - set(passed))
        raise StepFailed(
            f"{notebook.name}: parameters cell does not match the runner "
            f"(not declared: {', '.join(missing) or '-'}; unknown: {', '.join(unknown) or '-'}); "
            f"declare exactly {', '.join(passed)}"
        )


def _describe_failure(exc: BaseException, executed: Path) -> str:
    """One readable sentence: which cell failed and with what error."""
    import nbformat

    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = str(getattr(exc, "evalue", exc)).strip()
    evalue = evalue.splitlines()[0] if evalue else ""
    if executed.exists():
        try:
            nb = nbformat.read(executed, as_version=4)
        except (OSError, ValueError):
            nb = None
        # The cell holding an error output is the failing one (the injected
        # parameters cell shifts papermill's own index).
        # Numbered as in the source notebook: papermill's injected cell is not counted.
        code_cells = [
            c
            for c in (nb.cells if nb else [])
            if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
        ]
        for number, cell in enumerate(code_cells, start=1):
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                source = cell.source.strip().splitlines()[0][:100] if cell.source.strip() else ""
                return f"code cell {number} ({source}): {ename}: {evalue}"
    return f"{ename}: {evalue}"


def _kernel_config(socket_dir: str | None):
    """Kernels talk over local IPC sockets where the OS has them: no TCP ports to
    collide when many kernels start at once, and nothing listening on the network.
    Each kernel gets its own short socket folder (Unix socket paths are limited
    to ~100 characters, and two kernels sharing a path would cross messages)."""
    from traitlets.config import Config

    config = Config()
    if socket_dir is not None:
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(socket_dir, "k")
        # The connection file too, so that a stopped step leaves nothing in the temp folder.
        config.KernelManager.connection_file = os.path.join(socket_dir, "kernel.json")
    return config


def execute_step(
    notebook: str, executed: str, parameters: dict, timeout: int, marker: str
) -> StepResult:
    """Execute one notebook; success needs papermill's result AND the step's marker."""
    import papermill

    start = time.perf_counter()
    nb_path, out_path, marker_path = Path(notebook), Path(executed), Path(marker)
    step = nb_path.stem
    socket_dir = tempfile.mkdtemp(prefix="pb-") if os.name == "posix" else None
    try:
        # Registered so that a worker stopped mid-step removes it too.
        with stopping.temporary(socket_dir) if socket_dir else contextlib.nullcontext():
            check_parameters(nb_path, list(parameters))
            papermill.execute_notebook(
                str(nb_path),
                str(out_path),
                parameters=parameters,
                kernel_name="python3",
                cwd=str(out_path.parent),
                progress_bar=False,
                execution_timeout=timeout,
                request_save_on_cell_execute=True,
                shutdown_kernel="immediate",
                config=_kernel_config(socket_dir),
            )
    except Exception as exc:  # noqa: BLE001 - any failure of the step is reported, not raised
        return StepResult(
            step, False, time.perf_counter() - start, _describe_failure(exc, out_path)
        )
    finally:
        if socket_dir is not None:
            shutil.rmtree(socket_dir, ignore_errors=True)
    if not marker_path.exists():
        return StepResult(
            step,
            False,
            time.perf_counter() - start,
            "the notebook stopped before its last cell (no completion marker): "
            "the kernel may have died or been interrupted",
        )
    return StepResult(step, True, time.perf_counter() - start)


def without_stderr(nb):
    """The notebook without what cells wrote to stderr (warnings with file paths, library
    notices): the executed notebook keeps it for audit, a client's page never shows it."""
    for cell in nb.cells:
        if cell.get("outputs"):
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return nb

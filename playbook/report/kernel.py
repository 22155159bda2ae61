"""Executing one step notebook headless: parameters checked, a kernel per step, failures named."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playbook.exceptions import StepFailed
from playbook.report import stopping

#: The parameters every step notebook declares, and nothing else.
NOTEBOOK_PARAMETERS = ("workspace", "cache_dir", "output_dir", "language")


DEFAULT_TIMEOUT = 600

#: What every step notebook imports first: a spare kernel imports them while it waits.
WARM_IMPORTS = (
    "pandas",
    "matplotlib.pyplot",
    "playbook.plots",
    "playbook.report",
    "playbook.steps",
    "playbook.workspace.load",
)

#: Seconds a spare kernel gets to start and import :data:`WARM_IMPORTS`.
SPARE_START_TIMEOUT = 120

#: How often a silent request checks that its kernel is still alive while it waits.
SILENT_POLL_SECONDS = 1.0

#: Run silently in a kernel whose step has ended, before it takes the next step (see
#: :func:`reset_between_steps`).
RESET_KERNEL = "__import__('playbook.report.kernel').report.kernel.reset_between_steps()"

logger = logging.getLogger(__name__)


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


#: In a kernel: the process-wide state a step may change that :func:`reset_between_steps`
#: puts back, as it was before the kernel's first step.
_fresh: dict[str, Any] = {}


def remember_fresh_state() -> None:
    """In a kernel, before its first step: note what :func:`reset_between_steps` restores."""
    import warnings

    _fresh.update(showwarning=warnings.showwarning, filters=list(warnings.filters))


def reset_between_steps() -> None:
    """In a kernel whose step has ended: make it what a new kernel would be for the next
    step, keeping what the steps imported (which is why the kernel is kept).

    The user namespace, figures and execution count start afresh; the warning hook and
    filters a step's report installed are removed (each step's small-sample notes go to its
    own page); memory no longer referenced goes back to the system
    (:func:`release_memory`). The house plot style, applied once per process, stays. Nothing a
    step computed reaches the next: each reads its data from the run's cache again.
    """
    import warnings

    import matplotlib.pyplot as plt
    from IPython import get_ipython

    plt.close("all")
    get_ipython().reset(new_session=True)
    if _fresh:
        warnings.showwarning = _fresh["showwarning"]
        warnings.filters[:] = _fresh["filters"]
    release_memory()


def release_memory() -> None:
    """Give memory no longer referenced back to the system: Python's reference cycles
    collected, Arrow's pool emptied, glibc's free pages released (``malloc_trim``; not
    available elsewhere, where this step is skipped). Without it a process that held
    the tables keeps their pages while it waits for the kernels."""
    import gc
    import sys

    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)


@dataclass
class _Spare:
    """A kernel started ahead of its step, with its socket folder and what removes it."""

    manager: Any  # jupyter_client's AsyncKernelManager
    socket_dir: str | None
    cleanup: contextlib.ExitStack


#: Kernels this process keeps for its next steps: started ahead (:func:`start_spare_kernel`)
#: or kept from a step that ended well (:func:`execute_step`).
_spares: list[_Spare] = []


async def _run_silently(manager, code: str, timeout: float) -> None:
    """Run ``code`` in the manager's kernel without a trace in the notebook: no output
    kept, no history, no execution count (the step's cells are numbered as before).

    Only the shell channel is opened and the client does not wait for the kernel to be
    "ready": that check (``wait_for_ready``) makes sure the output channel is subscribed,
    which costs about 0.2 s per new client, and nothing here reads output. A request sent
    before the kernel listens waits in the socket's queue; a kernel that dies meanwhile is
    noticed within a second.
    """
    from queue import Empty

    client = manager.client()
    client.start_channels(iopub=False, stdin=False, hb=False, control=False)
    deadline = time.monotonic() + timeout
    try:
        msg_id = client.execute(code, silent=True, store_history=False, allow_stdin=False)
        while True:
            try:
                reply = await client.get_shell_msg(timeout=SILENT_POLL_SECONDS)
            except Empty:
                if not await manager.is_alive():
                    raise RuntimeError("the kernel stopped before it answered") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the kernel did not answer in {timeout:.0f} s") from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
    finally:
        client.stop_channels()
    if reply["content"].get("status") != "ok":
        raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")


async def _start_warm(socket_dir: str | None, timeout: float):
    from jupyter_client.manager import AsyncKernelManager

    manager = AsyncKernelManager(kernel_name="python3", config=_kernel_config(socket_dir))
    await manager.start_kernel(
        cwd=socket_dir or tempfile.gettempdir(),
        # As papermill's own kernels: no history database written.
        extra_arguments=["--HistoryManager.hist_file=:memory:"],
    )
    try:
        imports = "; ".join(f"__import__({name!r})" for name in WARM_IMPORTS)
        remember = "__import__('playbook.report.kernel').report.kernel.remember_fresh_state()"
        await _run_silently(manager, f"{imports}; {remember}", timeout)
    except BaseException:
        await manager.shutdown_kernel(now=True)
        raise
    return manager


def start_spare_kernel(timeout: float = SPARE_START_TIMEOUT) -> bool:
    """Start a kernel in this process for the next step it executes, and import there what
    every step imports first (:data:`WARM_IMPORTS`).

    The runner asks its workers for one each while it still reads the workspace, so the
    first steps find their kernel ready. Returns False when the kernel could not be made
    ready: the step then starts its own (and reports any error there).
    """
    from jupyter_core.utils import run_sync

    cleanup = contextlib.ExitStack()
    socket_dir = tempfile.mkdtemp(prefix="pb-") if os.name == "posix" else None
    if socket_dir is not None:  # removed too if this worker is stopped meanwhile
        cleanup.enter_context(stopping.temporary(socket_dir))
        cleanup.callback(shutil.rmtree, socket_dir, True)
    try:
        manager = run_sync(_start_warm)(socket_dir, timeout)
    except Exception as exc:  # noqa: BLE001 - the step starts a kernel of its own instead
        logger.info("no spare kernel: %s", exc)
        cleanup.close()
        return False
    if not _spares:
        atexit.register(_stop_spares)
    _spares.append(_Spare(manager, socket_dir, cleanup))
    return True


def _stop_spare(spare: _Spare) -> None:
    from jupyter_core.utils import run_sync

    try:
        run_sync(spare.manager.shutdown_kernel)(now=True)
    except Exception as exc:  # noqa: BLE001 - e.g. a kernel that died: nothing left to stop
        logger.info("stopping a spare kernel: %s", exc)
    finally:
        spare.cleanup.close()


def _stop_spares() -> None:
    """Spare kernels no step used (fewer steps than workers asked for one)."""
    while _spares:
        _stop_spare(_spares.pop())


def stop_spare_kernels() -> None:
    """Stop the kernels this process keeps for further steps (after its last step)."""
    _stop_spares()


def _keep_for_next_step(spare: _Spare) -> None:
    """Reset the kernel of a step that ended well (:data:`RESET_KERNEL`) and keep it for
    this process's next step; a kernel that does not answer is stopped instead."""
    from jupyter_core.utils import run_sync

    try:
        run_sync(_run_silently)(spare.manager, RESET_KERNEL, SPARE_START_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - the next step starts a kernel of its own
        logger.info("not keeping a kernel: %s", exc)
        _stop_spare(spare)
        return
    _spares.append(spare)


def _papermill_kernel(spare: _Spare | None, cwd: Path) -> dict:
    """papermill's options to run on ``spare`` (moved into the step's folder, where a
    new kernel would start), or to start a kernel of its own when there is none."""
    if spare is None:
        return {}
    from jupyter_core.utils import run_sync

    chdir = f"__import__('os').chdir({str(cwd)!r})"
    run_sync(_run_silently)(spare.manager, chdir, SPARE_START_TIMEOUT)
    return {"km": spare.manager}


def without_iri_checks() -> None:
    """In a process of the package's own (the ``playbook`` command, its step workers):
    leave out jsonschema's optional IRI format checker.

    jsonschema loads it when ``rfc3987_syntax`` is installed (JupyterLab's event schemas
    bring it), and that module builds an Earley parser as it is imported: about a second
    of CPU in every process that reads a notebook (nbformat validates with jsonschema),
    spent where the runner's workers wait for it. Notebook schemas check no formats, so
    nothing validated here changes. A module marked ``None`` is one Python's import
    system reports missing, which jsonschema handles by not offering the format. Called
    before jsonschema is first imported, else it does nothing.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def prepare_worker() -> bool:
    """In a step worker, while the runner still reads the workspace: import what
    executing a step needs (papermill and the engine), then start the kernel of the
    first step (:func:`start_spare_kernel`). Returns what that returns."""
    without_iri_checks()
    import papermill  # noqa: F401

    import playbook.report.engine  # noqa: F401

    return start_spare_kernel()


def execute_step(
    notebook: str, executed: str, parameters: dict, timeout: int, marker: str
) -> StepResult:
    """Execute one notebook; success needs papermill's result AND the step's marker.

    The kernel is one this process keeps (see :func:`start_spare_kernel`), else a new
    one. After a step that ended well the kernel is reset and kept for the process's next
    step, so that steps after the first do not start a kernel and import the package again
    (:func:`stop_spare_kernels` stops it after the last); after a failure it is stopped.
    """
    without_iri_checks()
    import papermill

    from playbook.report.engine import ENGINE_NAME

    start = time.perf_counter()
    nb_path, out_path, marker_path = Path(notebook), Path(executed), Path(marker)
    step = nb_path.stem
    if not _spares:
        start_spare_kernel()
    spare = _spares.pop() if _spares else None
    ended_well = False
    socket_dir = tempfile.mkdtemp(prefix="pb-") if os.name == "posix" and not spare else None
    try:
        # Registered so that a worker stopped mid-step removes it too.
        with stopping.temporary(socket_dir) if socket_dir else contextlib.nullcontext():
            check_parameters(nb_path, list(parameters))
            papermill.execute_notebook(
                str(nb_path),
                str(out_path),
                parameters=parameters,
                kernel_name="python3",
                engine_name=ENGINE_NAME,
                cwd=str(out_path.parent),
                progress_bar=False,
                execution_timeout=timeout,
                request_save_on_cell_execute=True,
                shutdown_kernel="immediate",
                config=_kernel_config(socket_dir),
                **_papermill_kernel(spare, out_path.parent),
            )
        ended_well = marker_path.exists()
    except Exception as exc:  # noqa: BLE001 - any failure of the step is reported, not raised
        return StepResult(
            step, False, time.perf_counter() - start, _describe_failure(exc, out_path)
        )
    finally:
        if socket_dir is not None:
            shutil.rmtree(socket_dir, ignore_errors=True)
        if spare is not None:  # papermill leaves a kernel it did not start running
            if ended_well:
                _keep_for_next_step(spare)
            else:
                _stop_spare(spare)
    if not ended_well:
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

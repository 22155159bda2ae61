"""Stopping a run cleanly: signals, worker processes, and which process is still alive.

A SIGTERM or SIGINT to ``playbook run`` or ``playbook monthly`` becomes a :class:`Stopped`
exception in the main process (:func:`raise_on_signals`); the runner then stops its worker
processes and their kernels (:func:`stop_processes`), removes its temporary folders and
lets the exception reach the command line, which prints one line and exits 128 + the
signal number. Moving a finished report into place is a :func:`critical` section: a
signal arriving meanwhile takes effect right after it, so a report and its ``latest``
pointer are moved together or not at all.

Worker processes leave the decision to their parent (:func:`worker_init`): they ignore
SIGINT (a Ctrl-C reaches the whole process group), and on SIGTERM, or when their parent
has died, they stop their kernels, remove the temporary paths they registered with
:func:`temporary` and exit.

A process is named by :func:`identity` (pid, start time, host), so a pid reused by a new
process after the old one ended is not taken for it (:func:`is_running`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import psutil

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: Seconds a process gets to end after SIGTERM before it is killed.
GRACE_SECONDS = 3.0
#: How often a worker checks that its parent is still there.
PARENT_POLL_SECONDS = 0.5
#: Exit code of a worker whose parent died (as if hung up: 128 + SIGHUP's number).
ORPHANED_EXIT = 129


class Stopped(KeyboardInterrupt):
    """The run was asked to stop by a signal.

    A ``KeyboardInterrupt`` so that nothing that catches ``Exception`` (a step's error
    report, papermill, asyncio) swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        """128 + the signal number: 143 for SIGTERM, 130 for SIGINT."""
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


# --- the signal handler and critical sections ------------------------------------------------

_state: dict = {"action": None, "pending": None, "stopping": False, "depth": 0}
_critical_lock = threading.RLock()


def _on_signal(signum: int, frame) -> None:
    if _state["stopping"]:
        return  # already stopping: the clean-up must not be interrupted by a second signal
    _state["stopping"] = True
    if _state["depth"]:
        _state["pending"] = signum  # inside a critical section: act at its end
        return
    _state["action"](signum)


def _raise(signum: int) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def raise_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGINT raise :class:`Stopped` in the main thread.

    Outside the main thread (where Python cannot install handlers) this does nothing.
    The previous handlers are restored afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    saved = dict(_state)
    _state.update(action=_raise, pending=None, stopping=False)
    for s in STOP_SIGNALS:
        signal.signal(s, _on_signal)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _state.update(saved)


@contextlib.contextmanager
def critical() -> Iterator[None]:
    """A block that a stop does not cut in half (moving a report and ``latest``).

    A signal arriving inside takes effect when the block ends; a worker that finds its
    parent gone waits for the block to end before it exits.
    """
    with _critical_lock:
        _state["depth"] += 1
        try:
            yield
        finally:
            _state["depth"] -= 1
    pending = _state["pending"]
    if pending is not None and not _state["depth"]:
        _state["pending"] = None
        _state["action"](pending)


# --- processes --------------------------------------------------------------------------------


def identity(pid: int | None = None) -> dict:
    """``{pid, start, host}`` of a process (default: this one); ``start`` is its start time."""
    pid = os.getpid() if pid is None else int(pid)
    return {"pid": pid, "start": psutil.Process(pid).create_time(), "host": socket.gethostname()}


def is_running(process: dict) -> bool | None:
    """Whether the process named by :func:`identity` still runs.

    ``None`` when it ran on another host (it cannot be checked from here). Without a
    ``start`` (a lock written by an older version) only the pid is checked.
    """
    if process.get("host") not in (None, socket.gethostname()):
        return None
    try:
        proc = psutil.Process(int(process["pid"]))
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        start = process.get("start")
        if start is not None and abs(proc.create_time() - float(start)) > 0.01:
            return False  # the pid now belongs to another process
    except (psutil.NoSuchProcess, KeyError, TypeError, ValueError):
        return False
    except psutil.AccessDenied:
        return True
    return True


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _signal_all(processes: Iterable[psutil.Process], send: Callable) -> None:
    for proc in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            send(proc)


def stop_processes(processes: Iterable[psutil.Process], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM the processes and all their descendants; SIGKILL any left after ``grace``.

    The whole tree is listed before the first signal, so kernels whose worker dies
    first are still found. Processes are not reaped here (their parents do that).
    """
    tree: list[psutil.Process] = []
    for proc in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            tree.extend([proc, *proc.children(recursive=True)])
    _signal_all(tree, lambda p: p.terminate())
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in tree):
        time.sleep(0.05)
    left = [p for p in tree if _alive(p)]
    _signal_all(left, lambda p: p.kill())
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in left):
        time.sleep(0.05)


@contextlib.contextmanager
def children_stopped_on_error() -> Iterator[None]:
    """Child processes started inside the block (kernels) are stopped if it raises."""
    before = {p.pid for p in psutil.Process().children()}
    try:
        yield
    except BaseException:
        stop_processes([p for p in psutil.Process().children() if p.pid not in before])
        raise


@contextlib.contextmanager
def worker_pool(jobs: int) -> Iterator[ProcessPoolExecutor]:
    """``jobs`` spawned worker processes (see :func:`worker_init`).

    When the block is left by an exception (a :class:`Stopped` included), the workers
    and their kernels are stopped at once instead of being waited for.
    """
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=get_context("spawn"), initializer=worker_init
    )
    try:
        yield pool
    except BaseException:
        # The executor keeps no public list of its processes; ``_processes`` (pid ->
        # Process) has been there since Python 3.2.
        workers = list((getattr(pool, "_processes", None) or {}).keys())
        stop_processes(_processes(workers))
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _processes(pids: Iterable[int]) -> list[psutil.Process]:
    found = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            found.append(psutil.Process(pid))
    return found


# --- temporary paths and worker processes ---------------------------------------------------

_temporary: set[str] = set()


@contextlib.contextmanager
def temporary(path: str | Path) -> Iterator[Path]:
    """Register a temporary file or folder that this process removes if it is stopped."""
    _temporary.add(str(path))
    try:
        yield Path(path)
    finally:
        _temporary.discard(str(path))


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _clean_up_and_exit(code: int) -> None:
    """Stop this worker's kernels, remove its temporary paths, exit at once."""
    with contextlib.suppress(psutil.Error):
        stop_processes(psutil.Process().children(), grace=GRACE_SECONDS / 2)
    for path in list(_temporary):
        _remove(path)
    os._exit(code)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            with _critical_lock:  # let a report being moved into place finish moving
                _clean_up_and_exit(ORPHANED_EXIT)


def worker_init() -> None:
    """Initializer of worker processes: the parent decides when to stop.

    SIGINT is ignored (the parent got it too and stops the workers); SIGTERM makes the
    worker stop its kernels, remove its temporary paths and exit; so does the death of
    the parent, checked every :data:`PARENT_POLL_SECONDS`.
    """
    _state.update(action=lambda signum: _clean_up_and_exit(128 + signum), stopping=False)
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    signal.signal(signal.SIGTERM, _on_signal)
    watcher = threading.Thread(
        target=_watch_parent, args=(os.getppid(),), name="playbook-parent-watch", daemon=True
    )
    watcher.start()

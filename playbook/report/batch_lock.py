"""The monthly lock: one run per workspace and month, and only its live workers publish.

``<monthly>/.lock-<YYYY-MM>`` holds the owner's pid, start time and host and a random
token. Every process that runs a unit (a worker, or the owner itself) registers in
``.lock-<YYYY-MM>.workers/`` while it works. A new run takes the lock over only when
the owner is gone (the same pid with another start time is another process) *and* no
registered worker still runs, so orphans of a killed run are waited for, not raced.

A worker publishes a unit only while :func:`may_publish` holds: the lock still carries
its run's token and that run's owner is alive. Orphaned workers therefore never move a
report or ``latest`` into place.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

from playbook.exceptions import BatchLocked
from playbook.report.stopping import identity, is_running, temporary


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _workers_dir(lock: Path) -> Path:
    return lock.with_name(lock.name + ".workers")


def running_workers(lock: Path) -> list[dict]:
    """Registered workers of ``lock`` that still run on this host."""
    folder = _workers_dir(lock)
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        worker = _read(path) or {}
        if worker and is_running(worker):
            found.append(worker)
    return found


def _create_with(path: Path, text: str) -> None:
    """Create ``path`` holding ``text`` in one step (never seen empty by another process).

    Raises
    ------
    FileExistsError
        When ``path`` exists.
    """
    draft = path.with_name(f"{path.name}.{os.getpid()}.draft")
    draft.write_text(text, encoding="utf-8")
    try:
        os.link(draft, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: exclusive create, then write
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    finally:
        draft.unlink(missing_ok=True)


class MonthLock:
    """An exclusive lock file per workspace and month.

    A lock whose owner is gone (checked by pid *and* start time, on this host) is taken
    over, unless workers it started still run. ``info`` is what workers need to check
    that the lock is still their run's (:func:`may_publish`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.token = secrets.token_hex(16)
        self.info: dict = {}

    def __enter__(self) -> MonthLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {**identity(), "token": self.token}
        for _ in range(3):
            try:
                _create_with(self.path, json.dumps(me))
            except FileExistsError:
                self._take_over_if_stale(_read(self.path))
                continue
            shutil.rmtree(_workers_dir(self.path), ignore_errors=True)
            _workers_dir(self.path).mkdir()
            self.info = {"path": str(self.path), "token": self.token, "owner": identity()}
            return self
        raise BatchLocked(f"could not take the lock {self.path}")

    def _take_over_if_stale(self, holder: dict | None) -> None:
        if holder is None:
            return  # released meanwhile: try again
        running = is_running(holder) if holder.get("pid") else False
        if running is None or running:
            raise BatchLocked(
                f"another run of this workspace and month is in progress "
                f"(pid {holder.get('pid')} on {holder.get('host')}); lock: {self.path}"
            )
        orphans = running_workers(self.path)
        if orphans:
            pids = ", ".join(str(w["pid"]) for w in orphans)
            raise BatchLocked(
                f"the run that held this month's lock (pid {holder.get('pid')}) has ended, but "
                f"its worker processes (pid {pids}) still run; they will not publish anything. "
                f"Wait for them to end (or stop them), then run again; lock: {self.path}"
            )
        self.path.unlink(missing_ok=True)  # stale: its process and workers are gone

    def __exit__(self, *exc) -> None:
        holder = _read(self.path)
        if holder is not None and holder.get("token") == self.token:
            shutil.rmtree(_workers_dir(self.path), ignore_errors=True)
            self.path.unlink(missing_ok=True)


def may_publish(lock: dict | None) -> bool:
    """Whether a unit of the run described by ``lock`` (``MonthLock.info``) may publish.

    True without a lock (a unit run on its own); else only while the lock file carries
    the run's token and the run's owner process still runs (on another host, where it
    cannot be checked, the token alone decides).
    """
    if not lock:
        return True
    holder = _read(Path(lock["path"]))
    if not holder or holder.get("token") != lock["token"]:
        return False
    return is_running(lock["owner"]) is not False


@contextlib.contextmanager
def registered(lock: dict | None) -> Iterator[None]:
    """Register this process as a worker of the run described by ``lock`` while it works."""
    if not lock:
        yield
        return
    me = identity()
    name = f"{safe_host()}-{me['pid']}.json"
    path = _workers_dir(Path(lock["path"])) / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(me), encoding="utf-8")
    except OSError:
        pass  # the lock is gone already; may_publish will say no
    with temporary(path):
        try:
            yield
        finally:
            path.unlink(missing_ok=True)


def safe_host() -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in socket.gethostname())

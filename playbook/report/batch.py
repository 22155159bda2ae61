"""Unattended monthly runs over many business units.

``run_monthly`` splits a workspace by a configured column (``monthly.unit_column``,
default ``region``), validates each unit on its own (one unit's bad rows fail that
unit, with its problem list, while the others run), cuts every unit's data at the
month's end, and runs the monthly notebook (plus any configured step notebooks)
per unit in parallel: local worker processes (``jobs``) or an existing Dask
cluster (``scheduler``) — the same function runs either way, so the reports are
identical.

Layout under ``<out>/<workspace>/monthly/``::

    <unit>/<YYYY-MM>/        one report per unit and month (the output contract)
    <unit>/latest, LATEST    moved only after that unit's run succeeded
    <unit>/failed-<YYYY-MM>/ a failed run, kept for debugging
    <YYYY-MM>.html           index of every unit with headline KPIs and status
    <YYYY-MM>.batch.json     machine-readable batch result (which units failed, why)
    logs/<YYYY-MM>.log       the batch log

Unit folders are the unit's name made safe, with a short hash where that changed
the name (:func:`unit_folders`). Two runs of the same workspace and month cannot
overlap: the second finds the lock and stops (exit 1) without touching anything;
workers of a run that was killed publish nothing (:mod:`playbook.report.batch_lock`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from playbook.exceptions import DataError, UsageError
from playbook.report import safe_name, stopping
from playbook.report.batch_index import failure_report, write_batch
from playbook.report.batch_lock import MonthLock
from playbook.report.batch_unit import (
    MONTHLY_NOTEBOOK,
    MONTHLY_PARAMETERS,
    UnitResult,
    run_unit,
)
from playbook.report.output import check_output_folder, make_folder
from playbook.report.stopping import Stopped
from playbook.steps.monthly import month_bounds, shift_month
from playbook.workspace.load import read_workspace

__all__ = [
    "MONTHLY_NOTEBOOK",
    "MONTHLY_PARAMETERS",
    "MonthLock",
    "failure_report",
    "run_monthly",
    "run_unit",
    "unit_folders",
]

logger = logging.getLogger(__name__)


@dataclass
class BatchResult:
    month: str
    base: Path
    units: list[UnitResult]
    #: Every unit the workspace has (the company roll-up misses the ones not run).
    expected_units: list[str] = field(default_factory=list)
    #: Deals in no unit (their unit column is empty): the units then do not add up.
    unassigned_deals: int = 0

    @property
    def ok(self) -> bool:
        return all(u.ok for u in self.units)

    @property
    def failed(self) -> list[UnitResult]:
        return [u for u in self.units if not u.ok]


# --- one unit (runs in a worker process or on a Dask worker) ---------------------------------


# --- the batch --------------------------------------------------------------------------------


def _previous_summary(base: Path, month: str) -> str:
    path = base / shift_month(month, -1) / "summary.json"
    return str(path) if path.exists() else ""


def unit_folders(units: Sequence[str]) -> dict[str, str]:
    """Each unit's folder name: unique among ``units`` and stable from month to month.

    A unit whose name is already a safe folder name keeps it; a name that had to be
    changed (``North?`` -> ``North``), or that differs from another only by letter case,
    gets ``-`` and 6 hex digits of its SHA-256 appended. So ``North`` and ``North?`` never
    share a folder, and a unit's folder does not change when other units come or go.
    """
    kept = [unit for unit in units if safe_name(unit) == unit]
    folded: dict[str, int] = {}
    for unit in kept:
        folded[unit.casefold()] = folded.get(unit.casefold(), 0) + 1
    names = {}
    for unit in units:
        name = safe_name(unit)
        if name != unit or folded[unit.casefold()] > 1:
            name = f"{name}-{hashlib.sha256(unit.encode('utf-8')).hexdigest()[:6]}"
        names[unit] = name
    return names


def _chosen_units(raw, column: str, units, all_units: bool) -> tuple[list[str], list[str], int]:
    """The units to run, every unit of the workspace, and the deals in no unit.

    Without ``units`` or ``all_units`` the whole workspace is the one unit ``all``.
    """
    if not (units or all_units):
        return ["all"], ["all"], 0
    available = raw.units(column)
    if not available:
        raise UsageError(
            f"deals have no '{column}' column to split by; set monthly.unit_column in pilot.yml"
        )
    chosen = available if all_units else list(dict.fromkeys(units))
    unknown = [u for u in chosen if u not in available]
    if unknown:
        raise UsageError(
            f"unknown unit(s) {', '.join(unknown)}; {column} values: {', '.join(available)}"
        )
    return chosen, available, _unassigned_deals(raw, column)


def _unassigned_deals(raw, column: str) -> int:
    """Deals whose unit column is empty: they fall in no unit (``RawWorkspace.units``)."""
    deals = raw.tables["deals"][0]
    values = deals[column].astype("string").str.strip()
    return int((values.isna() | (values == "")).sum())


def check_month(month: str, today: pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The month's first and last moment, once it is known to be a valid month so far.

    Raises
    ------
    UsageError
        When ``month`` is not ``YYYY-MM`` or lies in the future (its data cannot exist yet).
    """
    try:
        bounds = month_bounds(month)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    current = (today or pd.Timestamp.now()).to_period("M")
    if pd.Period(month, freq="M") > current:
        raise UsageError(
            f"--month {month} is in the future (this month is {current}); a month can be "
            f"reported once it has begun"
        )
    return bounds


def run_monthly(
    workspace: str | Path,
    month: str,
    *,
    units: Sequence[str] | None = None,
    all_units: bool = False,
    out: str | Path = "reports",
    language: str | None = None,
    jobs: int = 2,
    scheduler: str | None = None,
    timeout: int = 600,
    notebooks: Path | None = None,
    progress: Callable[[str], None] | None = None,
    anonymize: bool = False,
    allowed: Sequence[str | Path] = (),
) -> BatchResult:
    """Run the monthly report for one month over the chosen units.

    Parameters
    ----------
    units : unit values to run (``--unit``); with neither ``units`` nor
        ``all_units`` the whole workspace is one unit named ``all``.
    scheduler : address of an existing Dask distributed scheduler; when given,
        units run there instead of in local processes.
    anonymize : replace people's ids and names by the workspace's stable pseudonyms
        in every unit's report, as ``playbook run --anonymize`` does.
    allowed : folders outside the workspace it may read (``--allow-path``).

    Raises
    ------
    UsageError
        Bad or future month, unknown unit names, no unit column, ``jobs`` or
        ``timeout`` not positive, or ``out`` not a folder that can be written.
    BatchLocked
        Another run of this workspace and month holds the lock, or workers of a
        killed run still run.
    DataError
        When the whole workspace cannot be read (a problem no unit can be blamed for).
    """
    from playbook.report.runner import check_run_options
    from playbook.workspace.secret import workspace_secret
    from playbook.workspace.trust import notebooks_dir

    say = progress or logger.info
    check_run_options(jobs=jobs, timeout=timeout)
    _, month_end = check_month(month)
    out_folder = check_output_folder(out)
    ws = Path(workspace).resolve()
    folder_nb = notebooks or notebooks_dir()
    if not (folder_nb / f"{MONTHLY_NOTEBOOK}.ipynb").exists():
        raise UsageError(f"no {MONTHLY_NOTEBOOK}.ipynb in {folder_nb}")
    raw = read_workspace(ws, allowed=allowed, notebooks=folder_nb)
    config = raw.config
    lang = language or config.language
    column = config.monthly.unit_column
    root = out_folder / safe_name(ws.name) / "monthly"
    if raw.problems:
        raise DataError(raw.problems)
    available = raw.units(column)
    chosen, expected, unassigned = _chosen_units(raw, column, units, all_units)
    folders = unit_folders(list(dict.fromkeys(["all", *available])))
    make_folder(root)
    with MonthLock(root / f".lock-{month}") as lock, _batch_log(root, month) as log:

        def note(message: str) -> None:
            log.info(message)
            say(message)

        plan = {
            "ws": ws,
            "raw": raw,
            "config": config,
            "column": column,
            "month": month,
            "month_end": month_end,
            "language": lang,
            "root": root,
            "notebooks": folder_nb,
            "timeout": timeout,
            "lock": lock.info,
            "anonymize_key": workspace_secret(ws) if anonymize else "",
            "allowed": list(allowed),
            "expected_units": expected,
            "unassigned_deals": unassigned,
        }
        try:
            return _run_batch(plan, chosen, folders, jobs, scheduler, note)
        except Stopped as stop:
            log.warning("stopped by %s; units not finished were not published", stop.signal_name)
            raise


@contextlib.contextmanager
def _batch_log(root: Path, month: str):
    """``logs/<month>.log``: every line of the batch's progress and each failure in full."""
    path = make_folder(root / "logs") / f"{month}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log = logging.getLogger("playbook.report.batch.log")
    log.setLevel(logging.INFO)
    log.propagate = False  # the command prints the same lines itself
    log.addHandler(handler)
    try:
        yield log
    finally:
        log.removeHandler(handler)
        handler.close()


def _remove_leftovers(root: Path, month: str) -> None:
    """Temporary folders of this month that a killed run left (we hold the lock now)."""
    for path in [*root.glob(f".cache-{month}-*"), *root.glob(f"*/.tmp-{month}-*")]:
        shutil.rmtree(path, ignore_errors=True)


def _run_batch(plan: dict, chosen, folders, jobs, scheduler, note) -> BatchResult:
    root, month = plan["root"], plan["month"]
    config = plan["config"]
    _remove_leftovers(root, month)
    results: list[UnitResult] = []
    tasks = []
    for unit in chosen:
        unit_raw = plan["raw"] if unit == "all" else plan["raw"].restrict(plan["column"], {unit})
        base = root / folders[unit]
        tasks.append(
            {
                "workspace": str(plan["ws"]),
                "unit": unit,
                "month": month,
                "language": plan["language"],
                "cache_dir": str(root / f".cache-{month}-{folders[unit]}"),
                "base": str(base),
                "notebooks": str(plan["notebooks"]),
                "steps": list(config.monthly.steps),
                "timeout": plan["timeout"],
                "previous_summary": _previous_summary(base, month),
                "config": config.model_dump(mode="json"),
                "raw": unit_raw,
                "month_end": plan["month_end"].isoformat(),
                "anonymize_key": plan["anonymize_key"],
                "lock": plan["lock"],
                "allowed": [str(path) for path in plan["allowed"]],
            }
        )
    note(
        f"{month}: {len(tasks)} unit(s) to run"
        + (f" on {scheduler}" if scheduler else f" with {jobs} worker(s)")
    )

    def done(outcome: dict) -> None:
        result = UnitResult(**outcome)
        results.append(result)
        note(f"{result.unit}: {'ok' if result.ok else 'FAILED'} ({result.seconds:.1f} s)")
        if not result.ok:
            logging.getLogger("playbook.report.batch.log").warning(
                "%s:\n%s", result.unit, result.error
            )

    try:
        _execute(tasks, jobs, scheduler, done)
    finally:
        for task in tasks:
            shutil.rmtree(task["cache_dir"], ignore_errors=True)
        for path in root.glob(f"*/.tmp-{month}-*"):  # a stopped unit's, if any
            shutil.rmtree(path, ignore_errors=True)
    results.sort(key=lambda r: r.unit)
    batch = BatchResult(month, root, results, plan["expected_units"], plan["unassigned_deals"])
    write_batch(batch, config, plan["language"])
    note(f"{month}: {len(results) - len(batch.failed)} of {len(results)} unit(s) ok")
    return batch


def _failed_outcome(task: dict, why: str) -> dict:
    return asdict(UnitResult(task["unit"], False, error=why, folder=Path(task["base"]).name))


def _execute(tasks: list[dict], jobs: int, scheduler: str | None, done) -> None:
    """Run every task, calling ``done`` with each outcome as it arrives.

    A stop (or any exception) stops the local workers and their kernels at once; on
    Dask, the units not finished are cancelled (one already running there finds the
    lock released and publishes nothing).
    """
    if not tasks:
        return
    if scheduler:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        with Client(scheduler, timeout="30s") as client:
            futures = client.map(run_unit, tasks, pure=False)
            try:
                for future in dask_completed(futures):
                    done(future.result())
            except BaseException:
                client.cancel(futures)
                raise
        return
    if jobs <= 1 or len(tasks) == 1:
        with stopping.children_stopped_on_error():
            for task in tasks:
                done(run_unit(task))
        return
    with stopping.worker_pool(jobs) as pool:
        futures = {pool.submit(run_unit, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except BrokenProcessPool:  # e.g. killed by the system for want of memory
                outcome = _failed_outcome(
                    futures[future], "the worker process running this unit ended unexpectedly"
                )
            except Exception as exc:  # noqa: BLE001 - a unit's failure must not stop the batch
                outcome = _failed_outcome(futures[future], f"{type(exc).__name__}: {exc}")
            done(outcome)

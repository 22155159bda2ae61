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

Two runs of the same workspace and month cannot overlap: the second finds the
lock and stops (exit 1) without touching anything.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from playbook.exceptions import BatchLocked, DataError, UsageError
from playbook.load import as_of, read_workspace, save_cache, validate
from playbook.monthly import month_bounds, shift_month
from playbook.report import safe_name
from playbook.trust import available_steps

logger = logging.getLogger(__name__)

MONTHLY_NOTEBOOK = "monthly_report"
#: Parameters the monthly notebook declares (the step notebooks take the usual four).
MONTHLY_PARAMETERS = (
    "workspace",
    "cache_dir",
    "output_dir",
    "language",
    "month",
    "unit",
    "previous_summary",
)
#: Kernel start-ups that failed for reasons outside the notebook are retried this often.
START_RETRIES = 2


@dataclass
class UnitResult:
    unit: str
    ok: bool
    report_dir: str = ""
    error: str = ""
    problems: list[dict] = field(default_factory=list)
    kpis: dict = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class BatchResult:
    month: str
    base: Path
    units: list[UnitResult]

    @property
    def ok(self) -> bool:
        return all(u.ok for u in self.units)

    @property
    def failed(self) -> list[UnitResult]:
        return [u for u in self.units if not u.ok]


# --- locking -------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class MonthLock:
    """An exclusive lock file per workspace and month (stale locks of dead processes
    on this host are taken over)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> MonthLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname()}
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                try:
                    holder = json.loads(self.path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    holder = {}
                same_host = holder.get("host") == me["host"]
                if same_host and not _pid_alive(int(holder.get("pid", 0) or 0)):
                    self.path.unlink(missing_ok=True)  # stale: its process is gone
                    continue
                raise BatchLocked(
                    f"another run of this workspace and month is in progress "
                    f"(pid {holder.get('pid')} on {holder.get('host')}); lock: {self.path}"
                ) from None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(me, handle)
            return self
        raise BatchLocked(f"could not take the lock {self.path}")

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)


# --- one unit (runs in a worker process or on a Dask worker) ---------------------------------


def _is_startup_failure(error: str) -> bool:
    words = (
        "Kernel didn't respond",
        "kernel died before replying",
        "Address already in use",
        "Kernel died before",
        "Failed to start the kernel",
    )
    return any(w.lower() in error.lower() for w in words)


def run_unit(task: dict) -> dict:
    """Run the monthly report of one unit; never raises (the result says what failed).

    ``task`` holds plain values only (paths as strings), so it can be sent to a
    worker process or a Dask worker: workspace, unit, month, language, cache_dir,
    base (the unit's folder), notebooks, steps, timeout, previous_summary.
    """
    from playbook.config import parse_config
    from playbook.runner import (
        PARTS,
        StepFailed,
        assemble_report,
        execute_step,
        prepare_folder,
        publish,
    )

    start = time.perf_counter()
    unit, month = task["unit"], task["month"]
    if task.get("raw") is not None:
        # Validating and cutting the unit's data happens here, in the worker, so units
        # check their data in parallel; bad rows fail this unit only.
        try:
            dataset = validate(task["raw"])
        except DataError as err:
            problems = [p.as_dict() for p in err.problems]
            return asdict(
                UnitResult(
                    unit,
                    False,
                    error=str(err),
                    problems=problems,
                    seconds=time.perf_counter() - start,
                )
            )
        save_cache(as_of(dataset, pd.Timestamp(task["month_end"])), task["cache_dir"])
    base = Path(task["base"])
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / f".tmp-{month}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    prepare_folder(tmp)
    log = logging.getLogger(f"playbook.batch.{safe_name(unit)}")
    handler = logging.FileHandler(tmp / "run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    notebooks = Path(task["notebooks"])
    if not set(task["steps"]) <= set(available_steps(notebooks)):  # run_monthly checked them
        raise UsageError(f"monthly.steps names no step notebook: {task['steps']}")
    common = {
        "workspace": task["workspace"],
        "cache_dir": task["cache_dir"],
        "output_dir": str(tmp),
        "language": task["language"],
    }
    results = []
    try:
        for step in [MONTHLY_NOTEBOOK, *task["steps"]]:
            parameters = dict(common)
            if step == MONTHLY_NOTEBOOK:
                parameters |= {
                    "month": month,
                    "unit": unit,
                    "previous_summary": task.get("previous_summary") or "",
                }
            for attempt in range(START_RETRIES + 1):
                result = execute_step(
                    str(notebooks / f"{step}.ipynb"),
                    str(tmp / "executed" / f"{step}.ipynb"),
                    parameters,
                    task["timeout"],
                    str(tmp / PARTS / f"{step}.json"),
                )
                if result.ok or not _is_startup_failure(result.error) or attempt == START_RETRIES:
                    break
                log.warning("%s: kernel start failed (%s); retrying", step, result.error)
                time.sleep(1 + attempt)
            log.info(
                "%s: %s (%.1f s) %s",
                step,
                "ok" if result.ok else "FAILED",
                result.seconds,
                result.error,
            )
            results.append(result)
        config = parse_config(task["config"])
        m_start, m_end = month_bounds(month)
        summary = assemble_report(
            tmp,
            workspace=Path(task["workspace"]),
            config=config,
            language=task["language"],
            results=results,
            run_id=month,
            period={"start": str(m_start.date()), "end": str(m_end.date())},
            timings={},
            extra={"month": month, "unit": unit},
            allowed=task.get("allowed", ()),
        )
        handler.close()
        log.removeHandler(handler)
        final = publish(tmp, base, month, results)
        return asdict(
            UnitResult(
                unit,
                True,
                str(final),
                kpis=summary.get("kpis", {}),
                seconds=time.perf_counter() - start,
            )
        )
    except StepFailed as exc:
        return asdict(
            UnitResult(
                unit,
                False,
                str(base / f"failed-{month}"),
                error=str(exc),
                seconds=time.perf_counter() - start,
            )
        )
    except Exception as exc:  # noqa: BLE001 - a unit's failure must not stop the batch
        logger.exception("unit %s failed", unit)
        failed = base / f"failed-{month}"
        if tmp.exists():
            shutil.rmtree(failed, ignore_errors=True)
            os.replace(tmp, failed)
        return asdict(
            UnitResult(
                unit,
                False,
                str(failed),
                error=f"{type(exc).__name__}: {exc}",
                seconds=time.perf_counter() - start,
            )
        )
    finally:
        handler.close()
        log.removeHandler(handler)


# --- the batch --------------------------------------------------------------------------------


def _previous_summary(base: Path, month: str) -> str:
    path = base / shift_month(month, -1) / "summary.json"
    return str(path) if path.exists() else ""


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
    allowed: Sequence[str | Path] = (),
) -> BatchResult:
    """Run the monthly report for one month over the chosen units.

    Parameters
    ----------
    units : unit values to run (``--unit``); with neither ``units`` nor
        ``all_units`` the whole workspace is one unit named ``all``.
    scheduler : address of an existing Dask distributed scheduler; when given,
        units run there instead of in local processes.
    allowed : folders outside the workspace it may read (``--allow-path``).

    Raises
    ------
    UsageError
        Bad month, unknown unit names, or no unit column.
    BatchLocked
        Another run of this workspace and month holds the lock.
    DataError
        When the whole workspace cannot be read (a problem no unit can be blamed for).
    """
    from playbook.runner import notebooks_dir

    say = progress or logger.info
    try:
        month_start, month_end = month_bounds(month)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    ws = Path(workspace).resolve()
    folder_nb = notebooks or notebooks_dir()
    if not (folder_nb / f"{MONTHLY_NOTEBOOK}.ipynb").exists():
        raise UsageError(f"no {MONTHLY_NOTEBOOK}.ipynb in {folder_nb}")
    raw = read_workspace(ws, allowed=allowed, notebooks=folder_nb)
    config = raw.config
    lang = language or config.language
    column = config.monthly.unit_column
    root = Path(out).resolve() / safe_name(ws.name) / "monthly"
    if raw.problems:
        raise DataError(raw.problems)
    if units or all_units:
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
    else:
        chosen = ["all"]
    with MonthLock(root / f".lock-{month}"):
        log_path = root / "logs" / f"{month}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logging.getLogger("playbook").addHandler(handler)
        try:
            return _run_batch(
                ws,
                raw,
                config,
                column,
                chosen,
                month,
                month_end,
                lang,
                root,
                folder_nb,
                jobs,
                scheduler,
                timeout,
                say,
                allowed=[str(path) for path in allowed],
            )
        finally:
            logging.getLogger("playbook").removeHandler(handler)
            handler.close()


def _run_batch(
    ws,
    raw,
    config,
    column,
    chosen,
    month,
    month_end,
    lang,
    root,
    folder_nb,
    jobs,
    scheduler,
    timeout,
    say,
    allowed=(),
) -> BatchResult:
    results: list[UnitResult] = []
    tasks = []
    caches = []
    for unit in chosen:
        unit_raw = raw if unit == "all" else raw.restrict(column, {unit})
        base = root / safe_name(unit)
        cache = root / f".cache-{month}-{safe_name(unit)}"
        caches.append(cache)
        tasks.append(
            {
                "workspace": str(ws),
                "unit": unit,
                "month": month,
                "language": lang,
                "cache_dir": str(cache),
                "base": str(base),
                "notebooks": str(folder_nb),
                "steps": list(config.monthly.steps),
                "timeout": timeout,
                "previous_summary": _previous_summary(base, month),
                "config": config.model_dump(mode="json"),
                "raw": unit_raw,
                "month_end": month_end.isoformat(),
                "allowed": list(allowed),
            }
        )
    say(
        f"{month}: {len(tasks)} unit(s) to run"
        + (f" on {scheduler}" if scheduler else f" with {jobs} worker(s)")
    )
    try:
        for done in _execute(tasks, jobs, scheduler):
            result = UnitResult(**done)
            results.append(result)
            status = "ok" if result.ok else "FAILED — " + result.error.splitlines()[0]
            say(f"{result.unit}: {status} ({result.seconds:.1f} s)")
    finally:
        for cache in caches:
            shutil.rmtree(cache, ignore_errors=True)
    results.sort(key=lambda r: r.unit)
    batch = BatchResult(month, root, results)
    _write_batch(batch, config, lang)
    return batch


def _execute(tasks: list[dict], jobs: int, scheduler: str | None):
    if not tasks:
        return
    if scheduler:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        with Client(scheduler, timeout="30s") as client:
            futures = client.map(run_unit, tasks, pure=False)
            for future in dask_completed(futures):
                yield future.result()
        return
    if jobs <= 1 or len(tasks) == 1:
        for task in tasks:
            yield run_unit(task)
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run_unit, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


def _write_batch(batch: BatchResult, config, language: str) -> None:
    from playbook.runner import _jinja

    data = {
        "month": batch.month,
        "ok": batch.ok,
        "units": [
            {
                "unit": u.unit,
                "ok": u.ok,
                "report": u.report_dir,
                "error": u.error,
                "problems": u.problems,
            }
            for u in batch.units
        ],
        "failed": [u.unit for u in batch.failed],
    }
    path = batch.base / f"{batch.month}.batch.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    from playbook.i18n import t
    from playbook.report import format_kpi

    rows = []
    for u in batch.units:
        href = ""
        if u.ok:
            href = f"{safe_name(u.unit)}/{batch.month}/index.html"
        rows.append(
            {
                "unit": u.unit,
                "ok": u.ok,
                "href": href,
                "status": t("step_ok" if u.ok else "step_failed", language),
                "error": u.error.splitlines()[0] if u.error else "",
                "kpis": [
                    format_kpi(u.kpis[k]) if k in u.kpis else "–"
                    for k in ("won_revenue", "win_rate", "new_deals")
                ],
            }
        )
    page = (
        _jinja()
        .get_template("batch.html.j2")
        .render(
            title=t("batch_title", language, name=config.name, month=batch.month),
            language=language,
            rows=rows,
            headers=[
                t(k, language)
                for k in (
                    "col_unit",
                    "col_status",
                    "kpi_won_revenue",
                    "kpi_win_rate",
                    "kpi_new_deals",
                )
            ],
        )
    )
    (batch.base / f"{batch.month}.html").write_text(page, encoding="utf-8")

"""One business unit's monthly report, in its own worker: its data cut at the month's end, its
notebooks run with retries, its report assembled and published (or kept as failed)."""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from playbook.exceptions import DataError, UsageError
from playbook.report import stopping
from playbook.report.batch_lock import may_publish, registered
from playbook.report.kernel import stop_spare_kernels
from playbook.steps.monthly import month_bounds, unit_counts
from playbook.workspace.cache import save_cache
from playbook.workspace.load import as_of, validate
from playbook.workspace.trust import available_steps

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
    #: The unit's additive counts (:func:`playbook.steps.monthly.rollup.unit_counts`),
    #: summed over units into the company roll-up.
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    #: The unit's folder under ``monthly/`` (see :func:`unit_folders`).
    folder: str = ""


def _is_startup_failure(error: str) -> bool:
    words = (
        "Kernel didn't respond",
        "kernel died before replying",
        "Address already in use",
        "Kernel died before",
        "Failed to start the kernel",
    )
    return any(w.lower() in error.lower() for w in words)


#: Why a unit of a run that has ended (its parent killed) publishes nothing.
ORPHANED = "the batch that started this unit has ended (stopped or killed); nothing was published"


def run_unit(task: dict) -> dict:
    """Run the monthly report of one unit; never raises (the result says what failed).

    ``task`` holds plain values only (paths as strings), so it can be sent to a
    worker process or a Dask worker: workspace, unit, month, language, cache_dir,
    base (the unit's folder), notebooks, steps, timeout, previous_summary, config,
    raw, month_end, anonymize_key and lock (see :mod:`playbook.report.batch_lock`: the unit
    publishes only while the run that started it still holds the lock).

    A stop (:class:`playbook.report.stopping.Stopped`) is not a failure: the unit's temporary
    folder is removed and the stop goes on up.
    """
    start = time.perf_counter()
    lock = task.get("lock")
    with registered(lock):
        if not may_publish(lock):
            return asdict(UnitResult(task["unit"], False, error=ORPHANED, folder=_folder(task)))
        failure = _prepare_unit_data(task, start)
        if failure is not None:
            return failure
        return _run_unit_steps(task, start)


def _folder(task: dict) -> str:
    return Path(task["base"]).name


def _prepare_unit_data(task: dict, start: float) -> dict | None:
    """Validate the unit's data, cut it at the month's end, cache it; a failure result or None.

    Validating here, in the worker, lets units check their data in parallel; bad rows
    fail this unit only.
    """
    if task.get("raw") is None:
        return None

    def failed(error: str, problems: list[dict]) -> dict:
        return asdict(
            UnitResult(
                task["unit"],
                False,
                error=error,
                problems=problems,
                seconds=time.perf_counter() - start,
                folder=_folder(task),
            )
        )

    try:
        dataset = as_of(validate(task["raw"]), pd.Timestamp(task["month_end"]))
        if task.get("anonymize_key"):
            from playbook.report.anonymise import pseudonymised

            dataset = pseudonymised(dataset, task["anonymize_key"])
            task["config"] = dataset.config.model_dump(mode="json")
        # counted here, where the unit's data are in memory anyway
        task["counts"] = unit_counts(dataset, task["month"], pd.Timestamp(task["month_end"]))
        save_cache(dataset, task["cache_dir"])
    except DataError as err:
        return failed(str(err), [p.as_dict() for p in err.problems])
    except Exception as exc:  # noqa: BLE001 - one unit's failure must not stop the batch
        logger.exception("unit %s: preparing its data failed", task["unit"])
        return failed(f"preparing the unit's data failed: {type(exc).__name__}: {exc}", [])
    return None


def _execute_with_retries(step: str, parameters: dict, tmp: Path, task: dict, log):
    from playbook.report import PARTS
    from playbook.report.kernel import execute_step

    notebooks = Path(task["notebooks"])
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
        "%s: %s (%.1f s) %s", step, "ok" if result.ok else "FAILED", result.seconds, result.error
    )
    return result


def _assemble_unit(tmp: Path, task: dict, results: list) -> dict:
    """The unit's index and summary.json: the month's period, teams, targets and history."""
    from playbook.report.overview import rep_teams_of
    from playbook.report.publish import cached_table, read_summary
    from playbook.report.runner import assemble_report
    from playbook.report.scorecard import company_targets
    from playbook.workspace.config import parse_config

    month, cache = task["month"], task["cache_dir"]
    m_start, m_end = month_bounds(month)
    return assemble_report(
        tmp,
        workspace=Path(task["workspace"]),
        config=parse_config(task["config"]),
        language=task["language"],
        results=results,
        run_id=month,
        period={"start": str(m_start.date()), "end": str(m_end.date())},
        timings={},
        extra={"month": month, "unit": task["unit"], "counts": task.get("counts", {})},
        allowed=task.get("allowed", ()),
        rep_teams=rep_teams_of(
            cached_table(cache, "reps"), cached_table(cache, "deals", columns=["owner_id"])
        ),
        previous=read_summary(task.get("previous_summary")),
        targets=company_targets(cached_table(cache, "targets"), str(m_end.date())),
        findings_period=history_period(cache, m_end),
    )


def _run_unit_steps(task: dict, start: float) -> dict:
    from playbook.exceptions import StepFailed
    from playbook.report.publish import prepare_folder, publish

    unit, month, lock = task["unit"], task["month"], task.get("lock")
    if not set(task["steps"]) <= set(available_steps(Path(task["notebooks"]))):
        raise UsageError(f"monthly.steps names no step notebook: {task['steps']}")  # checked before
    base = Path(task["base"])
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / f".tmp-{month}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    prepare_folder(tmp)
    log = logging.getLogger(f"playbook.report.batch.{base.name}")
    handler = logging.FileHandler(tmp / "run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    common = {
        "workspace": task["workspace"],
        "cache_dir": task["cache_dir"],
        "output_dir": str(tmp),
        "language": task["language"],
    }

    def failed(error: str, folder: Path | None) -> dict:
        return asdict(
            UnitResult(
                unit,
                False,
                str(folder) if folder else "",
                error=error,
                seconds=time.perf_counter() - start,
                folder=base.name,
            )
        )

    results = []
    try:
        with stopping.temporary(tmp):
            try:
                for step in [MONTHLY_NOTEBOOK, *task["steps"]]:
                    parameters = dict(common)
                    if step == MONTHLY_NOTEBOOK:
                        parameters |= {
                            "month": month,
                            "unit": unit,
                            "previous_summary": task.get("previous_summary") or "",
                        }
                    results.append(_execute_with_retries(step, parameters, tmp, task, log))
            finally:  # a worker may wait long for its next unit: it keeps no idle kernel
                stop_spare_kernels()
            summary = _assemble_unit(tmp, task, results)
            handler.close()
            log.removeHandler(handler)
            with stopping.critical():
                if not may_publish(lock):
                    return failed(ORPHANED, None)
                final = publish(tmp, base, month, results)
        return asdict(
            UnitResult(
                unit,
                True,
                str(final),
                kpis=summary.get("kpis", {}),
                counts=summary.get("counts", {}),
                seconds=time.perf_counter() - start,
                folder=base.name,
            )
        )
    except StepFailed as exc:
        return failed(str(exc), base / f"failed-{month}")
    except Exception as exc:  # noqa: BLE001 - a unit's failure must not stop the batch
        logger.exception("unit %s failed", unit)
        kept = base / f"failed-{month}"
        with stopping.critical():
            if not may_publish(lock):
                return failed(ORPHANED, None)
            if tmp.exists():
                shutil.rmtree(kept, ignore_errors=True)
                os.replace(tmp, kept)
        return failed(f"{type(exc).__name__}: {exc}", kept)
    finally:
        handler.close()
        log.removeHandler(handler)
        shutil.rmtree(tmp, ignore_errors=True)  # moved into place already, or left over


def history_period(cache_dir: str, month_end) -> dict:
    """The span the month's findings look at: the first deal's creation to the month's end."""
    from playbook.report.publish import cached_table

    deals = cached_table(cache_dir, "deals", columns=["created_at"])
    if deals is None or deals["created_at"].dropna().empty:
        return {"start": None, "end": None}
    start = pd.Timestamp(deals["created_at"].min())
    return {"start": str(start.date()), "end": str(pd.Timestamp(month_end).date())}

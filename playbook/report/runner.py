"""Run the pilot's notebooks headless and assemble the report folder.

``run_pilot`` validates the workspace once, caches the canonical tables as
Parquet, executes every step notebook with papermill (in parallel), exports each
to code-free HTML, and writes ``index.html``, ``summary.json`` and
``manifest.json``. The report is built in a temporary folder and moved into
place only when every step succeeded; a failed run is kept beside it as
``failed-<run-id>`` for debugging and never replaces the last good report.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from playbook.exceptions import UsageError
from playbook.i18n import t
from playbook.report import PARTS, safe_name, stopping
from playbook.report.anonymise import pseudonymised
from playbook.report.csv_safety import write_csv
from playbook.report.export_pdf import ExportUnavailable, check_paper
from playbook.report.exports import FILE_NAMES, export_report
from playbook.report.kernel import (
    DEFAULT_TIMEOUT,
    StepResult,
    execute_step,
    prepare_worker,
    release_memory,
    stop_spare_kernels,
)
from playbook.report.output import check_output_folder, make_folder
from playbook.report.overview import rep_teams_of
from playbook.report.pages import (
    _read_parts,
    build_summary,
    export_html,
    render_index,
)
from playbook.report.publish import (
    _step_keys,
    last_step_seconds,
    new_run_id,
    prepare_folder,
    previous_summary,
    publish,
    write_manifest,
)
from playbook.report.scorecard import company_targets
from playbook.workspace import intake_cache
from playbook.workspace.cache import save_cache
from playbook.workspace.config import PilotConfig, load_config
from playbook.workspace.load import apply_period
from playbook.workspace.quarantine import QUARANTINE_FILE, anonymised_rows, load_quarantining
from playbook.workspace.secret import workspace_secret
from playbook.workspace.trust import available_steps, notebooks_dir

logger = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a run produced: the report folder and each step's outcome."""

    report_dir: Path
    ok: bool
    steps: list[StepResult] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    #: Only some steps ran (``only``): the report is kept but ``latest`` was not moved.
    partial: bool = False
    #: The exported files (report.pdf, report.pptx) written into the report folder.
    exports: list[Path] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.report_dir / "index.html"


#: The steps that take longest on the sample company at every size (benchmarks/README.md,
#: "The whole pilot"), slowest first. Started first, they do not end up running alone at
#: the end of a run while the other workers wait.
SLOWEST_STEPS = (
    "06_lead_scoring",
    "05_development_plan",
    "08_content_library",
    "04_capability_radar",
    "03_handoffs",
)


def run_order(steps: Sequence[str], last_seconds: dict[str, float] | None = None) -> list[str]:
    """``steps`` in the order to start them on parallel workers: longest first.

    A step's length is its time in the workspace's last report (``last_seconds``) when
    known; otherwise the order of :data:`SLOWEST_STEPS`, then the rest in step order.
    Steps are independent of one another, so the order changes no result, only how
    well the workers are kept busy until the end.
    """
    last = last_seconds or {}
    if all(step in last for step in steps):
        return sorted(steps, key=lambda step: (-last[step], step))
    known = {step: rank for rank, step in enumerate(SLOWEST_STEPS)}
    return sorted(steps, key=lambda step: (known.get(step, len(known)), step))


# --- HTML -------------------------------------------------------------------------------------


def export_page(tmp: Path, step: str, language: str) -> None:
    """The step's HTML page from its executed notebook (kept for a failed step too),
    unless it was already written."""
    executed, page = tmp / "executed" / f"{step}.ipynb", tmp / f"{step}.html"
    if executed.exists() and not page.exists():
        title = t(step, language) if step in _step_keys() else step
        export_html(executed, page, title=title, language=language)


# --- assembling the report ---------------------------------------------------------------------


def write_alerts(parts: list[dict], target: Path) -> int:
    rows = [a for part in parts for a in part.get("alerts", [])]
    columns = ["kind", "severity", "owner_id", "deal_id", "reason", "action", "step"]
    frame = pd.DataFrame(rows)
    for column in columns:
        if column not in frame:
            frame[column] = pd.Series(dtype=object)
    extra = [c for c in frame.columns if c not in columns]
    frame = frame[columns + extra]
    if len(frame):
        frame = frame.sort_values(["step", "kind", "deal_id"], kind="stable")
    write_csv(frame, target)
    return len(frame)


def select_steps(steps: list[str], only: Sequence[str] | None) -> list[str]:
    """The steps named in ``only`` (names, numbers or bare names), in run order.

    Raises
    ------
    UsageError
        When a name matches no step.
    """
    if not only:
        return steps
    wanted = []
    for name in only:
        match = [s for s in steps if s == name or s[:2] == name.zfill(2) or s[3:] == name]
        if not match:
            raise UsageError(f"unknown step {name!r}; steps are: {', '.join(steps)}")
        wanted.extend(match)
    return sorted(set(wanted))


def run_steps(
    steps: Sequence[str],
    notebooks: Path,
    tmp: Path,
    parameters: dict,
    *,
    jobs: int,
    timeout: int,
    say: Callable[[str], None],
    pool: ProcessPoolExecutor | None = None,
) -> list[StepResult]:
    """Execute step notebooks into ``tmp`` (in parallel worker processes when ``jobs`` > 1:
    ``pool``'s, or a new pool's), in the order given, and write each step's HTML page as
    soon as the step ends."""

    def args(step: str) -> tuple:
        return (
            str(notebooks / f"{step}.ipynb"),
            str(tmp / "executed" / f"{step}.ipynb"),
            parameters,
            timeout,
            str(tmp / PARTS / f"{step}.json"),
        )

    results: list[StepResult] = []
    language = parameters["language"]

    def record(i: int, result: StepResult) -> None:
        results.append(result)
        status = "ok" if result.ok else f"FAILED — {result.error}"
        say(f"[{i}/{len(steps)}] {result.step}: {status} ({result.seconds:.1f} s)")
        # Written while the other steps still run, not all at the end.
        export_page(tmp, result.step, language)

    if jobs <= 1:
        with stopping.children_stopped_on_error():
            try:
                for i, step in enumerate(steps, start=1):
                    record(i, execute_step(*args(step)))
            finally:  # this process goes on after the run: no kernel of it stays behind
                stop_spare_kernels()
        return results
    with contextlib.ExitStack() as own:
        workers = pool or own.enter_context(stopping.worker_pool(jobs))
        futures = [workers.submit(execute_step, *args(step)) for step in steps]
        for i, future in enumerate(as_completed(futures), start=1):
            record(i, future.result())
    return results


@contextlib.contextmanager
def step_workers(jobs: int, steps: int) -> Iterator[ProcessPoolExecutor | None]:
    """The worker processes of a parallel run (None when ``jobs`` is 1), started before
    the intake: while the runner reads the workspace (on one core), each worker imports
    papermill and starts the kernel of its first step, importing there what every step
    needs (:func:`prepare_worker`)."""
    if jobs <= 1:
        yield None
        return
    with stopping.worker_pool(jobs) as pool:
        for _ in range(min(jobs, steps)):
            pool.submit(prepare_worker)
        yield pool


def assemble_report(
    tmp: Path,
    *,
    workspace: Path,
    config: PilotConfig,
    language: str,
    results: list[StepResult],
    run_id: str,
    period: dict,
    timings: dict,
    extra: dict | None = None,
    allowed: Sequence[str | Path] = (),
    rep_teams: dict[str, str] | None = None,
    previous: dict | None = None,
    targets: dict[str, float] | None = None,
    findings_period: dict | None = None,
) -> dict:
    """Step HTML pages, summary.json, alerts.csv, index.html and manifest.json in ``tmp``.

    ``rep_teams`` (rep id -> team) lets reps' findings be shown under their team's;
    ``previous`` is the summary to compare with (last month's for a monthly unit) and
    ``targets`` the company targets by KPI name.
    """
    from playbook.report.overview import build_overview, summary_fields

    for result in results:
        export_page(tmp, result.step, language)
    parts = _read_parts(tmp)
    summary = build_summary(parts, config, language, results, period)
    if extra:
        summary.update(extra)
    view = build_overview(
        [r for part in parts for r in part.get("findings", [])],
        summary,
        config,
        language,
        rep_teams=rep_teams,
        previous=previous,
        targets=targets,
        monthly=bool(extra and "month" in extra),
        findings_period=findings_period,
    )
    summary.update(summary_fields(view))
    (tmp / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=False), encoding="utf-8"
    )
    n_alerts = write_alerts(parts, tmp / "alerts.csv")
    render_index(tmp, summary, config, language, results, run_id, n_alerts, view)
    write_manifest(tmp, workspace, config, results, run_id, language, timings, allowed)
    return summary


def data_period(deals: pd.DataFrame) -> dict:
    created = deals["created_at"]
    if created.empty:
        return {"start": None, "end": None}
    return {"start": str(created.min().date()), "end": str(created.max().date())}


def _data_facts(period_data, base: Path) -> dict:
    """What the summary needs from the tables (period, teams, targets, the last run), taken
    before the steps run so the runner need not keep the tables while the kernels work."""
    period = data_period(period_data.deals)
    return {
        "period": period,
        "rep_teams": rep_teams_of(period_data.reps, period_data.deals),
        "previous": previous_summary(base, period),
        "targets": company_targets(period_data.targets, period["end"]),
    }


def _summarise(ws, config, lang, results, run_id, facts: dict, clock: tuple) -> dict:
    """What :func:`assemble_report` needs: the run's options, its results, the data's facts
    and its timings (``clock``: when the run started, how long the intake took)."""
    started, t_load = clock
    timings = {
        "load_validate_s": round(t_load, 2),
        "total_s": round(time.perf_counter() - started, 2),
    }
    context = {"workspace": ws, "config": config, "language": lang, "results": results}
    return {**context, "run_id": run_id, "timings": timings, **facts}


def _prepare_data(ws: Path, dataset, aside, tmp: Path, anonymize: bool):
    """The data the steps see, anonymised when asked, with the rows set aside written out."""
    if anonymize:  # over the whole workspace, as `playbook pseudonyms` maps them back
        dataset = pseudonymised(dataset, workspace_secret(ws))
    if aside.policy == "quarantine":
        rows = anonymised_rows(aside.rows, workspace_secret(ws)) if anonymize else aside.rows
        write_csv(rows, tmp / QUARANTINE_FILE)
    return dataset


def _export(tmp: Path, exports: Sequence[str], results, paper: str) -> ExportUnavailable | None:
    """Write the PDF / PPTX of a complete run; a missing browser is returned, not raised."""
    if not exports or not all(r.ok for r in results):
        return None
    try:
        export_report(tmp, exports, paper=paper)
    except ExportUnavailable as err:  # the HTML report is still worth publishing
        return err
    return None


def _run_result(final: Path, results, summary: dict, *, partial: bool, exports) -> RunResult:
    written = [final / FILE_NAMES[k] for k in exports if (final / FILE_NAMES[k]).exists()]
    steps = sorted(results, key=lambda r: r.step)
    return RunResult(final, True, steps, summary, partial=partial, exports=written)


def run_pilot(
    workspace: str | Path,
    *,
    out: str | Path = "reports",
    language: str | None = None,
    only: Sequence[str] | None = None,
    jobs: int = 2,
    timeout: int = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
    notebooks: Path | None = None,
    anonymize: bool = False,
    allowed: Sequence[str | Path] = (),
    exports: Sequence[str] = (),
    paper: str = "a4",
    on_bad_rows: str | None = None,
) -> RunResult:
    """Run the whole pilot (or ``only`` some steps) on a workspace.

    With ``anonymize``, people's ids and names are replaced by stable pseudonyms
    (keyed by the workspace's secret, see :func:`workspace_secret`) before any step
    sees the data, so no output of the run — pages, tables, figures, executed
    notebooks, summary, manifest — holds a real name or id.

    The workspace reads only its own folder and the ``allowed`` ones (``--allow-path``,
    see :mod:`playbook.workspace.trust`). ``on_bad_rows`` (``fail`` or ``quarantine``; default
    ``intake.on_bad_rows`` of pilot.yml) says whether rows with problems refuse the
    workspace or are set aside into ``quarantine.csv`` (see :mod:`playbook.workspace.quarantine`).

    Raises
    ------
    DataError
        When the workspace fails validation (nothing is written).
    UsageError
        When ``only`` names an unknown step, ``jobs`` or ``timeout`` is not positive, or
        ``out`` is not a folder that can be written.
    StepFailed
        When a step failed; the partial report is kept as ``failed-<run-id>``.
    """
    say = progress or (lambda message: logger.info(message))
    check_run_options(jobs=jobs, timeout=timeout)
    check_paper(paper)
    out_folder = check_output_folder(out)
    ws = Path(workspace).resolve()
    t0 = time.perf_counter()
    config = load_config(ws)
    lang = language or config.language
    folder_nb = notebooks or notebooks_dir()
    steps = select_steps(available_steps(folder_nb), only)
    say(f"Reading and checking {ws.name} …")  # a large workspace takes a while
    with step_workers(jobs, len(steps)) as pool:
        dataset, aside = load_quarantining(ws, config, allowed=allowed, policy=on_bad_rows)
        t_load = time.perf_counter() - t0
        base = make_folder(out_folder / safe_name(ws.name))
        run_id = new_run_id(base)
        tmp = base / f".tmp-{run_id}"
        cache = base / f".cache-{run_id}"
        try:
            prepare_folder(tmp)
            dataset = _prepare_data(ws, dataset, aside, tmp, anonymize)
            config = dataset.config
            period_data = apply_period(dataset)
            entry = intake_cache.saved_copy(period_data)  # the very tables, already saved
            if entry is None:
                save_cache(period_data, cache)
            else:
                intake_cache.link_tables(entry, cache)
            facts = _data_facts(period_data, base)
            say(
                f"Validated {ws.name}: {len(dataset.deals):,} deals, {len(dataset.stage_events):,} "
                f"stage events; running {len(steps)} step(s) with {jobs} worker(s)"
            )
            del dataset, period_data  # the kernels read the cache; these are gigabytes at 1M deals
            release_memory()
            parameters = {
                "workspace": str(ws),
                "cache_dir": str(cache),
                "output_dir": str(tmp),
                "language": lang,
            }
            order = run_order(steps, last_step_seconds(base)) if jobs > 1 else steps
            results = run_steps(
                order, folder_nb, tmp, parameters, jobs=jobs, timeout=timeout, say=say, pool=pool
            )
            context = _summarise(ws, config, lang, results, run_id, facts, (t0, t_load))
            summary = assemble_report(
                tmp, **context, extra={"quarantine": aside.record()}, allowed=allowed
            )
            unavailable = _export(tmp, exports, results, paper)
            # A partial run (--only) is kept under its run id but never becomes ``latest``.
            final = publish(tmp, base, run_id, results, move_latest=not only)
        finally:
            # Whatever happened (a stop signal included), no temporary folder stays behind;
            # a published or failed report has already been moved out of ``tmp``.
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(tmp, ignore_errors=True)
    result = _run_result(final, results, summary, partial=bool(only), exports=exports)
    if unavailable is not None:
        raise ExportUnavailable(f"{unavailable}. The HTML report was published: {result.index}")
    return result


def check_run_options(*, jobs: int, timeout: int) -> None:
    """Positive whole ``jobs`` and ``timeout`` only (papermill takes 0 as "no timeout").

    Raises
    ------
    UsageError
        Naming the option and the value received.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"--jobs must be a whole number of at least 1; got {jobs!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        raise UsageError(
            f"--timeout must be a whole number of seconds, at least 1; got {timeout!r}"
        )

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
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from playbook import __version__, stopping
from playbook.config import PilotConfig, load_config
from playbook.csv_safety import write_csv
from playbook.exceptions import StepFailed, UsageError
from playbook.findings import SCHEMA_VERSION, findings_from_records, rank
from playbook.i18n import t
from playbook.kpi_headline import index_notes
from playbook.load import apply_period, file_sha256, input_files, load_workspace, save_cache
from playbook.output import check_output_folder, make_folder
from playbook.quarantine import QUARANTINE_FILE, anonymised_rows, load_quarantining
from playbook.report import PARTS, format_kpi, safe_name
from playbook.trust import available_steps, notebooks_dir

logger = logging.getLogger(__name__)

#: The parameters every step notebook declares, and nothing else.
NOTEBOOK_PARAMETERS = ("workspace", "cache_dir", "output_dir", "language")
DEFAULT_TIMEOUT = 600
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class StepResult:
    step: str
    ok: bool
    seconds: float
    error: str = ""


@dataclass
class RunResult:
    """What a run produced: the report folder and each step's outcome."""

    report_dir: Path
    ok: bool
    steps: list[StepResult] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    #: Only some steps ran (``only``): the report is kept but ``latest`` was not moved.
    partial: bool = False

    @property
    def index(self) -> Path:
        return self.report_dir / "index.html"


# --- one step, in a worker process ---------------------------------------------------------


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


# --- HTML -------------------------------------------------------------------------------------


def _jinja():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"])
    )


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


def export_html(executed: Path, target: Path, *, title: str, language: str) -> None:
    """Code-free, self-contained HTML of an executed notebook.

    nbconvert's ``basic`` template gives the cells' HTML only (no CDN scripts);
    it is wrapped in our own page with inline CSS, so the page opens offline.
    Markdown cells tagged for the other language are dropped.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    other = "lang-zh" if language == "en" else "lang-en"
    cfg = Config()
    cfg.TagRemovePreprocessor.remove_cell_tags = {other, "remove-cell"}
    cfg.TagRemovePreprocessor.enabled = True
    exporter = HTMLExporter(
        config=cfg,
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )
    exporter.register_preprocessor(TagRemovePreprocessor(config=cfg), enabled=True)
    nb = nbformat.read(executed, as_version=4)
    body, _ = exporter.from_notebook_node(without_stderr(nb))
    page = (
        _jinja()
        .get_template("page.html.j2")
        .render(title=title, body=body, language=language, back=t("back_to_index", language))
    )
    target.write_text(page, encoding="utf-8")


# --- assembling the report ---------------------------------------------------------------------


def _read_parts(folder: Path) -> list[dict]:
    parts = []
    for path in sorted((folder / PARTS).glob("*.json")):
        parts.append(json.loads(path.read_text(encoding="utf-8")))
    return parts


def build_summary(
    parts: list[dict], config: PilotConfig, language: str, steps: list[StepResult], period: dict
) -> dict:
    """``summary.json``: versioned, stably ordered, free of wall-clock values."""
    kpis: dict = {}
    stages: list = []
    records: list = []
    for part in parts:
        kpis.update(part.get("kpis", {}))
        if part.get("stages"):
            stages = part["stages"]
        records.extend(part.get("findings", []))
    findings = rank(findings_from_records(records))
    return {
        "schema_version": SCHEMA_VERSION,
        "workspace": config.name,
        "language": language,
        "period": period,
        "kpis": dict(sorted(kpis.items())),
        "stages": stages,
        "findings": [f.to_summary() for f in findings],
        "steps": {
            s.step: ("ok" if s.ok else "failed") for s in sorted(steps, key=lambda s: s.step)
        },
    }


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


def render_index(
    folder: Path,
    summary: dict,
    config: PilotConfig,
    language: str,
    steps: list[StepResult],
    run_id: str,
    n_alerts: int,
) -> None:
    kpi_rows = []
    # The headline figures first, in the order a sales director reads them; then the rest.
    rank = {name: i for i, name in enumerate(HEADLINE_ORDER)}
    names = sorted(summary["kpis"], key=lambda n: (rank.get(n, len(rank)), n))
    for name in names:
        entry = summary["kpis"][name]
        label = t(f"kpi_{name}", language) if f"kpi_{name}" in _kpi_keys() else name
        kpi_rows.append({"label": label, **entry, "text": format_kpi(entry, name)})
    findings = [
        {
            **f,
            "kind_label": t(f"kind_{f['kind']}", language)
            if f"kind_{f['kind']}" in _kind_keys()
            else f["kind"],
        }
        for f in summary["findings"][:10]
    ]
    links = [
        {
            "title": t(s.step, language) if s.step in _step_keys() else s.step,
            "href": f"{s.step}.html",
            "ok": s.ok,
            "status": t("step_ok" if s.ok else "step_failed", language),
            "seconds": round(s.seconds, 1),
        }
        for s in sorted(steps, key=lambda s: s.step)
    ]
    page = (
        _jinja()
        .get_template("index.html.j2")
        .render(
            title=t("report_title", language, name=config.name),
            subtitle=t(
                "generated",
                language,
                run_id=run_id,
                deals=summary["kpis"].get("deals", {}).get("value", "?"),
                start=summary["period"].get("start", "?"),
                end=summary["period"].get("end", "?"),
            ),
            kpis=kpi_rows,
            findings=findings,
            links=links,
            language=language,
            text={
                k: t(k, language)
                for k in (
                    "headline_kpis",
                    "top_findings",
                    "no_findings",
                    "steps",
                    "kpi",
                    "value",
                    "interval",
                    "severity",
                    "finding",
                )
            },
            alerts=t("alerts_count", language, n=n_alerts),
            no_amounts=t("no_amounts", language)
            if summary["kpis"].get("won_revenue", {"value": 0})["value"] is None
            else "",
            headline_notes=index_notes(summary, language),
        )
    )
    (folder / "index.html").write_text(page, encoding="utf-8")


#: KPIs shown first on the overview page, in this order.
HEADLINE_ORDER = (
    "deals",
    "mature_conversion",
    "win_rate",
    "won_revenue",
    "median_cycle_days",
    "open_deals",
    "new_deals",
    "won_deals",
    "first_contact_sla",
    "first_contact_median_business_hours",
    "sleeping_share",
    "record_completeness",
    "pilot_lift",
    "pilot_probability",
    "strong_converters",
)


def _kind_keys() -> set[str]:
    from playbook.i18n import TEXT

    return {k for k in TEXT if k.startswith("kind_")}


def _kpi_keys() -> set[str]:
    from playbook.i18n import TEXT

    return {k for k in TEXT if k.startswith("kpi_")}


def _step_keys() -> set[str]:
    from playbook.i18n import TEXT

    return {k for k in TEXT if k[:2].isdigit()} | {"monthly_report"}


def write_manifest(
    folder: Path,
    workspace: Path,
    config: PilotConfig,
    steps: list[StepResult],
    run_id: str,
    language: str,
    timings: dict,
    allowed: Sequence[str | Path] = (),
) -> None:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": sys.version.split()[0], "playbook": __version__}
    for package in (
        "pandas",
        "numpy",
        "papermill",
        "nbconvert",
        "matplotlib",
        "seaborn",
        "scipy",
        "statsmodels",
        "pandera",
        "pyarrow",
    ):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    read = input_files(workspace, config, allowed)
    inputs = {_input_key(p, workspace): file_sha256(p) for p in read}
    manifest = {
        "run_id": run_id,
        "workspace": config.name,
        "language": language,
        "inputs": inputs,
        "config": config.model_dump(mode="json"),
        "versions": versions,
        "timings": timings,
        "steps": [
            {"step": s.step, "ok": s.ok, "seconds": round(s.seconds, 2), "error": s.error}
            for s in sorted(steps, key=lambda s: s.step)
        ],
    }
    (folder / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def _input_key(path: Path, workspace: Path) -> str:
    """An input's name in the manifest: relative to the workspace when inside it."""
    try:
        return path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _point_latest(base: Path, run_id: str) -> None:
    """Move the ``latest`` pointer (a symlink and a LATEST file) atomically."""
    tmp_file = base / ".LATEST.tmp"
    tmp_file.write_text(run_id + "\n", encoding="utf-8")
    tmp_file.replace(base / "LATEST")
    link = base / "latest"
    tmp_link = base / ".latest.tmp"
    try:
        if tmp_link.is_symlink() or tmp_link.exists():
            tmp_link.unlink()
        tmp_link.symlink_to(run_id, target_is_directory=True)
        os.replace(tmp_link, link)
    except OSError:  # e.g. Windows without symlink rights: LATEST alone points the way
        logger.info("could not create the 'latest' symlink; see LATEST")


def new_run_id(base: Path) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_id, n = stamp, 1
    while (base / run_id).exists() or (base / f".tmp-{run_id}").exists():
        n += 1
        run_id = f"{stamp}-{n}"
    return run_id


SECRET_FILE = Path(".playbook") / "secret"


def workspace_secret(workspace: Path) -> str:
    """The workspace's pseudonymisation key, created on first use.

    Kept in ``<workspace>/.playbook/secret`` (readable by its owner only) and never
    written into a report: the same person gets the same pseudonym in every run
    of this workspace, and nobody holding only the report can reverse it.
    """
    from playbook.privacy import new_key

    path = workspace / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def pseudonymised(dataset, key: str):
    """The dataset with every identifier replaced: people, deals, accounts, the assessor.

    The tables as :func:`playbook.privacy.anonymise_tables` gives them; the config's pilot
    reps and ``capability.assessor`` mapped the same way, so the steps still find them.
    """
    from dataclasses import replace

    from playbook.privacy import anonymise_config, anonymise_tables, people_map
    from playbook.schema import TABLES

    raw = {t: dataset.table(t) for t in TABLES}
    tables = anonymise_tables(raw, key)
    config = anonymise_config(dataset.config, people_map(raw, key), key)
    return replace(dataset, config=config, **tables)


def pseudonym_lookup(workspace: str | Path, allowed: Sequence[Path] = ()):
    """Every pseudonym an anonymised run of ``workspace`` uses, beside the real id.

    Read from the workspace and its secret (created when missing); for the secret's
    holder only. Returns :func:`playbook.privacy.lookup_table`'s frame.

    Raises
    ------
    DataError
        When the workspace fails validation.
    """
    from playbook.privacy import lookup_table
    from playbook.schema import TABLES

    ws = Path(workspace).resolve()
    dataset = load_workspace(ws, load_config(ws), allowed=allowed)
    return lookup_table({t: dataset.table(t) for t in TABLES}, workspace_secret(ws))


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


def prepare_folder(tmp: Path) -> None:
    for sub in ("executed", "figures", "tables", PARTS):
        (tmp / sub).mkdir(parents=True, exist_ok=True)


def run_steps(
    steps: Sequence[str],
    notebooks: Path,
    tmp: Path,
    parameters: dict,
    *,
    jobs: int,
    timeout: int,
    say: Callable[[str], None],
) -> list[StepResult]:
    """Execute step notebooks into ``tmp`` (in parallel worker processes when ``jobs`` > 1)."""

    def args(step: str) -> tuple:
        return (
            str(notebooks / f"{step}.ipynb"),
            str(tmp / "executed" / f"{step}.ipynb"),
            parameters,
            timeout,
            str(tmp / PARTS / f"{step}.json"),
        )

    results: list[StepResult] = []

    def record(i: int, result: StepResult) -> None:
        results.append(result)
        status = "ok" if result.ok else f"FAILED — {result.error}"
        say(f"[{i}/{len(steps)}] {result.step}: {status} ({result.seconds:.1f} s)")

    if jobs <= 1:
        with stopping.children_stopped_on_error():
            for i, step in enumerate(steps, start=1):
                record(i, execute_step(*args(step)))
        return results
    with stopping.worker_pool(jobs) as pool:
        futures = [pool.submit(execute_step, *args(step)) for step in steps]
        for i, future in enumerate(as_completed(futures), start=1):
            record(i, future.result())
    return results


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
) -> dict:
    """Step HTML pages, summary.json, alerts.csv, index.html and manifest.json in ``tmp``."""
    for result in results:
        executed = tmp / "executed" / f"{result.step}.ipynb"
        if executed.exists():
            title = t(result.step, language) if result.step in _step_keys() else result.step
            export_html(executed, tmp / f"{result.step}.html", title=title, language=language)
    parts = _read_parts(tmp)
    summary = build_summary(parts, config, language, results, period)
    if extra:
        summary.update(extra)
    (tmp / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=False), encoding="utf-8"
    )
    n_alerts = write_alerts(parts, tmp / "alerts.csv")
    render_index(tmp, summary, config, language, results, run_id, n_alerts)
    write_manifest(tmp, workspace, config, results, run_id, language, timings, allowed)
    return summary


def publish(
    tmp: Path, base: Path, run_id: str, results: list[StepResult], *, move_latest: bool = True
) -> Path:
    """Move a finished report into place, or keep a failed one aside.

    A complete report replaces nothing else: it becomes ``base/run_id`` (an older
    report of the same id is swapped out only once the new one is in place) and
    ``latest`` points to it, unless ``move_latest`` is false (a partial run). A failed
    one becomes ``base/failed-<run_id>``. A stop signal arriving meanwhile waits until
    the report and ``latest`` are both moved.

    Raises
    ------
    StepFailed
        When a step failed, naming each failing step, cell and error.
    """
    failed = [r for r in results if not r.ok]
    if failed:
        final = base / f"failed-{run_id}"
        with stopping.critical():
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        lines = [f"{r.step}: {r.error}" for r in failed]
        raise StepFailed(
            f"{len(failed)} step(s) failed; the last good report is untouched. Executed notebooks "
            f"for debugging: {final / 'executed'}\n  " + "\n  ".join(lines)
        )
    final = base / run_id
    with stopping.critical():
        if final.exists():
            old = base / f".old-{run_id}-{os.getpid()}"
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
        if move_latest:
            _point_latest(base, run_id)
    return final


def data_period(deals: pd.DataFrame) -> dict:
    created = deals["created_at"]
    if created.empty:
        return {"start": None, "end": None}
    return {"start": str(created.min().date()), "end": str(created.max().date())}


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
    on_bad_rows: str | None = None,
) -> RunResult:
    """Run the whole pilot (or ``only`` some steps) on a workspace.

    With ``anonymize``, people's ids and names are replaced by stable pseudonyms
    (keyed by the workspace's secret, see :func:`workspace_secret`) before any step
    sees the data, so no output of the run — pages, tables, figures, executed
    notebooks, summary, manifest — holds a real name or id.

    The workspace reads only its own folder and the ``allowed`` ones (``--allow-path``,
    see :mod:`playbook.trust`). ``on_bad_rows`` (``fail`` or ``quarantine``; default
    ``intake.on_bad_rows`` of pilot.yml) says whether rows with problems refuse the
    workspace or are set aside into ``quarantine.csv`` (see :mod:`playbook.quarantine`).

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
    out_folder = check_output_folder(out)
    ws = Path(workspace).resolve()
    t0 = time.perf_counter()
    config = load_config(ws)
    lang = language or config.language
    say(f"Reading and checking {ws.name} …")  # a large workspace takes a while
    dataset, aside = load_quarantining(ws, config, allowed=allowed, policy=on_bad_rows)
    t_load = time.perf_counter() - t0
    folder_nb = notebooks or notebooks_dir()
    steps = select_steps(available_steps(folder_nb), only)
    base = make_folder(out_folder / safe_name(ws.name))
    run_id = new_run_id(base)
    tmp = base / f".tmp-{run_id}"
    cache = base / f".cache-{run_id}"
    try:
        prepare_folder(tmp)
        if anonymize:  # over the whole workspace, as `playbook pseudonyms` maps them back
            dataset = pseudonymised(dataset, workspace_secret(ws))
            config = dataset.config
        if aside.policy == "quarantine":
            rows = anonymised_rows(aside.rows, workspace_secret(ws)) if anonymize else aside.rows
            write_csv(rows, tmp / QUARANTINE_FILE)
        period_data = apply_period(dataset)
        save_cache(period_data, cache)
        say(
            f"Validated {ws.name}: {len(dataset.deals):,} deals, {len(dataset.stage_events):,} "
            f"stage events; running {len(steps)} step(s) with {jobs} worker(s)"
        )
        parameters = {
            "workspace": str(ws),
            "cache_dir": str(cache),
            "output_dir": str(tmp),
            "language": lang,
        }
        results = run_steps(steps, folder_nb, tmp, parameters, jobs=jobs, timeout=timeout, say=say)
        timings = {"load_validate_s": round(t_load, 2)}
        summary = assemble_report(
            tmp,
            workspace=ws,
            config=config,
            language=lang,
            results=results,
            run_id=run_id,
            period=data_period(period_data.deals),
            timings=timings | {"total_s": round(time.perf_counter() - t0, 2)},
            extra={"quarantine": aside.record()},
            allowed=allowed,
        )
        # A partial run (--only) is kept under its run id but never becomes ``latest``.
        final = publish(tmp, base, run_id, results, move_latest=not only)
    finally:
        # Whatever happened (a stop signal included), no temporary folder stays behind;
        # a published or failed report has already been moved out of ``tmp``.
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return RunResult(
        report_dir=final,
        ok=True,
        steps=sorted(results, key=lambda r: r.step),
        summary=summary,
        partial=bool(only),
    )


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

"""Publishing a run: the manifest, the run id, moving the folder and `latest` into place."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from playbook import __version__
from playbook.exceptions import StepFailed
from playbook.report import PARTS, stopping
from playbook.report.kernel import StepResult
from playbook.workspace.config import PilotConfig
from playbook.workspace.load import file_sha256, input_files

logger = logging.getLogger(__name__)


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


def prepare_folder(tmp: Path) -> None:
    for sub in ("executed", "figures", "tables", PARTS):
        (tmp / sub).mkdir(parents=True, exist_ok=True)


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


def previous_summary(base: Path, period: dict) -> dict | None:
    """The summary of the workspace's ``latest`` report when it covers an earlier period
    (a re-run of the same data is no "last period"); None otherwise."""
    try:
        folder = base / (base / "LATEST").read_text(encoding="utf-8").strip()
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    before, now = (summary.get("period") or {}).get("end"), period.get("end")
    return summary if before and now and str(before) < str(now) else None


def last_step_seconds(base: Path) -> dict[str, float]:
    """Each step's time in the workspace's ``latest`` report (its manifest), by step; empty
    when there is none to read."""
    try:
        folder = base / (base / "LATEST").read_text(encoding="utf-8").strip()
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return {s["step"]: float(s["seconds"]) for s in manifest["steps"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def cached_table(
    cache_dir: str | Path, table: str, columns: list[str] | None = None
) -> pd.DataFrame | None:
    """One table (or some ``columns`` of it) of a run's Parquet cache, or None when the
    table was not given. Deal ids are stored as positions: read them with ``load_cache``."""
    path = Path(cache_dir) / f"{table}.parquet"
    if not path.is_file():
        return None
    return pd.read_parquet(path, columns=columns)


def read_summary(path: str | Path | None) -> dict | None:
    """A report's ``summary.json``, or None when there is none to read."""
    if not path:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None

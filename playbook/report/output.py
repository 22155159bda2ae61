"""The output folder a command writes into: checked before anything is read or written."""

from __future__ import annotations

import tempfile
from pathlib import Path

from playbook.exceptions import UsageError


def check_output_folder(out: str | Path, option: str = "--out") -> Path:
    """``out`` as an absolute path, once it is known that a report can be written there.

    The folder need not exist yet (it is created when the report is written), but it
    must not be a file, nor lie under one, and its nearest existing folder must accept
    new files (checked by creating and removing a probe file, which also catches
    read-only file systems that permission bits do not show).

    Raises
    ------
    UsageError
        Naming the option, the path and what to do.
    """
    path = Path(out).expanduser().absolute()
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {out}: this is a file, not a folder; give a folder for reports")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(
            f"{option} {out}: {existing} is a file, so no folder can be created under it; "
            f"give a folder for reports"
        )
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".playbook-probe-"):
            pass
    except OSError as exc:
        raise UsageError(
            f"{option} {out}: cannot write in {existing} ({exc.strerror or exc}); "
            f"give a folder you can write to"
        ) from None
    return path.resolve()


def make_folder(folder: Path, option: str = "--out") -> Path:
    """Create ``folder`` (and its parents); a failure is a :class:`UsageError`, not a traceback."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"{option}: cannot create the report folder {folder} ({exc.strerror or exc}); "
            f"give a folder you can write to"
        ) from None
    return folder

"""The workspace's pseudonymisation secret: one key per workspace, kept beside its tables.

Read by the runner (anonymised runs, the pseudonym lookup) and by model signing (a model is
bound to the workspace that trained it), so it lives with the workspace, below both.
"""

from __future__ import annotations

import os
from pathlib import Path

from playbook.workspace.privacy import new_key

SECRET_FILE = Path(".playbook") / "secret"


def workspace_secret(workspace: Path) -> str:
    """The workspace's pseudonymisation key, created on first use.

    Kept in ``<workspace>/.playbook/secret`` (readable by its owner only) and never
    written into a report: the same person gets the same pseudonym in every run
    of this workspace, and nobody holding only the report can reverse it.
    """
    path = workspace / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key

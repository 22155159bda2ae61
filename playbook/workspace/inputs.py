"""The files a report is made from, and their digests: what the run manifest lists."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from playbook.workspace import content_table
from playbook.workspace.config import PilotConfig
from playbook.workspace.files import assessments_file, find_table_file
from playbook.workspace.schema import TABLES
from playbook.workspace.trust import Boundary


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_files(
    workspace: str | Path, config: PilotConfig, allowed: Sequence[str | Path] = ()
) -> list[Path]:
    """pilot.yml and every input file read (table files or the export), for the manifest.

    Only files inside the workspace or the ``allowed`` folders are listed (or hashed).
    """
    ws = Path(workspace)
    boundary = Boundary.of(ws, allowed)
    paths = [ws / "pilot.yml"] if (ws / "pilot.yml").exists() else []
    if config.source or find_table_file(ws, "deals", config) is None:
        from playbook.workspace import adapters

        if config.source or adapters.detect_source(ws, config, boundary) is not None:
            found = adapters.source_files(ws, config, boundary=boundary)
            return paths + [p for p in found if p not in paths]
    for table in TABLES:
        path = find_table_file(ws, table, config)
        if table == "assessments":
            path = assessments_file(ws, config, path)
        if path is not None and path.exists() and boundary.contains(path):
            paths.append(path)
    content = find_table_file(ws, "content", config)
    return paths + content_table.referenced_files(content, boundary)

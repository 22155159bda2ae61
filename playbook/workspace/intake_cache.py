"""The validated dataset kept between runs: a second run on unchanged inputs skips intake.

Validating a large workspace costs seconds; its tables do not change between the
``validate`` a consultant runs and the ``run`` that follows, nor between the runs of
a report being reworded. The validated tables (and the rows set aside) are kept as
Parquet under ``$PLAYBOOK_HOME/cache/intake/<key>/`` (default ``~/.playbook``), the key
being the SHA-256 of every input file's content, the config, the bad-row policy, the
folders allowed and the package version: any changed byte reads the workspace again.
``PLAYBOOK_CACHE=off`` switches it off. A database source (``source: {type: sql}``) is
never cached: its content can change without any file changing. Only the
:data:`KEEP` most recently used entries are kept; the cache holds client data, so it
lives with the user's own settings (like the signing key), never in a workspace or
report.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from playbook.workspace.config import PilotConfig
from playbook.workspace.inputs import file_sha256, input_files

logger = logging.getLogger(__name__)

#: Environment variable that switches the cache off (``off``, ``0``, ``no``, ``false``).
CACHE_ENV = "PLAYBOOK_CACHE"
#: Entries kept (the least recently used beyond these are removed).
KEEP = 8
QUARANTINE_ROWS = "quarantine.parquet"
QUARANTINE_META = "quarantine.json"

#: The entries of the datasets this process last read from or wrote to the cache (a weak
#: reference to each dataset, and its folder): :func:`saved_copy`.
_entries: list[tuple[weakref.ref, Path]] = []


def cache_root() -> Path | None:
    """``$PLAYBOOK_HOME/cache/intake`` (default ``~/.playbook``), or None when switched off."""
    if os.environ.get(CACHE_ENV, "").strip().lower() in ("off", "0", "no", "false"):
        return None
    home = os.environ.get("PLAYBOOK_HOME")
    base = Path(home) if home else Path.home() / ".playbook"
    return base / "cache" / "intake"


def cache_key(
    workspace: Path, config: PilotConfig, allowed: Sequence[str | Path], policy: str
) -> str | None:
    """The key of a workspace's validated dataset; None when it must not be cached."""
    from playbook import __version__

    if isinstance(config.source, dict) and config.source.get("type") == "sql":
        return None
    digest = hashlib.sha256()
    settings = {
        "version": __version__,
        "config": config.model_dump(mode="json"),
        "policy": policy,
        "allowed": sorted(str(Path(p).resolve()) for p in allowed),
        "workspace": str(workspace.resolve()),
    }
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode("utf-8"))
    for path in input_files(workspace, config, allowed):
        if path.is_file():
            digest.update(str(path.resolve()).encode("utf-8"))
            digest.update(file_sha256(path).encode("ascii"))
    return digest.hexdigest()


def lookup(key: str | None):
    """The cached ``(dataset, rows set aside, their counts)`` for ``key``, or None (missing or
    unreadable); :func:`playbook.workspace.quarantine.load_quarantining` rebuilds its record."""
    from playbook.workspace.cache import load_cache

    root = cache_root()
    if root is None or key is None:
        return None
    folder = root / key
    if not (folder / QUARANTINE_META).is_file():
        return None
    try:
        dataset = load_cache(folder)
        meta = json.loads((folder / QUARANTINE_META).read_text(encoding="utf-8"))
        rows = pd.read_parquet(folder / QUARANTINE_ROWS)
    except (OSError, ValueError, KeyError) as exc:
        logger.info("intake cache entry %s not used: %s", key[:12], exc)
        return None
    rows = rows.astype(object).where(rows.notna(), None)
    rows["row"] = rows["row"].astype("int64")
    os.utime(folder)  # most recently used
    _remember(dataset, folder)
    return dataset, rows, meta


def store(key: str | None, dataset, aside) -> None:
    """Keep a validated dataset and what was set aside under ``key`` (atomically)."""
    from playbook.workspace.cache import save_cache

    root = cache_root()
    if root is None or key is None:
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o700)  # client data: readable by this user only (entries are 0o700 too)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        save_cache(dataset, tmp)
        rows = aside.rows.astype({"row": "int64"})
        rows["value"] = rows["value"].map(lambda v: None if pd.isna(v) else str(v))
        rows.to_parquet(tmp / QUARANTINE_ROWS, index=False)
        meta = {
            "deals": aside.deals,
            "total_deals": aside.total_deals,
            "limit": aside.limit,
            "policy": aside.policy,
        }
        (tmp / QUARANTINE_META).write_text(json.dumps(meta), encoding="utf-8")
        final = root / key
        if final.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, final)
        _prune(root)
        _remember(dataset, final)
    except OSError as exc:  # a cache that cannot be written only costs time
        logger.info("intake cache not written: %s", exc)


def _remember(dataset, folder: Path) -> None:
    _entries[:] = [(ref, f) for ref, f in _entries[-3:] if ref() is not None]
    _entries.append((weakref.ref(dataset), folder))


def saved_copy(dataset) -> Path | None:
    """The cache entry holding exactly ``dataset`` (this very object, as read from or
    written to the cache by this process), or None: a run links its steps' copy of the
    tables to it (:func:`link_tables`) instead of writing them again."""
    for ref, folder in reversed(_entries):
        if ref() is dataset and (folder / QUARANTINE_META).is_file():
            return folder
    return None


def link_tables(entry: Path, directory: str | Path) -> Path:
    """The tables of a cache ``entry`` in ``directory``, as :func:`save_cache` writes them
    (readable by :func:`playbook.workspace.cache.load_cache`): hard links where the file
    system allows (nothing is copied), else copies. Nobody writes to either side."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for path in entry.iterdir():
        if path.name in (QUARANTINE_ROWS, QUARANTINE_META):
            continue
        try:
            os.link(path, out / path.name)
        except OSError:  # another file system, or links not allowed
            shutil.copy2(path, out / path.name)
    return out


def _prune(root: Path) -> None:
    entries = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)

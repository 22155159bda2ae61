"""SQL source: one query per canonical table, over any SQLAlchemy URL.

DuckDB (``duckdb:///crm.duckdb``, via duckdb-engine) and SQLite
(``sqlite:///crm.db``) are the embedded defaults; a relative database path is
taken relative to the workspace (or ``source.path``), and such files are opened
read-only and never created. ``${VAR}`` in the URL is expanded from the
environment, so passwords need not be written into pilot.yml. Each query must
return the canonical column names (``select id as deal_id, ...``); values are
handed to the loader as text, so dates and amounts are parsed and checked exactly
as for files. Problems point at ``sql:<table>`` and the row of the query result.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from playbook.adapters_config import SqlSource, problem
from playbook.adapters_io import Adapted, Context, as_table, text
from playbook.exceptions import Problem

logger = logging.getLogger(__name__)

#: Dialects whose "database" is a local file.
FILE_DIALECTS = ("sqlite", "duckdb")


def database_file(ctx: Context, src: SqlSource, report: bool = True) -> tuple[object, Path | None]:
    """The parsed URL (with a resolved file path for SQLite / DuckDB) and that file.

    Returns ``(None, None)`` after recording a problem when the URL is invalid.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(os.path.expandvars(src.url))
    except (ArgumentError, ValueError) as exc:
        if report:
            ctx.problems.append(
                problem(
                    "url",
                    f"not a SQLAlchemy URL: {exc}",
                    "write e.g. duckdb:///crm.duckdb, sqlite:///crm.db or "
                    "postgresql+psycopg://user:${PGPASSWORD}@host/db",
                )
            )
        return None, None
    db = url.database
    if (
        url.get_backend_name() not in FILE_DIALECTS
        or not db
        or db.startswith((":memory:", "file:"))
    ):
        return url, None
    path = Path(os.path.expanduser(db))
    if not path.is_absolute():
        path = ctx.base / path
    if not path.is_file():
        if report:
            ctx.problems.append(
                problem(
                    "url",
                    f"database file not found: {path}",
                    "a relative path in the URL is relative to the workspace (or source.path)",
                    src.url,
                )
            )
        return None, None
    return url.set(database=str(path)), path


def read_sql(ctx: Context, src: SqlSource) -> dict[str, Adapted]:
    """Run each configured query; every result becomes one canonical table (as text)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError

    url, path = database_file(ctx, src)
    ctx.check()
    if path is not None:
        ctx.files.append(path)
    connect_args = {}
    if url.get_backend_name() == "duckdb" and path is not None:
        connect_args = {"read_only": True}
    elif url.get_backend_name() == "sqlite" and path is not None:
        url = url.set(database=f"file:{path}?mode=ro", query={"uri": "true"})
    shown = url.render_as_string(hide_password=True)
    try:
        engine = create_engine(url, connect_args=connect_args)
    except (NoSuchModuleError, ImportError) as exc:
        ctx.problems.append(
            problem(
                "url",
                f"no database driver for '{url.drivername}' is installed ({exc})",
                "install the driver into the playbook's environment (e.g. pip install "
                "psycopg for PostgreSQL), or use duckdb:/// or sqlite:///",
                shown,
            )
        )
        ctx.check()
    out: dict[str, Adapted] = {}
    try:
        with engine.connect() as conn:
            for table, query in src.queries.items():
                label = f"sql:{table}"
                try:
                    result = conn.exec_driver_sql(query)
                    names = list(result.keys())
                    frame = pd.DataFrame(result.fetchall(), columns=names, dtype=object)
                except SQLAlchemyError as exc:
                    ctx.problems.append(
                        Problem(
                            file=label,
                            message=f"query failed: {_first_line(exc)}",
                            fix=f"check source.queries.{table} in pilot.yml",
                        )
                    )
                    continue
                frame.columns = ["_".join(str(c).lower().split()) for c in frame.columns]
                frame = frame.apply(text) if len(frame) else frame
                rows = pd.Series(range(1, len(frame) + 1), index=frame.index)
                out[table] = as_table(dict(frame.items()), rows, label)
                logger.info("%s: %d rows from %s", label, len(frame), shown)
    except SQLAlchemyError as exc:
        ctx.problems.append(
            problem("url", f"cannot connect: {_first_line(exc)}", "check the URL and server", shown)
        )
    finally:
        engine.dispose()
    return out


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0][:300]

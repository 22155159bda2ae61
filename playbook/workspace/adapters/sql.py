"""SQL source: one read-only query per canonical table, over any SQLAlchemy URL.

DuckDB (``duckdb:///crm.duckdb``) and SQLite (``sqlite:///crm.db``) are the embedded
defaults; a relative database path is taken relative to the workspace (or
``source.path``) and must lie inside the workspace or a folder allowed with
``--allow-path``; such files are opened read-only and never created. ``${VAR}`` in
the URL is expanded from the environment, so passwords need not be written into
pilot.yml. Each query must return the canonical column names (``select id as
deal_id, ...``); values are handed to the loader as text, so dates and amounts are
parsed and checked exactly as for files. Problems point at ``sql:<table>`` and the
row of the query result.

A query is one ``SELECT`` (or ``WITH … SELECT``) and nothing else, checked by the
database's own parser where it is embedded and by sqlglot for servers, and then
enforced by the engine: DuckDB runs read-only with file access limited to the
workspace (``enable_external_access = false``, ``allowed_directories``, the
configuration locked), SQLite in read-only URI mode with an authorizer that lets a
statement read and nothing else (no ``ATTACH``, ``PRAGMA`` or write).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from playbook.exceptions import Problem
from playbook.workspace.adapters.common import Adapted, Context, as_table, text
from playbook.workspace.adapters.settings import SqlSource, problem

logger = logging.getLogger(__name__)

#: Dialects whose "database" is a local file.
FILE_DIALECTS = ("sqlite", "duckdb")
#: SQLAlchemy backend name -> sqlglot dialect, where they differ.
SQLGLOT_DIALECTS = {"postgresql": "postgres", "mssql": "tsql", "mariadb": "mysql"}
ONLY_SELECT = "only one read-only SELECT (or WITH … SELECT) per table may run"
#: What a SQLite statement may do: read tables, call functions, recurse in a CTE.
_SQLITE_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
_SQLITE_ALLOWED.add(getattr(sqlite3, "SQLITE_RECURSIVE", 33))
#: Authorizer action codes a statement may be denied, by name (for the message).
_SQLITE_ACTIONS = {
    getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ")
    for name in (
        "CREATE_INDEX CREATE_TABLE CREATE_TEMP_INDEX CREATE_TEMP_TABLE CREATE_TEMP_TRIGGER "
        "CREATE_TEMP_VIEW CREATE_TRIGGER CREATE_VIEW DELETE DROP_INDEX DROP_TABLE "
        "DROP_TEMP_INDEX DROP_TEMP_TABLE DROP_TEMP_TRIGGER DROP_TEMP_VIEW DROP_TRIGGER "
        "DROP_VIEW INSERT PRAGMA TRANSACTION UPDATE ATTACH DETACH ALTER_TABLE REINDEX "
        "ANALYZE CREATE_VTABLE DROP_VTABLE SAVEPOINT"
    ).split()
    if hasattr(sqlite3, f"SQLITE_{name}")
}


class QueryRefused(Exception):
    """A query that is not one read-only SELECT; the message says what it does instead."""


def database_file(ctx: Context, src: SqlSource, report: bool = True) -> tuple[object, Path | None]:
    """The parsed URL (with a resolved file path for SQLite / DuckDB) and that file.

    Returns ``(None, None)`` after recording a problem when the URL is invalid, names
    a file outside the workspace's boundary, or passes settings to an embedded database.
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
    if url.get_backend_name() not in FILE_DIALECTS:
        return url, None
    refusal = None
    if url.query:
        refusal = "settings in the URL of an embedded database are not accepted"
    elif db and db.startswith("file:"):
        refusal = "a file: URI is not accepted as the database"
    if refusal is not None:
        if report:
            ctx.problems.append(
                problem(
                    "url", refusal, "name the database file only, e.g. sqlite:///crm.db", src.url
                )
            )
        return None, None
    if not db or db == ":memory:":
        return url, None
    path = Path(os.path.expanduser(db))
    if not path.is_absolute():
        path = ctx.base / path
    outside = ctx.boundary.problem(path, setting="source.url", given=src.url)
    if outside is not None:
        if report:
            ctx.problems.append(outside)
        return None, None
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
    url, path = database_file(ctx, src)
    ctx.check()
    if path is not None:
        ctx.files.append(path)
    backend = url.get_backend_name()
    shown = url.render_as_string(hide_password=True)
    if backend == "duckdb":
        opened = _duckdb(path, ctx.boundary.roots)
    elif backend == "sqlite":
        opened = _sqlite(path)
    else:
        opened = _server(ctx, url, shown)
    out: dict[str, Adapted] = {}
    try:
        with opened as run:
            for table, query in src.queries.items():
                label = f"sql:{table}"
                try:
                    names, rows = run(query)
                except QueryRefused as exc:
                    ctx.problems.append(
                        problem(f"queries.{table}", f"{ONLY_SELECT}: {exc}", _SELECT_FIX)
                    )
                    continue
                except Exception as exc:  # the driver's own error class, whatever the database
                    if not _is_database_error(exc):
                        raise
                    ctx.problems.append(
                        Problem(
                            file=label,
                            message=f"query failed: {_first_line(exc)}",
                            fix=f"check source.queries.{table} in pilot.yml",
                        )
                    )
                    continue
                frame = pd.DataFrame(rows, columns=names, dtype=object)
                frame.columns = ["_".join(str(c).lower().split()) for c in frame.columns]
                frame = frame.apply(text) if len(frame) else frame
                numbers = pd.Series(range(1, len(frame) + 1), index=frame.index)
                out[table] = as_table(dict(frame.items()), numbers, label)
                logger.info("%s: %d rows from %s", label, len(frame), shown)
    except _Unreachable as exc:
        ctx.problems.append(problem("url", str(exc), "check the URL and server", shown))
    return out


_SELECT_FIX = (
    "write a single SELECT (or WITH … SELECT) that returns the table's canonical columns; "
    "the playbook never writes, attaches, loads or changes settings in a database"
)
Runner = Callable[[str], tuple[list[str], list[tuple]]]


class _Unreachable(Exception):
    """The database cannot be opened or reached at all."""


def _is_database_error(exc: BaseException) -> bool:
    import duckdb
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, (SQLAlchemyError, sqlite3.Error, duckdb.Error))


# --- DuckDB: its own parser, read-only, file access limited to the boundary --------------------


def duckdb_statement_problem(query: str) -> str | None:
    """Why ``query`` is not one DuckDB SELECT (by DuckDB's own parser), or None."""
    import duckdb

    with duckdb.connect(":memory:") as parser:
        try:
            statements = parser.extract_statements(query)
        except duckdb.Error as exc:
            return f"it cannot be parsed ({_first_line(exc)})"
    if len(statements) != 1:
        return f"it holds {len(statements)} statements"
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        return f"it is a {kind.name} statement"
    return None


@contextmanager
def _duckdb(path: Path | None, roots: tuple[Path, ...]) -> Iterator[Runner]:
    import duckdb

    try:
        con = duckdb.connect(str(path) if path else ":memory:", read_only=path is not None)
    except duckdb.Error as exc:
        raise _Unreachable(f"cannot open the database: {_first_line(exc)}") from None
    try:
        # Order matters: the allowed folders can only be set while access is still open,
        # and the lock stops a query from opening it again.
        con.execute("SET allowed_directories = ?", [[f"{root}{os.sep}" for root in roots]])
        con.execute("SET enable_external_access = false")
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET lock_configuration = true")

        def run(query: str) -> tuple[list[str], list[tuple]]:
            refused = duckdb_statement_problem(query)
            if refused:
                raise QueryRefused(refused)
            cursor = con.execute(query)
            return [d[0] for d in cursor.description], cursor.fetchall()

        yield run
    finally:
        con.close()


# --- SQLite: read-only URI mode and an authorizer that only lets a statement read ----------------


def _sqlite_guard(denied: list[str]):
    def authorize(action: int, *args) -> int:
        if action in _SQLITE_ALLOWED:
            return sqlite3.SQLITE_OK
        denied.append(_SQLITE_ACTIONS.get(action, f"action {action}"))
        return sqlite3.SQLITE_DENY

    return authorize


@contextmanager
def _sqlite(path: Path | None) -> Iterator[Runner]:
    target = f"{path.as_uri()}?mode=ro" if path is not None else "file::memory:"
    try:
        con = sqlite3.connect(target, uri=True)
    except sqlite3.Error as exc:
        raise _Unreachable(f"cannot open the database: {_first_line(exc)}") from None
    denied: list[str] = []
    con.set_authorizer(_sqlite_guard(denied))
    try:

        def run(query: str) -> tuple[list[str], list[tuple]]:
            denied.clear()
            try:
                cursor = con.execute(query)
            except sqlite3.ProgrammingError as exc:
                if "one statement at a time" in str(exc):
                    raise QueryRefused("it holds more than one statement") from None
                raise
            except sqlite3.DatabaseError:
                if denied:
                    raise QueryRefused(f"it would {denied[0]}") from None
                raise
            if cursor.description is None:
                raise QueryRefused("it returns no rows (not a SELECT)")
            return [d[0] for d in cursor.description], cursor.fetchall()

        yield run
    finally:
        con.close()


# --- servers: sqlglot's parser for the dialect, then SQLAlchemy ----------------------------------


def server_statement_problem(query: str, dialect: str) -> str | None:
    """Why ``query`` is not one read-only SELECT in ``dialect`` (by sqlglot), or None.

    Refused: several statements, anything but a SELECT / set operation / WITH at the
    top, ``SELECT … INTO``, and data-changing statements nested anywhere (a ``WITH x
    AS (DELETE …)``). A query sqlglot cannot read is refused too.
    """
    import sqlglot
    from sqlglot import exp

    read = SQLGLOT_DIALECTS.get(dialect, dialect)
    try:
        sqlglot.Dialect.get_or_raise(read)
    except ValueError:
        read = None
    try:
        statements = [
            s
            for s in sqlglot.parse(query, read=read)
            if s is not None and not isinstance(s, exp.Semicolon)
        ]
    except sqlglot.errors.SqlglotError as exc:
        return f"it cannot be read as one SELECT ({_first_line(exc)})"
    if len(statements) != 1:
        return f"it holds {len(statements)} statements"
    (statement,) = statements
    top = statement.this if isinstance(statement, exp.Subquery) else statement
    if not isinstance(top, (exp.Select, exp.SetOperation)):
        return f"it is a {type(top).__name__.upper()} statement"
    for node in statement.walk():
        if isinstance(node, _WRITES):
            return f"it holds {type(node).__name__.upper()}"
    return None


def _writes() -> tuple[type, ...]:
    from sqlglot import exp

    names = (
        "Into Insert Update Delete Merge Create Drop Alter Command Copy Set Pragma Use "
        "Transaction Commit Rollback Attach Detach LoadData Grant Revoke TruncateTable"
    ).split()
    return tuple(getattr(exp, n) for n in names if hasattr(exp, n))


_WRITES: tuple[type, ...] = _writes()


@contextmanager
def _server(ctx: Context, url, shown: str) -> Iterator[Runner]:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError

    try:
        engine = create_engine(url)
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
    dialect = url.get_backend_name()
    try:
        with engine.connect() as conn:

            def run(query: str) -> tuple[list[str], list[tuple]]:
                refused = server_statement_problem(query, dialect)
                if refused:
                    raise QueryRefused(refused)
                result = conn.exec_driver_sql(query)
                return list(result.keys()), result.fetchall()

            yield run
            conn.rollback()
    except SQLAlchemyError as exc:
        raise _Unreachable(f"cannot connect: {_first_line(exc)}") from None
    finally:
        engine.dispose()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300]

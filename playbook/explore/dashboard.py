"""Serve the explorer: JupyterLab for ``playbook explore``, a Voilà app for ``playbook dashboard``.

Both validate the workspace first (a bad workspace fails with the usual
:class:`~playbook.exceptions.DataError` before anything is served), write the validated
tables to a Parquet cache once, start the server as a child process bound to 127.0.0.1
only, with a fresh random token in the address, print that address, and wait. Ctrl-C
(SIGINT) or SIGTERM stops the server (its kernels included) and returns 0; a server that
dies on its own returns 1 with the end of its log.

The dashboard kernels learn the workspace from the environment (see
:func:`playbook.explore.widgets.open_explorer`), never from the page's address.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import webbrowser
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from playbook.exceptions import UsageError
from playbook.workspace import load

logger = logging.getLogger(__name__)

__all__ = [
    "ENV_CACHE",
    "ENV_LANGUAGE",
    "ENV_WORKSPACE",
    "explore",
    "serve_dashboard",
    "dashboard_command",
    "lab_command",
    "free_port",
]

#: Environment variables the dashboard server sets for its kernels; they override the
#: explorer notebook's parameters (:func:`playbook.explore.widgets.open_explorer`), so a page's
#: address can never point the server at another folder.
ENV_WORKSPACE = "PLAYBOOK_WORKSPACE"
ENV_CACHE = "PLAYBOOK_CACHE_DIR"
ENV_LANGUAGE = "PLAYBOOK_LANGUAGE"
HOST = "127.0.0.1"
EXPLORER_NOTEBOOK = "explore.ipynb"
#: Seconds to wait for the server to listen, and for it to stop after SIGTERM.
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _notebooks() -> Path:
    """The notebooks folder the runner uses (``PLAYBOOK_NOTEBOOKS`` overrides)."""
    from playbook.workspace.trust import (
        notebooks_dir,  # imported late: the runner pulls in papermill
    )

    return notebooks_dir()


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that is free now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _check_port(port: int, host: str = HOST) -> None:
    if not 0 < port < 65536:
        raise UsageError(f"--port must be between 1 and 65535; got {port}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            raise UsageError(
                f"port {port} on {host} is already in use; choose another with --port "
                "or leave it out to use a free one"
            ) from None


def _checked_port(port: int | None, language: str | None) -> int:
    """The port to serve on (a free one when None), after checking it and the language."""
    if language not in (None, "", "en", "zh"):
        raise UsageError(f"--lang must be en or zh; got {language!r}")
    if port is None:
        return free_port()
    _check_port(port)
    return port


def _listening(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


#: The page may load what the server serves and nothing else: no request leaves the machine
#: (Voilà's template links an icon font from a CDN; the browser is told not to fetch it).
CONTENT_SECURITY_POLICY = (
    "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob: ws://{host}:{port}; "
    "frame-ancestors 'self'"
)


def _voila_config(folder: Path, port: int) -> Path:
    """A ``voila.json`` in ``folder`` (the only config Voilà reads): the page's CSP header."""
    csp = CONTENT_SECURITY_POLICY.format(host=HOST, port=port)
    config = {"Voila": {"tornado_settings": {"headers": {"Content-Security-Policy": csp}}}}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "voila.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    return folder


def dashboard_command(notebook: Path, port: int, token: str, config_dir: Path) -> list[str]:
    """The Voilà command serving ``notebook``: localhost only, no code, no tracebacks.

    ``config_dir`` holds the only ``voila.json`` read (see :func:`_voila_config`), so a
    config file in the working or user folder cannot change what is served.
    """
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        f"--Voila.config_file_paths={config_dir}",
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",
        "--no-browser",
        f"--token={token}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--Voila.log_level=WARN",
    ]


def lab_command(root: Path, port: int, token: str, start: str) -> list[str]:
    """The JupyterLab command opening ``start`` (a path under ``root``): localhost only.

    The extension manager is read-only (it would query a package index), and as root
    (CI, containers) ``--allow-root`` is needed for JupyterLab to start at all.
    """
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        f"--IdentityProvider.token={token}",
        f"--LabApp.default_url=/lab/tree/{start}",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def _validated_cache(
    workspace: str | Path, folder: Path, allowed: Sequence[str | Path] = ()
) -> tuple[Path, str]:
    """Validate the workspace (raises DataError), cache its tables in ``folder``.

    Returns the cache folder and the workspace's configured language.
    """
    dataset = load.open_dataset(workspace, allowed=allowed)
    return load.save_cache(dataset, folder), dataset.config.language


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc; empty elsewhere)."""
    out = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = entry.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(entry.parent.name))
    return out


def _stop(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM the server (it shuts its kernels down), then SIGKILL what is left."""
    kernels = _children(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.warning("the server did not stop within %.0f s; killing it", timeout)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for pid in kernels:  # kernels run in sessions of their own
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def _stop_signals() -> Iterator[list[int]]:
    """SIGINT and SIGTERM recorded instead of raising, while the server runs."""
    received: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda s, _frame: received.append(s))
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


@dataclass(frozen=True)
class _Server:
    """A server to run: what it is (for messages), its command and environment, the
    address it answers on and the file its output goes to."""

    what: str
    command: Sequence[str]
    env: dict[str, str]
    port: int
    url: str
    log_path: Path


def _serve(server: _Server, *, open_browser: bool, stdout: TextIO, ready_timeout: float) -> int:
    """Run a server until it stops or we are told to stop it; see the module docstring."""
    what, port, url, log_path = server.what, server.port, server.url, server.log_path
    with _stop_signals() as received, open(log_path, "wb") as log:
        process = subprocess.Popen(
            list(server.command),
            env=server.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us; we stop the server in order
        )
        try:
            deadline = time.monotonic() + ready_timeout
            while not _listening(port):
                if process.poll() is not None or received:
                    break
                if time.monotonic() > deadline:
                    print(f"{what} did not start within {ready_timeout:.0f} s", file=sys.stderr)
                    print(_tail(log_path), file=sys.stderr)
                    return EXIT_FAILED
                time.sleep(0.1)
            else:
                print(f"{what}: {url}  (Ctrl-C to stop)", file=stdout, flush=True)
                if open_browser:
                    webbrowser.open(url)
            while process.poll() is None and not received:
                time.sleep(0.1)
            if received:
                logger.info("stopping %s on signal %d", what, received[0])
                return EXIT_OK
            print(f"{what} stopped unexpectedly (exit {process.returncode})", file=sys.stderr)
            print(_tail(log_path), file=sys.stderr)
            return EXIT_FAILED
        finally:
            _stop(process)


def serve_dashboard(
    workspace: str | Path,
    port: int | None = None,
    open_browser: bool = True,
    *,
    language: str | None = None,
    notebook: str | Path | None = None,
    stdout: TextIO | None = None,
    ready_timeout: float = READY_TIMEOUT,
    allowed: Sequence[str | Path] = (),
) -> int:
    """Serve the explorer of ``workspace`` as a code-free Voilà app on 127.0.0.1.

    Prints ``Dashboard: http://127.0.0.1:PORT/?token=…`` once the server listens, then
    blocks until Ctrl-C or SIGTERM, which stop it (kernels included).

    Parameters
    ----------
    workspace : path
        The pilot workspace; validated and cached before the server starts.
    port : int, optional
        Port on 127.0.0.1; default a free one.
    open_browser : bool
        Open the address in the default browser.
    language : {"en", "zh"}, optional
        Display language; default the workspace's.
    notebook : path, optional
        The notebook to serve; default ``notebooks/explore.ipynb``.
    stdout : file, optional
        Where the address is printed (default ``sys.stdout``).
    ready_timeout : float
        Seconds to wait for the server to listen.
    allowed : paths
        Folders outside the workspace it may read (``--allow-path``).

    Returns
    -------
    int
        0 when stopped by Ctrl-C / SIGTERM, 1 when the server failed.

    Raises
    ------
    DataError
        When the workspace is not valid (nothing is served).
    UsageError
        When ``port`` is invalid or in use, or ``language`` is unknown.
    """
    port = _checked_port(port, language)
    nb = Path(notebook) if notebook else _notebooks() / EXPLORER_NOTEBOOK
    if not nb.is_file():
        raise UsageError(f"the explorer notebook {nb} is missing; reinstall the playbook")
    token = secrets.token_urlsafe(24)
    url = f"http://{HOST}:{port}/?token={token}"
    folder = Path(tempfile.mkdtemp(prefix="playbook-dashboard-"))
    try:
        cache, configured = _validated_cache(workspace, folder / "cache", allowed)
        lang = language or configured
        env = {
            **os.environ,
            ENV_WORKSPACE: str(Path(workspace).resolve()),
            ENV_CACHE: str(cache),
            ENV_LANGUAGE: lang,
            "MPLBACKEND": "Agg",
        }
        command = dashboard_command(nb, port, token, _voila_config(folder / "config", port))
        server = _Server("Dashboard", command, env, port, url, folder / "voila.log")
        stdout = stdout or sys.stdout
        return _serve(server, open_browser=open_browser, stdout=stdout, ready_timeout=ready_timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _parameterised(source: Path, target: Path, values: dict[str, str]) -> bool:
    """Write ``source`` to ``target`` with an injected parameters cell, unless it exists.

    The cell is papermill's: tagged ``injected-parameters``, right after the cell tagged
    ``parameters``, so the notebook runs as the runner would run it.
    """
    import nbformat

    if target.exists():
        return False
    nb = nbformat.read(source, as_version=4)
    lines = ["# Parameters", *(f"{name} = {value!r}" for name, value in values.items())]
    cell = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": ["injected-parameters"]})
    cell["id"] = "injected-parameters"
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    nb.cells.insert(tagged[0] + 1 if tagged else 0, cell)
    nbformat.write(nb, target)
    return True


def explore(
    workspace: str | Path,
    *,
    out: str | Path = "reports",
    port: int | None = None,
    open_browser: bool = True,
    language: str | None = None,
    stdout: TextIO | None = None,
    ready_timeout: float = READY_TIMEOUT,
    allowed: Sequence[str | Path] = (),
) -> int:
    """Open JupyterLab on the workspace's notebooks (the explorer first), on 127.0.0.1.

    The step notebooks and ``explore.ipynb`` are copied to
    ``<out>/<workspace name>/notebooks/`` with the workspace, a freshly validated cache
    and the output folder injected as parameters (papermill's ``injected-parameters``
    cell). A copy that already exists is kept (it may hold your changes): delete it to
    get a fresh one.

    Parameters
    ----------
    workspace : path
        The pilot workspace (validated first).
    out : path
        The reports folder (``playbook run --out``).
    port : int, optional
        Port on 127.0.0.1; default a free one.
    open_browser : bool
        Open JupyterLab in the default browser.
    language : {"en", "zh"}, optional
        Language injected into the notebooks; default the workspace's.
    allowed : paths
        Folders outside the workspace that validating it may read (``--allow-path``).

    Returns
    -------
    int
        0 when stopped by Ctrl-C / SIGTERM, 1 when JupyterLab failed.

    Raises
    ------
    DataError
        When the workspace is not valid.
    UsageError
        When ``port`` is invalid or in use, or ``language`` is unknown.
    """
    port = _checked_port(port, language)
    ws = Path(workspace).resolve()
    base = Path(out).resolve() / ws.name
    folder = base / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    cache, configured = _validated_cache(ws, base / "explore-cache", allowed)
    lang = language or configured
    values = {
        "workspace": str(ws),
        "cache_dir": str(cache),
        "output_dir": str(base / "interactive"),
        "language": lang,
    }
    kept = []
    for source in sorted(_notebooks().glob("*.ipynb")):
        wanted = {k: v for k, v in values.items() if k in _parameter_names(source)}
        if not _parameterised(source, folder / source.name, wanted):
            kept.append(source.name)
    if kept:
        logger.info("kept your copies of %s in %s", ", ".join(kept), folder)
    token = secrets.token_urlsafe(24)
    url = f"http://{HOST}:{port}/lab/tree/{EXPLORER_NOTEBOOK}?token={token}"
    env = {**os.environ}
    for name in (ENV_WORKSPACE, ENV_CACHE, ENV_LANGUAGE):
        env.pop(name, None)  # the notebooks' own parameters apply in JupyterLab
    command = lab_command(folder, port, token, EXPLORER_NOTEBOOK)
    server = _Server("JupyterLab", command, env, port, url, base / "jupyterlab.log")
    stdout = stdout or sys.stdout
    return _serve(server, open_browser=open_browser, stdout=stdout, ready_timeout=ready_timeout)


def _parameter_names(path: Path) -> set[str]:
    """Names assigned in the notebook's ``parameters`` cell (the runner's, by default)."""
    import nbformat

    from playbook.report.kernel import NOTEBOOK_PARAMETERS

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            return {
                line.split("=", 1)[0].strip()
                for line in cell.source.splitlines()
                if "=" in line and not line.lstrip().startswith("#")
            }
    return set(NOTEBOOK_PARAMETERS)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m playbook.explore.dashboard {dashboard,explore} WS [--port N] [--no-browser]``.

    The same commands as ``playbook dashboard`` / ``playbook explore`` (for use before the
    CLI wires them, and by the browser test).
    """
    import argparse

    from playbook.exceptions import DataError

    parser = argparse.ArgumentParser(prog="python -m playbook.explore.dashboard")
    parser.add_argument("command", choices=["dashboard", "explore"])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--lang", choices=["en", "zh"], default=None)
    parser.add_argument("--out", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    options = {"port": args.port, "open_browser": not args.no_browser, "language": args.lang}
    try:
        if args.command == "dashboard":
            return serve_dashboard(args.workspace, **options)
        return explore(args.workspace, out=args.out, **options)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"playbook: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

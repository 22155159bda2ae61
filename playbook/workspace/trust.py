"""The trust boundary of a workspace: which files its ``pilot.yml`` may name, which steps.

A workspace someone sends you is data, never code, and it reads only itself:

- every file or folder it names — ``tables:``, ``source.path``, the source's files,
  a SQLite / DuckDB database file — and every table file it holds (``deals.csv``
  may be a symbolic link) must resolve, links followed, inside the workspace
  folder, or inside a folder the person running the command allowed with
  ``--allow-path``. The allow-list comes from the command line only: a workspace
  cannot widen its own boundary.
- the workspace's private folder (``.playbook/``, which holds its secret) is never
  read as a table;
- step names (``monthly.steps``) are names of the playbook's own step notebooks,
  never paths.

A path outside the boundary is refused before it is opened, so no problem message
can echo what such a file holds.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from playbook.exceptions import Problem, UsageError

CONFIG_FILE = "pilot.yml"
#: The workspace's own state (its secret): never a table, whatever pilot.yml says.
PRIVATE_FOLDER = ".playbook"
ALLOW_FIX = (
    "copy it into the workspace folder, or, if you trust that location, allow it when "
    "you run the command: --allow-path DIR (never in pilot.yml)"
)


def notebooks_dir() -> Path:
    """Where the step notebooks live (``PLAYBOOK_NOTEBOOKS`` overrides)."""
    env = os.environ.get("PLAYBOOK_NOTEBOOKS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "notebooks"


def available_steps(directory: Path | None = None) -> list[str]:
    """Step notebook names (``NN_name``) in run order."""
    folder = directory or notebooks_dir()
    return sorted(p.stem for p in folder.glob("[0-9][0-9]_*.ipynb"))


@dataclass(frozen=True)
class Boundary:
    """The folders a workspace may read: itself and the command line's ``--allow-path``.

    Build it with :meth:`of`; both are stored resolved (absolute, links followed).
    """

    workspace: Path
    allowed: tuple[Path, ...] = ()

    @classmethod
    def of(cls, workspace: str | Path, allowed: Iterable[str | Path] = ()) -> Boundary:
        """The boundary of ``workspace`` widened by ``allowed`` folders or files.

        Raises
        ------
        UsageError
            When an allowed path does not exist (a typo would silently allow nothing).
        """
        roots = []
        for entry in allowed or ():
            path = Path(os.path.expanduser(str(entry)))
            if not path.exists():
                raise UsageError(f"--allow-path {entry}: no such file or folder")
            roots.append(path.resolve())
        return cls(Path(workspace).resolve(), tuple(dict.fromkeys(roots)))

    @property
    def roots(self) -> tuple[Path, ...]:
        return (self.workspace, *self.allowed)

    def contains(self, path: str | Path) -> bool:
        """Whether ``path`` (links followed) lies inside the boundary and not in ``.playbook/``."""
        real = Path(path).resolve()
        if real.is_relative_to(self.workspace / PRIVATE_FOLDER):
            return False
        return any(real.is_relative_to(root) for root in self.roots)

    def problem(
        self, path: str | Path, *, setting: str | None, given: str | None = None
    ) -> Problem | None:
        """A problem when ``path`` lies outside the boundary, else None.

        ``setting`` names the pilot.yml setting that named the path (``tables.deals``,
        ``source.file``); None for a file found in the workspace by its table name
        (then the problem points at that file).
        """
        if self.contains(path):
            return None
        real = Path(path).resolve()
        if real.is_relative_to(self.workspace / PRIVATE_FOLDER):
            message = "names the workspace's private .playbook folder, which is never read as data"
            fix = "name a table file instead"
        else:
            linked = Path(path).is_symlink() or real != Path(os.path.abspath(path))
            how = "is a link to" if linked else "points to"
            message = f"{how} {real}, outside the workspace; it was not read"
            fix = ALLOW_FIX
        if setting is None:
            return Problem(file=Path(path).name, message=message, fix=fix)
        return Problem(file=CONFIG_FILE, column=setting, value=given, message=message, fix=fix)


def step_problems(
    steps: Sequence[str], available: Sequence[str], setting: str = "monthly.steps"
) -> list[Problem]:
    """One problem per name in ``steps`` that is not one of the ``available`` step notebooks.

    A step is named, never given as a path: a workspace cannot make the playbook run
    a notebook of its own.
    """
    problems = []
    for i, name in enumerate(steps):
        if name in available:
            continue
        text = str(name)
        stem = Path(text).stem if text.endswith(".ipynb") or "/" in text or "\\" in text else text
        pathlike = stem != text or text.startswith((".", "~"))
        close = difflib.get_close_matches(stem, list(available), n=1, cutoff=0.5)
        close = close or [s for s in available if s[:2] == stem[:2] or s[3:] == stem]
        hint = f"did you mean '{close[0]}'? " if close else ""
        problems.append(
            Problem(
                file=CONFIG_FILE,
                column=f"{setting}[{i}]",
                value=text,
                message=(
                    "a path, not a step name: only the playbook's own step notebooks run"
                    if pathlike
                    else "not a step of the playbook"
                ),
                fix=f"{hint}steps are: {', '.join(available)}",
            )
        )
    return problems

"""Every error the package raises on purpose, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field


class PlaybookError(Exception):
    """Base class for errors the user can act on (never shown with a traceback)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is, what was found, what to do.

    ``row`` is the 1-based line number as the user sees it in the file (header
    is line 1 for CSV; for Excel it is the sheet row), or ``None`` when the
    problem concerns the whole file or column.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    fix: str = ""

    def format(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" (found {self.value!r})"
        if self.fix:
            text += f" — {self.fix}"
        return text

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "problem": self.message,
            "fix": self.fix,
        }


@dataclass
class DataError(PlaybookError):
    """The workspace cannot be analysed; ``problems`` lists every reason at once."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found in the input:"
        return "\n".join([head] + [f"  - {p.format()}" for p in self.problems])

    def table(self):
        """The problems as a DataFrame (file, row, column, value, problem, fix)."""
        import pandas as pd

        return pd.DataFrame(
            [p.as_dict() for p in self.problems],
            columns=["file", "row", "column", "value", "problem", "fix"],
        )


class UsageError(PlaybookError):
    """The command was called wrongly (exit code 2)."""


class StepFailed(PlaybookError):
    """A report step (notebook) failed; the message names the cell and error."""


class BatchLocked(PlaybookError):
    """Another run of the same workspace and month is in progress."""

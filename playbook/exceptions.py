"""Every error the package raises on purpose, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Problems listed per file, column and kind of problem; the rest are counted on one line,
#: so a million duplicate rows make a short message, not a 150 MB one.
MAX_PROBLEMS_PER_KIND = 20

#: Longest found value quoted in a problem (a 120,000-character cell is cut).
MAX_VALUE_CHARS = 120


class PlaybookError(Exception):
    """Base class for errors the user can act on (never shown with a traceback)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is, what was found, what to do.

    ``row`` is the 1-based line number as the user sees it in the file (header
    is line 1 for CSV; for Excel it is the sheet row), or ``None`` when the
    problem concerns the whole file or column. ``kind`` names the kind of problem
    when the message varies with the value (it defaults to the message); ``more``
    is set on a line that stands for that many further problems not listed.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    fix: str = ""
    kind: str = ""
    more: int = 0
    #: Every further file row this problem stands for (a line counting problems not
    #: listed, an unknown stage name on many rows), so bad rows can be set aside.
    rows: tuple[int, ...] = field(default=(), compare=False, repr=False)

    @property
    def shown_value(self) -> str:
        """The value found, cut to MAX_VALUE_CHARS (a whole 120,000-character cell helps nobody)."""
        from playbook.display import shorten

        return shorten(self.value, MAX_VALUE_CHARS)

    @property
    def group(self) -> tuple:
        """What problems are capped by: file, column and kind of problem."""
        return (self.file, self.column, self.kind or self.message)

    def format(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" (found {self.shown_value!r})"
        if self.fix:
            text += f" — {self.fix}"
        return text

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": None if self.value is None else self.shown_value,
            "problem": self.message,
            "fix": self.fix,
        }


class Note(str):
    """A remark about the input that does not stop the analysis.

    It is its English text (what ``playbook validate`` prints and what code compares
    with) and remembers its message key and values, so a report can say it in its
    own language (:meth:`say`). ``Note("note_footer", file="deals.csv", n=2)``.
    """

    key: str
    values: dict

    def __new__(cls, key: str, **values: object) -> Note:
        from playbook.i18n import t

        note = super().__new__(cls, t(key, "en", **values))
        note.key, note.values = key, values
        return note

    def __reduce__(self):
        return (_note, (self.key, self.values))

    def say(self, language: str) -> str:
        """The note in ``language``."""
        from playbook.i18n import t

        return t(self.key, language, **self.values)

    def record(self) -> dict:
        """The note as JSON-safe data (see :func:`note_from_record`)."""
        return {"key": self.key, "values": self.values}


def _note(key: str, values: dict) -> Note:
    return Note(key, **values)


def note_from_record(record: dict | str) -> Note | str:
    """A note saved by :meth:`Note.record` (a plain string is kept as it is)."""
    if isinstance(record, dict):
        return Note(record["key"], **record.get("values", {}))
    return record


def say_note(note: str, language: str) -> str:
    """A loader note in ``language`` (plain strings are shown as they are)."""
    return note.say(language) if isinstance(note, Note) else note


def more_problems(
    file: str,
    column: str | None,
    kind: str,
    rest: int,
    total: int,
    *,
    fix: str = "",
    unit: str = "rows",
    detail: str = "",
    rows: tuple[int, ...] = (),
) -> Problem:
    """The line that stands for ``rest`` problems of one kind not listed one by one
    (``rows``: the file rows of those problems, when known)."""
    return Problem(
        file=file,
        column=column,
        message=f"… and {rest:,} more {unit} with the same problem ({kind}; "
        f"{total:,} in all{detail})",
        fix=fix,
        kind=kind,
        more=rest,
        rows=tuple(rows),
    )


def cap_problems(problems: list[Problem], limit: int = MAX_PROBLEMS_PER_KIND) -> list[Problem]:
    """The first ``limit`` problems of each file, column and kind, in their order.

    The problems left out of a group are counted on one line placed after the
    group's last listed problem (a line that already counts them is kept as it is).
    """
    listed: dict[tuple, int] = {}
    hidden: dict[tuple, int] = {}
    first: dict[tuple, Problem] = {}
    summaries: dict[tuple, Problem] = {}
    place: dict[tuple, int] = {}  # index in ``kept`` after which the group's count goes
    kept: list[Problem] = []
    for problem in problems:
        group = problem.group
        first.setdefault(group, problem)
        if problem.more:
            hidden[group] = hidden.get(group, 0) + problem.more
            summaries.setdefault(group, problem)
            place.setdefault(group, len(kept) - 1)
            continue
        listed[group] = listed.get(group, 0) + 1
        if listed[group] > limit:
            hidden[group] = hidden.get(group, 0) + 1
            continue
        place[group] = len(kept)
        kept.append(problem)
    after: dict[int, list[Problem]] = {}
    for group, rest in hidden.items():
        summary = summaries.get(group)
        if summary is None or summary.more != rest:
            shown = min(listed.get(group, 0), limit)
            head = first[group]
            summary = more_problems(
                head.file, head.column, group[2], rest, rest + shown, fix=head.fix
            )
        after.setdefault(place[group], []).append(summary)
    out = list(after.get(-1, []))
    for i, problem in enumerate(kept):
        out.append(problem)
        out.extend(after.get(i, []))
    return out


@dataclass
class DataError(PlaybookError):
    """The workspace cannot be analysed; ``problems`` lists every reason at once.

    At most :data:`MAX_PROBLEMS_PER_KIND` problems of each kind per file and column
    are kept; one line counts the rest (:func:`cap_problems`).
    """

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.problems = cap_problems(list(self.problems))
        super().__init__(self.__str__())

    @property
    def count(self) -> int:
        """How many problems were found, the ones not listed one by one included."""
        return sum(p.more or 1 for p in self.problems)

    def __str__(self) -> str:
        n = self.count
        head = f"{n:,} problem{'s' if n != 1 else ''} found in the input:"
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

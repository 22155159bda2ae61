"""Shared pieces of the source adapters: export files read as text, column lookup,
date formats, won/lost status, and the tables they hand to the loader.

Every value stays text (``str`` or NaN) so that the loader can show the user the
value they typed; the adapters only reshape, select and rename.
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.exceptions import MAX_PROBLEMS_PER_KIND, DataError, Note, Problem, more_problems
from playbook.workspace.adapters.settings import Source, problem
from playbook.workspace.config import PilotConfig, normalise_stage_name
from playbook.workspace.schema import STATUS_ALIASES, parse_bools, parse_datetimes
from playbook.workspace.trust import Boundary

logger = logging.getLogger(__name__)

#: What an adapter returns per canonical table: text values with canonical column
#: names, the row number to report problems at, and a label naming the origin.
Adapted = tuple[pd.DataFrame, pd.Series, str]
TABULAR = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet")


class AdaptedTables(dict):
    """``table -> (raw, row_numbers, label)``, plus ``notes`` and the ``files`` read.

    A plain dict for the loader; ``notes`` holds non-blocking remarks (what was
    detected, rows left out) for the intake report.
    """

    def __init__(self, tables: dict[str, Adapted], notes: list[str], files: list[Path]) -> None:
        super().__init__(tables)
        self.notes = notes
        self.files = files


def key(name: object) -> str:
    """Header key: lower case, letters and digits only (``Close Date`` -> ``closedate``)."""
    return "".join(ch for ch in str(name).casefold() if ch.isalnum())


@dataclass
class Export:
    """A table read from an export: text values under the file's own (stripped) headers."""

    data: pd.DataFrame
    rows: pd.Series
    label: str
    path: Path

    def find(self, candidates: Iterable[str]) -> str | None:
        """The first header matching one of ``candidates`` (compared by :func:`key`)."""
        keys = {key(c): c for c in self.data.columns}
        for candidate in candidates:
            if key(candidate) in keys:
                return keys[key(candidate)]
        return None

    def suggest(self, name: str) -> str:
        close = difflib.get_close_matches(
            key(name), [key(c) for c in self.data.columns], n=1, cutoff=0.6
        )
        if not close:
            return f"the columns are: {', '.join(map(str, self.data.columns))[:300]}"
        header = next(c for c in self.data.columns if key(c) == close[0])
        return f"did you mean '{header}'?"


def text(values: pd.Series) -> pd.Series:
    """Values as ``str`` with NaN for missing ones (object dtype)."""
    out = values.astype(object)
    out = out.where(out.notna(), np.nan)
    if pd.api.types.infer_dtype(out, skipna=True) in ("string", "empty"):
        return out
    return out.map(lambda v: v if isinstance(v, str) or v is np.nan else str(v))


def mapped_columns(export: Export, mapped: dict[str, str]) -> dict[str, pd.Series]:
    """The mapped columns under their canonical names, every other column under its
    header in canonical form (``Lead Source`` -> ``lead_source``), as the loader does."""
    columns = {name: export.data[header] for name, header in mapped.items()}
    for header in export.data.columns:
        canonical = "_".join(str(header).lower().split())
        if header not in mapped.values() and canonical not in columns:
            columns[canonical] = export.data[header]
    return columns


def row_problems(
    file: str, column: str, message: str, fix: str, rows: pd.Series, values: pd.Series
) -> list[Problem]:
    """One problem per row (the first MAX_PROBLEMS_PER_KIND), then one line counting the rest."""
    shown = min(len(rows), MAX_PROBLEMS_PER_KIND)
    out = [
        Problem(file=file, row=int(r), column=column, value=str(v), message=message, fix=fix)
        for r, v in zip(rows.head(shown), values.head(shown), strict=True)
    ]
    if len(rows) > shown:
        out.append(more_problems(file, column, message, len(rows) - shown, len(rows), fix=fix))
    return out


def as_table(columns: dict[str, pd.Series], rows: pd.Series, label: str) -> Adapted:
    """Assemble one canonical table; index and row numbers reset to 0..n-1."""
    frame = pd.DataFrame({name: col.to_numpy(dtype=object) for name, col in columns.items()})
    frame = frame.where(frame.notna(), np.nan)
    return frame, pd.Series(np.asarray(rows, dtype="int64"), index=frame.index), label


@dataclass
class Context:
    """What an adapter works with: paths, settings, and the problems and notes so far."""

    workspace: Path
    config: PilotConfig
    source: Source
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: The folders the source may read (default: the workspace alone).
    boundary: Boundary | None = None

    def __post_init__(self) -> None:
        if self.boundary is None:
            self.boundary = Boundary.of(self.workspace)

    def check_base(self) -> None:
        """Raise a problem when ``source.path`` lies outside the boundary."""
        found = self.boundary.problem(self.base, setting="source.path", given=self.source.path)
        if found is not None:
            raise DataError([found])

    @property
    def base(self) -> Path:
        """The folder the source's files are in (``source.path``, default the workspace)."""
        if not self.source.path:
            return self.workspace
        folder = Path(os.path.expandvars(os.path.expanduser(self.source.path)))
        return Path(os.path.normpath(folder if folder.is_absolute() else self.workspace / folder))

    def locate(self, name: str, setting: str) -> Path | None:
        """Resolve a file name from ``source.<setting>``; a problem when it is missing."""
        raw = Path(os.path.expandvars(os.path.expanduser(name)))
        path = raw if raw.is_absolute() else self.base / raw
        outside = self.boundary.problem(path, setting=f"source.{setting}", given=name)
        if outside is not None:
            self.problems.append(outside)
            return None
        if not path.is_file():
            where = "" if path.parent.is_dir() else f" (folder {path.parent} not found either)"
            self.problems.append(
                problem(
                    setting,
                    f"file not found: {path}{where}",
                    "give the file name relative to the workspace (or to source.path)",
                    name,
                )
            )
            return None
        if path not in self.files:
            self.files.append(path)
        return path

    def read(self, path: Path | None, needed: Sequence[str] = ()) -> Export | None:
        """Read an export file as text; unreadable files become problems."""
        if path is None:
            return None
        export, problems, notes = read_export(path, self.source.encoding, needed)
        self.problems += problems
        self.notes += notes
        return export

    def check(self) -> None:
        """Raise the problems collected so far, all at once."""
        if self.problems:
            raise DataError(list(self.problems))

    def columns(
        self,
        export: Export,
        auto: dict[str, Sequence[str]],
        given: dict[str, str],
        setting: str,
        required: Sequence[str] = (),
    ) -> dict[str, str]:
        """Canonical name -> header: configured ones checked, others found by known names.

        Configured names missing from the file and required columns that are not
        found become problems.
        """
        out: dict[str, str] = {}
        for name, header in given.items():
            actual = export.find([header])
            if actual is None:
                self.problems.append(
                    problem(
                        f"{setting}.{name}",
                        f"column not found in {export.label}",
                        export.suggest(header),
                        header,
                    )
                )
            else:
                out[name] = actual
        for name, candidates in auto.items():
            if name not in given:
                actual = export.find(candidates)
                if actual is not None:
                    out[name] = actual
        for name in required:
            if name not in out and name not in given:
                looked = ", ".join(f"'{c}'" for c in auto.get(name, ()))
                self.problems.append(
                    Problem(
                        file=export.label,
                        column=name,
                        message="required column is missing"
                        + (f" (looked for {looked})" if looked else ""),
                        fix=f"name the column in pilot.yml: source.{setting}: "
                        f"{{{name}: <column header>}}",
                    )
                )
        return out

    def dates(self, values: pd.Series, label: str, column: str) -> pd.Series:
        """Rewrite dates in ``source.date_format`` as year-month-day text.

        Values the canonical parser reads already, and values that match neither,
        are kept as typed (the loader reports the latter with their row). When the
        failing values read day-first instead, that is a problem with the setting.
        """
        fmt = self.source.date_format
        if not fmt or values.empty:
            return values
        _, bad, _ = parse_datetimes(values, self.config.timezone)
        if not bad.any():
            return values
        out = values.copy()
        rest = values[bad].astype(str).str.strip()
        for pattern in _variants(fmt):
            parsed = pd.to_datetime(rest, format=pattern, errors="coerce")
            ok = parsed.notna()
            if ok.any():
                has_time = "%H" in pattern or "%I" in pattern
                shown = parsed[ok].dt.strftime("%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d")
                out.loc[shown.index] = shown
                rest = rest[~ok]
            if rest.empty:
                return out
        swapped = _swap_day_month(fmt)
        if swapped:
            flipped = pd.concat(
                [pd.to_datetime(rest, format=p, errors="coerce") for p in _variants(swapped)],
                axis=1,
            ).notna()
            if flipped.any(axis=None):
                self.problems.append(
                    problem(
                        "date_format",
                        f"dates in {label} column '{column}' do not match '{fmt}' but read "
                        "day-first",
                        f"set source.date_format: '{swapped}' in pilot.yml",
                        rest[flipped.any(axis=1)].iloc[0],
                    )
                )
        return out


def _variants(fmt: str) -> list[str]:
    """A date pattern with the time suffixes CRM exports add."""
    times = ["", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", ", %I:%M %p", ", %H:%M"]
    return [fmt + t for t in times]


def _swap_day_month(fmt: str) -> str | None:
    if "%m" not in fmt or "%d" not in fmt:
        return None
    return fmt.replace("%m", "\0").replace("%d", "%m").replace("\0", "%d")


#: Sorts after every real time (NaT placed last when ordering events).
LATEST = np.iinfo(np.int64).max


def instants(values: pd.Series, timezone: str) -> np.ndarray:
    """Times as int64 nanoseconds for ordering (unreadable or missing: :data:`LATEST`).

    ISO 8601 text is parsed in bulk, its UTC offset (``+02:00``, ``Z``) applied;
    other forms the playbook reads (``2026/3/1``, ``2026年3月1日``) go through
    :func:`~playbook.workspace.schema.parse_datetimes`. Values without an offset count as
    wall-clock time, which orders correctly because a column must not mix the two.
    """
    textual = values.astype(object)
    tail = textual.str.slice(-6)
    offsets = {t: _offset_minutes(t) for t in tail.dropna().unique()}
    minutes = tail.map(offsets).astype("float64")
    zulu = textual.str.endswith("Z").fillna(False).astype(bool)
    wall = textual
    if minutes.notna().any():
        wall = wall.where(minutes.isna(), wall.str.slice(0, -6))
    if zulu.any():
        wall = wall.where(~zulu, wall.str.slice(0, -1))
    parsed = pd.to_datetime(wall, format="ISO8601", errors="coerce", utc=True)
    ns = parsed.to_numpy(dtype="datetime64[ns]").view("int64").copy()
    shift = (minutes.fillna(0).to_numpy() * 60e9).astype("int64")
    ns -= np.where(parsed.notna().to_numpy(), shift, 0)
    missing = parsed.isna().to_numpy()
    retry = missing & values.notna().to_numpy()
    if retry.any():
        slow, _, _ = parse_datetimes(values[retry], timezone)
        ns[retry] = slow.to_numpy(dtype="datetime64[ns]").view("int64")
        missing[retry] = slow.isna().to_numpy()
    ns[missing] = LATEST
    return ns


def _offset_minutes(tail: str) -> float:
    if (
        len(tail) == 6
        and tail[0] in "+-"
        and tail[3] == ":"
        and tail.replace(":", "")[1:].isdigit()
    ):
        return (1 if tail[0] == "+" else -1) * (int(tail[1:3]) * 60 + int(tail[4:6]))
    return np.nan


# --- reading export files ------------------------------------------------------------------


def read_export(
    path: Path, encoding: str | None = None, needed: Sequence[str] = ()
) -> tuple[Export | None, list[Problem], list[str]]:
    """Read a CSV / Excel / Parquet export as text, keeping its headers.

    The header is the first of the top ten rows holding every ``needed`` name
    (any case and spacing), else the first row at least half as full as the
    fullest; title rows above it and footer lines below the data (a report's
    copyright notice) are left out with a note.

    Returns
    -------
    export : Export or None when the file cannot be read
    problems : why it cannot be read
    notes : non-blocking remarks
    """
    from playbook.workspace.files import decode_csv_bytes

    name = path.name

    def failed(message: str, fix: str) -> tuple[None, list[Problem], list[str]]:
        return None, [Problem(file=name, message=message, fix=fix)], []

    suffix = path.suffix.lower()
    try:
        if path.stat().st_size == 0:
            return failed("the file is empty (0 bytes)", "export it again with its header row")
        if suffix in (".csv", ".txt", ".tsv"):
            data = path.read_bytes()
            if encoding:
                text_ = data.decode(encoding)
            else:
                try:
                    text_, _ = decode_csv_bytes(data)
                except UnicodeDecodeError:
                    return failed(
                        "the file is neither UTF-8 nor GB18030 text",
                        "re-save it as CSV UTF-8, or name its encoding in pilot.yml "
                        "(source.encoding: latin-1)",
                    )
            grid = _read_csv_text(text_)
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            grid = pd.read_excel(path, dtype=str, header=None)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
            body = frame.astype("string").astype(object)
            grid = pd.concat([frame.columns.to_frame().T, body], ignore_index=True)
            grid.columns = range(grid.shape[1])
        else:
            return failed(
                f"unsupported file type '{suffix}'", "save the export as .csv, .xlsx or .parquet"
            )
    except (UnicodeDecodeError, LookupError) as exc:
        return failed(f"cannot be decoded: {exc}", "check source.encoding in pilot.yml")
    except pd.errors.EmptyDataError:
        return failed("the file has no header row", "export it again with its header row")
    except (pd.errors.ParserError, ValueError, OSError, ImportError) as exc:
        return failed(
            f"cannot be read: {str(exc).splitlines()[0]}", "open it and re-save it as CSV UTF-8"
        )
    grid = grid.astype(object).where(grid.notna(), np.nan)
    if grid.dropna(how="all").empty:
        return failed("the file has no header row", "export it again with its header row")
    notes: list[str] = []
    head = _header_row(grid, needed)
    if head > 0:
        notes.append(Note("note_header_row", file=name, row=head + 1))
    headers = [str(v).replace("\ufeff", "").strip() if pd.notna(v) else "" for v in grid.iloc[head]]
    body = grid.iloc[head + 1 :]
    keep = [i for i, h in enumerate(headers) if h]
    body = body.iloc[:, keep]
    names = _unique([headers[i] for i in keep])
    body.columns = names
    filled = body.notna().sum(axis=1).to_numpy()
    if body.shape[1] >= 3 and len(filled):
        full = np.flatnonzero(filled >= 2)
        last = full[-1] + 1 if len(full) else 0
        footer = int((filled[last:] > 0).sum())
        if footer:
            notes.append(Note("note_footer", file=name, n=footer))
            body = body.iloc[:last]
    body = body.dropna(how="all")
    rows = pd.Series(body.index.to_numpy() + 1, index=body.index)
    data = body.apply(text) if len(body) else body.astype(object)
    return Export(data=data, rows=rows, label=name, path=path), [], notes


def _read_csv_text(content: str) -> pd.DataFrame:
    """Text -> grid of strings (header=None); delimiter sniffed, blank lines kept."""
    sample = content[: 1 << 16]
    lines = sample.splitlines()[:50]
    try:
        sep = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    width = max((len(r) for r in csv.reader(lines, delimiter=sep)), default=1)
    return pd.read_csv(
        io.StringIO(content),
        sep=sep,
        dtype=str,
        header=None,
        names=range(width),
        keep_default_na=False,
        na_values=[""],
        skipinitialspace=True,  # whitespace-only cells are empty
        skip_blank_lines=False,
    )


def _header_row(grid: pd.DataFrame, needed: Sequence[str]) -> int:
    top = grid.head(10)
    if needed:
        wanted = {key(n) for n in needed}
        for i in range(len(top)):
            if wanted <= {key(v) for v in top.iloc[i].dropna()}:
                return i
    counts = top.notna().sum(axis=1).to_numpy()
    return int(np.flatnonzero(counts >= max(1, counts.max() / 2))[0])


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


# --- won / lost ------------------------------------------------------------------------------


def outcome_keys(won: Sequence[str], lost: Sequence[str]) -> tuple[set[str], set[str]]:
    """Normalised names meaning won / lost: the configured ones plus the status words
    the playbook always understands (Won, Closed Lost, 赢单, 输单, ...)."""
    won_keys = {normalise_stage_name(n) for n in won}
    lost_keys = {normalise_stage_name(n) for n in lost}
    words = {normalise_stage_name(w): s for w, s in STATUS_ALIASES.items()}
    implied_won = {w for w, s in words.items() if s == "won"} - lost_keys
    implied_lost = {w for w, s in words.items() if s == "lost"} - won_keys
    return won_keys | implied_won, lost_keys | implied_lost


def name_keys(values: pd.Series) -> pd.Series:
    """Normalised names (NaN stays NaN); computed once per distinct name."""
    distinct = pd.unique(values.dropna().to_numpy())
    return values.map({v: normalise_stage_name(v) for v in distinct})


def status_from_names(names: pd.Series, won: set[str], lost: set[str]) -> pd.Series:
    """``won`` / ``lost`` where the name is a won / lost name, else ``open``."""
    keys = name_keys(names)
    out = pd.Series("open", index=names.index, dtype=object)
    out[keys.isin(lost)] = "lost"
    out[keys.isin(won)] = "won"
    return out


def status_from_flags(
    status: pd.Series, won_flag: pd.Series | None, closed_flag: pd.Series | None
) -> pd.Series:
    """Refine a name-based status with IsWon / IsClosed style yes-no columns.

    Won when the won flag is true; lost when closed and not won; open when the
    closed flag is false. An unreadable flag is passed on as typed, so the loader
    reports it at its row.
    """
    out = status.copy()
    if closed_flag is not None:
        closed, bad = parse_bools(closed_flag)
        out[(closed == False).fillna(False)] = "open"  # noqa: E712
        out[(closed == True).fillna(False)] = "lost"  # noqa: E712
        out[bad] = closed_flag[bad]
    if won_flag is not None:
        won, bad = parse_bools(won_flag)
        out[(won == True).fillna(False)] = "won"  # noqa: E712
        if closed_flag is None:
            out[((won == False).fillna(False)) & (out == "won")] = "open"  # noqa: E712
        out[bad] = won_flag[bad]
    return out


def close_dates(closed_at: pd.Series, status: pd.Series) -> pd.Series:
    """Keep a close date only for won / lost deals (CRMs show an expected date on open ones)."""
    return closed_at.where(status.isin(["won", "lost"]), np.nan)

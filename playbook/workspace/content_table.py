"""The optional ``content`` table: templates, scripts and documents, and their text.

A content item gives its text in ``body`` or names a file in ``path`` (``.txt``, ``.md``,
``.docx``, ``.pdf``) relative to the workspace. The file is read when the workspace is
read, through the workspace's trust boundary (:meth:`playbook.workspace.trust.Boundary.problem`):
a path outside the workspace, or one that cannot be read, is a problem with the file,
row, column and value like every other; the text found becomes the item's ``body``.

``activities.content_id`` names the item an activity used; :func:`cross_problems` reports
ids that are not in the content table.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from playbook.exceptions import Problem
from playbook.workspace.schema import is_missing
from playbook.workspace.trust import ALLOW_FIX, Boundary

logger = logging.getLogger(__name__)

__all__ = [
    "FILE_TYPES",
    "MAX_FILE_BYTES",
    "attach_file_text",
    "cross_problems",
    "file_text",
    "referenced_files",
    "tidy",
]

#: File types whose text the playbook can read.
FILE_TYPES = (".txt", ".md", ".docx", ".pdf")
#: Larger files are refused: a content item is a template, not an archive.
MAX_FILE_BYTES = 20 * 1024 * 1024
TEXT_FIX = "give the text in the body column instead, or save the file again as .txt or .docx"


class UnreadableFile(ValueError):
    """A content file whose text cannot be read; the message says why."""


def file_text(path: Path) -> str:
    """The text of a ``.txt``, ``.md``, ``.docx`` or ``.pdf`` file.

    Raises
    ------
    UnreadableFile
        When the type is not supported, the file is too large, damaged, encrypted, or
        holds no text (a scanned PDF).
    """
    suffix = path.suffix.lower()
    if suffix not in FILE_TYPES:
        raise UnreadableFile(f"unsupported file type '{suffix or path.name}'")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UnreadableFile(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        if suffix in (".txt", ".md"):
            text = _plain_text(path.read_bytes())
        elif suffix == ".docx":
            text = _docx_text(path)
        else:
            text = _pdf_text(path)
    except UnreadableFile:
        raise
    except Exception as exc:  # any parser error of a damaged file: reported, never a traceback
        raise UnreadableFile(f"cannot be read ({type(exc).__name__})") from None
    text = text.strip()
    if not text:
        raise UnreadableFile("no text found in it (a scanned image or an empty document?)")
    return text


def _plain_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableFile("neither UTF-8 nor GB18030 text") from None


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    if reader.is_encrypted:
        raise UnreadableFile("the PDF is password-protected")
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def attach_file_text(
    raw: pd.DataFrame, row_numbers: pd.Series, label: str, boundary: Boundary
) -> tuple[pd.DataFrame, pd.Series, str, list[Problem]]:
    """The content table (as text) with each ``path``'s text in ``body``.

    Parameters
    ----------
    raw, row_numbers, label : the table as read (see :func:`playbook.workspace.files.read_raw`).
    boundary : the workspace's trust boundary; relative paths are taken from its workspace.

    Returns
    -------
    raw, row_numbers, label : the same table, ``body`` filled from the files.
    problems : a row that gives both ``body`` and ``path``, a path outside the boundary,
        missing, of another type or unreadable.
    """
    if "path" not in raw.columns:
        return raw, row_numbers, label, []
    raw = raw.copy()
    if "body" not in raw.columns:
        raw["body"] = pd.Series(pd.NA, index=raw.index, dtype=object)
    has_path = ~is_missing(raw["path"])
    has_body = ~is_missing(raw["body"])
    problems: list[Problem] = []
    for index in raw.index[has_path]:
        given = str(raw.at[index, "path"]).strip()
        where = {"file": label, "row": int(row_numbers[index]), "column": "path", "value": given}
        if has_body[index]:
            problems.append(
                Problem(
                    **where,
                    message="the item gives both a body and a path",
                    fix="keep one: the text in body, or the file in path",
                )
            )
            continue
        text, problem = _read_item(Path(given), boundary)
        if problem is not None:
            problems.append(Problem(**where, **problem))
        else:
            raw.at[index, "body"] = text
    return raw, row_numbers, label, problems


def _read_item(given: Path, boundary: Boundary) -> tuple[str | None, dict | None]:
    """The text of one item's file, or the problem (message and fix) that stops it."""
    path = given if given.is_absolute() else boundary.workspace / given
    outside = boundary.problem(path, setting=None)
    if outside is not None:
        return None, {
            "message": outside.message,
            "fix": ALLOW_FIX,
            "kind": "path outside the workspace",
        }
    if not path.is_file():
        return None, {
            "message": "file not found",
            "fix": "put the file in the workspace and give its path relative to the workspace",
        }
    try:
        return file_text(path), None
    except UnreadableFile as exc:
        message = str(exc)
        fix = (
            f"give a {', '.join(FILE_TYPES)} file, or the text in the body column"
            if message.startswith("unsupported")
            else TEXT_FIX
        )
        return None, {"message": message, "fix": fix}


def cross_problems(
    tables: dict[str, pd.DataFrame], rows: dict[str, pd.Series], files: dict[str, str]
) -> list[Problem]:
    """``activities.content_id`` values that name no item of the content table.

    Without a content table, any ``content_id`` in activities is one problem (the ids
    cannot be checked or measured).
    """
    activities = tables.get("activities")
    if activities is None or "content_id" not in activities.columns:
        return []
    used = activities["content_id"].notna()
    if not used.any():
        return []
    content = tables.get("content")
    file = files.get("activities", "activities.csv")
    if content is None:
        return [
            Problem(
                file=file,
                column="content_id",
                message=f"{int(used.sum()):,} activities name a content item, but the "
                "workspace has no content table",
                fix="add content.csv (content_id, type, title, body or path, …) or leave the "
                "content_id column out",
            )
        ]
    unknown = used & ~activities["content_id"].isin(set(content["content_id"].dropna()))
    if not unknown.any():
        return []
    ids = activities.loc[unknown, "content_id"]
    first = ~ids.duplicated()  # one problem per unknown id, at its first row (capped later)
    return [
        Problem(
            file=file,
            row=int(row),
            column="content_id",
            value=str(value),
            message="content_id not found in the content table",
            fix="add the item to the content table, or correct the id",
        )
        for row, value in zip(rows["activities"][unknown][first], ids[first], strict=True)
    ]


def referenced_files(table_file: Path | None, boundary: Boundary) -> list[Path]:
    """The files the content table names in ``path`` that exist inside the boundary.

    For the run's manifest (every input hashed); problems are the loader's business, so a
    table or path that cannot be read is simply left out here.
    """
    from playbook.workspace.files import read_raw

    if table_file is None or not table_file.is_file() or not boundary.contains(table_file):
        return []
    raw, _, _, problems, _ = read_raw(table_file, "content")
    if problems or "path" not in raw.columns:
        return []
    found = []
    for given in raw.loc[~is_missing(raw["path"]), "path"].astype(str).str.strip().unique():
        path = Path(given) if Path(given).is_absolute() else boundary.workspace / given
        if boundary.contains(path) and path.is_file():
            found.append(path)
    return sorted(found)


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """The parsed content table with missing text as ``None`` (as the Parquet cache gives it)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out

"""Intake at reader speed: whole columns read and checked at once, the per-value path kept
only for the values that need it.

Reading a 200,000-deal workspace with pandas' Python CSV engine, then parsing dates
with a per-value regular expression, took most of a pilot's load time. Here:

* :func:`csv_grid` reads CSV text with pyarrow's multithreaded reader, every cell as
  text, exactly as the Python engine did (delimiter sniffed from the first non-blank
  line by :class:`csv.Sniffer`, no header, empty cells missing, blank lines skipped);
  any file pyarrow reads differently (ragged rows, odd quoting) returns None and is
  read the old way, so every problem report stays as it was;
* :func:`missing_mask` and :func:`iso_datetimes` check whole columns with Arrow
  kernels; values in plain ISO form (``2026-03-01``, ``2026-03-01 14:30[:05]``) are
  parsed in bulk, every other value goes through the full per-value parser, which
  names the ones it cannot read.
"""

from __future__ import annotations

import csv
import logging
import weakref
from collections.abc import Callable

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: Values parsed in bulk: plain ISO dates, with minutes or seconds, no offset.
PLAIN_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$"


#: The last column converted to Arrow (its values array, and the Arrow array): the same
#: column is checked for missing values, dates and whitespace one after the other.
_LAST: list = [None, None]


def is_arrow_text(values: pd.Series) -> bool:
    """Whether a column holds Arrow-backed text (as :func:`csv_grid` reads it with ``arrow``)."""
    import pyarrow as pa

    dtype = values.dtype
    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype)


def arrow_series(array, index: pd.Index | None = None) -> pd.Series:
    """An Arrow string array as an Arrow-backed Series (no copy into Python objects)."""
    return pd.Series(pd.arrays.ArrowExtensionArray(array), index=index)


def _arrow_text(values: pd.Series):
    """A column as an Arrow string array (missing values null); None when not all text."""
    import pyarrow as pa

    if is_arrow_text(values):
        array = values.array  # already Arrow: one contiguous array, no conversion
    else:
        array = values.to_numpy(dtype=object)
    if _LAST[0] is not None and _LAST[0]() is array:
        return _LAST[1]
    try:
        if is_arrow_text(values):
            arrow = pa.array(array)
            if isinstance(arrow, pa.ChunkedArray):
                arrow = arrow.combine_chunks()
        else:
            arrow = pa.array(array, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arrow = None
    try:
        _LAST[:] = [weakref.ref(array), arrow]
    except TypeError:  # an array that cannot be referenced weakly is not remembered
        _LAST[:] = [None, None]
    return arrow


def _first_line(text: str) -> str | None:
    """The first line holding more than whitespace (without reading the whole text)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end].rstrip("\r")
        if line.strip():
            return line
        start = end + 1
    return None


def csv_grid(text: str, utf8: bytes | None = None, *, arrow: bool = False) -> pd.DataFrame | None:
    """CSV text as a grid of strings (columns 0..n-1, NaN for empty cells), or None when
    the file needs the Python engine (no sniffable delimiter, ragged rows, odd quoting).

    ``utf8``: the same text as UTF-8 bytes (no BOM) when the file was UTF-8 already, so it
    is not encoded again. ``arrow``: keep the cells as Arrow-backed text
    (``string[pyarrow]``, missing values ``pd.NA``) instead of Python objects: turning
    millions of cells into Python strings is most of what reading costs, and the checks
    read Arrow directly (see :func:`text_column`).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    first = _first_line(text)
    if first is None:
        return None
    try:
        delimiter = csv.Sniffer().sniff(first).delimiter
    except csv.Error:
        return None
    if len(delimiter) != 1 or delimiter in '\r\n"':
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(utf8 if utf8 is not None else text.encode("utf-8")),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={},
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
                auto_dict_encode=False,
                check_utf8=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as exc:
        logger.debug("read with the Python engine instead: %s", exc)
        return None
    columns = {}
    for i, column in enumerate(table.columns):
        if not pa.types.is_string(column.type) and not pa.types.is_null(column.type):
            column = column.cast(pa.string())
        if arrow:
            columns[i] = pd.arrays.ArrowExtensionArray(column)
            continue
        values = column.to_numpy(zero_copy_only=False).astype(object)
        values[column.is_null().to_numpy(zero_copy_only=False)] = np.nan
        columns[i] = values
    return pd.DataFrame(columns)


def missing_mask(raw: pd.Series, tokens: set[str]) -> pd.Series | None:
    """True where a value is missing or one of ``tokens`` once trimmed and lower-cased;
    None when the column is not all text (the caller's own path handles it)."""
    import pyarrow.compute as pc

    arrow = _arrow_text(raw)
    if arrow is None:
        return None
    key = pc.utf8_lower(pc.utf8_trim_whitespace(arrow))
    token = pc.fill_null(pc.is_in(key, value_set=_token_array(tokens)), False)
    hit = pc.or_(pc.is_null(arrow), token)
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=raw.index)


def _token_array(tokens: set[str]):
    import pyarrow as pa

    return pa.array(sorted(tokens), type=pa.string())


def iso_datetimes(raw: pd.Series) -> tuple[pd.Series, np.ndarray] | None:
    """Plain ISO values parsed in bulk: (datetime64[ns] Series, mask of values parsed).

    Values not in plain ISO form, or not a valid date, are left to the full parser
    (mask False). None when the column is not all text.
    """
    import pyarrow.compute as pc

    arrow = _arrow_text(raw)
    if arrow is None:
        return None
    plain = pc.fill_null(pc.match_substring_regex(arrow, PLAIN_ISO), False)
    mask = plain.to_numpy(zero_copy_only=False)
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if mask.any():
        if is_arrow_text(raw):
            text = arrow_series(pc.filter(arrow, plain))
        else:
            text = pd.Series(raw.to_numpy(dtype=object)[mask])
        values = pd.to_datetime(text, format="ISO8601", errors="coerce")
        values = values.to_numpy(dtype="datetime64[ns]")
        good = ~np.isnat(values)
        positions = np.flatnonzero(mask)
        parsed.iloc[positions[good]] = values[good]
        mask[positions[~good]] = False
    return parsed, mask


#: Characters Python's ``str.strip`` removes that Arrow's whitespace trim keeps.
_PYTHON_ONLY_SPACE = "[\x1c-\x1f]"


def stripped_text(
    raw: pd.Series, missing: pd.Series, *, categorical: bool = False
) -> pd.Series | None:
    """``raw`` with surrounding whitespace removed and missing values as ``pd.NA`` (object
    dtype), as ``str.strip`` gives it; None when Arrow would strip differently.

    ``categorical``: for Arrow-backed text, the same values as a categorical (categories
    sorted, as ``astype("category")`` makes them), built from Arrow's dictionary encoding
    without a Python string per cell; other text stays object (the loader converts it).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = _arrow_text(raw)
    if arrow is None or pc.any(pc.match_substring_regex(arrow, _PYTHON_ONLY_SPACE)).as_py():
        return None
    trimmed = pc.utf8_trim_whitespace(arrow)
    if is_arrow_text(raw):
        kept = pc.if_else(pa.array(missing.to_numpy(dtype=bool)), None, trimmed)
        if categorical:
            return _categorical(kept, raw.index)
        values = kept.to_numpy(zero_copy_only=False)
        values[pc.is_null(kept).to_numpy(zero_copy_only=False)] = pd.NA
        return pd.Series(values, index=raw.index, dtype=object)
    changed = pc.fill_null(pc.not_equal(trimmed, arrow), False).to_numpy(zero_copy_only=False)
    values = raw.to_numpy(dtype=object).copy()  # most values need no trimming: kept as they are
    if changed.any():
        kept = pc.filter(trimmed, pa.array(changed))
        values[changed] = kept.to_numpy(zero_copy_only=False)
    values[missing.to_numpy(dtype=bool)] = pd.NA
    return pd.Series(values, index=raw.index, dtype=object)


def _categorical(values, index: pd.Index) -> pd.Series:
    """Arrow text as a pandas categorical equal to ``astype("category")`` of its objects."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    words = encoded.dictionary.to_pylist()
    order = sorted(range(len(words)), key=words.__getitem__)  # Python's order of str
    rank = np.empty(len(words), dtype=np.int64)
    rank[order] = np.arange(len(words))
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes = np.where(codes >= 0, rank[np.maximum(codes, 0)] if len(words) else -1, -1)
    dtype = pd.CategoricalDtype([words[i] for i in order])
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=index)


def by_distinct(raw: pd.Series, parse: Callable[[pd.Series], tuple[pd.Series, ...]]):
    """``parse(raw)`` for Arrow-backed text, computed once per distinct value (a status
    or yes/no column holds a handful of values in a million rows); None for other columns.

    ``parse`` must treat each value on its own (strip, map, convert): its results for the
    distinct values are then taken row by row, the same as parsing every row. The
    distinct values are given as objects (NaN for a missing value, as the object reader
    gives it), each once, missing only when ``raw`` has a missing value.
    """
    import pyarrow.compute as pc

    if not is_arrow_text(raw):
        return None
    arrow = _arrow_text(raw)
    if arrow is None:
        return None
    encoded = pc.dictionary_encode(arrow)
    words = list(encoded.dictionary.to_pylist())
    codes = encoded.indices
    if codes.null_count:
        codes = pc.fill_null(codes, len(words))
        words.append(np.nan)
    distinct = pd.Series(words, dtype=object)
    positions = codes.to_numpy(zero_copy_only=False)
    return tuple(
        pd.Series(result.array.take(positions), index=raw.index, name=raw.name)
        for result in parse(distinct)
    )

"""CSV files that are safe to open in Excel: no client text can become a formula.

A cell such as ``=HYPERLINK("http://evil", "click")`` or ``@SUM(...)`` in a stage
name, rep name or lost reason is run by a spreadsheet that opens the CSV. As OWASP
recommends for CSV injection, every text cell (and header) that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is written with a leading single
quote, which spreadsheets show as text. Numbers stay numbers: numeric columns are
untouched, and a text cell that is a plain number (``-12.5``) is left as it is,
since a spreadsheet reads it as that number, never as a formula.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"^[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][+-]?\d+)?$"


def neutralise_text(values: pd.Series) -> pd.Series:
    """``values`` with every formula-looking text cell prefixed by ``'`` (others as they are)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if pd.api.types.is_object_dtype(categories) or pd.api.types.is_string_dtype(categories):
            safe = neutralise_text(pd.Series(categories, dtype=object))
            if not safe.equals(pd.Series(categories, dtype=object)):
                return values.cat.rename_categories(dict(zip(categories, safe, strict=True)))
        return values
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return values
    text = values.astype(object)
    is_str = text.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if not is_str.any():
        return values
    strings = text[is_str].astype(str)
    risky = strings.str.startswith(FORMULA_STARTS) & ~strings.str.match(_PLAIN_NUMBER)
    if not risky.any():
        return values
    out = text.copy()
    index = strings.index[risky.to_numpy()]
    out.loc[index] = "'" + strings[risky]
    return out


def safe_cell(value: object) -> object:
    """One value as :func:`neutralise_text` writes it."""
    return neutralise_text(pd.Series([value], dtype=object)).iloc[0]


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headers cannot start a formula."""
    out = frame.copy()
    for position in range(out.shape[1]):
        out.isetitem(position, neutralise_text(out.iloc[:, position]))
    out.columns = [safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **options) -> Path:
    """Write ``frame`` as a CSV people can open safely (UTF-8 with BOM for Excel, no index).

    ``options`` go to :meth:`pandas.DataFrame.to_csv`.
    """
    settings = {"index": False, "encoding": "utf-8-sig", **options}
    neutralised(frame).to_csv(path, **settings)
    return Path(path)


__all__ = ["FORMULA_STARTS", "neutralise_text", "neutralised", "safe_cell", "write_csv"]

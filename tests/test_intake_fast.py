"""The columnar intake reads and parses exactly what the per-value path did."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from playbook.workspace.intake_fast import csv_grid, iso_datetimes, missing_mask, stripped_text
from playbook.workspace.schema import MISSING_TOKENS, _parse_datetimes_each, parse_datetimes


def python_engine(text: str) -> pd.DataFrame:
    """What the loader read before: pandas' Python engine, delimiter sniffed."""
    return pd.read_csv(
        io.StringIO(text),
        dtype=str,
        header=None,
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=True,
        sep=None,
        engine="python",
    )


@pytest.mark.parametrize(
    "text",
    [
        'deal_id,amount,name\nD1,"1,200.50","Lee, Ann"\nD2,,  \n\nD3,007,"two\nlines"\n',
        "deal_id;stage;entered_at\nD1;Lead;2026/3/1\nD2;谈判;2026年3月1日\n",
        "a\tb\n1\t\n\t2\n",
        'id,note\n1,"say ""hi"""\n2,=SUM(A1)\n',
    ],
)
def test_the_grid_is_the_python_engines(text: str) -> None:
    fast = csv_grid(text)
    assert fast is not None
    slow = python_engine(text)
    fast.columns = slow.columns
    pd.testing.assert_frame_equal(fast, slow.astype(object), check_dtype=False)
    assert all(isinstance(v, str) or v is np.nan for v in fast.to_numpy().ravel())


@pytest.mark.parametrize("text", ["a,b,c\n1,2\n3,4,5\n", "a,b\n1,2,3\n", "\n\n"])
def test_files_read_differently_fall_back_to_the_python_engine(text: str) -> None:
    assert csv_grid(text) is None


VALUES = [
    "2026-03-01",
    "2026-03-01 14:30",
    "2026-03-01T14:30:05",
    "2026-3-1",
    " 2026-03-01 ",
    "2026/3/1 9:05",
    "2026年3月1日",
    "2026-03-01 14:30:05+08:00",
    "2026-03-01T06:30:05Z",
    "2026-02-30",
    "2026-03",
    "01/03/2026",
    "n/a",
    "",
    np.nan,
    "2026-03-01 25:00",
]


def test_dates_parse_as_the_per_value_parser_does() -> None:
    raw = pd.Series(VALUES, dtype=object)
    for timezone in ("UTC", "Asia/Shanghai"):
        fast = parse_datetimes(raw, timezone)
        slow = _parse_datetimes_each(raw, timezone)
        for a, b in zip(fast, slow, strict=True):
            pd.testing.assert_series_equal(a, b, check_names=False)
    parsed, done = iso_datetimes(raw)
    # only plain ISO values that are real dates are taken in bulk
    assert raw[done].tolist() == ["2026-03-01", "2026-03-01 14:30", "2026-03-01T14:30:05"]
    assert parsed[done].tolist() == [
        pd.Timestamp("2026-03-01"),
        pd.Timestamp("2026-03-01 14:30"),
        pd.Timestamp("2026-03-01 14:30:05"),
    ]


def test_missing_values_and_trimming_match_python() -> None:
    raw = pd.Series([" NaN ", "N/A", "-", "x", None, np.nan, "  Retail\u3000", "\u00a0a"])
    slow_missing = raw.isna() | raw.astype(str).str.strip().str.lower().isin(MISSING_TOKENS)
    fast_missing = missing_mask(raw, MISSING_TOKENS)
    assert fast_missing.tolist() == slow_missing.tolist()
    slow = raw.astype("string").str.strip().mask(slow_missing).astype("object")
    fast = stripped_text(raw, fast_missing)
    assert [None if v is pd.NA else v for v in fast] == [None if v is pd.NA else v for v in slow]
    # a separator character Python strips and Arrow would not: the Python path is used
    assert stripped_text(pd.Series(["\x1ca"]), pd.Series([False])) is None

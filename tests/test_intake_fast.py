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


MESSY = (
    "deal_id,created_at,owner_id,status,closed_at,amount,segment,region,,lost_reason\n"
    ' D1 ,2026-03-01,R1,won,2026-03-20,"1,200.50",Retail\u3000,East,x,\n'
    "D2,2026/3/2 10:00,R2, Closed Won ,2026-03-20,¥300,n/a,,y,\n"
    "D3,2026-03-03,R1,lost,2026-02-30,abc,-,West,,price\n"
    "D3,2026年3月4日,,maybe,,-5,Retail,West,,\n"
    "D5,,R3,open,,007,\u00a0SMB,East,,\n"
)
EVENTS = (
    "deal_id,stage,entered_at,owner_id\n"
    "D1, Lead ,2026-03-01,R1\nD1,Won,2026-03-20 10:00,R1\nD9,Lead,2026-03-01,\n"
    "D2,Nowhere,01/03/2026,R2\nD5,Lead,2026-01-01,R3\n"
)
ACTIVITIES = (
    "deal_id,at,type,actor_id,team,content_id\n"
    "D1,2026-03-02, call ,R1,sales,\nD2,2026-03-03,email,R2,engineering,\n"
    "D5,2026-03-04,#N/A,,  marketing ,\nD9,2026-03-05,meeting,R3,,\n"
)


CLEAN = {
    "deals.csv": (
        "deal_id,created_at,owner_id,status,closed_at,amount,segment,region,,lost_reason\n"
        ' D1 ,2026-03-01,R1,won,2026-03-20,"1,200.50",Retail\u3000,East,x,\n'
        "D2,2026/3/2 10:00,R2, Closed Won ,2026-03-20,¥300,n/a,,y,\n"
        "D3,2026-03-03,R1,lost,2026-03-30,,-,West,,price\n"
        "D5,2026年3月4日,R3,open,,007,\u00a0SMB,East,,\n"
    ),
    "stage_events.csv": (
        "deal_id,stage,entered_at,owner_id\n"
        "D1, Lead ,2026-03-01,R1\nD1,Won,2026-03-20 10:00,R1\nD3,Lead,2026-03-03,\n"
        "D5,Lead,2026-03-05,R3\n"
    ),
    "activities.csv": (
        "deal_id,at,type,actor_id,team,content_id\n"
        "D1,2026-03-02, call ,R1,sales,\nD2,2026-03-03,email,R2,,\n"
        "D5,2026-03-06,#N/A,,  marketing ,\nD3,2026-03-05,meeting,R3,,\n"
    ),
}
BROKEN = {"deals.csv": MESSY, "stage_events.csv": EVENTS, "activities.csv": ACTIVITIES}


@pytest.mark.parametrize("broken", [False, True])
def test_arrow_text_gives_the_tables_and_problems_of_object_text(
    tmp_path, monkeypatch, broken: bool
) -> None:
    """Long tables read as Arrow-backed text load exactly as the same text read as
    Python objects: every table cell for cell and dtype for dtype, or the same problems."""
    from playbook.exceptions import DataError
    from playbook.workspace import reading
    from playbook.workspace.load import load_workspace
    from playbook.workspace.template import init_workspace

    ws = tmp_path / "ws"
    init_workspace(ws)
    for name, text in (BROKEN if broken else CLEAN).items():
        (ws / name).write_text(text, encoding="utf-8")

    def load():
        try:
            return load_workspace(ws)
        except DataError as err:
            return [vars(p) for p in err.problems]

    monkeypatch.setenv("PLAYBOOK_CACHE", "off")
    arrow = load()
    monkeypatch.setattr(reading, "ARROW_TABLES", ())
    objects = load()
    if broken:
        assert isinstance(arrow, list) and arrow == objects
        return
    assert not isinstance(arrow, list), arrow
    assert arrow.present() == objects.present()
    for table in arrow.present():
        a, b = arrow.table(table), objects.table(table)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert a.dtypes.to_dict() == b.dtypes.to_dict()
        for column in a.columns:
            assert [type(v) for v in a[column]] == [type(v) for v in b[column]], column
    assert isinstance(arrow.deals["segment"].dtype, pd.CategoricalDtype)

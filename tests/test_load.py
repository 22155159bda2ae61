"""Loading and validating workspaces: formats, encodings, and a corpus of bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import DEALS_CSV, EVENTS_CSV, write_workspace

from playbook.cli import main
from playbook.exceptions import DataError
from playbook.workspace.cache import load_cache, save_cache
from playbook.workspace.config import default_config
from playbook.workspace.dataset import Dataset
from playbook.workspace.load import load_workspace

GOOD = {"deals.csv": DEALS_CSV, "stage_events.csv": EVENTS_CSV}

# --- valid inputs in every supported format and encoding ---------------------------------


def test_tiny_workspace_loads_with_canonical_types(tiny_workspace: Path) -> None:
    data = load_workspace(tiny_workspace)
    assert len(data.deals) == 3
    assert str(data.deals["created_at"].dtype) == "datetime64[ns]"
    assert data.deals.loc[data.deals["deal_id"] == "D2", "created_at"].iloc[0] == pd.Timestamp(
        "2026-03-02 10:00"
    )
    assert list(data.stage_events["stage"].cat.categories) == [
        "lead",
        "intent",
        "proposal",
        "negotiation",
        "signed",
    ]
    assert data.stage_events["stage"].astype(str).tolist() == [
        "lead",
        "intent",
        "signed",
        "lead",
        "lead",
        "proposal",
    ]
    assert data.stage_events["stage_raw"].astype(str).tolist()[1] == "Intent"
    assert data.activities is None and data.present() == ["deals", "stage_events"]


def test_utf8_bom_csv(tmp_path: Path) -> None:
    ws = write_workspace(
        tmp_path,
        {"deals.csv": b"\xef\xbb\xbf" + DEALS_CSV.encode(), "stage_events.csv": EVENTS_CSV},
    )
    data = load_workspace(ws)
    assert "deal_id" in data.deals.columns
    assert data.encodings["deals"] == "utf-8-sig"


def test_gb18030_csv_with_chinese_stages_and_dates(tmp_path: Path) -> None:
    deals = (
        "deal_id,created_at,owner_id,status,closed_at,amount,segment\n"
        'D1,2026年3月1日,张伟,赢单,2026年3月20日,"¥1,200",制造业\n'
        "D2,2026/3/2 10:00,李娜,进行中,,800,零售\n"
    )
    events = (
        "deal_id,stage,entered_at\n"
        "D1,线索,2026年3月1日\nD1,意向,2026年3月5日 14:30\nD1,签约,2026年3月20日\n"
        "D2,线索,2026/3/2 10:00\n"
    )
    ws = write_workspace(
        tmp_path,
        {"deals.csv": deals.encode("gb18030"), "stage_events.csv": events.encode("gb18030")},
    )
    data = load_workspace(ws)
    assert data.encodings["deals"] == "gb18030"
    assert data.deals["status"].astype(str).tolist() == ["won", "open"]
    assert data.deals["segment"].astype(str).tolist() == ["制造业", "零售"]
    assert data.deals["amount"].tolist() == [1200.0, 800.0]
    assert data.deals["owner_id"].astype(str).tolist() == ["张伟", "李娜"]
    assert data.stage_events["entered_at"].iloc[1] == pd.Timestamp("2026-03-05 14:30")
    assert data.stage_events["stage"].astype(str).tolist() == ["lead", "intent", "signed", "lead"]


def test_excel_and_parquet(tmp_path: Path) -> None:
    from io import StringIO

    deals = pd.read_csv(StringIO(DEALS_CSV), dtype=str)
    events = pd.read_csv(StringIO(EVENTS_CSV), dtype=str)
    ws = tmp_path / "ws"
    ws.mkdir()
    deals.to_excel(ws / "deals.xlsx", index=False)
    events.to_parquet(ws / "stage_events.parquet", index=False)
    data = load_workspace(ws)
    assert data.files == {"deals": "deals.xlsx", "stage_events": "stage_events.parquet"}
    assert data.deals["closed_at"].iloc[0] == pd.Timestamp("2026-03-20")
    assert len(data.stage_events) == 6


def test_excel_title_rows_above_header_are_skipped(tmp_path: Path) -> None:
    """WPS/Excel reports often carry a title row; the header is found below it."""
    from io import StringIO

    deals = pd.read_csv(StringIO(DEALS_CSV), dtype=str)
    ws = tmp_path / "ws"
    ws.mkdir()
    with pd.ExcelWriter(ws / "deals.xlsx") as writer:
        pd.DataFrame([["商机报表 2026年3月"]]).to_excel(writer, index=False, header=False)
        deals.to_excel(writer, index=False, startrow=2)
    (ws / "stage_events.csv").write_text(EVENTS_CSV, encoding="utf-8")
    data = load_workspace(ws)
    assert len(data.deals) == 3
    assert any("header found on row 3" in note for note in data.notes)


def test_header_only_optional_table_is_treated_as_absent(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path, {**GOOD, "activities.csv": "deal_id,at,type,actor_id,team\n"})
    data = load_workspace(ws)
    assert data.activities is None
    assert any("header only" in note for note in data.notes)


def test_utc_offsets_are_converted_to_the_workspace_timezone(tmp_path: Path) -> None:
    events = EVENTS_CSV.replace("2026-03-05", "2026-03-05T02:00:00Z").replace(
        "2026-03-20\n", "2026-03-20T00:00+08:00\n"
    )
    events = (
        "deal_id,stage,entered_at\nD1,Intent,2026-03-05T02:00:00Z\nD1,Lead,2026-03-01T00:00+08:00\n"
    )
    ws = write_workspace(
        tmp_path,
        {
            "deals.csv": DEALS_CSV,
            "stage_events.csv": events,
            "pilot.yml": "timezone: Asia/Shanghai\n",
        },
    )
    data = load_workspace(ws)
    assert data.stage_events["entered_at"].tolist() == [
        pd.Timestamp("2026-03-05 10:00"),
        pd.Timestamp("2026-03-01 00:00"),
    ]


# --- the corpus of malformed inputs ----------------------------------------------------------


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _latin1() -> bytes:
    return (
        "deal_id,created_at,owner_id,status,closed_at\n"
        "D1,2026-03-01,Müller,open,\nD2,2026-03-01,Sørensen,open,\n"
    ).encode("latin-1")


def _many_unknown_events() -> str:
    rows = [f"X{i // 3},Lead,2026-03-0{1 + i % 3}" for i in range(90)]
    return EVENTS_CSV + "\n".join(rows) + "\n"


def _excel_title_with_bad_value(folder: Path) -> None:
    from io import StringIO

    deals = pd.read_csv(StringIO(_replace(DEALS_CSV, "800", "eight hundred")), dtype=str)
    with pd.ExcelWriter(folder / "deals.xlsx") as writer:
        pd.DataFrame([["Pipeline report"]]).to_excel(writer, index=False, header=False)
        deals.to_excel(writer, index=False, startrow=1)


# Each case: files to write over the good workspace ("-" deletes one), then the expected
# problems as (file, row, column, words in the message or fix).
CORPUS = {
    "no deals file": ({"deals.csv": None}, [("deals.csv", None, None, "required table 'deals'")]),
    "no stage events file": (
        {"stage_events.csv": None},
        [("stage_events.csv", None, None, "required table 'stage_events'")],
    ),
    "empty file": ({"deals.csv": ""}, [("deals.csv", None, None, "empty (0 bytes)")]),
    "header only": (
        {"deals.csv": DEALS_CSV.splitlines()[0] + "\n"},
        [("deals.csv", None, None, "header but no rows")],
    ),
    "missing column": (
        {"deals.csv": DEALS_CSV.replace("owner_id,", "").replace("R1,", "").replace("R2,", "")},
        [("deals.csv", 1, "owner_id", "required column is missing")],
    ),
    "misspelt column": (
        {"deals.csv": _replace(DEALS_CSV, "created_at", "created_date")},
        [("deals.csv", 1, "created_at", "did you mean 'created_date'")],
    ),
    "unparseable date": (
        {"deals.csv": _replace(DEALS_CSV, "2026-03-03", "next week")},
        [("deals.csv", 4, "created_at", "not a date")],
    ),
    "impossible date": (
        {"deals.csv": _replace(DEALS_CSV, "2026-03-20", "2026-13-20")},
        [("deals.csv", 2, "closed_at", "not a date")],
    ),
    "unknown status": (
        {"deals.csv": _replace(DEALS_CSV, "open", "maybe")},
        [("deals.csv", 4, "status", "unknown status")],
    ),
    "won without close date": (
        {"deals.csv": _replace(DEALS_CSV, "won,2026-03-20", "won,")},
        [("deals.csv", 2, "closed_at", "without a close date")],
    ),
    "closed before created": (
        {"deals.csv": _replace(DEALS_CSV, "2026-03-10", "2026-02-10")},
        [("deals.csv", 3, "closed_at", "closed before it was created")],
    ),
    "negative amount": (
        {"deals.csv": _replace(DEALS_CSV, "800", "-800")},
        [("deals.csv", 3, "amount", "negative")],
    ),
    "text amount": (
        {"deals.csv": _replace(DEALS_CSV, "300", "three hundred")},
        [("deals.csv", 4, "amount", "not a number")],
    ),
    "duplicate id": (
        {"deals.csv": DEALS_CSV + "D3,2026-03-04,R2,open,,10,Energy,West\n"},
        [("deals.csv", 4, "deal_id", "duplicate"), ("deals.csv", 5, "deal_id", "duplicate")],
    ),
    "unknown stage": (
        {"stage_events.csv": _replace(EVENTS_CSV, "D1,Intent", "D1,Qualifcation")},
        [("stage_events.csv", 3, "stage", "did you mean 'Qualification'")],
    ),
    "event for unknown deal": (
        {"stage_events.csv": EVENTS_CSV + "D9,Lead,2026-03-05\n"},
        [("stage_events.csv", 8, "deal_id", "not found in deals")],
    ),
    "event before creation": (
        {"stage_events.csv": _replace(EVENTS_CSV, "D3,Lead,2026-03-03", "D3,Lead,2026-02-03")},
        [("stage_events.csv", 6, "entered_at", "before the deal was created")],
    ),
    "empty deal id in events": (
        {"stage_events.csv": EVENTS_CSV + ",Lead,2026-03-05\n"},
        [("stage_events.csv", 8, "deal_id", "is empty")],
    ),
    "mixed time zones": (
        {
            "stage_events.csv": _replace(
                EVENTS_CSV, "D1,Intent,2026-03-05", "D1,Intent,2026-03-05T09:00+08:00"
            )
        },
        [("stage_events.csv", 2, "entered_at", "mixes times with a UTC offset")],
    ),
    "gb18030 with unknown chinese stage": (
        {
            "stage_events.csv": (
                "deal_id,stage,entered_at\nD1,线索,2026年3月1日\nD1,报价单,2026年3月5日\n"
                "D2,线索,2026-03-02 10:00\n"
            ).encode("gb18030")
        },
        [("stage_events.csv", 3, "stage", "stage '报价单' matches no stage")],
    ),
    "latin-1 file": (
        {"deals.csv": _latin1()},
        [("deals.csv", None, None, "neither UTF-8 nor GB18030")],
    ),
    "events far larger than deals": (
        {"stage_events.csv": _many_unknown_events()},
        [
            ("stage_events.csv", 8, "deal_id", "not found in deals"),
            ("stage_events.csv", None, "deal_id", "refer to 30 unknown deals"),
            ("stage_events.csv", None, "deal_id", "more rows with the same problem"),
        ],
    ),
    "config typo": (
        {"pilot.yml": "langauge: zh\n"},
        [("pilot.yml", None, "langauge", "did you mean 'language'")],
    ),
    "config not yaml": (
        {"pilot.yml": "funnel: [unclosed\n"},
        [("pilot.yml", 2, None, "not valid YAML")],
    ),
    "config bad timezone": (
        {"pilot.yml": "timezone: Beijing\n"},
        [("pilot.yml", None, "timezone", "unknown time zone")],
    ),
    "activity team not allowed": (
        {"activities.csv": "deal_id,at,type,actor_id,team\nD1,2026-03-02,call,R1,sales dept\n"},
        [("activities.csv", 2, "team", "not an allowed value")],
    ),
    "duplicate rep": (
        {"reps.csv": "rep_id,name,team\nR1,Ann,A\nR1,Bob,B\n"},
        [("reps.csv", 2, "rep_id", "duplicate"), ("reps.csv", 3, "rep_id", "duplicate")],
    ),
    "assessment dimension and scale": (
        {"assessments.csv": "rep_id,dimension,score\nR1,needs_discvery,3\nR1,reflection,9\n"},
        [
            ("assessments.csv", 2, "dimension", "did you mean 'needs_discovery'"),
            ("assessments.csv", 3, "score", "outside the scale"),
        ],
    ),
    "outcome for a lost deal": (
        {"outcomes.csv": "deal_id,delayed\nD2,false\n"},
        [("outcomes.csv", 2, "deal_id", "not won")],
    ),
    "outcome bad boolean": (
        {"outcomes.csv": "deal_id,delayed\nD1,maybe\n"},
        [("outcomes.csv", 2, "delayed", "not a yes/no value")],
    ),
    "duplicated header column": (
        {"deals.csv": _replace(DEALS_CSV, "segment,region", "segment,segment")},
        [("deals.csv", 1, "segment", "more than once")],
    ),
    "unsupported file type": (
        {"pilot.yml": "tables:\n  activities: activities.txt\n", "activities.txt": "deal_id\tat\n"},
        [("activities.txt", None, None, "unsupported file type")],
    ),
    "excel title row and bad value": (
        _excel_title_with_bad_value,
        [("deals.xlsx", 4, "amount", "not a number")],
    ),
}


def _build(tmp_path: Path, change) -> Path:
    ws = tmp_path / "ws"
    write_workspace(ws, GOOD)
    if callable(change):
        (ws / "deals.csv").unlink()
        change(ws)
        return ws
    for name, content in change.items():
        if content is None:
            (ws / name).unlink()
        else:
            write_workspace(ws, {name: content})
    return ws


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 25


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_malformed_input_lists_the_problem_and_exits_2(case: str, tmp_path: Path, capsys) -> None:
    change, expected = CORPUS[case]
    ws = _build(tmp_path, change)
    with pytest.raises(DataError) as info:
        load_workspace(ws)
    problems = info.value.problems
    for file, row, column, words in expected:
        matches = [
            p
            for p in problems
            if p.file == file
            and p.row == row
            and (column is None or p.column == column)
            and words in p.format()
        ]
        assert matches, f"expected ({file}, row {row}, {column}, {words!r}) in:\n{info.value}"
    code = main(["validate", str(ws)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert f"{info.value.count:,} problem" in err


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    deals = _replace(_replace(DEALS_CSV, "800", "-800"), "2026-03-03", "soon")
    events = _replace(EVENTS_CSV, "D1,Intent", "D1,Intnet")
    ws = write_workspace(tmp_path, {"deals.csv": deals, "stage_events.csv": events})
    with pytest.raises(DataError) as info:
        load_workspace(ws)
    columns = {(p.file, p.column) for p in info.value.problems}
    assert {
        ("deals.csv", "amount"),
        ("deals.csv", "created_at"),
        ("stage_events.csv", "stage"),
    } <= columns
    table = info.value.table()
    assert list(table.columns) == ["file", "row", "column", "value", "problem", "fix"]
    assert "soon" in table["value"].tolist()


def test_problem_shows_the_value_as_typed(tmp_path: Path) -> None:
    ws = write_workspace(
        tmp_path,
        {
            "deals.csv": _replace(DEALS_CSV, "2026-03-03", "2026-3-32"),
            "stage_events.csv": EVENTS_CSV,
        },
    )
    with pytest.raises(DataError) as info:
        load_workspace(ws)
    assert info.value.problems[0].value == "2026-3-32"
    assert "(found '2026-3-32')" in str(info.value)


def test_validate_prints_inventory_for_a_valid_workspace(tiny_workspace: Path, capsys) -> None:
    assert main(["validate", str(tiny_workspace)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "deals" in out and "3 rows" in out
    assert "activities" in out and "not provided" in out


def test_validate_json_lists_problems(tmp_path: Path, capsys) -> None:
    import json

    ws = write_workspace(
        tmp_path, {"deals.csv": _replace(DEALS_CSV, "800", "-800"), "stage_events.csv": EVENTS_CSV}
    )
    assert main(["validate", str(ws), "--json"]) == 2
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is False
    assert result["problems"][0]["column"] == "amount"


# --- the Parquet cache the steps share ----------------------------------------------------


def _assert_same_dataset(a, b) -> None:
    assert a.present() == b.present()
    for table in a.present():
        pd.testing.assert_frame_equal(a.table(table), b.table(table), check_exact=True)
    assert (a.workspace, a.files, a.encodings, a.notes) == (
        b.workspace,
        b.files,
        b.encodings,
        b.notes,
    )
    assert a.config == b.config


def test_cache_round_trip_equals_the_workspace_with_chinese_text_and_gaps(tmp_path: Path) -> None:
    deals = (
        "deal_id,created_at,owner_id,status,closed_at,amount,segment\n"
        "合同-1,2026-03-01,张伟,won,2026-03-20,1200,制造业\n"
        "合同-2,2026-03-02 10:00,李娜,open,,,\n"
        "D3,2026-03-03,王芳,lost,2026-03-09,300,零售\n"
    )
    events = (
        "deal_id,stage,entered_at\n"
        "合同-1,Lead,2026-03-01\n合同-1,Signed,2026-03-20\nD3,Lead,2026-03-03\n"
        "合同-2,Lead,2026-03-02 10:00\n"
    )
    activities = (
        "deal_id,type,at,actor_id\n合同-2,电话,2026-03-04 09:15,张伟\nD3,email,2026-03-05,R9\n"
        "D3,visit,2026-03-06,\n"
    )
    ws = write_workspace(
        tmp_path / "ws",
        {"deals.csv": deals, "stage_events.csv": events, "activities.csv": activities},
    )
    data = load_workspace(ws)
    assert data.deals["deal_id"].dtype == object  # text ids stay text, not categories
    cache = save_cache(data, tmp_path / "cache")
    back = load_cache(cache)
    _assert_same_dataset(data, back)
    assert back.deals["deal_id"].tolist() == ["合同-1", "合同-2", "D3"]
    assert pd.isna(back.deals["segment"].iloc[1])
    assert pd.isna(back.deals["closed_at"].iloc[1]) and pd.isna(back.deals["amount"].iloc[1])
    # the ids are stored once; the tables hold int32 positions
    stored = pd.read_parquet(cache / "stage_events.parquet")
    assert stored["deal_id"].dtype == "int32"
    assert stored["deal_id"].tolist() == [0, 0, 2, 1]
    assert pd.read_parquet(cache / "deal_ids.parquet")["deal_id"].tolist() == [
        "合同-1",
        "合同-2",
        "D3",
    ]


def test_cache_shares_one_categorical_deal_id_and_stores_nanoseconds(tmp_path: Path) -> None:
    ids = pd.CategoricalDtype(["D1", "D2", "D3"])
    stage = pd.CategoricalDtype(["lead", "intent"], ordered=True)
    deals = pd.DataFrame(
        {
            "deal_id": pd.Categorical(["D1", "D2", "D3"], dtype=ids),
            "created_at": pd.to_datetime(["2026-03-01", "2026-03-02", None]).astype(
                "datetime64[us]"
            ),
            "status": pd.Categorical(["won", "open", "lost"]),
        }
    )
    events = pd.DataFrame(
        {
            "deal_id": pd.Categorical(["D3", None, "D1"], dtype=ids),
            "stage": pd.Categorical(["intent", "lead", "lead"], dtype=stage),
            "entered_at": pd.to_datetime(
                ["2026-03-04", "2026-03-05", "2026-03-06T07:08:09"], format="ISO8601"
            ),
        }
    )
    data = Dataset(config=default_config(), deals=deals, stage_events=events)
    back = load_cache(save_cache(data, tmp_path / "cache"))
    pd.testing.assert_frame_equal(
        back.deals, deals.assign(created_at=deals["created_at"].astype("datetime64[ns]"))
    )
    pd.testing.assert_frame_equal(back.stage_events, events)
    assert back.deals["deal_id"].cat.categories is back.stage_events["deal_id"].cat.categories
    assert back.stage_events["deal_id"].cat.codes.tolist() == [2, -1, 0]


def test_cache_of_the_sample_workspace_round_trips(small_sample: Path, tmp_path: Path) -> None:
    data = load_workspace(small_sample)
    assert {"activities", "outcomes"} <= set(data.present())
    _assert_same_dataset(data, load_cache(save_cache(data, tmp_path / "cache")))


def test_cache_written_before_shared_ids_still_loads(tiny_workspace: Path, tmp_path: Path) -> None:
    data = load_workspace(tiny_workspace)
    cache = save_cache(data, tmp_path / "cache")
    meta = json.loads((cache / "config.json").read_text(encoding="utf-8"))
    del meta["deal_ids"]
    (cache / "config.json").write_text(json.dumps(meta), encoding="utf-8")
    for table in data.present():
        data.table(table).to_parquet(cache / f"{table}.parquet", index=False)
    _assert_same_dataset(data, load_cache(cache))


def test_an_unknown_status_is_one_problem_not_two(tmp_path: Path) -> None:
    deals = _replace(_replace(DEALS_CSV, "open", "maybe"), "lost", "perhaps")
    ws = write_workspace(tmp_path, {"deals.csv": deals, "stage_events.csv": EVENTS_CSV})
    with pytest.raises(DataError) as info:
        load_workspace(ws)
    status = [(p.row, p.value) for p in info.value.problems if p.column == "status"]
    assert sorted(status) == [(3, "perhaps"), (4, "maybe")]


# --- huge or odd input: problem lists stay short ---------------------------------------------


def test_a_hundred_thousand_duplicate_ids_print_a_short_list(tmp_path: Path, capsys) -> None:
    """Once every duplicate row was listed: a million of them printed 151 MB."""
    n = 100_000
    ws = write_workspace(
        tmp_path / "dups",
        {
            "deals.csv": "deal_id,created_at,owner_id,status,closed_at\n"
            + "D1,2026-03-01,R1,open,\n" * n,
            "stage_events.csv": "deal_id,stage,entered_at\nD1,Lead,2026-03-01\n",
        },
    )
    assert main(["validate", str(ws)]) == 2
    err = capsys.readouterr().err
    assert len(err) < 6_000, len(err)
    assert err.startswith("100,000 problems found in the input:")
    assert "deals.csv row 2, column 'deal_id': duplicate deal_id" in err
    assert "deals.csv row 21, column 'deal_id'" in err and "row 22," not in err
    assert (
        "deals.csv, column 'deal_id': … and 99,980 more rows with the same problem "
        "(duplicate deal_id; 100,000 in all)"
    ) in err
    assert main(["validate", "--json", str(ws)]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["problems_found"] == n
    assert len(report["problems"]) == 21
    assert report["problems"][-1]["problem"].startswith("… and 99,980 more rows")


def test_every_kind_of_problem_is_capped_on_its_own() -> None:
    """A million problems of one kind from any source keep 20 lines; other kinds stay whole."""
    from playbook.exceptions import Problem

    many = [
        Problem(file="deals.csv", row=i, column="amount", message="not a number")
        for i in range(2, 1_000_002)
    ]
    few = [Problem(file="deals.csv", row=5, column="status", message="unknown status")]
    error = DataError(many + few)
    text = str(error)
    assert error.count == 1_000_001
    assert len(text.splitlines()) == 1 + 20 + 1 + 1
    assert "… and 999,980 more rows with the same problem (not a number; 1,000,000 in all)" in text
    assert "row 5, column 'status': unknown status" in text
    assert len(error.table()) == 22


def test_many_unknown_stage_names_are_listed_once_each_and_capped(tmp_path: Path) -> None:
    names = [f"Stage{i:05d}" for i in range(5_000)]
    events = "deal_id,stage,entered_at\n" + "".join(
        f"D1,{name},2026-03-0{1 + i % 2}\n" for i, name in enumerate(names + names)
    )
    ws = write_workspace(tmp_path / "stages", {"deals.csv": DEALS_CSV, "stage_events.csv": events})
    with pytest.raises(DataError) as info:
        load_workspace(ws)
    stage = [p for p in info.value.problems if p.column == "stage"]
    assert len(stage) == 21
    assert stage[0].row == 2 and stage[0].message == (
        "stage 'Stage00000' matches no stage in pilot.yml (2 rows, the first shown)"
    )
    assert stage[-1].message.startswith("… and 4,980 more stage names with the same problem")
    assert "10,000 rows" in stage[-1].message


def test_a_huge_value_is_quoted_shortened(tmp_path: Path) -> None:
    huge = "Q" * 120_000
    events = f"deal_id,stage,entered_at\nD1,Lead,2026-03-01\nD2,{huge},2026-03-02\n"
    ws = write_workspace(tmp_path / "huge", {"deals.csv": DEALS_CSV, "stage_events.csv": events})
    with pytest.raises(DataError) as info:
        load_workspace(ws)
    assert len(str(info.value)) < 1_000
    assert "Q" * 119 + "…" in str(info.value)


def test_a_long_intake_says_which_table_it_has_read_and_checked(
    small_sample, monkeypatch, caplog
) -> None:
    import logging

    from playbook.workspace import reading
    from playbook.workspace.load import load_workspace
    from playbook.workspace.schema import TABLES

    monkeypatch.setattr(reading, "PROGRESS_ROWS", 2000)
    with caplog.at_level(logging.INFO, logger="playbook.workspace"):
        load_workspace(small_sample)
    rows = {
        t: len(pd.read_csv(small_sample / f"{t}.csv"))
        for t in TABLES
        if (small_sample / f"{t}.csv").exists()
    }
    big = [t for t in TABLES if rows.get(t, 0) >= 2000]
    assert big and len(big) < len(rows), rows  # tables above and below the limit
    expected = [f"{done} {t}.csv: {rows[t]:,} rows" for done in ("read", "checked") for t in big]
    lines = [r.getMessage() for r in caplog.records if r.name == "playbook.workspace.reading"]
    assert [line.strip().rsplit(" (", 1)[0] for line in lines] == expected
    assert all(line.endswith(" s)") for line in lines), lines


def test_a_small_intake_prints_no_progress(small_sample, caplog) -> None:
    import logging

    from playbook.workspace.load import load_workspace

    with caplog.at_level(logging.INFO, logger="playbook.workspace"):
        load_workspace(small_sample)
    assert not [r for r in caplog.records if r.name == "playbook.workspace.reading"]

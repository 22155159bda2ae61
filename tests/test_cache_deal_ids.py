"""The cache's shared ``deal_id`` values: written distinct, read back without re-checking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from playbook.workspace.cache import CACHE_DEAL_IDS, _distinct_index, load_cache, save_cache
from playbook.workspace.config import default_config
from playbook.workspace.dataset import Dataset


def _text_id_dataset() -> Dataset:
    """Text ids repeated within and across tables, and event ids no deal has."""
    deals = pd.DataFrame(
        {
            "deal_id": ["D2", "D1", "D3"],
            "created_at": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03"]),
            "status": ["won", "open", "lost"],
        }
    )
    events = pd.DataFrame(
        {
            "deal_id": ["D3", "D9", "D1", "D9", "D3", None, "D8"],
            "stage": ["lead"] * 7,
            "entered_at": pd.to_datetime(["2026-03-04"] * 7),
        }
    )
    return Dataset(config=default_config(), deals=deals, stage_events=events)


def _categorical_id_dataset() -> Dataset:
    ids = pd.CategoricalDtype(["D1", "D2", "D3", "D4"])
    deals = pd.DataFrame(
        {
            "deal_id": pd.Categorical(["D4", "D2", "D1"], dtype=ids),
            "created_at": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03"]),
            "status": ["won", "open", "lost"],
        }
    )
    events = pd.DataFrame(
        {
            "deal_id": pd.Categorical(["D3", "D3", None, "D1"], dtype=ids),
            "stage": ["lead"] * 4,
            "entered_at": pd.to_datetime(["2026-03-04"] * 4),
        }
    )
    return Dataset(config=default_config(), deals=deals, stage_events=events)


def test_the_written_deal_ids_are_distinct(tmp_path: Path) -> None:
    # load_cache relies on it: it does not check the values again
    for i, data in enumerate((_text_id_dataset(), _categorical_id_dataset())):
        cache = save_cache(data, tmp_path / f"cache{i}")
        written = pq.read_table(cache / CACHE_DEAL_IDS).column("deal_id").to_pylist()
        assert len(written) == len(set(written)) > 0
        assert None not in written


def test_read_back_ids_equal_the_saved_ones_and_share_no_objects(tmp_path: Path) -> None:
    data = _text_id_dataset()
    back = load_cache(save_cache(data, tmp_path / "cache"))
    for table in ("deals", "stage_events"):
        pd.testing.assert_frame_equal(back.table(table), data.table(table), check_exact=True)
    events = back.stage_events["deal_id"]
    assert events.tolist() == ["D3", "D9", "D1", "D9", "D3", None, "D8"]
    assert (events == back.deals["deal_id"].iloc[2]).tolist() == [
        True,
        False,
        False,
        False,
        True,
        False,
        False,
    ]


def test_read_back_categories_behave_as_checked_ones(tmp_path: Path) -> None:
    data = _categorical_id_dataset()
    back = load_cache(save_cache(data, tmp_path / "cache"))
    loaded = back.deals["deal_id"].dtype
    checked = pd.CategoricalDtype(pd.Index(["D1", "D2", "D3", "D4"], dtype=object))
    assert loaded == checked
    assert loaded.categories.is_unique
    assert loaded.categories.get_indexer(["D3", "D5", "D1"]).tolist() == [2, -1, 0]
    events = back.stage_events["deal_id"]
    assert events.cat.codes.tolist() == [2, 2, -1, 0]
    assert events.value_counts(dropna=False).to_dict() == {
        "D3": 2,
        "D1": 1,
        np.nan: 1,
        "D2": 0,
        "D4": 0,
    }


def test_a_distinct_index_equals_a_plain_one() -> None:
    values = np.array(["b", "a", "c"], dtype=object)
    index = _distinct_index(values)
    assert index.equals(pd.Index(values, dtype=object))
    assert index.dtype == object
    assert index.is_unique
    assert index.get_loc("c") == 2

"""The validated tables as Parquet for the step notebooks: written once per run, read by each step,
with deal ids stored compactly and the config beside them."""

from __future__ import annotations

import atexit
import functools
import gc
import json
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.exceptions import (
    Note,
    note_from_record,
)
from playbook.workspace.config import parse_config
from playbook.workspace.dataset import Dataset
from playbook.workspace.schema import (
    TABLES,
)

CACHE_CONFIG = "config.json"


#: Holds the distinct ``deal_id`` values once; the tables store int32 positions into it.
CACHE_DEAL_IDS = "deal_ids.parquet"


#: Tables whose ``deal_id`` column the cache stores as positions into ``CACHE_DEAL_IDS``.
DEAL_ID_TABLES = ("deals", "stage_events", "activities", "outcomes")


def _is_text(values: pd.Index | pd.Series) -> bool:
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def _deal_id_plan(dataset: Dataset) -> tuple[pd.Index | None, dict[str, str]]:
    """The shared ``deal_id`` values and, per table, how its column is stored.

    ``"category"``: every such table holds a categorical over the very same categories
    (rebuilt as one shared dtype on read); ``"object"``: text ids (rebuilt by taking
    from the shared values). Tables left out of the plan are written as they are.
    """
    columns = {
        t: dataset.table(t)["deal_id"]
        for t in DEAL_ID_TABLES
        if dataset.table(t) is not None and "deal_id" in dataset.table(t)
    }
    if "deals" not in columns:
        return None, {}
    kinds = {t: _deal_id_kind(c) for t, c in columns.items()}
    dtypes = [c.dtype for t, c in columns.items() if kinds[t] == "category"]
    if dtypes:
        first = dtypes[0]
        same = all(d == first and d.categories.equals(first.categories) for d in dtypes)
        if not same or not _is_text(first.categories):
            kinds = {t: k for t, k in kinds.items() if k != "category"}
            dtypes = []
    if dtypes:
        values = dtypes[0].categories
        extra: list[pd.Series] = []
    else:
        values = pd.Index([], dtype=object)
        extra = [columns["deals"]] if kinds.get("deals") == "object" else []
    extra += [c for t, c in columns.items() if kinds[t] == "object" and t != "deals"]
    if extra:
        more = pd.Index(pd.unique(pd.concat([s.dropna() for s in extra], ignore_index=True)))
        if not _is_text(more):
            kinds = {t: k for t, k in kinds.items() if k != "object"}
        else:
            values = values.append(more.difference(values, sort=False)) if len(values) else more
    return (values if kinds else None), kinds


def _deal_id_kind(column: pd.Series) -> str | None:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return "category"
    if column.dtype == object and _is_text(column):
        return "object"
    return None


def _as_ns(frame: pd.DataFrame) -> pd.DataFrame:
    """Naive datetime columns at another unit (e.g. from Parquet ``timestamp[us]``) as ns."""
    coarse = {
        c: frame[c].astype("datetime64[ns]")
        for c in frame.columns
        if pd.api.types.is_datetime64_dtype(frame[c].dtype) and frame[c].dtype != "datetime64[ns]"
    }
    return frame.assign(**coarse) if coarse else frame


def save_cache(dataset: Dataset, directory: str | Path) -> Path:
    """Write the validated tables as Parquet so every step loads them in milliseconds.

    ``deal_id`` is written once (``deal_ids.parquet``) and as int32 positions in each
    table, so that reading does not rebuild millions of id strings per table;
    :func:`load_cache` restores the same columns and dtypes. Timestamps are stored
    in nanoseconds (``datetime64[ns]``, as :func:`load_workspace` gives them).
    """
    collect_before_arrow_exits()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    values, kinds = _deal_id_plan(dataset)
    deal_ids = {}
    if values is not None:
        ordered = False
        for table, kind in kinds.items():
            if kind == "category":
                ordered = bool(dataset.table(table)["deal_id"].cat.ordered)
        pd.DataFrame({"deal_id": values.to_numpy(dtype=object)}).to_parquet(
            out / CACHE_DEAL_IDS, index=False
        )
        deal_ids = {"tables": kinds, "ordered": ordered}
    elif (out / CACHE_DEAL_IDS).exists():
        (out / CACHE_DEAL_IDS).unlink()
    for table in dataset.present():
        frame = dataset.table(table)
        kind = kinds.get(table)
        if kind is not None:
            column = frame["deal_id"]
            if kind == "category":
                codes = column.cat.codes.to_numpy()
            else:
                codes = values.get_indexer(column)
            frame = frame.assign(deal_id=codes.astype(np.int32))
        frame = _as_ns(frame)
        frame.to_parquet(out / f"{table}.parquet", index=False)
    meta = {
        "config": dataset.config.model_dump(mode="json"),
        "workspace": dataset.workspace,
        "files": dataset.files,
        "encodings": dataset.encodings,
        "notes": [n.record() if isinstance(n, Note) else n for n in dataset.notes],
        "deal_ids": deal_ids,
    }
    (out / CACHE_CONFIG).write_text(
        json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return out


@functools.cache
def collect_before_arrow_exits() -> None:
    """Collect Python's garbage at exit before pyarrow finalizes its own state.

    Arrow-backed tables left in reference cycles would otherwise be freed by the collection
    Python runs while it finalizes, after pyarrow's exit handlers and when Arrow's threads
    can no longer take the GIL: a process that read a workspace and then its cached copy
    aborted at exit about one time in six ("terminate called without an active
    exception", exit code 134, after all its work was done). Registered once, after
    pyarrow's own handlers, so that it runs before them (exit handlers run last first).
    """
    import pyarrow.parquet  # noqa: F401  (registers pyarrow's exit handlers, if not yet)

    atexit.register(gc.collect)


def _read_parquet(path: Path, distinct_texts: bool = False) -> pd.DataFrame:
    """A Parquet file as pandas, handing Arrow's buffers back as they are converted.

    ``distinct_texts``: the file's strings are known to be all different, so Arrow need not
    hash them to share one Python object between equal strings (most of the time spent
    turning millions of ids into Python strings).
    """
    import pyarrow.parquet as pq

    collect_before_arrow_exits()
    table = pq.read_table(path)
    frame = table.to_pandas(
        split_blocks=True, self_destruct=True, deduplicate_objects=not distinct_texts
    )
    del table
    return frame


def _distinct_index(values: np.ndarray) -> pd.Index:
    """``values`` (known to be all different) as an object Index that knows it is unique.

    ``save_cache`` writes the ``deal_id`` values from a categorical's categories or from
    ``pd.unique``: distinct by construction. pandas checks that categories are unique
    whenever it builds a categorical dtype over them, by hashing every id once per
    Index (seconds for millions of deals) and keeping the answer on the Index; that
    answer is set here instead. Should pandas keep it elsewhere, it checks as before.
    """
    index = pd.Index(values, dtype=object)
    cache = getattr(index, "_cache", None)
    if isinstance(cache, dict):
        cache["is_unique"] = True
    return index


def load_cache(directory: str | Path) -> Dataset:
    """Read a cache written by :func:`save_cache`.

    The tables equal those saved, column by column and dtype by dtype; categorical
    ``deal_id`` columns of several tables share one dtype (no string is hashed to
    match events to deals).
    """
    import pyarrow as pa

    src = Path(directory)
    meta = json.loads((src / CACHE_CONFIG).read_text(encoding="utf-8"))
    plan = meta.get("deal_ids") or {}
    kinds = plan.get("tables", {})
    shared_dtype = values = None
    if kinds:
        ids = _read_parquet(src / CACHE_DEAL_IDS, distinct_texts=True)["deal_id"]
        values = _distinct_index(ids.to_numpy())
        del ids
        if "category" in kinds.values():
            shared_dtype = pd.CategoricalDtype(values, ordered=plan.get("ordered", False))
            values = shared_dtype.categories
        texts = values.to_numpy()
    tables = {}
    for table in TABLES:
        path = src / f"{table}.parquet"
        if not path.exists():
            tables[table] = None
            continue
        frame = _read_parquet(path)
        kind = kinds.get(table)
        if kind is not None:
            codes = frame["deal_id"].to_numpy()
            if kind == "category":
                frame["deal_id"] = pd.Categorical.from_codes(codes, dtype=shared_dtype)
            else:
                ids = texts.take(np.maximum(codes, 0)) if len(texts) else np.full(len(codes), None)
                if (codes < 0).any():
                    ids[codes < 0] = None
                frame["deal_id"] = pd.Series(ids, dtype=object, index=frame.index)
        tables[table] = frame
    pa.default_memory_pool().release_unused()
    return Dataset(
        config=parse_config(meta["config"]),
        workspace=meta["workspace"],
        files=meta["files"],
        encodings=meta.get("encodings", {}),
        notes=[note_from_record(n) for n in meta.get("notes", [])],
        **tables,
    )

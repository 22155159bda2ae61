"""How client values are shown on pages and figures: long labels shortened, gaps blank.

A CRM field can hold anything: a 120,000-character "segment" would make a figure
a million pixels wide and a table cell unreadable. Pages and figures show such a
value shortened with an ellipsis; the CSV tables keep it whole.
"""

from __future__ import annotations

import math
from typing import Any

#: Longest category label shown in a figure or a table cell (segment, rep, product, ...).
LABEL_CHARS = 60

#: Longest sentence shown in a table cell (evidence, reason, action, ...).
SENTENCE_CHARS = 300


def shorten(text: Any, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when cut."""
    text = str(text)
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def short_label(value: Any, limit: int = LABEL_CHARS) -> Any:
    """A category value short enough for an axis, a legend or a table cell.

    Strings longer than ``limit`` keep their start and their end around an
    ellipsis (``"North region key acc…ounts 2026"``), so two long values that
    differ only at the end stay apart; anything else is returned unchanged.
    """
    if not isinstance(value, str) or len(value) <= limit:
        return value
    tail = max(limit // 4, 1)
    head = max(limit - tail - 1, 1)
    return value[:head] + "…" + value[-tail:]


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas' NA (what a page shows as an empty cell)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    import pandas as pd

    return bool(pd.api.types.is_scalar(value) and pd.isna(value))

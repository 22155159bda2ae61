"""How client values are shown on pages and figures: long labels shortened, gaps blank.

A CRM field can hold anything: a 120,000-character "segment" would make a figure
a million pixels wide and a table cell unreadable. Pages and figures show such a
value shortened with an ellipsis; the CSV tables keep it whole.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from playbook.stats import format_probability

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
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def escape(text: Any) -> str:
    """HTML-escape any value for display."""
    return html.escape("" if text is None else str(text), quote=True)


#: Columns shown as percentages when every value lies within [0, 1].
PERCENT_COLUMNS = {
    "rate",
    "ci_low",
    "ci_high",
    "share",
    "share_of_stage",
    "share_of_lost",
    "won_share",
    "completeness",
    "team_completeness",
    "cum_advanced",
    "cum_lost",
    "observed",
    "baseline",
    "compliance",
    "conversion",
    "overlap",
}

#: Differences of rates (0.05 = 5 points), shown with three decimals and a sign.
POINTS_COLUMNS = {"effect", "effect_low", "effect_high", "raw_effect", "mix_effect", "adjusted_gap"}

#: Predicted probabilities (shown as percentages that never read 0% or 100%).
PROBABILITY_COLUMNS = {"potential", "score_now"}


#: Columns holding sentences (shown up to SENTENCE_CHARS); other text is a label (LABEL_CHARS).
SENTENCE_COLUMNS = {
    "evidence",
    "reason",
    "action",
    "check",
    "path",
    "stages",
    "module",
    "top_activity_types",
    "activity_types",
    "problem",
    "fix",
    "note",
    "rule",
    "excerpt",
    "body",
    "effects",
    "top_users",
}


def _format_number(column: str, series: pd.Series):
    """A formatter for one numeric column, chosen by its canonical name and values."""
    values = series.dropna()
    if column in ("p_value", "p_raw") or column.startswith(("p_", "p_adj")):
        return lambda v: "" if is_missing(v) else ("<0.001" if v < 0.001 else f"{v:.3f}")
    if column in POINTS_COLUMNS:
        return lambda v: "" if is_missing(v) else f"{v:+.3f}"
    probability = (column.startswith("prob_") or column in PROBABILITY_COLUMNS) and bool(
        len(values) and values.between(0, 1).all()
    )
    if probability:
        decimals = 1 if column in PROBABILITY_COLUMNS else 0
        return lambda v: "" if is_missing(v) else format_probability(v, decimals=decimals)
    share_like = (
        column in PERCENT_COLUMNS
        or column.endswith(("_rate", "_share", "_ci_low", "_ci_high"))
        or "_ci_" in column
    )
    if share_like and len(values) and values.between(0, 1).all():
        return lambda v: "" if is_missing(v) else f"{v:.1%}"
    if pd.api.types.is_integer_dtype(series) or (len(values) and (values % 1 == 0).all()):
        return lambda v: "" if is_missing(v) else f"{v:,.0f}"
    return lambda v: "" if is_missing(v) else (f"{v:,.1f}" if abs(v) >= 100 else f"{v:,.3g}")


def _format_cell(column: str, series: pd.Series, language: str = "en"):
    """How one column's cells are shown: numbers formatted, missing values blank,
    yes/no in the report language, long text shortened (the CSV keeps it whole)."""
    from playbook.i18n import t

    if pd.api.types.is_bool_dtype(series):
        yes, no = t("yes", language), t("no", language)
        return lambda v: "" if is_missing(v) else (yes if v else no)
    if pd.api.types.is_numeric_dtype(series):
        return _format_number(column, series)
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series.dropna()
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_localize(None)
        pattern = "%Y-%m-%d" if (stamps == stamps.dt.normalize()).all() else "%Y-%m-%d %H:%M"
        return lambda v: "" if is_missing(v) else v.strftime(pattern)
    limit = SENTENCE_CHARS if column in SENTENCE_COLUMNS else LABEL_CHARS
    yes, no = t("yes", language), t("no", language)

    def text(v) -> str:
        if is_missing(v):
            return ""
        if isinstance(v, bool):
            return yes if v else no
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m-%d" if v == v.normalize() else "%Y-%m-%d %H:%M")
        return short_label(str(v), limit) if limit == LABEL_CHARS else shorten(str(v), limit)

    return text


def table_html(
    frame: pd.DataFrame,
    *,
    max_rows: int = 50,
    headers: dict[str, str] | None = None,
    language: str = "en",
) -> str:
    """A DataFrame as escaped HTML (``df.style`` does not escape; this does).

    Numbers are formatted by column (percentages for rates and shares in [0, 1],
    thousands separators for counts); missing values are empty cells; long text is
    shortened (see :mod:`playbook.display`); ``headers`` renames columns for display.
    """
    from playbook.i18n import t

    shown = frame.head(max_rows)
    formatters = {c: _format_cell(str(c), shown[c], language) for c in shown.columns}
    columns = [short_label(str(c)) for c in shown.columns]
    if headers:
        columns = [short_label(headers.get(c, str(c))) for c in shown.columns]
    body = pd.DataFrame(
        {i: [formatters[c](v) for v in shown[c].tolist()] for i, c in enumerate(shown.columns)},
        index=shown.index,
    )
    body.columns = columns
    out = body.to_html(escape=True, index=False, border=0, classes="pb-table", na_rep="")
    if len(frame) > max_rows:
        note = t("more_rows_in_csv", language, n=f"{len(frame) - max_rows:,}")
        out += f"<p class='pb-note'>{escape(note)}</p>"
    return out

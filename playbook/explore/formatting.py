"""How the explorer shows things: tables as escaped HTML, figures as cached PNG images.

A leaf beside :mod:`playbook.explore.common`: every tab formats its tables and draws its
figures through :class:`TableFormat` and :class:`FigureCache`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w
import pandas as pd

from playbook.explore.common import Panel, Slice
from playbook.i18n import TEXT, t
from playbook.report import escape, table_html

MAX_TABLE_ROWS = 200
DPI = 80
STYLE = """<style>
.pb-explorer .pb-table {border-collapse: collapse; margin: 0.3em 0 1em; font-size: 13px}
.pb-explorer .pb-table th, .pb-explorer .pb-table td {padding: 2px 10px; text-align: right;
  border-bottom: 1px solid #e3e7eb}
.pb-explorer .pb-table th {background: #f3f5f7}
.pb-explorer .pb-table td:first-child, .pb-explorer .pb-table th:first-child {text-align: left}
.pb-explorer .pb-note {color: #8a5a00; margin: 0.2em 0}
.pb-explorer .pb-unavailable {color: #6b7785; font-style: italic}
</style>"""
#: Voilà marks markdown cells with their tags: show the narrative in the explorer's language.
HIDE_OTHER_LANGUAGE = """<style>
.jp-Cell:has(.celltag_lang-{other}) {{display: none}}
.celltag_lang-{other} {{display: none}}
</style>"""
#: Columns holding a share, shown as a percentage.
PERCENT_COLUMNS = ("win_rate", "expected_win_rate", "share", "compliance", "rate_a", "rate_b")
#: Columns holding a difference of two shares, shown in percentage points.
POINTS_COLUMNS = ("win_rate_vs_expected", "difference")
#: Columns holding a stage id, shown by the stage's label.
STAGE_COLUMNS = ("stage", "from", "to")


def note_html(text: str, css: str = "pb-note") -> str:
    """One escaped sentence as a paragraph of class ``css``."""
    return f"<p class='{css}'>{escape(text)}</p>"


def panel_html(panel: Panel | None) -> str:
    """Why a tab shows nothing (or less than usual); empty when there is nothing to say."""
    return note_html(panel.reason, "pb-unavailable") if panel and panel.reason else ""


def table_widget(name: str) -> w.HTML:
    """The HTML widget a table named ``name`` is written to (class ``pb-table-<name>``)."""
    return w.HTML().add_class(f"pb-table-{name}")


def figure_box() -> w.Box:
    """A row of figures that wraps: two wide journey maps go one under the other."""
    return w.Box(layout=w.Layout(flex_flow="row wrap"))


@dataclass(frozen=True)
class TableFormat:
    """Tables as the explorer shows them: localised headers and values, escaped HTML.

    ``group_a`` and ``group_b`` are the labels of the two groups compared, named in the
    headers of the comparison table.
    """

    language: str
    stage_labels: dict[str, str]
    dimension_labels: dict[str, str] = field(default_factory=dict)
    group_a: str = "A"
    group_b: str = "B"

    @classmethod
    def of(
        cls, language: str, stage_labels: dict[str, str], study: Any, slices: Sequence[Slice]
    ) -> TableFormat:
        """The format for the groups shown now (``study``: the capability study or None)."""
        labels = {s.key: s.label for s in slices}
        return cls(
            language,
            stage_labels,
            dict(study.dimension_labels) if study is not None else {},
            labels.get("a", labels.get("selection", "A")),
            labels.get("b", labels.get("rest", "B")),
        )

    def headers(self, frame: pd.DataFrame) -> dict[str, str]:
        """Localised header of each column that has one."""
        lang = self.language
        out = {}
        for column in frame.columns:
            if column in ("n_a", "rate_a", "n_b", "rate_b"):
                which = self.group_a if column.endswith("_a") else self.group_b
                key = "explore_col_n" if column.startswith("n_") else "explore_col_rate"
                out[column] = t(key, lang, group=which)
            elif column not in ("n", "rate") and f"explore_col_{column}" in TEXT:
                out[column] = t(f"explore_col_{column}", lang)  # (those two take a group)
            elif f"col_{column}" in TEXT:
                out[column] = t(f"col_{column}", lang)
        return out

    def values(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``frame`` with stage labels, shares as %, differences in points."""
        lang = self.language
        shown = frame.copy()

        def points(v: Any) -> str:
            return "" if pd.isna(v) else t("explore_points", lang, value=f"{100 * v:+.1f}")

        def each(columns: Sequence[str], text: Callable[[Any], Any]) -> None:
            for column in columns:
                if column in shown.columns:
                    shown[column] = shown[column].map(text)

        each(STAGE_COLUMNS, lambda v: self.stage_labels.get(str(v), v) if pd.notna(v) else v)
        each(PERCENT_COLUMNS, lambda v: "" if pd.isna(v) else f"{v:.1%}")
        each(POINTS_COLUMNS, points)
        each(["suppressed"], lambda v: t("explore_suppressed", lang) if bool(v) else "")
        if self.dimension_labels:
            each(["dimension"], lambda v: self.dimension_labels.get(v, v))
        return shown

    def html(self, frame: pd.DataFrame, heading: str = "") -> str:
        """Escaped HTML of a table under an optional heading; a note when it is empty."""
        shown = self.values(frame)
        title = f"<h4>{escape(heading)}</h4>" if heading else ""
        if not len(shown):
            return title + note_html(t("explore_empty", self.language))
        return title + table_html(
            shown, max_rows=MAX_TABLE_ROWS, headers=self.headers(shown), language=self.language
        )


def png(fig) -> bytes:
    """The figure as PNG bytes; the figure is closed (no stale figure in the kernel)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI)
    finally:
        plt.close(fig)
    return buffer.getvalue()


class FigureCache:
    """Persistent image widgets by name, redrawn only when the frames behind them change.

    Attributes
    ----------
    images : dict of str -> Image
    keys : dict of str -> tuple
        The columns and content hash each image was last drawn from.
    """

    def __init__(self) -> None:
        self.images: dict[str, w.Image] = {}
        self.keys: dict[str, tuple] = {}

    def image(self, name: str, frames: Sequence[pd.DataFrame], draw: Callable[[], Any]) -> w.Image:
        """The image ``name``; ``draw()`` (returning a Figure) runs only when data changed."""
        image = self.images.get(name)
        if image is None:
            image = w.Image(format="png", layout=w.Layout(max_width="100%"))
            image.add_class("pb-figure")
            self.images[name] = image
        digest = tuple(int(pd.util.hash_pandas_object(f, index=False).sum()) for f in frames)
        key = (tuple(tuple(f.columns) for f in frames), digest)
        if self.keys.get(name) != key:
            image.value = png(draw())
            self.keys[name] = key
        return image


def groups_of(frame: pd.DataFrame, slices: Sequence[Slice]) -> list[tuple[str, pd.DataFrame]]:
    """The rows of each shown (not suppressed) group that has any, by group label."""
    return [
        (s.label, frame[frame["group"] == s.label])
        for s in slices
        if not s.suppressed and len(frame) and (frame["group"] == s.label).any()
    ]

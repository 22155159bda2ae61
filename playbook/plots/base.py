"""The intake figures and what every figure function shares.

One theme, one palette, CJK-capable fonts set once (:mod:`playbook.plots.style`);
long client values shortened before drawing (:func:`readable_labels`); the common
pieces of a figure in :mod:`playbook.plots.parts`. Every function creates a fresh
figure unless given ``ax``, so headless runs never draw on a stale one.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

from playbook.display import LABEL_CHARS, short_label
from playbook.plots.parts import (
    figure_axes,
    finish,
    interval_bars,
    interval_errors,
    percent_axis,
    row_labels,
)
from playbook.plots.style import BAD, GREY, HIGHLIGHT, INK, MUTED, PALETTE, theme
from playbook.plots.words import Words, default_words

__all__ = [
    "BAD",
    "GREY",
    "HIGHLIGHT",
    "INK",
    "MUTED",
    "PALETTE",
    "TITLE_CHARS",
    "Words",
    "completeness_by_rep",
    "interval_errors",
    "readable_labels",
    "theme",
]

#: Longest title or axis label passed to a figure function (a title naming a client value).
TITLE_CHARS = 150

_Draw = TypeVar("_Draw", bound=Callable[..., Any])


def readable_labels(draw: _Draw) -> _Draw:
    """Decorate a figure function so that long client values arrive shortened.

    Text values in the frames, series, lists and dicts it is given (and the index
    of a frame) longer than :data:`~playbook.display.LABEL_CHARS` are shortened the
    same way everywhere (so a value and its key in a ``labels`` dict still match),
    and text arguments such as titles (and every text of a :class:`Words`) are cut at
    :data:`TITLE_CHARS`. A
    120,000-character segment then draws as a readable tick label instead of a
    figure a million pixels wide. Column names are left as they are.
    """

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        return draw(*(_readable(a) for a in args), **{k: _readable(v) for k, v in kwargs.items()})

    return wrapper  # type: ignore[return-value]


def _readable(value: Any, top: bool = True) -> Any:
    """``value`` with long text shortened: a text argument (a title) at TITLE_CHARS, text
    inside data (frames, series, lists, sets, tuples, dicts) at LABEL_CHARS."""
    if isinstance(value, str):
        return short_label(value, TITLE_CHARS if top else LABEL_CHARS)
    if isinstance(value, Words):
        texts = {f.name: _readable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return Words(**{**texts, "marks": {k: _readable(v) for k, v in value.marks.items()}})
    if isinstance(value, pd.DataFrame):
        changed = {c: _readable_series(value[c]) for c in value.columns}
        changed = {c: s for c, s in changed.items() if s is not value[c]}
        index = _readable_index(value.index)
        if not changed and index is value.index:
            return value
        out = value.copy()
        for c, s in changed.items():
            out[c] = s
        out.index = index
        return out
    if isinstance(value, pd.Series):
        out = _readable_series(value)
        index = _readable_index(value.index)
        if index is not value.index:
            out = out.copy()
            out.index = index
        return out
    if isinstance(value, dict):
        return {_readable(k, False): _readable(v, False) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset) and not hasattr(value, "_fields"):
        return type(value)(_readable(v, False) for v in value)
    return value


def _too_long(values) -> bool:
    lengths = pd.Series(values, dtype=object).str.len()
    return bool((lengths > LABEL_CHARS).any())


def _readable_series(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        if categories.dtype != object or not _too_long(categories):
            return series
        shortened = [short_label(c) for c in categories]
        if len(set(shortened)) == len(shortened):
            return series.cat.rename_categories(shortened)
        return series.astype(object).map(short_label)
    if series.dtype != object and not pd.api.types.is_string_dtype(series):
        return series
    if not _too_long(series.to_numpy()):
        return series
    return series.map(short_label)


def _readable_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex) or index.dtype != object or not _too_long(index):
        return index
    return index.map(short_label)


@readable_labels
@default_words(Words(xlabel="completeness", ylabel="rep"))
def completeness_by_rep(per_rep: pd.DataFrame, *, words: Words, ax=None):
    """Horizontal bars of record completeness per rep with Wilson intervals.

    Parameters
    ----------
    per_rep : frame with owner_id, completeness, ci_low, ci_high (and optional
        team_completeness, drawn as a tick where shown).
    """
    data = per_rep.sort_values("completeness")
    height = max(3.0, 0.22 * len(data) + 1)
    fig, ax = figure_axes(ax, figsize=(8, height))
    y = range(len(data))
    ax.barh(list(y), data["completeness"], color=HIGHLIGHT, alpha=0.85)
    interval_bars(ax, list(y), data, "completeness", elinewidth=0.8, capsize=2)
    if "team_completeness" in data:
        ax.scatter(data["team_completeness"], list(y), marker="|", s=120, color=BAD, zorder=3)
    row_labels(ax, list(y), data["owner_id"].astype(str), fontsize=7)
    percent_axis(ax, "x", limits=(0, 1), decimals=None)
    return finish(fig, ax, words)

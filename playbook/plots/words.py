"""The words of a figure as one record: its title, axis labels, what it says when empty,
and the names of its marks (legend entries, reference lines, value labels).

Callers fill a :class:`Words` from the catalogs and pass it as ``words=``; each figure
function declares the words it falls back on with :func:`default_words`, so a caller
gives only the words it has.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

__all__ = ["Words", "default_words"]

_Draw = TypeVar("_Draw", bound=Callable[..., Any])


@dataclass(frozen=True)
class Words:
    """What a figure says besides its data.

    Attributes
    ----------
    title : drawn over the figure; none when empty.
    xlabel, ylabel : the axis labels; ``None`` keeps the figure's own.
    empty : said in place of the figure when there is nothing to draw.
    suppressed : said where a group is too small to be shown.
    marks : the names of the figure's marks by role (``{"perfect": "perfect calibration"}``):
        legend entries, reference lines, value labels. The roles a figure draws are those of
        the default of its ``words`` parameter, which ``help()`` shows.
    """

    title: str = ""
    xlabel: str | None = None
    ylabel: str | None = None
    empty: str | None = None
    suppressed: str | None = None
    marks: Mapping[str, str] = field(default_factory=dict)

    def over(self, defaults: Words) -> Words:
        """These words, with ``defaults`` wherever none was given (marks role by role)."""
        given = {f.name: getattr(self, f.name) for f in fields(self)}
        chosen = {k: getattr(defaults, k) if v is None else v for k, v in given.items()}
        chosen["marks"] = {**defaults.marks, **self.marks}
        return Words(**chosen)


def default_words(defaults: Words) -> Callable[[_Draw], _Draw]:
    """Decorate a figure function so that its ``words`` keyword falls back on ``defaults``
    (its signature shows them as the default, so ``help()`` lists them). A mark the
    figure does not draw is refused, so a misspelt role does not go unnoticed."""

    def decorate(draw: _Draw) -> _Draw:
        @functools.wraps(draw)
        def wrapper(*args, words: Words | None = None, **kwargs):
            words = words or Words()
            unknown = sorted(set(words.marks) - set(defaults.marks))
            if unknown:
                raise ValueError(
                    f"{draw.__name__}: words.marks names no mark {unknown}; "
                    f"its marks are {sorted(defaults.marks)}"
                )
            return draw(*args, words=words.over(defaults), **kwargs)

        signature = inspect.signature(draw)
        shown = [
            p.replace(default=defaults) if p.name == "words" else p
            for p in signature.parameters.values()
        ]
        wrapper.__signature__ = signature.replace(parameters=shown)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate

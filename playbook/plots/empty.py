"""What a figure says when it has nothing to draw (a table was missing or empty)."""

from __future__ import annotations

from playbook.plots.style import INK


def empty_figure(fig, ax, text: str):
    """The figure says ``text`` (a dash when there is none) instead of drawing no data."""
    ax.text(0.5, 0.5, text or "–", ha="center", va="center", wrap=True, fontsize=10)
    ax.axis("off")
    return fig


def no_data(ax, text: str) -> None:
    """A panel that says ``text`` in its middle, without ticks (its frame stays)."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=INK)
    ax.set_xticks([])
    ax.set_yticks([])


def no_data_figure(fig, ax, text: str, title: str = ""):
    """A one-panel figure with nothing to draw: :func:`no_data` and the title."""
    no_data(ax, text)
    if title:
        ax.set_title(title)
    return fig

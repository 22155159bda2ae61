"""Figures: drawn from metrics frames, Chinese labels without missing glyphs."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from playbook import plots
from playbook.plots.fonts import available_cjk_families


def _draw_without_missing_glyphs(draw):
    """Call ``draw`` (which returns a Figure) and render it, failing on any missing glyph."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = draw()
        fig.canvas.draw()
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing
    return fig


def test_a_cjk_font_is_installed() -> None:
    """`make setup` installs one where the system has none; without it Chinese is boxes."""
    assert available_cjk_families(), "run 'make setup' (scripts/setup-fonts.sh)"


def test_completeness_figure_in_chinese() -> None:
    per_rep = pd.DataFrame(
        {
            "owner_id": ["张伟", "李娜", "王芳"],
            "completeness": [0.5, 0.8, 1.0],
            "ci_low": [0.3, 0.6, 0.9],
            "ci_high": [0.7, 0.9, 1.0],
            "team_completeness": [0.7, 0.7, None],
        }
    )
    fig = _draw_without_missing_glyphs(
        lambda: plots.completeness_by_rep(
            per_rep, title="销售个人记录完整度", label_rep="销售", label_value="完整度"
        )
    )
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["张伟", "李娜", "王芳"]
    assert len(ax.patches) == 3
    assert [p.get_width() for p in ax.patches] == pytest.approx([0.5, 0.8, 1.0])
    plt.close(fig)


def test_a_very_long_category_draws_a_readable_figure() -> None:
    """A 120,000-character segment once made this figure 1.3 million pixels wide."""
    import io

    from PIL import Image

    from playbook.display import LABEL_CHARS

    huge = "Manufacturing-" + "x" * 120_000
    rates = pd.DataFrame(
        {
            "segment": [huge, huge, "Retail", "Retail"],
            "from": ["lead", "intent", "lead", "intent"],
            "to": ["intent", "proposal", "intent", "proposal"],
            "rate": [0.4, 0.5, 0.6, 0.7],
            "mature_n": [50, 40, 60, 30],
        }
    )
    before = rates.copy()
    fig = plots.rate_heatmap(rates, "segment", flagged={(huge, "lead")}, title="by " + huge)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    width, height = Image.open(io.BytesIO(buffer.getvalue())).size
    assert width < 2000 and height < 2000, (width, height)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(ticks) == 2 and all(len(t) <= LABEL_CHARS for t in ticks), ticks
    shown = next(t for t in ticks if t.startswith("Manufacturing-"))
    assert "…" in shown and shown.endswith("xxx")
    outlined = [p for p in fig.axes[0].patches if not p.get_fill()]
    assert len(outlined) == 1  # the flagged cell still matches its (shortened) row
    assert len(fig.axes[0].get_title()) <= 150
    pd.testing.assert_frame_equal(rates, before)  # the caller's data is not changed
    plt.close(fig)


def test_long_labels_that_share_a_start_stay_apart() -> None:
    from playbook.display import short_label

    a, b = "North region key accounts " * 5 + "2025", "North region key accounts " * 5 + "2026"
    assert short_label(a) != short_label(b)
    assert short_label("Retail") == "Retail" and short_label(3) == 3

"""Figures: drawn from metrics frames, Chinese labels without missing glyphs."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from playbook import plots
from playbook.fonts import available_cjk_families


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

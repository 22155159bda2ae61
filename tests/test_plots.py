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
            per_rep, words=plots.Words(title="销售个人记录完整度", ylabel="销售", xlabel="完整度")
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
    fig = plots.rate_heatmap(
        rates, "segment", flagged={(huge, "lead")}, words=plots.Words(title="by " + huge)
    )
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


def test_words_fall_back_on_the_figure_defaults_field_by_field() -> None:
    defaults = plots.Words(xlabel="predicted", ylabel="observed", marks={"a": "A", "b": "B"})
    given = plots.Words(title="T", ylabel="", marks={"b": "b!"})
    assert given.over(defaults) == plots.Words(
        title="T", xlabel="predicted", ylabel="", marks={"a": "A", "b": "b!"}
    )


def test_a_figure_uses_its_default_words_for_those_not_given() -> None:
    calibration = pd.DataFrame(
        {"predicted": [0.2], "observed": [0.25], "ci_low": [0.1], "ci_high": [0.4], "n": [9]}
    )
    fig = plots.calibration_curve(calibration, words=plots.Words(xlabel="预测"))
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("预测", "observed")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["perfect calibration"]
    plt.close(fig)


def test_help_shows_a_figures_default_words() -> None:
    import inspect

    default = inspect.signature(plots.gains_chart).parameters["words"].default
    assert default.marks == {"random": "random order"} and default.xlabel == "share of leads"


def test_long_words_are_shortened_like_any_text_argument() -> None:
    huge = "Manufacturing-" + "x" * 10_000
    trend = pd.DataFrame(
        {
            "cohort": pd.to_datetime(["2025-01-01", "2025-02-01"]),
            "from": ["lead", "lead"],
            "to": ["won", "won"],
            "rate": [0.2, 0.3],
            "immature_cohort": [False, True],
        }
    )
    fig = plots.trend_lines(trend, words=plots.Words(title=huge, ylabel=huge))
    ax = fig.axes[0]
    assert len(ax.get_title()) <= 150 and len(ax.get_ylabel()) <= 150
    assert ax.get_title().startswith("Manufacturing-") and "…" in ax.get_title()
    plt.close(fig)

    power = pd.DataFrame({"lift": [0.1, 0.1], "weeks": [4, 8], "power": [0.4, 0.9]})
    fig = plots.pilot_power(power, words=plots.Words(marks={"target": huge}))
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0] == "lift 10 points" and len(legend[1]) <= 150 and "…" in legend[1]
    plt.close(fig)


def test_a_mark_the_figure_does_not_draw_is_refused() -> None:
    lift = pd.DataFrame({"scorer": ["m"], "decile": [1], "cum_share_random": [1.0]})
    with pytest.raises(ValueError, match=r"gains_chart: words.marks names no mark \['randon'\]"):
        plots.gains_chart(lift.assign(cum_share_won=1.0), words=plots.Words(marks={"randon": "x"}))

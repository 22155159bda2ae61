"""CJK-capable fonts for matplotlib, set once for every figure.

Chinese labels need a font with CJK glyphs. We prefer the platform's own
(PingFang on macOS, Microsoft YaHei on Windows) and otherwise an openly
licensed one (Noto Sans CJK / Source Han Sans, SIL OFL; WenQuanYi), which
``scripts/setup-fonts.sh`` installs on Linux. No font file ships with the
package, so no font of unclear licence can slip in.
"""

from __future__ import annotations

import argparse
import logging
import sys

logger = logging.getLogger(__name__)

#: Font families tried in order; matplotlib falls back glyph by glyph along the list.
CJK_FAMILIES = [
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "PingFang SC",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
]


def available_cjk_families() -> list[str]:
    """The families of :data:`CJK_FAMILIES` that matplotlib can find here."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return [family for family in CJK_FAMILIES if family in names]


def configure_matplotlib() -> list[str]:
    """Put the CJK fonts found here into matplotlib's fallback list.

    Returns
    -------
    list of str
        The CJK families registered (empty when none is installed; Chinese
        text would then render as boxes, and a warning is logged).
    """
    import matplotlib

    found = available_cjk_families()
    if not found:
        logger.warning(
            "No CJK font found: Chinese labels will show as boxes. Run 'make setup' "
            "(installs Noto Sans CJK) or install a CJK font."
        )
    # Fallback runs along font.family itself (a generic "sans-serif" entry would
    # resolve to one font only), so the CJK families are listed there.
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", *found]
    # CJK fonts lack the Unicode minus; use ASCII hyphen-minus for ticks.
    matplotlib.rcParams["axes.unicode_minus"] = False
    return found


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playbook.plots.fonts")
    parser.add_argument("--check", action="store_true", help="exit 1 when no CJK font is found")
    parser.add_argument("--rebuild-cache", action="store_true", help="rescan system fonts")
    args = parser.parse_args(argv)
    if args.rebuild_cache:
        from matplotlib import font_manager

        font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
    found = available_cjk_families()
    print("CJK fonts: " + (", ".join(found) if found else "none"))
    return 0 if (found or not args.check) else 1


if __name__ == "__main__":
    sys.exit(_main())

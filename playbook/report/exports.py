"""``--export pdf,pptx``: the report's PDF and slide deck, written so no half file stays.

Each file is written beside its final name (``.report.pdf.tmp``) and moved into place
only when complete; inside a run this happens in the run's temporary folder, before
the report is published.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from playbook.exceptions import UsageError

FORMATS = ("pdf", "pptx")
FILE_NAMES = {"pdf": "report.pdf", "pptx": "report.pptx"}


def parse_formats(text: str | Sequence[str] | None) -> list[str]:
    """``"pdf,pptx"`` -> ``["pdf", "pptx"]`` (order kept, duplicates dropped).

    Raises
    ------
    UsageError
        Naming an unknown format and the ones there are.
    """
    if not text:
        return []
    parts = text.split(",") if isinstance(text, str) else [p for x in text for p in x.split(",")]
    wanted: list[str] = []
    for part in (p.strip().lower() for p in parts):
        if part not in FORMATS:
            raise UsageError(f"--export takes {', '.join(FORMATS)} (comma-separated); got {part!r}")
        if part not in wanted:
            wanted.append(part)
    return wanted


def export_report(folder: Path, formats: Sequence[str], *, paper: str = "a4") -> list[Path]:
    """Write the requested exports of the report in ``folder``; returns their paths.

    Raises
    ------
    ExportUnavailable
        When the PDF cannot be printed (no browser); the PPTX, asked for too, is still
        written first.
    """
    from playbook.report.export_pdf import write_pdf
    from playbook.report.export_pptx import write_pptx

    written = []
    for kind in sorted(formats, key=lambda k: k != "pptx"):  # the deck needs no browser
        target = folder / FILE_NAMES[kind]
        partial = folder / f".{target.name}.tmp"
        try:
            if kind == "pdf":
                write_pdf(folder, partial, paper=paper)
            else:
                write_pptx(folder, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        written.append(target)
    return written

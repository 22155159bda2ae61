"""What a step notebook hands to the report: figures, tables, KPIs, findings, alerts.

A notebook opens a :class:`StepReport` with the parameters the runner injected,
shows and records its results through it, and calls :meth:`StepReport.done`
in its last cell. ``done`` writes the step's part file, which is also the
marker the runner uses to judge success (papermill's output notebook alone can
look complete after a kernel death).

Everything shown goes through HTML escaping here: client data (a segment named
``<script>``) is always displayed as text.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from playbook.display import escape, short_label, table_html
from playbook.findings import Finding, finding_record
from playbook.report.csv_safety import write_csv
from playbook.stats import format_probability

logger = logging.getLogger(__name__)

PARTS = "parts"
_UNSAFE = re.compile(r"[^\w\-]+", re.UNICODE)


def safe_name(text: str, *, max_length: int = 80) -> str:
    """A file-name-safe version of ``text``: no separators, dots or control characters.

    Letters (including Chinese), digits, ``_`` and ``-`` are kept; everything else
    becomes ``_``. The result never starts with a dot and is never empty, so a
    name built from data cannot leave the report folder.
    """
    text = unicodedata.normalize("NFKC", str(text))
    name = _UNSAFE.sub("_", text).strip("_.")[:max_length]
    return name or "unnamed"


def inside(folder: Path, name: str) -> Path:
    """``folder / safe_name(name)``, checked to stay inside ``folder``."""
    stem, dot, ext = name.rpartition(".")
    filename = f"{safe_name(stem)}.{safe_name(ext)}" if dot else safe_name(name)
    path = (folder / filename).resolve()
    if folder.resolve() not in path.parents:
        raise ValueError(f"refusing to write outside the report folder: {name!r}")
    return path


#: Columns of a findings table, in the order shown: what was found, where, its numbers,
#: and how the comparison was made.
_FINDING_COLUMNS = (
    *("severity", "evidence"),
    *("dimension", "value", "stage"),
    *("observed", "baseline", "ci_low", "ci_high", "n", "p_value"),
    *("adjusted_for", "design"),
)


class StepReport:
    """The report side of one step notebook.

    Parameters
    ----------
    output_dir : the run's (temporary) report folder, injected by the runner.
    step : the notebook's name, e.g. ``"00_data_intake"``.
    language : ``"en"`` or ``"zh"``.
    """

    def __init__(
        self, output_dir: str | Path, step: str, language: str = "en", config=None
    ) -> None:
        self.output_dir = Path(output_dir)
        self.step = step
        self.language = language
        self.config = config
        #: stage id -> display label in the report language (for tables and figures)
        self.labels: dict[str, str] = (
            {s.id: s.label(language) for s in config.funnel.stages} if config else {}
        )
        self.kpis: dict[str, dict] = {}
        self.findings: list[Finding] = []
        self.stages: list[dict] = []
        self.alerts: list[pd.DataFrame] = []
        self.tables: list[str] = []
        self.figures: list[str] = []
        self.sections: list[str] = []
        for sub in ("figures", "tables", PARTS):
            (self.output_dir / sub).mkdir(parents=True, exist_ok=True)
        self._listen_for_small_samples()

    def _listen_for_small_samples(self) -> None:
        """Say each SmallSampleWarning on the page in the report language.

        The warning itself still goes to the kernel's stderr, which the executed
        notebook keeps for audit and the HTML export leaves out (paths and English
        text have no place in a client's page).
        """
        import warnings

        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            from playbook.stats import SmallSampleWarning

            if isinstance(message, SmallSampleWarning) and message.n is not None:
                self.say(self.small_sample_note(message), kind="note")
            shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show

    def small_sample_note(self, warning) -> str:
        """A :class:`~playbook.stats.SmallSampleWarning` as a sentence in the report language."""
        return small_sample_text(warning, self.language, self.labels)

    # -- showing --------------------------------------------------------------------------
    def _display_html(self, markup: str) -> None:
        from IPython.display import HTML, display

        display(HTML(markup))

    def say(self, text: str, *, kind: str = "p") -> None:
        """Show a sentence (escaped; ``kind`` is p, note, warn or h3)."""
        if kind == "h3":
            self._display_html(f"<h3>{escape(text)}</h3>")
        else:
            self._display_html(f"<p class='pb-{kind}'>{escape(text)}</p>")

    def table(
        self,
        frame: pd.DataFrame,
        name: str,
        *,
        caption: str = "",
        show: bool = True,
        max_rows: int = 50,
    ) -> None:
        """Save ``frame`` as ``tables/<name>.csv`` (UTF-8 with BOM for Excel) and show it."""
        path = inside(self.output_dir / "tables", f"{self.step[:2]}_{name}.csv")
        write_csv(frame, path)
        self.tables.append(path.name)
        if show:
            head = f"<p class='pb-caption'>{escape(caption)}</p>" if caption else ""
            self._display_html(
                head
                + table_html(
                    self._labelled(frame),
                    max_rows=max_rows,
                    headers=self.headers(frame),
                    language=self.language,
                )
            )

    def localise(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Stage ids as display labels, column headers in the report language."""
        return self._labelled(frame).rename(columns=self.headers(frame))

    def headers(self, frame: pd.DataFrame) -> dict[str, str]:
        """Canonical column name -> header in the report language."""
        from playbook.i18n import TEXT

        return {c: TEXT[f"col_{c}"][self.language] for c in frame.columns if f"col_{c}" in TEXT}

    def column_label(self, column: str) -> str:
        """A column (e.g. a slicing dimension such as ``segment``) named in the report language."""
        from playbook.i18n import TEXT

        key = f"col_{column}"
        return TEXT[key][self.language] if key in TEXT else column

    def _labelled(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Stage ids replaced by display labels (headers unchanged)."""
        from playbook.i18n import TEXT

        frame = frame.copy()
        label = self.labels.get
        for column in ("stage", "from", "to", "from_stage", "to_stage", "end_stage"):
            if column in frame.columns and self.labels:
                frame[column] = frame[column].map(lambda v: label(str(v), v) if pd.notna(v) else v)
        for column, sep in (("path", " → "), ("stages", ", ")):
            if column in frame.columns and self.labels:
                frame[column] = frame[column].map(
                    lambda v, sep=sep: (
                        sep.join(label(p, p) for p in str(v).split(sep))
                        if pd.notna(v) and str(v)
                        else v
                    )
                )
        for column, prefix in (
            ("metric", "metric_"),
            ("level", "level_"),
            ("value_type", "value_type_"),  # the scoring feature table's value types
            ("kind", "feature_kind_"),  # ... and its feature kinds
        ):
            if column in frame.columns:
                frame[column] = frame[column].map(
                    lambda v, p=prefix: TEXT[f"{p}{v}"][self.language] if f"{p}{v}" in TEXT else v
                )
        if "unit" in frame.columns:  # SLA units (business hours / days), not monthly units
            units = {
                TEXT[k]["en"]: TEXT[k][self.language]
                for k in ("handoff_unit_business_hours", "handoff_unit_business_days")
            }
            frame["unit"] = frame["unit"].map(
                lambda v: units.get(v, v) if isinstance(v, str) else v
            )
        if "phase" in frame.columns:
            frame["phase"] = frame["phase"].map(
                lambda v: TEXT[f"phase_{v}"][self.language] if f"phase_{v}" in TEXT else v
            )
        return frame

    def text(self, key: str, **values: Any) -> str:
        from playbook.i18n import t

        return t(key, self.language, **values)

    def heading(self, key: str, **values: Any) -> None:
        """A section heading from the translations."""
        self.say(self.text(key, **values), kind="h3")

    def notes(self, notes: list[str]) -> None:
        """Show loader notes (e.g. a detected title row) as notes."""
        from playbook.exceptions import say_note

        for note in notes:
            self.say(self.text("intake_note", note=say_note(note, self.language)), kind="note")

    def missing_tables(self, present: list[str]) -> None:
        """Say, for each optional table not provided, what cannot be measured."""
        from playbook.i18n import TABLE_PURPOSE

        for table, purpose in TABLE_PURPOSE.items():
            if table not in present:
                self.say(
                    self.text("intake_missing_table", table=table, what=purpose[self.language]),
                    kind="warn",
                )

    def record_kpis(self, kpis: dict[str, dict]) -> None:
        """Record several KPIs (name -> value, n, ci_low, ci_high, unit) and show them."""
        from playbook.findings import kpi

        rows = []
        for name, entry in kpis.items():
            self.kpis[name] = kpi(
                entry.get("value"),
                entry.get("n"),
                entry.get("ci_low"),
                entry.get("ci_high"),
                entry.get("unit", ""),
            )
            label_key = f"kpi_{name}"
            from playbook.i18n import TEXT

            label = TEXT[label_key][self.language] if label_key in TEXT else name
            rows.append(
                {
                    self.text("kpi"): label,
                    self.text("value"): format_kpi(entry, name),
                    "n": "" if entry.get("n") is None else f"{entry['n']:,}",
                }
            )
        self._display_html(table_html(pd.DataFrame(rows), language=self.language))

    def figure(self, fig, name: str, *, show: bool = True) -> None:
        """Save a matplotlib figure as ``figures/<name>.png``, show it, close it.

        The figure is shown as an embedded image with its title as alternative
        text, so the HTML report stays self-contained and accessible.
        """
        import base64

        import matplotlib.pyplot as plt

        path = inside(self.output_dir / "figures", f"{self.step[:2]}_{name}.png")
        fig.savefig(path, dpi=110, bbox_inches="tight")
        self.figures.append(path.name)
        if show:
            titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
            alt = fig._suptitle.get_text() if fig._suptitle else (titles[0] if titles else name)
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            self._display_html(f"<img src='data:image/png;base64,{data}' alt='{escape(alt)}'>")
        plt.close(fig)

    # -- recording for summary.json ---------------------------------------------------------
    def kpi(
        self,
        name: str,
        value: float | None,
        *,
        n: int | None = None,
        ci_low: float | None = None,
        ci_high: float | None = None,
        unit: str = "",
    ) -> None:
        from playbook.findings import kpi

        self.kpis[name] = kpi(value, n, ci_low, ci_high, unit)

    def add_findings(self, findings: list[Finding]) -> None:
        self.findings.extend(findings)

    def findings_table(self, findings: list[Finding], name: str, *, max_rows: int = 20) -> None:
        """Show findings (most important first) and save them as a CSV table."""
        if not findings:
            self.say(self.text("no_findings"), kind="note")
            return
        frame = pd.DataFrame([finding_record(f) for f in findings])
        if "adjusted_for" in frame:
            frame["adjusted_for"] = [
                ", ".join(v) if isinstance(v, list) else v for v in frame["adjusted_for"]
            ]
        optional = ("adjusted_for", "design")  # only for comparisons that carry them
        frame = frame[
            [
                c
                for c in _FINDING_COLUMNS
                if c in frame.columns and (c not in optional or frame[c].notna().any())
            ]
        ]
        self.table(frame, name, max_rows=max_rows)

    def pipeline(self, waterfall: pd.DataFrame, month: str) -> None:
        """Show the month's pipeline change as a waterfall (value) and a table."""
        from playbook import plots

        frame = waterfall.assign(step=[self.text(f"pipeline_{s}") for s in waterfall["step"]])
        flows = waterfall["step"].isin(["new", "won", "lost"]).to_numpy()
        # without amounts the pipeline is drawn in deals, and its table has no amount column
        value = "amount" if waterfall["amount"].notna().any() else "deals"
        if value == "deals":
            self.say(self.text("no_amounts"), kind="note")
            frame = frame.drop(columns=["amount"])
        moves = frame[flows].assign(label=frame["step"][flows], contribution=frame[value][flows])
        self.figure(
            plots.waterfall(
                moves,
                start_label=frame["step"].iloc[0],
                end_label=frame["step"].iloc[-1],
                start=float(waterfall[value].iloc[0]),
                end=float(waterfall[value].iloc[-1]),
                words=plots.Words(
                    title=self.text("fig_pipeline", month=month),
                    ylabel=self.text("axis_revenue" if value == "amount" else "col_deals"),
                ),
            ),
            "pipeline_waterfall",
        )
        self.table(frame, "pipeline_change")
        if waterfall.loc[waterfall["step"] == "pushed_out", "deals"].isna().all():
            self.say(self.text("pipeline_no_expected_close"), kind="note")

    def amounts_note(self, deals: pd.DataFrame) -> None:
        """Say that revenue figures are left out when no deal in the data has an amount."""
        if "amount" not in deals or not deals["amount"].notna().any():
            self.say(self.text("no_amounts"), kind="note")

    def findings_change(
        self, change: pd.DataFrame, previous_exists: bool, *, analysed: bool = True
    ) -> None:
        """Show findings as new / still open / resolved against last month (nothing when
        the month was not ``analysed``: the report has said why)."""
        if not analysed:
            return
        if not previous_exists:
            self.say(self.text("no_previous_month"), kind="note")
        if change.empty:
            self.say(self.text("no_findings"), kind="note")
            return
        shown = change.assign(status=[self.text(f"findings_status_{s}") for s in change["status"]])
        self.table(shown, "findings_vs_last_month")

    def legend_labels(self) -> dict[str, str]:
        """Translated legend entries for the journey map."""
        return {k: self.text(f"legend_{k}") for k in ("entered", "lost", "open", "skip", "regress")}

    def waterfall(self, change: pd.DataFrame, name: str = "growth_waterfall") -> None:
        """Draw the revenue change between two periods by factor (or say why not).

        ``change``: rows of one period-over-period change with factor, stage,
        contribution, value_before, value_after, period_before, period_after
        (see :func:`playbook.steps.stages.latest_change`).
        """
        from playbook import plots

        if change is None or change.empty:
            self.say(self.text("no_decomposition"), kind="note")
            return
        revenue = change[change["factor"] == "revenue"].iloc[0]
        parts = change[change["factor"] != "revenue"].copy()
        labels = []
        for row in parts.itertuples(index=False):
            if row.factor == "rate":
                to = (
                    self.config.funnel.ids[self.config.funnel.ids.index(row.stage) + 1]
                    if (self.config and row.stage in self.config.funnel.ids[:-1])
                    else "won"
                )
                labels.append(
                    self.text(
                        "factor_rate",
                        from_=self.labels.get(row.stage, row.stage),
                        to=self.labels.get(to, to),
                    )
                )
            else:
                labels.append(self.text(f"factor_{row.factor}"))
        parts["label"] = labels
        start, end = str(revenue["period_before"])[:7], str(revenue["period_after"])[:7]
        self.figure(
            plots.waterfall(
                parts,
                start_label=start,
                end_label=end,
                start=float(revenue["value_before"]),
                end=float(revenue["value_after"]),
                words=plots.Words(
                    title=self.text("fig_waterfall", start=start, end=end),
                    ylabel=self.text("axis_revenue"),
                ),
            ),
            name,
        )
        self.table(
            parts[["label", "value_before", "value_after", "contribution"]], name, show=False
        )

    def set_stages(self, stages: pd.DataFrame | list[dict]) -> None:
        """The stage table of the output contract (from/to are stage ids)."""
        if isinstance(stages, pd.DataFrame):
            stages = json.loads(stages.to_json(orient="records", date_format="iso"))
        self.stages = list(stages)

    def add_alerts(self, alerts: pd.DataFrame) -> None:
        """Alerts: columns kind, owner_id, deal_id, reason, action (any extra kept)."""
        if alerts is not None and len(alerts):
            self.alerts.append(alerts.assign(step=self.step))

    def done(self) -> None:
        """Write the step's part file: the marker that the whole notebook ran."""
        alerts = pd.concat(self.alerts, ignore_index=True) if self.alerts else pd.DataFrame()
        part = {
            "step": self.step,
            "complete": True,
            "kpis": self.kpis,
            "findings": [finding_record(f) for f in self.findings],
            "stages": self.stages,
            "tables": self.tables,
            "figures": self.figures,
            "alerts": json.loads(alerts.to_json(orient="records", date_format="iso"))
            if len(alerts)
            else [],
        }
        path = self.output_dir / PARTS / f"{safe_name(self.step)}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(part, ensure_ascii=False, indent=1, default=_default), encoding="utf-8"
        )
        tmp.replace(path)


def small_sample_text(warning, language: str, labels: dict[str, str] | None = None) -> str:
    """A :class:`~playbook.stats.SmallSampleWarning` as a sentence in ``language``, with
    stage ids shown by their ``labels``."""
    from playbook.i18n import t

    labels = labels or {}
    what = " → ".join(labels.get(s, s) for s in warning.stages) if warning.stages else ""
    where = ", ".join(short_label(w) for w in warning.where)
    return t(
        "small_sample_note",
        language,
        what=what,
        where=t("small_sample_where", language, where=where) if where else "",
        n=f"{warning.n:,}",
        more=t("small_sample_more", language, k=warning.more) if warning.more else "",
    )


#: KPIs that are probabilities (beliefs), not observed shares: never shown as 0% or 100%.
PROBABILITY_KPIS = frozenset({"pilot_probability"})


def format_kpi(entry: dict, name: str = "") -> str:
    """A KPI value for display, with its 95% interval when it has one.

    ``name`` (the KPI's name) marks probabilities (:data:`PROBABILITY_KPIS`), shown as
    "> 99%" / "< 1%" at the extremes rather than 100% / 0%.
    """
    value = entry.get("value")
    if value is None:
        return "–"
    if name in PROBABILITY_KPIS:
        return format_probability(value)
    low, high = entry.get("ci_low"), entry.get("ci_high")
    if entry.get("unit") == "share":
        text = f"{value:.1%}"
        return text + (f" (95% CI {low:.1%}–{high:.1%})" if low is not None else "")
    if entry.get("unit") == "auc":
        text = f"{value:.3f}"
        return text + (f" (95% CI {low:.3f}–{high:.3f})" if low is not None else "")
    if isinstance(value, float) and abs(value) < 100 and not value.is_integer():
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.0f}"
    if low is not None and high is not None:
        text += f" (95% CI {low:,.3g}–{high:,.3g})"
    return text


@dataclass
class PreviousReport:
    """What this month's report reads from last month's: findings and the pipeline snapshot."""

    exists: bool
    findings: list[dict]
    snapshot: pd.DataFrame | None


def read_previous(summary_path: str) -> PreviousReport:
    """Last month's ``summary.json`` and ``tables/*pipeline_snapshot.csv`` (if any)."""
    if not summary_path or not Path(summary_path).is_file():
        return PreviousReport(False, [], None)
    path = Path(summary_path)
    summary = json.loads(path.read_text(encoding="utf-8"))
    snapshot = None
    found = sorted((path.parent / "tables").glob("*pipeline_snapshot.csv"))
    if found:
        snapshot = pd.read_csv(found[0], encoding="utf-8-sig", parse_dates=["expected_close_at"])
    return PreviousReport(True, summary.get("findings", []), snapshot)


def _default(value: Any) -> Any:
    if is_dataclass(value):
        return asdict(value)
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)

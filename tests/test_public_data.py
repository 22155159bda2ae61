"""Real public data (../shared/data) through the source adapters, checked against counts made
independently from the raw files with plain pandas and the standard library.

The workspaces are ``tests/configs/<name>/``: each holds only a ``pilot.yml`` whose
``source.path`` points at the shared data, which is read in place and never copied; the
shared data folder lies outside the workspace, so it is allowed as ``--allow-path`` would.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from playbook.steps.intake import headline_kpis
from playbook.steps.journey import stage_monitor
from playbook.workspace.load import load_workspace

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CONFIGS = Path(__file__).resolve().parent / "configs"


def shared(relative: str) -> Path:
    """A file of the shared public data; fail (not skip) when it is missing."""
    path = DATA / relative
    if not path.exists():
        pytest.fail(
            f"public test data not found: {path}. The tests expect the shared datasets in "
            f"{DATA} (see its README.md); CI provides them."
        )
    return path


def monitor_counts(monitor: pd.DataFrame) -> dict[str, tuple[int, int, int, int]]:
    cols = ["entered", "advanced", "lost", "open"]
    return {str(r.stage): tuple(int(getattr(r, c)) for c in cols) for r in monitor.itertuples()}


# --- Maven CRM sales opportunities -----------------------------------------------------------


@pytest.fixture(scope="module")
def maven():
    raw = pd.read_csv(shared("maven_crm_sales_opportunities/sales_pipeline.csv"))
    workspace = CONFIGS / "maven"
    assert sorted(p.name for p in workspace.iterdir()) == ["pilot.yml"]  # nothing copied
    return raw, load_workspace(workspace, allowed=[DATA])


def test_maven_deals_and_kpis_match_the_raw_csv(maven) -> None:
    raw, data = maven
    # Prospecting opportunities carry no date at all: the config leaves them out
    undated = raw["engage_date"].isna()
    assert set(raw.loc[undated, "deal_stage"]) == {"Prospecting"}
    dated = raw[~undated]
    stage = dated["deal_stage"]
    assert len(data.deals) == len(dated) == 8300
    assert data.deals["status"].astype(str).value_counts().to_dict() == {
        "won": int((stage == "Won").sum()),
        "lost": int((stage == "Lost").sum()),
        "open": int((stage == "Engaging").sum()),
    }
    won = dated[stage == "Won"]
    cycle = (pd.to_datetime(won["close_date"]) - pd.to_datetime(won["engage_date"])).dt.days
    kpis = headline_kpis(data.deals)
    assert kpis["deals"]["value"] == len(dated)
    assert kpis["open_deals"]["value"] == (stage == "Engaging").sum()
    assert kpis["win_rate"]["n"] == stage.isin(["Won", "Lost"]).sum()
    assert kpis["win_rate"]["value"] == len(won) / stage.isin(["Won", "Lost"]).sum()
    assert kpis["median_cycle_days"]["value"] == cycle.median()
    assert kpis["median_cycle_days"]["n"] == len(won) == 4238
    assert kpis["won_revenue"]["value"] == won["close_value"].sum()
    # values arrive as typed: product names as in this table (GTXPro, not products.csv's GTX Pro)
    assert set(data.deals["product"].astype(str)) == set(dated["product"])
    assert data.reps is not None and len(data.reps) == 35


def test_maven_stage_counts_match_the_raw_csv(maven) -> None:
    raw, data = maven
    dated = raw[raw["engage_date"].notna()]
    stage = dated["deal_stage"]
    n, won, lost, engaging = (
        len(dated),
        int((stage == "Won").sum()),
        int((stage == "Lost").sum()),
        int((stage == "Engaging").sum()),
    )
    # every dated deal was engaged (and so had passed prospecting); won deals reach "won"
    assert monitor_counts(stage_monitor(data.deals, data.stage_events, data.config)) == {
        "prospecting": (n, n, 0, 0),
        "engaging": (n, won, lost, engaging),
        "won": (won, won, 0, 0),
    }
    assert data.stage_events["stage"].astype(str).value_counts().to_dict() == {"engaging": n}


# --- BPI Challenge 2012 (XES) ------------------------------------------------------------------

FUNNEL = {
    "A_SUBMITTED": 0,
    "A_PREACCEPTED": 1,
    "A_ACCEPTED": 2,
    "O_SENT": 3,
    "O_SENT_BACK": 3,
    "A_APPROVED": 4,
}
STAGES = ["submitted", "preaccepted", "accepted", "offer", "approved"]
WON, LOST = {"A_APPROVED"}, {"A_DECLINED", "A_CANCELLED"}
LOCAL = ZoneInfo("Europe/Amsterdam")


def count_bpic(path: Path) -> pd.DataFrame:
    """One row per trace, straight from the XML with ElementTree: case, first time,
    status and close time (last won/lost event), furthest funnel stage, requested amount.
    Only events whose lifecycle:transition is 'complete' count."""
    ns = "{http://www.xes-standard.org/}"
    rows = []
    with gzip.open(path, "rb") as handle:
        for _, element in ET.iterparse(handle, events=("end",)):
            if element.tag != f"{ns}trace":
                continue
            attrs = {a.get("key"): a.get("value") for a in element if a.tag != f"{ns}event"}
            events = []
            for order, event in enumerate(element.iter(f"{ns}event")):
                ev = {a.get("key"): a.get("value") for a in event}
                if ev.get("lifecycle:transition", "complete").lower() != "complete":
                    continue
                when = datetime.fromisoformat(ev["time:timestamp"])
                events.append((when, order, ev["concept:name"]))
            events.sort()
            terminal = [(w, name) for w, _, name in events if name in WON | LOST]
            last = terminal[-1] if terminal else None
            rows.append(
                {
                    "deal_id": attrs["concept:name"],
                    "created": events[0][0],
                    "status": "open" if last is None else ("won" if last[1] in WON else "lost"),
                    "closed": None if last is None else last[0],
                    "furthest": max((FUNNEL[n] for _, _, n in events if n in FUNNEL), default=-1),
                    "amount": float(attrs["AMOUNT_REQ"]),
                    "events": [n for _, _, n in events if n in FUNNEL],
                }
            )
            element.clear()
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def bpic():
    path = shared("bpic2012_loan_application/BPI_Challenge_2012.xes.gz")
    workspace = CONFIGS / "bpic2012"
    assert sorted(p.name for p in workspace.iterdir()) == ["pilot.yml"]
    return count_bpic(path), load_workspace(workspace, allowed=[DATA])


def test_bpic2012_deals_and_events_match_the_raw_xml(bpic) -> None:
    truth, data = bpic
    assert len(data.deals) == len(truth) == 13087
    assert data.deals["status"].astype(str).value_counts().to_dict() == (
        truth["status"].value_counts().to_dict()
    )
    events = pd.Series([STAGES[FUNNEL[n]] for names in truth["events"] for n in names])
    assert data.stage_events["stage"].astype(str).value_counts().to_dict() == (
        events.value_counts().to_dict()
    )
    assert len(data.stage_events) == 38297
    deals = data.deals.set_index(data.deals["deal_id"].astype(str))
    truth = truth.set_index("deal_id")

    def local(values: pd.Series) -> pd.Series:  # the playbook's clock: Amsterdam wall time
        return values.map(lambda t: t.astimezone(LOCAL).replace(tzinfo=None)).astype(
            "datetime64[ns]"
        )

    assert (deals.loc[truth.index, "created_at"] == local(truth["created"])).all()
    closed = truth["closed"].notna()
    assert (deals.loc[truth.index[closed], "closed_at"] == local(truth["closed"][closed])).all()
    won = truth[truth["status"] == "won"]
    cycle = (local(won["closed"]) - local(won["created"])).dt.total_seconds() / 86400
    kpis = headline_kpis(data.deals)
    resolved = int((truth["status"] != "open").sum())
    assert kpis["win_rate"]["n"] == resolved
    assert kpis["win_rate"]["value"] == len(won) / resolved
    assert kpis["median_cycle_days"]["value"] == pytest.approx(cycle.median(), abs=1e-9)
    assert kpis["won_revenue"]["value"] == won["amount"].sum()


def test_bpic2012_stage_counts_match_the_raw_xml(bpic) -> None:
    truth, data = bpic
    furthest = truth["furthest"].to_numpy()
    status = truth["status"].to_numpy()
    last = len(STAGES) - 1
    expected = {}
    for k, stage in enumerate(STAGES):
        here = furthest == k
        advanced = (furthest > k) | ((k == last) & (furthest == k) & (status == "won"))
        expected[stage] = (
            int((furthest >= k).sum()),
            int(advanced.sum()),
            int((here & (status == "lost")).sum()),
            int((here & (status == "open")).sum()),
        )
    assert monitor_counts(stage_monitor(data.deals, data.stage_events, data.config)) == expected
    assert expected["submitted"][0] == 13087 and np.all(furthest >= 0)


@pytest.mark.notebooks
def test_maven_whole_pilot_summary_matches_the_raw_csv(tmp_path) -> None:
    """`playbook run` end to end on a real CRM export: summary.json equals raw counts."""
    import json

    from playbook.report.runner import run_pilot

    raw = pd.read_csv(shared("maven_crm_sales_opportunities/sales_pipeline.csv"))
    dated = raw[raw["engage_date"].notna()]
    stage = dated["deal_stage"]
    won = dated[stage == "Won"]
    resolved = int(stage.isin(["Won", "Lost"]).sum())
    cycle = (pd.to_datetime(won["close_date"]) - pd.to_datetime(won["engage_date"])).dt.days

    # A run keeps its pseudonymisation secret in the workspace: run a copy of the config so
    # the committed folder stays a workspace of one file (the fixture above checks it).
    workspace = tmp_path / "maven"
    workspace.mkdir()
    config = (CONFIGS / "maven" / "pilot.yml").read_text(encoding="utf-8")
    in_place = "../../../../shared/data/maven_crm_sales_opportunities"
    assert in_place in config
    config = config.replace(in_place, str(DATA / "maven_crm_sales_opportunities"))
    (workspace / "pilot.yml").write_text(config, encoding="utf-8")
    result = run_pilot(workspace, out=tmp_path / "reports", jobs=2, allowed=[DATA])
    summary = json.loads((result.report_dir / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["steps"].values()) == {"ok"} and len(summary["steps"]) >= 8
    kpis = summary["kpis"]
    assert kpis["deals"]["value"] == len(dated) == 8300
    assert kpis["win_rate"]["n"] == resolved
    assert kpis["win_rate"]["value"] == pytest.approx(len(won) / resolved, abs=1e-6)
    assert kpis["median_cycle_days"]["value"] == cycle.median()
    engaging = next(s for s in summary["stages"] if s["from"] == "engaging")
    assert engaging["to"] == "won"
    assert (engaging["entered"], engaging["advanced"], engaging["lost"], engaging["open"]) == (
        len(dated),
        len(won),
        int((stage == "Lost").sum()),
        int((stage == "Engaging").sum()),
    )

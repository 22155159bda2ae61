"""End to end: an anonymised report holds no identifier of the input, and no team view
describes fewer people than ``min_group_size``.

Every file of the report folder is scanned (pages, executed notebooks, tables, alerts,
summary, manifest, models, the parts, figures with their PNG text chunks, and the images
embedded in pages and notebooks) for every id of the input: deal, account, owner, actor and
rep ids, rep names and assessor names. The test workspace marks every id with a prefix no
report text carries, so a hit is a leak and never a coincidence.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml
from PIL import Image

from playbook.cli import main
from playbook.report.anonymise import pseudonym_lookup
from playbook.report.runner import run_pilot
from playbook.workspace.trust import available_steps

pytestmark = pytest.mark.notebooks

MARK = "qz"  # prefix of every id in the test workspace
ASSESSOR = "Chen Jingyi"
ID_COLUMNS = {
    "deals": ("deal_id", "owner_id", "account_id"),
    "stage_events": ("deal_id", "owner_id"),
    "activities": ("deal_id", "actor_id"),
    "reps": ("rep_id",),
    "assessments": ("rep_id",),
    "outcomes": ("deal_id",),
}
ROLES = {"manager", "self"}


def _read(ws: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(ws / f"{table}.csv", dtype=str, keep_default_na=False, na_values=[""])


def _marked_workspace(source: Path, target: Path) -> Path:
    """A copy of ``source`` whose ids all start with MARK and whose manager has a name."""
    shutil.copytree(source, target)
    for table, columns in ID_COLUMNS.items():
        frame = _read(target, table)
        for column in columns:
            frame[column] = frame[column].map(lambda v: v if pd.isna(v) else f"{MARK}{v}")
        frame.to_csv(target / f"{table}.csv", index=False)
    assessments = _read(target, "assessments")
    assessments.loc[assessments["assessor"] == "manager", "assessor"] = ASSESSOR
    assessments.to_csv(target / "assessments.csv", index=False)
    config = yaml.safe_load((target / "pilot.yml").read_text(encoding="utf-8"))
    config.setdefault("capability", {})["assessor"] = ASSESSOR
    (target / "pilot.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    return target


def _input_ids(ws: Path) -> dict[str, str]:
    """Every identifier of the workspace -> its kind."""
    ids: dict[str, str] = {}
    deals = _read(ws, "deals")
    for kind, values in (
        ("deal", deals["deal_id"]),
        ("account", deals["account_id"]),
        ("person", deals["owner_id"]),
        ("person", _read(ws, "stage_events")["owner_id"]),
        ("person", _read(ws, "activities")["actor_id"]),
        ("person", _read(ws, "reps")["rep_id"]),
        ("name", _read(ws, "reps")["name"]),
        ("assessor", _read(ws, "assessments")["assessor"]),
    ):
        for value in values.dropna().unique():
            if kind != "assessor" or value.casefold() not in ROLES:
                ids[str(value)] = kind
    return ids


_EMBEDDED = re.compile(
    r"data:image/png;base64,(?P<html>[A-Za-z0-9+/=]+)|\"image/png\": \"(?P<nb>[A-Za-z0-9+/=\\n]+)\""
)


def _png_text(data: bytes) -> str:
    """The text chunks (tEXt, zTXt, iTXt) and string metadata of a PNG image."""
    image = Image.open(io.BytesIO(data))
    image.load()
    chunks = {**image.info, **getattr(image, "text", {})}
    return "\n".join(f"{k}: {v}" for k, v in chunks.items() if isinstance(v, str))


def _texts(report: Path):
    """(file, text) for every file of a report, images' metadata included."""
    files = [p for p in sorted(report.rglob("*")) if p.is_file()]
    for path in files:
        data = path.read_bytes()
        name = path.relative_to(report).as_posix()
        if path.suffix == ".png":
            yield name, _png_text(data)
            yield name, data.decode("latin-1")  # chunks PIL does not read, if any
            continue
        text = data.decode("utf-8", errors="replace")
        for match in _EMBEDDED.finditer(text):
            blob = (match["html"] or match["nb"]).replace("\\n", "")
            yield f"{name} (embedded image)", _png_text(base64.b64decode(blob))
        yield name, _EMBEDDED.sub("", text)


def _scan(report: Path, ids: dict[str, str]) -> tuple[Counter, Counter, list[str]]:
    """Hits per kind of id, per file, and the files scanned."""
    pattern = re.compile(
        r"(?<![\w-])("
        + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
        + r")(?![\w-])"
    )
    kinds: Counter = Counter()
    files: Counter = Counter()
    scanned = []
    for name, text in _texts(report):
        scanned.append(name)
        for match in pattern.finditer(text):
            kinds[ids[match.group(1)]] += 1
            files[name] += 1
    return kinds, files, scanned


@pytest.fixture(scope="module")
def marked(small_sample: Path, tmp_path_factory) -> Path:
    return _marked_workspace(small_sample, tmp_path_factory.mktemp("marked") / "acme")


@pytest.fixture(scope="module")
def anonymised(marked: Path, tmp_path_factory):
    return run_pilot(marked, out=tmp_path_factory.mktemp("anonymised"), anonymize=True)


def test_the_scan_finds_identifiers_in_a_plain_report(marked: Path, tmp_path: Path) -> None:
    """Without --anonymize the same scan finds deals, reps and the assessor: it can fail."""
    plain = run_pilot(marked, out=tmp_path, only=["03", "04", "06"])
    kinds, files, _ = _scan(plain.report_dir, _input_ids(marked))
    assert kinds["deal"] >= 100 and kinds["person"] >= 100, kinds
    assert kinds["assessor"] >= 2, kinds  # the capability page and the manifest's config
    assert files["manifest.json"] >= 1 and files["alerts.csv"] >= 10, files


def test_anonymised_report_holds_no_identifier_of_the_input(anonymised, marked: Path) -> None:
    assert set(anonymised.summary["steps"].values()) == {"ok"}
    assert len(anonymised.summary["steps"]) == len(available_steps())  # every step ran
    ids = _input_ids(marked)
    assert {"deal", "account", "person", "name", "assessor"} <= set(ids.values())
    kinds, files, scanned = _scan(anonymised.report_dir, ids)
    assert not files, files.most_common(10)
    suffixes = {Path(name.split(" ")[0]).suffix for name in scanned}
    assert {".html", ".ipynb", ".csv", ".json", ".png"} <= suffixes
    assert any(name.startswith("models/") for name in scanned)  # the saved scoring model
    assert any(name.endswith("(embedded image)") for name in scanned)
    secret = (marked / ".playbook" / "secret").read_text().strip()
    assert not any(secret in text for _, text in _texts(anonymised.report_dir))


def test_alerts_point_to_deals_the_client_can_look_up(
    anonymised, marked: Path, tmp_path: Path
) -> None:
    alerts = pd.read_csv(anonymised.report_dir / "alerts.csv", dtype=str)
    assert len(alerts) and alerts["deal_id"].str.fullmatch(r"Deal-[0-9a-f]{12}").all()
    assert alerts["owner_id"].str.fullmatch(r"Rep-[0-9a-f]{6,}").all()
    lookup_file = tmp_path / "pseudonyms.csv"
    assert main(["pseudonyms", str(marked), "--out", str(lookup_file)]) == 0
    back = pd.read_csv(lookup_file, dtype=str).set_index("pseudonym")["id"]
    deals = _read(marked, "deals").set_index("deal_id")
    real = alerts["deal_id"].map(back)
    assert real.notna().all() and real.isin(deals.index).all()
    # the owner named by each alert is the real deal's owner
    assert (alerts["owner_id"].map(back) == deals.loc[real, "owner_id"].to_numpy()).all()


def test_named_assessor_still_selects_that_persons_scores(anonymised, marked: Path) -> None:
    report = anonymised.report_dir
    manifest = (report / "manifest.json").read_text(encoding="utf-8")
    assert re.search(r'"assessor": "Staff-[0-9a-f]{6,}"', manifest)
    back = pseudonym_lookup(marked).set_index("pseudonym")["id"]
    shown = pd.read_csv(report / "tables" / "04_rep_scores.csv")
    shown["rep_id"] = shown["rep_id"].map(back)
    given = _read(marked, "assessments").astype({"score": float})
    key = ["rep_id", "dimension"]
    named = given[given["assessor"] == ASSESSOR].set_index(key)["score"]
    own = given[given["assessor"] == "self"].set_index(key)["score"]
    scores = shown.set_index(key)["score"]
    assert len(scores) and scores.to_dict() == named.loc[scores.index].to_dict()
    assert (scores != own.loc[scores.index]).any()  # the self-assessments would differ


def test_pseudonyms_are_stable_between_runs(anonymised, marked: Path, tmp_path: Path) -> None:
    again = run_pilot(marked, out=tmp_path, only=["00"], anonymize=True)
    table = "tables/00_completeness_rep.csv"
    first = pd.read_csv(anonymised.report_dir / table)
    second = pd.read_csv(again.report_dir / table)
    assert set(first["owner_id"]) == set(second["owner_id"])
    assert first["owner_id"].str.startswith("Rep-").all()


# --- a team of 3 reps with min_group_size 5 -----------------------------------------------------

SMALL_TEAM = "Tinyteam"


def _workspace_with_a_small_team(source: Path, target: Path) -> Path:
    """The sample with one team of 5 listed reps, of whom only 3 own deals."""
    shutil.copytree(source, target)
    reps = _read(target, "reps")
    team = reps["team"].value_counts().index[-1]
    members = reps.loc[reps["team"] == team, "rep_id"].tolist()
    assert len(members) >= 5
    reps.loc[reps["team"] == team, "team"] = SMALL_TEAM
    reps.to_csv(target / "reps.csv", index=False)
    elsewhere = reps.loc[reps["team"] != SMALL_TEAM, "rep_id"].iloc[0]
    for table in ("deals", "stage_events"):
        frame = _read(target, table)
        frame.loc[frame["owner_id"].isin(members[3:]), "owner_id"] = elsewhere
        frame.to_csv(target / f"{table}.csv", index=False)
    config = yaml.safe_load((target / "pilot.yml").read_text(encoding="utf-8"))
    assert config.get("min_group_size", 5) == 5
    return target


def _check_team_rows(named: dict[str, float], per_team: pd.Series, people: pd.Series) -> None:
    """Team rows name only teams of 5+ people, and the pool holds every hidden team whole."""
    assert SMALL_TEAM not in named
    for team, value in named.items():
        if team != "other teams":
            assert value == per_team[team] and people[team] >= 5, team
    hidden = [t for t in per_team.index if t not in named]
    assert SMALL_TEAM in hidden
    # nothing is left over to subtract: the hidden teams are exactly the pool, of 5+ people
    assert named.get("other teams", 0) == per_team[hidden].sum()
    assert people[hidden].sum() >= 5


def test_a_team_of_three_gets_no_figure_anywhere(small_sample: Path, tmp_path: Path) -> None:
    ws = _workspace_with_a_small_team(small_sample, tmp_path / "ws")
    result = run_pilot(ws, out=tmp_path / "out", only=["00", "03", "05"])
    leaks = [name for name, text in _texts(result.report_dir) if SMALL_TEAM in text]
    assert not leaks, leaks
    deals = _read(ws, "deals")
    team_of = _read(ws, "reps").set_index("rep_id")["team"]
    deals["team"] = deals["owner_id"].map(team_of)
    assert deals.loc[deals["team"] == SMALL_TEAM, "owner_id"].nunique() == 3
    tables = result.report_dir / "tables"
    response = pd.read_csv(tables / "03_response_times.csv")
    by_team = response[response["dimension"] == "team"].set_index("value")["leads"]
    _check_team_rows(
        by_team.to_dict(),
        deals.groupby("team").size(),
        deals.groupby("team")["owner_id"].nunique(),
    )
    open_deals = deals[deals["status"] == "open"]
    sleeping = pd.read_csv(tables / "03_sleeping_by_team.csv").set_index("team")["open"]
    _check_team_rows(
        sleeping.to_dict(),
        open_deals.groupby("team").size(),
        open_deals.groupby("team")["owner_id"].nunique(),
    )
    for table in ("03_sla_breaches_by_rep", "03_sleeping_leads", "05_kpi_by_rep"):
        labels = set(pd.read_csv(tables / f"{table}.csv")["team"].dropna())
        assert SMALL_TEAM not in labels and labels, table

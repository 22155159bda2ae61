"""Shared fixtures: tiny hand-made workspaces and a small generated sample."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

DEALS_CSV = """deal_id,created_at,owner_id,status,closed_at,amount,segment,region
D1,2026-03-01,R1,won,2026-03-20,1200,Retail,East
D2,2026-03-02 10:00,R1,lost,2026-03-10,800,Retail,East
D3,2026-03-03,R2,open,,300,Energy,West
"""

EVENTS_CSV = """deal_id,stage,entered_at
D1,Lead,2026-03-01
D1,Intent,2026-03-05
D1,Signed,2026-03-20
D2,Lead,2026-03-02 10:00
D3,Lead,2026-03-03
D3,Proposal,2026-03-08
"""


def write_workspace(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write a workspace: file name -> text (UTF-8) or bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_workspace(tmp_path: Path) -> Path:
    return write_workspace(
        tmp_path / "tiny", {"deals.csv": DEALS_CSV, "stage_events.csv": EVENTS_CSV}
    )


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory) -> Path:
    """A generated sample workspace small enough for end-to-end runs."""
    from playbook.sample import generate

    folder = tmp_path_factory.mktemp("sample") / "acme"
    generate(folder, seed=7, deals=1500)
    return folder


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(autouse=True, scope="session")
def _headless_env(tmp_path_factory):
    os.environ.setdefault("MPLBACKEND", "Agg")
    # The local model-signing key of the test session (kernels inherit it), not the user's.
    os.environ["PLAYBOOK_HOME"] = str(tmp_path_factory.mktemp("playbook-home"))
    yield

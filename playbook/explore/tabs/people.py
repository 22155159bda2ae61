"""The *People* tab: win rate per team and per rep, each beside the company's on like deals.

Teams under ``min_group_size`` reps are pooled, a pool still too small is listed and marked
suppressed; reps are shown by pseudonym while the switch is on (rep names never are).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from playbook import stats
from playbook.explore.common import Precomputed
from playbook.explore.tabs.base import Frames, Groups, Shown, Tab, TabContext
from playbook.i18n import t
from playbook.steps import journey
from playbook.steps.journey import JourneyData
from playbook.workspace import privacy

#: People views read each win rate against what the company wins on the same deals.
LIKE_DEALS_COLUMNS = ["expected_win_rate", "win_rate_vs_expected"]
_COUNTS = ["deals", "won", "lost", "open", "win_rate", "ci_low", "ci_high"]
TEAM_COLUMNS = ["team", "reps", *_COUNTS, *LIKE_DEALS_COLUMNS, "suppressed"]
REP_COLUMNS = ["owner_id", "team", *_COUNTS, *LIKE_DEALS_COLUMNS]
#: What a suppressed team row hides.
HIDDEN_COLUMNS = [*_COUNTS, *LIKE_DEALS_COLUMNS]


class PeopleTab(Tab):
    name = "people"
    TABLES = ("teams", "reps")

    def __init__(self, context: TabContext, rep_label: Callable[[str], str]) -> None:
        super().__init__(context)
        self.rep_label = rep_label

    def frames(self, sub: JourneyData, mask: np.ndarray) -> dict[str, pd.DataFrame | None]:
        """Win rate per team (pooled, suppressed under min_group_size) and per rep."""
        pre = self.context.data
        counts = rep_counts(pre, mask)
        if not len(counts):
            return {"reps": None, "teams": None}
        per_rep = with_win_rate(counts)
        per_rep["owner_id"] = per_rep["owner_id"].map(self.rep_label)
        per_rep = per_rep.sort_values(["deals", "owner_id"], ascending=[False, True])
        if counts["team"].replace("", None).isna().all():
            return {"reps": per_rep, "teams": None}
        other = t("other_teams", self.context.language)
        teams = team_rows(counts, self.context.min_group_size, other, pre.expected_won is None)
        return {"reps": per_rep, "teams": teams}

    def assemble(self, groups: Groups, notes: list[str]) -> tuple[Frames, Frames]:
        tables = {
            "teams": groups.stack("teams", TEAM_COLUMNS),
            "reps": groups.stack("reps", REP_COLUMNS),
        }
        return tables, {}

    def render(self, shown: Shown) -> None:
        lang = self.context.language
        k = self.context.min_group_size
        who = t("explore_reps_pseudonymised" if shown.pseudonymised else "explore_reps_ids", lang)
        self.html["teams"].value = shown.format.html(
            shown.tables["teams"], t("explore_heading_teams", lang, k=k)
        )
        self.html["reps"].value = shown.format.html(
            shown.tables["reps"], t("explore_heading_reps", lang, who=who)
        )


def rep_counts(pre: Precomputed, mask: np.ndarray) -> pd.DataFrame:
    """Deals, won, lost, open and expected wins of each rep with deals in ``mask``."""
    reps = np.asarray(pre.options["rep"], dtype=object)
    code = pre.codes["rep"][mask]
    status = pre.journey.status[mask]

    def per_rep(selected: np.ndarray) -> np.ndarray:
        return np.bincount(code[selected], minlength=len(reps))

    counts = pd.DataFrame(
        {
            "owner_id": reps,
            "team": pre.rep_team,
            "deals": np.bincount(code, minlength=len(reps)),
            "won": per_rep(status == journey.WON),
            "lost": per_rep(status == journey.LOST),
            "open": per_rep(status == journey.OPEN),
        }
    )
    closed = status != journey.OPEN
    if pre.expected_won is None:
        counts["expected"] = np.nan
    else:
        expected = pre.expected_won[mask][closed]
        counts["expected"] = np.bincount(code[closed], weights=expected, minlength=len(reps))
    return counts[counts["deals"] > 0]


def team_rows(counts: pd.DataFrame, k: int, other: str, no_expectation: bool) -> pd.DataFrame:
    """The reps' counts summed per team; teams under ``k`` reps pooled into ``other``.

    Reps without a team count as a hidden group (complementary suppression); a pool still
    too small is listed, marked suppressed, its numbers hidden. ``no_expectation``: there
    are no expected wins (their sum is not an expectation of 0).
    """
    team = counts["team"].replace("", None)
    shown = privacy.people_groups(team, counts["owner_id"], k, other)
    known = counts.assign(team=shown.where(shown.notna() | team.isna(), other))
    teams = (
        known.dropna(subset=["team"])
        .groupby("team", sort=True)
        .agg(
            reps=("owner_id", "size"),
            deals=("deals", "sum"),
            won=("won", "sum"),
            lost=("lost", "sum"),
            open=("open", "sum"),
            expected=("expected", "sum"),
        )
    )
    if no_expectation:
        teams["expected"] = np.nan
    teams = with_win_rate(teams.reset_index())
    teams["suppressed"] = teams["reps"] < k
    teams[HIDDEN_COLUMNS] = teams[HIDDEN_COLUMNS].astype(float)
    teams.loc[teams["suppressed"], HIDDEN_COLUMNS] = np.nan
    return teams


def with_win_rate(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` plus the win rate of resolved deals (won / (won + lost)) and its interval,
    and — from the ``expected`` wins on the same deals — the win rate the company achieves
    on them and the difference (like deals; NaN without expected wins)."""
    resolved = (counts["won"] + counts["lost"]).to_numpy()
    rates = stats.rate_table(counts["won"].to_numpy(), resolved)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(
            resolved > 0, counts["expected"].to_numpy(dtype=float) / resolved, np.nan
        )
    out = counts.drop(columns="expected").reset_index(drop=True)
    return out.assign(
        win_rate=rates["rate"].to_numpy(),
        ci_low=rates["ci_low"].to_numpy(),
        ci_high=rates["ci_high"].to_numpy(),
        expected_win_rate=expected,
        win_rate_vs_expected=rates["rate"].to_numpy() - expected,
    )

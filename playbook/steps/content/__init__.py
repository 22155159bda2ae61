"""Step 8, the content library: every item with its usage, measured effect and text.

:func:`analyse` turns a :class:`~playbook.workspace.dataset.Dataset` into a :class:`ContentStudy`:
the
library (items by type, how much and by how many people each is used, its effect at each
stage where it was judged), the effects table of :mod:`playbook.steps.content.effects`, the
findings, and the texts of the winners and problem items. :func:`learning_materials` links
the plan's stage weaknesses to the winning items of those stages.

"Used most by" names people only for an item used by at least ``min_group_size`` people
(the ids are pseudonyms in anonymised runs); the owner (author) of an item is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from playbook.findings import Finding
from playbook.i18n import t
from playbook.steps.content.effects import (
    EFFECT_COLUMNS,
    STRATA,
    content_uses,
    find_content_effects,
    item_effects,
)
from playbook.steps.content.search import ContentIndex, build_index, effect_labels, search
from playbook.steps.prepared import journey_of

__all__ = [
    "LIBRARY_COLUMNS",
    "MATERIAL_COLUMNS",
    "ContentStudy",
    "analyse",
    "learning_materials",
    "library_table",
    "materials_for",
    "results_text",
    "search_library",
]

LIBRARY_COLUMNS = [
    "type",
    "content_id",
    "title",
    "language",
    "tags",
    "uses",
    "deals",
    "users",
    "top_users",
    "effects",
    "excerpt",
]
MATERIAL_COLUMNS = ["owner_id", "stage", "content_id", "type", "title", "observed", "baseline"]
TOP_USERS = 3
EXCERPT_CHARS = 160


@dataclass
class ContentStudy:
    """What step 8 shows; ``present`` is False when the workspace has no content table."""

    present: bool
    language: str = "en"
    content: pd.DataFrame = field(default_factory=pd.DataFrame)
    uses: pd.DataFrame = field(default_factory=pd.DataFrame)
    effects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EFFECT_COLUMNS))
    library: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LIBRARY_COLUMNS))
    findings: list[Finding] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    _index: ContentIndex | None = None

    def summary(self) -> str:
        """One sentence: items, usage, how many were judged and claimed."""
        if not self.present:
            return t("content_no_table", self.language)
        if self.uses.empty:
            return t("content_no_uses", self.language, n=len(self.content))
        verdicts = self.effects["verdict"]
        return t(
            "content_summary",
            self.language,
            items=len(self.content),
            used=self.uses["content_id"].nunique(),
            deals=f"{self.uses['deal_id'].nunique():,}",
            tested=int((verdicts != "too_few").sum()),
            winners=int((verdicts == "winner").sum()),
            problems=int((verdicts == "problem").sum()),
        )

    def effects_view(self) -> pd.DataFrame:
        """The effects table for the page: verdicts in words, titles beside ids.

        A stray use at a stage where the item had too few deals is left out when the item
        was judged at another stage (the CSV keeps every row).
        """
        effects = self.effects
        judged = set(effects.loc[effects["verdict"] != "too_few", "content_id"])
        stray = (effects["verdict"] == "too_few") & effects["content_id"].isin(judged)
        view = effects[~stray].copy()
        titles = dict(zip(self.library["content_id"], self.library["title"], strict=True))
        view.insert(1, "title", view["content_id"].map(titles))
        view["verdict"] = view["verdict"].map(lambda v: t(f"content_verdict_{v}", self.language))
        view["difference"] = (pd.to_numeric(view["difference"]) * 100).round(1)
        return view.drop(columns=["or_low", "or_high", "p_value"])

    @property
    def summary_kind(self) -> str:
        """How the summary sentence is shown: a warning when there is nothing to measure."""
        return "p" if self.present and not self.uses.empty else "warn"

    def claimed_texts(self) -> pd.DataFrame:
        """``content_id | title | stage | verdict | body``: the full text of each claimed item."""
        claimed = self.effects[self.effects["verdict"].isin(["winner", "problem"])]
        if claimed.empty:
            return pd.DataFrame(columns=["content_id", "title", "stage", "verdict", "body"])
        texts = self.content.assign(content_id=self.content["content_id"].astype(str))
        body = texts["body"] if "body" in texts.columns else pd.Series("", index=texts.index)
        texts = texts.assign(body=body)[["content_id", "body"]]
        out = claimed[["content_id", "stage", "verdict"]].merge(texts, on="content_id", how="left")
        titles = dict(zip(self.library["content_id"], self.library["title"], strict=True))
        out.insert(1, "title", out["content_id"].map(titles))
        out["verdict"] = out["verdict"].map(lambda v: t(f"content_verdict_{v}", self.language))
        return out

    def search(self, query: str, *, limit: int = 20) -> pd.DataFrame:
        """:func:`search_library` over this study."""
        if self._index is None:
            self._index = build_index(self.content)
        return search_library(self, query, limit=limit)


def analyse(dataset, *, language: str = "en") -> ContentStudy:
    """The content library of a dataset: usage, effects, findings (see the module docstring)."""
    config = dataset.config
    labels = {s.id: s.label(language) for s in config.funnel.stages}
    content = dataset.content
    if content is None:
        return ContentStudy(False, language, labels=labels)
    uses = content_uses(
        dataset.deals, dataset.stage_events, dataset.activities, config, journey=journey_of(dataset)
    )
    effects = item_effects(uses)
    present = [c for c in STRATA if c in dataset.deals.columns]
    findings = find_content_effects(
        effects, content, language=language, stage_labels=labels, strata=present
    )
    table = library_table(
        content,
        uses,
        effects,
        dataset.activities,
        min_group_size=config.min_group_size,
        language=language,
        labels=labels,
    )
    return ContentStudy(True, language, content, uses, effects, table, findings, labels)


def library_table(
    content: pd.DataFrame,
    uses: pd.DataFrame,
    effects: pd.DataFrame,
    activities: pd.DataFrame | None,
    *,
    min_group_size: int,
    language: str = "en",
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Every item, by type: usage, who uses it most, its effects and the start of its text.

    Returns
    -------
    DataFrame
        :data:`LIBRARY_COLUMNS`: ``uses`` activities naming the item, ``deals`` distinct
        deals, ``users`` distinct people (actor, else the deal's owner), ``top_users`` the
        :data:`TOP_USERS` people with most deals as ``id (deals)`` — only when ``users`` is
        at least ``min_group_size``, else a sentence saying so; ``effects`` one line per
        stage judged (:func:`playbook.steps.content.search.effect_labels`).
    """
    items = pd.DataFrame({"content_id": content["content_id"].astype(str).to_numpy()})
    for column in ("type", "title", "language", "tags", "body"):
        items[column] = content[column].to_numpy() if column in content.columns else None
    counted = _usage(activities)
    items = items.merge(counted, on="content_id", how="left")
    people = _top_users(uses, min_group_size, language)
    items = items.merge(people, on="content_id", how="left")
    counts = ["uses", "deals", "users"]
    items[counts] = items[counts].apply(pd.to_numeric).fillna(0).astype(int)
    items["top_users"] = items["top_users"].fillna("")
    verdict = lambda v: t(f"content_verdict_{v}", language)  # noqa: E731
    lines = effect_labels(effects, labels or {}, verdict)
    items["effects"] = (
        items["content_id"]
        .map(lines)
        .fillna(items["uses"].map(lambda n: "" if n else verdict("unused")))
    )
    items["excerpt"] = items["body"].map(_excerpt)
    items["type"] = items["type"].astype(object).fillna("")
    items = items.sort_values(["type", "deals", "content_id"], ascending=[True, False, True])
    return items[LIBRARY_COLUMNS].reset_index(drop=True)


def _usage(activities: pd.DataFrame | None) -> pd.DataFrame:
    if activities is None or "content_id" not in activities.columns:
        return pd.DataFrame(columns=["content_id", "uses", "deals"])
    used = activities.loc[activities["content_id"].notna(), ["content_id", "deal_id"]]
    used = used.astype({"content_id": str, "deal_id": str})
    return (
        used.groupby("content_id")
        .agg(uses=("deal_id", "size"), deals=("deal_id", "nunique"))
        .reset_index()
    )


def _top_users(uses: pd.DataFrame, min_group_size: int, language: str) -> pd.DataFrame:
    if uses.empty:
        return pd.DataFrame(columns=["content_id", "users", "top_users"])
    per = uses.groupby(["content_id", "actor_id"])["deal_id"].nunique().rename("n").reset_index()
    rows = []
    for item, group in per.groupby("content_id"):
        users = len(group)
        if users < min_group_size:
            top = t("content_users_hidden", language, k=min_group_size)
        else:
            best = group.sort_values(["n", "actor_id"], ascending=[False, True]).head(TOP_USERS)
            top = ", ".join(f"{a} ({n})" for a, n in zip(best["actor_id"], best["n"], strict=True))
        rows.append({"content_id": item, "users": users, "top_users": top})
    return pd.DataFrame(rows)


def _excerpt(body: object) -> str:
    if body is None or (isinstance(body, float) and pd.isna(body)):
        return ""
    text = " ".join(str(body).split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def search_library(study: ContentStudy, query: str, *, limit: int = 20) -> pd.DataFrame:
    """Items matching ``query`` (:func:`playbook.steps.content.search.search`), with their effects.

    Returns
    -------
    DataFrame
        ``content_id | type | title | language | tags | relevance | effects | excerpt``.
    """
    index = study._index if study._index is not None else study.content
    found = search(index, query, limit=limit)
    effects = dict(zip(study.library["content_id"], study.library["effects"], strict=True))
    found.insert(6, "effects", found["content_id"].map(effects).fillna(""))
    return found


def learning_materials(weaknesses: pd.DataFrame, effects: pd.DataFrame, content) -> pd.DataFrame:
    """The winning items of the stage each rep is weak at, for the plan's learning paths.

    Parameters
    ----------
    weaknesses : :func:`playbook.steps.plan.diagnose` frame (``owner_id | weakness | area | …``);
        stage weaknesses are ``stage:<id>`` with ``area`` the stage id.
    effects : :func:`playbook.steps.content.effects.item_effects` frame.
    content : the content table (for type and title), or None.

    Returns
    -------
    DataFrame
        :data:`MATERIAL_COLUMNS`, one row per rep, weak stage and winning item there (best
        first); empty when there is no winner for any weak stage.
    """
    if content is None or effects is None or effects.empty or weaknesses is None:
        return pd.DataFrame(columns=MATERIAL_COLUMNS)
    weak = weaknesses[weaknesses["weakness"].astype(str).str.startswith("stage:")]
    weak = weak.assign(stage=weak["weakness"].astype(str).str.slice(len("stage:")))
    winners = effects[effects["verdict"] == "winner"]
    winners = winners.sort_values("difference", ascending=False)[
        ["stage", "content_id", "observed", "baseline"]
    ]
    about = pd.DataFrame({"content_id": content["content_id"].astype(str).to_numpy()})
    for column in ("type", "title"):
        about[column] = content[column].to_numpy() if column in content.columns else None
    out = weak[["owner_id", "stage"]].drop_duplicates().merge(winners, on="stage")
    out = out.merge(about, on="content_id", how="left")
    return out[MATERIAL_COLUMNS].reset_index(drop=True)


def materials_for(dataset, weaknesses: pd.DataFrame) -> pd.DataFrame:
    """:func:`learning_materials` of a dataset: its content effects measured, then linked.

    Empty (:data:`MATERIAL_COLUMNS`) when the workspace has no content table.
    """
    if dataset.content is None:
        return pd.DataFrame(columns=MATERIAL_COLUMNS)
    uses = content_uses(
        dataset.deals,
        dataset.stage_events,
        dataset.activities,
        dataset.config,
        journey=journey_of(dataset),
    )
    return learning_materials(weaknesses, item_effects(uses), dataset.content)


def results_text(found: pd.DataFrame, query: str, language: str = "en") -> str:
    """Search results as plain text for the command line, best first, with their effect."""
    if found.empty:
        return t("content_search_none", language, query=query)
    lines = [t("content_search_results", language, n=len(found))]
    for row in found.itertuples(index=False):
        head = f"{row.content_id}  {row.type}  {row.title}"
        lines.append(f"{head}  [{row.language}]  ({row.relevance:.2f})".replace("  []", ""))
        if row.effects:
            lines.append(f"    {row.effects}")
        if row.excerpt:
            lines.append(f"    {row.excerpt}")
    return "\n".join(lines)

"""Searching the content library by words, in English and Chinese.

Titles, tags and texts go into an in-memory SQLite FTS5 index with the ``trigram``
tokenizer: any run of three or more characters matches wherever it occurs, so Chinese
text needs no word segmentation (``安全评审`` finds ``数据安全评审议程``) and English
matches inside words too. Trigrams cannot match a word of one or two characters (``安全``,
``AI``): those are matched as substrings. Every word of the query must match (AND); each
word's scores are scaled to 0–1 and added, titles weighing more than tags and tags more
than texts, so the best match comes first.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

__all__ = [
    "ContentIndex",
    "RESULT_COLUMNS",
    "build_index",
    "effect_labels",
    "query_words",
    "search",
]

#: Weights of a match in the title, the tags and the text.
WEIGHTS = (10.0, 5.0, 1.0)
FIELDS = ("title", "tags", "body")
#: Words shorter than this are matched as substrings (the trigram tokenizer needs three).
TRIGRAM = 3
EXCERPT_CHARS = 120
RESULT_COLUMNS = ["content_id", "type", "title", "language", "tags", "relevance", "excerpt"]


@dataclass
class ContentIndex:
    """The library's texts and, when SQLite has FTS5 with trigrams, their full-text index."""

    items: pd.DataFrame  # content_id, type, title, language, tags, body (text, "" when missing)
    connection: sqlite3.Connection | None


def build_index(content: pd.DataFrame) -> ContentIndex:
    """Index a content table (``content_id`` and any of type, title, language, tags, body)."""
    items = pd.DataFrame({"content_id": content["content_id"].astype(str).to_numpy()})
    for column in ("type", "title", "language", "tags", "body"):
        values = (
            content[column] if column in content.columns else pd.Series("", index=content.index)
        )
        items[column] = values.astype(object).where(values.notna(), "").astype(str).to_numpy()
    connection: sqlite3.Connection | None = sqlite3.connect(":memory:")
    try:
        connection.execute(
            "CREATE VIRTUAL TABLE items USING fts5(title, tags, body, tokenize='trigram')"
        )
        connection.executemany(
            "INSERT INTO items(rowid, title, tags, body) VALUES (?, ?, ?, ?)",
            [(i, r.title, r.tags, r.body) for i, r in enumerate(items.itertuples(index=False))],
        )
    except sqlite3.OperationalError as exc:  # an SQLite built without FTS5 or trigrams
        logger.info("full-text index not available (%s): matching substrings only", exc)
        connection.close()
        connection = None
    return ContentIndex(items, connection)


def query_words(query: str) -> list[str]:
    """The words of a query: runs of letters, digits or CJK characters, case-folded."""
    return [w.casefold() for w in re.findall(r"\w+", query or "")]


def search(index: ContentIndex | pd.DataFrame, query: str, *, limit: int = 20) -> pd.DataFrame:
    """The items matching every word of ``query``, best first.

    Parameters
    ----------
    index : a :func:`build_index` result, or a content table (indexed on the fly).
    query : words in any language; a word of one or two characters is matched as a substring.
    limit : at most this many results.

    Returns
    -------
    DataFrame
        :data:`RESULT_COLUMNS`: ``relevance`` is the sum over words of each word's score
        scaled to 0–1 (so between 0 and the number of words); ``excerpt`` is the text around
        the first match of a word in the body (or its start). Empty when nothing matches.
    """
    if not isinstance(index, ContentIndex):
        index = build_index(index)
    words = query_words(query)
    if not words or index.items.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    total = pd.Series(0.0, index=index.items.index)
    matched = pd.Series(True, index=index.items.index)
    for word in words:
        scores = _word_scores(index, word)
        matched &= scores > 0
        top = scores.max()
        total += scores / top if top > 0 else 0.0
    hits = index.items[matched].assign(relevance=total[matched].round(3))
    hits = hits.sort_values(["relevance", "content_id"], ascending=[False, True], kind="stable")
    hits = hits.head(limit)
    hits["excerpt"] = [_excerpt(body, words) for body in hits["body"]]
    return hits[RESULT_COLUMNS].reset_index(drop=True)


def _word_scores(index: ContentIndex, word: str) -> pd.Series:
    """Each item's score for one word (0: no match)."""
    if index.connection is not None and len(word) >= TRIGRAM:
        phrase = '"' + word.replace('"', '""') + '"'
        rows = index.connection.execute(
            "SELECT rowid, bm25(items, ?, ?, ?) FROM items WHERE items MATCH ?",
            (*WEIGHTS, phrase),
        ).fetchall()
        scores = pd.Series(0.0, index=index.items.index)
        for rowid, rank in rows:
            # bm25 is lower for better matches; a tiny floor keeps every match above 0
            scores.iloc[rowid] = max(-rank, 1e-6)
        return scores
    counts = [
        index.items[field].str.casefold().str.count(re.escape(word)) * weight
        for field, weight in zip(FIELDS, WEIGHTS, strict=True)
    ]
    return sum(counts).astype(float)


def _excerpt(body: str, words: list[str]) -> str:
    text = " ".join(str(body).split())
    if not text:
        return ""
    folded = text.casefold()
    found = [folded.find(w) for w in words if folded.find(w) >= 0]
    start = max(0, min(found) - EXCERPT_CHARS // 3) if found else 0
    piece = text[start : start + EXCERPT_CHARS]
    return ("…" if start > 0 else "") + piece + ("…" if start + EXCERPT_CHARS < len(text) else "")


def effect_labels(effects: pd.DataFrame, labels: dict[str, str], text) -> pd.Series:
    """content_id -> one line of its measured effects, e.g. ``Proposal: winner (62% vs 45%)``.

    ``text(verdict)`` names a verdict in the report language; items never used are absent,
    and an item judged at some stage leaves out the stages where it had too few deals.
    """
    if effects is None or effects.empty:
        return pd.Series(dtype=object)
    judged = set(effects.loc[effects["verdict"] != "too_few", "content_id"])
    # a stray use at another stage is noise beside a stage where the item was judged
    effects = effects[(effects["verdict"] != "too_few") | ~effects["content_id"].isin(judged)]
    parts = []
    for row in effects.itertuples(index=False):
        stage = labels.get(row.stage, row.stage)
        if row.verdict == "too_few" or not np.isfinite(row.observed):
            parts.append((row.content_id, f"{stage}: {text(row.verdict)} (n = {row.deals})"))
        else:
            parts.append(
                (
                    row.content_id,
                    f"{stage}: {text(row.verdict)} ({row.observed:.0%} vs {row.baseline:.0%}, "
                    f"n = {row.compared})",
                )
            )
    frame = pd.DataFrame(parts, columns=["content_id", "effect"])
    return frame.groupby("content_id", sort=False)["effect"].agg("; ".join)

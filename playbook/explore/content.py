"""The explorer's *Content library* tab: search box, results with their effect, the library.

The tab covers the whole company (the explorer's slice filters do not apply: an item's
effect needs every deal it was used on). It is computed when first shown or searched, so
opening the explorer costs nothing extra. People are not shown here: the explorer's
pseudonyms are its own, and who uses an item is in the report (step 8).
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from playbook.i18n import TEXT, t
from playbook.report import escape, table_html
from playbook.steps import content as content_library
from playbook.workspace.dataset import Dataset

__all__ = ["ContentTab"]

RESULT_COLUMNS = ["content_id", "type", "title", "language", "relevance", "effects", "excerpt"]
LIBRARY_COLUMNS = ["type", "content_id", "title", "language", "tags", "uses", "deals", "effects"]


class ContentTab:
    """A search box over the content library and the library itself, as one widget.

    Parameters
    ----------
    dataset : the explorer's dataset.
    language : "en" or "zh".

    Attributes
    ----------
    widget : VBox, the tab's content.
    query : Text, the search box (searching on every change).
    results : DataFrame, the last search's results (:func:`content_library.search_library`).
    """

    def __init__(self, dataset: Dataset, language: str) -> None:
        self.dataset = dataset
        self.language = language
        self.study: content_library.ContentStudy | None = None
        self.results = pd.DataFrame(columns=RESULT_COLUMNS)
        self.query = w.Text(
            placeholder=t("content_search_placeholder", language),
            description=t("content_search_prompt", language),
            style={"description_width": "initial"},
            layout=w.Layout(width="60%"),
            continuous_update=False,
        )
        self.query.add_class("pb-content-search")
        self._intro = w.HTML(f"<p>{escape(t('content_tab_intro', language))}</p>")
        self._results = w.HTML().add_class("pb-content-results")
        self._library = w.HTML().add_class("pb-content-library")
        self.widget = w.VBox([self._intro, self.query, self._results, self._library])
        self.query.observe(lambda change: self.search(change["new"]), names="value")

    def show(self) -> None:
        """Compute the library (once) and draw it."""
        if self.study is not None:
            return
        self.study = content_library.analyse(self.dataset, language=self.language)
        if not self.study.present:
            self._library.value = f"<p class='pb-warn'>{escape(self.study.summary())}</p>"
            self.query.disabled = True
            return
        summary = f"<p>{escape(self.study.summary())}</p>"
        self._library.value = summary + self._table(self.study.library[LIBRARY_COLUMNS], 200)

    def search(self, query: str) -> pd.DataFrame:
        """Show (and return) the items matching ``query``, best first, with their effect."""
        self.show()
        if self.study is None or not self.study.present or not str(query).strip():
            self._results.value = ""
            self.results = pd.DataFrame(columns=RESULT_COLUMNS)
            return self.results
        self.results = self.study.search(query)[RESULT_COLUMNS]
        if self.results.empty:
            text = t("content_search_none", self.language, query=query)
            self._results.value = f"<p class='pb-note'>{escape(text)}</p>"
        else:
            head = t("content_search_results", self.language, n=len(self.results))
            self._results.value = f"<h4>{escape(head)}</h4>" + self._table(self.results, 50)
        return self.results

    def _table(self, frame: pd.DataFrame, max_rows: int) -> str:
        headers = {c: TEXT[f"col_{c}"][self.language] for c in frame if f"col_{c}" in TEXT}
        return table_html(frame, max_rows=max_rows, headers=headers, language=self.language)

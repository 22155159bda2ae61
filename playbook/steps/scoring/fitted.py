"""The fitted lead-scoring model: what it holds, and how it scores a feature matrix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from playbook.steps.scoring.baseline import baseline_scores
from playbook.steps.scoring.features import ACTIVITY_FEATURES
from playbook.steps.scoring.models import one_thread
from playbook.steps.scoring.options import ScoringSettings

#: Activity features that depend on how the lead is worked after creation (``potential``
#: replaces them with a typically worked lead's values).
AFTER_CREATION = ("sales_touches", "meetings", "contacted", "hours_to_contact")
MODEL_FILE = "lead_scoring.joblib"
#: Where :func:`save_model` puts the model, relative to the report folder.
MODEL_PATH = f"models/{MODEL_FILE}"


@dataclass
class ScoringModel:
    """A fitted lead-scoring model, its evaluation and everything needed to score again.

    Attributes ending in ``_`` are results of :func:`fit_scoring`.
    """

    settings: ScoringSettings
    language: str = "en"
    columns_: tuple[str, ...] = ()
    activity_: bool = False
    pipeline_: Any = None
    chosen_: Literal["model", "baseline"] = "baseline"
    reason_: str = ""
    baseline_: pd.DataFrame = field(default_factory=pd.DataFrame)
    overall_rate_: float = float("nan")
    typical_: dict[str, float] = field(default_factory=dict)
    high_threshold_: float = float("nan")
    as_of_: pd.Timestamp | None = None
    horizon_days_: float = float("nan")
    test_start_: pd.Timestamp | None = None
    n_population_: int = 0
    n_won_: int = 0
    audit_: pd.DataFrame = field(default_factory=pd.DataFrame)
    metrics_: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration_: pd.DataFrame = field(default_factory=pd.DataFrame)
    lift_: pd.DataFrame = field(default_factory=pd.DataFrame)
    importance_: pd.DataFrame = field(default_factory=pd.DataFrame)
    auc_: dict[str, float] = field(default_factory=dict)
    versions_: dict[str, str] = field(default_factory=dict)
    #: Deal columns read as numbers (so a fresh export is typed as the training data was).
    numeric_: tuple[str, ...] = ()
    #: "logistic" or "boosting": the candidate picked on the held-out deals ("" before).
    kind_: str = ""
    #: Why no model was fitted (:func:`playbook.steps.scoring.window.thin_history`), or None.
    thin_: tuple[str, dict[str, Any]] | None = None

    @property
    def features_(self) -> list[str]:
        """Every input the model reads, in order."""
        return [*self.columns_, *(ACTIVITY_FEATURES if self.activity_ else ())]


def versions() -> dict[str, str]:
    """Versions of playbook and scikit-learn, stored with a model to warn on a mismatch."""
    import sklearn

    from playbook import __version__

    return {"playbook": __version__, "scikit-learn": sklearn.__version__}


def predict(model: ScoringModel, X: pd.DataFrame, *, potential: bool) -> np.ndarray:
    """Win probability of each row of ``X``; ``potential``: as a typically worked lead."""
    if len(X) == 0:  # a historical export: nothing open to score
        return np.zeros(0)
    if model.chosen_ == "model" and model.pipeline_ is not None:
        if potential and model.typical_:
            X = X.assign(**model.typical_)
        with one_thread():
            return model.pipeline_.predict_proba(X[model.features_])[:, 1]
    source = X["source"] if "source" in X else None
    if source is None:
        return np.full(len(X), model.overall_rate_)
    return baseline_scores(model.baseline_, model.overall_rate_, source)

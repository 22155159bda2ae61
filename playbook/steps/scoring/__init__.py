"""Step 6, lead scoring and alerts: which open leads to work first, what needs attention now.

The model answers one question: *will this deal be won?*, asked ``early_days`` after
the deal was created, from what was known by then and nothing later:

* deal attributes fixed at creation (:data:`ATTRIBUTES` and extra deal columns, numbers
  read as numbers, that pass the leakage checks of :func:`feature_audit`);
* activity counts up to the snapshot (:data:`ACTIVITY_FEATURES`): marketing touches
  before creation, sales touches, meetings, whether and how fast a real contact
  happened in the first ``early_days``.

Never used: status, closed_at, lost_reason, stages, activities after the snapshot,
outcomes, and any column that behaves like them (filled mostly once a deal closes,
named as measured after contact, or separating won from lost far better than anything
else). :func:`feature_audit` (:mod:`playbook.steps.scoring.audit`) lists every column with the
reason it is used or not.

Training deals are those of *mature* cohorts still open at their snapshot
(:mod:`playbook.steps.scoring.window`); the label is "won". The split is by time (older deals
train, newer deals test). Logistic regression and gradient boosting are compared on the
held-out deals (:mod:`playbook.steps.scoring.models`); the chosen one is compared with a
baseline, the source's historical win rate, by AUC with DeLong intervals; when it is not
significantly better, or when the history is too thin to fit it, scores come from the
baseline and the report says why.

:func:`save_model` / :func:`load_model` are the only I/O here; :func:`score_workspace`
is what ``playbook score WS --model PATH`` calls.

Where each part lives: ``options`` (:class:`ScoringSettings`), ``fitted`` (:class:`ScoringModel`
and how it scores), ``baseline`` (the source baseline), ``fit`` (:func:`fit_scoring`),
``scores`` (:func:`score_deals`, :func:`lead_quality`), ``explain`` (:func:`verdict`),
and ``alerting`` (the alerts); saving and loading are here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from playbook.steps.scoring.audit import ATTRIBUTES, NEVER, feature_audit, include_warnings
from playbook.steps.scoring.explain import verdict
from playbook.steps.scoring.features import ACTIVITY_FEATURES, CONTACT_TYPES, build_features
from playbook.steps.scoring.fit import fit_scoring
from playbook.steps.scoring.fitted import (
    AFTER_CREATION,
    MODEL_FILE,
    MODEL_PATH,
    ScoringModel,
    versions,
)
from playbook.steps.scoring.models import delong
from playbook.steps.scoring.options import ScoringSettings, settings
from playbook.steps.scoring.scores import lead_quality, score_deals, score_notes

__all__ = [
    "ATTRIBUTES",
    "ACTIVITY_FEATURES",
    "AFTER_CREATION",
    "CONTACT_TYPES",
    "NEVER",
    "ScoringSettings",
    "ScoringModel",
    "settings",
    "feature_audit",
    "include_warnings",
    "build_features",
    "delong",
    "fit_scoring",
    "score_deals",
    "score_notes",
    "verdict",
    "lead_quality",
    "save_model",
    "load_model",
    "score_workspace",
    "MODEL_FILE",
    "MODEL_PATH",
]

logger = logging.getLogger(__name__)


# --- persistence (the only I/O of this step) ---------------------------------------------


def save_model(model: ScoringModel, output_dir: str | Path, workspace: str | Path = "") -> Path:
    """Write the model to ``<output_dir>/models/lead_scoring.joblib`` and return the path.

    With ``workspace``, the model is signed for it (``lead_scoring.joblib.sig.json``,
    see :mod:`playbook.workspace.signing`): only a signed model can be loaded again.
    """
    import joblib

    from playbook.workspace.signing import sign_file, signature_path

    folder = Path(output_dir) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MODEL_FILE
    tmp = path.with_suffix(".tmp")
    joblib.dump(model, tmp)
    tmp.replace(path)
    signature_path(path).unlink(missing_ok=True)
    if workspace:
        sign_file(path, workspace)
    return path


def load_model(path: str | Path, workspace: str | Path) -> ScoringModel:
    """Read a model :func:`save_model` wrote and signed for ``workspace``.

    The signature is checked before anything is unpickled (a joblib file can run
    code when it is read), and exactly the checked bytes are loaded.

    Raises
    ------
    UntrustedFile
        When the model is unsigned, signed for another workspace or machine, or changed.
    ValueError
        When the (signed) file does not hold a lead-scoring model.
    """
    import io

    import joblib

    from playbook.workspace.signing import read_signed

    model = joblib.load(io.BytesIO(read_signed(path, workspace)))
    if not isinstance(model, ScoringModel):
        raise ValueError(
            f"{path} does not hold a lead-scoring model (found {type(model).__name__}); "
            f"use the {MODEL_FILE} written by a 'playbook run' (in models/ of the report)"
        )
    now = versions()
    if model.versions_.get("scikit-learn") != now["scikit-learn"]:
        logger.warning(
            "model fitted with scikit-learn %s, now %s: refit with a new run if scores look odd",
            model.versions_.get("scikit-learn"),
            now["scikit-learn"],
        )
    return model


def score_workspace(
    dataset: Any, model_path: str | Path, workspace: str | Path | None = None
) -> pd.DataFrame:
    """Score every open deal of a workspace with a saved model (``playbook score``).

    Parameters
    ----------
    dataset : Dataset
        A loaded workspace (``playbook.workspace.load.open_dataset``).
    model_path : path to a ``lead_scoring.joblib`` signed for the workspace.
    workspace : the workspace folder (default ``dataset.workspace``); its secret
        checks the model's signature before the model is read.

    Returns
    -------
    DataFrame
        As :func:`score_deals`.
    """
    model = load_model(model_path, workspace or dataset.workspace)
    return score_deals(
        model,
        dataset.deals,
        dataset.activities,
        stage_events=dataset.stage_events,
        config=dataset.config,
    )

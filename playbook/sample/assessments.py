"""``assessments.csv``: each rep's capability scores, by their manager and by themselves.
Strong reps (with ``top_performers`` planted) score higher on the planted competencies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.sample import top_performers
from playbook.sample.clock import ASSESSED
from playbook.sample.shape import CAPABILITIES


def assessment_table(
    rng: np.random.Generator, reps: pd.DataFrame, strong: np.ndarray | None
) -> pd.DataFrame:
    """Manager and self scores (1-5, one decimal) of every rep on every capability."""
    n_reps = len(reps)
    n_dim = len(CAPABILITIES)
    base = rng.normal(3.0, 0.4, (n_reps, n_dim))
    if strong is not None:
        for c in top_performers.COMPETENCIES:
            base[strong, CAPABILITIES.index(c)] += top_performers.SCORE_LIFT
    manager = np.clip(np.round(base, 1), 1.0, 5.0)
    self_ = np.clip(np.round(base + 0.3 + rng.normal(0.0, 0.3, (n_reps, n_dim)), 1), 1.0, 5.0)
    when = np.datetime64(ASSESSED) + rng.integers(0, 12, n_reps)
    rows_rep = np.repeat(reps["rep_id"].to_numpy(), n_dim)
    rows_dim = np.tile(np.asarray(CAPABILITIES, dtype=object), n_reps)
    rows_at = np.repeat(np.array([f"{d} 10:00:00" for d in when], dtype=object), n_dim)
    frames = []
    for assessor, scores in (("manager", manager), ("self", self_)):
        frames.append(
            pd.DataFrame(
                {
                    "rep_id": rows_rep,
                    "dimension": rows_dim,
                    "score": scores.reshape(-1),
                    "assessed_at": rows_at,
                    "assessor": assessor,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["rep_id", "assessor", "dimension"], kind="stable").reset_index(
        drop=True
    )

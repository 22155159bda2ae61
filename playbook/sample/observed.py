"""What the generated data actually shows, for the ``observed`` blocks of ``truth.json``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playbook.sample.clock import END


def share(advanced: np.ndarray, lost: np.ndarray) -> float | None:
    """advanced / (advanced + lost), rounded; None when neither happened."""
    a, b = int(advanced.sum()), int(lost.sum())
    return round(a / (a + b), 4) if a + b else None


def median(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return round(float(np.median(x)), 2) if x.size else None


@dataclass(frozen=True)
class Observed:
    """Each deal's stays at the four stages before signed, as the export sees them."""

    entry: np.ndarray
    leave: np.ndarray
    #: the deal left the stage before the export ended
    left: np.ndarray
    #: the deal reached the next stage
    advanced: np.ndarray
    #: the deal was lost at the stage
    lost_at: np.ndarray

    @classmethod
    def of(cls, entry: np.ndarray, leave: np.ndarray, lost_stage: np.ndarray) -> Observed:
        n = len(entry)
        left = np.isfinite(leave) & (leave < END)
        advanced = np.zeros((n, 4), bool)
        for s in range(4):
            advanced[:, s] = np.isfinite(entry[:, s + 1])
        lost_at = np.stack([lost_stage == s for s in range(4)], axis=1)
        return cls(entry, leave, left, advanced, lost_at)

    def rate(self, s: int, mask: np.ndarray) -> float | None:
        """Share of the deals in ``mask`` that left stage ``s`` forward, among those that left."""
        return share(self.advanced[mask, s] & self.left[mask, s], self.lost_at[mask, s])

    def median_dwell(self, s: int, mask: np.ndarray) -> float | None:
        """Median days at stage ``s`` of the deals in ``mask`` that left it."""
        return median((self.leave[mask, s] - self.entry[mask, s])[self.left[mask, s]])

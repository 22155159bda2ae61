"""What ``generate`` was asked for: checked arguments, which plantings are on, and the seeded
random streams every part of the company draws from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playbook.sample import content, territory

PLANTINGS = ("bottleneck", "slow_team", "top_performers", "pilot", "data_quality", "content")
#: Pilot structures without a pre-period (see the package docstring); not planted by default.
PILOT_VARIANTS = ("pilot_territory", "pilot_territory_mirror", "pilot_territory_shared")
#: Other plantings that exist but are not in the default sample (its files keep their bytes).
OPTIONAL_PLANTINGS = (territory.NAME,)


@dataclass(frozen=True)
class Options:
    """The checked arguments of one ``generate`` call."""

    seed: int
    deals: int
    language: str
    #: every name of ``PLANTINGS + OPTIONAL_PLANTINGS`` -> whether it is planted
    on: dict[str, bool]
    #: the pilot variant asked for (one of ``PILOT_VARIANTS``), or None
    variant: str | None

    @property
    def zh(self) -> bool:
        return self.language == "zh"

    @property
    def strong_reps(self) -> bool:
        return self.on["top_performers"]

    @property
    def weak_territory(self) -> bool:
        return self.on[territory.NAME]

    @property
    def content(self) -> bool:
        return self.on[content.NAME]

    def planted(self) -> list[str]:
        """The plantings in ``truth.json`` order (the pilot variant last)."""
        on = [p for p in PLANTINGS + OPTIONAL_PLANTINGS if self.on[p]]
        return on + ([self.variant] if self.variant else [])


def parse_options(seed: int, deals: int, language: str, plant) -> Options:
    """Check ``generate``'s arguments (``ValueError`` naming the wrong one)."""
    if language not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh', not {language!r}")
    deals = int(deals)
    if deals < 1:
        raise ValueError("deals must be at least 1")
    planted = tuple(plant or ())
    known = PLANTINGS + PILOT_VARIANTS + OPTIONAL_PLANTINGS
    unknown = sorted(set(planted) - set(known))
    if unknown:
        raise ValueError(f"unknown planting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    on = {name: name in planted for name in PLANTINGS + OPTIONAL_PLANTINGS}
    return Options(int(seed), deals, language, on, _pilot_variant(planted))


def _pilot_variant(planted: tuple[str, ...]) -> str | None:
    chosen = [p for p in PILOT_VARIANTS if p in planted]
    if len(chosen) > 1:
        raise ValueError(f"plant at most one pilot variant; got {', '.join(chosen)}")
    return chosen[0] if chosen else None


@dataclass(frozen=True)
class Streams:
    """One random stream per part of the company, all derived from the seed, so that the draws
    of one part never shift those of another."""

    reps: np.random.Generator
    accounts: np.random.Generator
    deals: np.random.Generator
    funnel: np.random.Generator
    events: np.random.Generator
    activities: np.random.Generator
    assessments: np.random.Generator
    outcomes: np.random.Generator
    territory: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        spawned = np.random.SeedSequence(int(seed)).spawn(10)  # the tenth is kept in reserve
        return cls(*(np.random.default_rng(s) for s in spawned[:9]))

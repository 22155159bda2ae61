"""Step 4's settings: what makes a consistent strong converter, who assessed."""

from __future__ import annotations

from typing import Any

from playbook.workspace.config import PilotConfig

#: Defaults of "consistent strong converter": quarters; in the top quarter of reps in at
#: least 3 of the last 4 complete quarters (quarters with 15+ deals count); and, leaving
#: out the rep's best quarter, conversion still above the team's with posterior
#: probability 0.95 or more.
DEFAULT_CONSISTENCY: dict[str, Any] = {
    "freq": "Q",
    "periods": 4,
    "top_k_of_n": 3,
    "top_share": 0.25,
    "min_deals": 15,
    "min_probability": 0.95,
}


#: Assessor values read as "the manager" (case-insensitive).
MANAGER_NAMES = ("manager", "supervisor", "line manager", "经理", "主管", "上级", "领导")


def consistency_settings(config: PilotConfig | None = None, **overrides: Any) -> dict[str, Any]:
    """The consistency rule: defaults, then ``config.capability.consistency``, then overrides.

    Works with configs that do not (yet) have the setting.

    Returns
    -------
    dict
        ``freq``, ``periods``, ``top_k_of_n``, ``top_share``, ``min_deals``.

    Raises
    ------
    ValueError
        When the rule cannot be met (``top_k_of_n`` above ``periods``) or a value is
        out of range.
    """
    out = dict(DEFAULT_CONSISTENCY)
    section = getattr(getattr(config, "capability", None), "consistency", None)
    if section is not None:
        data = section.model_dump() if hasattr(section, "model_dump") else dict(section)
        out.update({k: v for k, v in data.items() if k in out and v is not None})
    out.update({k: v for k, v in overrides.items() if v is not None})
    if not 0 < float(out["top_share"]) < 1:
        raise ValueError(f"top_share must be between 0 and 1 (e.g. 0.25); got {out['top_share']!r}")
    if int(out["periods"]) < 1 or not 1 <= int(out["top_k_of_n"]) <= int(out["periods"]):
        raise ValueError(
            "top_k_of_n must be between 1 and periods; got "
            f"top_k_of_n={out['top_k_of_n']!r}, periods={out['periods']!r}"
        )
    if int(out["min_deals"]) < 0:
        raise ValueError(f"min_deals must be 0 or more; got {out['min_deals']!r}")
    if not 0 <= float(out["min_probability"]) < 1:
        raise ValueError(
            f"min_probability must be in [0, 1) (e.g. 0.95); got {out['min_probability']!r}"
        )
    return out


def _assessor_setting(config: PilotConfig | None) -> str:
    value = getattr(getattr(config, "capability", None), "assessor", None)
    return str(value) if value else "manager"

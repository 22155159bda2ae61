"""An anonymised run: the dataset with every identifier replaced by its keyed pseudonym."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from playbook.workspace.config import load_config
from playbook.workspace.load import load_workspace
from playbook.workspace.secret import workspace_secret


def pseudonymised(dataset, key: str):
    """The dataset with every identifier replaced: people, deals, accounts, the assessor.

    The tables as :func:`playbook.workspace.privacy.anonymise_tables` gives them; the config's pilot
    reps and ``capability.assessor`` mapped the same way, so the steps still find them.
    """
    from dataclasses import replace

    from playbook.workspace.privacy import anonymise_config, anonymise_tables, people_map
    from playbook.workspace.schema import TABLES

    raw = {t: dataset.table(t) for t in TABLES}
    tables = anonymise_tables(raw, key)
    config = anonymise_config(dataset.config, people_map(raw, key), key)
    return replace(dataset, config=config, **tables)


def pseudonym_lookup(workspace: str | Path, allowed: Sequence[Path] = ()):
    """Every pseudonym an anonymised run of ``workspace`` uses, beside the real id.

    Read from the workspace and its secret (created when missing); for the secret's
    holder only. Returns :func:`playbook.workspace.privacy.lookup_table`'s frame.

    Raises
    ------
    DataError
        When the workspace fails validation.
    """
    from playbook.workspace.privacy import lookup_table
    from playbook.workspace.schema import TABLES

    ws = Path(workspace).resolve()
    dataset = load_workspace(ws, load_config(ws), allowed=allowed)
    return lookup_table({t: dataset.table(t) for t in TABLES}, workspace_secret(ws))

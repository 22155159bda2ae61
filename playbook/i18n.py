"""Every user-facing string of the report, in English and Chinese.

The strings are data: YAML catalogs in ``playbook/locales/`` (``report.yml`` for the report at
large, one file per step or topic beside it), each key holding its text in every language. They
are read once, when this module is imported (about 0.1 s with libyaml). ``tests/test_i18n.py``
fails when a key lacks a language, a placeholder differs between languages, or two catalogs
define the same key.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from types import MappingProxyType

import yaml

LANGUAGES = ("en", "zh")
LOCALES = Path(__file__).resolve().parent / "locales"
#: Catalog of what each optional table enables (for "not provided" notes); not message keys.
_TABLE_PURPOSE_FILE = "table_purpose.yml"


def _read(path: Path) -> dict[str, dict[str, str]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader) or {}


@cache
def catalogs() -> dict[str, dict[str, dict[str, str]]]:
    """Catalog file name -> its keys (each key -> language -> text)."""
    return {
        path.name: _read(path)
        for path in sorted(LOCALES.glob("*.yml"))
        if path.name != _TABLE_PURPOSE_FILE
    }


def merged(tables: dict[str, dict[str, dict[str, str]]]) -> dict[str, dict[str, str]]:
    """One table of every key; a key in two catalogs is an error, never a silent override."""
    text: dict[str, dict[str, str]] = {}
    where: dict[str, str] = {}
    for name, table in tables.items():
        for key, value in table.items():
            if key in text:
                raise ValueError(f"text key {key!r} is defined in both {where[key]} and {name}")
            text[key], where[key] = value, name
    return text


#: Key -> language -> text, over every catalog.
TEXT: dict[str, dict[str, str]] = merged(catalogs())

#: What each optional table enables (for "not provided" notes).
TABLE_PURPOSE = MappingProxyType(_read(LOCALES / _TABLE_PURPOSE_FILE))


def t(key: str, language: str = "en", **values: object) -> str:
    """The text for ``key`` in ``language``, formatted with ``values``."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}")
    try:
        text = TEXT[key][language]
    except KeyError:
        raise KeyError(
            f"no text for {key!r} in {language!r}: add it to a catalog in playbook/locales/"
        ) from None
    return text.format(**values) if values else text

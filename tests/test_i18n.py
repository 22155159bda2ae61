"""Every report text exists in both languages."""

from __future__ import annotations

import re

import pytest

from playbook.i18n import LANGUAGES, TABLE_PURPOSE, TEXT, t


@pytest.mark.parametrize("key", sorted(TEXT))
def test_key_has_every_language_with_the_same_placeholders(key: str) -> None:
    entry = TEXT[key]
    assert set(entry) == set(LANGUAGES), key
    fields = {lang: set(re.findall(r"{(\w+)}", entry[lang])) for lang in LANGUAGES}
    assert fields["en"] == fields["zh"], key
    assert all(entry[lang].strip() for lang in LANGUAGES)


def test_table_purposes_are_translated() -> None:
    for purpose in TABLE_PURPOSE.values():
        assert set(purpose) == set(LANGUAGES)


def test_t_formats_and_refuses_unknowns() -> None:
    assert t("alerts_count", "zh", n=3) == "alerts.csv 中共 3 条预警"
    with pytest.raises(KeyError, match="add it to playbook/i18n.py"):
        t("no_such_key", "en")
    with pytest.raises(ValueError, match="language must be one of"):
        t("kpi", "de")

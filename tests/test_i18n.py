"""Every report text exists in both languages."""

from __future__ import annotations

import re

import pytest

from playbook.i18n import LANGUAGES, LOCALES, TABLE_PURPOSE, TEXT, catalogs, merged, t


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
    with pytest.raises(KeyError, match="add it to a catalog in playbook/locales/"):
        t("no_such_key", "en")
    with pytest.raises(ValueError, match="language must be one of"):
        t("kpi", "de")


def test_catalogs_are_data_and_a_key_lives_in_one_place() -> None:
    found = catalogs()
    assert "report.yml" in found and len(found) >= 2
    assert sum(len(table) for table in found.values()) == len(TEXT)
    for name, table in found.items():
        for key, entry in table.items():
            assert isinstance(key, str) and re.fullmatch(r"[\w.-]+", key), (name, key)
            assert all(isinstance(entry[lang], str) for lang in LANGUAGES), (name, key)
    assert not list(LOCALES.parent.glob("i18n_*.py")), "strings belong in playbook/locales/*.yml"


def test_a_key_in_two_catalogs_is_refused() -> None:
    one = {"kpi": {"en": "KPI", "zh": "指标"}}
    with pytest.raises(ValueError, match="'kpi' is defined in both a.yml and b.yml"):
        merged({"a.yml": one, "b.yml": one})
    assert merged({"a.yml": one, "b.yml": {}}) == one

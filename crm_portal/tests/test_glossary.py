"""One vocabulary: every catalogue, instrument and questionnaire follows locale/glossary.yaml."""

import re
from pathlib import Path

import polib
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = yaml.safe_load((ROOT / "locale" / "glossary.yaml").read_text(encoding="utf-8"))
CATALOGUES = [
    ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po",
    *sorted(ROOT.glob("*/locale/ru/LC_MESSAGES/django.po")),
]
CONTENT = sorted((ROOT / "diagnostics").glob("**/*.yaml")) + sorted(
    (ROOT / "loyalty" / "questionnaires").glob("*.yaml")
)


def _texts_of_content(node):
    """(English, Russian) of every bilingual text of an instrument or questionnaire."""
    if isinstance(node, dict):
        if "en" in node and "ru" in node and isinstance(node["ru"], str):
            yield node["en"], node["ru"]
        for value in node.values():
            yield from _texts_of_content(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts_of_content(value)


def texts() -> list[tuple[str, str, str]]:
    """(where, English, Russian) of every text a person reads."""
    found = []
    for path in CATALOGUES:
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            russian = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
            found.append((f"{path.relative_to(ROOT)}: {entry.msgid[:60]!r}", entry.msgid, russian))
    for path in CONTENT:
        for english, russian in _texts_of_content(yaml.safe_load(path.read_text(encoding="utf-8"))):
            found.append((f"{path.relative_to(ROOT)}: {english[:60]!r}", english, russian))
    return found


TEXTS = texts()


def test_every_catalogue_and_content_file_is_read():
    assert len(CATALOGUES) == 5 and len(CONTENT) >= 15
    assert len(TEXTS) > 1500


@pytest.mark.parametrize("pattern", GLOSSARY["forbidden"]["ru"])
def test_no_forbidden_russian_variant(pattern):
    assert [where for where, _en, ru in TEXTS if re.search(pattern, ru)] == []


@pytest.mark.parametrize("pattern", GLOSSARY["forbidden"]["en"])
def test_no_forbidden_english_variant(pattern):
    assert [where for where, en, _ru in TEXTS if re.search(pattern, en)] == []


@pytest.mark.parametrize("term", [t for t in GLOSSARY["terms"] if "when_en" in t], ids=lambda t: t["en"])
def test_a_concept_keeps_its_russian_word(term):
    assert [
        where for where, en, ru in TEXTS if re.search(term["when_en"], en, re.I) and re.search(term["not_ru"], ru)
    ] == []


def test_the_rules_catch_what_they_are_for():
    """Each rule fails on the variant it forbids (a rule that cannot fail proves nothing)."""
    samples = {
        "(?<![Сс]амо)оценк\\w*+(?! удовлетворённост)": ("Общая оценка", "Оценка удовлетворённости сохранена"),
        "кейс": ("открыт кейс", "открытая жалоба"),
    }
    for pattern, (bad, good) in samples.items():
        assert pattern in GLOSSARY["forbidden"]["ru"]
        assert re.search(pattern, bad) and not re.search(pattern, good)
    settlement = next(t for t in GLOSSARY["terms"] if t["en"] == "settlement")
    assert re.search(settlement["not_ru"], "Чтение расчётов")
    assert not re.search(settlement["not_ru"], "Чтение взаиморасчётов")
    assert not re.search(settlement["not_ru"], "Взаиморасчёты")

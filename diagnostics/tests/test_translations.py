"""The Russian catalogue of diagnostics is what the pages show, word for word.

Django merges every app's catalogue (and the root one) into one: a msgid that another catalogue
translates first wins there, so a short English word ("Change", "Open", "From") could show another
app's Russian ("Изменить" — the verb — in a column of differences). Words whose Russian depends on
the meaning carry a `msgctxt` (`pgettext`, `{% translate ... context ... %}`) and stay ours.
"""

from pathlib import Path

import polib
from django.utils import translation

CATALOGUE = Path(__file__).resolve().parent.parent / "locale/ru/LC_MESSAGES/django.po"


def test_every_russian_text_of_diagnostics_is_the_one_shown():
    po = polib.pofile(str(CATALOGUE))
    shown_otherwise = []
    with translation.override("ru"):
        for entry in po.translated_entries():
            if entry.msgid_plural:
                continue
            if entry.msgctxt:
                shown = translation.pgettext(entry.msgctxt, entry.msgid)
            else:
                shown = translation.gettext(entry.msgid)
            if shown != entry.msgstr:
                shown_otherwise.append((entry.msgctxt, entry.msgid, entry.msgstr, shown))
    assert shown_otherwise == []


def test_words_that_are_both_a_verb_and_a_noun_carry_their_meaning():
    with translation.override("ru"):
        assert translation.pgettext("difference between two scores", "Change") == "Изменение"
        assert translation.pgettext("verb", "Edit") == "Изменить"
        assert translation.pgettext("verb: plan an action", "Plan") == "Запланировать"
        assert translation.pgettext("verb", "Print") == "Распечатать"
        assert translation.pgettext("verb: start an assessment", "Start") == "Начать"
        assert translation.pgettext("verb: complete the assessment", "Complete") == "Завершить"
        assert translation.pgettext("noun", "Comment") == "Комментарий"
        assert translation.pgettext("action status", "Open") == "Открыто"
        assert translation.pgettext("comparison column", "Before") == "Было"
        assert translation.pgettext("comparison column", "After") == "Стало"
        assert translation.pgettext("answer type", "number") == "число"

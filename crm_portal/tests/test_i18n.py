"""Russian and English: complete catalogues, the browser's language by default, a switcher."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from crm_portal.management.commands.compile_translations import po_files
from crm_portal.models import Role


def test_every_catalogue_is_complete():
    catalogues = po_files(Path(settings.BASE_DIR))
    assert Path(settings.BASE_DIR) / "locale/ru/LC_MESSAGES/django.po" in catalogues
    for po_path in catalogues:
        po = polib.pofile(str(po_path))
        untranslated = [e.msgid for e in po.untranslated_entries()]
        fuzzy = [e.msgid for e in po.fuzzy_entries()]
        assert (untranslated, fuzzy) == ([], []), po_path


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "button"), [("ru-RU,ru;q=0.9", "Войти"), ("en-US,en;q=0.9", "Sign in"), ("de-DE", "Sign in")]
)
def test_login_page_follows_the_browser_language(client, accept, button):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert f'id="login-submit">{button}</button>' in page


@pytest.mark.django_db
def test_switcher_keeps_the_chosen_language(client_as, org_a):
    client = client_as(org_a, Role.MANAGER)
    client.post(reverse("set_language"), {"language": "ru", "next": "/"}, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ru">' in page
    assert "Менеджер" in page

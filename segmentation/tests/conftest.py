import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def english_by_default():
    """Each test starts in the default language, whatever an earlier test's request in Russian left active."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)

"""Fixtures of the loyalty tests."""

import pytest
from django.core.cache import cache


@pytest.fixture
def fresh_throttle():
    """The survey flood guard counts in the cache: each test starts and ends with no count."""
    cache.clear()
    yield
    cache.clear()

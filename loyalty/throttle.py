"""A flood guard for the public survey pages: at most N counted requests per address and window.

Counting lives in Django's cache. With the default local-memory cache every process counts on
its own (a deployment with several web processes should configure a shared cache such as
Redis for the limit to hold across them).
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

DEFAULT_LIMIT = "30/600"  # requests / seconds


def _limit() -> tuple[int, int]:
    count, seconds = getattr(settings, "LOYALTY_SURVEY_THROTTLE", DEFAULT_LIMIT).split("/")
    return int(count), int(seconds)


def allow(request: HttpRequest) -> bool:
    """Count one request of the client's address; False once the address is over its limit."""
    limit, window = _limit()
    # REMOTE_ADDR only: a forwarded-for header is written by the client and proves nothing.
    key = f"loyalty:survey:{request.META.get('REMOTE_ADDR', '')}"
    if cache.add(key, 1, timeout=window):
        return True
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the entry expired between add and incr
        cache.add(key, 1, timeout=window)
        return True

"""A flood guard for the public survey pages: at most N counted requests per address and per
personal link in a window.

The address is `crm_portal.client_address.client_address` (REMOTE_ADDR, or the one the trusted
proxies wrote: without that setting every respondent behind a proxy would share the proxy's one
counter). The per-link count bounds what one link can take whatever address the requests come from.

Counting lives in Django's cache. With the default local-memory cache every process counts on
its own (a deployment with several web processes should configure a shared cache such as
Redis for the limit to hold across them).
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from crm_portal.client_address import client_address

DEFAULT_LIMIT = "30/600"  # requests / seconds, per address
DEFAULT_LINK_LIMIT = "20/600"  # requests / seconds, per personal link


def _limit(name: str, default: str) -> tuple[int, int]:
    count, seconds = getattr(settings, name, default).split("/")
    return int(count), int(seconds)


def _count(key: str, limit: int, window: int) -> bool:
    """Count one request under `key`; False once the key is over its limit in the window."""
    if cache.add(key, 1, timeout=window):
        return True
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the entry expired between add and incr
        cache.add(key, 1, timeout=window)
        return True


def allow(request: HttpRequest, link_id: int | None = None) -> bool:
    """Count one request of the respondent's address, and of the personal link when it is known."""
    allowed = _count(f"loyalty:survey:{client_address(request)}", *_limit("LOYALTY_SURVEY_THROTTLE", DEFAULT_LIMIT))
    if link_id is not None:
        allowed = (
            _count(f"loyalty:survey:link:{link_id}", *_limit("LOYALTY_SURVEY_LINK_THROTTLE", DEFAULT_LINK_LIMIT))
            and allowed
        )
    return allowed

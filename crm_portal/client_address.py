"""The address a request came from, the same for every guard that counts per address.

The address is REMOTE_ADDR, unless the portal runs behind reverse proxies and the
TRUSTED_PROXY_COUNT setting says how many: then it is the entry the outermost of them wrote
into X-Forwarded-For (each proxy appends the address it received the request from, so the
entries before those are written by the client and prove nothing). The sign-in lockout
(django-axes) and the survey flood guard both count per this address.
"""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address: see the module's note on trusted proxies."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = int(settings.TRUSTED_PROXY_COUNT)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote  # the request did not come through every trusted proxy
    return forwarded[-proxies]

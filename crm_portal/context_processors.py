from django.http import HttpRequest

from .navigation import nav_for
from .selectors import memberships_of, notifications_unread


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "organization", None) is None:
        return {"nav": [], "my_memberships": [], "notifications_unread": None}
    # A page that renders the panels of other apps renders several templates: read once per request.
    if not hasattr(request, "portal_context"):
        request.portal_context = {
            "nav": nav_for(request),
            "my_memberships": list(memberships_of(user)),
            "notifications_unread": notifications_unread(request.organization, user),
        }
    return request.portal_context

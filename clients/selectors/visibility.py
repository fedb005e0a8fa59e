"""Who sees which clients: a manager their own, everyone else the whole register."""

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model, QuerySet

from crm_portal.models import Membership, Organization, Role
from crm_portal.tenancy import Viewer, scoped

from ..models import (
    Client,
)

EDITOR_ROLES = (Role.MANAGER, Role.SALES_HEAD, Role.ADMIN)


def clients_visible_to(viewer: Viewer) -> QuerySet[Client]:
    """Clients the viewer may see: a manager their own, every other role all of the organization, no role none.

    Pages pass `request.viewer`; a job builds a `Viewer` from the user who asked for it.
    """
    if viewer.organization is None or viewer.role is None:
        return Client.objects.none()
    clients = Client.objects.filter(organization=viewer.organization)
    if viewer.role == Role.MANAGER:
        clients = clients.filter(manager=viewer.user)
    return clients


def visible_rows(viewer: Viewer, model: type[Model]) -> QuerySet:
    """Rows of a model hanging off a client (deals, complaints...) whose client the viewer may see."""
    rows = scoped(viewer, model)
    if viewer.role == Role.MANAGER:
        rows = rows.filter(client__manager=viewer.user)
    return rows


def can_edit(role: str | None) -> bool:
    return role in EDITOR_ROLES


def organization_managers(organization: Organization) -> QuerySet[AbstractBaseUser]:
    """Users who may be responsible for clients: the organization's managers and sales heads."""
    ids = Membership.objects.filter(organization=organization, role__in=[Role.MANAGER, Role.SALES_HEAD]).values(
        "user_id"
    )
    return get_user_model().objects.filter(pk__in=ids).order_by("username")

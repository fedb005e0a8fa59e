"""The request's organization and role, and the one way to read tenant rows for a request.

Every view reads tenant data through `scoped` or `get_for_org_or_404`, so an object of
another organization is simply not found (404) rather than forbidden: its existence leaks nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from typing import TypeVar

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import F, Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import Membership, Organization

SESSION_KEY = "organization_id"
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Viewer:
    """Who reads: the organization, the person and their role there. Selectors take this, not the request."""

    organization: Organization | None
    user: AbstractBaseUser | AnonymousUser | None
    role: str | None = None


class OrganizationMiddleware:
    """Attach `request.organization`, `request.membership`, `request.role` and `request.viewer`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None
        request.membership = None
        request.role = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            membership = current_membership(request)
            if membership is not None:
                request.membership = membership
                request.organization = membership.organization
                request.role = membership.role
        request.viewer = Viewer(request.organization, user, request.role)
        return self.get_response(request)


def current_membership(request: HttpRequest) -> Membership | None:
    memberships = Membership.objects.filter(user=request.user).select_related("organization")
    wanted = request.session.get(SESSION_KEY)
    membership = None
    if wanted is not None:
        membership = memberships.filter(organization_id=wanted).first()
    if membership is None:
        # A new sign-in opens the organization the person chose last, else the first by name.
        membership = memberships.order_by(F("last_used_at").desc(nulls_last=True), "organization__name", "id").first()
        if membership is not None:
            request.session[SESSION_KEY] = membership.organization_id
    return membership


def switch_organization(request: HttpRequest, organization_id: int) -> Organization:
    """Make another of the user's organizations the current one; 404 if not a member."""
    membership = (
        Membership.objects.filter(user=request.user, organization_id=organization_id)
        .select_related("organization")
        .first()
    )
    if membership is None:
        raise Http404
    request.session[SESSION_KEY] = membership.organization_id
    return membership.organization


def scoped(request: HttpRequest | Viewer, queryset: QuerySet[M] | type[M]) -> QuerySet[M]:
    """Limit a queryset (or a model's rows) to the organization of a request or a viewer."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    if request.organization is None:
        return queryset.none()
    return queryset.filter(organization=request.organization)


def get_for_org_or_404(request: HttpRequest | Viewer, queryset: QuerySet[M] | type[M], **lookup) -> M:
    """Fetch one row of the request's (or viewer's) organization; any other organization's row is a 404."""
    rows = scoped(request, queryset)
    try:
        return rows.get(**lookup)
    except rows.model.DoesNotExist:
        raise Http404 from None


@cache
def model_for_parameter(parameter: str) -> type[Model] | None:
    """The model a `<model>_id` URL parameter names (`client_id` -> Client), or None."""
    if not parameter.endswith("_id"):
        return None
    wanted = parameter[: -len("_id")].replace("_", "")
    for model in apps.get_models():
        if model._meta.model_name == wanted:
            return model
    return None


def is_tenant_model(model: type[Model]) -> bool:
    return any(f.name == "organization" for f in model._meta.get_fields())


def ensure_own_objects(request: HttpRequest, kwargs: dict) -> None:
    """404 unless every `<model>_id` URL parameter names an object of the request's organization."""
    for parameter, value in kwargs.items():
        model = model_for_parameter(parameter)
        if model is not None and is_tenant_model(model):
            if not model._default_manager.filter(pk=value, organization=request.organization).exists():
                raise Http404


def roles_required(*roles: str) -> Callable:
    """Allow a view to members of the current organization with one of `roles` (all if empty).

    Anonymous users go to the login page; users without an organization see a page saying so;
    members with another role get 403. The allowed roles are kept on the view for the role tests.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.organization is None:
                return redirect("no_organization")
            # Ids of another organization's objects are unknown here, whatever the role.
            ensure_own_objects(request, kwargs)
            if roles and request.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = tuple(roles)
        return wrapped

    return decorator


def public_view(view: Callable) -> Callable:
    """Mark a view that needs no login (a respondent's survey link); the role tests skip it."""
    view.public = True
    return view

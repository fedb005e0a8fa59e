"""Walk every URL that takes an object id: another organization's object is always a 404.

New URLs are picked up automatically. The demo data (seed_demo --small) gives both
organizations at least one object of every kind a URL can name.
"""

import pytest
from django.core.management import call_command
from django.urls import reverse

from crm_portal import services
from crm_portal.models import Membership, Notification, Organization, Role
from crm_portal.urlwalk import NON_OBJECT_PARAMETERS, is_tenant_model, iter_routes, model_for_parameter


def object_routes():
    routes = []
    for route in iter_routes():
        tenant_params = [p for p in route.parameters if p not in NON_OBJECT_PARAMETERS]
        if tenant_params:
            routes.append(route)
    return routes


def test_every_object_parameter_names_a_model():
    for route in object_routes():
        assert route.name, f"{route.route} needs a name"
        for parameter in route.parameters:
            if parameter in NON_OBJECT_PARAMETERS:
                continue
            assert model_for_parameter(parameter) is not None, (
                f"{route.route}: call the parameter <model>_id, not {parameter!r}"
            )


def _kwargs_for(route, organization: Organization, user=None) -> dict | None:
    """Ids of one consistent set of the organization's objects for the route's parameters; of a
    row private to one person (a notification), the `user`'s own."""
    if any(p in NON_OBJECT_PARAMETERS for p in route.parameters):
        return None
    kwargs = {}
    for parameter in reversed(route.parameters):
        model = model_for_parameter(parameter)
        if parameter in kwargs or model is None:
            continue
        if not is_tenant_model(model):
            obj = model._default_manager.order_by("pk").first()
        else:
            rows = model._default_manager.filter(organization=organization)
            if user is not None and any(f.name == "user" for f in model._meta.fields):
                rows = rows.filter(user=user)
            obj = rows.order_by("pk").first()
        assert obj is not None, f"seed_demo must create a {model.__name__} in {organization.slug}"
        kwargs[parameter] = obj.pk
        # Parent objects in the same URL (client_id of a contact_id) come from the child itself.
        for other in route.parameters:
            other_model = model_for_parameter(other)
            if other in kwargs or other_model is None:
                continue
            for field in model._meta.fields:
                if field.is_relation and field.related_model is other_model:
                    kwargs[other] = getattr(obj, field.attname)
    return kwargs


@pytest.mark.django_db
def test_other_organizations_objects_answer_404(client, make_member):
    call_command("seed_demo", small=True, verbosity=0)
    own = Organization.objects.get(slug="demo")
    other = Organization.objects.get(slug="other")
    routes = object_routes()
    assert any(r.name == "jobs:detail" for r in routes)
    checked = 0
    for role in Role.values:
        user = make_member(own, role, username=f"walker-{role}")
        client.force_login(user)
        for route in routes:
            kwargs = _kwargs_for(route, other)
            if kwargs is None:
                continue
            url = reverse(route.name, kwargs=kwargs)
            get = client.get(url)
            post = client.post(url)
            assert get.status_code in (404, 405) and post.status_code in (404, 405), (
                f"{role} of {own.slug} reached {url} of {other.slug}: GET {get.status_code}, POST {post.status_code}"
            )
            assert 404 in (get.status_code, post.status_code), url
            checked += 1
    assert checked >= len(Role.values) * 2


@pytest.mark.django_db
def test_own_objects_are_found(client, make_member):
    """The other half of the proof: the same URLs with the organization's own ids are not 404.

    Only GET is tried: a POST with the own ids would really delete or change the objects.
    """
    call_command("seed_demo", small=True, verbosity=0)
    own = Organization.objects.get(slug="demo")
    walker = make_member(own, Role.ADMIN, username="walker-own-admin")
    client.force_login(walker)
    services.notify(
        organization=own, users=[walker], kind=Notification.Kind.ASSIGNED, key="walk", text="A client", url="/"
    )
    for route in object_routes():
        kwargs = _kwargs_for(route, own, walker)
        if kwargs is None:
            continue
        url = reverse(route.name, kwargs=kwargs)
        assert client.get(url).status_code != 404, url


@pytest.mark.django_db
def test_member_of_both_organizations_switches_between_them(client):
    call_command("seed_demo", small=True, verbosity=0)
    consultant = Membership.objects.filter(user__username="demo-consultant")
    assert consultant.count() == 2
    client.force_login(consultant.first().user)
    other = Organization.objects.get(slug="other")
    response = client.post(reverse("org:switch"), {"organization": other.pk}, follow=True)
    assert response.status_code == 200
    assert response.context["request"].organization == other
    stranger = Organization.objects.create(name="Stranger", slug="stranger")
    assert client.post(reverse("org:switch"), {"organization": stranger.pk}).status_code == 404

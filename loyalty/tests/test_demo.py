"""The small demo set: rows of every kind a loyalty URL names, in both organizations, and idempotent."""

import pytest
from django.core.management import call_command

from crm_portal.models import Organization
from loyalty.models import Campaign, PointAccount, PointMovement, Response, Scorecard, Tier

MODELS = (Campaign, Response, Scorecard, Tier, PointAccount, PointMovement)


@pytest.mark.django_db
def test_small_demo_is_complete_and_idempotent():
    call_command("seed_demo", small=True, verbosity=0)
    counts = {m.__name__: m.objects.count() for m in MODELS}
    for organization in Organization.objects.filter(slug__in=["demo", "other"]):
        for model in (Campaign, Scorecard, Tier, PointAccount):
            assert model.objects.filter(organization=organization).exists(), (model.__name__, organization.slug)
    call_command("seed_demo", small=True, verbosity=0)
    assert {m.__name__: m.objects.count() for m in MODELS} == counts

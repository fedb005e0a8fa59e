"""Every diagnostics page answers with a fixed number of queries, however much data there is.

The customer journey map once read its touchpoints eight times (the table, the curve, then once per
stage for the pains); each page's count is pinned here, measured twice: with a little data and
again with more rows of every kind, so a query per row shows up as a changed count.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm_portal.models import Role
from diagnostics import services
from diagnostics.models import Instrument

pytestmark = pytest.mark.django_db

# Of each count, 4 or 5 queries are the core's (session, user, membership, the menu's membership, the bell).
PINNED = {"index": 9, "report": 10, "compare": 11, "fill": 8, "journey_map": 9, "aida_map": 10, "actions": 6}


def _completed(organization, user, value):
    assessment = services.assessment_start(
        organization=organization, author=user, instrument=Instrument.objects.get(code="controllability")
    )
    for section in assessment.version.definition["sections"]:
        for item in section["items"]:
            services.answer_save(
                assessment=assessment,
                user=user,
                item_key=item["key"],
                raw_value=value,
                comment="c",
                version_hash=assessment.version.content_hash,
            )
    return services.assessment_complete(assessment=assessment, user=user)


def _grow(organization, user, journey_map, aida_map, step):
    """More rows of every kind the pages read."""
    older = _completed(organization, user, "+-" if step % 2 else "-")
    services.action_create(
        assessment=older,
        item_key="funnel",
        title=f"Action {step}",
        owner=user,
        due_date=timezone.localdate() + datetime.timedelta(days=step),
        created_by=user,
    )
    services.assessment_start(
        organization=organization, author=user, instrument=Instrument.objects.get(code="goulding")
    )
    for index in range(4):
        services.touchpoint_save(
            journey_map=journey_map,
            stage=["discovery", "purchase", "use", "repeat"][index],
            name=f"Touchpoint {step}.{index}",
            channel="Web",
            client_action="Looks",
            emotion=1,
            pains=f"Pain {step}.{index}\nAnother pain",
            owner="Sales",
            ideas="",
        )
    persona = services.aida_persona_add(aida_map=aida_map, name=f"Persona {step}")
    for stage in ("awareness", "interest", "loyalty"):
        services.aida_action_add(
            aida_map=aida_map, persona=persona, stage=stage, description="Do", owner="Me", channel="Web"
        )
    services.journey_map_copy(journey_map=journey_map, user=user)


def _counts(client, urls):
    counts = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="ru")
        assert response.status_code == 200, name
        counts[name] = len(queries.captured_queries)
    return counts


def test_every_page_runs_a_pinned_number_of_queries_whatever_the_data(client, org_a, make_member):
    user = make_member(org_a, Role.SALES_HEAD)
    first = _completed(org_a, user, "-")
    latest = _completed(org_a, user, "+-")
    draft = services.assessment_start(
        organization=org_a, author=user, instrument=Instrument.objects.get(code="controllability")
    )
    journey_map = services.journey_map_create(organization=org_a, title="Path", persona="Buyer", user=user)
    aida_map = services.aida_map_create(organization=org_a, title="Funnel", personas=["Retail"], user=user)
    client.force_login(user)
    urls = {
        "index": reverse("diagnostics:index"),
        "report": reverse("diagnostics:report", kwargs={"assessment_id": latest.pk}),
        "compare": reverse("diagnostics:compare", kwargs={"assessment_id": latest.pk}) + f"?with={first.pk}",
        "fill": reverse("diagnostics:fill", kwargs={"assessment_id": draft.pk}),
        "journey_map": reverse("diagnostics:journey_map", kwargs={"journey_map_id": journey_map.pk}),
        "aida_map": reverse("diagnostics:aida_map", kwargs={"aida_map_id": aida_map.pk}),
        "actions": reverse("diagnostics:actions"),
    }
    _grow(org_a, user, journey_map, aida_map, 1)
    client.get(urls["index"], HTTP_ACCEPT_LANGUAGE="ru")  # the session's first request also saves it
    assert _counts(client, urls) == PINNED
    for step in (2, 3, 4):
        _grow(org_a, user, journey_map, aida_map, step)
    assert _counts(client, urls) == PINNED

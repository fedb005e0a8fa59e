"""Reads of diagnostics take a Viewer (or the organization), never a request."""

import pytest
from django.utils import timezone

from crm_portal.models import Role
from crm_portal.tenancy import Viewer
from diagnostics import selectors, services
from diagnostics.loader import load
from diagnostics.models import Action, Instrument, InstrumentVersion

pytestmark = pytest.mark.django_db


def _start(organization, author, code="controllability"):
    instrument = Instrument.objects.get(code=code)
    return services.assessment_start(organization=organization, author=author, instrument=instrument)


def _complete(assessment, author):
    for section in assessment.version.definition["sections"]:
        for item in section["items"]:
            services.answer_save(
                assessment=assessment,
                user=author,
                item_key=item["key"],
                raw_value="+",
                comment="",
                version_hash=assessment.version.content_hash,
            )
    return services.assessment_complete(assessment=assessment, user=author)


def test_a_manager_sees_own_drafts_and_completed_ones_a_sales_head_everything(org_a, org_b, make_member):
    manager, colleague = make_member(org_a, Role.MANAGER), make_member(org_a, Role.MANAGER)
    head = make_member(org_a, Role.SALES_HEAD)
    own_draft, others_draft = _start(org_a, manager), _start(org_a, colleague)
    others_completed = _complete(_start(org_a, colleague), colleague)
    _start(org_b, make_member(org_b, Role.SALES_HEAD))

    as_manager = selectors.assessments_visible(Viewer(org_a, manager, Role.MANAGER))
    as_head = selectors.assessments_visible(Viewer(org_a, head, Role.SALES_HEAD))

    assert sorted(a.pk for a in as_manager) == sorted([own_draft.pk, others_completed.pk])
    assert sorted(a.pk for a in as_head) == sorted([own_draft.pk, others_draft.pk, others_completed.pk])
    assert list(selectors.assessments_visible(Viewer(None, manager))) == []


def test_only_the_author_a_sales_head_or_an_admin_may_plan(org_a, make_member):
    author, colleague = make_member(org_a, Role.MANAGER), make_member(org_a, Role.MANAGER)
    assessment = _start(org_a, author)
    assert selectors.may_plan(Viewer(org_a, author, Role.MANAGER), assessment) is True
    assert selectors.may_plan(Viewer(org_a, colleague, Role.MANAGER), assessment) is False
    assert selectors.may_plan(Viewer(org_a, colleague, Role.ANALYST), assessment) is False
    assert selectors.may_plan(Viewer(org_a, colleague, Role.SALES_HEAD), assessment) is True
    assert selectors.may_plan(Viewer(org_a, colleague, Role.ADMIN), assessment) is True


def test_instrument_versions_newest_first_counting_only_the_organizations_assessments(org_a, org_b, make_member):
    user, stranger = make_member(org_a, Role.MANAGER), make_member(org_b, Role.MANAGER)
    first = _start(org_a, user).version
    _start(org_a, user)
    _start(org_b, stranger)
    load(Instrument, InstrumentVersion, [dict(first.definition, description={"en": "Second", "ru": "Вторая"})])
    second = _start(org_a, user).version
    assert second.number == 2

    versions = selectors.instrument_versions(organization=org_a, instrument=first.instrument)

    assert versions == [(second, 1), (first, 2)]


def test_journey_map_versions_are_the_maps_own_in_its_organization(org_a, org_b, make_member):
    user, stranger = make_member(org_a, Role.MANAGER), make_member(org_b, Role.MANAGER)
    journey_map = services.journey_map_create(organization=org_a, title="Path", persona="Buyer", user=user)
    copy = services.journey_map_copy(journey_map=journey_map, user=user)
    services.journey_map_create(organization=org_a, title="Path", persona="Dealer", user=user)
    services.journey_map_create(organization=org_b, title="Path", persona="Buyer", user=stranger)

    assert [(m.pk, m.version) for m in selectors.journey_map_versions(copy)] == [(journey_map.pk, 1), (copy.pk, 2)]
    assert [m.title for m in selectors.journey_map_counts(organization=org_b)] == ["Path"]


def test_the_home_panel_counts_the_viewers_open_actions(org_a, make_member):
    owner, other = make_member(org_a, Role.SALES_HEAD), make_member(org_a, Role.MANAGER)
    assessment = _complete(_start(org_a, owner), owner)
    for title, who in (("Mine", owner), ("Theirs", other), ("Done", owner)):
        action = services.action_create(
            assessment=assessment,
            item_key="funnel",
            title=title,
            owner=who,
            due_date=timezone.localdate(),
            created_by=owner,
        )
    services.action_set_status(action=action, status=Action.Status.DONE)

    panel = selectors.home_actions_panel(Viewer(org_a, owner, Role.SALES_HEAD))

    assert [a.title for a in panel["actions"]] == ["Mine"] and panel["open_count"] == 1

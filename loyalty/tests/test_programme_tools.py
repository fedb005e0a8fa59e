"""The programme's tools beyond tiers and points (DOMAIN 6, issue 14 section 2.6): each a type with
its rules, shown on the client card with whether the client may use it."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm_portal.models import Role
from loyalty import ledger
from loyalty.models import PointAccount, ProgrammeTool, Tier
from loyalty.points import StepsError, open_to, progressive_discount, progressive_steps

from .factories import make_client
from .test_ledger import programme  # noqa: F401  (the fixture: Silver, Gold, Platinum)

D = Decimal


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("10000: 3; 50000: 5", [(D(10000), D(3)), (D(50000), D(5))]),
        ("0:1\n10 000,50 : 2,5%", [(D(0), D(1)), (D("10000.50"), D("2.5"))]),
    ],
)
def test_progressive_steps_are_read_as_people_write_them(text, steps):
    assert progressive_steps(text) == steps


@pytest.mark.parametrize(
    ("text", "code", "part"),
    [
        ("10000 3", "format", "10000 3"),
        ("ten: 3", "number", "ten: 3"),
        ("100: 120", "range", "100: 120"),
        ("-1: 2", "range", "-1: 2"),
        ("500: 5; 100: 7", "order", "100: 7"),
        ("100: 5; 500: 3", "order", "500: 3"),
        (" ; ", "empty", ""),
        ("NaN: 3", "number", "NaN: 3"),
    ],
)
def test_wrong_steps_name_the_step_and_the_problem(text, code, part):
    with pytest.raises(StepsError) as error:
        progressive_steps(text)
    assert (error.value.code, error.value.part) == (code, part)


def test_a_purchase_gets_the_percent_of_the_highest_step_it_reaches():
    steps = [(D(10000), D(3)), (D(50000), D(5))]
    assert [progressive_discount(steps, D(a)) for a in ("9999.99", "10000", "49999", "50000", "1e6")] == [
        D(0),
        D(3),
        D(3),
        D(5),
        D(5),
    ]


def test_a_tool_is_open_to_the_class_and_tier_it_asks():
    assert open_to(min_class="", min_rank=None, abc_class="", rank=None)
    assert open_to(min_class="B", min_rank=None, abc_class="A", rank=None)
    assert not open_to(min_class="B", min_rank=None, abc_class="C", rank=5)
    assert not open_to(min_class="", min_rank=2, abc_class="A", rank=None)
    assert open_to(min_class="", min_rank=2, abc_class="", rank=3)


@pytest.mark.django_db
def test_the_head_adds_tools_and_the_card_shows_what_the_client_may_use(client_as, org_a, programme):  # noqa: F811
    head = client_as(org_a, Role.SALES_HEAD)
    gold = Tier.objects.get(name="Gold")

    def add(**fields):
        data = {f"tool-{k}": v for k, v in {"min_class": "", "min_tier": "", **fields}.items()}
        return head.post(reverse("loyalty:programme"), data)

    assert (
        add(
            kind="progressive",
            name="Volume",
            rules="The larger the order, the lower the price.",
            steps="10000: 3; 50000: 5",
        ).status_code
        == 302
    )
    wrong = add(kind="progressive", name="Broken", rules="R", steps="50000: 5; 10000: 3")
    assert (
        "“10000: 3”: each step starts at a larger amount than the one before, with at least its percent."
        in wrong.content.decode()
    )
    no_percent = add(kind="personal_card", name="Card", rules="Show it at the till.")
    assert "A discount card needs its discount." in no_percent.content.decode()
    add(
        kind="vip", name="VIP desk", rules="A personal manager answers within an hour.", min_class="A", min_tier=gold.pk
    )
    again = add(kind="vip", name="vip desk", rules="Again")
    assert "The programme already has a tool with this name." in again.content.decode()
    assert sorted(ProgrammeTool.objects.values_list("name", flat=True)) == ["VIP desk", "Volume"]
    assert ProgrammeTool.objects.get(name="Volume").steps == [["10000", "3"], ["50000", "5"]]

    a_gold = make_client(org_a, "Big", abc_class="A")
    PointAccount.objects.create(organization=org_a, client=a_gold, tier=gold)
    b_client = make_client(org_a, "Small", abc_class="B")
    for client, vip_open in ((a_gold, "1"), (b_client, "0")):
        page = head.get(reverse("clients:card", kwargs={"client_id": client.pk})).content.decode()
        tools = page[page.index('id="client-tools"') : page.index("</section>", page.index('id="client-tools"'))]
        assert re.findall(r'data-tool="(\w+)" data-open="(\d)"', tools) == [("progressive", "1"), ("vip", vip_open)]
        assert '<li class="list-inline-item">from 10,000: 3%</li>' in tools

    with pytest.raises(ValidationError) as needed:
        ledger.tier_delete(tier=gold)
    assert needed.value.messages == ["These tools of the programme need this tier; change them first: VIP desk."]
    tool = ProgrammeTool.objects.get(name="VIP desk")
    assert (
        client_as(org_a, Role.MANAGER)
        .post(reverse("loyalty:tool_delete", kwargs={"programme_tool_id": tool.pk}))
        .status_code
        == 403
    )
    head = client_as(org_a, Role.SALES_HEAD)  # the same browser, signed in again as a head
    head.post(reverse("loyalty:tool_delete", kwargs={"programme_tool_id": tool.pk}))
    assert not ProgrammeTool.objects.filter(name="VIP desk").exists()

"""seed_demo: the logins it prints, the language of each demo organization's data, its date."""

import datetime
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from clients.models import Client, Complaint, ContactPerson, Deal, Product, RefusalReason, Segment
from crm_portal.models import Organization
from loyalty.models import Campaign, Programme, Scorecard, Tier

CYRILLIC = re.compile("[А-Яа-яЁё]")


def _seed(**options) -> str:
    # A date in the past: the demo's client list file is checked against the real date, like any upload.
    out = io.StringIO()
    call_command("seed_demo", small=True, stdout=out, **{"today": "2023-12-01", **options})
    return out.getvalue()


def _texts(slug: str) -> dict[str, list[str]]:
    """Every text of the organization's demo data that a person reads, by kind."""
    organization = Organization.objects.get(slug=slug)

    def names(model, field="name"):
        return list(model.objects.filter(organization=organization).values_list(field, flat=True))

    return {
        "organization": [organization.name],
        "clients": names(Client),
        "segments": names(Segment),
        "products": names(Product),
        "refusal reasons": names(RefusalReason),
        "tiers": names(Tier),
        "programmes": names(Programme),
        "scorecards": names(Scorecard),
        "campaigns": names(Campaign),
        "contacts": names(ContactPerson),
        "complaints": names(Complaint, "subject"),
        "deals": names(Deal, "title"),
        "positions": names(ContactPerson, "position"),
    }


@pytest.mark.django_db
def test_seed_demo_prints_every_login_the_readme_lists():
    output = _seed()
    assert output.split("Demo logins")[1].splitlines() == [
        " (password portal-demo):",
        "  demo-manager     Manager",
        "  demo-head        Sales head",
        "  demo-analyst     Analyst",
        "  demo-admin       Administrator",
        "  demo-consultant  Analyst in both demo organizations",
    ]
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(demo-[a-z-]+)` \|", readme, flags=re.MULTILINE)
    assert listed == ["demo-manager", "demo-head", "demo-analyst", "demo-admin", "demo-consultant"]


@pytest.mark.django_db
def test_the_main_demo_organization_speaks_russian_and_the_second_english():
    _seed()
    for kind, texts in _texts("demo").items():
        assert texts and all(CYRILLIC.search(text) for text in texts), (kind, texts)
    assert sorted(_texts("demo")["segments"]) == [
        "Гостиницы",
        "Интернет-магазины",
        "Офисы",
        "Рестораны и кафе",
        "Розничные сети",
    ]
    assert sorted(_texts("demo")["tiers"]) == ["Золотой", "Платиновый", "Серебряный"]
    # A case opened from a low survey score is worded in the organization's language.
    assert Complaint.objects.filter(
        organization__slug="demo", source=Complaint.Source.SURVEY, subject__startswith="Низкий балл"
    ).exists()
    for kind, texts in _texts("other").items():
        assert texts and not any(CYRILLIC.search(text) for text in texts), (kind, texts)


@pytest.mark.django_db
def test_the_demo_can_be_built_in_english():
    _seed(language="en")
    assert Organization.objects.get(slug="demo").name == "Aroma Trade"
    assert sorted(_texts("demo")["segments"]) == [
        "Hotels",
        "Offices",
        "Online shops",
        "Restaurants and cafes",
        "Retail chains",
    ]
    for kind, texts in _texts("demo").items():
        assert not any(CYRILLIC.search(text) for text in texts), (kind, texts)


@pytest.mark.django_db
def test_the_demo_is_built_around_the_date_given():
    _seed(today="2024-02-29")
    clients = Client.objects.filter(organization__slug="demo")
    dates = [d for d in clients.values_list("settlements__date", flat=True) if d]
    assert datetime.date(2024, 1, 29) < max(dates) <= datetime.date(2024, 2, 29)
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _seed(today="29.02.2024")

"""The card's reads: the ideal-client matrix of each segment.

Called with a `Viewer` or plain arguments, never a request; `make test` runs them on SQLite too.
"""

import datetime as dt

import pytest

from clients import selectors
from clients.models import Product, Segment

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat


def test_target_grid_marks_each_segments_target_products(org_a, org_b):
    cafes, _shops = (Segment.objects.create(organization=org_a, name=n) for n in ("Cafes", "Shops"))
    _beans, tea = (Product.objects.create(organization=org_a, name=n) for n in ("Beans", "Tea"))
    Product.objects.create(organization=org_b, name="Foreign")
    cafes.target_products.add(tea)

    grid = selectors.target_grid(organization=org_a)

    assert [p.name for p in grid["products"]] == ["Beans", "Tea"]
    assert [(s.name, [(p.name, on) for p, on in cells]) for s, cells in grid["grid"]] == [
        ("Cafes", [("Beans", False), ("Tea", True)]),
        ("Shops", [("Beans", False), ("Tea", False)]),
    ]

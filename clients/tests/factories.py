"""Small builders for the client register's tests."""

import datetime as dt
from decimal import Decimal

from clients.models import Client, Settlement


def make_client(org, name="Client", **fields) -> Client:
    return Client.objects.create(organization=org, name=name, **fields)


def settle(client, day: str | dt.date, amount="100.00", **fields) -> Settlement:
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return Settlement.objects.create(
        organization_id=client.organization_id, client=client, date=day, amount=Decimal(amount), **fields
    )

"""Small builders for the client register's tests."""

import datetime as dt
from decimal import Decimal

from clients.models import Client, Settlement
from clients.services import client_histories_rebuild


def make_client(org, name="Client", **fields) -> Client:
    return Client.objects.create(organization=org, name=name, **fields)


def settle(client, day: str | dt.date, amount="100.00", **fields) -> Settlement:
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    settlement = Settlement.objects.create(
        organization_id=client.organization_id, client=client, date=day, amount=Decimal(amount), **fields
    )
    # As every write of the register does: the client's history follows its settlements.
    client_histories_rebuild(organization=client.organization, client_ids=[client.pk])
    return settlement

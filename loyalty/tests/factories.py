"""Small builders for loyalty tests: clients with settlements, through the clients app's models."""

import datetime

from clients.models import Client, Segment, Settlement
from clients.tests.factories import settle


def make_client(
    organization,
    name: str = "Client",
    *,
    manager=None,
    segment: Segment | None = None,
    abc_class: str = "",
    lifecycle_state: str = "regular",
) -> Client:
    return Client.objects.create(
        organization=organization,
        name=name,
        manager=manager,
        segment=segment,
        abc_class=abc_class,
        lifecycle_state=lifecycle_state,
    )


def pay(client: Client, day: datetime.date, amount: str) -> Settlement:
    """A settlement as the register records it: the client's history and month facts follow."""
    return settle(client, day, amount)

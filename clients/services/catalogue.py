"""The organization's catalogues: products, segments, refusal reasons, the ideal-client matrix, offers."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm_portal.models import Organization

from ..models import (
    Client,
    ComplaintKind,
    Offer,
    Product,
    RefusalReason,
    Segment,
)
from .common import _audit, _check_same_org, _save


def _named_entry_create(model, *, organization: Organization, name: str, taken: str, **fields):
    """A catalogue entry whose name is unique in the organization, whatever its case."""
    name = name.strip()
    if model.objects.filter(organization=organization, name__iexact=name).exists():
        raise ValidationError({"name": taken})
    entry = model(organization=organization, name=name, **fields)
    _save(entry)
    return entry


@transaction.atomic
def product_create(*, organization: Organization, name: str) -> Product:
    return _named_entry_create(
        Product, organization=organization, name=name, taken=_("A product with this name already exists.")
    )


@transaction.atomic
def segment_create(*, organization: Organization, name: str, description: str = "") -> Segment:
    return _named_entry_create(
        Segment,
        organization=organization,
        name=name,
        description=description,
        taken=_("A segment with this name already exists."),
    )


@transaction.atomic
def refusal_reason_create(*, organization: Organization, name: str) -> RefusalReason:
    return _named_entry_create(
        RefusalReason, organization=organization, name=name, taken=_("This reason is already in the list.")
    )


@transaction.atomic
def complaint_kind_create(*, organization: Organization, name: str) -> ComplaintKind:
    return _named_entry_create(
        ComplaintKind, organization=organization, name=name, taken=_("This kind is already in the list.")
    )


@transaction.atomic
def matrix_save(*, organization: Organization, cells: Iterable[tuple[int, int]]) -> int:
    """Replace the target cells (segment id, product id) of the ideal-client matrix."""
    segments = {s.pk: s for s in Segment.objects.filter(organization=organization)}
    products = set(Product.objects.filter(organization=organization).values_list("pk", flat=True))
    wanted: dict[int, set[int]] = {pk: set() for pk in segments}
    for segment_id, product_id in cells:
        if segment_id not in segments or product_id not in products:
            raise ValidationError(_("The grid names a segment or product that is not in this organization."))
        wanted[segment_id].add(product_id)
    for pk, segment in segments.items():
        segment.target_products.set(wanted[pk])
    return sum(len(v) for v in wanted.values())


@transaction.atomic
def offer_set(
    *,
    client: Client,
    product: Product,
    status: str,
    status_date: datetime.date | None = None,
    next_step: str = "",
    next_step_on: datetime.date | None = None,
    user=None,
) -> Offer:
    _check_same_org(client.organization, product=product)
    if status in (Offer.Status.OFFERED, Offer.Status.SIGNED) and status_date is None:
        raise ValidationError({"status_date": _("Give the date of the offer or of the contract.")})
    offer, _created = Offer.objects.get_or_create(
        client=client, product=product, defaults={"organization_id": client.organization_id}
    )
    offer.status, offer.status_date, offer.next_step, offer.next_step_on = status, status_date, next_step, next_step_on
    _save(offer)
    if status == Offer.Status.SIGNED:
        client.products.add(product)
    _audit(client=client, user=user, action="offer.set", changes={"product": product.name, "status": status})
    return offer

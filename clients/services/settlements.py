"""Settlements: one entered by hand, and the all-or-nothing import of many."""

import datetime
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crm_portal.bulk import bulk_insert
from crm_portal.models import Organization

from .. import settlement_rows
from ..models import (
    Client,
    Deal,
    Product,
    Settlement,
)
from .common import BATCH, _audit, _check_same_org, _chunks, _save
from .lifecycle import client_histories_rebuild


def settlement_date_bounds(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The first and the last date a settlement may carry (1 January 2000, today plus one year)."""
    return settlement_rows.date_bounds(today or timezone.localdate())


def _date_out_of_bounds(day: datetime.date) -> str | None:
    first, last = settlement_date_bounds()
    return None if first <= day <= last else settlement_row_message(settlement_rows.DATE_OUT_OF_RANGE)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


@transaction.atomic
def settlement_create(
    *,
    client: Client,
    date: datetime.date,
    amount: Decimal,
    product: Product | None = None,
    document: str = "",
    refund: bool = False,
    deal: Deal | None = None,
    user=None,
) -> Settlement:
    """Enter a settlement by hand. A refund or correction is stored with a negative amount.

    A deal's payment names its deal (`deal_payment_record` checks it against the deal first).

    Refused: a date before 2000 or more than a year ahead, a zero amount, a negative amount not
    marked as a refund or correction.
    """
    _check_same_org(client.organization, product=product)
    problem = _date_out_of_bounds(date)
    if problem:
        raise ValidationError({"date": _sentence(problem)})
    if amount == 0:
        raise ValidationError({"amount": _("The amount cannot be zero.")})
    if amount < 0 and not refund:
        raise ValidationError(
            {
                "amount": _(
                    "A negative amount is accepted only as a refund or correction: "
                    "tick “Refund or correction” and give the amount."
                )
            }
        )
    if refund:
        amount = -abs(amount)
    settlement = Settlement(
        organization_id=client.organization_id,
        client=client,
        date=date,
        amount=amount,
        product=product,
        document=document,
        deal=deal,
    )
    _save(settlement)
    if product is not None:
        client.products.add(product)
    changes = {"date": date.isoformat(), "amount": str(amount), "document": document}
    if refund:
        changes["refund"] = True
    _audit(client=client, user=user, action="settlement.added", changes=changes, deal=deal)
    client_histories_rebuild(organization=client.organization, client_ids=[client.pk])
    client.refresh_from_db(fields=["lifecycle_state"])
    return settlement


@transaction.atomic
def settlement_delete(*, settlement: Settlement, user=None) -> None:
    """Delete a settlement entered by mistake; its client's history and facts are rewritten.

    A deal's payment is not deleted here: it is taken back by a refund, so the deal's money adds up.
    """
    if settlement.deal_id is not None:
        raise ValidationError(_("This settlement is a deal's payment: record a refund on the deal instead."))
    client = settlement.client
    changes = {"date": settlement.date.isoformat(), "amount": str(settlement.amount), "document": settlement.document}
    settlement.delete()
    _audit(client=client, user=user, action="settlement.deleted", changes=changes)
    client_histories_rebuild(organization=client.organization, client_ids=[client.pk])


def settlement_row_message(
    code: int, *, today: datetime.date | None = None, key_length: int = settlement_rows.KEY_LENGTH
) -> str:
    """A settlement row's problem (a code of `settlement_rows`) in words: the file check and the import show it."""
    if code == settlement_rows.DATE_OUT_OF_RANGE:
        first, last = settlement_date_bounds(today)
        return _("the date must lie between %(first)s and %(last)s (not before 2000, at most a year ahead).") % {
            "first": formats.date_format(first, "SHORT_DATE_FORMAT"),
            "last": formats.date_format(last, "SHORT_DATE_FORMAT"),
        }
    if code == settlement_rows.CLIENT_TOO_LONG:
        return _("the client is longer than %(limit)s characters.") % {"limit": key_length}
    return {
        settlement_rows.CLIENT_EMPTY: _("the client is empty."),
        settlement_rows.NOT_A_DATE: _("the date is not a date."),
        settlement_rows.NOT_A_NUMBER: _("the amount is not a number."),
        settlement_rows.AMOUNT_TOO_LARGE: _("the amount is too large: the register keeps amounts below a trillion."),
        settlement_rows.AMOUNT_ZERO: _("the amount is zero."),
    }[code]


def _as_dates(column) -> np.ndarray:
    """Dates of an import column as datetime64[D]; a value that is not a date (or a datetime) is NaT."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.to_numpy().astype("datetime64[D]")
    days = [
        value.date() if isinstance(value, datetime.datetime) else value if isinstance(value, datetime.date) else None
        for value in column
    ]
    return np.array(days, dtype="datetime64[D]")


def _as_amounts(column) -> np.ndarray:
    """Amounts of an import column as floats; a value that is not a number is NaN."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype="float64", na_value=np.nan)
    amounts = np.full(len(column), np.nan)
    for index, value in enumerate(column):
        if isinstance(value, (bool, np.bool_)):
            continue
        try:
            amounts[index] = float(Decimal(str(value)))
        except (InvalidOperation, ValueError, TypeError):
            pass
    return amounts


MATCH_FIELDS = {"external_id", "tax_number", "name"}


ON_MISSING = {"create", "skip", "update"}


MAX_ROW_PROBLEMS = 50


@transaction.atomic
def settlements_import(*, organization: Organization, rows, match_by: str, on_missing: str, user=None) -> dict:
    """Import settlements from a DataFrame (client, date, amount[, row, product, document, name]): all or nothing.

    Every row obeys `settlement_rows.check`, the rules the file check of segmentation shows in its
    preview: a negative amount is a refund or correction, stored as it is. A refused row is named by
    its `row` (its number in the source file; without that column rows count from 1).

    `client` holds the key named by `match_by`; an optional `name` column names new clients and,
    with on_missing="update", renames matched ones. Existing settlements are never touched.
    """
    if match_by not in MATCH_FIELDS:
        raise ValidationError(_("Clients can be matched by external id, tax number or name."))
    if on_missing not in ON_MISSING:
        raise ValidationError(_("Unknown choice for clients that are not in the register."))
    missing_columns = {"client", "date", "amount"} - set(rows.columns)
    if missing_columns:
        raise ValidationError(_("Columns missing: %(cols)s.") % {"cols": ", ".join(sorted(missing_columns))})
    has_product = "product" in rows.columns
    has_document = "document" in rows.columns
    has_name = "name" in rows.columns and match_by != "name"
    today = timezone.localdate()
    # An external id or a tax number holds fewer characters than a name: the key must fit the field matched.
    key_length = Client._meta.get_field(match_by).max_length
    clients = rows["client"].reset_index(drop=True)
    client_keys = clients.where(clients.notna(), "").astype("str").str.strip()
    dates = _as_dates(rows["date"])
    amounts = _as_amounts(rows["amount"])
    codes = settlement_rows.check(client_keys, dates, amounts, today=today, key_length=key_length)
    refused = np.flatnonzero(codes != settlement_rows.OK)
    if len(refused):
        numbers = rows["row"].to_numpy() if "row" in rows.columns else np.arange(1, len(rows) + 1)
        # A wide file's row holds several settlements: say each row's problem once, in file order.
        messages: dict[str, None] = {}
        for index in refused:
            messages[
                _("Row %(row)s: %(message)s")
                % {
                    "row": int(numbers[index]),
                    "message": settlement_row_message(int(codes[index]), today=today, key_length=key_length),
                }
            ] = None
            if len(messages) == MAX_ROW_PROBLEMS:
                break
        raise ValidationError(list(messages))
    cents = settlement_rows.to_cents(amounts)
    key_at, keys = pd.factorize(client_keys)
    file_names: dict[str, str] = {}
    if has_name:
        given = _texts(rows["name"], 255)
        named = (given != "").to_numpy()
        file_names = dict(zip(client_keys[named], given[named]))  # a key named twice keeps its last name

    existing: dict[str, int] = {}
    names: dict[int, str] = {}
    lookup = Client.objects.filter(organization=organization)
    wanted = set(keys)
    if lookup.count() <= len(wanted):
        # A register no larger than the file is read whole: one query instead of one parameter per key.
        found = (
            row for row in lookup.values_list("pk", match_by, "name").iterator(chunk_size=BATCH) if row[1] in wanted
        )
    else:
        found = (
            row
            for chunk in _chunks(sorted(wanted), BATCH)
            for row in lookup.filter(**{f"{match_by}__in": chunk}).values_list("pk", match_by, "name")
        )
    ambiguous = set()
    for pk, key, name in found:
        if key in existing:
            ambiguous.add(key)
        existing.setdefault(key, pk)
        names[pk] = name
    if ambiguous:
        raise ValidationError(
            _("Several clients share these keys, so the rows cannot be matched: %(keys)s.")
            % {"keys": ", ".join(sorted(ambiguous)[:10])}
        )
    missing = sorted(wanted - set(existing))
    created = 0
    new_ids = np.array([], dtype=np.int64)
    if missing and on_missing in ("create", "update"):
        new_clients = pd.DataFrame(
            {"organization_id": organization.pk, "name": [file_names.get(key, key) for key in missing]}
        )
        if match_by != "name":
            new_clients[match_by] = missing
        new_ids = bulk_insert(Client, new_clients, return_ids=True)
        existing.update(zip(missing, new_ids.tolist()))
        created = len(missing)
    if on_missing == "update" and file_names:
        renames = {
            existing[key]: name
            for key, name in file_names.items()
            if existing.get(key) in names and names[existing[key]] != name
        }
        Client.objects.bulk_update(
            [Client(pk=pk, name=name) for pk, name in renames.items()], ["name"], batch_size=1000
        )
    client_ids = np.array([existing.get(key, 0) for key in keys], dtype=np.int64)[key_at]
    # Written in the order of the index on (client, date), each client's day in file order: the
    # database then adds to its indexes and checks the clients row after row of the same client.
    order = np.lexsort((dates, client_ids))
    order = order[client_ids[order] != 0]  # 0 is no primary key: a client not in the register, not created
    settlements = pd.DataFrame(
        {
            "organization_id": organization.pk,
            "client_id": client_ids[order],
            "date": dates[order],
            # Whole cents below 10^14 divided by 100 print as the decimal itself: the column stores it exactly.
            "amount": cents[order] / 100,
        }
    )
    if has_document:
        settlements["document"] = _texts(rows["document"], 64).array[order]
    if has_product:
        product_at, product_names = pd.factorize(_texts(rows["product"], 120).array[order])
        product_ids = _products_by_name(organization, set(product_names) - {""})
        ids = np.array([product_ids.get(name, 0) for name in product_names], dtype=np.int64)[product_at]
        settlements["product_id"] = pd.arrays.IntegerArray(ids, ids == 0)
    summary = {
        "clients_created": created,
        "clients_matched": len(keys) - len(missing),
        "rows_skipped": len(client_ids) - len(order),
        "settlements_created": len(settlements),
    }
    written_cents = cents[order]
    # The file's columns are read: they go before the histories are built (a million rows weigh
    # about 100 MB; the frame `rows` goes too when the caller handed over its only reference).
    del rows, clients, client_keys, dates, amounts, codes, cents, key_at, keys, client_ids, order
    del existing, names, file_names
    bulk_insert(Settlement, settlements)
    # Back-dated or not, the file rewrites its clients' histories and states before anything reads them.
    written = np.unique(settlements["client_id"].to_numpy())
    fresh = np.isin(written, new_ids)
    if not fresh.all():
        client_histories_rebuild(organization=organization, client_ids=written[~fresh].tolist())
    if fresh.any():
        # The clients created here have no settlement but the file's: their histories come from it.
        mine = np.isin(settlements["client_id"].to_numpy(), new_ids)
        new_settlements = pd.DataFrame(
            {
                "client_id": settlements["client_id"].to_numpy()[mine],
                "date": settlements["date"].to_numpy()[mine],
                "amount": written_cents[mine],
                "product_id": settlements["product_id"].to_numpy(dtype=float, na_value=np.nan)[mine]
                if has_product
                else np.nan,
            }
        )
        del settlements, written_cents, mine
        client_histories_rebuild(
            organization=organization, client_ids=written[fresh].tolist(), new_settlements=new_settlements
        )
    return summary


def _texts(column: pd.Series, limit: int) -> pd.Series:
    """An optional column as trimmed text cut to `limit` characters; a blank cell (missing, spaces) is ""."""
    if isinstance(column.dtype, pd.StringDtype):
        text = column.fillna("")
    else:  # cells of any kind, as str() writes them
        text = column.astype(object).where(column.notna(), "").astype(str)
    # Kept as text of the string dtype (Arrow), not as a Python object per cell: a million rows stay light.
    return text.str.strip().str[:limit]


def _products_by_name(organization: Organization, names: set[str]) -> dict[str, int]:
    found = dict(Product.objects.filter(organization=organization, name__in=names).values_list("name", "pk"))
    new = [Product(organization=organization, name=name) for name in sorted(names - set(found))]
    Product.objects.bulk_create(new)
    found.update({p.name: p.pk for p in new})
    return found

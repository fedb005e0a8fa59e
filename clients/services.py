"""Every write of the client register. Each raises ValidationError with a readable message."""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crm_portal.bulk import bulk_insert
from crm_portal.jobs import job_enqueue
from crm_portal.models import Job, Organization
from crm_portal.validators import single_line_fields

from . import lifecycle, settlement_rows, tasks
from .models import (
    STAGE_ORDER,
    AuditEntry,
    Client,
    ClassChange,
    Complaint,
    ComplaintStep,
    Contact,
    ContactPerson,
    ControlPoint,
    Deal,
    DealDocument,
    DealEvent,
    Offer,
    Product,
    RefusalReason,
    SatisfactionAssessment,
    Segment,
    Settlement,
    Stage,
    StateChange,
)
from .selectors import deal_money
from .signals import complaint_closed

BATCH = 5000
# The longest pause between two contacts with a client before a control point falls due.
CONTACT_GAP_DAYS = 30
# Days after an event when the satisfaction survey is due.
SURVEY_AFTER_EVENT_DAYS = 7
CLIENT_FIELDS = [
    "name", "kind", "external_id", "tax_number", "manager", "segment", "industry", "activity",
    "has_branches", "staff_size", "main_customers", "year_founded", "comments",
]


def _audit(*, client: Client, user, action: str, changes: dict | None = None, deal: Deal | None = None) -> None:
    AuditEntry.objects.create(
        organization_id=client.organization_id, client=client, deal=deal,
        user=user if user is not None and user.is_authenticated else None,
        action=action, changes=changes or {},
    )


def _user_or_none(user):
    return user if user is not None and user.is_authenticated else None


def _check_same_org(organization: Organization, **objects) -> None:
    for field, obj in objects.items():
        if obj is not None and obj.organization_id != organization.pk:
            raise ValidationError({field: _("This choice belongs to another organization.")})


def _save(obj) -> None:
    obj.full_clean()
    obj.save()


# Clients ---------------------------------------------------------------------------------


def _check_unique_external_id(client: Client) -> None:
    if client.external_id:
        clash = Client.objects.filter(organization_id=client.organization_id, external_id=client.external_id)
        if client.pk:
            clash = clash.exclude(pk=client.pk)
        if clash.exists():
            raise ValidationError({"external_id": _("Another client already has this external id.")})


@transaction.atomic
def client_create(*, organization: Organization, user=None, products: Iterable[Product] = (), **fields) -> Client:
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown client fields: {sorted(unknown)}")
    client = Client(organization=organization, **fields)
    _check_same_org(organization, segment=client.segment)
    _check_unique_external_id(client)
    _save(client)
    products = list(products)
    _check_same_org(organization, **{"products": p for p in products})
    client.products.set(products)
    _audit(client=client, user=user, action="client.created", changes={"name": client.name})
    return client


@transaction.atomic
def client_update(*, client: Client, user=None, products: Iterable[Product] | None = None, **fields) -> Client:
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown client fields: {sorted(unknown)}")
    changes = {}
    for name, value in fields.items():
        old = getattr(client, name)
        if old != value:
            changes[name] = [str(old) if old is not None else "", str(value) if value is not None else ""]
            setattr(client, name, value)
    _check_same_org(client.organization, segment=client.segment)
    _check_unique_external_id(client)
    _save(client)
    if products is not None:
        products = list(products)
        old_products = sorted(p.name for p in client.products.all())
        new_products = sorted(p.name for p in products)
        if old_products != new_products:
            changes["products"] = [", ".join(old_products), ", ".join(new_products)]
            client.products.set(products)
    if changes:
        _audit(client=client, user=user, action="client.updated", changes=changes)
    return client


@transaction.atomic
def clients_assign(*, organization: Organization, client_ids: Iterable[int], manager, user=None) -> int:
    """Give clients to a manager (a sales head's job); every change is audited."""
    from crm_portal.models import Membership, Role

    ids = sorted(set(client_ids))
    if not ids:
        raise ValidationError(_("Tick the clients to assign."))
    if not Membership.objects.filter(user=manager, organization=organization,
                                     role__in=[Role.MANAGER, Role.SALES_HEAD]).exists():
        raise ValidationError(_("Clients can only be given to a manager or a sales head of the organization."))
    clients = list(Client.objects.filter(organization=organization, pk__in=ids).select_related("manager"))
    if len(clients) != len(ids):
        raise ValidationError(_("Some of the ticked clients are not in this organization."))
    moved = [c for c in clients if c.manager_id != manager.pk]
    Client.objects.filter(pk__in=[c.pk for c in moved]).update(manager=manager, updated_at=timezone.now())
    AuditEntry.objects.bulk_create([
        AuditEntry(organization=organization, client=c, user=_user_or_none(user), action="client.assigned",
                   changes={"manager": [c.manager.username if c.manager else "", manager.username]})
        for c in moved
    ])
    return len(moved)


@transaction.atomic
def contact_person_create(*, client: Client, name: str, position: str = "", phone: str = "", email: str = "",
                          birthday: datetime.date | None = None, user=None) -> ContactPerson:
    person = ContactPerson(organization_id=client.organization_id, client=client, name=name, position=position,
                           phone=phone, email=email, birthday=birthday)
    _save(person)
    _audit(client=client, user=user, action="person.added", changes={"name": name})
    return person


# Contacts and control points -------------------------------------------------------------


@transaction.atomic
def contact_create(*, client: Client, kind: str, date: datetime.date, summary: str, author=None) -> Contact:
    """Log a contact and move the client's 'longest pause between contacts' control point."""
    contact = Contact(organization_id=client.organization_id, client=client, kind=kind, date=date,
                      summary=summary, author=_user_or_none(author))
    _save(contact)
    ControlPoint.objects.filter(client=client, kind=ControlPoint.Kind.CONTACT_GAP, done_at__isnull=True).update(
        done_at=timezone.now()
    )
    control_point_create(client=client, kind=ControlPoint.Kind.CONTACT_GAP,
                         due_date=date + datetime.timedelta(days=CONTACT_GAP_DAYS),
                         responsible=client.manager)
    if kind == Contact.Kind.MEETING:
        # The minutes of a meeting go to the client the next working day.
        control_point_create(client=client, kind=ControlPoint.Kind.MINUTES, due_date=_next_working_day(date),
                             responsible=contact.author or client.manager)
    return contact


def _next_working_day(day: datetime.date) -> datetime.date:
    day += datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def control_point_create(*, client: Client, kind: str, due_date: datetime.date, deal: Deal | None = None,
                         note: str = "", responsible=None) -> ControlPoint:
    point = ControlPoint(organization_id=client.organization_id, client=client, deal=deal, kind=kind,
                         due_date=due_date, note=note, responsible=responsible or client.manager)
    _save(point)
    return point


@transaction.atomic
def control_point_add(*, client: Client, kind: str, due_date: datetime.date, note: str = "", user=None) -> ControlPoint:
    """A control point set by hand: it lies ahead (today at the earliest), else it is overdue at birth."""
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": _("The due date cannot be in the past: give today or a later day.")})
    point = control_point_create(client=client, kind=kind, due_date=due_date, note=note)
    _audit(client=client, user=user, action="point.added", changes={"kind": kind, "due_date": due_date.isoformat()})
    return point


@transaction.atomic
def control_point_done(*, control_point: ControlPoint, user=None) -> ControlPoint:
    if control_point.done_at is not None:
        raise ValidationError(_("This control point is already done."))
    control_point.done_at = timezone.now()
    control_point.save(update_fields=["done_at"])
    return control_point


# Settlements -----------------------------------------------------------------------------


def settlement_date_bounds(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The first and the last date a settlement may carry (1 January 2000, today plus one year)."""
    return settlement_rows.date_bounds(today or timezone.localdate())


def _date_out_of_bounds(day: datetime.date) -> str | None:
    first, last = settlement_date_bounds()
    return None if first <= day <= last else settlement_row_message(settlement_rows.DATE_OUT_OF_RANGE)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


@transaction.atomic
def settlement_create(*, client: Client, date: datetime.date, amount: Decimal, product: Product | None = None,
                      document: str = "", refund: bool = False, deal: Deal | None = None, user=None) -> Settlement:
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
        raise ValidationError({"amount": _("A negative amount is accepted only as a refund or correction: "
                                           "tick “Refund or correction” and give the amount.")})
    if refund:
        amount = -abs(amount)
    settlement = Settlement(organization_id=client.organization_id, client=client, date=date, amount=amount,
                            product=product, document=document, deal=deal)
    _save(settlement)
    if product is not None:
        client.products.add(product)
    changes = {"date": date.isoformat(), "amount": str(amount), "document": document}
    if refund:
        changes["refund"] = True
    _audit(client=client, user=user, action="settlement.added", changes=changes, deal=deal)
    client_lifecycle_refresh(client=client)
    return settlement


def settlement_row_message(code: int, *, today: datetime.date | None = None,
                           key_length: int = settlement_rows.KEY_LENGTH) -> str:
    """A settlement row's problem (a code of `settlement_rows`) in words: the file check and the import show it."""
    if code == settlement_rows.DATE_OUT_OF_RANGE:
        first, last = settlement_date_bounds(today)
        return _("the date must lie between %(first)s and %(last)s (not before 2000, at most a year ahead).") % {
            "first": formats.date_format(first, "SHORT_DATE_FORMAT"), "last": formats.date_format(last, "SHORT_DATE_FORMAT")}
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
    days = [value.date() if isinstance(value, datetime.datetime) else value if isinstance(value, datetime.date) else None
            for value in column]
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
            messages[_("Row %(row)s: %(message)s") % {
                "row": int(numbers[index]),
                "message": settlement_row_message(int(codes[index]), today=today, key_length=key_length)}] = None
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
        found = (row for row in lookup.values_list("pk", match_by, "name").iterator(chunk_size=BATCH) if row[1] in wanted)
    else:
        found = (row for chunk in _chunks(sorted(wanted), BATCH)
                 for row in lookup.filter(**{f"{match_by}__in": chunk}).values_list("pk", match_by, "name"))
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
    if missing and on_missing in ("create", "update"):
        new_clients = pd.DataFrame({"organization_id": organization.pk,
                                    "name": [file_names.get(key, key) for key in missing]})
        if match_by != "name":
            new_clients[match_by] = missing
        existing.update(zip(missing, bulk_insert(Client, new_clients, return_ids=True).tolist()))
        created = len(missing)
    if on_missing == "update" and file_names:
        renames = {existing[key]: name for key, name in file_names.items()
                   if existing.get(key) in names and names[existing[key]] != name}
        Client.objects.bulk_update([Client(pk=pk, name=name) for pk, name in renames.items()], ["name"], batch_size=1000)
    client_ids = np.array([existing.get(key, 0) for key in keys], dtype=np.int64)[key_at]
    # Written in the order of the index on (client, date), each client's day in file order: the
    # database then adds to its indexes and checks the clients row after row of the same client.
    order = np.lexsort((dates, client_ids))
    order = order[client_ids[order] != 0]  # 0 is no primary key: a client not in the register, not created
    settlements = pd.DataFrame({
        "organization_id": organization.pk,
        "client_id": client_ids[order],
        "date": dates[order],
        # Whole cents below 10^14 divided by 100 print as the decimal itself: the column stores it exactly.
        "amount": cents[order] / 100,
    })
    if has_document:
        settlements["document"] = _texts(rows["document"], 64).array[order]
    if has_product:
        product_at, product_names = pd.factorize(_texts(rows["product"], 120).array[order])
        product_ids = _products_by_name(organization, set(product_names) - {""})
        ids = np.array([product_ids.get(name, 0) for name in product_names], dtype=np.int64)[product_at]
        settlements["product_id"] = pd.arrays.IntegerArray(ids, ids == 0)
    bulk_insert(Settlement, settlements)
    return {
        "clients_created": created,
        "clients_matched": len(keys) - len(missing),
        "rows_skipped": len(client_ids) - len(order),
        "settlements_created": len(settlements),
    }


def _texts(column: pd.Series, limit: int) -> pd.Series:
    """An optional column as trimmed text cut to `limit` characters; a blank cell (missing, spaces) is ""."""
    if isinstance(column.dtype, pd.StringDtype):
        text = column.fillna("")
    else:  # cells of any kind, as str() writes them
        text = column.astype(object).where(column.notna(), "").astype(str)
    # Kept as text of the string dtype (Arrow), not as a Python object per cell: a million rows stay light.
    return text.str.strip().str[:limit]


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _products_by_name(organization: Organization, names: set[str]) -> dict[str, int]:
    found = dict(Product.objects.filter(organization=organization, name__in=names).values_list("name", "pk"))
    new = [Product(organization=organization, name=name) for name in sorted(names - set(found))]
    Product.objects.bulk_create(new)
    found.update({p.name: p.pk for p in new})
    return found


# Classes and lifecycle -------------------------------------------------------------------

ABC_VALUES = {"", "A", "B", "C"}
XYZ_VALUES = {"", "X", "Y", "Z"}


@transaction.atomic
def client_classes_record(*, organization: Organization, classes: Mapping[int, tuple[str, str]], run_label: str,
                          as_of: datetime.date) -> int:
    """Set ABC/XYZ classes of the given clients; write a history row for each that changed."""
    for pk, (abc, xyz) in classes.items():
        if abc not in ABC_VALUES or xyz not in XYZ_VALUES:
            raise ValidationError(_("Client %(pk)s: unknown class %(abc)r/%(xyz)r.") % {"pk": pk, "abc": abc, "xyz": xyz})
    current = {}
    ids = sorted(classes)
    for chunk in _chunks(ids, BATCH):
        for pk, abc, xyz in Client.objects.filter(organization=organization, pk__in=chunk).values_list(
            "pk", "abc_class", "xyz_class"
        ):
            current[pk] = (abc, xyz)
    unknown = set(ids) - set(current)
    if unknown:
        raise ValidationError(_("These clients are not in the organization: %(ids)s.") % {
            "ids": ", ".join(str(i) for i in sorted(unknown)[:20])})
    changed = [pk for pk in ids if current[pk] != tuple(classes[pk])]
    # One UPDATE per pair of classes (at most 16): a bulk_update's CASE per client costs far more.
    by_pair: dict[tuple[str, str], list[int]] = {}
    for pk in changed:
        by_pair.setdefault(tuple(classes[pk]), []).append(pk)
    for (abc, xyz), pks in by_pair.items():
        for chunk in _chunks(pks, BATCH):
            Client.objects.filter(pk__in=chunk).update(abc_class=abc, xyz_class=xyz)
    ClassChange.objects.bulk_create(
        [
            ClassChange(organization=organization, client_id=pk, abc_class=classes[pk][0], xyz_class=classes[pk][1],
                        previous_abc=current[pk][0], previous_xyz=current[pk][1], run_label=run_label[:120], as_of=as_of)
            for pk in changed
        ],
        batch_size=BATCH,
    )
    return len(changed)


def state_flags(settlements, as_of: datetime.date, period: int):
    """Per client of the settlements: how many lie within (t-P, t], within (t-2P, t-P] and on or before t-2P."""
    one_back, two_back = lifecycle.window_bounds(as_of, period)
    return settlements.filter(date__lte=as_of).values("client_id").annotate(
        recent=Count("id", filter=Q(date__gt=one_back)),
        previous=Count("id", filter=Q(date__gt=two_back, date__lte=one_back)),
        older=Count("id", filter=Q(date__lte=two_back)),
    )


def _apply_states(organization: Organization, new_states: dict[int, str], as_of: datetime.date) -> dict:
    """Store the states; write the history of the changes.

    A client whose state has never been computed (no history yet: imported, seeded, created)
    gets its true history rebuilt from its settlement dates instead of one "potential → X" row
    dated today.
    """
    current = dict(Client.objects.filter(organization=organization).values_list("pk", "lifecycle_state"))
    fresh = set(
        Client.objects.filter(organization=organization)
        .exclude(Exists(StateChange.objects.filter(client=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    period = organization.lifecycle_period_months
    moves: dict[str, list[int]] = {}
    history = []
    for pk, old in current.items():
        state = new_states.get(pk, lifecycle.POTENTIAL)
        if state != old:
            moves.setdefault(state, []).append(pk)
            if pk not in fresh:
                history.append(StateChange(organization=organization, client_id=pk, state=state, previous_state=old,
                                           as_of=as_of))
    buying = sorted(pk for pk in fresh if new_states.get(pk, lifecycle.POTENTIAL) != lifecycle.POTENTIAL)
    for chunk in _chunks(buying, BATCH):
        dates: dict[int, list[datetime.date]] = {pk: [] for pk in chunk}
        rows = Settlement.objects.filter(organization=organization, client_id__in=chunk, date__lte=as_of)
        for client_id, day in rows.values_list("client_id", "date").order_by().iterator(chunk_size=BATCH):
            dates[client_id].append(day)
        for pk in chunk:
            history.extend(
                StateChange(organization=organization, client_id=pk, state=state, previous_state=previous, as_of=day)
                for day, previous, state in lifecycle.state_history(dates[pk], as_of, period)
            )
    for state, ids in moves.items():
        for chunk in _chunks(ids, BATCH):
            Client.objects.filter(pk__in=chunk).update(lifecycle_state=state)
    StateChange.objects.bulk_create(history, batch_size=BATCH)
    counts = {state: 0 for state in lifecycle.STATES}
    for pk in current:
        counts[new_states.get(pk, lifecycle.POTENTIAL)] += 1
    return {"changed": sum(len(ids) for ids in moves.values()), "history_rows": len(history), "states": counts}


@transaction.atomic
def lifecycle_recompute(*, organization: Organization, as_of: datetime.date | None = None) -> dict:
    """Recompute every client's lifecycle state in one grouped query; record the changes."""
    as_of = as_of or timezone.localdate()
    period = organization.lifecycle_period_months
    flags = state_flags(Settlement.objects.filter(organization=organization), as_of, period)
    new_states = {
        row["client_id"]: lifecycle.classify(recent=row["recent"] > 0, previous=row["previous"] > 0, older=row["older"] > 0)
        for row in flags
    }
    result = _apply_states(organization, new_states, as_of)
    result["as_of"] = as_of.isoformat()
    return result


def client_lifecycle_refresh(*, client: Client, as_of: datetime.date | None = None) -> str:
    """Bring one client's stored state up to date (after a settlement is entered by hand).

    The first time, the client's whole history is rebuilt from its settlements (see `_apply_states`).
    """
    as_of = as_of or timezone.localdate()
    period = client.organization.lifecycle_period_months
    dates = list(client.settlements.values_list("date", flat=True))
    state = lifecycle.lifecycle_state(dates, as_of, period)
    if not StateChange.objects.filter(client=client).exists():
        StateChange.objects.bulk_create([
            StateChange(organization_id=client.organization_id, client=client, state=new, previous_state=previous,
                        as_of=day)
            for day, previous, new in lifecycle.state_history(dates, as_of, period)
        ])
    elif state != client.lifecycle_state:
        StateChange.objects.create(organization_id=client.organization_id, client=client, state=state,
                                   previous_state=client.lifecycle_state, as_of=as_of)
    if state != client.lifecycle_state:
        Client.objects.filter(pk=client.pk).update(lifecycle_state=state)
        client.lifecycle_state = state
    return state


def lifecycle_recompute_start(*, organization: Organization, user=None, as_of: datetime.date | None = None) -> Job:
    """Queue a lifecycle recompute (from a page, or from the nightly schedule); one at a time per date."""
    as_of = as_of or timezone.localdate()
    return job_enqueue(organization=organization, task=tasks.lifecycle_recompute_task, user=user,
                       params={"as_of": as_of.isoformat()}, key=as_of.isoformat())


# Deals -----------------------------------------------------------------------------------


def _deal_event(deal: Deal, *, kind: str, user, date: datetime.date | None = None, note: str = "",
                amount: Decimal | None = None, from_stage: str = "", to_stage: str = "") -> DealEvent:
    event = DealEvent(organization_id=deal.organization_id, deal=deal, kind=kind, from_stage=from_stage,
                      to_stage=to_stage, amount=amount, note=note[:300], date=date or timezone.localdate(),
                      author=_user_or_none(user))
    _save(event)
    return event


@transaction.atomic
def deal_create(*, client: Client, title: str, product: Product | None = None, amount: Decimal | None = None,
                user=None, manager=None) -> Deal:
    _check_same_org(client.organization, product=product)
    deal = Deal(organization_id=client.organization_id, client=client, title=title, product=product, amount=amount,
                manager=manager or _user_or_none(user) or client.manager)
    _save(deal)
    _deal_event(deal, kind=DealEvent.Kind.CREATED, user=user, to_stage=deal.stage)
    _audit(client=client, deal=deal, user=user, action="deal.created", changes={"title": title})
    return deal


def _lock(deal: Deal) -> None:
    """Re-read the deal under a row lock: a double submit waits for the first and then sees its result."""
    deal.refresh_from_db(from_queryset=Deal.objects.select_for_update())


def _require_open(deal: Deal) -> None:
    if deal.status != Deal.Status.OPEN:
        raise ValidationError(_("This deal is finished; it cannot change any more."))


def _money(value: Decimal) -> str:
    return formats.number_format(value, 2, use_l10n=True, force_grouping=True)


def _require_paid_or_deferred(deal: Deal) -> None:
    """A deal goes past payment, and is won, only paid in full or with a deferred payment agreed (DOMAIN 3)."""
    if deal.payment_due_on is not None:
        return
    money = deal_money(deal)
    if money.paid_in_full:
        return
    if deal.amount is None:
        raise ValidationError(_("The deal has no amount, so it cannot be paid in full: agree a deferred payment "
                                "with its due date before the deal goes past payment or is won."))
    raise ValidationError(
        _("The client has paid %(paid)s of %(amount)s. Record the payment in full, or agree a deferred payment "
          "with its due date, before the deal goes past payment or is won.")
        % {"paid": _money(money.paid), "amount": _money(deal.amount)}
    )


# Dates a stage move may carry, and the control point each one becomes.
STAGE_DATES = {
    Stage.OFFER: ("offer_expires_on", ControlPoint.Kind.OFFER_EXPIRY),
    Stage.PAYMENT: ("invoice_due_on", ControlPoint.Kind.INVOICE_EXPIRY),
    Stage.EVENT: ("event_on", ControlPoint.Kind.EVENT),
}


@transaction.atomic
def deal_advance(*, deal: Deal, user=None, date: datetime.date | None = None, note: str = "",
                 due_date: datetime.date | None = None, next_contact_on: datetime.date | None = None,
                 amount: Decimal | None = None) -> Deal:
    """Move a deal to the next stage; closing needs the next contact date and wins the deal.

    `due_date` is the offer expiry (moving to offer), the invoice expiry (to payment) or the event
    date (to event); each becomes a control point. The move to payment issues the invoice: it needs
    the deal's `amount` (given here, or known from the start). Leaving payment and winning need the
    amount paid in full or a deferred payment agreed. Moving past the event plans the satisfaction survey.
    """
    _lock(deal)
    _require_open(deal)
    date = date or timezone.localdate()
    index = STAGE_ORDER.index(deal.stage)
    if deal.stage == Stage.CLOSING:
        if next_contact_on is None:
            raise ValidationError({"next_contact_on": _("Agree the next contact and give its date to close the deal.")})
        if next_contact_on < date:
            raise ValidationError({"next_contact_on": _("The next contact cannot be in the past.")})
        _require_paid_or_deferred(deal)
        deal.status = Deal.Status.WON
        deal.next_contact_on = next_contact_on
        _save(deal)
        _deal_event(deal, kind=DealEvent.Kind.CLOSED, user=user, date=date, note=note, from_stage=deal.stage)
        control_point_create(client=deal.client, deal=deal, kind=ControlPoint.Kind.NEXT_CONTACT, due_date=next_contact_on)
        _close_points(deal)
        _audit(client=deal.client, deal=deal, user=user, action="deal.won", changes={"next_contact_on": next_contact_on.isoformat()})
        return deal
    new_stage = STAGE_ORDER[index + 1]
    needed = STAGE_DATES.get(new_stage)
    if needed and due_date is None:
        labels = {Stage.OFFER: _("Give the date the offer expires."), Stage.PAYMENT: _("Give the date the invoice expires."),
                  Stage.EVENT: _("Give the date of the event.")}
        raise ValidationError({"due_date": labels[new_stage]})
    if due_date is not None and due_date < date and new_stage != Stage.EVENT:
        raise ValidationError({"due_date": _("This date cannot be before the move itself.")})
    changes = {"stage": [deal.stage, new_stage]}
    if new_stage == Stage.PAYMENT:
        if amount is None and deal.amount is None:
            raise ValidationError({"amount": _("Give the invoice amount: the client pays the deal against it.")})
        if amount is not None and amount != deal.amount:
            if amount <= 0:
                raise ValidationError({"amount": _("The invoice amount must be positive.")})
            changes["amount"] = [str(deal.amount or ""), str(amount)]
            deal.amount = amount
    elif amount is not None:
        raise ValidationError({"amount": _("The amount is set when the invoice is issued, on the move to payment.")})
    if deal.stage == Stage.PAYMENT:
        _require_paid_or_deferred(deal)
    old_stage = deal.stage
    deal.stage = new_stage
    _save(deal)
    # Points of the stage left behind are settled by the move.
    _close_points(deal)
    if needed:
        control_point_create(client=deal.client, deal=deal, kind=needed[1], due_date=due_date)
    if new_stage == Stage.CLOSING:
        control_point_create(client=deal.client, deal=deal, kind=ControlPoint.Kind.SURVEY,
                             due_date=date + datetime.timedelta(days=SURVEY_AFTER_EVENT_DAYS))
    _deal_event(deal, kind=DealEvent.Kind.MOVED, user=user, date=date, note=note, from_stage=old_stage, to_stage=new_stage)
    _audit(client=deal.client, deal=deal, user=user, action="deal.moved", changes=changes)
    return deal


def _close_points(deal: Deal, *, refused: bool = False) -> None:
    """Settle the deal's open points; the survey and the next contact lie ahead.

    An agreed deferred payment stays watched (its invoice-expiry point) until it is paid, unless the deal is refused.
    """
    keep = [ControlPoint.Kind.SURVEY, ControlPoint.Kind.NEXT_CONTACT]
    if deal.payment_due_on is not None and not refused:
        keep.append(ControlPoint.Kind.INVOICE_EXPIRY)
    deal.control_points.filter(done_at__isnull=True).exclude(kind__in=keep).update(done_at=timezone.now())


@transaction.atomic
def deal_document_add(*, deal: Deal, kind: str, date: datetime.date, number: str = "", note: str = "",
                      user=None) -> DealDocument:
    """Record a document of a deal; sending the minutes settles the client's open "minutes" points."""
    document = DealDocument(organization_id=deal.organization_id, deal=deal, kind=kind, date=date, number=number,
                            note=note, author=_user_or_none(user))
    _save(document)
    if kind == DealDocument.Kind.MINUTES:
        ControlPoint.objects.filter(client=deal.client, kind=ControlPoint.Kind.MINUTES, done_at__isnull=True).update(
            done_at=timezone.now()
        )
    _audit(client=deal.client, deal=deal, user=user, action="deal.document",
           changes={"kind": kind, "number": number, "date": date.isoformat()})
    return document


@transaction.atomic
def deal_refuse(*, deal: Deal, reason: RefusalReason, user=None, note: str = "") -> Deal:
    _lock(deal)
    _require_open(deal)
    _check_same_org(deal.client.organization, reason=reason)
    deal.status = Deal.Status.REFUSED
    deal.refusal_reason = reason
    deal.refusal_note = note[:300]
    _save(deal)
    _close_points(deal, refused=True)
    _deal_event(deal, kind=DealEvent.Kind.REFUSED, user=user, note=f"{reason.name}. {note}".strip(), from_stage=deal.stage)
    _audit(client=deal.client, deal=deal, user=user, action="deal.refused", changes={"stage": deal.stage, "reason": reason.name})
    return deal


# From the payment stage on the client pays, gets refunds and may be granted a deferral.
PAYING_STAGES = (Stage.PAYMENT, Stage.EVENT, Stage.CLOSING)


@transaction.atomic
def deal_deviation(*, deal: Deal, kind: str, user=None, date: datetime.date | None = None, note: str = "") -> Deal:
    """Record a real-life deviation: retry of a declined presentation, offer clarification, deferred payment.

    A deferred payment is agreed with its due date, which becomes the deal's invoice-expiry control
    point (the invoice's earlier one is replaced); the same agreement sent twice changes nothing.
    """
    _lock(deal)
    _require_open(deal)
    today = timezone.localdate()
    if kind == DealEvent.Kind.RETRY:
        if deal.stage != Stage.PRESENTATION:
            raise ValidationError(_("Only a presentation can be retried."))
        if date is None or date < today:
            raise ValidationError({"date": _("Give the retry date; it cannot be in the past.")})
        control_point_create(client=deal.client, deal=deal, kind=ControlPoint.Kind.RETRY, due_date=date, note=note)
    elif kind == DealEvent.Kind.CLARIFICATION:
        if deal.stage not in (Stage.OFFER, Stage.AGREEMENT):
            raise ValidationError(_("Only an offer or an agreement can be clarified."))
        if date is None:
            raise ValidationError({"date": _("Give the date the amended offer is due.")})
        control_point_create(client=deal.client, deal=deal, kind=ControlPoint.Kind.AMENDMENT, due_date=date, note=note)
    elif kind == DealEvent.Kind.DEFERRAL:
        if deal.stage not in PAYING_STAGES:
            raise ValidationError(_("A deferred payment is agreed from the payment stage on."))
        if date is None or date < today:
            raise ValidationError({"date": _("Give the date the deferred payment is due; it cannot be in the past.")})
        if deal.payment_due_on == date:
            return deal  # the same agreement sent twice (a double submit): it stands once
        if deal_money(deal).paid_in_full:
            raise ValidationError(_("The deal is paid in full: there is nothing to defer."))
        deal.control_points.filter(kind=ControlPoint.Kind.INVOICE_EXPIRY, done_at__isnull=True).update(
            done_at=timezone.now())
        control_point_create(client=deal.client, deal=deal, kind=ControlPoint.Kind.INVOICE_EXPIRY, due_date=date,
                             note=note)
        deal.payment_due_on = date
    else:
        raise ValidationError(_("Unknown kind of deviation."))
    _save(deal)
    _deal_event(deal, kind=kind, user=user, date=date or today, note=note)
    _audit(client=deal.client, deal=deal, user=user, action=f"deal.{kind}",
           changes={k: str(v) for k, v in {"date": date, "note": note}.items() if v})
    return deal


@transaction.atomic
def deal_payment_record(*, deal: Deal, amount: Decimal, date: datetime.date | None = None, refund: bool = False,
                        document: str = "", user=None) -> Settlement:
    """Record money the client paid for a deal, or a refund of it, as a settlement of the deal.

    Payments in parts add up; the deal is paid in full when they reach its amount, which settles
    its invoice-expiry points and any deferral. A refund takes the payment back: a won deal left
    short of its amount without a deferral is open again (a deal is won only when paid).
    """
    _lock(deal)
    if deal.status == Deal.Status.REFUSED:
        raise ValidationError(_("This deal is refused; it takes no payments."))
    if deal.stage not in PAYING_STAGES:
        raise ValidationError(_("Payments are recorded from the payment stage on."))
    date = date or timezone.localdate()
    if date > timezone.localdate():
        raise ValidationError({"date": _("A payment is recorded once received: its date cannot be in the future.")})
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Give the amount; it must be positive.")})
    money = deal_money(deal)
    if refund and amount > money.paid:
        raise ValidationError({"amount": _("A refund cannot exceed what the client has paid (%(paid)s).")
                               % {"paid": _money(money.paid)}})
    if not refund and money.remaining is not None and amount > money.remaining:
        raise ValidationError({"amount": _("Payments would exceed the deal amount: %(remaining)s remain to be paid.")
                               % {"remaining": _money(money.remaining)}})
    settlement = settlement_create(client=deal.client, deal=deal, date=date, amount=amount, product=deal.product,
                                   document=document, refund=refund, user=user)
    _deal_event(deal, kind=DealEvent.Kind.REFUND if refund else DealEvent.Kind.PART_PAYMENT, user=user, date=date,
                amount=amount, note=document, from_stage=deal.stage)
    if deal_money(deal).paid_in_full:
        deal.payment_due_on = None
        deal.control_points.filter(kind=ControlPoint.Kind.INVOICE_EXPIRY, done_at__isnull=True).update(
            done_at=timezone.now())
    elif deal.status == Deal.Status.WON and deal.payment_due_on is None:
        deal.status = Deal.Status.OPEN
        _audit(client=deal.client, deal=deal, user=user, action="deal.reopened", changes={"amount": str(amount)})
    _save(deal)
    return settlement


# Complaints and satisfaction -------------------------------------------------------------

COMPLAINT_FLOW = [s.value for s in Complaint.Status]


@transaction.atomic
def complaint_register(*, organization: Organization, client: Client, subject: str, description: str = "",
                       source: str = "manual", owner=None, author=None, assessment: SatisfactionAssessment | None = None
                       ) -> Complaint:
    if client.organization_id != organization.pk:
        raise ValidationError({"client": _("This client belongs to another organization.")})
    single_line_fields(subject=(subject or "").strip())  # it names the follow-up survey, an e-mail subject
    complaint = Complaint(organization=organization, client=client, subject=(subject or "").strip()[:200],
                          description=description, source=source, owner=owner or client.manager,
                          author=_user_or_none(author), assessment=assessment)
    _save(complaint)
    ComplaintStep.objects.create(organization=organization, complaint=complaint, status=complaint.status,
                                 owner=complaint.owner, note=description[:2000], author=complaint.author)
    return complaint


@transaction.atomic
def complaint_advance(*, complaint: Complaint, user=None, owner=None, cause: str = "", actions: str = "",
                      note: str = "") -> Complaint:
    """Take a complaint to its next status; investigation needs a cause, removal and correction actions."""
    if complaint.status == Complaint.Status.CLOSED:
        raise ValidationError(_("This complaint is already closed."))
    new_status = COMPLAINT_FLOW[COMPLAINT_FLOW.index(complaint.status) + 1]
    if cause:
        complaint.cause = cause
    if actions:
        complaint.actions = (complaint.actions + "\n" + actions).strip()
    if new_status == Complaint.Status.CAUSE_REMOVED and not complaint.cause.strip():
        raise ValidationError({"cause": _("Write down the cause found before saying it is removed.")})
    if new_status in (Complaint.Status.CAUSE_REMOVED, Complaint.Status.PROCESS_CORRECTED) and not actions.strip():
        raise ValidationError({"actions": _("Describe what was done at this step.")})
    if owner is not None:
        complaint.owner = owner
    complaint.status = new_status
    if new_status == Complaint.Status.CLOSED:
        complaint.closed_at = timezone.now()
    _save(complaint)
    ComplaintStep.objects.create(organization_id=complaint.organization_id, complaint=complaint, status=new_status,
                                 owner=complaint.owner, note="\n".join(x for x in (cause, actions, note) if x),
                                 author=_user_or_none(user))
    if new_status == Complaint.Status.CLOSED:
        transaction.on_commit(lambda: complaint_closed.send(sender=Complaint, complaint=complaint))
    return complaint


@transaction.atomic
def assessment_create(*, client: Client, scores: Mapping[str, int], date: datetime.date, product: Product | None = None,
                      comment: str = "", user=None) -> SatisfactionAssessment:
    """Record a satisfaction assessment; any item scored 3 or lower opens a complaint case."""
    _check_same_org(client.organization, product=product)
    if not scores:
        raise ValidationError(_("Score at least one item."))
    for item, score in scores.items():
        if item not in SatisfactionAssessment.ITEMS:
            raise ValidationError(_("Unknown item %(item)s.") % {"item": item})
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationError(_("Scores go from 1 to 5."))
    assessment = SatisfactionAssessment(organization_id=client.organization_id, client=client, product=product,
                                        date=date, scores=dict(scores), comment=comment, author=_user_or_none(user))
    _save(assessment)
    low = {item: score for item, score in scores.items() if score <= 3}
    if low:
        items = ", ".join(f"{SatisfactionAssessment.ITEMS[i]}: {s}" for i, s in low.items())
        complaint_register(
            organization=client.organization, client=client,
            subject=_("Low satisfaction score (%(items)s)") % {"items": items},
            description=comment, source=Complaint.Source.SATISFACTION, author=user, assessment=assessment,
        )
    ControlPoint.objects.filter(client=client, kind=ControlPoint.Kind.SURVEY, done_at__isnull=True,
                                due_date__lte=date + datetime.timedelta(days=30)).update(done_at=timezone.now())
    return assessment


# Catalogues and the ideal-client matrix ---------------------------------------------------


@transaction.atomic
def product_create(*, organization: Organization, name: str) -> Product:
    name = name.strip()
    if Product.objects.filter(organization=organization, name__iexact=name).exists():
        raise ValidationError({"name": _("A product with this name already exists.")})
    product = Product(organization=organization, name=name)
    _save(product)
    return product


@transaction.atomic
def segment_create(*, organization: Organization, name: str, description: str = "") -> Segment:
    name = name.strip()
    if Segment.objects.filter(organization=organization, name__iexact=name).exists():
        raise ValidationError({"name": _("A segment with this name already exists.")})
    segment = Segment(organization=organization, name=name, description=description)
    _save(segment)
    return segment


@transaction.atomic
def refusal_reason_create(*, organization: Organization, name: str) -> RefusalReason:
    name = name.strip()
    if RefusalReason.objects.filter(organization=organization, name__iexact=name).exists():
        raise ValidationError({"name": _("This reason is already in the list.")})
    reason = RefusalReason(organization=organization, name=name)
    _save(reason)
    return reason


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
def offer_set(*, client: Client, product: Product, status: str, status_date: datetime.date | None = None,
              next_step: str = "", next_step_on: datetime.date | None = None, user=None) -> Offer:
    _check_same_org(client.organization, product=product)
    if status in (Offer.Status.OFFERED, Offer.Status.SIGNED) and status_date is None:
        raise ValidationError({"status_date": _("Give the date of the offer or of the contract.")})
    offer, _created = Offer.objects.get_or_create(client=client, product=product,
                                                  defaults={"organization_id": client.organization_id})
    offer.status, offer.status_date, offer.next_step, offer.next_step_on = status, status_date, next_step, next_step_on
    _save(offer)
    if status == Offer.Status.SIGNED:
        client.products.add(product)
    _audit(client=client, user=user, action="offer.set", changes={"product": product.name, "status": status})
    return offer


# KPI export --------------------------------------------------------------------------------



def kpi_export_start(*, organization: Organization, user, start: datetime.date, end: datetime.date) -> Job:
    """Queue the KPI spreadsheet of a period for this user (their visibility, their language)."""
    return job_enqueue(organization=organization, task=tasks.kpi_export_task, user=user,
                       params={"start": start.isoformat(), "end": end.isoformat(), "user_id": user.pk},
                       key=f"{user.pk}:{start}:{end}")

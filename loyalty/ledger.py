"""Writes of the loyalty programme: its tiers, and the bonus-point ledger of every client.

Every change of a balance is one `PointMovement` written while the account row is locked, so
the balance always equals the sum of the movements and never drops below zero.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from clients.models import Client, Settlement
from crm_portal.jobs import ProgressCallback
from crm_portal.models import Organization

from .models import PointAccount, PointMovement, Programme, ProgrammeTool, Tier
from .points import StepsError, TierRule, points_for_amount, points_to_expire, progressive_steps, tier_for
from .services import _save, months_after


@transaction.atomic
def programme_save(
    *,
    organization: Organization,
    name: str,
    key_factor: str,
    points_per_thousand: int,
    validity_months: int,
    tier_window_months: int,
) -> Programme:
    programme = Programme.objects.filter(organization=organization).first() or Programme(organization=organization)
    programme.name = (name or "").strip()
    programme.key_factor = key_factor
    programme.points_per_thousand = points_per_thousand
    programme.validity_months = validity_months
    programme.tier_window_months = tier_window_months
    _save(programme)
    return programme


@transaction.atomic
def tier_save(
    *,
    programme: Programme,
    name: str,
    rank: int,
    min_turnover: Decimal,
    min_tenure_months: int,
    min_class: str,
    discount_percent: Decimal,
    benefits: str = "",
    tier: Tier | None = None,
) -> Tier:
    tier = tier or Tier(organization_id=programme.organization_id, programme=programme)
    tier.name = (name or "").strip()
    tier.rank = rank
    tier.min_turnover = min_turnover
    tier.min_tenure_months = min_tenure_months
    tier.min_class = min_class or ""
    tier.discount_percent = discount_percent
    tier.benefits = benefits
    tier.full_clean(validate_constraints=False)
    clash = Tier.objects.filter(programme=programme).exclude(pk=tier.pk)
    if clash.filter(rank=rank).exists():
        raise ValidationError({"rank": _("Another tier already has this rank.")})
    if clash.filter(name__iexact=tier.name).exists():
        raise ValidationError({"name": _("Another tier already has this name.")})
    tier.save()
    return tier


@transaction.atomic
def tier_delete(*, tier: Tier) -> None:
    needed_by = list(ProgrammeTool.objects.filter(min_tier=tier).values_list("name", flat=True))
    if needed_by:
        raise ValidationError(
            _("These tools of the programme need this tier; change them first: %(tools)s.")
            % {"tools": ", ".join(needed_by)}
        )
    PointAccount.objects.filter(tier=tier).update(tier=None)
    tier.delete()


STEPS_PROBLEMS = {
    "format": gettext_lazy("“%(part)s”: write the amount, a colon and the percent, e.g. 10000: 3."),
    "number": gettext_lazy("“%(part)s”: the amount and the percent must be numbers."),
    "range": gettext_lazy("“%(part)s”: the amount cannot be negative and the percent lies from 0 to 100."),
    "order": gettext_lazy(
        "“%(part)s”: each step starts at a larger amount than the one before, with at least its percent."
    ),
    "empty": gettext_lazy("Give at least one step, e.g. 10000: 3; 50000: 5."),
}


@transaction.atomic
def programme_tool_save(
    *,
    programme: Programme,
    kind: str,
    name: str,
    rules: str,
    discount_percent: Decimal | None = None,
    steps: str = "",
    min_class: str = "",
    min_tier: Tier | None = None,
) -> ProgrammeTool:
    """Add a tool to the programme: a progressive discount needs its steps, a discount card its
    percent; the name is unique in the programme (a second click finds it taken)."""
    tool = ProgrammeTool(
        organization_id=programme.organization_id,
        programme=programme,
        kind=kind,
        name=(name or "").strip(),
        rules=(rules or "").strip(),
        discount_percent=discount_percent,
        min_class=min_class or "",
        min_tier=min_tier,
    )
    if min_tier is not None and min_tier.programme_id != programme.pk:
        raise ValidationError({"min_tier": _("This tier is not one of the programme's.")})
    if kind == ProgrammeTool.Kind.PROGRESSIVE:
        try:
            tool.steps = [[str(start), str(percent)] for start, percent in progressive_steps(steps)]
        except StepsError as error:
            raise ValidationError({"steps": STEPS_PROBLEMS[error.code] % {"part": error.part}}) from None
    elif kind in (ProgrammeTool.Kind.PERSONAL_CARD, ProgrammeTool.Kind.BEARER_CARD) and discount_percent is None:
        raise ValidationError({"discount_percent": _("A discount card needs its discount.")})
    tool.full_clean(validate_constraints=False)
    if ProgrammeTool.objects.filter(programme=programme, name__iexact=tool.name).exists():
        raise ValidationError({"name": _("The programme already has a tool with this name.")})
    tool.save()
    return tool


def _locked_account(client: Client) -> PointAccount:
    PointAccount.objects.get_or_create(organization_id=client.organization_id, client=client)
    return PointAccount.objects.select_for_update().get(client=client)


def _move(
    account: PointAccount,
    *,
    kind: str,
    points: int,
    on: datetime.date,
    note: str = "",
    settlement: Settlement | None = None,
    user=None,
) -> PointMovement:
    """Append one movement to a locked account and update its balance; refuse a negative balance."""
    balance = account.balance + points
    if balance < 0:
        raise ValidationError(
            ngettext(
                "Only %(balance)s point is available; %(points)s cannot be taken.",
                "Only %(balance)s points are available; %(points)s cannot be taken.",
                account.balance,
            )
            % {"balance": localize(account.balance), "points": localize(-points)}
        )
    movement = PointMovement(
        organization_id=account.organization_id,
        account=account,
        kind=kind,
        points=points,
        balance_after=balance,
        occurred_on=on,
        note=note[:300],
        settlement=settlement,
        created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )
    movement.full_clean(validate_constraints=False)
    movement.save()
    account.balance = balance
    account.save(update_fields=["balance", "updated_at"])
    return movement


@transaction.atomic
def points_redeem(
    *, client: Client, points: int, user=None, note: str = "", on: datetime.date | None = None
) -> PointMovement:
    """Exchange a client's points for a reward."""
    if not isinstance(points, int) or points <= 0:
        raise ValidationError({"points": _("Redeem a whole, positive number of points.")})
    account = _locked_account(client)
    return _move(
        account, kind=PointMovement.Kind.REDEEMED, points=-points, on=on or timezone.localdate(), note=note, user=user
    )


def _locked_accounts(organization_id: int, client_ids) -> dict[int, PointAccount]:
    """The clients' accounts (created where missing), locked in id order; by client id."""
    PointAccount.objects.bulk_create(
        [PointAccount(organization_id=organization_id, client_id=pk) for pk in client_ids], ignore_conflicts=True
    )
    rows = PointAccount.objects.select_for_update().filter(organization_id=organization_id, client_id__in=client_ids)
    return {account.client_id: account for account in rows.order_by("pk")}


def _write(movements: list[PointMovement], accounts) -> None:
    PointMovement.objects.bulk_create(movements, batch_size=2000)
    now = timezone.now()
    for account in accounts:
        account.updated_at = now
    PointAccount.objects.bulk_update(list(accounts), ["balance", "updated_at"], batch_size=2000)


@transaction.atomic
def points_credit(*, organization: Organization, programme: Programme, settlements: list[Settlement]) -> int:
    """Credit the points settlements earn under the programme's rule; return how many movements.

    A settlement earns once: those already credited are skipped. The accounts are locked and the
    movements written together, oldest first per client, each with its running balance.
    """
    own = [s for s in settlements if s.organization_id == organization.pk and s.amount > 0]
    done = set(
        PointMovement.objects.filter(organization=organization, settlement_id__in=[s.pk for s in own]).values_list(
            "settlement_id", flat=True
        )
    )
    pending = sorted((s for s in own if s.pk not in done), key=lambda s: (s.client_id, s.date, s.pk))
    accounts = _locked_accounts(organization.pk, {s.client_id for s in pending})
    movements, touched = [], {}
    for settlement in pending:
        points = points_for_amount(settlement.amount, programme.points_per_thousand)
        if points <= 0:
            continue
        account = touched.setdefault(settlement.client_id, accounts[settlement.client_id])
        account.balance += points
        movements.append(
            PointMovement(
                organization=organization,
                account=account,
                kind=PointMovement.Kind.EARNED,
                points=points,
                balance_after=account.balance,
                occurred_on=settlement.date,
                settlement=settlement,
                note=_("Payment of %(amount)s") % {"amount": settlement.amount},
            )
        )
    _write(movements, touched.values())
    return len(movements)


def points_earn(*, client: Client, settlements: list[Settlement], programme: Programme) -> int:
    """Credit one client's settlements (see `points_credit`)."""
    return points_credit(
        organization=client.organization,
        programme=programme,
        settlements=[s for s in settlements if s.client_id == client.pk],
    )


@transaction.atomic
def points_expire_all(
    *,
    organization: Organization,
    programme: Programme,
    today: datetime.date,
    accounts: list[PointAccount] | None = None,
) -> list[PointMovement]:
    """Let lapse the points older than the validity period that were not used, oldest first.

    Points earned before the cutoff lapse unless redemptions or earlier expiries already used
    them. Every account of the organization, or only `accounts`; returns the movements written.
    """
    cutoff = months_after(today, -programme.validity_months)
    rows = PointAccount.objects.select_for_update().filter(organization=organization, balance__gt=0)
    if accounts is not None:
        rows = rows.filter(pk__in=[a.pk for a in accounts])
    locked = {a.pk: a for a in rows.order_by("pk")}
    moves = PointMovement.objects.filter(organization=organization, account_id__in=list(locked))
    earned_old = dict(
        moves.filter(kind=PointMovement.Kind.EARNED, occurred_on__lt=cutoff)
        .values("account_id")
        .annotate(s=Sum("points"))
        .values_list("account_id", "s")
    )
    used = dict(
        moves.exclude(kind=PointMovement.Kind.EARNED)
        .values("account_id")
        .annotate(s=Sum("points"))
        .values_list("account_id", "s")
    )
    movements, touched = [], []
    note = _("Earned before %(date)s and not used") % {"date": cutoff.isoformat()}
    for pk, account in locked.items():
        lapse = min(
            points_to_expire(earned_before_cutoff=earned_old.get(pk, 0), already_used=-used.get(pk, 0)), account.balance
        )
        if lapse <= 0:
            continue
        account.balance -= lapse
        touched.append(account)
        movements.append(
            PointMovement(
                organization=organization,
                account=account,
                kind=PointMovement.Kind.EXPIRED,
                points=-lapse,
                balance_after=account.balance,
                occurred_on=today,
                note=note,
            )
        )
    _write(movements, touched)
    return movements


def points_expire(*, account: PointAccount, programme: Programme, today: datetime.date) -> PointMovement | None:
    """Let one account's old points lapse (see `points_expire_all`)."""
    movements = points_expire_all(
        organization=account.organization, programme=programme, today=today, accounts=[account]
    )
    return movements[0] if movements else None


def _months_between(first: datetime.date, last: datetime.date) -> int:
    return max(0, (last.year - first.year) * 12 + last.month - first.month - (1 if last.day < first.day else 0))


@transaction.atomic
def tiers_assign(*, organization: Organization, programme: Programme, today: datetime.date) -> int:
    """Give every client the highest tier whose rules it meets; return how many changed."""
    rules = [TierRule(t.pk, t.rank, t.min_turnover, t.min_tenure_months, t.min_class) for t in programme.tiers.all()]
    since = months_after(today, -programme.tier_window_months)
    settlements = Settlement.objects.filter(organization=organization, date__lte=today)
    turnover = dict(
        settlements.filter(date__gt=since).values("client_id").annotate(s=Sum("amount")).values_list("client_id", "s")
    )
    first = dict(settlements.values("client_id").annotate(f=Min("date")).values_list("client_id", "f"))
    accounts = _locked_accounts(organization.pk, list(first))
    classes = dict(Client.objects.filter(organization=organization, pk__in=list(first)).values_list("pk", "abc_class"))
    changed = []
    for client_id, account in accounts.items():
        tier_id = tier_for(
            turnover=turnover.get(client_id, Decimal(0)),
            tenure_months=_months_between(first[client_id], today),
            abc_class=classes.get(client_id, ""),
            rules=rules,
        )
        if account.tier_id != tier_id:
            account.tier_id = tier_id
            changed.append(account)
    PointAccount.objects.bulk_update(changed, ["tier"], batch_size=2000)
    return len(changed)


def points_refresh(
    *, organization: Organization, today: datetime.date | None = None, progress: ProgressCallback | None = None
) -> dict:
    """Credit points for new settlements, let old points lapse, and re-assign tiers."""
    progress = progress or (lambda percent, message="": None)
    today = today or timezone.localdate()
    programme = Programme.objects.filter(organization=organization).first()
    if programme is None:
        raise ValidationError(gettext_lazy("Set up the loyalty programme first."))
    progress(5, gettext_noop("Crediting points for payments"))
    credited = points_credit(
        organization=organization,
        programme=programme,
        settlements=list(
            Settlement.objects.filter(organization=organization, date__lte=today, amount__gt=0).exclude(
                pk__in=PointMovement.objects.filter(organization=organization, settlement__isnull=False).values(
                    "settlement_id"
                )
            )
        ),
    )
    progress(60, gettext_noop("Letting old points lapse"))
    expired = points_expire_all(organization=organization, programme=programme, today=today)
    progress(80, gettext_noop("Assigning tiers"))
    changed = tiers_assign(organization=organization, programme=programme, today=today)
    return {"credited_settlements": credited, "expired_accounts": len(expired), "tier_changes": changed}

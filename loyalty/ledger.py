"""Writes of the loyalty programme: its tiers, and the bonus-point ledger of every client.

Every change of a balance is one `PointMovement` written while the account row is locked, so
the balance always equals the sum of the movements and never drops below zero.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client, Settlement
from crm_portal.jobs import ProgressCallback
from crm_portal.models import Job, Organization

from .models import PointAccount, PointMovement, Programme, Tier
from .points import TierRule, points_for_amount, points_to_expire, tier_for
from .services import _save, months_after


@transaction.atomic
def programme_save(*, organization: Organization, name: str, key_factor: str, points_per_thousand: int,
                   validity_months: int, tier_window_months: int) -> Programme:
    programme = Programme.objects.filter(organization=organization).first() or Programme(organization=organization)
    programme.name = (name or "").strip()
    programme.key_factor = key_factor
    programme.points_per_thousand = points_per_thousand
    programme.validity_months = validity_months
    programme.tier_window_months = tier_window_months
    _save(programme)
    return programme


@transaction.atomic
def tier_save(*, programme: Programme, name: str, rank: int, min_turnover: Decimal, min_tenure_months: int,
              min_class: str, discount_percent: Decimal, benefits: str = "", tier: Tier | None = None) -> Tier:
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
    PointAccount.objects.filter(tier=tier).update(tier=None)
    tier.delete()


def _locked_account(client: Client) -> PointAccount:
    PointAccount.objects.get_or_create(organization_id=client.organization_id, client=client)
    return PointAccount.objects.select_for_update().get(client=client)


def _move(account: PointAccount, *, kind: str, points: int, on: datetime.date, note: str = "",
          settlement: Settlement | None = None, user=None) -> PointMovement:
    """Append one movement to a locked account and update its balance; refuse a negative balance."""
    balance = account.balance + points
    if balance < 0:
        raise ValidationError(
            _("Only %(balance)s points are available; %(points)s cannot be taken.")
            % {"balance": account.balance, "points": -points}
        )
    movement = PointMovement(
        organization_id=account.organization_id, account=account, kind=kind, points=points,
        balance_after=balance, occurred_on=on, note=note[:300], settlement=settlement,
        created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )
    movement.full_clean(validate_constraints=False)
    movement.save()
    account.balance = balance
    account.save(update_fields=["balance", "updated_at"])
    return movement


@transaction.atomic
def points_redeem(*, client: Client, points: int, user=None, note: str = "",
                  on: datetime.date | None = None) -> PointMovement:
    """Exchange a client's points for a reward."""
    if not isinstance(points, int) or points <= 0:
        raise ValidationError({"points": _("Redeem a whole, positive number of points.")})
    account = _locked_account(client)
    return _move(account, kind=PointMovement.Kind.REDEEMED, points=-points, on=on or timezone.localdate(),
                 note=note, user=user)


@transaction.atomic
def points_earn(*, client: Client, settlements: list[Settlement], programme: Programme) -> int:
    """Credit the points the client's settlements earn under the programme's rule; return how many movements.

    Settlements already credited are skipped (a settlement earns once); the account is locked once
    and the movements are written together, oldest first, each with its running balance.
    """
    account = _locked_account(client)
    done = set(PointMovement.objects.filter(settlement__in=settlements).values_list("settlement_id", flat=True))
    movements = []
    balance = account.balance
    for settlement in sorted(settlements, key=lambda s: (s.date, s.pk)):
        points = points_for_amount(settlement.amount, programme.points_per_thousand)
        if settlement.client_id != client.pk or settlement.pk in done or points <= 0:
            continue
        balance += points
        movements.append(PointMovement(
            organization_id=account.organization_id, account=account, kind=PointMovement.Kind.EARNED,
            points=points, balance_after=balance, occurred_on=settlement.date, settlement=settlement,
            note=_("Payment of %(amount)s") % {"amount": settlement.amount},
        ))
    PointMovement.objects.bulk_create(movements)
    account.balance = balance
    account.save(update_fields=["balance", "updated_at"])
    return len(movements)


@transaction.atomic
def points_expire(*, account: PointAccount, programme: Programme, today: datetime.date) -> PointMovement | None:
    """Let lapse the points older than the validity period that were not used (oldest first)."""
    account = PointAccount.objects.select_for_update().get(pk=account.pk)
    cutoff = months_after(today, -programme.validity_months)
    movements = PointMovement.objects.filter(account=account)
    earned_old = movements.filter(kind=PointMovement.Kind.EARNED, occurred_on__lt=cutoff).aggregate(
        s=Sum("points"))["s"] or 0
    used = -(movements.exclude(kind=PointMovement.Kind.EARNED).aggregate(s=Sum("points"))["s"] or 0)
    lapse = min(points_to_expire(earned_before_cutoff=earned_old, already_used=used), account.balance)
    if lapse <= 0:
        return None
    return _move(account, kind=PointMovement.Kind.EXPIRED, points=-lapse, on=today,
                 note=_("Earned before %(date)s and not used") % {"date": cutoff.isoformat()})


def _months_between(first: datetime.date, last: datetime.date) -> int:
    return max(0, (last.year - first.year) * 12 + last.month - first.month - (1 if last.day < first.day else 0))


def tiers_assign(*, organization: Organization, programme: Programme, today: datetime.date) -> int:
    """Give every client the highest tier whose rules it meets; return how many changed."""
    rules = [TierRule(t.pk, t.rank, t.min_turnover, t.min_tenure_months, t.min_class)
             for t in programme.tiers.all()]
    since = months_after(today, -programme.tier_window_months)
    settlements = Settlement.objects.filter(organization=organization, date__lte=today)
    turnover = dict(settlements.filter(date__gt=since).values("client_id").annotate(s=Sum("amount"))
                    .values_list("client_id", "s"))
    first = dict(settlements.values("client_id").annotate(f=Min("date")).values_list("client_id", "f"))
    changed = 0
    for client in Client.objects.filter(organization=organization, pk__in=first.keys()).only("pk", "abc_class"):
        tier_id = tier_for(turnover=turnover.get(client.pk, Decimal(0)),
                           tenure_months=_months_between(first[client.pk], today),
                           abc_class=client.abc_class, rules=rules)
        account, _created = PointAccount.objects.get_or_create(organization=organization, client=client)
        if account.tier_id != tier_id:
            PointAccount.objects.filter(pk=account.pk).update(tier_id=tier_id)
            changed += 1
    return changed


def points_refresh(*, organization: Organization, today: datetime.date | None = None,
                   progress: ProgressCallback | None = None) -> dict:
    """Credit points for new settlements, let old points lapse, and re-assign tiers."""
    progress = progress or (lambda percent, message="": None)
    today = today or timezone.localdate()
    programme = Programme.objects.filter(organization=organization).first()
    if programme is None:
        raise ValidationError(_("Set up the loyalty programme first."))
    pending = list(
        Settlement.objects.filter(organization=organization, date__lte=today, amount__gt=0)
        .exclude(pk__in=PointMovement.objects.filter(organization=organization, settlement__isnull=False)
                 .values("settlement_id"))
        .select_related("client").order_by("date", "id")
    )
    by_client = defaultdict(list)
    for settlement in pending:
        by_client[settlement.client_id].append(settlement)
    earned = 0
    for index, settlements in enumerate(by_client.values(), start=1):
        earned += points_earn(client=settlements[0].client, settlements=settlements, programme=programme)
        if index % 50 == 0:
            progress(int(60 * index / len(by_client)), _("Points credited for %(n)s clients") % {"n": index})
    progress(60, _("Letting old points lapse"))
    expired = 0
    for account in PointAccount.objects.filter(organization=organization):
        if points_expire(account=account, programme=programme, today=today):
            expired += 1
    progress(80, _("Assigning tiers"))
    changed = tiers_assign(organization=organization, programme=programme, today=today)
    return {"credited_settlements": earned, "expired_accounts": expired, "tier_changes": changed}


def points_refresh_job(job: Job, progress: ProgressCallback) -> dict:
    from django.urls import reverse

    result = points_refresh(organization=job.organization, progress=progress)
    return {**result, "url": reverse("loyalty:programme")}

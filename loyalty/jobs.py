"""Bodies of loyalty's jobs: `work(job, progress) -> result`, run by `crm_portal.jobs.run_job`.

Each is safe to run again after its worker was lost: metrics are replaced per period kind,
points are credited once per settlement, and a link or reminder is marked once it is sent.
"""

import logging

from django.urls import reverse
from django.utils.translation import gettext_noop

from crm_portal.jobs import TRANSIENT_ERRORS, JobMessage, ProgressCallback
from crm_portal.models import Job, Organization

from . import services
from .ledger import points_refresh
from .mailing import REMINDER, SENT, invitations_mail, reminders_due
from .metric_runs import metrics_compute
from .models import Campaign, MetricValue

logger = logging.getLogger(__name__)


def metrics_job(job: Job, progress: ProgressCallback) -> dict:
    period_kind = job.params.get("period_kind", MetricValue.PeriodKind.MONTH)
    result = metrics_compute(organization=job.organization, period_kind=period_kind, progress=progress)
    return {**result, "url": reverse("loyalty:overview") + f"?period={period_kind}"}


def points_refresh_job(job: Job, progress: ProgressCallback) -> dict:
    result = points_refresh(organization=job.organization, progress=progress)
    return {**result, "url": reverse("loyalty:programme")}


def send_links_job(job: Job, progress: ProgressCallback) -> dict:
    campaign = Campaign.objects.get(organization=job.organization, pk=job.params["campaign_id"])
    result = invitations_mail(campaign=campaign, kind=SENT, progress=progress)
    return {**result, "url": reverse("loyalty:campaign_detail", kwargs={"campaign_id": campaign.pk})}


def reminders_job(job: Job, progress: ProgressCallback) -> dict:
    """The daily reminders of one organization: every open campaign, one after the other.

    A campaign whose sending breaks is logged and listed in the result ("failed_campaigns",
    their ids); its unsent links stay due for the next round, and the campaigns after it are
    still sent.
    """
    totals = {"sent": 0, "no_email": 0, "failed": 0}
    failed_campaigns = []
    campaigns = list(
        Campaign.objects.filter(
            organization=job.organization, closed_at__isnull=True, reminder_after_days__gt=0
        ).order_by("id")
    )
    for index, campaign in enumerate(campaigns, start=1):
        try:
            counts = invitations_mail(campaign=campaign, kind=REMINDER)
        except TRANSIENT_ERRORS:
            raise  # the database is gone for every campaign: the job is retried as a whole
        except Exception:
            logger.exception("reminders of campaign %s (organization %s) failed", campaign.pk, campaign.organization_id)
            failed_campaigns.append(campaign.pk)
        else:
            for key, value in counts.items():
                totals[key] += value
        progress(
            int(100 * index / len(campaigns)),
            JobMessage(gettext_noop("Reminders of “%(name)s” done"), name=campaign.name),
        )
    if failed_campaigns:
        totals["failed_campaigns"] = failed_campaigns
    return totals


def daily_round() -> dict:
    """Repeat due recurring campaigns, start the satisfaction rounds, mark reminders and queue the
    reminder e-mails, in every organization (run daily); an organization with reminders to send
    gets one job for them."""
    totals = {"repeated": 0, "first_sale_surveys": 0, "yearly_surveyed": 0, "reminded": 0, "reminder_jobs": 0}
    for organization in Organization.objects.all():
        for key, value in services.loyalty_daily(organization=organization).items():
            totals[key] += value
        if reminders_due(organization):
            services.reminders_start(organization=organization)
            totals["reminder_jobs"] += 1
    return totals

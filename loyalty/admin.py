from django.contrib import admin

from crm_portal.admin_scoping import TenantAdmin

from .models import (
    Campaign,
    DialogueGrade,
    Interview,
    Invitation,
    MetricValue,
    PointAccount,
    PointMovement,
    ProductSurvey,
    Programme,
    ProgrammeTool,
    Response,
    Scorecard,
    ScorecardCriterion,
    Tier,
)


@admin.register(Campaign)
class CampaignAdmin(TenantAdmin):
    list_display = ["name", "kind", "started_on", "closed_at"]
    list_filter = ["kind"]


@admin.register(Invitation)
class InvitationAdmin(TenantAdmin):
    list_display = ["respondent", "campaign", "expires_at", "sent_at", "reminder_sent_at", "answered_at"]
    readonly_fields = ["token"]


@admin.register(Response)
class ResponseAdmin(TenantAdmin):
    list_display = ["campaign", "metric", "score", "answered_on"]
    list_filter = ["metric"]


@admin.register(MetricValue)
class MetricValueAdmin(TenantAdmin):
    list_display = ["metric", "period_kind", "period_start", "dimension", "label", "value", "count"]
    list_filter = ["metric", "period_kind", "dimension"]


@admin.register(PointMovement)
class PointMovementAdmin(TenantAdmin):
    list_display = ["account", "kind", "points", "balance_after", "occurred_on"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the ledger is append-only: corrections are new movements

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PointAccount)
class PointAccountAdmin(TenantAdmin):
    list_display = ["client", "balance", "tier"]
    readonly_fields = ["balance"]


for model in (Scorecard, ScorecardCriterion, DialogueGrade, Programme, Tier, ProductSurvey, ProgrammeTool):
    admin.site.register(model, TenantAdmin)


@admin.register(Interview)
class InterviewAdmin(TenantAdmin):
    list_display = ["client", "kind", "held_on", "author", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["client", "author"]

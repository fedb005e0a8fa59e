from django.contrib import admin

from crm_portal.admin_scoping import TenantAdmin
from crm_portal.models import Organization

from . import models, services


@admin.register(models.Client)
class ClientAdmin(TenantAdmin):
    list_display = ["name", "kind", "manager", "segment", "abc_class", "xyz_class", "lifecycle_state", "created_at"]
    list_filter = ["kind", "lifecycle_state", "abc_class", "xyz_class"]
    search_fields = ["name", "external_id", "tax_number"]
    raw_id_fields = ["manager"]


@admin.register(models.Settlement)
class SettlementAdmin(TenantAdmin):
    """Corrections and deletions here rewrite the clients' lifecycle histories, as every write of settlements does."""

    list_display = ["client", "date", "amount", "product", "document", "deal"]
    raw_id_fields = ["client", "deal"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        moved_from = form.initial.get("client") if change else None
        _rebuild(obj.organization, {obj.client_id, moved_from} - {None})

    def delete_model(self, request, obj):
        services.settlement_delete(settlement=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        touched = list(queryset.values_list("organization_id", "client_id").distinct())
        super().delete_queryset(request, queryset)
        for organization in Organization.objects.filter(pk__in={org for org, _c in touched}):
            _rebuild(organization, {client for org, client in touched if org == organization.pk})


def _rebuild(organization: Organization, client_ids: set[int]) -> None:
    services.client_histories_rebuild(organization=organization, client_ids=sorted(client_ids))


class DerivedAdmin(TenantAdmin):
    """Rows derived from the settlements (services.client_histories_rebuild): read here, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.StateChange)
class StateChangeAdmin(DerivedAdmin):
    list_display = ["client", "as_of", "previous_state", "state", "until"]


@admin.register(models.ClientMonth)
class ClientMonthAdmin(DerivedAdmin):
    list_display = ["client", "month", "turnover", "settlements", "state_end", "lost_on", "restored_on"]


@admin.register(models.KpiCube)
class KpiCubeAdmin(DerivedAdmin):
    list_display = ["kind", "month", "manager_key", "channel", "since", "n", "turnover"]
    list_filter = ["kind"]


@admin.register(models.RevenuePlan)
class RevenuePlanAdmin(TenantAdmin):
    list_display = ["manager", "month", "amount", "updated_at"]


@admin.register(models.DigestSubscription)
class DigestSubscriptionAdmin(TenantAdmin):
    list_display = ["user", "language", "week_sent", "created_at"]


@admin.register(models.FactsWrite)
class FactsWriteAdmin(DerivedAdmin):
    list_display = ["id", "organization"]


@admin.register(models.Deal)
class DealAdmin(TenantAdmin):
    list_display = ["title", "client", "stage", "status", "amount", "updated_at"]
    list_filter = ["stage", "status"]
    raw_id_fields = ["client"]


@admin.register(models.Complaint)
class ComplaintAdmin(TenantAdmin):
    list_display = ["subject", "client", "status", "source", "owner", "created_at"]
    list_filter = ["status", "source"]
    raw_id_fields = ["client"]


for model in (
    models.Segment,
    models.Product,
    models.RefusalReason,
    models.ComplaintKind,
    models.MarketingSpend,
    models.ContactPerson,
    models.ClassChange,
    models.DealDocument,
    models.Contact,
    models.DealEvent,
    models.ControlPoint,
    models.SatisfactionAssessment,
    models.ComplaintStep,
    models.Offer,
    models.AuditEntry,
):
    admin.site.register(model, type(f"{model.__name__}Admin", (TenantAdmin,), {}))

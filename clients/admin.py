from django.contrib import admin

from crm_portal.admin_scoping import TenantAdmin

from . import models


@admin.register(models.Client)
class ClientAdmin(TenantAdmin):
    list_display = ["name", "kind", "manager", "segment", "abc_class", "xyz_class", "lifecycle_state", "created_at"]
    list_filter = ["kind", "lifecycle_state", "abc_class", "xyz_class"]
    search_fields = ["name", "external_id", "tax_number"]
    raw_id_fields = ["manager"]


@admin.register(models.Settlement)
class SettlementAdmin(TenantAdmin):
    list_display = ["client", "date", "amount", "product", "document", "deal"]
    raw_id_fields = ["client", "deal"]
    date_hierarchy = "date"


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
    models.ContactPerson,
    models.ClassChange,
    models.DealDocument,
    models.StateChange,
    models.Contact,
    models.DealEvent,
    models.ControlPoint,
    models.SatisfactionAssessment,
    models.ComplaintStep,
    models.Offer,
    models.AuditEntry,
):
    admin.site.register(model, type(f"{model.__name__}Admin", (TenantAdmin,), {}))

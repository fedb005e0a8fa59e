from django.contrib import admin

from crm_portal.admin_scoping import TenantAdmin

from .models import ClientClass, Dataset, Run, SegmentationSettings


@admin.register(Dataset)
class DatasetAdmin(TenantAdmin):
    list_display = ["name", "status", "row_count", "problem_count", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["token", "job"]


@admin.register(Run)
class RunAdmin(TenantAdmin):
    list_display = ["id", "source", "dataset", "as_of", "client_count", "created_at"]
    list_filter = ["source"]
    raw_id_fields = ["dataset", "job"]


@admin.register(ClientClass)
class ClientClassAdmin(TenantAdmin):
    list_display = ["run", "rank", "client_key", "abc", "xyz", "total", "cv"]
    list_filter = ["abc", "xyz"]
    raw_id_fields = ["run", "client"]


@admin.register(SegmentationSettings)
class SegmentationSettingsAdmin(TenantAdmin):
    list_display = ["organization", "a", "b", "x", "y", "min_history", "period"]

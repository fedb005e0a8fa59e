from django.contrib import admin

from crm_portal.admin_scoping import TenantAdmin

from .models import (
    Action,
    AidaAction,
    AidaMap,
    AidaPersona,
    Answer,
    Assessment,
    Instrument,
    InstrumentVersion,
    JourneyMap,
    Touchpoint,
)


class VersionInline(admin.TabularInline):
    model = InstrumentVersion
    fields = ["number", "content_hash", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["code", "position", "__str__"]
    inlines = [VersionInline]


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(admin.ModelAdmin):
    """Versions are content loaded from files: readable here, never edited."""

    list_display = ["instrument", "number", "content_hash", "created_at"]
    list_filter = ["instrument"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Assessment)
class AssessmentAdmin(TenantAdmin):
    list_display = ["__str__", "author", "status", "started_at", "completed_at"]
    list_filter = ["status"]


for model in (Answer, Action, JourneyMap, Touchpoint, AidaMap, AidaPersona, AidaAction):
    admin.site.register(model, TenantAdmin)

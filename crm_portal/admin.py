from django.contrib import admin

from .admin_scoping import TenantAdmin
from .models import Holiday, Job, Membership, MembershipInvitation, Notification, NotificationEmail, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "lifecycle_period_months", "contact_gap_days", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return rows if request.user.is_superuser else rows.filter(pk=getattr(request.organization, "pk", None))


@admin.register(Holiday)
class HolidayAdmin(TenantAdmin):
    list_display = ["name", "day", "month", "organization"]
    list_filter = ["month"]


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(MembershipInvitation)
class MembershipInvitationAdmin(TenantAdmin):
    list_display = ["invitee", "organization", "role", "status", "expires_at", "answered_at"]
    list_filter = ["status", "role"]
    search_fields = ["invitee"]
    readonly_fields = ["invited_by", "answered_by", "created_at", "answered_at"]


@admin.register(Job)
class JobAdmin(TenantAdmin):
    list_display = ["id", "kind", "status", "progress", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    readonly_fields = ["created_at", "started_at", "finished_at"]


@admin.register(Notification)
class NotificationAdmin(TenantAdmin):
    list_display = ["user", "kind", "text", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "text"]
    raw_id_fields = ["user", "actor"]
    readonly_fields = ["created_at"]


@admin.register(NotificationEmail)
class NotificationEmailAdmin(TenantAdmin):
    list_display = ["user", "organization", "language", "created_at"]
    raw_id_fields = ["user"]

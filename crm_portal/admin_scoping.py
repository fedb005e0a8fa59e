"""Django admin scoped to the current organization for everyone but superusers."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import TenantModel


class TenantAdmin(admin.ModelAdmin):
    """A ModelAdmin for a tenant model: staff see and write only their organization's rows."""

    def _scoped(self, request: HttpRequest) -> bool:
        return not request.user.is_superuser

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)
        if self._scoped(request):
            return rows.filter(organization=request.organization) if request.organization else rows.none()
        return rows

    def get_exclude(self, request: HttpRequest, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        if self._scoped(request):
            excluded.append("organization")
        return excluded

    def get_list_filter(self, request: HttpRequest):
        filters = list(super().get_list_filter(request))
        return filters if self._scoped(request) else ["organization", *filters]

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        related = db_field.related_model
        if self._scoped(request) and issubclass(related, TenantModel):
            kwargs["queryset"] = related._default_manager.filter(organization=request.organization)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        related = db_field.related_model
        if self._scoped(request) and issubclass(related, TenantModel):
            kwargs["queryset"] = related._default_manager.filter(organization=request.organization)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if self._scoped(request) and not change:
            obj.organization = request.organization
        super().save_model(request, obj, form, change)

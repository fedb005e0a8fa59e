"""URLs. Object ids are named `<model>_id` so the tenancy test can find every object URL."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

org_patterns = (
    [
        path("", views.organization_settings, name="settings"),
        path("switch/", views.organization_switch, name="switch"),
        path("members/add/", views.member_add, name="member_add"),
        path("holidays/add/", views.holiday_add, name="holiday_add"),
        path("holidays/<int:holiday_id>/delete/", views.holiday_delete, name="holiday_delete"),
        path("members/<int:membership_id>/role/", views.member_role, name="member_role"),
        path("members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
        path(
            "invitations/<int:membership_invitation_id>/revoke/",
            views.invitation_revoke,
            name="invitation_revoke",
        ),
    ],
    "org",
)

job_patterns = (
    [
        path("", views.job_list, name="list"),
        path("demo/", views.demo_job_start, name="demo_start"),
        path("<int:job_id>/", views.job_detail, name="detail"),
        path("<int:job_id>/progress/", views.job_progress, name="progress"),
    ],
    "jobs",
)

notification_patterns = (
    [
        path("", views.notification_list, name="list"),
        path("read/", views.notifications_read_all, name="read_all"),
        path("email/", views.notification_email, name="email"),
        path("<int:notification_id>/", views.notification_open, name="open"),
    ],
    "notifications",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("no-organization/", views.no_organization, name="no_organization"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("invitations/answer/", views.invitation_respond, name="invitation_respond"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("organization/", include(org_patterns)),
    path("jobs/", include(job_patterns)),
    path("notifications/", include(notification_patterns)),
    path("clients/", include("clients.urls")),
    path("segmentation/", include("segmentation.urls")),
    path("loyalty/", include("loyalty.urls")),
    path("diagnostics/", include("diagnostics.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "crm_portal.errors.not_found"
handler403 = "crm_portal.errors.forbidden"
handler500 = "crm_portal.errors.server_error"

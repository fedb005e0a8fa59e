from django.urls import path

from . import views

app_name = "segmentation"
urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("settings/", views.settings_page, name="settings"),
    path("base-run/", views.base_run, name="base_run"),
    path("datasets/<int:dataset_id>/", views.dataset, name="dataset"),
    path("datasets/<int:dataset_id>/rejected.xlsx", views.dataset_rejected, name="dataset_rejected"),
    path("datasets/<int:dataset_id>/analyse/", views.dataset_analyse, name="dataset_analyse"),
    path("datasets/<int:dataset_id>/import/", views.dataset_import, name="dataset_import"),
    path("jobs/<int:job_id>/", views.job, name="job"),
    path("runs/<int:run_id>/", views.run, name="run"),
    path("runs/<int:run_id>/export.xlsx", views.run_export, name="run_export"),
]

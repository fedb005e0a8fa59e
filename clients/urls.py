"""URLs of the client register; object ids are `<model>_id` so the tenancy walk covers them."""

from django.urls import path

from . import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("assign/", views.clients_assign, name="assign"),
    path("lifecycle/recompute/", views.lifecycle_recompute, name="lifecycle_recompute"),
    path("<int:client_id>/", views.client_card, name="card"),
    path("<int:client_id>/edit/", views.client_edit, name="edit"),
    path("<int:client_id>/persons/add/", views.person_add, name="person_add"),
    path("<int:client_id>/contacts/add/", views.contact_add, name="contact_add"),
    path("<int:client_id>/settlements/add/", views.settlement_add, name="settlement_add"),
    path("<int:client_id>/settlements/<int:settlement_id>/delete/", views.settlement_delete, name="settlement_delete"),
    path("<int:client_id>/deals/add/", views.deal_add, name="deal_add"),
    path("<int:client_id>/complaints/add/", views.complaint_add, name="complaint_add"),
    path("<int:client_id>/assessments/add/", views.assessment_add, name="assessment_add"),
    path("<int:client_id>/points/add/", views.point_add, name="point_add"),
    path("<int:client_id>/offers/<int:product_id>/", views.offer_edit, name="offer_edit"),
    path("points/<int:control_point_id>/done/", views.point_done, name="point_done"),
    path("points/<int:control_point_id>/give/", views.point_assign, name="point_assign"),
    path("my-day/", views.my_day, name="my_day"),
    path("deals/", views.deal_board, name="deals"),
    path("deals/<int:deal_id>/", views.deal_detail, name="deal"),
    path("deals/<int:deal_id>/advance/", views.deal_advance, name="deal_advance"),
    path("deals/<int:deal_id>/refuse/", views.deal_refuse, name="deal_refuse"),
    path("deals/<int:deal_id>/deviation/", views.deal_deviation, name="deal_deviation"),
    path("deals/<int:deal_id>/payments/add/", views.deal_payment_add, name="deal_payment_add"),
    path("deals/<int:deal_id>/case/", views.deal_case, name="deal_case"),
    path("deals/<int:deal_id>/documents/add/", views.deal_document_add, name="deal_document_add"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/<int:complaint_id>/", views.complaint_detail, name="complaint"),
    path("complaints/<int:complaint_id>/advance/", views.complaint_advance, name="complaint_advance"),
    path("matrix/", views.matrix, name="matrix"),
    path("matrix/add/", views.catalogue_add, name="catalogue_add"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/plan/", views.plan_set, name="plan_set"),
    path("dashboard/digest/", views.digest_subscribe, name="digest_subscribe"),
    path("kpi/", views.kpi, name="kpi"),
    path("kpi/spending/", views.marketing_spend, name="marketing_spend"),
    path("kpi/products/", views.kpi_products, name="kpi_products"),
    path("kpi/clients/", views.kpi_clients, name="kpi_clients"),
    path("kpi/export/", views.kpi_export, name="kpi_export"),
    path("kpi/export/<int:job_id>/", views.kpi_download, name="kpi_download"),
]

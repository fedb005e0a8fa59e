"""Loyalty URLs; object ids are `<model>_id`, the public survey link takes a `token`."""

from django.urls import path

from . import views

app_name = "loyalty"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("metrics/run/", views.metrics_start, name="metrics_start"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/product-items/", views.product_items, name="product_items"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/links/", views.campaign_links, name="campaign_links"),
    path("campaigns/<int:campaign_id>/send/", views.campaign_send, name="campaign_send"),
    path("campaigns/<int:campaign_id>/remind/", views.campaign_remind, name="campaign_remind"),
    path("campaigns/<int:campaign_id>/close/", views.campaign_close, name="campaign_close"),
    path("s/<str:token>/", views.respond, name="respond"),
    path("clients/<int:client_id>/interviews/add/", views.interview_add, name="interview_add"),
    path("iqs/", views.scorecard_list, name="scorecard_list"),
    path("iqs/<int:scorecard_id>/", views.scorecard_detail, name="scorecard_detail"),
    path("programme/", views.programme, name="programme"),
    path("programme/points/", views.points_start, name="points_start"),
    path("programme/tiers/<int:tier_id>/delete/", views.tier_delete, name="tier_delete"),
    path("programme/tools/<int:programme_tool_id>/delete/", views.tool_delete, name="tool_delete"),
    path("programme/accounts/<int:point_account_id>/", views.point_account, name="point_account"),
]

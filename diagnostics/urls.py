"""Diagnostics URLs; object ids are named `<model>_id` for the tenancy walk."""

from django.urls import path

from . import views

app_name = "diagnostics"
urlpatterns = [
    path("", views.index, name="index"),
    path("start/", views.assessment_start, name="start"),
    path("instruments/<slug:code>/", views.instrument_detail, name="instrument"),
    path("assessments/<int:assessment_id>/", views.assessment_fill, name="fill"),
    path("assessments/<int:assessment_id>/answer/", views.answer_save, name="answer"),
    path("assessments/<int:assessment_id>/complete/", views.assessment_complete, name="complete"),
    path("assessments/<int:assessment_id>/report/", views.assessment_report, name="report"),
    path("assessments/<int:assessment_id>/print/", views.assessment_print, name="print"),
    path("assessments/<int:assessment_id>/export.xlsx", views.assessment_export, name="export"),
    path("assessments/<int:assessment_id>/compare/", views.assessment_compare, name="compare"),
    path("assessments/<int:assessment_id>/actions/", views.action_create, name="action_create"),
    path("actions/", views.actions_mine, name="actions"),
    path("actions/<int:action_id>/status/", views.action_status, name="action_status"),
    path("cjm/", views.journey_maps, name="journey_maps"),
    path("cjm/<int:journey_map_id>/", views.journey_map_detail, name="journey_map"),
    path("cjm/<int:journey_map_id>/copy/", views.journey_map_copy, name="journey_map_copy"),
    path("touchpoints/<int:touchpoint_id>/edit/", views.touchpoint_edit, name="touchpoint_edit"),
    path("touchpoints/<int:touchpoint_id>/move/", views.touchpoint_move, name="touchpoint_move"),
    path("touchpoints/<int:touchpoint_id>/delete/", views.touchpoint_delete, name="touchpoint_delete"),
    path("aida/", views.aida_maps, name="aida_maps"),
    path("aida/<int:aida_map_id>/", views.aida_map_detail, name="aida_map"),
    path("aida/<int:aida_map_id>/personas/", views.aida_persona_add, name="aida_persona_add"),
    path("aida/<int:aida_map_id>/actions/", views.aida_action_add, name="aida_action_add"),
    path("aida-actions/<int:aida_action_id>/delete/", views.aida_action_delete, name="aida_action_delete"),
]

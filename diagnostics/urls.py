from django.urls import path

app_name = "diagnostics"
urlpatterns: list = []

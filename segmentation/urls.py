from django.urls import path

app_name = "segmentation"
urlpatterns: list = []

"""Mounted at /admin/insights/ by the project's urls.py, ahead of the admin."""

from django.contrib import admin
from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", admin.site.admin_view(views.insights_view), name="index"),
    path("export/", admin.site.admin_view(views.export_view), name="export"),
]

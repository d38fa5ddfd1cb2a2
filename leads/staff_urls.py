"""The back office's own pages, mounted under /admin/leads/ by the project's
urls.py ahead of the admin itself. ``admin_view`` asks for a staff login
(sending visitors to the admin's login page) like every admin page."""

from django.contrib import admin
from django.urls import path

from leads import staff_views

app_name = "leads_staff"

urlpatterns = [
    path(
        "dashboard/",
        admin.site.admin_view(staff_views.dashboard_view),
        name="dashboard",
    ),
    path(
        "personal-data/",
        admin.site.admin_view(staff_views.personal_data_view),
        name="personal_data",
    ),
]

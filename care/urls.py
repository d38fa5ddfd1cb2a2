from django.urls import path

from care import views

app_name = "care"

urlpatterns = [
    path("locations/", views.LocationListView.as_view(), name="location_list"),
    path("locations/<slug:slug>/", views.location_detail, name="location_detail"),
    path("treatments/", views.TreatmentListView.as_view(), name="treatment_list"),
    path("treatments/<slug:slug>/", views.treatment_detail, name="treatment_detail"),
    path("faq/", views.faq, name="faq"),
]

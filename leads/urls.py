from django.urls import path

from leads import views

app_name = "leads"
urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("subscribe/", views.subscribe, name="subscribe"),
]

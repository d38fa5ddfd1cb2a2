from django.urls import include, path

# django-allauth's sign-in, sign-out, reauthentication and second-factor
# pages; sign-up is closed by staff.adapter.
urlpatterns = [path("", include("allauth.urls"))]

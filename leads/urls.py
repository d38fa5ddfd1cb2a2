from django.urls import path

from leads import preferences, views

app_name = "leads"
urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("contact/attach/", views.contact_attach, name="contact_attach"),
    path("contact/thanks/", views.contact_thanks, name="contact_thanks"),
    path("refer/", views.refer, name="refer"),
    path("refer/thanks/", views.refer_thanks, name="refer_thanks"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/thanks/", views.subscribe_thanks, name="subscribe_thanks"),
    path(
        "subscribe/confirm/<str:token>/",
        views.subscribe_confirm,
        name="subscribe_confirm",
    ),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "subscribe/preferences/<str:token>/",
        preferences.subscriber_preferences,
        name="subscriber_preferences",
    ),
]

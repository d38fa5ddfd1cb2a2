from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    """Blog updates by email: announcements, deliveries, the weekly digest."""

    name = "newsletter"

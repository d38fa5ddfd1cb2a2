from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Clinic-wide pieces every app may use and that use no app of ours."""

    name = "core"
    verbose_name = "Clinic"

from django.apps import AppConfig


class SelfCheckConfig(AppConfig):
    """The private PHQ-9 / GAD-7 self-check: scored in the request, never stored."""

    name = "selfcheck"
    verbose_name = "Self-check"

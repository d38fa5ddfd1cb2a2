from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

from core.page_cache import bump


def flat_page_changed(sender, **kwargs):
    bump()


class CoreConfig(AppConfig):
    """Clinic-wide pieces every app may use and that use no app of ours."""

    name = "core"
    verbose_name = "Clinic"

    def ready(self):
        # Flat pages are contrib's model, so a signal is the one hook there.
        for signal in (post_save, post_delete):
            signal.connect(flat_page_changed, sender="flatpages.FlatPage")
            signal.connect(flat_page_changed, sender="sites.Site")

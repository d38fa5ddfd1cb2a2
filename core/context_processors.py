from django.conf import settings

from core.models import ClinicProfile


def clinic(request):
    """Make the clinic profile and the public site URL available to every template."""
    return {"clinic": ClinicProfile.current(), "site_url": settings.SITE_URL}

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic_site.settings")

django_application = get_wsgi_application()

from core.page_cache import CachedPagesApplication  # noqa: E402 - needs settings

application = CachedPagesApplication(django_application)

"""Write static/css/bootstrap.subset.css: the Bootstrap rules the site uses.

    python manage.py build_site_css

Run it after a template, form or script starts using a Bootstrap class it
did not use before (a test fails until then), and commit the file.
"""

from django.core.management.base import BaseCommand

from core.site_css import SOURCE, SUBSET_PATH, build_subset


class Command(BaseCommand):
    help = "Rebuild static/css/bootstrap.subset.css from the site's markup."

    def handle(self, **options):
        css = build_subset()
        SUBSET_PATH.write_text(css, encoding="utf-8")
        self.stdout.write(
            f"Wrote {SUBSET_PATH.name}: {len(css):,} bytes from {SOURCE}."
        )

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand
from django.db import transaction

from blog.importing import import_post_file
from care.demo import load_demo_care
from core.models import ClinicProfile

DEMO_PAGES_DIR = Path(__file__).resolve().parents[2] / "demo_pages"
DEMO_POSTS_DIR = Path(settings.BASE_DIR) / "blog" / "demo_posts"


def read_demo_page(path):
    """A demo page file: a title comment, a URL comment, then the HTML."""
    title_line, url_line, content = path.read_text().split("\n", 2)
    title = title_line.removeprefix("<!-- title:").removesuffix("-->").strip()
    url = url_line.removeprefix("<!-- url:").removesuffix("-->").strip()
    return title, url, content.strip() + "\n"


class Command(BaseCommand):
    help = (
        "Load the example clinic's profile, site pages, locations, treatments, "
        "FAQ and blog posts. "
        "Safe to run again: what already exists is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-posts",
            action="store_true",
            help="Everything but the blog posts (for a real deployment).",
        )

    @transaction.atomic
    def handle(self, *args, no_posts=False, **options):
        clinic = ClinicProfile.current()
        site = Site.objects.get_current()
        domain = urlsplit(settings.SITE_URL).netloc
        if (site.domain, site.name) != (domain, clinic.name):
            site.domain, site.name = domain, clinic.name
            site.save()

        for path in sorted(DEMO_PAGES_DIR.glob("*.html")):
            title, url, content = read_demo_page(path)
            page, created = FlatPage.objects.get_or_create(
                url=url, defaults={"title": title, "content": content}
            )
            if created:
                page.sites.add(site)
            self.stdout.write(f"page {url}: {'created' if created else 'kept'}")

        for kind, status in load_demo_care().items():
            self.stdout.write(f"{kind}: {status}")

        if no_posts:
            return
        for path in sorted(DEMO_POSTS_DIR.glob("*.md")):
            result = import_post_file(path, update_existing=False)
            self.stdout.write(f"post {path.name}: {result.status}")

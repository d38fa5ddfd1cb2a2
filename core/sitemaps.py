from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.flatpages.models import FlatPage
from django.contrib.sitemaps import Sitemap
from django.urls import reverse


class SiteUrlSitemap(Sitemap):
    """A sitemap whose absolute URLs come from SITE_URL, not the sites table."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class StaticViewSitemap(SiteUrlSitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return ["home", "leads:contact", "leads:refer"]

    def location(self, item):
        return reverse(item)


class FlatPageSitemap(SiteUrlSitemap):
    changefreq = "monthly"
    priority = 0.4

    def items(self):
        return FlatPage.objects.filter(registration_required=False).order_by("url")

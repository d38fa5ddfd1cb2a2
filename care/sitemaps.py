from django.urls import reverse

from care.models import Location, Question, Treatment
from core.sitemaps import SiteUrlSitemap


class CarePageSitemap(SiteUrlSitemap):
    """The list pages: treatments always, the FAQ once it has questions."""

    changefreq = "monthly"
    priority = 0.7

    def items(self):
        pages = ["care:treatment_list", "care:location_list"]
        if Question.objects.published().exists():
            pages.append("care:faq")
        return pages

    def location(self, item):
        return reverse(item)


class TreatmentSitemap(SiteUrlSitemap):
    changefreq = "monthly"
    priority = 0.7

    def items(self):
        return Treatment.objects.published().order_by("pk")


class LocationSitemap(SiteUrlSitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return Location.objects.offered().order_by("pk")

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from blog.rendering import render_markdown
from care.models.locations import Location
from care.prices import price_text
from core.page_cache import ChangesPublicPages


class TreatmentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Treatment(ChangesPublicPages, models.Model):
    """A treatment the clinic offers, with what it costs and where."""

    class PriceKind(models.TextChoices):
        FROM = "from", "From (lowest price)"
        RANGE = "range", "Range (lowest to highest)"
        PER_SESSION = "per_session", "Per session"

    SECTIONS = ["about", "who_it_may_help", "session", "how_many_sessions"]

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.CharField(
        max_length=300,
        help_text="One or two sentences for the list and search engines.",
    )
    about = models.TextField("what it is", blank=True, help_text="Markdown.")
    who_it_may_help = models.TextField(blank=True, help_text="Markdown.")
    session = models.TextField(
        "what a session is like", blank=True, help_text="Markdown."
    )
    how_many_sessions = models.TextField(blank=True, help_text="Markdown.")
    about_html = models.TextField(editable=False, blank=True)
    who_it_may_help_html = models.TextField(editable=False, blank=True)
    session_html = models.TextField(editable=False, blank=True)
    how_many_sessions_html = models.TextField(editable=False, blank=True)
    price_kind = models.CharField(
        max_length=20, choices=PriceKind, default=PriceKind.FROM
    )
    price_from = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="In the clinic's currency (Clinic profile). Empty: no price shown.",
    )
    price_to = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Only for a range: the highest price.",
    )
    price_note = models.CharField(
        max_length=300,
        blank=True,
        help_text="What the price covers, and whether it is illustrative.",
    )
    insurance_note = models.TextField(
        "insurance and superbills",
        blank=True,
        help_text="Whether insurance may pay, and how to ask for a superbill.",
    )
    locations = models.ManyToManyField(Location, blank=True, related_name="treatments")
    is_published = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    objects = TreatmentQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        for section in self.SECTIONS:
            html = render_markdown(getattr(self, section)).html
            setattr(self, f"{section}_html", html)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("care:treatment_detail", args=[self.slug])

    def clean(self):
        if self.price_kind == self.PriceKind.RANGE and (
            self.price_from is None
            or self.price_to is None
            or self.price_to <= self.price_from
        ):
            raise ValidationError(
                {"price_to": "A range needs a lowest and a higher highest price."}
            )

    def price_label(self, currency):
        return price_text(self.price_kind, self.price_from, self.price_to, currency)

    def structured_data(self, site_url, clinic, locations):
        """schema.org MedicalTherapy with its price as an Offer."""
        data = {
            "@context": "https://schema.org",
            "@type": "MedicalTherapy",
            "name": self.name,
            "description": self.summary,
            "url": site_url + self.get_absolute_url(),
            "provider": {
                "@type": "MedicalClinic",
                "name": clinic.name,
                "url": site_url + "/",
            },
        }
        if self.price_from is not None:
            spec = {
                "@type": "UnitPriceSpecification",
                "priceCurrency": clinic.currency,
                "minPrice": str(self.price_from),
            }
            if self.price_kind == self.PriceKind.RANGE and self.price_to:
                spec["maxPrice"] = str(self.price_to)
            if self.price_kind == self.PriceKind.PER_SESSION:
                spec["price"] = str(self.price_from)
                spec["unitText"] = "session"
            data["offers"] = {
                "@type": "Offer",
                "priceCurrency": clinic.currency,
                "price": str(self.price_from),
                "priceSpecification": spec,
                "url": site_url + self.get_absolute_url(),
            }
            if self.price_note:
                data["offers"]["description"] = self.price_note
        if locations:
            data["provider"]["location"] = [
                {
                    "@type": "Place",
                    "name": loc.name,
                    "url": site_url + loc.get_absolute_url(),
                }
                for loc in locations
            ]
        return data

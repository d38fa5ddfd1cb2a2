from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import DatabaseError, models
from django.urls import reverse

from core.page_cache import ChangesPublicPages, content_key
from core.places import postal_address, tel_href, text_lines

LOCATIONS_CACHE_KEY = "care-locations"
LAST_KNOWN_LOCATIONS_KEY = "care-locations-last-known"
LOCATIONS_CACHE_SECONDS = 60
NO_PREFERENCE = ("", "No preference")

web_link = URLValidator(schemes=["http", "https"])


def split_emails(value):
    return [part.strip() for part in value.split(",") if part.strip()]


def validate_email_list(value):
    for address in split_emails(value):
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                "“%(address)s” is not an email address.", params={"address": address}
            ) from None


class LocationQuerySet(models.QuerySet):
    def offered(self):
        """Locations open to patients: listed on the site and offered in forms."""
        return self.filter(is_active=True)


class Location(ChangesPublicPages, models.Model):
    """One of the clinic's offices, with its own page, hours and contacts."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    street_address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True, help_text="State or region.")
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(
        max_length=2, blank=True, default="US", help_text="Two-letter country code."
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    opening_hours = models.TextField(
        blank=True, help_text="One line per day or range, shown as written."
    )
    booking_url = models.URLField(
        "booking link",
        blank=True,
        validators=[web_link],
        help_text="Optional online booking page for this location.",
    )
    map_url = models.URLField(
        "map link",
        blank=True,
        validators=[web_link],
        help_text="A plain link to a map page (paste it from your map service). "
        "Visitors follow it; the site embeds no map.",
    )
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True
    )
    notification_emails = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_email_list],
        help_text="Comma-separated staff addresses told about requests for this "
        "location. Empty: the clinic's usual addresses.",
    )
    is_main = models.BooleanField(
        "main location", default=False, help_text="Shown first and in the footer."
    )
    is_active = models.BooleanField(
        "open to patients",
        default=True,
        help_text="Untick to hide this location from the site and the forms.",
    )
    order = models.PositiveIntegerField(default=0)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["-is_main", "order", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        caches["local"].delete(LOCATIONS_CACHE_KEY)

    def get_absolute_url(self):
        return reverse("care:location_detail", args=[self.slug])

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        caches["local"].delete(LOCATIONS_CACHE_KEY)
        return result

    @property
    def opening_hours_lines(self):
        return text_lines(self.opening_hours)

    @property
    def notification_email_list(self):
        return split_emails(self.notification_emails)

    @property
    def phone_href(self):
        return tel_href(self.phone)

    @property
    def has_geo(self):
        return self.latitude is not None and self.longitude is not None

    def structured_data(self, site_url, clinic):
        """schema.org MedicalClinic for the location's page."""
        data = {
            "@context": "https://schema.org",
            "@type": "MedicalClinic",
            "name": f"{clinic.name}: {self.name}",
            "url": site_url + self.get_absolute_url(),
            "telephone": self.phone or clinic.phone,
            "email": self.email or clinic.email,
            "address": postal_address(self),
            "openingHours": self.opening_hours_lines,
            "medicalSpecialty": "Psychiatric",
        }
        if self.has_geo:
            data["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": float(self.latitude),
                "longitude": float(self.longitude),
            }
        if self.map_url:
            data["hasMap"] = self.map_url
        return data


def site_locations():
    """The offered locations for the footer on every page, cached briefly.

    While the database is unreachable, the last list this process read (or
    none, which shows the clinic profile's address) keeps pages up.
    """
    key = content_key(LOCATIONS_CACHE_KEY)
    locations = caches["local"].get(key)
    if locations is None:
        try:
            locations = list(Location.objects.offered())
        except DatabaseError:
            return caches["local"].get(LAST_KNOWN_LOCATIONS_KEY) or []
        caches["local"].set(key, locations, LOCATIONS_CACHE_SECONDS)
        caches["local"].set(LAST_KNOWN_LOCATIONS_KEY, locations, None)
    return locations


def location_choices():
    """Choices for a form's "which location?" question, with "No preference".

    Empty when the clinic has fewer than two offered locations: the question
    is then not asked at all. Values are primary keys as strings.
    """
    # The footer's cached list: no query of its own, and it works while the
    # database is unreachable.
    locations = site_locations()
    if len(locations) < 2:
        return []
    return [NO_PREFERENCE, *((str(place.pk), place.name) for place in locations)]

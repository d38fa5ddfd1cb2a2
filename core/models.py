from django.core.cache import caches
from django.core.validators import RegexValidator
from django.db import DatabaseError, InterfaceError, models
from django.urls import reverse

from core.images import refresh_renditions, validate_image
from core.page_cache import ChangesPublicPages, content_key
from core.places import postal_address, tel_href, text_lines

# The header shows the logo 40 CSS px tall: renditions for 1x and 2x screens.
LOGO_HEIGHT = 40
LOGO_HEIGHTS = (LOGO_HEIGHT, 2 * LOGO_HEIGHT)
PROFILE_CACHE_KEY = "clinic-profile"
PROFILE_CACHE_SECONDS = 60
LAST_KNOWN_PROFILE_KEY = "clinic-profile-last-known"
CRISIS_BOX_TEXT = (
    "If you are thinking about suicide or about hurting yourself, or you are "
    "worried about someone, you don't have to wait for an appointment. Help is "
    "free and open day and night."
)
GOOD_FAITH_ESTIMATE_NOTICE = (
    "If you do not have health insurance, or choose not to use it, you have the "
    "right under the No Surprises Act to a Good Faith Estimate: a written "
    "estimate of what your care is expected to cost. Ask us for one when you "
    "book, or at any time before your visit; we send it within one to three "
    "business days, depending on how far ahead the visit is scheduled. If your "
    "bill comes to at least $400 more than the estimate, you can dispute it. "
    "Learn more at www.cms.gov/nosurprises."
)


class ClinicProfile(ChangesPublicPages, models.Model):
    """The clinic's public details, shown in the header, footer and structured data."""

    name = models.CharField(max_length=120, default="Harbor Light Ketamine Clinic")
    tagline = models.CharField(
        max_length=200,
        blank=True,
        default="Evidence-based ketamine care for depression, anxiety, PTSD and pain",
    )
    phone = models.CharField(max_length=40, blank=True, default="(555) 010-4200")
    email = models.EmailField(blank=True, default="care@harborlight.example")
    street_address = models.CharField(
        max_length=200, blank=True, default="125 Example Avenue, Suite 300"
    )
    city = models.CharField(max_length=100, blank=True, default="Springfield")
    region = models.CharField(
        max_length=100, blank=True, default="OR", help_text="State or region."
    )
    postcode = models.CharField(max_length=20, blank=True, default="97477")
    country = models.CharField(
        max_length=2, blank=True, default="US", help_text="Two-letter country code."
    )
    opening_hours = models.TextField(
        blank=True,
        default="Monday–Friday 8:00–18:00\nSaturday 9:00–13:00",
        help_text="One line per day or range, shown in the footer as written.",
    )
    booking_url = models.URLField(
        "booking link",
        blank=True,
        help_text="Optional online booking page. Leave empty to use the contact form.",
    )
    facebook_url = models.URLField(blank=True)
    instagram_url = models.URLField(blank=True)
    linkedin_url = models.URLField(blank=True)
    x_url = models.URLField("X (Twitter) URL", blank=True)
    youtube_url = models.URLField(blank=True)
    logo = models.ImageField(
        upload_to="clinic/",
        blank=True,
        validators=[validate_image],
        help_text="Shown 40 px tall in the header: upload it at least 80 px tall.",
    )
    logo_renditions = models.JSONField(default=dict, blank=True, editable=False)
    logo_alt = models.CharField(
        max_length=200, blank=True, help_text="Describe the logo for screen readers."
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter code: USD.")],
        help_text="ISO 4217 code of the currency prices are shown in, such as USD.",
    )
    good_faith_estimate_notice = models.TextField(
        "Good Faith Estimate notice",
        default=GOOD_FAITH_ESTIMATE_NOTICE,
        help_text="Shown on the treatments list and on every treatment page.",
    )
    crisis_box_text = models.TextField(
        "crisis box wording",
        default=CRISIS_BOX_TEXT,
        help_text=(
            "Opens the box at the top of a blog post about suicide, self-harm or "
            "overdose. The 988, 911 and clinic phone numbers follow it."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "clinic profile"
        verbose_name_plural = "clinic profile"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        refresh_renditions(self, "logo", kwargs, heights=LOGO_HEIGHTS)
        super().save(*args, **kwargs)
        caches["local"].delete(PROFILE_CACHE_KEY)

    def get_absolute_url(self):
        return reverse("home")

    @classmethod
    def current(cls):
        """The single profile row, created with demo defaults on first use.

        While the database is unreachable, the last copy this process read
        (or the defaults) keeps every page, the crisis line included, up.
        """
        key = content_key(PROFILE_CACHE_KEY)
        profile = caches["local"].get(key)
        if profile is None:
            try:
                profile, _ = cls.objects.get_or_create(pk=1)
            except (DatabaseError, InterfaceError):
                return caches["local"].get(LAST_KNOWN_PROFILE_KEY) or cls(pk=1)
            caches["local"].set(key, profile, PROFILE_CACHE_SECONDS)
            caches["local"].set(LAST_KNOWN_PROFILE_KEY, profile, None)
        return profile

    @property
    def logo_shown_width(self):
        """The logo's width in the header, read from its renditions (the
        page opens no file): None until it has them."""
        files = self.logo_renditions.get("files")
        if not files:
            return None
        return round(LOGO_HEIGHT * files[0]["width"] / files[0]["height"])

    @property
    def has_postal_address(self) -> bool:
        """Whether bulk mail may go out: CAN-SPAM wants a postal address in it."""
        return bool(self.street_address.strip() and self.city.strip())

    @property
    def opening_hours_lines(self):
        return text_lines(self.opening_hours)

    @property
    def phone_href(self):
        return tel_href(self.phone)

    @property
    def social_links(self):
        links = [
            ("Facebook", self.facebook_url),
            ("Instagram", self.instagram_url),
            ("LinkedIn", self.linkedin_url),
            ("X", self.x_url),
            ("YouTube", self.youtube_url),
        ]
        return [(label, url) for label, url in links if url]

    def structured_data(self, site_url):
        """schema.org MedicalClinic for the home page's JSON-LD."""
        data = {
            "@context": "https://schema.org",
            "@type": "MedicalClinic",
            "name": self.name,
            "url": site_url + "/",
            "description": self.tagline,
            "telephone": self.phone,
            "email": self.email,
            "address": postal_address(self),
            "openingHours": self.opening_hours_lines,
            "medicalSpecialty": "Psychiatric",
        }
        if self.social_links:
            data["sameAs"] = [url for _, url in self.social_links]
        if self.logo:
            data["logo"] = site_url + self.logo.url
        return data


class RateLimitCounter(models.Model):
    """Form posts counted for one client in one time window.

    Kept in the database so every web process and server shares the count;
    the client is stored as a keyed hash, never as a plain IP address.
    """

    key = models.CharField(max_length=120, unique=True)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.hits}"


class PeriodicJob(models.Model):
    """When the worker last queued one of the jobs in settings.PERIODIC_JOBS."""

    path = models.CharField(max_length=200, unique=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.path


class SpoolReceipt(models.Model):
    """A spooled entry that reached the database, so a replay stores nothing."""

    entry_id = models.CharField(max_length=32, unique=True)
    stored_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.entry_id


class SuppressedAddress(models.Model):
    """An email address the site never mails again: it bounced or complained."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", "Bounced (refused for good by the mail server)"
        COMPLAINED = "complained", "Complained (reported the mail as spam)"

    address = models.EmailField(
        max_length=254, unique=True, help_text="Stored in lowercase."
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(
        max_length=200, blank=True, help_text="What the mail server answered."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "suppressed email address"
        verbose_name_plural = "suppressed email addresses"

    def __str__(self):
        return self.address

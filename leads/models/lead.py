"""The consultation request itself, and the email domains refused outright."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from leads.models.choices import (
    CONTACTED_STATUSES,
    OPEN_STATUSES,
    Interest,
    LeadStatus,
    SourceKind,
)
from leads.models.queryset import (
    ANONYMIZED_NAME,
    NOT_CHECKED,
    LeadChangedError,
    LeadQuerySet,
    overdue_cutoff,
)

# Other modules import these from here, where a lead is defined.
__all__ = [
    "ANONYMIZED_NAME",
    "NOT_CHECKED",
    "BlockedDomain",
    "Interest",
    "Lead",
    "LeadChangedError",
    "SourceKind",
    "overdue_cutoff",
]


class Lead(models.Model):
    """A consultation request sent through the contact form, or a referral
    from a clinician (``kind``; the referrer's fields are then filled in)."""

    Status = LeadStatus

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Consultation request"
        REFERRAL = "referral", "Clinician referral"

    class ContactMethod(models.TextChoices):
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"
        EMAIL = "email", "Email"

    OPEN_STATUSES = OPEN_STATUSES
    CONTACTED_STATUSES = CONTACTED_STATUSES

    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.CONSULTATION
    )
    full_name = models.CharField(max_length=120)
    # A referral may give only the patient's phone number.
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(
        max_length=32, blank=True, help_text="Stored in E.164 format."
    )
    preferred_contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.EMAIL
    )
    best_time_to_reach = models.CharField(max_length=100, blank=True)
    interests = models.JSONField(default=list, blank=True)
    heard_about_us = models.CharField(
        "how they heard about us", max_length=100, blank=True
    )
    message = models.TextField(max_length=2000, blank=True)
    location = models.ForeignKey(
        "care.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        help_text="The location they chose; empty for no preference.",
    )

    referrer_name = models.CharField("referring clinician", max_length=120, blank=True)
    referrer_role = models.CharField("role or credentials", max_length=120, blank=True)
    referrer_practice = models.CharField("practice", max_length=200, blank=True)
    referrer_phone = models.CharField(
        "referrer's phone", max_length=32, blank=True, help_text="E.164 format."
    )
    referrer_email = models.EmailField("referrer's email", max_length=254, blank=True)
    referrer_npi = models.CharField("referrer's NPI", max_length=10, blank=True)

    consent_text = models.TextField(
        help_text="The exact consent wording the person agreed to."
    )
    consent_version = models.CharField(max_length=20)
    consented_at = models.DateTimeField()

    source_path = models.CharField("sent from page", max_length=500, blank=True)
    source_post = models.ForeignKey(
        "blog.Post",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    referrer = models.CharField(max_length=500, blank=True)
    landing_page = models.CharField(max_length=500, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)

    self_check = models.JSONField(
        "self-check result",
        null=True,
        blank=True,
        editable=False,
        help_text=(
            "Scores the person chose to attach from the self-check (instrument, "
            "total, band; never the answers)."
        ),
    )
    is_urgent = models.BooleanField(
        default=False, help_text="The message used crisis language. Call back first."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_leads",
    )
    first_contacted_at = models.DateTimeField(null=True, blank=True)
    anonymized_at = models.DateTimeField(null=True, blank=True)

    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    notification_sent_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-is_urgent", "-created_at"]
        permissions = [("export_lead", "Can export leads")]

    def __str__(self):
        return (
            f"{self.full_name} ({self.created_at:%Y-%m-%d})"
            if self.created_at
            else self.full_name
        )

    def get_absolute_url(self):
        return reverse("admin:leads_lead_change", args=[self.pk])

    @property
    def is_referral(self):
        return self.kind == self.Kind.REFERRAL

    @property
    def reply_address(self):
        """Who the "we received it" email goes to: the person, or for a
        referral the referring clinician (the patient is not emailed)."""
        return self.referrer_email if self.is_referral else self.email

    @property
    def self_check_summary(self) -> str:
        """One line for staff: "PHQ-9 12 (moderate); GAD-7 6 (mild)"."""
        if not self.self_check:
            return "—"
        return "; ".join(
            f"{item['instrument']} {item['total']} ({item['band']})"
            for item in self.self_check.get("scores", [])
        )

    @property
    def is_closed(self):
        """Out of the working list and in the archive: decided by the status
        alone (``LeadQuerySet.open`` and ``closed`` say the same in SQL)."""
        return self.status not in self.OPEN_STATUSES

    # Kept as a second name: "archived" is what staff call a closed lead.
    is_archived = is_closed

    def is_overdue(self, now=None):
        """Still New after the overdue window (see ``overdue_cutoff``)."""
        return self.status == self.Status.NEW and self.created_at < overdue_cutoff(now)

    @property
    def time_to_first_contact(self):
        if self.first_contacted_at is None or self.created_at is None:
            return None
        return self.first_contacted_at - self.created_at

    def interest_labels(self):
        labels = dict(Interest.choices)
        return [labels.get(value, value) for value in self.interests or []]

    def change_status(self, new_status, by=None, *, expected=None):
        """Move this lead to ``new_status`` and record it; False if unchanged.

        ``expected`` is the status the staff member saw. If someone else
        changed it meanwhile, ``LeadChangedError`` is raised rather than
        silently overwriting the newer status.
        """
        changed = Lead.objects.filter(pk=self.pk).change_status(
            new_status, by, expected=expected
        )
        self.refresh_from_db(fields=["status", "first_contacted_at", "updated_at"])
        return bool(changed)

    def assign(self, user, by=None, *, expected=NOT_CHECKED):
        """Give this lead to ``user`` (None: nobody) and record it.

        ``expected`` is the assignee the staff member saw (a user, None, or
        left out to skip the check); see ``change_status``.
        """
        changed = Lead.objects.filter(pk=self.pk).assign(user, by, expected=expected)
        self.refresh_from_db(fields=["assigned_to", "updated_at"])
        return bool(changed)


class BlockedDomain(models.Model):
    """An email domain whose leads go straight to Spam."""

    domain = models.CharField(
        max_length=253, unique=True, help_text="For example: mailinator.com"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self):
        return self.domain

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower().lstrip("@")
        super().save(*args, **kwargs)

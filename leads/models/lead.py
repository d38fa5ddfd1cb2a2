from django.conf import settings
from django.db import models
from django.urls import reverse


class Interest(models.TextChoices):
    DEPRESSION = "depression", "Depression"
    ANXIETY = "anxiety", "Anxiety"
    PTSD = "ptsd", "PTSD"
    CHRONIC_PAIN = "chronic_pain", "Chronic pain"
    SUBSTANCE_USE = "substance_use", "Substance use"
    OTHER = "other", "Other"


class LeadQuerySet(models.QuerySet):
    def owing_emails(self, since, before):
        """Non-spam leads received between ``since`` and ``before`` with an
        email (confirmation or staff notification) that has not gone out."""
        return self.exclude(status=Lead.Status.SPAM).filter(
            models.Q(confirmation_sent_at__isnull=True)
            | models.Q(notification_sent_at__isnull=True),
            created_at__gte=since,
            created_at__lt=before,
            anonymized_at__isnull=True,
        )


class Lead(models.Model):
    """A consultation request sent through the contact form."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        SCHEDULED = "scheduled", "Consultation scheduled"
        BECAME_PATIENT = "patient", "Became patient"
        NOT_A_FIT = "not_a_fit", "Not a fit"
        NO_RESPONSE = "no_response", "No response"
        SPAM = "spam", "Spam"

    class ContactMethod(models.TextChoices):
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"
        EMAIL = "email", "Email"

    full_name = models.CharField(max_length=120)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=32, blank=True, help_text="Stored in E.164 format.")
    preferred_contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.EMAIL
    )
    best_time_to_reach = models.CharField(max_length=100, blank=True)
    interests = models.JSONField(default=list, blank=True)
    heard_about_us = models.CharField("how they heard about us", max_length=100, blank=True)
    message = models.TextField(max_length=2000, blank=True)

    consent_text = models.TextField(help_text="The exact consent wording the person agreed to.")
    consent_version = models.CharField(max_length=20)
    consented_at = models.DateTimeField()

    source_path = models.CharField("sent from page", max_length=500, blank=True)
    source_post = models.ForeignKey(
        "blog.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    referrer = models.CharField(max_length=500, blank=True)
    landing_page = models.CharField(max_length=500, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)

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
    is_archived = models.BooleanField(default=False)
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
        return f"{self.full_name} ({self.created_at:%Y-%m-%d})" if self.created_at else self.full_name

    def get_absolute_url(self):
        return reverse("admin:leads_lead_change", args=[self.pk])


class LeadNote(models.Model):
    """An internal note a staff member wrote on a lead."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"Note on {self.lead} by {self.author}"


class LeadEvent(models.Model):
    """One recorded change to a lead's status or assignee: who, what and when."""

    class Kind(models.TextChoices):
        STATUS = "status", "Status changed"
        ASSIGNEE = "assignee", "Assignee changed"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    old_value = models.CharField(max_length=150, blank=True)
    new_value = models.CharField(max_length=150, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.old_value} → {self.new_value}"


class BlockedDomain(models.Model):
    """An email domain whose leads go straight to Spam."""

    domain = models.CharField(max_length=253, unique=True, help_text="For example: mailinator.com")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self):
        return self.domain

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower().lstrip("@")
        super().save(*args, **kwargs)

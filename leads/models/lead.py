import datetime

from django.conf import settings
from django.db import connections, models, transaction
from django.urls import reverse
from django.utils import timezone


class SourceKind(models.TextChoices):
    """Where a lead came from, as the dashboard and list filter group it."""

    CAMPAIGN = "campaign", "Campaign (UTM)"
    POST = "post", "Blog post"
    PAGE = "page", "Other page"


class Interest(models.TextChoices):
    DEPRESSION = "depression", "Depression"
    ANXIETY = "anxiety", "Anxiety"
    PTSD = "ptsd", "PTSD"
    CHRONIC_PAIN = "chronic_pain", "Chronic pain"
    SUBSTANCE_USE = "substance_use", "Substance use"
    OTHER = "other", "Other"


def overdue_cutoff(now=None, business_hours=None):
    """The moment ``business_hours`` before ``now``, not counting weekends.

    A lead received before the cutoff and still New is overdue. Saturdays and
    Sundays in the clinic's time zone do not count, so a lead that arrives on
    Friday afternoon is not overdue on Saturday morning. Computing one cutoff
    keeps "overdue" a plain ``created_at < cutoff`` filter in SQL.
    """
    if business_hours is None:
        business_hours = settings.LEADS_OVERDUE_BUSINESS_HOURS
    remaining = datetime.timedelta(hours=business_hours)
    end = timezone.localtime(now or timezone.now())
    day = end.date()
    while True:
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        if day.weekday() < 5:
            # Arithmetic in UTC, so a daylight-saving change costs no hour.
            available = end.astimezone(datetime.UTC) - start.astimezone(datetime.UTC)
            if remaining <= available:
                return end.astimezone(datetime.UTC) - remaining
            remaining -= available
        end = start
        day -= datetime.timedelta(days=1)


ANONYMIZED_NAME = "Anonymized lead"


def _overdue_condition(now=None):
    return models.Q(status=Lead.Status.NEW, created_at__lt=overdue_cutoff(now))


def _usernames(user_ids):
    from django.contrib.auth import get_user_model

    user_ids = {pk for pk in user_ids if pk is not None}
    users = get_user_model().objects.filter(pk__in=user_ids)
    return {user.pk: user.get_username() for user in users}


class LeadChangedError(Exception):
    """Someone else changed the lead after this staff member loaded it."""


NOT_CHECKED = object()
# Keeps every UPDATE ... WHERE pk IN (...) well under SQLite's
# parameter limit when a bulk action covers thousands of leads.
CHUNK_SIZE = 500


def _chunks(values):
    for start in range(0, len(values), CHUNK_SIZE):
        yield values[start : start + CHUNK_SIZE]


class LeadQuerySet(models.QuerySet):
    def open(self):
        """Leads someone still has to work on: the working list."""
        return self.filter(status__in=Lead.OPEN_STATUSES, is_archived=False)

    def closed(self):
        """Leads whose outcome is known (including spam): the archive."""
        return self.exclude(status__in=Lead.OPEN_STATUSES, is_archived=False)

    def overdue(self, now=None):
        """New leads nobody has contacted within the overdue window."""
        return self.filter(_overdue_condition(now))

    def with_overdue(self, now=None):
        """Annotate ``is_overdue_now``, so a list can show and sort by it."""
        return self.annotate(
            is_overdue_now=models.ExpressionWrapper(
                _overdue_condition(now), output_field=models.BooleanField()
            )
        )

    def urgent(self):
        return self.filter(is_urgent=True)

    def not_spam(self):
        return self.exclude(status=Lead.Status.SPAM)

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

    def assigned_to_user(self, user):
        return self.filter(assigned_to=user)

    def unassigned(self):
        return self.filter(assigned_to__isnull=True)

    def with_interest(self, interest):
        """Leads that ticked ``interest``, on PostgreSQL and SQLite alike."""
        if connections[self.db].vendor == "postgresql":
            return self.filter(interests__contains=[interest])
        # SQLite stores the list as JSON text; a quoted value matches exactly
        # one element because interest values are plain slugs.
        return self.filter(interests__icontains=f'"{interest}"')

    def purgeable(self, retention_days=None, now=None):
        """Closed leads past the retention period that still hold personal data."""
        if retention_days is None:
            retention_days = settings.LEADS_RETENTION_DAYS
        cutoff = (now or timezone.now()) - datetime.timedelta(days=retention_days)
        return self.closed().filter(created_at__lt=cutoff, anonymized_at__isnull=True)

    def for_email(self, email):
        return self.filter(email__iexact=email.strip())

    def with_source_kind(self):
        """Annotate ``source_kind``: "campaign" when the visitor came with UTM
        parameters, else "post" when sent from a blog post, else "page"."""
        return self.annotate(
            source_kind=models.Case(
                models.When(
                    ~models.Q(utm_source=""), then=models.Value(SourceKind.CAMPAIGN)
                ),
                models.When(
                    source_post__isnull=False, then=models.Value(SourceKind.POST)
                ),
                default=models.Value(SourceKind.PAGE),
                output_field=models.CharField(),
            )
        )

    def change_status(self, new_status, by=None, *, expected=None):
        """Move every lead here to ``new_status``, recording one event each.

        The single-lead method and the bulk admin actions both end here, so
        no change escapes the history. Returns how many leads changed.
        """
        if new_status not in Lead.Status.values:
            raise ValueError(f"Unknown lead status {new_status!r}")
        changed = 0
        pks = list(self.order_by().values_list("pk", flat=True))
        with transaction.atomic():
            for chunk in _chunks(pks):
                rows = list(
                    Lead.objects.select_for_update()
                    .filter(pk__in=chunk)
                    .order_by("pk")
                    .values_list("pk", "status")
                )
                if expected is not None and any(s != expected for _, s in rows):
                    raise LeadChangedError("The status was changed meanwhile.")
                rows = [(pk, old) for pk, old in rows if old != new_status]
                if not rows:
                    continue
                now = timezone.now()
                moved = Lead.objects.filter(pk__in=[pk for pk, _ in rows])
                moved.update(
                    status=new_status,
                    is_archived=new_status not in Lead.OPEN_STATUSES,
                    updated_at=now,
                )
                if new_status in Lead.CONTACTED_STATUSES:
                    moved.filter(first_contacted_at__isnull=True).update(
                        first_contacted_at=now
                    )
                LeadEvent.objects.bulk_create(
                    LeadEvent(
                        lead_id=pk,
                        kind=LeadEvent.Kind.STATUS,
                        old_value=old,
                        new_value=new_status,
                        changed_by=by,
                    )
                    for pk, old in rows
                )
                changed += len(rows)
        return changed

    def assign(self, user, by=None, *, expected=NOT_CHECKED):
        """Give every lead here to ``user`` (None: nobody), recording each."""
        new_id = user.pk if user is not None else None
        expected_id = expected.pk if expected not in (NOT_CHECKED, None) else expected
        changed = 0
        pks = list(self.order_by().values_list("pk", flat=True))
        with transaction.atomic():
            for chunk in _chunks(pks):
                rows = list(
                    Lead.objects.select_for_update()
                    .filter(pk__in=chunk)
                    .order_by("pk")
                    .values_list("pk", "assigned_to_id")
                )
                if expected_id is not NOT_CHECKED and any(
                    old != expected_id for _, old in rows
                ):
                    raise LeadChangedError("The assignee was changed meanwhile.")
                rows = [(pk, old) for pk, old in rows if old != new_id]
                if not rows:
                    continue
                names = _usernames({old for _, old in rows} | {new_id})
                Lead.objects.filter(pk__in=[pk for pk, _ in rows]).update(
                    assigned_to_id=new_id, updated_at=timezone.now()
                )
                LeadEvent.objects.bulk_create(
                    LeadEvent(
                        lead_id=pk,
                        kind=LeadEvent.Kind.ASSIGNEE,
                        old_value=names.get(old, ""),
                        new_value=names.get(new_id, ""),
                        changed_by=by,
                    )
                    for pk, old in rows
                )
                changed += len(rows)
        return changed

    def anonymize(self):
        """Erase the personal data of these leads, keeping the statistics.

        Name, contact details, free text, referrer and landing page (both may
        carry personal query strings) and all notes go; status, interests,
        dates, source page, post and campaign stay for the dashboard. The
        admin's own change log, which names the lead, is scrubbed as well.
        """
        from django.contrib.admin.models import LogEntry
        from django.contrib.contenttypes.models import ContentType

        pks = list(self.order_by().values_list("pk", flat=True))
        now = timezone.now()
        content_type = ContentType.objects.get_for_model(Lead)
        with transaction.atomic():
            for chunk in _chunks(pks):
                Lead.objects.filter(pk__in=chunk).update(
                    full_name=ANONYMIZED_NAME,
                    email="",
                    phone="",
                    best_time_to_reach="",
                    heard_about_us="",
                    message="",
                    referrer="",
                    landing_page="",
                    anonymized_at=now,
                    updated_at=now,
                )
                LeadNote.objects.filter(lead_id__in=chunk).delete()
                LogEntry.objects.filter(
                    content_type=content_type, object_id__in=[str(pk) for pk in chunk]
                ).update(object_repr=ANONYMIZED_NAME)
        return len(pks)


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

    # Statuses someone still has to work on; every other status is closed and
    # leaves the working list for the archive.
    OPEN_STATUSES = (Status.NEW, Status.CONTACTED, Status.SCHEDULED)
    # Reaching any of these means the clinic answered the person, which stops
    # the "time to first contact" clock.
    CONTACTED_STATUSES = (
        Status.CONTACTED,
        Status.SCHEDULED,
        Status.BECAME_PATIENT,
        Status.NOT_A_FIT,
        Status.NO_RESPONSE,
    )

    full_name = models.CharField(max_length=120)
    email = models.EmailField(max_length=254)
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
        return (
            f"{self.full_name} ({self.created_at:%Y-%m-%d})"
            if self.created_at
            else self.full_name
        )

    def get_absolute_url(self):
        return reverse("admin:leads_lead_change", args=[self.pk])

    @property
    def is_closed(self):
        return self.status not in self.OPEN_STATUSES or self.is_archived

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
        self.refresh_from_db(
            fields=["status", "is_archived", "first_contacted_at", "updated_at"]
        )
        return bool(changed)

    def assign(self, user, by=None, *, expected=NOT_CHECKED):
        """Give this lead to ``user`` (None: nobody) and record it.

        ``expected`` is the assignee the staff member saw (a user, None, or
        left out to skip the check); see ``change_status``.
        """
        changed = Lead.objects.filter(pk=self.pk).assign(user, by, expected=expected)
        self.refresh_from_db(fields=["assigned_to", "updated_at"])
        return bool(changed)


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
        # Shown above each note in the admin, so it names neither the lead
        # nor its person.
        when = timezone.localtime(self.created_at) if self.created_at else None
        return f"Note by {self.author or 'someone'}" + (
            f", {when:%b %-d, %H:%M}" if when else ""
        )


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
        return f"{self.get_kind_display()}: {self.old_label} → {self.new_label}"

    @property
    def old_label(self):
        return self._label(self.old_value)

    @property
    def new_label(self):
        return self._label(self.new_value)

    def _label(self, value):
        if self.kind == self.Kind.STATUS:
            return dict(Lead.Status.choices).get(value, value)
        return value or "nobody"


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

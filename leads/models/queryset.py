"""Which leads (the QuerySet), and the one routine that changes their workflow.

Status changes and assignments both go through ``LeadQuerySet.apply_change``:
lock the rows, compare them with what the staff member saw, update them and
record one ``LeadEvent`` per lead that changed. The QuerySet reaches the
``Lead`` model as ``self.model``, so this module never imports it.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from leads.models.choices import (
    CONTACTED_STATUSES,
    OPEN_STATUSES,
    LeadStatus,
    SourceKind,
)
from leads.models.history import LeadEvent, LeadNote

ANONYMIZED_NAME = "Anonymized lead"
# Keeps every UPDATE ... WHERE pk IN (...) well under SQLite's
# parameter limit when a bulk action covers thousands of leads.
CHUNK_SIZE = 500
# "Do not compare": the caller did not see, or does not care about, the
# value before the change. (None is a value: "assigned to nobody".)
NOT_CHECKED = object()


class LeadChangedError(Exception):
    """Someone else changed the lead after this staff member loaded it."""


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


def _overdue_condition(now=None):
    return models.Q(status=LeadStatus.NEW, created_at__lt=overdue_cutoff(now))


def _usernames(user_ids):
    """{user id: username} for the given ids; a missing id means nobody."""
    user_ids = {pk for pk in user_ids if pk is not None}
    users = get_user_model().objects.filter(pk__in=user_ids)
    return {user.pk: user.get_username() for user in users}


def _as_text(values):
    """{value: text}, the default way a changed value enters the history."""
    return {value: "" if value is None else str(value) for value in values}


def _chunks(values):
    for start in range(0, len(values), CHUNK_SIZE):
        yield values[start : start + CHUNK_SIZE]


class LeadQuerySet(models.QuerySet):
    def open(self):
        """Leads someone still has to work on: the working list."""
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self):
        """Leads whose outcome is known (including spam): the archive."""
        return self.exclude(status__in=OPEN_STATUSES)

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
        return self.exclude(status=LeadStatus.SPAM)

    def owing_emails(self, since, before):
        """Non-spam leads received between ``since`` and ``before`` with an
        email (confirmation or staff notification) that has not gone out."""
        return self.exclude(status=LeadStatus.SPAM).filter(
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

    # The workflow: every change of status or assignee ends in apply_change

    def change_status(self, new_status, by=None, *, expected=None):
        """Move every lead here to ``new_status``, recording one event each.

        The single-lead method and the bulk admin actions both end here, so
        no change escapes the history. ``expected`` (the status the staff
        member saw; None or NOT_CHECKED: no check) guards against overwriting
        a colleague's newer change. Returns how many leads changed.
        """
        if new_status not in LeadStatus.values:
            raise ValueError(f"Unknown lead status {new_status!r}")
        also = {}
        if new_status in CONTACTED_STATUSES:
            # Only the first contact stops the clock.
            also["first_contacted_at"] = Coalesce(
                "first_contacted_at",
                models.Value(timezone.now(), output_field=models.DateTimeField()),
            )
        return self.apply_change(
            "status",
            new_status,
            by=by,
            expected=NOT_CHECKED if expected is None else expected,
            kind=LeadEvent.Kind.STATUS,
            also=also,
        )

    def assign(self, user, by=None, *, expected=NOT_CHECKED):
        """Give every lead here to ``user`` (None: nobody), recording each.

        ``expected`` is the assignee the staff member saw: a user, None for
        nobody, or NOT_CHECKED to skip the check.
        """
        return self.apply_change(
            "assigned_to_id",
            user.pk if user is not None else None,
            by=by,
            expected=getattr(expected, "pk", expected),
            kind=LeadEvent.Kind.ASSIGNEE,
            # History keeps names, which stay readable after a user is gone.
            labels=_usernames,
        )

    def apply_change(self, field, new, *, by, expected, kind, labels=None, also=()):
        """Set ``field`` to ``new`` on every lead here: lock, compare, update, log.

        Rows are locked (``select_for_update``) in chunks, in primary-key
        order so two bulk actions cannot deadlock. If ``expected`` is given
        and any locked lead holds another value, ``LeadChangedError`` is
        raised and nothing is written. Leads already at ``new`` are left
        alone; each lead that changes gets one ``LeadEvent`` of ``kind``,
        its values turned into text by ``labels`` (a set of values to
        {value: text}; by default the values themselves). ``also`` holds
        further updates for the leads that change. Returns how many changed.
        """
        changed = 0
        pks = list(self.order_by().values_list("pk", flat=True))
        with transaction.atomic():
            for chunk in _chunks(pks):
                rows = list(
                    self.model.objects.select_for_update()
                    .filter(pk__in=chunk)
                    .order_by("pk")
                    .values_list("pk", field)
                )
                if expected is not NOT_CHECKED and any(
                    old != expected for _, old in rows
                ):
                    raise LeadChangedError(
                        f"{LeadEvent.Kind(kind).label} meanwhile by someone else."
                    )
                rows = [(pk, old) for pk, old in rows if old != new]
                if not rows:
                    continue
                self.model.objects.filter(pk__in=[pk for pk, _ in rows]).update(
                    **{field: new, "updated_at": timezone.now(), **dict(also)}
                )
                text = (labels or _as_text)({old for _, old in rows} | {new})
                LeadEvent.objects.bulk_create(
                    LeadEvent(
                        lead_id=pk,
                        kind=kind,
                        old_value=text.get(old, ""),
                        new_value=text.get(new, ""),
                        changed_by=by,
                    )
                    for pk, old in rows
                )
                changed += len(rows)
        return changed

    def anonymize(self):
        """Erase the personal data of these leads, keeping the statistics.

        Name, contact details, free text, an attached self-check, the referring
        clinician's details, the referrer and landing page (both may carry
        personal query strings) and all notes go; kind, status, interests,
        dates, source page, post and campaign stay for the dashboard. The
        admin's own change log, which names the lead, is scrubbed as well.
        """
        from django.contrib.admin.models import LogEntry
        from django.contrib.contenttypes.models import ContentType

        pks = list(self.order_by().values_list("pk", flat=True))
        now = timezone.now()
        content_type = ContentType.objects.get_for_model(self.model)
        with transaction.atomic():
            for chunk in _chunks(pks):
                self.model.objects.filter(pk__in=chunk).update(
                    full_name=ANONYMIZED_NAME,
                    email="",
                    phone="",
                    best_time_to_reach="",
                    heard_about_us="",
                    message="",
                    self_check=None,
                    referrer_name="",
                    referrer_role="",
                    referrer_practice="",
                    referrer_phone="",
                    referrer_email="",
                    referrer_npi="",
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

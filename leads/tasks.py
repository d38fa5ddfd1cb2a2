"""Background email for leads and subscribers: thin entry points over core.mail.

Tasks take primary keys and are enqueued in the same transaction as the row
they are about, so the database task table works as an outbox. Each row
records when its emails went out (``confirmation_sent_at``,
``notification_sent_at``): a task whose row already says "sent" does
nothing, and the sweep re-enqueues whatever is still unsent after a failed
task, a crashed worker or a lost task row. Building, suppression, failure
classification and the retry backoff are the mail pipeline's
(``core.mail.deliver``), the same for every email of the site.

Staff emails name no person and no condition: the lead's number and a link
to it in the back office. Emails to the person repeat nothing they wrote.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.tasks import task
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from core import mail
from core.models import ClinicProfile
from leads.models import Lead, Subscriber

logger = logging.getLogger(__name__)

SWEEP_WINDOW = timedelta(days=7)
SWEEP_GRACE = timedelta(minutes=5)
STALE_RUNNING = timedelta(minutes=15)


def stamp_now(model, pk, field):
    """What marks an email sent: ``field`` of row ``pk`` set to now."""
    return lambda: model.objects.filter(pk=pk).update(**{field: timezone.now()})


@task
def send_lead_confirmation(lead_id: int, attempt: int = 0) -> str:
    """Tell the person their request arrived, repeating nothing they wrote.

    For a referral, the referring clinician gets the acknowledgment (naming
    neither the patient nor the reason); the patient is not emailed.
    """
    lead = (
        Lead.objects.filter(pk=lead_id, confirmation_sent_at__isnull=True)
        .exclude(status=Lead.Status.SPAM)
        .first()
    )
    if lead is None or not lead.reply_address:
        return "nothing to send"
    clinic = ClinicProfile.current()
    what = "referral" if lead.is_referral else "request"
    template = "referral_acknowledgment" if lead.is_referral else "lead_confirmation"
    message = mail.build_email(
        f"leads/{template}",
        subject=f"We received your {what} — {clinic.name}",
        to=[lead.reply_address],
        context={"is_urgent": lead.is_urgent, "referrer_name": lead.referrer_name},
        # A reply reaches the front desk rather than an unread sender box.
        reply_to=[clinic.email] if clinic.email else None,
        headers={"Message-ID": mail.message_id("lead-confirmation", lead_id)},
    )
    return mail.deliver(
        message,
        task_function=send_lead_confirmation,
        pk=lead_id,
        attempt=attempt,
        mark_sent=stamp_now(Lead, lead_id, "confirmation_sent_at"),
    )


def notification_subject(lead) -> str:
    """The same few subjects for every lead: no name, no condition."""
    subject = "New referral" if lead.is_referral else "New consultation request"
    return f"Urgent: {subject}" if lead.is_urgent else subject


def notification_recipients(lead) -> list[str]:
    """The chosen location's own addresses when it has some, else the
    clinic's (LEADS_NOTIFY_EMAILS)."""
    own = lead.location.notification_email_list if lead.location else []
    return own or settings.LEADS_NOTIFY_EMAILS


@task
def send_lead_notification(lead_id: int, attempt: int = 0) -> str:
    """Tell the front desk a lead arrived: its number and admin link only."""
    lead = (
        Lead.objects.filter(pk=lead_id, notification_sent_at__isnull=True)
        .exclude(status=Lead.Status.SPAM)
        .select_related("location")
        .first()
    )
    recipients = notification_recipients(lead) if lead else []
    if lead is None or not recipients:
        return "nothing to send"
    message = mail.build_email(
        "leads/lead_notification",
        subject=notification_subject(lead),
        to=recipients,
        context={
            "subject": notification_subject(lead),
            "number": lead.pk,
            "admin_url": mail.absolute_url(lead.get_absolute_url()),
        },
        headers={"Message-ID": mail.message_id("lead-notification", lead_id)},
    )
    return mail.deliver(
        message,
        task_function=send_lead_notification,
        pk=lead_id,
        attempt=attempt,
        mark_sent=stamp_now(Lead, lead_id, "notification_sent_at"),
    )


@task
def send_subscription_confirmation(subscriber_id: int, attempt: int = 0) -> str:
    """The double opt-in email with the signed "confirm" link."""
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id,
        status=Subscriber.Status.PENDING,
        confirmation_sent_at__isnull=True,
    ).first()
    if subscriber is None:
        return "nothing to send"
    clinic = ClinicProfile.current()
    message = mail.build_email(
        "leads/subscribe_confirmation",
        subject=f"Please confirm your subscription to {clinic.name}",
        to=[subscriber.email],
        context={
            "is_weekly": subscriber.frequency == Subscriber.Frequency.WEEKLY,
            "confirm_url": subscriber.get_confirm_url(),
        },
    )

    return mail.deliver(
        message,
        task_function=send_subscription_confirmation,
        pk=subscriber_id,
        attempt=attempt,
        mark_sent=stamp_now(Subscriber, subscriber_id, "confirmation_sent_at"),
        on_bounce=marks_bounced(subscriber_id),
    )


def marks_bounced(subscriber_id):
    """What a subscriber email does when their address is refused for good."""

    def mark_bounced():
        now = timezone.now()
        Subscriber.objects.filter(pk=subscriber_id).update(
            status=Subscriber.Status.BOUNCED, bounced_at=now, updated_at=now
        )

    return mark_bounced


@task
def send_welcome_email(subscriber_id: int, attempt: int = 0) -> str:
    """Right after confirmation: what they will get, how often, how to change it."""
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id,
        status=Subscriber.Status.CONFIRMED,
        welcome_sent_at__isnull=True,
    ).first()
    if subscriber is None:
        return "nothing to send"
    clinic = ClinicProfile.current()
    topics = [] if subscriber.follows_all_topics else subscriber.topics.all()
    unsubscribe_url = subscriber.get_unsubscribe_url()
    message = mail.build_email(
        "leads/welcome",
        subject=f"Welcome to the {clinic.name} blog updates",
        to=[subscriber.email],
        context={
            "first_name": mail.clean_header(subscriber.first_name),
            "is_weekly": subscriber.frequency == Subscriber.Frequency.WEEKLY,
            "topics": [topic.name for topic in topics],
            "preferences_url": subscriber.get_preferences_url(),
            "unsubscribe_url": unsubscribe_url,
        },
        headers={
            "Message-ID": mail.message_id("subscriber-welcome", subscriber_id),
            **mail.bulk_headers(unsubscribe_url),
        },
    )
    return mail.deliver(
        message,
        task_function=send_welcome_email,
        pk=subscriber_id,
        attempt=attempt,
        mark_sent=stamp_now(Subscriber, subscriber_id, "welcome_sent_at"),
        on_bounce=marks_bounced(subscriber_id),
    )


def queued_task_keys(now) -> set[tuple[str, int]]:
    """(task path, pk) of email tasks already waiting or genuinely running."""
    if not isinstance(send_lead_confirmation.get_backend(), DatabaseBackend):
        return set()
    paths = [t.module_path for t in EMAIL_TASKS]
    rows = DBTaskResult.objects.filter(task_path__in=paths).filter(
        Q(status="READY") | Q(status="RUNNING", started_at__gte=now - STALE_RUNNING)
    )
    keys = set()
    for path, args_kwargs in rows.values_list("task_path", "args_kwargs"):
        args = args_kwargs.get("args") or [None]
        keys.add((path, args[0]))
    return keys


def enqueue_unsent_emails(now=None) -> int:
    """Re-enqueue every lead and sign-up email that has not gone out.

    Covers failed tasks whose retries ran out, tasks whose worker died
    (left "running" forever by the database backend) and lost task rows.
    Rows older than a week are left alone: a "we received your request"
    email that late would do more harm than good.
    """
    now = now or timezone.now()
    since, before = now - SWEEP_WINDOW, now - SWEEP_GRACE
    queued = queued_task_keys(now)
    wanted = []
    # Mail to a suppressed address would only be skipped again.
    staff = mail.deliverable(settings.LEADS_NOTIFY_EMAILS)
    leads = (
        Lead.objects.owing_emails(since, before)
        .select_related("location")
        .annotate(
            person_suppressed=mail.is_suppressed_expression("email"),
            referrer_suppressed=mail.is_suppressed_expression("referrer_email"),
        )
    )
    for lead in leads:
        suppressed = (
            lead.referrer_suppressed if lead.is_referral else lead.person_suppressed
        )
        if lead.confirmation_sent_at is None and lead.reply_address and not suppressed:
            wanted.append((send_lead_confirmation, lead.pk))
        own_staff = lead.location and lead.location.notification_email_list
        if lead.notification_sent_at is None and (own_staff or staff):
            wanted.append((send_lead_notification, lead.pk))
    owed_to_subscribers = (
        (
            send_subscription_confirmation,
            Subscriber.objects.owing_confirmation(since).filter(updated_at__lt=before),
        ),
        (
            send_welcome_email,
            Subscriber.objects.owing_welcome(since).filter(confirmed_at__lt=before),
        ),
    )
    for task_function, owed in owed_to_subscribers:
        owed = owed.exclude(mail.is_suppressed_expression("email"))
        wanted += [(task_function, pk) for pk in owed.values_list("pk", flat=True)]
    count = 0
    for task_function, pk in wanted:
        if (task_function.module_path, pk) not in queued:
            task_function.enqueue(pk)
            count += 1
    if count:
        logger.info("Re-enqueued %s unsent lead or sign-up emails", count)
    return count


EMAIL_TASKS = [
    send_lead_confirmation,
    send_lead_notification,
    send_subscription_confirmation,
    send_welcome_email,
]

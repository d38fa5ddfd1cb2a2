"""Background email for leads and subscribers.

Tasks take primary keys and are enqueued in the same transaction as the row
they are about, so the database task table works as an outbox. Each row
records when its emails went out (``confirmation_sent_at``,
``notification_sent_at``): a task whose row already says "sent" does
nothing, and the sweep re-enqueues whatever is still unsent after a failed
task, a crashed worker or a lost task row. The database backend never
retries a task by itself, so a failed send re-enqueues itself with backoff.

Nothing here logs addresses or message text, and exceptions are replaced by
ones without personal data before the task table stores their traceback.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from core.models import ClinicProfile
from leads.models import Lead, Subscriber
from leads.models.lead import Interest

logger = logging.getLogger(__name__)

SEND_ERRORS = (smtplib.SMTPException, OSError)
RETRY_LIMIT = 8
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 3600
SWEEP_WINDOW = timedelta(days=7)
SWEEP_GRACE = timedelta(minutes=5)
STALE_RUNNING = timedelta(minutes=15)


class EmailNotSent(Exception):
    """Sending failed for good; the message names no person."""


def build_email(template, subject, to, context, reply_to=None):
    """A text and HTML email from templates/leads/email/<template>.txt/.html."""
    context = {
        "clinic": ClinicProfile.current(),
        "site_url": settings.SITE_URL,
        **context,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"leads/email/{template}.txt", context),
        to=to,
        reply_to=reply_to,
    )
    message.attach_alternative(
        render_to_string(f"leads/email/{template}.html", context), "text/html"
    )
    return message


def retry_delay(attempt: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2**attempt, RETRY_MAX_SECONDS))


def is_permanent_refusal(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return False


def deliver(message, *, task_function, pk, attempt, mark_sent, on_refused=None):
    """Send one message; on failure re-enqueue ``task_function`` with backoff."""
    name = task_function.name
    try:
        message.send()
    except SEND_ERRORS as error:
        if is_permanent_refusal(error):
            logger.warning("%s pk=%s: the mail server refused the address", name, pk)
            if on_refused:
                on_refused()
            return "refused"
        reason = type(error).__name__
        backend = task_function.get_backend()
        if attempt + 1 >= RETRY_LIMIT or not backend.supports_defer:
            logger.error("%s pk=%s failed (%s); left for the sweep", name, pk, reason)
            raise EmailNotSent(f"{name} pk={pk}: {reason}") from None
        run_after = timezone.now() + retry_delay(attempt)
        task_function.using(run_after=run_after).enqueue(pk, attempt + 1)
        logger.warning("%s pk=%s failed (%s); retry %s", name, pk, reason, attempt + 1)
        return "retry scheduled"
    mark_sent()
    return "sent"


@task
def send_lead_confirmation(lead_id: int, attempt: int = 0) -> str:
    """Tell the person their request arrived (without repeating their message)."""
    lead = (
        Lead.objects.filter(pk=lead_id, confirmation_sent_at__isnull=True)
        .exclude(status=Lead.Status.SPAM)
        .first()
    )
    if lead is None:
        return "nothing to send"
    clinic = ClinicProfile.current()
    message = build_email(
        "lead_confirmation",
        f"We received your request — {clinic.name}",
        [lead.email],
        {"lead": lead},
        # A reply reaches the front desk rather than an unread sender box.
        reply_to=[clinic.email] if clinic.email else None,
    )
    return deliver(
        message,
        task_function=send_lead_confirmation,
        pk=lead_id,
        attempt=attempt,
        mark_sent=lambda: Lead.objects.filter(pk=lead_id).update(
            confirmation_sent_at=timezone.now()
        ),
    )


@task
def send_lead_notification(lead_id: int, attempt: int = 0) -> str:
    """Tell the front desk about a new lead: name, interests, urgency, admin link."""
    recipients = settings.LEADS_NOTIFY_EMAILS
    lead = (
        Lead.objects.filter(pk=lead_id, notification_sent_at__isnull=True)
        .exclude(status=Lead.Status.SPAM)
        .first()
    )
    if lead is None or not recipients:
        return "nothing to send"
    prefix = "URGENT — " if lead.is_urgent else ""
    interests = [Interest(value).label for value in lead.interests if value in Interest]
    message = build_email(
        "lead_notification",
        f"{prefix}New consultation request from {lead.full_name}",
        recipients,
        {
            "lead": lead,
            "interests": interests,
            "admin_url": settings.SITE_URL + lead.get_absolute_url(),
        },
    )
    return deliver(
        message,
        task_function=send_lead_notification,
        pk=lead_id,
        attempt=attempt,
        mark_sent=lambda: Lead.objects.filter(pk=lead_id).update(
            notification_sent_at=timezone.now()
        ),
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
    message = build_email(
        "subscribe_confirmation",
        f"Please confirm your subscription to {clinic.name}",
        [subscriber.email],
        {"subscriber": subscriber, "confirm_url": subscriber.get_confirm_url()},
    )

    def mark_bounced():
        now = timezone.now()
        Subscriber.objects.filter(pk=subscriber_id).update(
            status=Subscriber.Status.BOUNCED, bounced_at=now, updated_at=now
        )

    return deliver(
        message,
        task_function=send_subscription_confirmation,
        pk=subscriber_id,
        attempt=attempt,
        mark_sent=lambda: Subscriber.objects.filter(pk=subscriber_id).update(
            confirmation_sent_at=timezone.now()
        ),
        on_refused=mark_bounced,
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
    for lead in Lead.objects.owing_emails(since, before):
        if lead.confirmation_sent_at is None:
            wanted.append((send_lead_confirmation, lead.pk))
        if lead.notification_sent_at is None and settings.LEADS_NOTIFY_EMAILS:
            wanted.append((send_lead_notification, lead.pk))
    for pk in (
        Subscriber.objects.owing_confirmation(since)
        .filter(updated_at__lt=before)
        .values_list("pk", flat=True)
    ):
        wanted.append((send_subscription_confirmation, pk))
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
]

"""Claiming owed deliveries and sending them, one SMTP connection per batch.

A batch claims up to NEWSLETTER_BATCH_SIZE deliveries (``SELECT ... FOR
UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises writers, and the claim
is a conditional UPDATE either way), then marks each row sent as soon as the
mail server has accepted it.
"""

import contextlib
import logging
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from time import monotonic

from django.conf import settings
from django.core.mail import mailers
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leads.models import Subscriber
from newsletter.emails import MessageBuilder
from newsletter.models import Delivery

logger = logging.getLogger(__name__)

CLAIM_RENEWAL_SECONDS = 60


@dataclass
class BatchResult:
    """What one batch did, by outcome."""

    claimed: int = 0
    counts: dict = field(default_factory=dict)

    def add(self, outcome):
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def claim_batch(token: str, size: int, now=None) -> int:
    """Mark up to ``size`` claimable deliveries as being sent by ``token``.

    On PostgreSQL the rows are locked with SKIP LOCKED, so concurrent
    claimers pass each other by; the UPDATE re-checks that each row is still
    claimable, so even without row locks no row is ever claimed twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        candidates = (
            Delivery.objects.claimable(now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        return (
            Delivery.objects.claimable(now)
            .filter(pk__in=list(candidates))
            .update(
                status=Delivery.Status.SENDING,
                claimed_by=token,
                claimed_at=now,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
        )


def send_batch(size: int | None = None) -> BatchResult:
    """Claim one batch of owed deliveries and send it over one SMTP connection."""
    token = uuid.uuid4().hex
    result = BatchResult(
        claimed=claim_batch(token, size or settings.NEWSLETTER_BATCH_SIZE)
    )
    if not result.claimed:
        return result
    deliveries = list(
        Delivery.objects.filter(claimed_by=token, status=Delivery.Status.SENDING)
        .select_related("subscriber", "digest")
        .order_by("pk")
    )
    builder = MessageBuilder()
    connection = mailers.default
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        for delivery in deliveries:
            _retry_later(delivery, token, _describe(error))
            result.add("retry")
        logger.warning(
            "Mail server unavailable (%s); batch will be retried", _code(error)
        )
        return result
    renewed = monotonic()
    try:
        for index, delivery in enumerate(deliveries):
            if monotonic() - renewed > CLAIM_RENEWAL_SECONDS:
                _renew_claim(token)
                renewed = monotonic()
            outcome = _send_one(connection, builder, delivery, token)
            result.add(outcome)
            if outcome == "disconnected":
                for rest in deliveries[index + 1 :]:
                    _retry_later(rest, token, "The mail server closed the connection.")
                    result.add("retry")
                break
    finally:
        with contextlib.suppress(OSError):  # smtplib's errors are OSErrors too
            connection.close()
    logger.info("Newsletter batch: %s", result.counts)
    return result


def _renew_claim(token):
    """Tell other workers this batch is alive (a slow mail server is not a
    dead worker)."""
    Delivery.objects.filter(claimed_by=token, status=Delivery.Status.SENDING).update(
        claimed_at=timezone.now()
    )


def _send_one(connection, builder, delivery, token) -> str:
    now = timezone.now()
    # Right before sending, check that the row is still this batch's and that
    # the person is still subscribed (someone may unsubscribe mid-send). A
    # read, so it costs no commit.
    still_wanted = Delivery.objects.filter(
        pk=delivery.pk,
        claimed_by=token,
        status=Delivery.Status.SENDING,
        subscriber__status=Subscriber.Status.CONFIRMED,
    ).exists()
    if not still_wanted:
        skipped = Delivery.objects.filter(
            pk=delivery.pk, claimed_by=token, status=Delivery.Status.SENDING
        ).update(status=Delivery.Status.SKIPPED, claimed_by="", updated_at=now)
        return "skipped" if skipped else "lost_claim"
    try:
        message = builder.build(delivery)
    except Exception as error:  # a broken post must not stop the batch
        logger.exception("Could not build newsletter delivery %s", delivery.pk)
        _retry_later(delivery, token, f"Could not build the email: {error}")
        return "retry"
    if message is None:
        _finish(delivery, token, Delivery.Status.SKIPPED, "Nothing left to send.")
        return "skipped"
    try:
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        code, _ = next(iter(error.recipients.values()), (0, b""))
        if 500 <= code < 600:
            _bounce(delivery, token, _describe(error))
            return "bounced"
        _retry_later(delivery, token, _describe(error))
        return "retry"
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPSenderRefused) as error:
        _retry_later(delivery, token, _describe(error))
        return "disconnected"
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            _finish(delivery, token, Delivery.Status.FAILED, _describe(error))
            return "failed"
        _retry_later(delivery, token, _describe(error))
        return "retry"
    except (ValueError, UnicodeError) as error:  # an address SMTP cannot carry
        _finish(delivery, token, Delivery.Status.FAILED, f"Invalid address: {error}")
        return "failed"
    except OSError as error:  # socket errors and timeouts: the connection is gone
        _retry_later(delivery, token, _describe(error))
        return "disconnected"
    Delivery.objects.filter(pk=delivery.pk, claimed_by=token).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        claimed_by="",
        last_error="",
        updated_at=timezone.now(),
    )
    return "sent"


def _finish(delivery, token, status, error=""):
    Delivery.objects.filter(pk=delivery.pk, claimed_by=token).update(
        status=status, claimed_by="", last_error=error[:500], updated_at=timezone.now()
    )


def _bounce(delivery, token, error):
    """A permanent refusal: stop all mail to that address."""
    now = timezone.now()
    with transaction.atomic():
        _finish(delivery, token, Delivery.Status.BOUNCED, error)
        Subscriber.objects.filter(
            pk=delivery.subscriber_id, status=Subscriber.Status.CONFIRMED
        ).update(status=Subscriber.Status.BOUNCED, bounced_at=now, updated_at=now)


def _retry_later(delivery, token, error):
    """A temporary failure: back off exponentially, then give up."""
    now = timezone.now()
    attempts = max(delivery.attempts, 1)  # already counted when it was claimed
    if attempts >= settings.NEWSLETTER_MAX_ATTEMPTS:
        _finish(delivery, token, Delivery.Status.FAILED, error)
        return
    delay = settings.NEWSLETTER_RETRY_SECONDS * 2 ** (attempts - 1)
    Delivery.objects.filter(pk=delivery.pk, claimed_by=token).update(
        status=Delivery.Status.QUEUED,
        claimed_by="",
        next_attempt_at=now + timedelta(seconds=delay),
        last_error=error[:500],
        updated_at=now,
    )


def _code(error):
    return getattr(error, "smtp_code", None) or type(error).__name__


def _describe(error) -> str:
    """A short description for the admin (may name the address; never logged)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (0, b""))
        return f"Refused by the mail server: {code} {_text(text)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"Mail server answered {error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(value):
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)

"""Claiming owed deliveries and sending them, one SMTP connection per batch.

A batch claims up to NEWSLETTER_BATCH_SIZE deliveries (``SELECT ... FOR
UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises writers, and the claim
is a conditional UPDATE either way), then marks each row sent as soon as the
mail server has accepted it. Suppression, the classification of failures
and the backoff are the mail pipeline's (``core.mail``), shared with every
other email of the site; this module maps its outcomes onto delivery rows.
"""

import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from time import monotonic

from django.conf import settings
from django.core.mail import mailers
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import mail
from core.mail import Outcome
from core.mail.failures import SEND_ERRORS
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
        outcome = str(outcome)
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
    except SEND_ERRORS as error:
        for delivery in deliveries:
            _retry_later(delivery, token, mail.describe(error))
            result.add(Outcome.RETRY)
        logger.warning(
            "Mail server unavailable (%s); batch will be retried",
            mail.log_reason(error),
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
            if outcome == Outcome.DISCONNECTED:
                for rest in deliveries[index + 1 :]:
                    _retry_later(rest, token, "The mail server closed the connection.")
                    result.add(Outcome.RETRY)
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
        return Outcome.SKIPPED if skipped else "lost_claim"
    try:
        message = builder.build(delivery)
    except Exception as error:  # a broken post must not stop the batch
        logger.exception("Could not build newsletter delivery %s", delivery.pk)
        _retry_later(delivery, token, f"Could not build the email: {error}")
        return Outcome.RETRY
    if message is None:
        _finish(delivery, token, Delivery.Status.SKIPPED, "Nothing left to send.")
        return Outcome.SKIPPED
    sent = mail.send(message, connection)
    if sent.outcome == Outcome.SENT:
        Delivery.objects.filter(pk=delivery.pk, claimed_by=token).update(
            status=Delivery.Status.SENT,
            sent_at=timezone.now(),
            claimed_by="",
            last_error="",
            updated_at=timezone.now(),
        )
    elif sent.outcome == Outcome.BOUNCED:
        _bounce(delivery, token, sent.error)
    elif sent.outcome in (Outcome.SKIPPED, Outcome.FAILED):
        status = Delivery.Status(sent.outcome)  # same names: skipped, failed
        _finish(delivery, token, status, sent.error)
    else:
        _retry_later(delivery, token, sent.error)
    return str(sent.outcome)


def _finish(delivery, token, status, error=""):
    Delivery.objects.filter(pk=delivery.pk, claimed_by=token).update(
        status=status, claimed_by="", last_error=error[:500], updated_at=timezone.now()
    )


def _bounce(delivery, token, error):
    """A permanent refusal: the pipeline has suppressed the address; the
    subscriber shows as bounced too."""
    now = timezone.now()
    with transaction.atomic():
        _finish(delivery, token, Delivery.Status.BOUNCED, error)
        Subscriber.objects.filter(
            pk=delivery.subscriber_id, status=Subscriber.Status.CONFIRMED
        ).update(status=Subscriber.Status.BOUNCED, bounced_at=now, updated_at=now)


def _retry_later(delivery, token, error):
    """A temporary failure: back off with the pipeline's rule, then give up."""
    now = timezone.now()
    attempts = max(delivery.attempts, 1)  # already counted when it was claimed
    if not mail.may_retry(attempts):
        _finish(delivery, token, Delivery.Status.FAILED, error)
        return
    Delivery.objects.filter(pk=delivery.pk, claimed_by=token).update(
        status=Delivery.Status.QUEUED,
        claimed_by="",
        next_attempt_at=now + mail.retry_delay(attempts),
        last_error=error[:500],
        updated_at=now,
    )

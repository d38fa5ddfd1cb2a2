"""Claiming owed deliveries and sending them, one SMTP connection per batch.

A batch claims up to NEWSLETTER_BATCH_SIZE deliveries (``SELECT ... FOR
UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises writers, and the claim
is a conditional UPDATE either way), renders each mailing once, then sends
the serialised bytes with each reader's links put in. Each row is marked
sent once the mail server has accepted it, before the next email's data
goes (the mark's round trip overlaps the server reading the next email's
envelope). Suppression, the classification of failures and the backoff are
the mail pipeline's (``core.mail``), shared with every other email of the
site; this module maps its outcomes onto delivery rows.
"""

import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from time import monotonic

from django.conf import settings
from django.core.mail import mailers
from django.db import connection as database
from django.db import transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone

from core import mail
from core.mail import Outcome
from core.mail.failures import SEND_ERRORS
from core.mail.sending import SENT, PreparedSender, can_send_prepared
from core.models import ClinicProfile
from leads.models import Subscriber
from newsletter import throttle
from newsletter.emails import MessageBuilder
from newsletter.models import Delivery

logger = logging.getLogger(__name__)

CLAIM_RENEWAL_SECONDS = 60
# Deliveries checked in one read right before they are sent.
CHECK_EVERY = 50


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
    if not ClinicProfile.current().has_postal_address:
        return BatchResult()  # CAN-SPAM: queued mail waits for the address
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
    # Only a digest asks which topics its reader follows.
    prefetch_related_objects(
        [delivery.subscriber for delivery in deliveries if delivery.digest_id],
        "topics",
    )
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
    try:
        with _commits_without_flush_wait(), database.cursor() as marks:
            _Batch(token, connection, result, marks).send(deliveries)
    except BaseException:
        _drop(connection)
        raise
    finally:
        with contextlib.suppress(OSError):  # smtplib's errors are OSErrors too
            connection.close()
    logger.info("Newsletter batch: %s", result.counts)
    return result


def _drop(connection):
    """Close an SMTP connection without a QUIT: the server may be reading an
    email's data, and would take a QUIT for more of it (and wait out the
    timeout)."""
    if can_send_prepared(connection):
        with contextlib.suppress(OSError):
            connection.connection.close()


class _Batch:
    """Sends claimed deliveries over one open connection and records each
    outcome on its row.

    Over SMTP the emails go as prepared bytes, and the row of each email the
    server accepted is marked sent (committed on its own) while the server
    reads the next email's envelope, before that email's data goes. Other
    mailers (a provider's API) send one email at a time.
    """

    def __init__(self, token, connection, result, marks):
        self.token = token
        self.connection = connection
        self.result = result
        self.marks = marks  # one cursor for every mark of the batch
        self.builder = MessageBuilder()
        self.sender = (
            PreparedSender(connection) if can_send_prepared(connection) else None
        )
        self.accepted = None  # sent, not yet marked
        self.disconnected = False

    def send(self, deliveries):
        renewed = monotonic()
        wanted = set()
        for index, delivery in enumerate(deliveries):
            if monotonic() - renewed > CLAIM_RENEWAL_SECONDS:
                _renew_claim(self.token)
                renewed = monotonic()
            if index % CHECK_EVERY == 0:
                wanted = _still_wanted(
                    deliveries[index : index + CHECK_EVERY], self.token
                )
            if self.disconnected:
                self.retry_after_disconnect(deliveries[index:])
                return
            if throttle.limits():
                self.settle()  # the wait may be long
                wait = throttle.wait_for_slot()
                if wait:
                    _release(deliveries[index:], self.token, wait)
                    self.result.add("rate_limited")
                    return
            self.send_one(delivery, delivery.pk in wanted)
        self.settle()

    def send_one(self, delivery, still_wanted):
        if not still_wanted:
            self.result.add(_skip(delivery, self.token))
            return
        try:
            data = self.builder.wire(delivery) if self.sender else None
            message = None if data else self.builder.build(delivery)
        except Exception as error:  # a broken post must not stop the batch
            logger.exception("Could not build newsletter delivery %s", delivery.pk)
            _retry_later(delivery, self.token, f"Could not build the email: {error}")
            self.result.add(Outcome.RETRY)
            return
        if data:
            self.send_prepared(delivery, data)
            return
        self.settle()
        if message is None:
            _finish(
                delivery, self.token, Delivery.Status.SKIPPED, "Nothing left to send."
            )
            self.result.add(Outcome.SKIPPED)
            return
        self.record(delivery, mail.send(message, self.connection, checked=True))

    def send_prepared(self, delivery, data):
        self.sender.begin(data, delivery.subscriber.email)
        self.settle()  # while the server reads this email's envelope
        sent = self.sender.finish()
        if sent.outcome == Outcome.SENT:
            self.accepted = delivery
        else:
            self.record(delivery, sent)
            self.disconnected |= self.sender.closed

    def settle(self):
        """Record the email the server last accepted."""
        if self.accepted:
            delivery, self.accepted = self.accepted, None
            self.record(delivery, SENT)

    def retry_after_disconnect(self, deliveries):
        for delivery in deliveries:
            _retry_later(delivery, self.token, "The mail server closed the connection.")
            self.result.add(Outcome.RETRY)

    def record(self, delivery, sent):
        if sent.outcome == Outcome.SENT:
            _mark_sent(self.marks, delivery, self.token)
        elif sent.outcome == Outcome.BOUNCED:
            _bounce(delivery, self.token, sent.error)
        elif sent.outcome in (Outcome.SKIPPED, Outcome.FAILED):
            status = Delivery.Status(sent.outcome)  # same names: skipped, failed
            _finish(delivery, self.token, status, sent.error)
        else:
            _retry_later(delivery, self.token, sent.error)
            self.disconnected |= sent.outcome == Outcome.DISCONNECTED
        self.result.add(sent.outcome)


def _renew_claim(token):
    """Tell other workers this batch is alive (a slow mail server is not a
    dead worker)."""
    Delivery.objects.filter(claimed_by=token, status=Delivery.Status.SENDING).update(
        claimed_at=timezone.now()
    )


def _still_wanted(deliveries, token) -> set[int]:
    """Which of these deliveries may go out now: still this batch's, the
    person still subscribed (someone may unsubscribe mid-send) and the
    address not suppressed. One read for CHECK_EVERY emails, right before
    they are sent."""
    return set(
        Delivery.objects.filter(
            pk__in=[delivery.pk for delivery in deliveries],
            claimed_by=token,
            status=Delivery.Status.SENDING,
            subscriber__status=Subscriber.Status.CONFIRMED,
        )
        .exclude(mail.is_suppressed_expression("subscriber__email"))
        .values_list("pk", flat=True)
    )


def _skip(delivery, token) -> str:
    """Record that a delivery no longer goes out (unsubscribed or suppressed)."""
    why = ""
    if mail.suppressed([delivery.subscriber.email]):
        why = "The address is on the suppression list."
    skipped = Delivery.objects.filter(
        pk=delivery.pk, claimed_by=token, status=Delivery.Status.SENDING
    ).update(
        status=Delivery.Status.SKIPPED,
        claimed_by="",
        last_error=why,
        updated_at=timezone.now(),
    )
    return Outcome.SKIPPED if skipped else "lost_claim"


def _mark_sent(cursor, delivery, token):
    """Record a send, committed on its own.

    Plain SQL, because compiling the ORM's UPDATE took half as long as the
    mail server took to accept the email."""
    now = database.ops.adapt_datetimefield_value(timezone.now())
    cursor.execute(
        MARK_SENT, [Delivery.Status.SENT.value, now, now, delivery.pk, token]
    )


MARK_SENT = (
    f"UPDATE {Delivery._meta.db_table}"
    " SET status = %s, sent_at = %s, updated_at = %s, claimed_by = '', last_error = ''"
    " WHERE id = %s AND claimed_by = %s"
)


@contextlib.contextmanager
def _commits_without_flush_wait():
    """On PostgreSQL, while a batch sends, commit without waiting for the
    disk flush. A worker that dies right after a send still leaves its row
    marked (the server has the commit); only a crash of the database server
    itself could lose the last fraction of a second of marks, and those
    emails would go again with the same Message-ID."""
    if database.vendor != "postgresql":
        yield
        return
    with database.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with database.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


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


def _release(deliveries, token, seconds):
    """Hand claimed deliveries back, due in ``seconds``: a rate limit is not a
    failed attempt."""
    now = timezone.now()
    Delivery.objects.filter(
        pk__in=[delivery.pk for delivery in deliveries],
        claimed_by=token,
        status=Delivery.Status.SENDING,
    ).update(
        status=Delivery.Status.QUEUED,
        claimed_by="",
        attempts=F("attempts") - 1,
        next_attempt_at=now + timedelta(seconds=seconds),
        updated_at=now,
    )


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

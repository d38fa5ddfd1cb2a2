"""Sending one email through the pipeline, from a batch or from a task.

``send()`` leaves out suppressed recipients, sends, classifies any failure
with the one rule of ``failures`` and suppresses addresses refused for good.
``deliver()`` is the same for a task that sends one email: it re-enqueues the
task with the shared backoff, up to MAIL_MAX_ATTEMPTS tries.

Nothing here logs addresses or message text.
"""

import contextlib
import logging
import re
import smtplib
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.mail import mailers
from django.core.mail.backends import smtp
from django.utils import timezone

from core.mail.failures import (
    SEND_ERRORS,
    Failure,
    bounced_addresses,
    classify,
    describe,
    log_reason,
    may_retry,
    retry_delay,
)
from core.mail.suppression import deliverable, suppress

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # every recipient is suppressed: nothing was sent
    BOUNCED = "bounced"  # refused for good; the addresses are now suppressed
    FAILED = "failed"  # refused for good for another reason (content, address)
    RETRY = "retry"  # a temporary refusal
    DISCONNECTED = "disconnected"  # the connection broke; retry this and the rest


OUTCOME_OF_FAILURE = {
    Failure.TEMPORARY: Outcome.RETRY,
    Failure.CONNECTION_LOST: Outcome.DISCONNECTED,
}


@dataclass(frozen=True)
class Result:
    """How one send went; ``error`` may name an address (admin only, never logs)."""

    outcome: Outcome
    error: str = ""
    reason: str = ""  # for logs: an SMTP code or an exception's class


class EmailNotSent(Exception):
    """Sending failed for good; the message names no person."""


def send(message, connection=None, *, checked=False) -> Result:
    """Send ``message`` to its recipients that are not suppressed.

    ``connection`` is an open mailer when a batch shares one; otherwise the
    default mailer opens and closes its own. ``checked``: the caller has just
    left out suppressed addresses itself (a batch does, in one query).
    """
    if not checked and not _drop_suppressed(message):
        return Result(Outcome.SKIPPED, "The address is on the suppression list.")
    try:
        (connection or mailers.default).send_messages([message])
    except SEND_ERRORS as error:
        return _failed(error)
    return Result(Outcome.SENT)


def can_send_prepared(connection) -> bool:
    """Whether ``connection`` is an open SMTP session (not a provider's API)."""
    return (
        isinstance(connection, smtp.EmailBackend) and connection.connection is not None
    )


# A dot-atom address of ASCII letters, digits and ``_+-`` is its own
# addr-spec: prep_address() would parse it (slowly) and return it unchanged.
PLAIN_ADDRESS = re.compile(
    r"[\w+-]+(\.[\w+-]+)*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*", re.ASCII
)


class PreparedSender:
    """Sends messages already serialised for SMTP (a batch builds each
    mailing's bytes once) over one open SMTP connection, to recipients the
    caller has checked against the suppression list; failures classified as
    for ``send()``."""

    def __init__(self, connection):
        self.connection = connection
        self.sender = connection.prep_address(settings.DEFAULT_FROM_EMAIL)

    def send(self, data: bytes, recipient: str, meanwhile=None) -> Result:
        """Send ``data`` to ``recipient`` as ``smtplib.SMTP.sendmail()`` would.

        ``meanwhile()`` runs while the server reads MAIL FROM: a batch records
        the email before as sent there, so that database round trip overlaps
        this one, and still ends before this email's data goes.
        """
        try:
            if not PLAIN_ADDRESS.fullmatch(recipient):
                recipient = self.connection.prep_address(recipient)
            self._send(data, recipient, meanwhile)
        except SEND_ERRORS as error:
            return _failed(error)
        return Result(Outcome.SENT)

    def _send(self, data, recipient, meanwhile):
        smtp = self.connection.connection
        smtp.ehlo_or_helo_if_needed()
        size = f" size={len(data)}" if smtp.has_extn("size") else ""
        smtp.putcmd("mail", f"from:{smtplib.quoteaddr(self.sender)}{size}")
        if meanwhile:
            meanwhile()
        code, reply = smtp.getreply()
        if code != 250:
            self._abandon(code)
            raise smtplib.SMTPSenderRefused(code, reply, self.sender)
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            self._abandon(code)
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        code, reply = smtp.data(data)
        if code != 250:
            self._abandon(code)
            raise smtplib.SMTPDataError(code, reply)

    def _abandon(self, code):
        """End a refused transaction as sendmail() does: reset, or close on 421."""
        smtp = self.connection.connection
        if code == 421:
            smtp.close()
            return
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            smtp.rset()


def _drop_suppressed(message) -> bool:
    """Remove suppressed recipients; whether anyone is left."""
    message.to = deliverable(message.to)
    message.cc = deliverable(message.cc)
    message.bcc = deliverable(message.bcc)
    return bool(message.recipients())


def _failed(error) -> Result:
    failure = classify(error)
    bounced = bounced_addresses(error)
    if bounced:
        suppress(bounced, detail=describe(error))
    if failure is Failure.PERMANENT:
        outcome = Outcome.BOUNCED if bounced else Outcome.FAILED
    else:
        outcome = OUTCOME_OF_FAILURE[failure]
    return Result(outcome, describe(error), log_reason(error))


def deliver(message, *, task_function, pk, attempt, mark_sent, on_bounce=None):
    """Send one task's email; on a temporary failure re-enqueue the task.

    ``attempt`` counts from 0, as the task's argument does. ``mark_sent``
    records the send on the task's row (the outbox); ``on_bounce`` lets the
    caller mark its own row when the address is refused for good. A task that
    runs out of tries raises ``EmailNotSent``, leaving its row for the sweep.
    """
    name = task_function.name
    result = send(message)
    if result.outcome is Outcome.SENT:
        mark_sent()
    elif result.outcome is Outcome.SKIPPED:
        logger.info("%s pk=%s: address suppressed, not sent", name, pk)
    elif result.outcome is Outcome.BOUNCED:
        logger.warning("%s pk=%s: the mail server refused the address", name, pk)
        if on_bounce:
            on_bounce()
    elif result.outcome is Outcome.FAILED:
        logger.error("%s pk=%s refused (%s)", name, pk, result.reason)
        raise EmailNotSent(f"{name} pk={pk}: refused ({result.reason})")
    else:
        _retry(task_function, pk, attempt, result.reason)
        return "retry scheduled"
    return str(result.outcome)


def _retry(task_function, pk, attempt, reason):
    name = task_function.name
    tries = attempt + 1
    if not may_retry(tries) or not task_function.get_backend().supports_defer:
        logger.error("%s pk=%s failed (%s); left for the sweep", name, pk, reason)
        raise EmailNotSent(f"{name} pk={pk}: {reason}")
    run_after = timezone.now() + retry_delay(tries)
    task_function.using(run_after=run_after).enqueue(pk, tries)
    logger.warning("%s pk=%s failed (%s); retry %s", name, pk, reason, tries)

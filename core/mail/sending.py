"""Sending one email through the pipeline, from a batch or from a task.

``send()`` leaves out suppressed recipients, sends, classifies any failure
with the one rule of ``failures`` and suppresses addresses refused for good.
``deliver()`` is the same for a task that sends one email: it re-enqueues the
task with the shared backoff, up to MAIL_MAX_ATTEMPTS tries.
``PreparedSender`` sends a batch's prepared bytes over one SMTP connection.

Nothing here logs addresses or message text.
"""

import contextlib
import logging
import re
import smtplib
from dataclasses import dataclass, field
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


SENT = Result(Outcome.SENT)


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
    return SENT


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
    mailing's bytes once) over one open SMTP connection, in two steps, so
    that the caller's bookkeeping overlaps the mail server's work.

    ``begin()`` puts an email's envelope on the wire and returns at once:
    MAIL FROM, or, where the server offers PIPELINING (RFC 2920), MAIL FROM,
    RCPT TO and DATA together. ``finish()`` reads the replies, sends the
    data and says how it went. In between, the caller records the email
    before while the server reads this one's envelope. The data goes only in
    ``finish()``, so a worker killed at any point leaves at most one accepted
    email unrecorded. Recipients are the caller's to check against the
    suppression list; failures are classified as for ``send()``.
    """

    def __init__(self, connection):
        self.connection = connection
        self.sender = connection.prep_address(settings.DEFAULT_FROM_EMAIL)
        self._mail_from = f"from:{smtplib.quoteaddr(self.sender)}"
        self._begun = None

    def begin(self, data: bytes, recipient: str):
        """Send the email's envelope, as much of it as may go before a reply."""
        self._begun = _Begun(data, recipient)
        try:
            smtp = self.connection.connection
            smtp.ehlo_or_helo_if_needed()
            size_option = f" size={len(data)}" if smtp.has_extn("size") else ""
            self._begun.envelope = [
                f"mail {self._mail_from}{size_option}\r\n",
                f"rcpt TO:{_quoted(self.connection, recipient)}\r\n",
                "data\r\n",
            ]
            self._begun.pipelined = smtp.has_extn("pipelining")
            at_once = len(ACCEPTED) if self._begun.pipelined else 1
            smtp.send("".join(self._begun.envelope[:at_once]))
        except SEND_ERRORS as error:
            self._begun.error = error

    def finish(self) -> Result:
        """Complete the email begun: how it went."""
        begun, self._begun = self._begun, None
        error = begun.error or self._complete(begun)
        return SENT if error is None else _failed(error)

    @property
    def closed(self) -> bool:
        """Whether the connection is gone (the server said 421, or it broke)."""
        return getattr(self.connection.connection, "sock", None) is None

    def _complete(self, begun):
        """The rest of the transaction; the error that refused it, if any."""
        smtp = self.connection.connection
        try:
            if begun.pipelined:
                replies = self._pipelined_replies(smtp)
            else:
                replies = self._replies_in_turn(smtp, begun.envelope[1:])
            refusal = self._refusal(replies, begun.recipient)
            if refusal is None:
                smtp.send(dot_stuffed(begun.data))
                code, reply = smtp.getreply()
                if code == 250:
                    return None
                replies.append((code, reply))
                refusal = smtplib.SMTPDataError(code, reply)
        except SEND_ERRORS as error:
            return error
        self._abandon(smtp, replies)
        return refusal

    @staticmethod
    def _replies_in_turn(smtp, commands):
        """The reply to MAIL FROM, then to each next command, sent only once
        the one before was accepted."""
        replies = [smtp.getreply()]
        for command, accepted in zip(commands, ACCEPTED, strict=False):
            if replies[-1][0] not in accepted:
                break
            smtp.send(command)
            replies.append(smtp.getreply())
        return replies

    @staticmethod
    def _pipelined_replies(smtp):
        """The replies to the envelope sent at once, up to a 421 (the server
        is closing the connection and says no more)."""
        replies = []
        for _ in ACCEPTED:
            replies.append(smtp.getreply())
            if replies[-1][0] == CLOSING:
                break
        return replies

    def _refusal(self, replies, recipient):
        """The error sendmail() raises for the first envelope command
        refused, or None."""
        for step, (code, reply) in enumerate(replies):
            if code in ACCEPTED[step]:
                continue
            if step == 0:
                return smtplib.SMTPSenderRefused(code, reply, self.sender)
            if step == 1:
                return smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
            return smtplib.SMTPDataError(code, reply)
        return None

    @staticmethod
    def _abandon(smtp, replies):
        """End a refused transaction as sendmail() does: reset, or close on
        421. A DATA the server accepted after refusing the recipient
        (pipelined) is first ended with an empty message. A reset that fails
        leaves the connection closed."""
        codes = [code for code, _ in replies]
        if CLOSING in codes:
            smtp.close()
            return
        with contextlib.suppress(OSError):  # smtplib's errors are OSErrors too
            if codes[-1] == 354:
                smtp.send(b".\r\n")
                smtp.getreply()
            smtp.rset()


@dataclass
class _Begun:
    """An email between ``begin()`` and ``finish()``."""

    data: bytes
    recipient: str
    envelope: list = field(default_factory=list)
    pipelined: bool = False
    error: Exception | None = None


# The replies that let MAIL FROM, RCPT TO and DATA go on.
ACCEPTED = ((250,), (250, 251), (354,))
CLOSING = 421


def _quoted(connection, recipient):
    if PLAIN_ADDRESS.fullmatch(recipient):
        return f"<{recipient}>"
    return smtplib.quoteaddr(connection.prep_address(recipient))


def dot_stuffed(data: bytes) -> bytes:
    """The message as DATA sends it, end mark included: what
    ``smtplib.SMTP.data()`` sends, without its regular expression (50 µs
    for a 10 KB email, a seventh of a send)."""
    if data.startswith(b"."):
        data = b"." + data
    data = data.replace(b"\n.", b"\n..")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


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

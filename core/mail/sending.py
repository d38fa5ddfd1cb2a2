"""Sending one email through the pipeline, from a batch or from a task.

``send()`` leaves out suppressed recipients, sends, classifies any failure
with the one rule of ``failures`` and suppresses addresses refused for good.
``deliver()`` is the same for a task that sends one email: it re-enqueues the
task with the shared backoff, up to MAIL_MAX_ATTEMPTS tries.

Nothing here logs addresses or message text.
"""

import contextlib
import logging
import queue
import re
import smtplib
import threading
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


class PipelinedSender:
    """Sends messages already serialised for SMTP (a batch builds each
    mailing's bytes once) over one open SMTP connection, from a helper
    thread that works one email ahead of the caller.

    The caller submits an email, then takes the outcome of the one before
    (``result()``), records it and says so (``recorded()``). Meanwhile the
    helper gives the mail server the next email's envelope (MAIL FROM, RCPT
    TO), but sends its data only once the outcome before it is recorded. So
    a batch's database work overlaps the conversation about the next email,
    and a worker killed at any point still leaves at most the email in
    flight unrecorded. Recipients are the caller's to check against the
    suppression list; failures are classified as for ``send()``, in the
    caller's thread (classifying may suppress an address).
    """

    def __init__(self, connection):
        self.connection = connection
        sender = connection.prep_address(settings.DEFAULT_FROM_EMAIL)
        self.sender = sender
        self._mail_from = f"from:{smtplib.quoteaddr(sender)}"
        self._requests = queue.SimpleQueue()
        self._outcomes = queue.SimpleQueue()
        self._may_send_data = threading.Semaphore(1)
        self._closing = False
        self._helper = threading.Thread(
            target=self._run, name="smtp-pipeline", daemon=True
        )
        self._helper.start()

    def submit(self, data: bytes, recipient: str):
        """Queue ``data`` for ``recipient``, as ``smtplib.SMTP.sendmail()``
        would send it."""
        self._requests.put((data, recipient))

    def result(self) -> Result:
        """How the oldest submitted email went; waits for it. An exception
        that ended the helper is raised here."""
        error = self._next_outcome()
        if isinstance(error, _HelperDied):
            raise error.exception
        return Result(Outcome.SENT) if error is None else _failed(error)

    def _next_outcome(self):
        while True:
            try:
                return self._outcomes.get(timeout=HELPER_CHECK_SECONDS)
            except queue.Empty:
                if not self._helper.is_alive():
                    return _HelperDied(RuntimeError("The SMTP helper thread ended."))

    def recorded(self):
        """The caller has recorded the last result: the next data may go."""
        self._may_send_data.release()

    def close(self) -> bool:
        """Stop the helper; an email still waiting for its data is not sent.

        False if the helper is still talking to the server (a slow reply
        after the caller failed): the connection is then not the caller's to
        say QUIT on, only to drop.
        """
        self._closing = True
        self._requests.put(None)
        self._may_send_data.release()
        self._helper.join(timeout=HELPER_JOIN_SECONDS)
        return not self._helper.is_alive()

    def _run(self):
        try:
            while (request := self._requests.get()) is not None:
                if self._closing:
                    return
                data, recipient = request
                error = self._envelope(recipient, len(data))
                self._may_send_data.acquire()
                if self._closing:
                    return
                self._outcomes.put(error or self._data(data))
        except BaseException as exception:  # noqa: BLE001 - the caller re-raises it
            self._outcomes.put(_HelperDied(exception))

    def _envelope(self, recipient, size):
        """MAIL FROM and RCPT TO; the error that refused them, if any."""
        try:
            smtp = self.connection.connection
            if PLAIN_ADDRESS.fullmatch(recipient):
                quoted = f"<{recipient}>"
            else:
                quoted = smtplib.quoteaddr(self.connection.prep_address(recipient))
            smtp.ehlo_or_helo_if_needed()
            size_option = f" size={size}" if smtp.has_extn("size") else ""
            smtp.putcmd("mail", self._mail_from + size_option)
            code, reply = smtp.getreply()
            if code != 250:
                self._abandon(code)
                raise smtplib.SMTPSenderRefused(code, reply, self.sender)
            smtp.putcmd("rcpt", f"TO:{quoted}")
            code, reply = smtp.getreply()
            if code not in (250, 251):
                self._abandon(code)
                raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        except SEND_ERRORS as error:
            return error
        return None

    def _data(self, data):
        try:
            code, reply = self.connection.connection.data(data)
            if code != 250:
                self._abandon(code)
                raise smtplib.SMTPDataError(code, reply)
        except SEND_ERRORS as error:
            return error
        return None

    def _abandon(self, code):
        """End a refused transaction as sendmail() does: reset, or close on 421."""
        smtp = self.connection.connection
        if code == 421:
            smtp.close()
            return
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            smtp.rset()


HELPER_JOIN_SECONDS = 5
HELPER_CHECK_SECONDS = 1


@dataclass(frozen=True)
class _HelperDied:
    exception: BaseException


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

"""What a failed send means, and when to try again: one rule for every email.

A failure is permanent (the server said no for good: don't try again),
temporary (the server said "later": back off and retry) or a lost connection
(the session with our mail server broke: this message and any others waiting
on the same connection are retried later).
"""

import re
import smtplib
from datetime import timedelta
from enum import StrEnum

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings

# Everything a send can raise that is about the mail, not a bug: smtplib's
# errors (OSErrors too), socket errors and timeouts, the ValueError Django
# raises for an address SMTP cannot carry, and a provider API's answers
# (through anymail).
SEND_ERRORS = (OSError, ValueError, AnymailAPIError, AnymailRecipientsRefused)

# Errors about our session with the mail server (login, greeting, our sender
# address, a dropped line), never about one recipient: whatever their code,
# the message itself may well go through on a new connection.
SESSION_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPNotSupportedError,
)

# Retry delays double from MAIL_RETRY_SECONDS up to this ceiling.
RETRY_CEILING_SECONDS = 3600


class Failure(StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    CONNECTION_LOST = "connection_lost"


def classify(error: Exception) -> Failure:
    """Permanent, temporary or connection lost: the one rule for all mail."""
    if isinstance(error, AnymailRecipientsRefused):
        return Failure.PERMANENT
    if isinstance(error, AnymailAPIError):
        # 429 (slow down) and 5xx are the provider's "later"; another 4xx
        # is about this message and will not change.
        code = error.status_code
        if code is None or code == 429 or code >= 500:
            return Failure.TEMPORARY
        return Failure.PERMANENT
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        if codes and all(_is_permanent(code) for code in codes):
            return Failure.PERMANENT
        return Failure.TEMPORARY
    if isinstance(error, SESSION_ERRORS):
        return Failure.CONNECTION_LOST
    if isinstance(error, smtplib.SMTPResponseException):
        return (
            Failure.PERMANENT if _is_permanent(error.smtp_code) else Failure.TEMPORARY
        )
    if isinstance(error, ValueError):  # an address SMTP cannot carry
        return Failure.PERMANENT
    return Failure.CONNECTION_LOST  # socket errors and timeouts


def bounced_addresses(error: Exception) -> list[str]:
    """The recipients the server refused for good (5xx to RCPT TO).

    Only these are suppressed: a 5xx to the message itself may be about its
    content or size, not about the address. Nor is a refusal on grounds of
    policy (enhanced status 5.7.x, RFC 3463): "relay access denied" or
    "sender address rejected" is about our mail setup, and would otherwise
    suppress every reader of a mailing.
    """
    if not isinstance(error, smtplib.SMTPRecipientsRefused):
        return []
    return [
        address
        for address, (code, text) in error.recipients.items()
        if _is_permanent(code) and not POLICY_REFUSAL.match(_text(text))
    ]


POLICY_REFUSAL = re.compile(r"\s*5\.7\.\d{1,3}\b")


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after try number ``attempt`` (from 1) failed.

    MAIL_RETRY_SECONDS, doubling with each try, at most an hour (or
    MAIL_RETRY_SECONDS if that is longer).
    """
    base = settings.MAIL_RETRY_SECONDS
    ceiling = max(base, RETRY_CEILING_SECONDS)
    return timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), ceiling))


def may_retry(attempt: int) -> bool:
    """Whether another try may follow try number ``attempt`` (from 1)."""
    return attempt < settings.MAIL_MAX_ATTEMPTS


def describe(error: Exception) -> str:
    """A short description for the admin (may name the address; never log it)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (0, b""))
        return f"Refused by the mail server: {code} {_text(text)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"Mail server answered {error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, AnymailAPIError):
        return f"The email provider answered {error.status_code or 'nothing'}"
    if isinstance(error, ValueError):
        return f"Invalid address: {error}"
    return f"{type(error).__name__}: {error}"


def log_reason(error: Exception) -> str:
    """What a log line may say about a failure: a code or a class, no address."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        return "refused " + "/".join(str(code) for code in codes)
    code = getattr(error, "smtp_code", "") or getattr(error, "status_code", "")
    return str(code or type(error).__name__)


def _is_permanent(code: int) -> bool:
    return 500 <= code < 600


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)

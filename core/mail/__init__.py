"""The outbound-mail pipeline every email of the site goes through.

- ``building``: a text and HTML message from ``templates/<app>/email/``, with
  the clinic's details, clean headers and, for bulk mail, one-click
  unsubscribe headers and a fixed Message-ID.
- ``failures``: one rule for what a failed send means (permanent, temporary,
  connection lost) and the one backoff (MAIL_RETRY_SECONDS, doubling, up to
  MAIL_MAX_ATTEMPTS tries).
- ``suppression``: addresses that bounced or complained are never mailed
  again, whichever app sends.
- ``sending``: ``send()`` for one message (from a batch or alone) and
  ``deliver()`` for a task that sends one email and retries itself.

Core knows none of the apps that send: they pass what it needs (a callback
to mark their row sent or bounced) and read the outcome it returns.
"""

from core.mail.building import (
    absolute_url,
    build_email,
    bulk_headers,
    clean_header,
    clinic_context,
    message_id,
)
from core.mail.failures import (
    Failure,
    classify,
    describe,
    log_reason,
    may_retry,
    retry_delay,
)
from core.mail.sending import EmailNotSent, Outcome, Result, deliver, send
from core.mail.suppression import (
    deliverable,
    is_suppressed_expression,
    normalize,
    suppress,
    suppressed,
)

__all__ = [
    "EmailNotSent",
    "Failure",
    "Outcome",
    "Result",
    "absolute_url",
    "build_email",
    "bulk_headers",
    "classify",
    "clean_header",
    "clinic_context",
    "deliver",
    "deliverable",
    "describe",
    "is_suppressed_expression",
    "log_reason",
    "may_retry",
    "message_id",
    "normalize",
    "retry_delay",
    "send",
    "suppress",
    "suppressed",
]

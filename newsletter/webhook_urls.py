"""The providers' tracking webhooks, at /email/webhooks/<esp>/tracking/.

These are anymail's own views and URL names, for the providers
EMAIL_PROVIDER supports. anymail checks ANYMAIL_WEBHOOK_SECRET (HTTP basic
auth) and the provider's signature where it has one (Mailgun's signing key)
and answers 400 when they are wrong. A body that is not what the provider
sends (not JSON, the wrong shape) is answered 400 here too, and nothing it
contained is kept: the events of one request are recorded in one
transaction.

The URLs connect anymail's tracking signal to ``newsletter.feedback``: the
events arrive only through these views, so the receiver is connected
whenever one can arrive.
"""

import functools

from anymail.exceptions import AnymailError
from anymail.signals import tracking
from anymail.urls import urlpatterns as anymail_urlpatterns
from django.conf import settings
from django.db import transaction
from django.http import HttpResponseBadRequest, HttpResponseForbidden
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from newsletter.feedback import record_tracking_event

# What anymail's parsers raise on a body of the wrong shape (AnymailError:
# an SNS message that is not JSON). Database errors still answer 500, so the
# provider retries the event later.
MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError, AnymailError)
PROVIDERS = ["amazon_ses", "postmark", "mailgun", "sendgrid", "brevo"]


def malformed_is_bad_request(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
            # anymail would accept anyone (with a warning): refuse instead.
            return HttpResponseForbidden(
                "Webhooks are off until ANYMAIL_WEBHOOK_SECRET is set.",
                content_type="text/plain",
            )
        try:
            with transaction.atomic():
                return view(request, *args, **kwargs)
        except MALFORMED:
            return HttpResponseBadRequest(
                "Malformed webhook body.", content_type="text/plain"
            )

    return csrf_exempt(wrapped)


tracking.connect(record_tracking_event, dispatch_uid="newsletter.feedback")

_views = {pattern.name: pattern.callback for pattern in anymail_urlpatterns}

app_name = "anymail"
urlpatterns = [
    path(
        f"{esp}/tracking/",
        malformed_is_bad_request(_views[f"{esp}_tracking_webhook"]),
        name=f"{esp}_tracking_webhook",
    )
    for esp in PROVIDERS
]

"""An answer for when the database is away."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    """While the database is unreachable, a page that needs it answers 503 with
    a calm page of its own (crisis line included) instead of the error page.
    Consultation requests and sign-ups keep working through the spool.

    Only what drivers raise for a lost or refused connection counts
    (OperationalError, InterfaceError); on PostgreSQL a missing table or a
    bad query is a ProgrammingError, a bug that stays a 500 for someone to see.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("Database unavailable (%s)", type(exception).__name__)
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

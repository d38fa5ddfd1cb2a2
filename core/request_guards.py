"""Refuse malformed requests before any other code reads them.

Django answers most bad input with a 400, but a few cases still end in a 500:
the CSRF check reads ``request.POST``, and a body in a charset Django refuses
raises again inside the 400 page (which runs the CSRF check once more); NUL
bytes reach PostgreSQL, which refuses them mid-query; an invalid regular
expression in an admin lookup fails inside the database. This middleware sits
before the session and CSRF middleware and answers such requests itself, with
the site's 400 or 413 page.
"""

import logging
import re
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.core.files.uploadhandler import FileUploadHandler
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.db import DatabaseError, transaction
from django.http import (
    HttpResponseRedirect,
    QueryDict,
    UnreadablePostError,
)
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger("core.request_guards")

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# A probe every charset that can carry a form must encode byte for byte.
ASCII_PROBE = "azAZ09=&;%+-_.~ "
# Characters no URL path of this site contains; percent-decoded \r\n would
# also split log lines.
PATH_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# Cookie values this site sets are printable ASCII; anything else (NUL breaks
# PostgreSQL's session lookup) is dropped as if the cookie were absent.
COOKIE_VALUE = re.compile(r"[\x20-\x7e]*")
REGEX_LOOKUPS = ("__regex", "__iregex")
# Errors a database or a field raises for a value it cannot use; on an admin
# page with a query string, they come from the visitor's parameters (a
# "__range" lookup with one value raises IndexError inside Django).
BAD_VALUE_ERRORS = (
    DatabaseError,
    ValueError,
    TypeError,
    OverflowError,
    IndexError,
    ValidationError,
    re.error,
)


class FileRefused(Exception):
    """A file part arrived where no form takes files."""


class RefuseFiles(FileUploadHandler):
    """Upload handler for every URL outside the admin: the first file part
    stops the parse, before any of it is written to disk."""

    def new_file(self, *args, **kwargs):
        raise FileRefused

    def receive_data_chunk(self, raw_data, start):  # pragma: no cover - unreachable
        return raw_data

    def file_complete(self, file_size):  # pragma: no cover - unreachable
        return None


def is_admin(request) -> bool:
    return request.path_info.startswith("/admin/")


def is_usable_charset(name: str) -> bool:
    """A known text codec that writes ASCII as ASCII (UTF-16 and EBCDIC do not)."""
    ascii_bytes = ASCII_PROBE.encode("ascii")
    try:
        # str.encode() refuses codecs that are not text encodings (rot13).
        return (
            ASCII_PROBE.encode(name) == ascii_bytes
            and ascii_bytes.decode(name) == ASCII_PROBE
        )
    except (LookupError, UnicodeError, ValueError, TypeError):
        return False


def is_clean_form_encoding(raw: bytes) -> bool:
    """URL-encoded bytes that decode to UTF-8 text without NUL."""
    decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in decoded:
        return False
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in data.items())


def body_cap(request) -> int:
    return (
        settings.ADMIN_REQUEST_MAX_BYTES
        if is_admin(request)
        else (settings.PUBLIC_REQUEST_MAX_BYTES)
    )


def declared_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def error_page(request, status, template="400.html"):
    """The site's error page, rendered without touching the request body."""
    response = render(request, template, status=status)
    add_never_cache_headers(response)
    return response


def bad_request(request, exception=None):
    """``handler400``: the site's 400 page.

    Django's own 400 view runs the CSRF check, which reads ``request.POST``
    again and raises again when the body was the problem, so the body is set
    aside first.
    """
    try:
        request.POST  # noqa: B018 - parse, or learn that it cannot be parsed
    except Exception:
        request.POST = QueryDict()
    return error_page(request, 400)


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.refusal(request)
        if response is not None:
            return response
        return self.get_response(request)

    def refusal(self, request):
        """The 4xx response for a request no view should see, or None."""
        self.drop_unreadable_cookies(request)
        if PATH_CONTROL_CHARACTERS.search(request.path_info):
            return error_page(request, 400)
        if not is_clean_form_encoding(
            get_bytes_from_wsgi(request.META, "QUERY_STRING", "")
        ):
            return error_page(request, 400)
        if is_admin(request) and any(
            key.endswith(REGEX_LOOKUPS) for key in request.GET
        ):
            # Staff never need them, and a pattern can be invalid or slow in
            # the database.
            return error_page(request, 400)
        charset = request.content_params.get("charset")
        if charset is not None and not is_usable_charset(charset):
            return error_page(request, 400)
        if declared_length(request) > body_cap(request):
            return error_page(request, 413, "413.html")
        if request.method == "POST" and request.content_type in FORM_TYPES:
            return self.read_form(request)
        return None

    @staticmethod
    def drop_unreadable_cookies(request):
        request.COOKIES = {
            name: value
            for name, value in request.COOKIES.items()
            if COOKIE_VALUE.fullmatch(name) and COOKIE_VALUE.fullmatch(value)
        }

    @staticmethod
    def read_form(request):
        """Parse the form body now, so that the CSRF check and the views only
        ever see a body that parsed."""
        if not is_admin(request):
            request.upload_handlers = [RefuseFiles(request)]
        if request.content_type == "application/x-www-form-urlencoded":
            try:
                if not is_clean_form_encoding(request.body):
                    return error_page(request, 400)
            except RequestDataTooBig:
                return error_page(request, 413, "413.html")
            except UnreadablePostError:
                return error_page(request, 400)
        try:
            data = request.POST
        except RequestDataTooBig:
            request.POST = QueryDict()
            return error_page(request, 413, "413.html")
        except (
            FileRefused,
            BadRequest,
            SuspiciousOperation,
            MultiPartParserError,
            UnreadablePostError,
            ValueError,
            UnicodeError,
        ):
            request.POST = QueryDict()
            return error_page(request, 400)
        if has_nul(data):
            return error_page(request, 400)
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Run an admin list filtered by the query string in a savepoint, so
        that a value the database refuses leaves the connection usable even
        inside an outer transaction (tests, ATOMIC_REQUESTS)."""
        match = request.resolver_match
        is_filtered_list = (
            is_admin(request)
            and request.method in ("GET", "HEAD")
            and request.GET
            and match
            and (match.url_name or "").endswith("_changelist")
        )
        if not is_filtered_list:
            return None
        try:
            with transaction.atomic():
                return view_func(request, *view_args, **view_kwargs)
        except BAD_VALUE_ERRORS as error:
            return self.process_exception(request, error)

    def process_exception(self, request, exception):
        """An admin list that fails on its own query-string values: back to
        the unfiltered list (Django's ``?e=1``), or the 400 page elsewhere in
        the admin; an action posted with ids that are not ids: the 400 page.
        Without a query string a failure is a bug and stays a 500."""
        if not is_admin(request) or not isinstance(exception, BAD_VALUE_ERRORS):
            return None
        match = request.resolver_match
        is_changelist = match and (match.url_name or "").endswith("_changelist")
        is_read = request.method in ("GET", "HEAD") and request.GET
        is_bad_action = (
            request.method == "POST"
            and is_changelist
            and isinstance(exception, (ValueError, TypeError, ValidationError))
        )
        if not (is_read or is_bad_action):
            return None
        # No traceback or message: they can quote a search term (a name).
        logger.warning(
            "Admin page %s refused its parameters (%s)",
            match.view_name if match else request.path,
            type(exception).__name__,
        )
        # Requests run in autocommit, so a query the database refused leaves
        # the connection usable for the page below.
        if is_read and is_changelist and "e" not in request.GET:
            return HttpResponseRedirect(request.path + "?e=1")
        return error_page(request, 400)

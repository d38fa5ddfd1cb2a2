"""First-touch attribution: where a visitor came from, kept for the visit.

On the first page of a visit the landing page (its path: the UTM values
have fields of their own, and the rest of a query string may carry anything,
an address included), the external referrer and the UTM parameters go into a
small signed browser-session cookie; ``services.create_lead`` copies them
onto the lead. A cookie rather than the session keeps crawlers and one-page
visits from filling the sessions table.

The helpers also tell the contact form which page of this site sent the
visitor (``referrer_host_and_path``, ``is_own_host``).
"""

import json
from urllib.parse import urlsplit

from django.conf import settings

from core.protections import clean_control_characters, local_path

COOKIE_NAME = "visit_source"
COOKIE_SALT = "leads.attribution"
UTM_FIELDS = {
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
}
MAX_LENGTHS = {
    "landing_page": 500,
    "referrer": 500,
    "utm_source": 100,
    "utm_medium": 100,
    "utm_campaign": 100,
}
SKIPPED_PREFIXES = (
    "/admin/",
    "/static/",
    "/media/",
    "/healthz",
    "/blog/feed/",
    "/subscribe/confirm/",
    "/unsubscribe/",
    "/self-check/",
)


def clean_value(value: str, max_length: int) -> str:
    return clean_control_characters(value).strip()[:max_length]


def referrer_host_and_path(request) -> tuple[str, str]:
    """The Referer's host and path; empty when missing or malformed."""
    try:
        parts = urlsplit(request.headers.get("Referer", ""))
        return parts.hostname or "", parts.path
    except ValueError:
        return "", ""


def is_own_host(host: str, request) -> bool:
    return host == request.get_host().split(":")[0]


def external_referrer(request) -> str:
    host, _ = referrer_host_and_path(request)
    if not host or is_own_host(host, request):
        return ""
    return request.headers["Referer"]


def read_attribution(request) -> dict:
    """The attribution fields for a new lead, from the visit's cookie."""
    try:
        raw = request.get_signed_cookie(COOKIE_NAME, default="", salt=COOKIE_SALT)
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        return {}
    if data.get("landing_page"):
        # Cookies set before landing pages lost their query strings.
        data["landing_page"] = local_path(str(data["landing_page"]))
    return {
        field: clean_value(str(data[field]), max_length)
        for field, max_length in MAX_LENGTHS.items()
        if data.get(field)
    }


class AttributionMiddleware:
    """Sets the visit's attribution cookie on its first HTML page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if self.is_first_page_of_visit(request, response):
            data = {"landing_page": request.path}
            data["referrer"] = external_referrer(request)
            for parameter, field in UTM_FIELDS.items():
                data[field] = request.GET.get(parameter, "")
            data = {
                field: clean_value(value, MAX_LENGTHS[field])
                for field, value in data.items()
                if value
            }
            response.set_signed_cookie(
                COOKIE_NAME,
                json.dumps(data, separators=(",", ":")),
                salt=COOKIE_SALT,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    @staticmethod
    def is_first_page_of_visit(request, response) -> bool:
        return (
            request.method == "GET"
            and response.status_code == 200
            and COOKIE_NAME not in request.COOKIES
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(SKIPPED_PREFIXES)
        )

"""First-touch attribution: where a visitor came from, kept for the visit.

No cookie: pages are cached and shared between visitors (core.page_cache),
so nothing about one visitor may be stored in them or set on a GET. Instead
the consultation form carries hidden fields (``{% attribution_fields %}``):
site.js keeps the visit's first page, its external referrer and UTM values
in sessionStorage and fills them in; without JavaScript the server fills them
from the form page's own request, which is never cached. The landing page is
a path only (the UTM values have fields of their own, and the rest of a
query string may carry anything, an address included).
``services.create_lead`` copies them onto the lead.

The helpers also tell the contact form which page of this site sent the
visitor (``referrer_host_and_path``, ``is_own_host``).
"""

from urllib.parse import urlsplit

from core.protections import clean_control_characters, local_path

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


def attribution_from_request(request) -> dict:
    """What this request says about where the visit came from: its path,
    an external Referer and the UTM values of its query string."""
    data = {"landing_page": request.path, "referrer": external_referrer(request)}
    for parameter, field in UTM_FIELDS.items():
        data[field] = request.GET.get(parameter, "")
    return clean_attribution(data)


def clean_attribution(data) -> dict:
    cleaned = {}
    for field, max_length in MAX_LENGTHS.items():
        value = data.get(field)
        if not isinstance(value, str) or not value:
            continue
        if field == "landing_page":
            value = local_path(value)
        value = clean_value(value, max_length)
        if value:
            cleaned[field] = value
    return cleaned


def form_attribution(request) -> dict:
    """The hidden attribution fields a form page carries.

    On a re-shown form, what was posted; otherwise what this (uncached)
    request says. site.js replaces them with the visit's first page, kept in
    the browser's sessionStorage, when JavaScript runs.
    """
    if request.method == "POST":
        return read_attribution(request)
    return attribution_from_request(request)


def read_attribution(request) -> dict:
    """The attribution fields for a new lead, from the posted form."""
    return clean_attribution({field: request.POST.get(field) for field in MAX_LENGTHS})

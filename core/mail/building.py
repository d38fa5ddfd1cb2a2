"""Building the site's emails: templates, the clinic's details, clean headers."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from core.models import ClinicProfile


def clean_header(value) -> str:
    """Collapse line breaks and runs of spaces, so a title can't add headers."""
    return " ".join(str(value).split())


def absolute_url(url: str) -> str:
    """``url`` with the site's address in front, unless it already has one."""
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def clinic_context() -> dict:
    """What every email template may use: the clinic, its address, the site."""
    clinic = ClinicProfile.current()
    region = " ".join(part for part in [clinic.region, clinic.postcode] if part)
    address = ", ".join(
        part for part in [clinic.street_address, clinic.city, region] if part
    )
    return {
        "clinic": clinic,
        "clinic_address": address,
        "site_url": settings.SITE_URL,
    }


def bulk_headers(unsubscribe_url: str) -> dict:
    """The one-click unsubscribe headers (RFC 8058) of mail sent to a list."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def message_id(kind: str, pk) -> str:
    """The same Message-ID every time one email is sent.

    If a worker dies after the mail server accepted a message but before its
    row was marked sent, the message is sent again later; a fixed Message-ID
    lets receiving servers and mail clients drop the repeat.
    """
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{kind}-{pk}@{domain}>"


def build_email(
    template: str,
    *,
    subject: str,
    to: list[str],
    context: dict | None = None,
    shared: dict | None = None,
    reply_to: list[str] | None = None,
    headers: dict | None = None,
) -> EmailMultiAlternatives:
    """A text and HTML email from templates/<app>/email/<name>.txt and .html.

    ``template`` is "<app>/<name>". The templates see ``shared`` (by default
    the clinic context; a batch passes one it computed once) and ``context``.
    """
    app, name = template.split("/")
    context = {**(shared or clinic_context()), **(context or {})}
    message = EmailMultiAlternatives(
        subject=clean_header(subject),
        body=render_to_string(f"{app}/email/{name}.txt", context),
        to=to,
        reply_to=reply_to,
        headers={key: clean_header(value) for key, value in (headers or {}).items()},
    )
    message.attach_alternative(
        render_to_string(f"{app}/email/{name}.html", context), "text/html"
    )
    return message

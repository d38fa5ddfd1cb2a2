"""CSV exports of leads and subscribers, streamed row by row."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone

from leads.models import Lead, Subscriber
from leads.models.lead import Interest

# A spreadsheet treats a cell starting with one of these as a formula (or,
# for tab and carriage return, as the start of one), so an address such as
# "=HYPERLINK(...)" typed into the contact form could run on a staff laptop.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line straight back."""

    def write(self, value):
        return value


def neutralize(value):
    """Text for one CSV cell that no spreadsheet will evaluate."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_response(filename, header, rows):
    """A download that streams, so thousands of rows never time out."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([neutralize(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


LEAD_COLUMNS = [
    ("pk", "ID"),
    ("created_at", "Received"),
    ("full_name", "Name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("preferred_contact_method", "Preferred contact method"),
    ("best_time_to_reach", "Best time to reach"),
    ("interests", "Interests"),
    ("heard_about_us", "How they heard about us"),
    ("kind", "Kind"),
    ("location__name", "Location"),
    ("referrer_name", "Referring clinician"),
    ("referrer_practice", "Referring practice"),
    ("referrer_phone", "Referrer's phone"),
    ("referrer_email", "Referrer's email"),
    ("status", "Status"),
    ("assigned_to__username", "Assigned to"),
    ("is_urgent", "Urgent"),
    ("first_contacted_at", "First contacted"),
    ("source_path", "Sent from page"),
    ("source_post__title", "Source post"),
    ("referrer", "Referrer"),
    ("landing_page", "Landing page"),
    ("utm_source", "UTM source"),
    ("utm_medium", "UTM medium"),
    ("utm_campaign", "UTM campaign"),
    ("consent_version", "Consent version"),
    ("consented_at", "Consented at"),
]


def export_leads(queryset, include_message=False, count=None):
    """The leads in ``queryset`` as a CSV download.

    The free-text message is left out unless asked for: it is the part most
    likely to hold health details, and most exports are for call lists.
    ``count``, when known, goes into the file name ("leads-…-12-leads.csv").
    """
    columns = LEAD_COLUMNS + ([("message", "Message")] if include_message else [])
    statuses = dict(Lead.Status.choices)
    kinds = dict(Lead.Kind.choices)
    methods = dict(Lead.ContactMethod.choices)
    interests = dict(Interest.choices)

    def rows():
        names = [name for name, _ in columns]
        for row in queryset.values_list(*names).iterator(chunk_size=2000):
            row = dict(zip(names, row, strict=True))
            row["status"] = statuses.get(row["status"], row["status"])
            row["kind"] = kinds.get(row["kind"], row["kind"])
            row["preferred_contact_method"] = methods.get(
                row["preferred_contact_method"], row["preferred_contact_method"]
            )
            row["interests"] = "; ".join(
                interests.get(value, str(value)) for value in row["interests"] or []
            )
            yield row.values()

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"leads-{stamp}" + (f"-{count}-leads" if count is not None else "")
    return csv_response(f"{name}.csv", [label for _, label in columns], rows())


SUBSCRIBER_COLUMNS = [
    ("pk", "ID"),
    ("email", "Email"),
    ("first_name", "First name"),
    ("status", "Status"),
    ("frequency", "Preference"),
    ("source_path", "Signed up from page"),
    ("created_at", "Signed up"),
    ("confirmed_at", "Confirmed"),
    ("unsubscribed_at", "Unsubscribed"),
    ("bounced_at", "Bounced"),
]


def export_subscribers(queryset):
    """The subscribers in ``queryset`` as a CSV download."""
    statuses = dict(Subscriber.Status.choices)
    frequencies = dict(Subscriber.Frequency.choices)
    names = [name for name, _ in SUBSCRIBER_COLUMNS]

    def rows():
        for row in queryset.values_list(*names).iterator(chunk_size=2000):
            row = dict(zip(names, row, strict=True))
            row["status"] = statuses.get(row["status"], row["status"])
            row["frequency"] = frequencies.get(row["frequency"], row["frequency"])
            yield row.values()

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_response(
        f"subscribers-{stamp}.csv", [label for _, label in SUBSCRIBER_COLUMNS], rows()
    )

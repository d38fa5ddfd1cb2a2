"""The lead list's columns and the change form's read-only figures."""

from django.conf import settings
from django.contrib import admin
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.templatetags.static import static
from django.utils import timezone
from django.utils.html import format_html


def _marker(on, icon, label):
    """An icon with a text alternative, shown only when ``on``: a column of
    "no" icons would hide the few rows that matter."""
    if not on:
        return ""
    return format_html('<img src="{}" alt="{}" title="{}">', static(icon), label, label)


class LeadColumnsMixin:
    """Display methods for ``LeadAdmin``, named in its ``list_display`` and
    fieldsets. The list's queryset annotates ``source_post_title`` and
    ``is_overdue_now``."""

    @admin.display(description="received", ordering="created_at")
    def received(self, lead):
        return format_html(
            "{}<br><small>{}</small>",
            timezone.localtime(lead.created_at).strftime("%b %-d, %H:%M"),
            naturaltime(lead.created_at),
        )

    @admin.display(description="interests")
    def interest_list(self, lead):
        return ", ".join(lead.interest_labels())

    @admin.display(description="source", ordering="source_post_title")
    def source(self, lead):
        campaign = " / ".join(
            part
            for part in (lead.utm_source, lead.utm_medium, lead.utm_campaign)
            if part
        )
        page = lead.source_post_title or lead.source_path or "—"
        if campaign:
            return format_html("{}<br><small>UTM: {}</small>", page, campaign)
        return page

    @admin.display(description="contact by", ordering="preferred_contact_method")
    def contact_by(self, lead):
        return lead.get_preferred_contact_method_display()

    @admin.display(description="urgent", ordering="is_urgent", empty_value="")
    def urgent(self, lead):
        return _marker(lead.is_urgent, "admin/img/icon-alert.svg", "Urgent")

    @admin.display(description="overdue", ordering="is_overdue_now", empty_value="")
    def overdue(self, lead):
        return _marker(lead.is_overdue_now, "admin/img/icon-no.svg", "Overdue")

    @admin.display(description="overdue now")
    def overdue_now(self, lead):
        if lead.is_overdue():
            return _marker(True, "admin/img/icon-no.svg", "Overdue") + format_html(
                " Overdue: still New after {} business hours",
                settings.LEADS_OVERDUE_BUSINESS_HOURS,
            )
        return "No"

    @admin.display(description="archived", boolean=True)
    def archived(self, lead):
        return lead.is_archived

    @admin.display(description="time to first contact")
    def time_to_first_contact(self, lead):
        elapsed = lead.time_to_first_contact
        if elapsed is None:
            return "Not contacted yet"
        hours, rest = divmod(int(elapsed.total_seconds()), 3600)
        return f"{hours} h {rest // 60} min"

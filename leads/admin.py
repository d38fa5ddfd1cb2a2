"""The staff back office for leads and newsletter subscribers."""

import json
import logging
import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_post_parameters

from leads import dashboard, exports, privacy
from leads.admin_filters import (
    AssignedFilter,
    InterestFilter,
    OverdueFilter,
    ReceivedRangeFilter,
    SourceFilter,
    StatusFilter,
    UrgentFilter,
)
from leads.models import BlockedDomain, Lead, LeadEvent, LeadNote, Subscriber
from leads.models.lead import NOT_CHECKED, LeadChangedError
from staff.mfa import recent_second_factor_required

logger = logging.getLogger(__name__)

WORKFLOW_FIELDS = ("status", "assigned_to")


def _marker(on, icon, label):
    """An icon with a text alternative, shown only when ``on``: a column of
    "no" icons would hide the few rows that matter."""
    if not on:
        return ""
    return format_html('<img src="{}" alt="{}" title="{}">', static(icon), label, label)


class LeadAdminForm(forms.ModelForm):
    """What staff may change on a lead.

    Each field also carries the value the staff member loaded, so
    ``changed_data`` means "changed by this person", and a form left open
    while a colleague worked on the lead cannot undo the colleague's change.
    """

    class Meta:
        model = Lead
        fields = ["status", "assigned_to", "is_urgent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.show_hidden_initial = True
        assignee = self.fields.get("assigned_to")
        if assignee is not None and hasattr(assignee.widget, "can_add_related"):
            # Staff are chosen here, not created or edited.
            assignee.widget.can_add_related = False
            assignee.widget.can_change_related = False
            assignee.widget.can_delete_related = False
            assignee.widget.can_view_related = False

    def seen(self, name):
        """The value of ``name`` when the form was loaded, if it is known."""
        bound = self[name]
        if bound.html_initial_name not in self.data:
            return NOT_CHECKED
        try:
            return bound.field.to_python(self.data[bound.html_initial_name])
        except ValidationError:
            return NOT_CHECKED


class LeadNoteInline(admin.TabularInline):
    """Notes are only ever added, so two people writing at once both count."""

    model = LeadNote
    verbose_name = "note"
    verbose_name_plural = "notes"
    fields = ["text", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    extra = 1
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class LeadEventInline(admin.TabularInline):
    model = LeadEvent
    verbose_name = "change"
    verbose_name_plural = "history of status and assignee changes"
    fields = ["created_at", "kind", "old_label", "new_label", "changed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="from")
    def old_label(self, event):
        return event.old_label

    @admin.display(description="to")
    def new_label(self, event):
        return event.new_label

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


class PersonalDataForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    confirm = forms.BooleanField(
        label="I understand that erasing cannot be undone.", required=False
    )


class CsvExportMixin:
    """An "export this list" link that keeps the list's filters and search."""

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_export",
            ),
            *super().get_urls(),
        ]

    @recent_second_factor_required
    def export_view(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        options = {"with_message": request.GET.get("with_message") == "1"}
        request.GET = request.GET.copy()
        request.GET.pop("with_message", None)
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return redirect(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
            )
        return self.export(changelist.get_queryset(request), **options)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "has_export_permission": self.has_export_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)


@admin.register(Lead)
class LeadAdmin(CsvExportMixin, admin.ModelAdmin):
    form = LeadAdminForm
    list_display = [
        "received",
        "full_name",
        "interest_list",
        "contact_by",
        "status",
        "assigned_to",
        "urgent",
        "source",
        "overdue",
    ]
    list_display_links = ["received", "full_name"]
    list_filter = [
        StatusFilter,
        AssignedFilter,
        OverdueFilter,
        UrgentFilter,
        InterestFilter,
        SourceFilter,
        ReceivedRangeFilter,
    ]
    search_fields = ["full_name", "email", "phone"]
    search_help_text = "Name, email address or phone number."
    date_hierarchy = "created_at"
    ordering = ["-is_urgent", "-created_at"]
    list_per_page = 50
    show_facets = admin.ShowFacets.NEVER
    inlines = [LeadNoteInline, LeadEventInline]
    actions = [
        "assign_to_me",
        "mark_contacted",
        "mark_spam",
        "mark_not_spam",
        "export_csv",
        "export_csv_with_messages",
        "find_personal_data",
    ]
    fieldsets = [
        (
            "Triage",
            {
                "fields": [
                    "status",
                    "assigned_to",
                    "is_urgent",
                    "received",
                    "overdue_now",
                    "first_contacted_at",
                    "time_to_first_contact",
                ]
            },
        ),
        (
            "What they sent",
            {
                "fields": [
                    "full_name",
                    "email",
                    "phone",
                    "preferred_contact_method",
                    "best_time_to_reach",
                    "interest_list",
                    "heard_about_us",
                    "message",
                ]
            },
        ),
        (
            "Attribution",
            {
                "fields": [
                    "source_path",
                    "source_post",
                    "referrer",
                    "landing_page",
                    "utm_source",
                    "utm_medium",
                    "utm_campaign",
                ]
            },
        ),
        (
            "Consent",
            {
                "classes": ["collapse"],
                "fields": ["consent_text", "consent_version", "consented_at"],
            },
        ),
        (
            "Record",
            {
                "classes": ["collapse"],
                "fields": [
                    "confirmation_sent_at",
                    "notification_sent_at",
                    "is_archived",
                    "anonymized_at",
                    "updated_at",
                ],
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        editable = set(LeadAdminForm.Meta.fields)
        return [
            name
            for _, options in self.fieldsets
            for name in options["fields"]
            if name not in editable
        ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("assigned_to")
            .annotate(source_post_title=F("source_post__title"))
            .with_overdue()
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(is_active=True, is_staff=True)
                .filter(
                    Q(is_superuser=True)
                    | Q(groups__permissions__codename="change_lead")
                    | Q(user_permissions__codename="change_lead")
                )
                .distinct()
                .order_by("username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        # Phones are stored as +15555550100; staff type (555) 555-0100.
        digits = re.sub(r"\D", "", search_term)
        if len(digits) >= 4 and re.fullmatch(r"[\d\s()+.\-]+", search_term.strip()):
            return queryset.filter(phone__contains=digits), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        # Leads arrive through the contact form, with the consent it records.
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("leads.export_lead")

    def has_privacy_permission(self, request):
        return privacy.can_view(request.user)

    # Columns and read-only fields

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

    @admin.display(description="time to first contact")
    def time_to_first_contact(self, lead):
        elapsed = lead.time_to_first_contact
        if elapsed is None:
            return "Not contacted yet"
        hours, rest = divmod(int(elapsed.total_seconds()), 3600)
        return f"{hours} h {rest // 60} min"

    # Saving: status and assignee go through the workflow methods

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        wanted_status, wanted_assignee = obj.status, obj.assigned_to
        # Put back what the database holds; the workflow methods below write
        # status and assignee, recording the change and who made it.
        obj.status = form.initial["status"]
        obj.assigned_to_id = form.initial["assigned_to"]
        other = [name for name in form.changed_data if name not in WORKFLOW_FIELDS]
        if other:
            obj.save(update_fields=[*other, "updated_at"])
        try:
            if "assigned_to" in form.changed_data:
                obj.assign(
                    wanted_assignee, by=request.user, expected=form.seen("assigned_to")
                )
            if "status" in form.changed_data:
                seen = form.seen("status")
                obj.change_status(
                    wanted_status,
                    by=request.user,
                    expected=None if seen is NOT_CHECKED else seen,
                )
        except LeadChangedError:
            obj.refresh_from_db()
            self.message_user(
                request,
                "Someone else changed this lead while you had it open, so your "
                "change of status or assignee was not saved. The lead now shows "
                "their change; make yours again if it still applies.",
                messages.WARNING,
            )

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            if isinstance(instance, LeadNote) and instance.pk is None:
                instance.author = request.user
            instance.save()
        formset.save_m2m()

    # Bulk actions: the same model methods as a single change

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        count = queryset.assign(request.user, by=request.user)
        self.message_user(request, f"{count} lead(s) assigned to you.")

    @admin.action(description="Mark contacted (New leads only)", permissions=["change"])
    def mark_contacted(self, request, queryset):
        new = queryset.filter(status=Lead.Status.NEW)
        count = new.change_status(Lead.Status.CONTACTED, by=request.user)
        skipped = queryset.count() - count
        self.message_user(
            request,
            f"{count} lead(s) marked contacted."
            + (f" {skipped} skipped: they were not New." if skipped else ""),
        )

    @admin.action(description="Mark as spam", permissions=["change"])
    def mark_spam(self, request, queryset):
        count = queryset.change_status(Lead.Status.SPAM, by=request.user)
        self.message_user(request, f"{count} lead(s) moved to Spam.")

    @admin.action(description="Not spam: back to New", permissions=["change"])
    def mark_not_spam(self, request, queryset):
        spam = queryset.filter(status=Lead.Status.SPAM)
        count = spam.change_status(Lead.Status.NEW, by=request.user)
        self.message_user(request, f"{count} lead(s) moved back to New.")

    @admin.action(description="Export to CSV", permissions=["export"])
    @recent_second_factor_required
    def export_csv(self, request, queryset):
        return self.export(queryset)

    @admin.action(
        description="Export to CSV, including messages", permissions=["export"]
    )
    @recent_second_factor_required
    def export_csv_with_messages(self, request, queryset):
        return self.export(queryset, with_message=True)

    def export(self, queryset, with_message=False):
        return exports.export_leads(queryset, include_message=with_message)

    @admin.action(
        description="Find everything stored for this person's email",
        permissions=["privacy"],
    )
    @recent_second_factor_required
    def find_personal_data(self, request, queryset):
        emails = {email.lower() for email in queryset.values_list("email", flat=True)}
        emails.discard("")
        if len(emails) != 1:
            self.message_user(
                request,
                "Select the leads of one person (one email address).",
                messages.ERROR,
            )
            return None
        form = PersonalDataForm(initial={"email": emails.pop()})
        return self._privacy_page(request, form, privacy.find(form.initial["email"]))

    # Pages of their own: dashboard and personal data

    def get_urls(self):
        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="leads_lead_dashboard",
            ),
            path(
                "personal-data/",
                self.admin_site.admin_view(self.privacy_view),
                name="leads_lead_privacy",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "has_privacy_permission": self.has_privacy_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Leads dashboard",
            "opts": self.opts,
            **dashboard.figures(),
        }
        return TemplateResponse(request, "admin/leads/lead/dashboard.html", context)

    @method_decorator(sensitive_post_parameters("email"))
    @recent_second_factor_required
    def privacy_view(self, request):
        if not self.has_privacy_permission(request):
            raise PermissionDenied
        form = PersonalDataForm(request.POST if request.method == "POST" else None)
        if not form.is_valid():
            return self._privacy_page(request, form, None)
        email = form.cleaned_data["email"]
        if request.POST.get("do") == "export":
            return self._personal_data_download(email)
        if request.POST.get("do") == "erase":
            if not privacy.can_erase(request.user):
                raise PermissionDenied
            if form.cleaned_data["confirm"]:
                done = privacy.erase(email)
                logger.info(
                    "Personal data erased by user %s: %s", request.user.pk, done
                )
                self.message_user(
                    request,
                    "Erased: {leads} lead(s) anonymized, {notes} note(s), "
                    "{subscribers} subscription(s) and {comments} comment(s) "
                    "deleted.".format(**done),
                )
                return redirect("admin:leads_lead_privacy")
            form.add_error("confirm", "Tick the box to confirm the erasure.")
        return self._privacy_page(request, form, privacy.find(email))

    def _personal_data_download(self, email):
        body = json.dumps(privacy.export(email), indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
        response["Cache-Control"] = "no-store"
        return response

    def _privacy_page(self, request, form, found):
        context = {
            **self.admin_site.each_context(request),
            "title": "Personal data for one email address",
            "opts": self.opts,
            "form": form,
            "found": found,
            "can_erase": privacy.can_erase(request.user),
        }
        return TemplateResponse(request, "admin/leads/lead/privacy.html", context)


@admin.register(Subscriber)
class SubscriberAdmin(CsvExportMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "first_name",
        "status",
        "frequency",
        "source_path",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    list_filter = ["status", "frequency", "created_at", "confirmed_at"]
    search_fields = ["email", "first_name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    show_facets = admin.ShowFacets.NEVER
    actions = ["export_csv", "unsubscribe"]
    fields = [
        "email",
        "first_name",
        "status",
        "frequency",
        "source_path",
        "consent_text",
        "consented_at",
        "created_at",
        "confirmation_sent_at",
        "confirmed_at",
        "unsubscribed_at",
        "bounced_at",
    ]
    # Staff never confirm anyone by hand: consent comes from the person.
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        counts = dict(
            Subscriber.objects.order_by()
            .values_list("status")
            .annotate(count=Count("pk"))
        )
        extra_context = {
            "status_counts": [
                (value, label, counts.get(value, 0))
                for value, label in Subscriber.Status.choices
            ],
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    @admin.action(description="Export to CSV", permissions=["export"])
    @recent_second_factor_required
    def export_csv(self, request, queryset):
        return self.export(queryset)

    def export(self, queryset, with_message=False):
        return exports.export_subscribers(queryset)

    @admin.action(description="Unsubscribe", permissions=["change"])
    def unsubscribe(self, request, queryset):
        count = sum(subscriber.unsubscribe() for subscriber in queryset)
        self.message_user(request, f"{count} subscriber(s) unsubscribed.")


@admin.register(BlockedDomain)
class BlockedDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "created_at"]
    search_fields = ["domain"]
    ordering = ["domain"]

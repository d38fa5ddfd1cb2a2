"""The lead list and change form: triage, bulk actions, export.

The dashboard and the personal-data tool are staff views of their own
(``leads/staff_views.py``); this admin links to them and opens the
personal-data tool from the "find everything" action.
"""

import re

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import F, Q

from leads import exports, privacy, staff_views
from leads.admin.columns import LeadColumnsMixin
from leads.admin.export import CsvExportMixin
from leads.admin.filters import (
    AssignedFilter,
    InterestFilter,
    OverdueFilter,
    ReceivedRangeFilter,
    SourceFilter,
    StatusFilter,
    UrgentFilter,
)
from leads.admin.forms import LeadAdminForm
from leads.admin.inlines import LeadAccessInline, LeadEventInline, LeadNoteInline
from leads.models import BlockedDomain, Lead, LeadAccess, LeadNote
from leads.models.lead import LeadChangedError
from leads.referral_forms import REFERRER_FIELDS
from staff.mfa import recent_second_factor_required

WORKFLOW_FIELDS = ("status", "assigned_to")
REFERRED_BY = "Referred by"


@admin.register(Lead)
class LeadAdmin(LeadColumnsMixin, CsvExportMixin, admin.ModelAdmin):
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
        "kind",
        "location",
        ReceivedRangeFilter,
    ]
    search_fields = ["full_name", "email", "phone"]
    search_help_text = "Name, email address or phone number."
    date_hierarchy = "created_at"
    ordering = ["-is_urgent", "-created_at"]
    list_per_page = 50
    show_facets = admin.ShowFacets.NEVER
    inlines = [LeadNoteInline, LeadEventInline, LeadAccessInline]
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
            REFERRED_BY,
            {"fields": ["kind", *REFERRER_FIELDS]},
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
                    "location",
                    "self_check_summary",
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
                    "archived",
                    "anonymized_at",
                    "updated_at",
                ],
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        """The referrer's part only on a referral."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.is_referral:
            return fieldsets
        return [fieldset for fieldset in fieldsets if fieldset[0] != REFERRED_BY]

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
                obj.change_status(
                    wanted_status, by=request.user, expected=form.seen("status")
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
        return self.export(request, queryset)

    @admin.action(
        description="Export to CSV, including messages", permissions=["export"]
    )
    @recent_second_factor_required
    def export_csv_with_messages(self, request, queryset):
        return self.export(request, queryset, with_message=True)

    def export(self, request, queryset, with_message=False):
        """The one place leads are exported: recorded, counted, streamed."""
        lead_ids = list(queryset.order_by().values_list("pk", flat=True))
        LeadAccess.objects.record(request.user, LeadAccess.Kind.EXPORT, lead_ids)
        self.message_user(request, f"Exported {len(lead_ids)} lead(s) to CSV.")
        return exports.export_leads(
            queryset, include_message=with_message, count=len(lead_ids)
        )

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
        email = emails.pop()
        form = staff_views.PersonalDataForm(initial={"email": email})
        found = staff_views.find_and_record(request, email)
        return staff_views.personal_data_page(request, form, found)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        lead = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and lead is not None:
            LeadAccess.objects.record(request.user, LeadAccess.Kind.VIEW, [lead.pk])
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "has_privacy_permission": self.has_privacy_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)


@admin.register(BlockedDomain)
class BlockedDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "created_at"]
    search_fields = ["domain"]
    ordering = ["domain"]

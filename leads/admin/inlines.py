"""What is shown under a lead: its notes, its history, its access trail."""

from django.contrib import admin
from django.utils import timezone

from leads.models import LeadAccess, LeadEvent, LeadNote


class AddOnlyInline(admin.TabularInline):
    """Rows that, once written, are never changed or deleted from the lead."""

    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(AddOnlyInline):
    """Rows the application writes; staff only read them."""

    def has_add_permission(self, request, obj=None):
        return False


class LeadNoteInline(AddOnlyInline):
    """Notes are only ever added, so two people writing at once both count."""

    model = LeadNote
    verbose_name = "note"
    verbose_name_plural = "notes"
    fields = ["text", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class LeadEventInline(ReadOnlyInline):
    model = LeadEvent
    verbose_name = "change"
    verbose_name_plural = "history of status and assignee changes"
    fields = ["created_at", "kind", "old_label", "new_label", "changed_by"]
    readonly_fields = fields

    @admin.display(description="from")
    def old_label(self, event):
        return event.old_label

    @admin.display(description="to")
    def new_label(self, event):
        return event.new_label

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


class LeadAccessInline(ReadOnlyInline):
    """The access trail on the lead: every view, export and lookup that
    included it, newest first. Shown to staff who may view accesses."""

    model = LeadAccess.leads.through
    verbose_name = "access"
    verbose_name_plural = "access trail: views, exports and personal-data lookups"
    fields = ["when", "who", "what"]
    readonly_fields = fields

    @admin.display(description="when")
    def when(self, row):
        return timezone.localtime(row.leadaccess.created_at).strftime(
            "%b %-d %Y, %H:%M"
        )

    @admin.display(description="who")
    def who(self, row):
        return row.leadaccess.user or "someone no longer on staff"

    @admin.display(description="what")
    def what(self, row):
        access = row.leadaccess
        if access.kind == LeadAccess.Kind.VIEW:
            return access.get_kind_display()
        return f"{access.get_kind_display()} ({access.lead_count} lead(s) in all)"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("leadaccess__user")
            .order_by("-leadaccess__created_at", "-pk")
        )

"""What is shown under a lead: its notes and its history."""

from django.contrib import admin

from leads.models import LeadEvent, LeadNote


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

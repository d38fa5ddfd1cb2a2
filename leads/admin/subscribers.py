"""The newsletter subscribers in the admin: read-only, exportable."""

from django.contrib import admin
from django.db.models import Count

from leads import exports
from leads.admin.export import CsvExportMixin
from leads.models import Subscriber
from staff.mfa import recent_second_factor_required


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
        "unsubscribe_reason",
    ]
    list_filter = [
        "status",
        "frequency",
        "follows_all_topics",
        "unsubscribe_reason",
        "created_at",
        "confirmed_at",
    ]
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
        "follows_all_topics",
        "followed_topics",
        "source_path",
        "consent_text",
        "consented_at",
        "created_at",
        "confirmation_sent_at",
        "confirmed_at",
        "unsubscribed_at",
        "unsubscribe_reason",
        "bounced_at",
        "welcome_sent_at",
    ]
    # Staff never confirm anyone by hand: consent comes from the person.
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    @admin.display(description="topics followed")
    def followed_topics(self, subscriber):
        if subscriber.follows_all_topics:
            return "All posts"
        return ", ".join(topic.name for topic in subscriber.topics.all()) or "—"

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
        return self.export(request, queryset)

    def export(self, request, queryset, with_message=False):
        return exports.export_subscribers(queryset)

    @admin.action(description="Unsubscribe", permissions=["change"])
    def unsubscribe(self, request, queryset):
        count = sum(
            subscriber.unsubscribe(reason=Subscriber.UnsubscribeReason.STAFF)
            for subscriber in queryset
        )
        self.message_user(request, f"{count} subscriber(s) unsubscribed.")

"""The newsletter in the admin: each post's delivery progress, retrying
failures, and a test email to yourself before publishing."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.models import ClinicProfile
from newsletter import feedback
from newsletter.announcing import retry_failed
from newsletter.models import Delivery, PostMailing
from newsletter.tasks import send_newsletter_test


def _deliveries_link(post_id, count, status=None):
    if not count:
        return "0"
    query = f"?post__id__exact={post_id}"
    if status:
        query += f"&status__exact={status}"
    url = reverse("admin:newsletter_delivery_changelist") + query
    return format_html('<a href="{}">{}</a>', url, f"{count:,}")


def delivery_counts(queryset):
    """Annotate posts with how many deliveries are in each state."""
    statuses = Delivery.Status
    return queryset.annotate(
        deliveries_total=Count("deliveries"),
        deliveries_queued=Count(
            "deliveries",
            filter=Q(deliveries__status__in=[statuses.QUEUED, statuses.SENDING]),
        ),
        deliveries_sent=Count("deliveries", filter=Q(deliveries__status=statuses.SENT)),
        deliveries_failed=Count(
            "deliveries", filter=Q(deliveries__status=statuses.FAILED)
        ),
        deliveries_bounced=Count(
            "deliveries", filter=Q(deliveries__status=statuses.BOUNCED)
        ),
        deliveries_skipped=Count(
            "deliveries", filter=Q(deliveries__status=statuses.SKIPPED)
        ),
        deliveries_complaints=Count(
            "deliveries", filter=Q(deliveries__complained_at__isnull=False)
        ),
    )


@admin.register(PostMailing)
class PostMailingAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "email_state",
        "published_at",
        "queued",
        "sent",
        "failed",
        "bounced",
        "complaints",
        "skipped",
        "total",
    ]
    list_filter = ["status", "notify_subscribers"]
    search_fields = ["title", "slug"]
    date_hierarchy = "published_at"
    ordering = ["-published_at", "-pk"]
    actions = [
        "send_test_email_to_me",
        "retry_failed_deliveries",
        "resume_paused_mailings",
    ]
    fields = [
        "title",
        "edit_post",
        "email_state",
        "published_at",
        "queued",
        "sent",
        "failed",
        "bounced",
        "complaints",
        "skipped",
        "total",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        posts = super().get_queryset(request).select_related("announcement")
        return delivery_counts(posts.defer("body", "body_html", "toc_html"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Posts are edited in the blog admin; saving here would only touch
        # the post's "updated" time. The list's actions still need it.
        return obj is None and super().has_change_permission(request)

    @admin.display(description="email")
    def email_state(self, post):
        announcement = getattr(post, "announcement", None)
        waits_for_address = not ClinicProfile.current().has_postal_address
        if announcement is not None and announcement.paused_at is not None:
            return announcement.paused_reason
        if waits_for_address and post.is_public and post.notify_subscribers:
            return (
                "Waiting: the clinic profile has no postal address, which "
                "every marketing email must show (CAN-SPAM). Add it under "
                "Clinic profile and the email goes out, if the post is still "
                "recent."
            )
        if announcement is not None:
            if announcement.recipients_listed_at is None:
                return "Listing subscribers…"
            announced = timezone.localtime(announcement.created_at)
            return f"Announced {announced:%Y-%m-%d %H:%M}"
        if not post.notify_subscribers:
            return "Emailing turned off"
        if post.is_public:
            return "Will not be emailed (went public before the email window)"
        return "Will be emailed when it goes public"

    @admin.display(description="queued", ordering="deliveries_queued")
    def queued(self, post):
        return _deliveries_link(post.pk, post.deliveries_queued, Delivery.Status.QUEUED)

    @admin.display(description="sent", ordering="deliveries_sent")
    def sent(self, post):
        return _deliveries_link(post.pk, post.deliveries_sent, Delivery.Status.SENT)

    @admin.display(description="failed", ordering="deliveries_failed")
    def failed(self, post):
        return _deliveries_link(post.pk, post.deliveries_failed, Delivery.Status.FAILED)

    @admin.display(description="bounced", ordering="deliveries_bounced")
    def bounced(self, post):
        return _deliveries_link(
            post.pk, post.deliveries_bounced, Delivery.Status.BOUNCED
        )

    @admin.display(description="complaints", ordering="deliveries_complaints")
    def complaints(self, post):
        return f"{post.deliveries_complaints:,}"

    @admin.display(description="skipped", ordering="deliveries_skipped")
    def skipped(self, post):
        return _deliveries_link(
            post.pk, post.deliveries_skipped, Delivery.Status.SKIPPED
        )

    @admin.display(description="of", ordering="deliveries_total")
    def total(self, post):
        return _deliveries_link(post.pk, post.deliveries_total)

    @admin.display(description="post")
    def edit_post(self, post):
        url = reverse("admin:blog_post_change", args=[post.pk])
        return format_html('<a href="{}">Edit the post</a>', url)

    @admin.action(description="Send a test email of the selected posts to me")
    def send_test_email_to_me(self, request, queryset):
        if not request.user.email:
            self.message_user(
                request,
                "Your account has no email address. Add one under your user first.",
                messages.ERROR,
            )
            return
        titles = []
        for pk, title in queryset.values_list("pk", "title"):
            send_newsletter_test.enqueue(pk, request.user.pk)
            titles.append(f"“{title}”")
        self.message_user(
            request,
            f"A test email of {', '.join(titles)} is on its way to "
            f"{request.user.email}.",
        )

    @admin.action(
        description="Retry failed deliveries of the selected posts",
        permissions=["change"],
    )
    def retry_failed_deliveries(self, request, queryset):
        post_ids = list(queryset.values_list("pk", flat=True))
        count = retry_failed(Delivery.objects.filter(post_id__in=post_ids))
        self.message_user(request, f"{count:,} failed deliveries queued again.")

    @admin.action(
        description="Resume the selected paused mailings", permissions=["change"]
    )
    def resume_paused_mailings(self, request, queryset):
        count = feedback.resume(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count:,} paused mailings will send again.")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "post",
        "digest",
        "subscriber",
        "status",
        "attempts",
        "sent_at",
        "next_attempt_at",
        "last_error",
        "bounced_at",
        "complained_at",
    ]
    list_filter = ["status", "digest"]
    list_select_related = ["post", "digest", "subscriber"]
    search_fields = ["subscriber__email", "post__title"]
    date_hierarchy = "created_at"
    ordering = ["-pk"]
    show_full_result_count = False
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description="Retry the selected failed deliveries", permissions=["change"]
    )
    def retry(self, request, queryset):
        count = retry_failed(queryset)
        self.message_user(request, f"{count:,} failed deliveries queued again.")

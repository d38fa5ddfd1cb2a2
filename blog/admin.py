from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from blog import checklist
from blog.models import Author, Comment, Post, Reference, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "post_total"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(post_total=Count("posts"))

    @admin.display(description="posts", ordering="post_total")
    def post_total(self, topic):
        return topic.post_total


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["display_name", "job_title", "is_team"]
    list_filter = ["is_team"]
    search_fields = ["display_name", "job_title", "bio"]
    prepopulated_fields = {"slug": ["display_name"]}


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 1
    fields = ["position", "title", "url"]


def submitted_reference_count(data, prefix="references"):
    """References the inline formset in ``data`` keeps (titled, not deleted)."""
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), 1000)
    except (TypeError, ValueError):
        return 0
    return sum(
        1
        for i in range(total)
        if str(data.get(f"{prefix}-{i}-title", "")).strip()
        and not data.get(f"{prefix}-{i}-DELETE")
    )


class PostAdminForm(forms.ModelForm):
    """The post form, holding a post that goes public to the editorial checklist.

    The admin supplies the model and fields (``PostAdmin.fieldsets``).
    """

    publish_anyway = forms.BooleanField(
        label="Publish anyway",
        required=False,
        help_text=(
            "Tick to publish although the editorial checklist "
            "(medical reviewer, references, a review in the last 12 months) "
            "is not complete."
        ),
    )

    def goes_public(self, status):
        public = {Post.Status.PUBLISHED, Post.Status.SCHEDULED}
        was_public = self.instance.pk and self.initial.get("status") in public
        return status in public and not was_public

    def clean(self):
        cleaned = super().clean()
        if not self.goes_public(cleaned.get("status")):
            return cleaned
        missing = checklist.missing_items(
            has_reviewer=bool(cleaned.get("reviewer")),
            reference_count=submitted_reference_count(self.data),
            last_reviewed=cleaned.get("last_reviewed"),
        )
        blocking = checklist.blocking_items(missing)
        if checklist.NO_REVIEWER in blocking:
            self.add_error("reviewer", "A medical reviewer is required to publish.")
        if checklist.NO_REFERENCES in blocking:
            self.add_error(None, "At least one reference is required to publish.")
        if missing and not blocking and not cleaned.get("publish_anyway"):
            self.add_error(
                "publish_anyway",
                "The editorial checklist is not complete: "
                + "; ".join(missing)
                + ". Complete it, or tick “Publish anyway” to publish as it is.",
            )
        return cleaned


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    form = PostAdminForm
    list_display = [
        "title",
        "public_state",
        "published_at",
        "author",
        "topic_names",
        "view_count",
        "like_count",
        "pending_comments",
        "preview_link",
    ]
    list_filter = ["status", "topics", "author", "notify_subscribers", "published_at"]
    list_select_related = ["author"]
    search_fields = ["title", "slug", "summary", "body"]
    date_hierarchy = "published_at"
    ordering = ["-published_at", "-pk"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["topics"]
    autocomplete_fields = ["author", "reviewer"]
    inlines = [ReferenceInline]
    readonly_fields = [
        "preview_link",
        "view_count",
        "like_count",
        "reading_minutes",
        "created_at",
        "updated_at",
        "shows_crisis_box",
    ]
    actions = ["publish_now", "publish_anyway", "unpublish"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body", "topics"]}),
        (
            "Publishing",
            {
                "fields": [
                    "status",
                    "published_at",
                    "notify_subscribers",
                    "publish_anyway",
                    "preview_link",
                ],
                "description": (
                    "Drafts are visible only to staff, through the preview link. "
                    "A scheduled post goes public by itself at its publish time."
                ),
            },
        ),
        ("Crisis box", {"fields": ["crisis_box", "shows_crisis_box"]}),
        ("Image", {"fields": ["hero_image", "hero_image_alt", "hero_image_credit"]}),
        (
            "Credits and medical review",
            {"fields": ["author", "reviewer", "last_reviewed"]},
        ),
        (
            "Search engines",
            {"fields": ["seo_title", "meta_description"], "classes": ["collapse"]},
        ),
        (
            "Statistics",
            {
                "fields": [
                    "view_count",
                    "like_count",
                    "reading_minutes",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("topics")
            .annotate(
                pending_total=Count("comments", filter=Q(comments__status="pending"))
            )
        )

    def view_on_site(self, post):
        if post.is_public:
            return post.get_absolute_url()
        return reverse("blog:post_preview", args=[post.pk])

    @admin.display(description="status", ordering="status")
    def public_state(self, post):
        if post.status == Post.Status.DRAFT:
            return "Draft"
        if not post.is_public:
            when = timezone.localtime(post.published_at).strftime("%b %d, %Y %H:%M")
            return f"Scheduled for {when}"
        return "Live"

    @admin.display(description="topics")
    def topic_names(self, post):
        return ", ".join(topic.name for topic in post.topics.all())

    @admin.display(description="comments to moderate", ordering="pending_total")
    def pending_comments(self, post):
        if not post.pending_total:
            return 0
        url = reverse("admin:blog_comment_changelist")
        return format_html(
            '<a href="{}?post__id__exact={}&amp;status__exact=pending">{}</a>',
            url,
            post.pk,
            post.pending_total,
        )

    @admin.display(description="preview")
    def preview_link(self, post):
        if not post.pk:
            return "Save the post first."
        url = reverse("blog:post_preview", args=[post.pk])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Preview</a>', url
        )

    def _publish(self, request, queryset, *, confirmed):
        published, held = 0, []
        today = timezone.localdate()
        posts = queryset.select_related(None).annotate(
            reference_total=Count("references")
        )
        for post in posts:
            missing = checklist.missing_items(
                has_reviewer=post.reviewer_id is not None,
                reference_count=post.reference_total,
                last_reviewed=post.last_reviewed,
                today=today,
            )
            blocking = checklist.blocking_items(missing)
            if blocking or (missing and not confirmed):
                held.append(f"“{post.title}” ({'; '.join(blocking or missing)})")
                continue
            post.publish()
            published += 1
        self.message_user(request, f"Published {published} post(s).", messages.SUCCESS)
        if held:
            advice = (
                "A medical reviewer and references are required."
                if checklist.review_required()
                else "Complete the checklist, or use “Publish selected posts "
                "anyway” to confirm."
            )
            self.message_user(
                request,
                f"Not published, editorial checklist incomplete: {', '.join(held)}. "
                + advice,
                messages.WARNING,
            )

    @admin.action(description="Publish selected posts now", permissions=["change"])
    def publish_now(self, request, queryset):
        self._publish(request, queryset, confirmed=False)

    @admin.action(
        description="Publish selected posts anyway (checklist incomplete)",
        permissions=["change"],
    )
    def publish_anyway(self, request, queryset):
        self._publish(request, queryset, confirmed=True)

    @admin.action(
        description="Unpublish selected posts (back to draft)", permissions=["change"]
    )
    def unpublish(self, request, queryset):
        for post in queryset:
            post.unpublish()
        self.message_user(
            request, f"Unpublished {len(queryset)} post(s).", messages.SUCCESS
        )


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["name", "excerpt", "post", "status", "created_at", "has_reply"]
    list_filter = ["status", "created_at", "post"]
    list_select_related = ["post"]
    search_fields = ["name", "email", "body", "post__title"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    readonly_fields = ["post", "name", "email", "body", "created_at", "reply_credit"]
    fields = [
        "post",
        "name",
        "email",
        "created_at",
        "body",
        "status",
        "reply",
        "reply_credit",
    ]
    actions = ["approve", "reject", "mark_junk"]
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    @admin.display(description="comment")
    def excerpt(self, comment):
        return truncatechars(comment.body, 80)

    @admin.display(description="replied", boolean=True)
    def has_reply(self, comment):
        return bool(comment.reply)

    @admin.display(description="reply by")
    def reply_credit(self, comment):
        if not comment.reply or not comment.replied_at:
            return "—"
        who = comment.replied_by.get_username() if comment.replied_by else "staff"
        return f"{who}, {timezone.localtime(comment.replied_at):%b %d, %Y %H:%M}"

    def save_model(self, request, comment, form, change):
        if "reply" in form.changed_data:
            comment.replied_by = request.user if comment.reply else None
            comment.replied_at = timezone.now() if comment.reply else None
        super().save_model(request, comment, form, change)

    def _moderate(self, request, queryset, status, verb):
        for comment in queryset:
            comment.moderate(status)
        self.message_user(
            request, f"{verb} {len(queryset)} comment(s).", messages.SUCCESS
        )

    @admin.action(description="Approve selected comments", permissions=["change"])
    def approve(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.APPROVED, "Approved")

    @admin.action(description="Reject selected comments", permissions=["change"])
    def reject(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.REJECTED, "Rejected")

    @admin.action(description="Mark selected comments as junk", permissions=["change"])
    def mark_junk(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.JUNK, "Marked as junk")

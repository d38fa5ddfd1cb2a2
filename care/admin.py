from django.contrib import admin

from care.models import (
    FaqGroup,
    Location,
    Question,
    Treatment,
    forget_posts_with_questions,
)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "phone", "is_main", "is_active", "order"]
    list_editable = ["order"]
    list_filter = ["is_active"]
    search_fields = ["name", "city", "street_address"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "is_main", "is_active", "order"]}),
        ("Contact", {"fields": ["phone", "email", "booking_url"]}),
        (
            "Address",
            {"fields": ["street_address", "city", "region", "postcode", "country"]},
        ),
        ("Opening hours", {"fields": ["opening_hours"]}),
        (
            "Map",
            {
                "fields": ["map_url", "latitude", "longitude"],
                "description": "Latitude and longitude are optional; search "
                "engines use them to place the location.",
            },
        ),
        ("Staff notifications", {"fields": ["notification_emails"]}),
    ]


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["question", "order", "is_published"]
    extra = 0
    show_change_link = True


@admin.register(Treatment)
class TreatmentAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "price_kind",
        "price_from",
        "price_to",
        "is_published",
        "order",
    ]
    list_editable = ["order"]
    list_filter = ["is_published", "locations"]
    search_fields = ["name", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["locations"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "summary", "is_published", "order"]}),
        (
            "Page sections",
            {"fields": ["about", "who_it_may_help", "session", "how_many_sessions"]},
        ),
        (
            "Price",
            {
                "fields": ["price_kind", "price_from", "price_to", "price_note"],
                "description": "Shown in the clinic's currency (Clinic profile). "
                "Demo prices are illustrative: replace them with your own.",
            },
        ),
        ("Insurance", {"fields": ["insurance_note"]}),
        ("Where", {"fields": ["locations"]}),
    ]


@admin.register(FaqGroup)
class FaqGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["question", "group", "order", "is_published"]
    list_editable = ["order", "is_published"]
    list_filter = ["group", "is_published"]
    search_fields = ["question", "answer"]
    autocomplete_fields = ["posts"]
    filter_horizontal = ["treatments"]
    fields = [
        "group",
        "question",
        "answer",
        "order",
        "is_published",
        "posts",
        "treatments",
    ]

    def save_related(self, request, form, formsets, change):
        # The posts are set after the question itself is saved, so the
        # cached list of posts with questions is forgotten once more here.
        super().save_related(request, form, formsets, change)
        forget_posts_with_questions()

from django.contrib import admin

from core.models import ClinicProfile, SuppressedAddress


@admin.register(ClinicProfile)
class ClinicProfileAdmin(admin.ModelAdmin):
    fieldsets = [
        (None, {"fields": ["name", "tagline", "logo", "logo_alt"]}),
        ("Contact", {"fields": ["phone", "email", "booking_url"]}),
        (
            "Address",
            {"fields": ["street_address", "city", "region", "postcode", "country"]},
        ),
        ("Opening hours", {"fields": ["opening_hours"]}),
        ("Prices", {"fields": ["currency", "good_faith_estimate_notice"]}),
        ("Crisis box on blog posts", {"fields": ["crisis_box_text"]}),
        (
            "Social links",
            {
                "fields": [
                    "facebook_url",
                    "instagram_url",
                    "linkedin_url",
                    "x_url",
                    "youtube_url",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return not ClinicProfile.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(admin.ModelAdmin):
    """Addresses no email goes to. Rows come from the mail pipeline only;
    deleting one lets the site mail that address again."""

    list_display = ["address", "reason", "detail", "created_at"]
    list_filter = ["reason", "created_at"]
    search_fields = ["address"]
    date_hierarchy = "created_at"
    readonly_fields = ["address", "reason", "detail", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

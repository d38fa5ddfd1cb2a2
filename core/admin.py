from django.contrib import admin

from core.models import ClinicProfile


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

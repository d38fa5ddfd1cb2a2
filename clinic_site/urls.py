from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.generic.base import RedirectView

from blog.sitemaps import PostSitemap, TopicSitemap
from care.sitemaps import CarePageSitemap, LocationSitemap, TreatmentSitemap
from clinic_site import views
from core import views as core_views
from core.media import serve_upload
from core.sitemaps import FlatPageSitemap, StaticViewSitemap

sitemaps = {
    "static": StaticViewSitemap,
    "pages": FlatPageSitemap,
    "posts": PostSitemap,
    "topics": TopicSitemap,
    "care": CarePageSitemap,
    "treatments": TreatmentSitemap,
    "locations": LocationSitemap,
}

handler400 = "core.request_guards.bad_request"

admin.site.site_header = "Clinic back office"
admin.site.site_title = "Clinic back office"
admin.site.index_title = "Today's work"
# Staff sign in (with their second factor) on the staff pages, never on the
# admin's password-only form.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("robots.txt", core_views.robots_txt, name="robots_txt"),
    path(
        "favicon.ico",
        RedirectView.as_view(
            url=settings.STATIC_URL + "img/favicon.svg", permanent=True
        ),
    ),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": sitemaps},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("blog/", include("blog.urls")),
    path("self-check/", include("selfcheck.urls")),
    path("", include("care.urls")),
    path("", include("leads.urls")),
    path("staff/", include("staff.urls")),
    # The back office's own pages (dashboard, personal data), ahead of the
    # admin so its catch-all never answers for them.
    path("admin/leads/", include("leads.staff_urls")),
    path("admin/insights/", include("insights.urls")),
    path("admin/", admin.site.urls),
    path("email/webhooks/", include("newsletter.webhook_urls")),
    # Uploads are few and small (post images, the logo), so the app serves
    # them itself instead of needing a separate web server.
    re_path(
        r"^media/(?P<path>.+)$",
        cache_control(max_age=86400, public=True)(serve_upload),
        {"document_root": settings.MEDIA_ROOT},
    ),
]

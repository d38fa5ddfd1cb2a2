from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.generic.base import RedirectView

from blog.sitemaps import PostSitemap, TopicSitemap
from clinic_site import views
from clinic_site.sitemaps import FlatPageSitemap, StaticViewSitemap
from core.media import serve_upload

sitemaps = {
    "static": StaticViewSitemap,
    "pages": FlatPageSitemap,
    "posts": PostSitemap,
    "topics": TopicSitemap,
}

handler400 = "core.request_guards.bad_request"

admin.site.site_header = "Clinic back office"
admin.site.site_title = "Clinic back office"
admin.site.index_title = "Today's work"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
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
    path("", include("leads.urls")),
    path("admin/", admin.site.urls),
    # Uploads are few and small (post images, the logo), so the app serves
    # them itself instead of needing a separate web server.
    re_path(
        r"^media/(?P<path>.+)$",
        cache_control(max_age=86400, public=True)(serve_upload),
        {"document_root": settings.MEDIA_ROOT},
    ),
]

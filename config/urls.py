from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from config import views, webapp

admin.site.site_header = _("Wijkplatform administration")
admin.site.site_title = _("Wijkplatform administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # The installable app: at the root, where the service worker's scope is the whole site.
    path("manifest.webmanifest", webapp.manifest, name="webmanifest"),
    path("sw.js", webapp.service_worker, name="service_worker"),
    path("offline/", webapp.offline, name="offline"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("directory/", include("directory.urls")),
    path("channels/", include("channels_app.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("cases/", include("privacy.urls")),
    path("insights/", include("insights.urls")),
    path("admin/", admin.site.urls),
]

# 403 and 404 are Django's own views with templates/403.html and 404.html.
handler500 = "config.views.server_error"

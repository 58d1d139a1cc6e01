from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="leads:index", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("leads/", include("leads.urls")),
    path("templates/", include("templates_app.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("settings/", include("accounts.settings_urls")),
    path("outbox/", include("campaigns.outbox_urls")),  # the local mail catcher's outbox; its views 404 unless DEBUG
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

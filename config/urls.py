from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api_errors import api_not_found
from campaigns import views as campaign_views
from config.health import healthz

handler500 = "config.database_outage.server_error"  # a database outage met by a middleware answers 503 too

urlpatterns = [
    path("healthz", healthz, name="healthz"),  # liveness: no database, no session
    # the tracking links first: the hottest URLs, resolved without trying the application's patterns before them
    # (a test mail's unsubscribe link, tracking_links.TEST_MAIL_TOKEN, before the real tokens' pattern)
    path("u/test/", campaign_views.test_unsubscribe_notice, name="test_unsubscribe"),
    path("", include("tracking.urls")),
    path("", RedirectView.as_view(pattern_name="leads:index", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/api-token/", include("accounts.token_urls")),  # the user's API token (I2)
    path("leads/", include("leads.urls")),
    path("templates/", include("templates_app.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("settings/", include("accounts.settings_urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("integrations.urls")),  # /settings/salesforce/ and /integrations/salesforce/ (I1)
    path("outbox/", include("campaigns.outbox_urls")),  # the local mail catcher's outbox; its views 404 unless DEBUG
    path("anymail/", include("tracking.webhook_urls")),  # provider webhooks (K4), basic auth: ANYMAIL_WEBHOOK_SECRET
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI on self-hosted assets (drf-spectacular-sidecar, served by whitenoise); the split view serves its
    # start-up script as a file, as the CSP wants. No Redoc: drf-spectacular's Redoc page loads Google Fonts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", api_not_found),  # any other /api/ URL: JSON 404, never an HTML page
]

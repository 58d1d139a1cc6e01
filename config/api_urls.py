from django.urls import include, path, re_path

from accounts.api_errors import api_not_found

urlpatterns = [
    path("", include("leads.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("templates_app.api_urls")),
    path("", include("campaigns.api_urls")),
    path("", include("notifications.api_urls")),
    re_path(r"^[\s\S]*$", api_not_found),  # last: unknown API URLs answer JSON 404, not an HTML page
]

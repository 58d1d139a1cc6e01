from django.urls import include, path

urlpatterns = [
    path("", include("leads.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("templates_app.api_urls")),
    path("", include("campaigns.api_urls")),
    path("", include("notifications.api_urls")),
]

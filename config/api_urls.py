from django.urls import include, path

urlpatterns = [
    path("", include("leads.api_urls")),
]

"""/accounts/api-token/: the signed-in user's API token (own namespace, so the sidebar's Users item stays unmarked)."""

from django.urls import path

from accounts import token_views

app_name = "api_token"
urlpatterns = [
    path("", token_views.api_token, name="page"),
    path("create/", token_views.api_token_create, name="create"),
    path("revoke/", token_views.api_token_revoke, name="revoke"),
]

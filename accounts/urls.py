from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import token_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("users/", views.user_index, name="user_index"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:user_id>/", views.user_edit, name="user_edit"),
    path("api-token/", token_views.api_token, name="api_token"),
    path("api-token/create/", token_views.api_token_create, name="api_token_create"),
    path("api-token/revoke/", token_views.api_token_revoke, name="api_token_revoke"),
]

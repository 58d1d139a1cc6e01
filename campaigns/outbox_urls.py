"""The local mail catcher's outbox (DEBUG only; see campaigns.outbox_views)."""

from django.urls import path

from campaigns import outbox_views

app_name = "outbox"
urlpatterns = [
    path("", outbox_views.index, name="index"),
    path("<str:key>/", outbox_views.detail, name="detail"),
    path("<str:key>/raw/", outbox_views.raw, name="raw"),
]

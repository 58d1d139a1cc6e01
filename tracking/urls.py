"""Public paths of campaign mail; campaigns.tracking_links builds exactly these."""

from django.urls import path

from tracking import views

app_name = "tracking"
urlpatterns = [
    path("t/o/<str:token>.gif", views.open_pixel, name="open"),
    path("t/c/<str:token>/<int:link_number>/", views.click, name="click"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("recipient-count/", views.recipient_count, name="recipient_count"),
    path("<int:campaign_id>/", views.detail, name="detail"),
    path("<int:campaign_id>/edit/", views.edit, name="edit"),
    path("<int:campaign_id>/confirm/", views.confirm, name="confirm"),
    path("<int:campaign_id>/test-send/", views.test_send, name="test_send"),
    path("<int:campaign_id>/cancel/", views.cancel, name="cancel"),
    path("<int:campaign_id>/pause/", views.pause, name="pause"),
    path("<int:campaign_id>/resume/", views.resume, name="resume"),
    path("<int:campaign_id>/progress/", views.progress, name="progress"),
    path("<int:campaign_id>/results.csv", views.results_csv, name="results_csv"),
    path("<int:campaign_id>/delete/", views.delete, name="delete"),
]
